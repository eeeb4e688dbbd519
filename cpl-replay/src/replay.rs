//! Replay: what a policy would keep of traces already recorded (spec/replay.md).
//!
//! Replay runs in two steps so that the expensive one can use every core:
//!
//! 1. [`Replay::summarize`] turns decoded spans into [`SpanSummary`]s: the rules each
//!    span matches, its tenant, bytes, service, error flag, times and a hash that
//!    recognises copies of it. It only reads the evaluators, so batches can be
//!    summarised on any thread (rayon in the CLI), and the summaries are much smaller
//!    than the spans they came from.
//! 2. [`Replay::add`] merges summaries into per-trace state, sequentially, skipping
//!    copies of spans already seen (same trace id, span id, start and end).
//!
//! [`Replay::finish`] decides every trace, in no particular order (each decision is a
//! function of the trace alone), and sums the decisions into a [`Report`].
//!
//! The report's own definitions are CPL conditions too, compiled and evaluated by the
//! same evaluator as the policy: an error trace has a span satisfying [`ERROR_SPAN`],
//! and a slow trace, taken as one span from its earliest start to its latest end,
//! satisfies `duration > SLOW`. So `status_code` or `duration` cannot mean one thing in
//! a rule and another in the report.
//!
//! # Memory
//!
//! Memory grows with the number of distinct traces and spans, not with the input (a
//! span read twice costs nothing more). Per distinct trace: one entry of
//! `TRACE_STATE_BYTES` = 176 bytes in the trace map (a hash table 7/16 to 7/8 full, so
//! 200 to 400 bytes), its services list (24 bytes per service, 96 at least) and its copy
//! set (52 bytes at least). Per distinct span: one `u64` in its trace's copy set, a
//! hash set at most 7/8 full, so 10 to 21 bytes (spec/replay.md, "Overlapping inputs").
//! A policy with more than 64 rules, or a trace with a tenant id, adds a small heap
//! block per trace. A policy with trace-level parts (`any(…)`, `trace_duration`,
//! `span_count`) cannot be decided span by span: its replay keeps every distinct span
//! until [`Replay::finish`], and so holds the whole input in memory.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use serde::Serialize;

use cpl_collector::decide::{self, Keep, Outcome};
use cpl_collector::policy::Processor;
use cpl_eval::{
    AttrValue, Evaluator, Reason, RuleSet, SpanKind, SpanView, StatusCode, TraceTenant,
};
use cpl_otlp::{AttributeKeys, ReadStats, Span};

use crate::fidelity::{adjusted_count, Fidelity, NO_ROUTE};

/// The CPL condition that makes a span an error span, and its trace an error trace
/// (spec/replay.md, "Error traces").
pub const ERROR_SPAN: &str = "status == ERROR OR status_code >= 500";

/// [`ERROR_SPAN`], compiled once: it depends on nothing the user chooses.
static ERROR_CONDITION: LazyLock<Evaluator> = LazyLock::new(|| condition(ERROR_SPAN));

/// Compiles one report condition, written as a policy with that condition as its only
/// rule (index 0), so that it is parsed, resolved and evaluated as a policy's rules are.
fn condition(when: &str) -> Evaluator {
    let text = format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: report\n      when: '{}'\n",
        when.replace('\'', "''")
    );
    let policy = cpl_syntax::load_policy(&text)
        .policy
        .expect("the report's conditions are valid CPL (tested)");
    Evaluator::compile(&policy).expect("the report's conditions compile (tested)")
}

/// Whether `span` satisfies the report condition compiled into `condition`.
fn satisfies<S: SpanView + ?Sized>(condition: &Evaluator, span: &S) -> bool {
    condition.matches(span).contains(0)
}

/// The condition that makes a whole trace slow: `duration > SLOW`.
fn slow_condition(threshold_nanos: u64) -> Evaluator {
    // Durations in CPL are i64 nanoseconds (292 years); a longer threshold is the same.
    let nanos = threshold_nanos.min(i64::MAX as u64);
    condition(&format!("duration > {nanos}ns"))
}

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
    /// A hash of (span id, start, end): equal for copies of one span.
    copy_key: u64,
    matched: RuleSet,
    tenant: TraceTenant,
    /// `service.name`: an index into [`Summaries::names`], or [`NO_NAME`].
    service: u32,
    /// For a server span of a CPL policy's replay: what fidelity needs.
    server: Option<ServerSummary>,
    bytes: u64,
    error: bool,
    start: u64,
    end: u64,
    /// The span itself, for deciders that need the whole trace: a collector config, or a
    /// policy with trace-level parts (decided on whole traces at the end).
    span: Option<Box<Span>>,
}

/// A server span's share of the fidelity figures (spec/replay.md, "Fidelity").
#[derive(Debug, Clone, Copy)]
struct ServerSummary {
    /// `http.route`: an index into [`Summaries::names`], or [`NO_NAME`].
    route: u32,
    /// Its status is `ERROR`.
    error: bool,
    /// Its `duration`, when it has one.
    nanos: Option<u64>,
}

/// No name: a span without `service.name`, a server span without `http.route`.
const NO_NAME: u32 = u32::MAX;

/// The summaries of a batch of spans, and the names they refer to, each stored once
/// per batch rather than once per span.
#[derive(Debug, Clone, Default)]
pub struct Summaries {
    spans: Vec<SpanSummary>,
    names: Vec<String>,
}

impl Summaries {
    /// How many spans were summarised.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span was summarised.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// The names of one batch, interned while it is summarised.
#[derive(Default)]
struct BatchNames<'s> {
    ids: HashMap<&'s str, u32, foldhash::fast::RandomState>,
    names: Vec<&'s str>,
    /// The resource of the last span and its service, for the common run of spans of
    /// one resource.
    last_resource: Option<(&'s cpl_otlp::Resource, u32)>,
}

impl<'s> BatchNames<'s> {
    fn id(&mut self, name: &'s str) -> u32 {
        let next = u32::try_from(self.names.len()).unwrap_or(NO_NAME);
        *self.ids.entry(name).or_insert_with(|| {
            self.names.push(name);
            next
        })
    }

    fn service(&mut self, span: &'s Span) -> u32 {
        let resource: &'s cpl_otlp::Resource = &span.resource;
        if let Some((last, id)) = self.last_resource {
            if std::ptr::eq(last, resource) {
                return id;
            }
        }
        let id = resource
            .service_name()
            .map_or(NO_NAME, |name| self.id(name));
        self.last_resource = Some((resource, id));
        id
    }

    /// What fidelity needs of `span`: `None` unless it is a server span.
    fn server(&mut self, span: &'s Span) -> Option<ServerSummary> {
        if span.kind != cpl_otlp::SpanKind::Server {
            return None;
        }
        let route = match span
            .attribute("http.route")
            .and_then(cpl_otlp::AnyValue::as_str)
        {
            Some(route) if !route.is_empty() => self.id(route),
            _ => NO_NAME,
        };
        let (start, end) = (span.start_time_unix_nano, span.end_time_unix_nano);
        Some(ServerSummary {
            route,
            error: span.status == cpl_otlp::StatusCode::Error,
            // CPL's `duration`: missing when a time is unset or the end is before the start.
            nanos: (start != 0 && end != 0 && end >= start).then(|| end - start),
        })
    }

    fn finish(self, spans: Vec<SpanSummary>) -> Summaries {
        Summaries {
            spans,
            names: self.names.into_iter().map(str::to_owned).collect(),
        }
    }
}

/// What decides each trace of a replay: a CPL policy, or a `tail_sampling` processor
/// of a collector config (spec/targets/otel-collector.md §3.5).
#[derive(Clone, Copy)]
pub enum Decider<'e> {
    /// A compiled CPL policy: traces are decided from the rules their spans match, and
    /// copies of a span count once.
    Policy(&'e Evaluator),
    /// A `tail_sampling` processor: traces are decided from their spans in arrival
    /// order, every copy included, as the collector receives them.
    Collector(&'e Processor),
}

impl Decider<'_> {
    /// Summarises decoded spans; reads only the decider, so any thread may call it.
    pub fn summarize(self, spans: &[Span]) -> Summaries {
        match self {
            Decider::Policy(evaluator) => Replay::summarize(evaluator, spans),
            Decider::Collector(_) => {
                let error = &*ERROR_CONDITION;
                let mut names = BatchNames::default();
                let summaries = spans
                    .iter()
                    .map(|span| SpanSummary {
                        trace_id: span.trace_id.0,
                        copy_key: 0,
                        matched: RuleSet::new(),
                        tenant: TraceTenant::new(),
                        service: names.service(span),
                        // No fidelity for a collector config (spec/replay.md, "Fidelity").
                        server: None,
                        bytes: span.encoded_len,
                        error: satisfies(error, span),
                        start: span.start_time_unix_nano,
                        end: span.end_time_unix_nano,
                        span: Some(Box::new(span.clone())),
                    })
                    .collect();
                names.finish(summaries)
            }
        }
    }
}

/// The state of one trace while its spans arrive.
#[derive(Debug, Default)]
struct TraceState {
    /// The order in which the trace was first seen: its index in per-trace vectors.
    ordinal: u32,
    matched: RuleSet,
    tenant: TraceTenant,
    spans: u64,
    bytes: u64,
    error: bool,
    /// The earliest set (non-zero) span start; 0 while there is none.
    start: u64,
    end: u64,
    /// `(service index, spans, bytes)`, usually one or two entries.
    services: Vec<(u32, u64, u64)>,
    /// The copy keys of the spans counted so far.
    seen: HashSet<u64, BuildHasherDefault<PreHashed>>,
}

/// The trace as one span from its earliest start to its latest end: what "slow" is
/// evaluated on. It has no attributes, so only its times can satisfy a condition.
struct WholeTrace {
    trace_id: [u8; 16],
    start: u64,
    end: u64,
}

impl SpanView for WholeTrace {
    fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }
    fn span_id(&self) -> [u8; 8] {
        [0; 8]
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        None
    }
    fn name(&self) -> &'static str {
        ""
    }
    fn kind(&self) -> SpanKind {
        SpanKind::Unspecified
    }
    fn status(&self) -> StatusCode {
        StatusCode::Unset
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.start
    }
    fn end_time_unix_nano(&self) -> u64 {
        self.end
    }
    fn attribute(&self, _: &str) -> Option<AttrValue<'_>> {
        None
    }
    fn resource_attribute(&self, _: &str) -> Option<AttrValue<'_>> {
        None
    }
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

/// Passes a copy key, a hash already, through unchanged.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed with it; fold anything else rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The key that recognises copies of one span within its trace: a fixed-seed
/// foldhash (deterministic from run to run, as SipHash's `DefaultHasher::new()`
/// was, at a fraction of its cost: SipHash took 2.5% of a protobuf replay).
fn copy_key(span: &Span) -> u64 {
    COPY_KEY_HASH.hash_one((
        span.span_id.0,
        span.start_time_unix_nano,
        span.end_time_unix_nano,
    ))
}

const COPY_KEY_HASH: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x0c91_c0de_5a3b_1e5d);

type TraceMap = HashMap<[u8; 16], TraceState, BuildHasherDefault<TraceIdHasher>>;

/// A replay in progress.
pub struct Replay<'e> {
    decider: Decider<'e>,
    options: ReplayOptions,
    slow: Evaluator,
    traces: TraceMap,
    /// The spans of each trace, for deciders that need whole traces only: every copy in
    /// arrival order for a collector config, the distinct spans for a policy with
    /// trace-level parts.
    trace_spans: HashMap<[u8; 16], Vec<Span>, BuildHasherDefault<TraceIdHasher>>,
    services: HashMap<String, u32>,
    /// The server spans, for the fidelity figures; `None` for a collector config.
    fidelity: Option<Fidelity>,
    input: InputReport,
}

impl<'e> Replay<'e> {
    /// Starts a replay of the policy compiled into `evaluator`.
    pub fn new(evaluator: &'e Evaluator, options: ReplayOptions) -> Self {
        Self::with_decider(Decider::Policy(evaluator), options)
    }

    /// Starts a replay decided by `decider`.
    pub fn with_decider(decider: Decider<'e>, options: ReplayOptions) -> Self {
        Self {
            decider,
            options,
            slow: slow_condition(options.slow_threshold_nanos),
            traces: TraceMap::default(),
            trace_spans: HashMap::default(),
            services: HashMap::new(),
            fidelity: matches!(decider, Decider::Policy(_)).then(Fidelity::default),
            input: InputReport::default(),
        }
    }

    /// The attributes this replay reads (spec/replay.md, "Reading only what is
    /// read"): those its policy reads, those the report's own conditions read, the
    /// span's `http.route` and the resource's `service.name`; all of them for a
    /// collector config, whose OTTL can read any.
    pub fn attribute_keys(&self) -> AttributeKeys {
        let Decider::Policy(evaluator) = self.decider else {
            return AttributeKeys::all();
        };
        let mut span = vec!["http.route"];
        let mut resource = vec!["service.name"];
        for reader in [evaluator, &*ERROR_CONDITION, &self.slow] {
            let (s, r) = reader.attribute_keys();
            span.extend(s);
            resource.extend(r);
        }
        AttributeKeys::only(span, resource)
    }

    /// What this replay decides with.
    pub fn decider(&self) -> Decider<'e> {
        self.decider
    }

    /// Summarises decoded spans; reads only the evaluators, so any thread may call it.
    pub fn summarize(evaluator: &Evaluator, spans: &[Span]) -> Summaries {
        let error = &*ERROR_CONDITION;
        let whole_traces = evaluator.reads_trace();
        let mut names = BatchNames::default();
        let summaries = spans
            .iter()
            .map(|span| {
                let mut tenant = TraceTenant::new();
                if let Some(id) = evaluator.tenant_of(span) {
                    tenant.observe(span.parent_span_id.is_none(), id);
                }
                SpanSummary {
                    trace_id: span.trace_id.0,
                    copy_key: copy_key(span),
                    // Decided on the whole trace at the end instead.
                    matched: if whole_traces {
                        RuleSet::new()
                    } else {
                        evaluator.matches(span)
                    },
                    tenant,
                    service: names.service(span),
                    server: names.server(span),
                    bytes: span.encoded_len,
                    error: satisfies(error, span),
                    start: span.start_time_unix_nano,
                    end: span.end_time_unix_nano,
                    span: whole_traces.then(|| Box::new(span.clone())),
                }
            })
            .collect();
        names.finish(summaries)
    }

    /// Merges span summaries into their traces. For a CPL policy, a copy of a span
    /// already merged is counted in `input.duplicate_spans` and otherwise ignored; for a
    /// collector config every copy counts, as the collector does not deduplicate.
    pub fn add(&mut self, summaries: Summaries) {
        let every_copy = matches!(self.decider, Decider::Collector(_));
        let Summaries { spans, names } = summaries;
        // The batch's names as service indexes and route ids, looked up on first use.
        let mut service_ids = vec![NO_NAME; names.len()];
        let mut route_ids = vec![NO_NAME; names.len()];
        let mut unknown_service = NO_NAME;
        for mut summary in spans {
            let next = u32::try_from(self.traces.len()).unwrap_or(u32::MAX);
            let trace = self
                .traces
                .entry(summary.trace_id)
                .or_insert_with(|| TraceState {
                    ordinal: next,
                    ..TraceState::default()
                });
            if !every_copy && !trace.seen.insert(summary.copy_key) {
                self.input.duplicate_spans += 1;
                continue;
            }
            trace.matched.union_with(&summary.matched);
            if let Some(span) = summary.span.take() {
                self.trace_spans
                    .entry(summary.trace_id)
                    .or_default()
                    .push(*span);
            }
            trace.tenant.merge(&summary.tenant);
            trace.spans += 1;
            trace.bytes += summary.bytes;
            trace.error |= summary.error;
            if summary.start != 0 && (trace.start == 0 || summary.start < trace.start) {
                trace.start = summary.start;
            }
            trace.end = trace.end.max(summary.end);
            let service = if let Some(name) = names.get(summary.service as usize) {
                let id = &mut service_ids[summary.service as usize];
                if *id == NO_NAME {
                    *id = service_index(&mut self.services, name);
                }
                *id
            } else {
                if unknown_service == NO_NAME {
                    unknown_service = service_index(&mut self.services, "unknown");
                }
                unknown_service
            };
            if let (Some(fidelity), Some(server)) = (self.fidelity.as_mut(), summary.server) {
                let route = match names.get(server.route as usize) {
                    Some(name) => {
                        let id = &mut route_ids[server.route as usize];
                        if *id == NO_NAME {
                            *id = fidelity.route_id(name);
                        }
                        *id
                    }
                    None => NO_ROUTE,
                };
                fidelity.add(trace.ordinal, service, route, server.error, server.nanos);
            }
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

    /// Decides every trace and sums the decisions.
    pub fn finish(mut self) -> Report {
        if let Decider::Policy(evaluator) = self.decider {
            for (trace_id, spans) in &self.trace_spans {
                if let Some(trace) = self.traces.get_mut(trace_id) {
                    evaluator.add_trace_matches(spans, &mut trace.matched);
                }
            }
        }
        let mut tally = Tally::new(self.decider, &self.services);
        // The adjusted count of each kept trace, by ordinal (0 when dropped).
        let mut weights = vec![
            0.0;
            if self.fidelity.is_some() {
                self.traces.len()
            } else {
                0
            }
        ];
        for (trace_id, trace) in &self.traces {
            let slow = satisfies(
                &self.slow,
                &WholeTrace {
                    trace_id: *trace_id,
                    start: trace.start,
                    end: trace.end,
                },
            );
            let arrived = self
                .trace_spans
                .get(trace_id)
                .map_or(&[][..], Vec::as_slice);
            let weight = tally.trace(*trace_id, trace, arrived, slow);
            if let Some(slot) = weights.get_mut(trace.ordinal as usize) {
                *slot = weight;
            }
        }
        let mut report = tally.report(self.input, &self.options);
        if let Some(fidelity) = self.fidelity {
            let mut names = vec!["unknown"; self.services.len()];
            for (name, &index) in &self.services {
                names[index as usize] = name;
            }
            report.fidelity = Some(fidelity.report(&weights, &names));
        }
        report
    }
}

/// The index of service `name`, assigned in order of first appearance.
fn service_index(services: &mut HashMap<String, u32>, name: &str) -> u32 {
    if let Some(&index) = services.get(name) {
        return index;
    }
    let next = u32::try_from(services.len()).unwrap_or(u32::MAX);
    services.insert(name.to_owned(), next);
    next
}

/// The sums of [`Replay::finish`], one trace at a time. Every figure is a sum of
/// integers, so the order in which traces are visited does not matter.
struct Tally<'e> {
    decider: Decider<'e>,
    report: Report,
    services: Vec<ServiceReport>,
    /// Tenant id → position in `report.tenants`.
    tenants: HashMap<&'e str, usize>,
}

impl<'e> Tally<'e> {
    fn new(decider: Decider<'e>, service_names: &HashMap<String, u32>) -> Self {
        let mut services = vec![ServiceReport::default(); service_names.len()];
        for (name, index) in service_names {
            services[*index as usize].name.clone_from(name);
        }
        let evaluator = match decider {
            Decider::Policy(evaluator) => evaluator,
            Decider::Collector(processor) => {
                let policies = processor
                    .policies
                    .iter()
                    .map(|policy| PolicyReport {
                        name: policy.name.clone(),
                        r#type: policy.type_name().to_owned(),
                        ..PolicyReport::default()
                    })
                    .collect();
                return Self {
                    decider,
                    report: Report {
                        collector: Some(CollectorReport {
                            processor: processor.id.clone(),
                            policies,
                            ..CollectorReport::default()
                        }),
                        ..Report::default()
                    },
                    services,
                    tenants: HashMap::new(),
                };
            }
        };
        let rules = evaluator
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
        let mut tenants = HashMap::new();
        let tenant_reports = evaluator
            .tenant_overrides()
            .enumerate()
            .map(|(at, (tenant, rate))| {
                tenants.insert(tenant, at);
                TenantReport {
                    tenant: tenant.to_owned(),
                    base_rate: TenantBaseRateReport {
                        rate: rate.unwrap_or(evaluator.base_rate()),
                        source: if rate.is_some() {
                            BaseRateSource::Tenant
                        } else {
                            BaseRateSource::Policy
                        },
                        ..TenantBaseRateReport::default()
                    },
                    ..TenantReport::default()
                }
            })
            .collect();
        Self {
            decider,
            report: Report {
                rules,
                tenants: tenant_reports,
                base_rate: BaseRateReport {
                    rate: evaluator.base_rate(),
                    ..BaseRateReport::default()
                },
                ..Report::default()
            },
            services,
            tenants,
        }
    }

    /// Decides and counts one trace; returns its adjusted count when kept (1 for a
    /// collector config's), 0 when dropped.
    fn trace(
        &mut self,
        trace_id: [u8; 16],
        trace: &TraceState,
        arrived: &[Span],
        slow: bool,
    ) -> f64 {
        let weight = match self.decider {
            Decider::Policy(evaluator) => self.policy_trace(evaluator, trace_id, trace),
            Decider::Collector(processor) => {
                if self.collector_trace(processor, trace, arrived) {
                    1.0
                } else {
                    0.0
                }
            }
        };
        let keep = weight > 0.0;
        let report = &mut self.report;
        report.traces.add(1, keep);
        report.spans.add(trace.spans, keep);
        report.bytes.add(trace.bytes, keep);
        for &(index, spans, bytes) in &trace.services {
            let service = &mut self.services[index as usize];
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
        if slow {
            report.slow.traces += 1;
            report.slow.kept += u64::from(keep);
        }
        report.durations.add(trace.start, trace.end, keep);
        weight
    }

    /// Decides a trace as the `tail_sampling` processor does and counts each policy's
    /// outcome; a trace whose fate depends on a time-based policy is not kept here and
    /// is counted as not reproducible.
    fn collector_trace(
        &mut self,
        processor: &Processor,
        trace: &TraceState,
        arrived: &[Span],
    ) -> bool {
        let spans: Vec<&Span> = arrived.iter().collect();
        let decision = decide::decide(processor, &spans);
        let Some(collector) = self.report.collector.as_mut() else {
            return false;
        };
        for (row, outcome) in collector.policies.iter_mut().zip(&decision.outcomes) {
            match outcome {
                Some(Outcome::Sampled) => row.sampled += 1,
                Some(Outcome::NotSampled) => row.not_sampled += 1,
                Some(Outcome::Dropped) => row.dropped += 1,
                Some(Outcome::Error(_)) => row.errors += 1,
                Some(Outcome::NotReproducible) => row.not_reproducible += 1,
                None => row.not_evaluated += 1,
            }
        }
        if let Some(row) = decision
            .recorded
            .and_then(|at| collector.policies.get_mut(at))
        {
            row.recorded += 1;
            row.recorded_spans += trace.spans;
        }
        match decision.keep {
            Keep::Yes => true,
            Keep::No => {
                if decision.outcomes.contains(&Some(Outcome::Dropped)) {
                    collector.dropped += 1;
                } else {
                    collector.not_sampled += 1;
                }
                false
            }
            Keep::Unknown => {
                collector.not_reproducible += 1;
                false
            }
        }
    }

    /// Decides a trace with a CPL policy and counts it for its rule or base rate;
    /// returns its adjusted count when kept, 0 when dropped.
    fn policy_trace(
        &mut self,
        evaluator: &Evaluator,
        trace_id: [u8; 16],
        trace: &TraceState,
    ) -> f64 {
        let report = &mut self.report;
        let decision = evaluator.decide_trace(trace_id, &trace.matched, trace.tenant.get());
        let keep = decision.keep;
        let tenant = trace
            .tenant
            .get()
            .and_then(|id| self.tenants.get(id))
            .and_then(|&at| report.tenants.get_mut(at));
        let by_base_rate = match decision.reason {
            Reason::Rule { index, .. } => {
                if let Some(rule) = report.rules.get_mut(index) {
                    rule.traces += 1;
                    rule.spans += trace.spans;
                    if keep {
                        rule.traces_kept += 1;
                        rule.spans_kept += trace.spans;
                        rule.bytes_kept += trace.bytes;
                    }
                }
                false
            }
            Reason::BaseRate { .. } => {
                let base = &mut report.base_rate;
                base.traces += 1;
                base.spans += trace.spans;
                base.kept += u64::from(keep);
                true
            }
            Reason::TenantBaseRate { .. } => true,
        };
        if let Some(tenant) = tenant {
            tenant.traces += 1;
            tenant.spans += trace.spans;
            tenant.kept += u64::from(keep);
            if by_base_rate {
                tenant.base_rate.traces += 1;
                tenant.base_rate.spans += trace.spans;
                tenant.base_rate.kept += u64::from(keep);
            }
        }
        if keep {
            let rate = match decision.reason {
                Reason::Rule { rate, .. }
                | Reason::BaseRate { rate }
                | Reason::TenantBaseRate { rate, .. } => rate,
            };
            adjusted_count(rate)
        } else {
            0.0
        }
    }

    /// The report: the sums, plus the figures derived from them.
    fn report(self, input: InputReport, options: &ReplayOptions) -> Report {
        let mut report = self.report;
        report.version = 2;
        report.complete = input.errors == 0;
        report.input = input;
        report.keep_rate = ratio(report.traces.kept, report.traces.total);
        for rule in &mut report.rules {
            rule.expected = expected(rule.traces, rule.rate);
        }
        report.base_rate.expected = expected(report.base_rate.traces, report.base_rate.rate);
        for tenant in &mut report.tenants {
            tenant.base_rate.expected = expected(tenant.base_rate.traces, tenant.base_rate.rate);
        }
        report.slow.threshold_ms = nanos_to_ms(options.slow_threshold_nanos);
        report.savings = SavingsReport::new(&report.bytes, options.price_per_gb);
        report.durations.bounds_ms = DURATION_BOUNDS_NANOS
            .iter()
            .map(|&n| nanos_to_ms(n))
            .collect();
        let mut services = self.services;
        services.sort_by(|a, b| b.spans.cmp(&a.spans).then_with(|| a.name.cmp(&b.name)));
        report.services = services;
        report
    }
}

/// `traces × rate`, the expected number kept, rounded to 2 decimals.
#[allow(clippy::cast_precision_loss)] // a report figure
fn expected(traces: u64, rate: f64) -> f64 {
    round_to_cents(traces as f64 * rate)
}

/// Rounds to 2 decimals, with no negative zero: the value whose shortest decimal form
/// has at most 2 decimals, so the JSON shows `62.15`, not `62.150000000000006`.
fn round_to_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0 + 0.0
}

/// Whole cents in `dollars` (non-negative).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded, ≥ 0
fn cents(dollars: f64) -> u64 {
    (dollars * 100.0).round().max(0.0) as u64
}

#[allow(clippy::cast_precision_loss)] // cents are far below 2^53
fn dollars(cents: u64) -> f64 {
    cents as f64 / 100.0
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
    /// The traces that the policy's base rate decided.
    pub base_rate: BaseRateReport,
    /// Per tenant override, by tenant id.
    pub tenants: Vec<TenantReport>,
    /// Per `service.name`, most spans first.
    pub services: Vec<ServiceReport>,
    /// Traces with an error span.
    pub errors: Counts,
    /// Traces longer than the slow threshold.
    pub slow: SlowReport,
    /// Estimated cost and savings.
    pub savings: SavingsReport,
    /// How long the traces last, all and kept.
    pub durations: DurationHistogram,
    /// For a collector config: what its `tail_sampling` processor's policies decided
    /// (then `rules`, `base_rate` and `tenants` are empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collector: Option<CollectorReport>,
    /// What the policy does to request counts, error rates and latency percentiles
    /// (spec/replay.md, "Fidelity").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<crate::fidelity::FidelityReport>,
}

/// What a `tail_sampling` processor decided (spec/targets/otel-collector.md §3.5).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CollectorReport {
    /// The processor's component id, e.g. `tail_sampling/canary`.
    pub processor: String,
    /// Per top-level policy, in file order.
    pub policies: Vec<PolicyReport>,
    /// Traces a `drop` policy vetoed.
    pub dropped: u64,
    /// Traces no policy sampled.
    pub not_sampled: u64,
    /// Traces whose fate depends on `rate_limiting`, `bytes_limiting` or `composite`:
    /// not counted as kept, and not guessed.
    pub not_reproducible: u64,
}

/// One policy's outcomes over the traces.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyReport {
    /// `name`.
    pub name: String,
    /// `type`.
    pub r#type: String,
    /// Traces it voted to sample.
    pub sampled: u64,
    /// Traces it did not vote for.
    pub not_sampled: u64,
    /// Traces it vetoed (`drop` policies).
    pub dropped: u64,
    /// Traces on which it failed (an `ottl_condition` error with `error_mode: propagate`).
    pub errors: u64,
    /// Traces on which its outcome depends on time (`rate_limiting` and the like).
    pub not_reproducible: u64,
    /// Traces the collector did not evaluate it on (after a veto, or after the first
    /// vote with `sample_on_first_match`).
    pub not_evaluated: u64,
    /// Kept traces whose first sampling policy it is (`tailsampling.policy` with the
    /// `recordpolicy` feature gate).
    pub recorded: u64,
    /// Spans of those traces.
    pub recorded_spans: u64,
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
    /// Copies of spans already read (same trace id, span id, start and end), not counted.
    pub duplicate_spans: u64,
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
    /// `traces × rate`, rounded to 2 decimals.
    pub expected: f64,
}

/// The traces the policy's base rate decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaseRateReport {
    /// The policy's base rate.
    pub rate: f64,
    /// Traces no rule decided (tenants with their own base rate aside).
    pub traces: u64,
    /// Spans of those traces.
    pub spans: u64,
    /// `traces × rate`, rounded to 2 decimals: the expected number kept.
    pub expected: f64,
    /// Traces kept.
    pub kept: u64,
}

/// One tenant override's traces.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantReport {
    /// The tenant id.
    pub tenant: String,
    /// The tenant's traces.
    pub traces: u64,
    /// Spans of those traces.
    pub spans: u64,
    /// Traces kept.
    pub kept: u64,
    /// Those of its traces that no rule decided.
    pub base_rate: TenantBaseRateReport,
}

/// A tenant's traces that no rule decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantBaseRateReport {
    /// The rate applied to them.
    pub rate: f64,
    /// Whose base rate that is.
    pub source: BaseRateSource,
    /// Traces.
    pub traces: u64,
    /// Spans of those traces.
    pub spans: u64,
    /// `traces × rate`, rounded to 2 decimals.
    pub expected: f64,
    /// Traces kept.
    pub kept: u64,
}

/// Where the base rate applied to a tenant's traces comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseRateSource {
    /// The policy's `sampling.base_rate`: the override sets none.
    #[default]
    Policy,
    /// The override's own `base_rate`.
    Tenant,
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

/// The upper bounds of the duration buckets, in nanoseconds: 1, 2, 5 by decades from
/// 1 ms to 100 s (spec/replay.md, "Durations").
pub const DURATION_BOUNDS_NANOS: [u64; 16] = [
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
    20_000_000_000,
    50_000_000_000,
    100_000_000_000,
];

/// Whole-trace durations of every trace and of the kept ones, in fixed buckets.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DurationHistogram {
    /// The buckets' upper bounds, in milliseconds ([`DURATION_BOUNDS_NANOS`]).
    pub bounds_ms: Vec<f64>,
    /// Traces per bucket: one more bucket than bounds, the last unbounded.
    pub total: [u64; DURATION_BOUNDS_NANOS.len() + 1],
    /// Kept traces per bucket.
    pub kept: [u64; DURATION_BOUNDS_NANOS.len() + 1],
    /// Traces without a usable time, in no bucket.
    pub untimed: Counts,
}

impl DurationHistogram {
    /// Counts one trace from its earliest non-zero start (0 when none) and latest end.
    fn add(&mut self, start: u64, end: u64, keep: bool) {
        if start == 0 || end < start {
            self.untimed.add(1, keep);
            return;
        }
        let bucket = DURATION_BOUNDS_NANOS.partition_point(|&bound| bound <= end - start);
        self.total[bucket] += 1;
        self.kept[bucket] += u64::from(keep);
    }
}

/// Estimated cost, in US dollars rounded to cents; the parts add up.
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
    /// `cost_total − cost_kept`.
    pub cost_saved: f64,
    /// The same shares of 1 TB (1,000 GB) ingested.
    pub per_tb: Cost,
}

/// A cost split into what is kept and what is saved: `kept + saved = total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Cost {
    /// All of it.
    pub total: f64,
    /// What is kept.
    pub kept: f64,
    /// `total − kept`.
    pub saved: f64,
}

impl SavingsReport {
    #[allow(clippy::cast_precision_loss)] // report figures
    fn new(bytes: &Counts, price_per_gb: f64) -> Self {
        let split = |total: u64, kept: u64| {
            let kept = kept.min(total);
            (total, kept)
        };
        let gb = |bytes: u64| bytes as f64 / 1e9;
        let (total, kept) = split(
            cents(gb(bytes.total) * price_per_gb),
            cents(gb(bytes.kept) * price_per_gb),
        );
        let tb_total = cents(1000.0 * price_per_gb);
        let (tb_total, tb_kept) = split(
            tb_total,
            cents(1000.0 * price_per_gb * ratio(bytes.kept, bytes.total)),
        );
        Self {
            price_per_gb,
            bytes_dropped: bytes.total - bytes.kept,
            cost_total: dollars(total),
            cost_kept: dollars(kept),
            cost_saved: dollars(total - kept),
            per_tb: Cost {
                total: dollars(tb_total),
                kept: dollars(tb_kept),
                saved: dollars(tb_total - tb_kept),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_conditions_compile() {
        assert_eq!(ERROR_CONDITION.rules().len(), 1);
        for threshold in [0, 1, 1_000_000_000, u64::MAX] {
            assert_eq!(slow_condition(threshold).rules().len(), 1);
        }
    }

    #[test]
    fn figures_have_no_float_noise_and_no_negative_zero() {
        // 0.05 × 1,243 is 62.150000000000006 in f64.
        assert_eq!(
            serde_json::to_string(&expected(1243, 0.05)).ok().as_deref(),
            Some("62.15")
        );
        assert_eq!(
            serde_json::to_string(&round_to_cents(-0.0)).ok().as_deref(),
            Some("0.0")
        );
        assert_eq!(
            serde_json::to_string(&expected(0, 0.1)).ok().as_deref(),
            Some("0.0")
        );
    }

    #[test]
    fn money_adds_up_in_cents() {
        // 4,619,175 bytes at $0.10/GB, 558,383 kept: 0.046, 0.0056 → cents.
        let savings = SavingsReport::new(
            &Counts {
                total: 4_619_175_000_000,
                kept: 558_383_000_000,
            },
            0.10,
        );
        assert_eq!(
            (savings.cost_total, savings.cost_kept, savings.cost_saved),
            (461.92, 55.84, 406.08)
        );
        assert_eq!(
            savings.per_tb,
            Cost {
                total: 100.0,
                kept: 12.09,
                saved: 87.91
            }
        );
        // Each part rounded on its own would give 55.84 + 406.08 = 461.92 here, but not
        // in general; the saved part is always the difference.
        for kept in [0, 1, 4_999_999, 5_000_000, 9_999_999_999] {
            let s = SavingsReport::new(
                &Counts {
                    total: 9_999_999_999,
                    kept,
                },
                0.37,
            );
            assert_eq!(
                cents(s.cost_kept) + cents(s.cost_saved),
                cents(s.cost_total)
            );
            assert_eq!(
                cents(s.per_tb.kept) + cents(s.per_tb.saved),
                cents(s.per_tb.total)
            );
        }
    }

    #[test]
    fn durations_fall_in_their_buckets() {
        let mut histogram = DurationHistogram::default();
        let at = 1_700_000_000_000_000_000;
        // [0 ns, 999,999 ns] → 0; exactly 1 ms → 1; just under 2 ms → 1; 100 s and more → 16.
        for (duration, bucket) in [
            (0, 0),
            (999_999, 0),
            (1_000_000, 1),
            (1_999_999, 1),
            (2_000_000, 2),
            (999_999_999, 9),
            (1_000_000_000, 10),
            (100_000_000_000, 16),
            (u64::MAX - at, 16),
        ] {
            let before = histogram.total[bucket];
            histogram.add(at, at + duration, bucket % 2 == 0);
            assert_eq!(histogram.total[bucket], before + 1, "{duration} ns");
        }
        histogram.add(0, at, true);
        histogram.add(at, at - 1, false);
        assert_eq!(histogram.untimed, Counts { total: 2, kept: 1 });
        assert_eq!(histogram.total.iter().sum::<u64>(), 9);
        assert_eq!(histogram.kept.iter().sum::<u64>(), 6);
    }

    /// Bytes of one trace's entry in the trace map, as documented above.
    const TRACE_STATE_BYTES: usize = 176;

    #[test]
    fn per_trace_state_is_small() {
        // Documented in the module docs and spec/replay.md ("Memory").
        let entry = std::mem::size_of::<([u8; 16], TraceState)>();
        assert!(entry <= TRACE_STATE_BYTES, "{entry} bytes per trace");
    }
}
