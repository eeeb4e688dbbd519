//! The counters of spec/runtime.md, "Counters": one relaxed atomic each.

use std::sync::atomic::{AtomicU64, Ordering};

/// One counter of [`Counters`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    TracesKept,
    TracesDropped,
    SpansKept,
    SpansDropped,
    KeptUpstream,
    DecidedOnRoot,
    DecidedSpanBound,
    DecidedTraceBound,
    DecidedAgeBound,
    DecidedOnFlush,
    LateSpans,
    MalformedTraceState,
    AfterShutdown,
    LogsKept,
    LogsDropped,
    LogsDroppedBound,
    LogsExpired,
}

const COUNT: usize = Counter::LogsExpired as usize + 1;

/// The live counters of a processor.
#[derive(Debug, Default)]
pub(crate) struct Counters([AtomicU64; COUNT]);

impl Counters {
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        self.0[counter as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: Counter| self.0[c as usize].load(Ordering::Relaxed);
        Stats {
            traces_kept: get(Counter::TracesKept),
            traces_dropped: get(Counter::TracesDropped),
            spans_kept: get(Counter::SpansKept),
            spans_dropped: get(Counter::SpansDropped),
            kept_upstream: get(Counter::KeptUpstream),
            decided_on_root: get(Counter::DecidedOnRoot),
            decided_span_bound: get(Counter::DecidedSpanBound),
            decided_trace_bound: get(Counter::DecidedTraceBound),
            decided_age_bound: get(Counter::DecidedAgeBound),
            decided_on_flush: get(Counter::DecidedOnFlush),
            late_spans: get(Counter::LateSpans),
            malformed_trace_state: get(Counter::MalformedTraceState),
            after_shutdown: get(Counter::AfterShutdown),
            logs_kept: get(Counter::LogsKept),
            logs_dropped: get(Counter::LogsDropped),
            logs_dropped_bound: get(Counter::LogsDroppedBound),
            logs_expired: get(Counter::LogsExpired),
        }
    }
}

/// A snapshot of a processor's counters (spec/runtime.md, "Counters"), monotonic from
/// its creation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Local traces decided keep (early decisions included).
    pub traces_kept: u64,
    /// Local traces decided drop.
    pub traces_dropped: u64,
    /// Spans passed on to the next processor.
    pub spans_kept: u64,
    /// Spans released.
    pub spans_dropped: u64,
    /// Local traces kept by the upstream threshold rule.
    pub kept_upstream: u64,
    /// Decisions made when a local root ended.
    pub decided_on_root: u64,
    /// Early decisions: a local trace reached `max_spans_per_trace`.
    pub decided_span_bound: u64,
    /// Early decisions: the buffer reached `max_traces`.
    pub decided_trace_bound: u64,
    /// Early decisions: a local trace waited longer than `max_age`.
    pub decided_age_bound: u64,
    /// Decisions made by `force_flush` or `shutdown`.
    pub decided_on_flush: u64,
    /// Spans that followed a remembered decision.
    pub late_spans: u64,
    /// Local traces whose `ot` trace state entry (or a member of it) was ignored as
    /// malformed.
    pub malformed_trace_state: u64,
    /// Spans received after shutdown (released).
    pub after_shutdown: u64,
    /// Log records passed on.
    pub logs_kept: u64,
    /// Log records released because their trace was dropped.
    pub logs_dropped: u64,
    /// Log records released because their trace had `max_logs_per_trace` buffered.
    pub logs_dropped_bound: u64,
    /// Log records released because their trace was not decided in time.
    pub logs_expired: u64,
}
