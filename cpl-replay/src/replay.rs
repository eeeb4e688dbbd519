//! Replay: what a policy would keep of traces already recorded (spec/replay.md).
//!
//! Replay runs in two steps so that the expensive one can use every core:
//!
//! 1. [`Replay::summarize`] turns decoded spans into [`SpanSummary`]s: the rules each
//!    span matches, its tenant, bytes, service, error flag and times. It only reads the
//!    evaluator, so batches can be summarised on any thread (rayon in the CLI), and the
//!    summaries are much smaller than the spans they came from.
//! 2. [`Replay::add`] merges summaries into per-trace state, sequentially. Memory grows
//!    with the number of distinct traces, not with the input.
//!
//! [`Replay::finish`] decides every trace, in no particular order (each decision is a
//! function of the trace alone), and sums the decisions into a [`Report`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

use cpl_eval::{Evaluator, Reason, RuleSet, TraceTenant};
use cpl_otlp::{AnyValue, ReadStats, Span, StatusCode};

/// The choices of spec/replay.md that the user can change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayOptions {
    /// A trace longer than this (earliest start to latest end) is slow.
    pub slow_threshold_nanos: u64,
    /// US dollars per GB (10⁹ bytes) of ingested trace data.
    pub price_per_gb: f64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            slow_threshold_nanos: 1_000_000_000,
            price_per_gb: 0.10,
        }
    }
}

/// What one span contributes to its trace.
#[derive(Debug, Clone)]
pub struct SpanSummary {
    trace_id: [u8; 16],
    matched: RuleSet,
    tenant: TraceTenant,
    service: Option<String>,
    bytes: u64,
    error: bool,
    start: u64,
    end: u64,
}

/// The state of one trace while its spans arrive.
#[derive(Debug, Default)]
struct TraceState {
    matched: RuleSet,
    tenant: TraceTenant,
    spans: u64,
    bytes: u64,
    error: bool,
    start: u64,
    end: u64,
    /// `(service index, spans, bytes)`, usually one or two entries.
    services: Vec<(u32, u64, u64)>,
}

/// Hashes trace ids, which are random already: fold the 16 bytes and mix once.
#[derive(Default)]
struct TraceIdHasher(u64);

impl Hasher for TraceIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

type TraceMap = HashMap<[u8; 16], TraceState, BuildHasherDefault<TraceIdHasher>>;

/// A replay in progress.
pub struct Replay<'e> {
    evaluator: &'e Evaluator,
    options: ReplayOptions,
    traces: TraceMap,
    services: HashMap<String, u32>,
    input: InputReport,
}

impl<'e> Replay<'e> {
    /// Starts a replay of the policy compiled into `evaluator`.
    pub fn new(evaluator: &'e Evaluator, options: ReplayOptions) -> Self {
        Self {
            evaluator,
            options,
            traces: TraceMap::default(),
            services: HashMap::new(),
            input: InputReport::default(),
        }
    }

    /// The evaluator this replay decides with.
    pub fn evaluator(&self) -> &'e Evaluator {
        self.evaluator
    }

    /// Summarises decoded spans; reads only the evaluator, so any thread may call it.
    pub fn summarize(evaluator: &Evaluator, spans: &[Span]) -> Vec<SpanSummary> {
        spans
            .iter()
            .map(|span| {
                let mut tenant = TraceTenant::new();
                if let Some(id) = evaluator.tenant_of(span) {
                    tenant.observe(span.parent_span_id.is_none(), id);
                }
                SpanSummary {
                    trace_id: span.trace_id.0,
                    matched: evaluator.matches(span),
                    tenant,
                    service: span.resource.service_name().map(str::to_owned),
                    bytes: span.encoded_len,
                    error: is_error(span),
                    start: span.start_time_unix_nano,
                    end: span.end_time_unix_nano,
                }
            })
            .collect()
    }

    /// Merges span summaries into their traces.
    pub fn add(&mut self, summaries: Vec<SpanSummary>) {
        for summary in summaries {
            let service = match summary.service {
                Some(name) => self.service_index(name),
                None => self.service_index_str("unknown"),
            };
            let trace = self.traces.entry(summary.trace_id).or_default();
            if trace.spans == 0 {
                trace.start = u64::MAX;
            }
            trace.matched.union_with(&summary.matched);
            trace.tenant.merge(&summary.tenant);
            trace.spans += 1;
            trace.bytes += summary.bytes;
            trace.error |= summary.error;
            if summary.start != 0 {
                trace.start = trace.start.min(summary.start);
            }
            trace.end = trace.end.max(summary.end);
            match trace
                .services
                .iter_mut()
                .find(|(index, _, _)| *index == service)
            {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 += summary.bytes;
                }
                None => trace.services.push((service, 1, summary.bytes)),
            }
        }
    }

    /// Records what reading one input gave (call once per input, after reading it).
    pub fn add_input(&mut self, stats: &ReadStats) {
        self.input.files += 1;
        self.input.documents += stats.documents;
        self.input.skipped_non_trace += stats.lines_skipped_non_trace;
        self.input.errors += stats.errors;
    }

    fn service_index(&mut self, name: String) -> u32 {
        let next = u32::try_from(self.services.len()).unwrap_or(u32::MAX);
        *self.services.entry(name).or_insert(next)
    }

    fn service_index_str(&mut self, name: &str) -> u32 {
        match self.services.get(name) {
            Some(index) => *index,
            None => self.service_index(name.to_owned()),
        }
    }

    /// Decides every trace and sums the decisions.
    pub fn finish(self) -> Report {
        let evaluator = self.evaluator;
        let mut rules: Vec<RuleReport> = evaluator
            .rules()
            .iter()
            .map(|rule| RuleReport {
                name: rule.name().to_owned(),
                tenant: rule.tenant().map(str::to_owned),
                action: rule.action().to_string(),
                rate: rule.rate(),
                ..RuleReport::default()
            })
            .collect();
        let mut services = vec![ServiceReport::default(); self.services.len()];
        for (name, index) in &self.services {
            services[*index as usize].name.clone_from(name);
        }
        let mut report = Report {
            version: 1,
            complete: self.input.errors == 0,
            input: self.input,
            base_rate: BaseRateReport {
                rate: evaluator.base_rate(),
                ..BaseRateReport::default()
            },
            slow: SlowReport {
                threshold_ms: nanos_to_ms(self.options.slow_threshold_nanos),
                ..SlowReport::default()
            },
            ..Report::default()
        };

        // Traces decided by each base rate (policy or tenant), by the rate's bits: the
        // expected count is summed from these in a fixed order, so the report does not
        // depend on hash-map order (float addition is not associative).
        let mut base_rates: Vec<(u64, u64)> = Vec::new();
        for (trace_id, trace) in &self.traces {
            let decision = evaluator.decide_trace(*trace_id, &trace.matched, trace.tenant.get());
            let keep = decision.keep;
            match decision.reason {
                Reason::Rule { index, .. } => {
                    if let Some(rule) = rules.get_mut(index) {
                        rule.traces += 1;
                        rule.spans += trace.spans;
                        if keep {
                            rule.traces_kept += 1;
                            rule.spans_kept += trace.spans;
                            rule.bytes_kept += trace.bytes;
                        }
                    }
                }
                Reason::BaseRate { rate } | Reason::TenantBaseRate { rate, .. } => {
                    report.base_rate.traces += 1;
                    report.base_rate.kept += u64::from(keep);
                    match base_rates
                        .iter_mut()
                        .find(|(bits, _)| *bits == rate.to_bits())
                    {
                        Some(entry) => entry.1 += 1,
                        None => base_rates.push((rate.to_bits(), 1)),
                    }
                }
            }
            report.traces.add(1, keep);
            report.spans.add(trace.spans, keep);
            report.bytes.add(trace.bytes, keep);
            for &(index, spans, bytes) in &trace.services {
                let service = &mut services[index as usize];
                service.spans += spans;
                service.bytes += bytes;
                if keep {
                    service.spans_kept += spans;
                    service.bytes_kept += bytes;
                }
            }
            if trace.error {
                report.errors.add(1, keep);
            }
            let duration = trace.end.saturating_sub(trace.start);
            if trace.start != u64::MAX && duration > self.options.slow_threshold_nanos {
                report.slow.add(1, keep);
            }
        }

        base_rates.sort_unstable();
        #[allow(clippy::cast_precision_loss)] // report figures
        {
            report.base_rate.expected = base_rates
                .iter()
                .map(|&(bits, traces)| f64::from_bits(bits) * traces as f64)
                .sum();
            report.keep_rate = ratio(report.traces.kept, report.traces.total);
            let gb = |bytes: u64| bytes as f64 / 1e9;
            let price = self.options.price_per_gb;
            report.savings = SavingsReport {
                price_per_gb: price,
                bytes_dropped: report.bytes.total - report.bytes.kept,
                cost_total: gb(report.bytes.total) * price,
                cost_kept: gb(report.bytes.kept) * price,
                cost_saved: gb(report.bytes.total - report.bytes.kept) * price,
            };
        }
        services.sort_by(|a, b| b.spans.cmp(&a.spans).then_with(|| a.name.cmp(&b.name)));
        report.rules = rules;
        report.services = services;
        report
    }
}

/// A span is an error span when its status is ERROR or its HTTP status code is 500+.
fn is_error(span: &Span) -> bool {
    if span.status == StatusCode::Error {
        return true;
    }
    ["http.response.status_code", "http.status_code"]
        .iter()
        .find_map(|key| span.attribute(key))
        .is_some_and(|value| match value {
            AnyValue::Int(code) => *code >= 500,
            AnyValue::Double(code) => *code >= 500.0,
            _ => false,
        })
}

#[allow(clippy::cast_precision_loss)]
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[allow(clippy::cast_precision_loss)]
fn nanos_to_ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// The result of a replay: the JSON of `cpl replay --format json` (spec/replay.md).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The report format's version.
    pub version: u32,
    /// `false` when any input document was skipped as malformed.
    pub complete: bool,
    /// What was read.
    pub input: InputReport,
    /// Spans in and kept.
    pub spans: Counts,
    /// Traces in and kept.
    pub traces: Counts,
    /// Input bytes attributed to spans, in and kept.
    pub bytes: Counts,
    /// `traces.kept / traces.total`.
    pub keep_rate: f64,
    /// Per rule, in the evaluator's rule order.
    pub rules: Vec<RuleReport>,
    /// The traces no rule decided.
    pub base_rate: BaseRateReport,
    /// Per `service.name`, most spans first.
    pub services: Vec<ServiceReport>,
    /// Traces with an error span.
    pub errors: Counts,
    /// Traces longer than the slow threshold.
    pub slow: SlowReport,
    /// Estimated cost and savings.
    pub savings: SavingsReport,
}

/// What the inputs held.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputReport {
    /// Input files read.
    pub files: u64,
    /// Trace documents read.
    pub documents: u64,
    /// Logs/metrics/profiles documents skipped.
    pub skipped_non_trace: u64,
    /// Malformed documents skipped.
    pub errors: u64,
}

/// A total and how much of it is kept.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Everything.
    pub total: u64,
    /// What the policy keeps.
    pub kept: u64,
}

impl Counts {
    fn add(&mut self, amount: u64, keep: bool) {
        self.total += amount;
        if keep {
            self.kept += amount;
        }
    }
}

/// What one rule decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleReport {
    /// The condition's name.
    pub name: String,
    /// The tenant whose override defines the rule, for tenant-only rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// `keep` or `drop`.
    pub action: String,
    /// The keep probability of matches.
    pub rate: f64,
    /// Traces the rule decided.
    pub traces: u64,
    /// Spans of those traces.
    pub spans: u64,
    /// Of those, traces kept.
    pub traces_kept: u64,
    /// Of those, spans kept.
    pub spans_kept: u64,
    /// Of those, bytes kept.
    pub bytes_kept: u64,
}

/// The traces the base rate decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaseRateReport {
    /// The policy's base rate.
    pub rate: f64,
    /// Traces no rule decided.
    pub traces: u64,
    /// The sum of the rates that applied to them: the expected number kept.
    pub expected: f64,
    /// Traces kept.
    pub kept: u64,
}

/// One service's share.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceReport {
    /// `service.name`, or `unknown`.
    pub name: String,
    /// Spans in.
    pub spans: u64,
    /// Spans kept.
    pub spans_kept: u64,
    /// Bytes in.
    pub bytes: u64,
    /// Bytes kept.
    pub bytes_kept: u64,
}

/// Slow traces.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlowReport {
    /// The threshold, in milliseconds.
    pub threshold_ms: f64,
    /// Slow traces.
    pub traces: u64,
    /// Of those, kept.
    pub kept: u64,
}

impl SlowReport {
    fn add(&mut self, amount: u64, keep: bool) {
        self.traces += amount;
        if keep {
            self.kept += amount;
        }
    }
}

/// Estimated cost.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SavingsReport {
    /// US dollars per GB.
    pub price_per_gb: f64,
    /// Bytes not kept.
    pub bytes_dropped: u64,
    /// Cost of ingesting everything.
    pub cost_total: f64,
    /// Cost of what is kept.
    pub cost_kept: f64,
    /// The difference.
    pub cost_saved: f64,
}
