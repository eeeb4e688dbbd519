//! The buffer of local traces, the remembered decisions, and the counters
//! (spec/runtime.md): everything the span and log processors share.
//!
//! The buffer is sharded by trace id. A shard's lock is held only to move spans in or
//! out of it; evaluating the policy and calling the next processor happen unlocked.
//! A local trace being decided stays in its shard marked `deciding`, so that spans
//! ending meanwhile wait there and follow the decision once it is recorded.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Instant;

use cpl_eval::{Evaluator, Reason, RuleSet, SpanView, ThresholdHex, TraceTenant};
use opentelemetry::trace::{SpanContext, SpanId};
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;

use crate::counters::{Counter, Counters};
use crate::options::Options;
use crate::view::SdkSpan;

/// Shards of the buffer: a power of two, enough for the cores an SDK process uses.
const SHARDS: usize = 16;

/// A span held back, with what the policy reads besides the span itself.
#[derive(Debug)]
pub(crate) struct Buffered {
    pub(crate) data: SpanData,
    resource: Arc<Resource>,
    /// The trace state as a header, only for policies that read it.
    header: Option<Box<str>>,
}

impl Buffered {
    fn view(&self) -> SdkSpan<'_> {
        SdkSpan::new(
            &self.data,
            &self.resource,
            self.header.as_deref().unwrap_or(""),
        )
    }
}

/// Forwarding to [`SdkSpan`], so a slice of buffered spans is a trace for
/// [`Evaluator::add_trace_matches`].
impl SpanView for Buffered {
    fn trace_id(&self) -> [u8; 16] {
        self.view().trace_id()
    }
    fn span_id(&self) -> [u8; 8] {
        self.view().span_id()
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        self.view().parent_span_id()
    }
    fn name(&self) -> &str {
        &self.data.name
    }
    fn kind(&self) -> cpl_eval::SpanKind {
        self.view().kind()
    }
    fn status(&self) -> cpl_eval::StatusCode {
        self.view().status()
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.view().start_time_unix_nano()
    }
    fn end_time_unix_nano(&self) -> u64 {
        self.view().end_time_unix_nano()
    }
    fn attribute(&self, key: &str) -> Option<cpl_eval::AttrValue<'_>> {
        crate::view::attribute(&self.data, key)
    }
    fn resource_attribute(&self, key: &str) -> Option<cpl_eval::AttrValue<'_>> {
        crate::view::resource_attribute(&self.resource, key)
    }
    fn first_attribute(&self, keys: &cpl_eval::KeySet) -> Option<(usize, cpl_eval::AttrValue<'_>)> {
        crate::view::first_attribute(&self.data, keys)
    }
    fn trace_state(&self) -> &str {
        self.header.as_deref().unwrap_or("")
    }
    fn flags(&self) -> u32 {
        self.view().flags()
    }
}

/// What a decision does to the spans of its trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) keep: bool,
    /// The `th` to write on kept spans; `None` leaves the trace state as it is.
    write: Option<u64>,
}

/// Why a local trace is decided now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    Root,
    SpanBound,
    TraceBound,
    Age,
    Flush,
}

/// A local trace taken out of the buffer to be decided.
#[derive(Debug)]
struct Work {
    trace_id: [u8; 16],
    trigger: Trigger,
    spans: Vec<Buffered>,
}

#[derive(Debug)]
struct Pending {
    spans: Vec<Buffered>,
    since: Instant,
    deciding: bool,
}

/// Trace ids are random: their low bytes are a good hash already.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
}

pub(crate) type IdMap<V> = HashMap<[u8; 16], V, BuildHasherDefault<IdHasher>>;

#[derive(Debug, Default)]
struct Shard {
    pending: IdMap<Pending>,
    /// Local traces by arrival, oldest first; entries of traces decided since are
    /// stale and skipped (and compacted away when they pile up).
    order: VecDeque<([u8; 16], Instant)>,
    decided: IdMap<Outcome>,
    decided_order: VecDeque<[u8; 16]>,
}

impl Shard {
    /// Takes out the oldest local trace that is not being decided.
    fn take_oldest(
        &mut self,
        trigger: Trigger,
        now: Instant,
        max_age: Option<std::time::Duration>,
        work: &mut Vec<Work>,
    ) -> bool {
        while let Some(&(id, since)) = self.order.front() {
            if let Some(max_age) = max_age {
                if now.saturating_duration_since(since) < max_age {
                    return false;
                }
            }
            self.order.pop_front();
            if let Some(pending) = self.pending.get_mut(&id) {
                if pending.since == since && !pending.deciding {
                    pending.deciding = true;
                    work.push(Work {
                        trace_id: id,
                        trigger,
                        spans: std::mem::take(&mut pending.spans),
                    });
                    return true;
                }
            }
        }
        false
    }

    fn remember(&mut self, id: [u8; 16], outcome: Outcome, capacity: usize) {
        if self.decided.insert(id, outcome).is_none() {
            self.decided_order.push_back(id);
        }
        while self.decided_order.len() > capacity {
            if let Some(old) = self.decided_order.pop_front() {
                self.decided.remove(&old);
            }
        }
    }
}

/// Told of each decision: the log processor.
pub(crate) trait DecisionListener: Send + Sync + std::fmt::Debug {
    fn decided(&self, trace_id: [u8; 16], keep: bool);
}

/// What every handle of a span processor shares.
#[derive(Debug)]
pub(crate) struct Core<P> {
    pub(crate) evaluator: Evaluator,
    pub(crate) options: Options,
    shards: Box<[Mutex<Shard>]>,
    traces_per_shard: usize,
    decisions_per_shard: usize,
    pub(crate) counters: Counters,
    pub(crate) inner: P,
    pub(crate) shut_down: AtomicBool,
    pub(crate) listener: OnceLock<Weak<dyn DecisionListener>>,
    has_tenants: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another thread's critical section leaves the maps consistent (every
    // section is a few map operations), so a poisoned lock is used as it is.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sink of kept spans: the next processor.
pub(crate) trait Next: Send + Sync {
    fn pass(&self, span: SpanData);
}

impl<P: Next> Core<P> {
    pub(crate) fn new(evaluator: Evaluator, options: Options, inner: P) -> Self {
        let has_tenants = evaluator.tenant_overrides().len() > 0;
        Self {
            evaluator,
            options,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            traces_per_shard: options.max_traces.div_ceil(SHARDS).max(1),
            decisions_per_shard: options.max_decisions.div_ceil(SHARDS).max(1),
            counters: Counters::default(),
            inner,
            shut_down: AtomicBool::new(false),
            listener: OnceLock::new(),
            has_tenants,
        }
    }

    fn shard(&self, trace_id: &[u8; 16]) -> &Mutex<Shard> {
        &self.shards[usize::from(trace_id[15]) % SHARDS]
    }

    /// The remembered decision of a trace, if any.
    pub(crate) fn decision(&self, trace_id: &[u8; 16]) -> Option<bool> {
        lock(self.shard(trace_id))
            .decided
            .get(trace_id)
            .map(|o| o.keep)
    }

    /// `on_end`: spec/runtime.md, "Local traces".
    pub(crate) fn on_end(&self, data: SpanData, resource: &Arc<Resource>) {
        if self.shut_down.load(Ordering::Acquire) {
            self.counters.add(Counter::AfterShutdown, 1);
            return;
        }
        let trace_id = data.span_context.trace_id().to_bytes();
        let local_root = data.parent_span_id == SpanId::INVALID || data.parent_span_is_remote;
        let header = if self.evaluator.reads_span_detail() {
            Some(data.span_context.trace_state().header().into_boxed_str())
        } else {
            None
        };
        let span = Buffered {
            data,
            resource: Arc::clone(resource),
            header,
        };
        let now = Instant::now();
        let mut work = Vec::new();
        let follow = {
            let mut shard = lock(self.shard(&trace_id));
            while shard.take_oldest(Trigger::Age, now, Some(self.options.max_age), &mut work) {}
            if let Some(&outcome) = shard.decided.get(&trace_id) {
                Some((outcome, span))
            } else {
                if !shard.pending.contains_key(&trace_id) {
                    if shard.pending.len() >= self.traces_per_shard {
                        shard.take_oldest(Trigger::TraceBound, now, None, &mut work);
                    }
                    shard.pending.insert(
                        trace_id,
                        Pending {
                            spans: Vec::new(),
                            since: now,
                            deciding: false,
                        },
                    );
                    shard.order.push_back((trace_id, now));
                    if shard.order.len() > 2 * self.traces_per_shard + 16 {
                        let Shard { order, pending, .. } = &mut *shard;
                        order.retain(|(id, since)| {
                            pending.get(id).is_some_and(|p| p.since == *since)
                        });
                    }
                }
                let max_spans = self.options.max_spans_per_trace;
                if let Some(pending) = shard.pending.get_mut(&trace_id) {
                    pending.spans.push(span);
                    if !pending.deciding && (local_root || pending.spans.len() >= max_spans) {
                        pending.deciding = true;
                        work.push(Work {
                            trace_id,
                            trigger: if local_root {
                                Trigger::Root
                            } else {
                                Trigger::SpanBound
                            },
                            spans: std::mem::take(&mut pending.spans),
                        });
                    }
                }
                None
            }
        };
        if let Some((outcome, span)) = follow {
            self.counters.add(Counter::LateSpans, 1);
            self.dispatch(outcome, span.data);
        }
        for item in work {
            self.decide_and_pass(item);
        }
    }

    /// Decides every buffered local trace on what it has: `force_flush` and `shutdown`.
    pub(crate) fn flush(&self) {
        let now = Instant::now();
        for shard in &*self.shards {
            let mut work = Vec::new();
            {
                let mut shard = lock(shard);
                while shard.take_oldest(Trigger::Flush, now, None, &mut work) {}
            }
            for item in work {
                self.decide_and_pass(item);
            }
        }
    }

    fn decide_and_pass(&self, work: Work) {
        let outcome = self.decide(&work.trace_id, &work.spans);
        let counter = match work.trigger {
            Trigger::Root => Counter::DecidedOnRoot,
            Trigger::SpanBound => Counter::DecidedSpanBound,
            Trigger::TraceBound => Counter::DecidedTraceBound,
            Trigger::Age => Counter::DecidedAgeBound,
            Trigger::Flush => Counter::DecidedOnFlush,
        };
        self.counters.add(counter, 1);
        self.counters.add(
            if outcome.keep {
                Counter::TracesKept
            } else {
                Counter::TracesDropped
            },
            1,
        );
        let late = {
            let mut shard = lock(self.shard(&work.trace_id));
            shard.remember(work.trace_id, outcome, self.decisions_per_shard);
            shard.pending.remove(&work.trace_id).map(|p| p.spans)
        };
        for span in work.spans.into_iter().chain(late.into_iter().flatten()) {
            self.dispatch(outcome, span.data);
        }
        if let Some(listener) = self.listener.get().and_then(Weak::upgrade) {
            listener.decided(work.trace_id, outcome.keep);
        }
    }

    /// The decision of a local trace: the policy's, as replay makes it, then the
    /// upstream threshold rule.
    fn decide(&self, trace_id: &[u8; 16], spans: &[Buffered]) -> Outcome {
        let evaluator = &self.evaluator;
        let mut matched = RuleSet::new();
        evaluator.add_trace_matches(spans, &mut matched);
        let mut tenant = TraceTenant::new();
        if self.has_tenants {
            for span in spans {
                if let Some(id) = evaluator.tenant_of(span) {
                    tenant.observe(span.parent_span_id().is_none(), id);
                }
            }
        }
        let decision = evaluator.decide_trace(*trace_id, &matched, tenant.get());
        let upstream = self.upstream_keeps(trace_id, spans);
        if decision.keep {
            let rate = match decision.reason {
                Reason::Rule { rate, .. }
                | Reason::BaseRate { rate }
                | Reason::TenantBaseRate { rate, .. } => rate,
            };
            return Outcome {
                keep: true,
                write: Some(cpl_eval::threshold(rate).unwrap_or(0)),
            };
        }
        if upstream && self.options.honor_upstream_threshold {
            self.counters.add(Counter::KeptUpstream, 1);
            return Outcome {
                keep: true,
                write: None,
            };
        }
        Outcome {
            keep: false,
            write: None,
        }
    }

    /// Whether the caller's trace state says upstream kept the trace: a sampled context
    /// with a valid `th` at most the trace's randomness (spec/runtime.md, "What a
    /// downstream processor does with an upstream `th`"). Counts malformed values.
    fn upstream_keeps(&self, trace_id: &[u8; 16], spans: &[Buffered]) -> bool {
        // The trace state the caller sent: that of the first span with a remote parent,
        // else of the first span.
        let Some(first) = spans
            .iter()
            .find(|s| s.data.parent_span_is_remote)
            .or_else(|| spans.first())
        else {
            return false;
        };
        let context = &first.data.span_context;
        let Some(ot) = context.trace_state().get("ot") else {
            return false;
        };
        let ot = cpl_eval::OtSampling::parse_value(ot);
        if ot.malformed {
            self.counters.add(Counter::MalformedTraceState, 1);
        }
        let randomness = ot
            .randomness
            .unwrap_or_else(|| cpl_eval::randomness(*trace_id));
        context.is_sampled() && ot.threshold.is_some_and(|t| t <= randomness)
    }

    fn dispatch(&self, outcome: Outcome, mut span: SpanData) {
        if !outcome.keep {
            self.counters.add(Counter::SpansDropped, 1);
            return;
        }
        self.counters.add(Counter::SpansKept, 1);
        if self.options.write_threshold {
            if let Some(t) = outcome.write {
                span.span_context = with_threshold(&span.span_context, t);
            }
        }
        self.inner.pass(span);
    }
}

/// The span context with `th` set to `t` in its `ot` entry (spec/runtime.md,
/// "Writing"), or removed when a valid `rv` below `t` would make it inconsistent.
fn with_threshold(context: &SpanContext, t: u64) -> SpanContext {
    let state = context.trace_state();
    let old = state.get("ot");
    let ot = old
        .map(cpl_eval::OtSampling::parse_value)
        .unwrap_or_default();
    let consistent = ot.randomness.is_none_or(|r| t <= r);
    let value = cpl_eval::ot_value_with_threshold(old, consistent.then(|| ThresholdHex::new(t)));
    let state = match value {
        Some(value) => state.insert("ot", value),
        None => state.delete("ot"),
    }
    .unwrap_or_else(|_| state.clone());
    SpanContext::new(
        context.trace_id(),
        context.span_id(),
        context.trace_flags(),
        context.is_remote(),
        state,
    )
}
