//! The typed model of a `tail_sampling` processor config (contrib v0.161.0): what
//! [`crate::config`] reads and [`crate::decide`] decides with.
//!
//! Every value is held as the collector holds it after loading (Go types: `int64`
//! thresholds, `int32` span counts, `float64` percentages), with the defaults the
//! collector applies, so that deciding needs no further interpretation. Spans are byte
//! ranges in the file the config was read from (an embedded config's positions are
//! already mapped back into the outer file).

use std::ops::Range;

use cpl_syntax::StatusCode;

use crate::ottl::Condition;

/// One `tail_sampling` processor: `tail_sampling` or `tail_sampling/NAME`.
#[derive(Debug, Clone)]
pub struct Processor {
    /// The component id as written: `tail_sampling` or `tail_sampling/NAME`
    /// (`tail_sampling` for a bare block).
    pub id: String,
    /// The span of the id (or of the whole block when it has none).
    pub span: Range<usize>,
    /// `policies`, in file order.
    pub policies: Vec<Policy>,
    /// `sample_on_first_match` (default false): stop at the first `Sampled` vote.
    /// It never changes whether a trace is kept (stateless policies), only which
    /// policy is recorded.
    pub sample_on_first_match: bool,
}

impl Processor {
    /// The policies in the order the collector evaluates them: `drop` policies
    /// first, then the others, each group in file order (spec §3.1).
    pub fn evaluation_order(&self) -> Vec<usize> {
        let drops = (0..self.policies.len())
            .filter(|&i| matches!(self.policies[i].kind, PolicyKind::Drop(_)));
        let rest = (0..self.policies.len())
            .filter(|&i| !matches!(self.policies[i].kind, PolicyKind::Drop(_)));
        drops.chain(rest).collect()
    }
}

/// One policy (top-level or a sub-policy).
#[derive(Debug, Clone)]
pub struct Policy {
    /// `name`.
    pub name: String,
    /// The span of the policy's mapping.
    pub span: Range<usize>,
    /// `type` and its settings.
    pub kind: PolicyKind,
}

impl Policy {
    /// The `type` as written in a config.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
}

/// How `ottl_condition` treats an evaluation error (spec §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorMode {
    /// The first error ends the policy with an `Error` outcome.
    Propagate,
    /// An error counts as false (and is logged).
    Ignore,
    /// An error counts as false (silently).
    Silent,
    /// `error_mode` omitted: the empty mode, which v0.161.0 treats like `silent`.
    Unset,
}

/// A policy's `type` and its settings, as the collector holds them after loading.
#[derive(Debug, Clone)]
pub enum PolicyKind {
    /// `always_sample`.
    AlwaysSample,
    /// `latency`: trace duration in whole milliseconds, `> threshold_ms`, and
    /// `<= upper_threshold_ms` when that is not 0.
    Latency {
        /// `threshold_ms`.
        threshold_ms: i64,
        /// `upper_threshold_ms` (0 = none).
        upper_threshold_ms: i64,
    },
    /// `numeric_attribute`, bounds already widened: a bound written as 0 (or not
    /// written) is `i64::MIN` / `i64::MAX`.
    NumericAttribute {
        /// `key`.
        key: String,
        /// The effective lower bound (inclusive).
        min: i64,
        /// The effective upper bound (inclusive).
        max: i64,
        /// `invert_match`.
        invert_match: bool,
    },
    /// `probabilistic`.
    Probabilistic {
        /// `sampling_percentage`.
        sampling_percentage: f64,
        /// `hash_salt` (`default-hash-seed` when empty).
        hash_salt: String,
        /// The threshold the collector computes from the percentage.
        threshold: u64,
    },
    /// `status_code`.
    StatusCode {
        /// `status_codes`.
        codes: Vec<StatusCode>,
    },
    /// `string_attribute`.
    StringAttribute {
        /// `key`.
        key: String,
        /// `values`, empty strings removed (the collector ignores them).
        values: Vec<String>,
        /// `enabled_regex_matching`: the compiled `values` (Go RE2 semantics).
        regexes: Option<Vec<regex::Regex>>,
        /// `invert_match`.
        invert_match: bool,
    },
    /// `rate_limiting` (wall-clock: not reproducible by replay).
    RateLimiting {
        /// `spans_per_second`.
        spans_per_second: i64,
    },
    /// `bytes_limiting` (wall-clock: not reproducible by replay).
    BytesLimiting {
        /// `bytes_per_second`.
        bytes_per_second: i64,
    },
    /// `span_count`: `min_spans <= n` and, when `max_spans` is not 0, `n <= max_spans`.
    SpanCount {
        /// `min_spans`.
        min_spans: i32,
        /// `max_spans` (0 = no upper bound).
        max_spans: i32,
    },
    /// `trace_state`.
    TraceState {
        /// `key`.
        key: String,
        /// `values`, without those the collector drops (empty, or
        /// `len(key) + len(value) >= 256`).
        values: Vec<String>,
    },
    /// `trace_flags`: some span has the W3C sampled flag.
    TraceFlags,
    /// `boolean_attribute`.
    BooleanAttribute {
        /// `key`.
        key: String,
        /// `value`.
        value: bool,
        /// `invert_match`.
        invert_match: bool,
    },
    /// `ottl_condition`.
    OttlCondition {
        /// `error_mode`.
        error_mode: ErrorMode,
        /// `span`.
        span: Vec<Condition>,
        /// `spanevent`.
        spanevent: Vec<Condition>,
    },
    /// `and`: `and_sub_policy`.
    And(Vec<Policy>),
    /// `not`: `not_sub_policy`.
    Not(Box<Policy>),
    /// `drop`: `drop_sub_policy`.
    Drop(Vec<Policy>),
    /// `composite` (wall-clock: not reproducible by replay).
    Composite(Vec<Policy>),
}

impl PolicyKind {
    /// Every `type` v0.161.0 knows, as written in a config: the leaf types first
    /// ([`PolicyKind::LEAF_TYPES`]), then the four that hold sub-policies.
    pub const TYPES: [&'static str; 17] = [
        "always_sample",
        "latency",
        "numeric_attribute",
        "probabilistic",
        "status_code",
        "string_attribute",
        "rate_limiting",
        "bytes_limiting",
        "span_count",
        "trace_state",
        "trace_flags",
        "boolean_attribute",
        "ottl_condition",
        "and",
        "not",
        "drop",
        "composite",
    ];

    /// The leaf types: those every list of sub-policies accepts (all of
    /// [`PolicyKind::TYPES`] but `and`, `not`, `drop` and `composite`).
    pub const LEAF_TYPES: &'static [&'static str] = Self::TYPES.as_slice().split_at(13).0;

    /// The `type` as written in a config.
    pub fn type_name(&self) -> &'static str {
        match self {
            PolicyKind::AlwaysSample => "always_sample",
            PolicyKind::Latency { .. } => "latency",
            PolicyKind::NumericAttribute { .. } => "numeric_attribute",
            PolicyKind::Probabilistic { .. } => "probabilistic",
            PolicyKind::StatusCode { .. } => "status_code",
            PolicyKind::StringAttribute { .. } => "string_attribute",
            PolicyKind::RateLimiting { .. } => "rate_limiting",
            PolicyKind::BytesLimiting { .. } => "bytes_limiting",
            PolicyKind::SpanCount { .. } => "span_count",
            PolicyKind::TraceState { .. } => "trace_state",
            PolicyKind::TraceFlags => "trace_flags",
            PolicyKind::BooleanAttribute { .. } => "boolean_attribute",
            PolicyKind::OttlCondition { .. } => "ottl_condition",
            PolicyKind::And(_) => "and",
            PolicyKind::Not(_) => "not",
            PolicyKind::Drop(_) => "drop",
            PolicyKind::Composite(_) => "composite",
        }
    }
}
