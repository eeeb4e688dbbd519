//! Logs follow traces (spec/runtime.md, "Logs follow traces"): [`CplLogProcessor`].
//!
//! A record with a trace id waits, in a buffer sharded like the span processor's, for
//! its trace's decision; the span processor tells this one of each decision
//! ([`DecisionListener`]), which passes on or releases the records waiting for it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogProcessor, SdkLogRecord};
use opentelemetry_sdk::Resource;

use crate::core::{Core, DecisionListener, IdMap, Next};
use crate::counters::{Counter, Counters};

const SHARDS: usize = 16;

/// What the log processor needs of the span processor's core.
pub(crate) trait Decisions: Send + Sync + std::fmt::Debug {
    fn decision(&self, trace_id: &[u8; 16]) -> Option<bool>;
    fn counters(&self) -> &Counters;
    fn max_age(&self) -> Duration;
    fn max_logs_per_trace(&self) -> usize;
    fn listen(&self, listener: std::sync::Weak<dyn DecisionListener>);
}

impl<P: Next + std::fmt::Debug + 'static> Decisions for Core<P> {
    fn decision(&self, trace_id: &[u8; 16]) -> Option<bool> {
        Core::decision(self, trace_id)
    }
    fn counters(&self) -> &Counters {
        &self.counters
    }
    fn max_age(&self) -> Duration {
        self.options.max_age
    }
    fn max_logs_per_trace(&self) -> usize {
        self.options.max_logs_per_trace
    }
    fn listen(&self, listener: std::sync::Weak<dyn DecisionListener>) {
        // One log processor per span processor: a second one is told nothing.
        let _ = self.listener.set(listener);
    }
}

type Record = (SdkLogRecord, InstrumentationScope);

#[derive(Debug)]
struct Waiting {
    records: Vec<Record>,
    since: Instant,
}

#[derive(Debug, Default)]
struct Shard {
    waiting: IdMap<Waiting>,
    order: VecDeque<([u8; 16], Instant)>,
}

#[derive(Debug)]
struct LogCore<L> {
    spans: Arc<dyn Decisions>,
    next: L,
    shards: Box<[Mutex<Shard>]>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A log processor whose records follow their trace's decision: see
/// [`CplProcessor::log_processor`](crate::CplProcessor::log_processor).
#[derive(Debug)]
pub struct CplLogProcessor<L: LogProcessor + 'static> {
    core: Arc<LogCore<L>>,
    /// The span processor is told where to send decisions at the first record, after
    /// the provider has called `set_resource` (which needs the core unshared).
    listening: std::sync::Once,
}

impl<L: LogProcessor + 'static> CplLogProcessor<L> {
    pub(crate) fn new<P: Next + std::fmt::Debug + 'static>(spans: Arc<Core<P>>, next: L) -> Self
    where
        L: 'static,
    {
        let core = Arc::new(LogCore {
            spans: spans as Arc<dyn Decisions>,
            next,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        });
        Self {
            core,
            listening: std::sync::Once::new(),
        }
    }
}

impl<L: LogProcessor> LogCore<L> {
    fn shard(&self, trace_id: &[u8; 16]) -> &Mutex<Shard> {
        &self.shards[usize::from(trace_id[15]) % SHARDS]
    }

    fn pass(&self, records: impl IntoIterator<Item = Record>, keep: bool) {
        let counters = self.spans.counters();
        for (mut record, scope) in records {
            if keep {
                counters.add(Counter::LogsKept, 1);
                self.next.emit(&mut record, &scope);
            } else {
                counters.add(Counter::LogsDropped, 1);
            }
        }
    }

    /// Releases what waited longer than twice `max_age` (the span processor decides
    /// at `max_age`, when its shard is next touched).
    fn expire(&self, shard: &mut Shard, now: Instant, all: bool) -> u64 {
        let limit = self.spans.max_age().saturating_mul(2);
        let mut expired = 0;
        while let Some(&(id, since)) = shard.order.front() {
            if !all && now.saturating_duration_since(since) < limit {
                break;
            }
            shard.order.pop_front();
            if shard.waiting.get(&id).is_some_and(|w| w.since == since) {
                if let Some(w) = shard.waiting.remove(&id) {
                    expired += w.records.len() as u64;
                }
            }
        }
        expired
    }
}

impl<L: LogProcessor> DecisionListener for LogCore<L> {
    fn decided(&self, trace_id: [u8; 16], keep: bool) {
        let waiting = lock(self.shard(&trace_id)).waiting.remove(&trace_id);
        if let Some(waiting) = waiting {
            self.pass(waiting.records, keep);
        }
    }
}

impl<L: LogProcessor + 'static> LogProcessor for CplLogProcessor<L> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        self.listening.call_once(|| {
            let listener: Arc<dyn DecisionListener> = self.core.clone();
            self.core.spans.listen(Arc::downgrade(&listener));
        });
        let core = &*self.core;
        let counters = core.spans.counters();
        let Some(trace_id) = record.trace_context().map(|c| c.trace_id.to_bytes()) else {
            counters.add(Counter::LogsKept, 1);
            core.next.emit(record, scope);
            return;
        };
        let now = Instant::now();
        let decision = {
            // Lock order: this shard, then (inside `decision`) the span shard. A decision
            // is recorded before its listener takes this lock, so a record either sees
            // the decision here or is waiting when the listener looks.
            let mut shard = lock(core.shard(&trace_id));
            let expired = core.expire(&mut shard, now, false);
            counters.add(Counter::LogsExpired, expired);
            let decision = core.spans.decision(&trace_id);
            if decision.is_none() {
                let max = core.spans.max_logs_per_trace();
                let shard = &mut *shard;
                let waiting = shard.waiting.entry(trace_id).or_insert_with(|| {
                    shard.order.push_back((trace_id, now));
                    Waiting {
                        records: Vec::new(),
                        since: now,
                    }
                });
                if waiting.records.len() < max {
                    waiting.records.push((record.clone(), scope.clone()));
                } else {
                    counters.add(Counter::LogsDroppedBound, 1);
                }
            }
            decision
        };
        match decision {
            Some(true) => {
                counters.add(Counter::LogsKept, 1);
                core.next.emit(record, scope);
            }
            Some(false) => counters.add(Counter::LogsDropped, 1),
            None => {}
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.core.next.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let core = &*self.core;
        let now = Instant::now();
        for shard in &*core.shards {
            let mut shard = lock(shard);
            let expired = core.expire(&mut shard, now, true);
            core.spans.counters().add(Counter::LogsExpired, expired);
        }
        core.next.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        if let Some(core) = Arc::get_mut(&mut self.core) {
            core.next.set_resource(resource);
        }
    }
}
