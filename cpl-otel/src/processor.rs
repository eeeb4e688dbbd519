//! The span processor: [`CplProcessor`] and its [`Builder`].

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cpl_eval::Evaluator;
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use opentelemetry_sdk::Resource;

use crate::core::{Core, Next};
use crate::counters::Stats;
use crate::logs::CplLogProcessor;
use crate::options::{BuildError, Options};

/// The next processor, as the core sees it.
#[derive(Debug)]
pub(crate) struct Inner<P>(pub(crate) P);

impl<P: SpanProcessor> Next for Inner<P> {
    fn pass(&self, span: SpanData) {
        self.0.on_end(span);
    }
}

/// A span processor that decides each local trace with a CPL policy and passes the
/// spans it keeps to the next processor (spec/runtime.md).
///
/// Build it with [`Builder`], over the processor that exports (the SDK's
/// `BatchSpanProcessor` or `SimpleSpanProcessor` with your exporter), and register only
/// it with the tracer provider. The provider's sampler must record every span
/// (`Sampler::AlwaysOn`, the default, or `ParentBased(AlwaysOn)`).
#[derive(Debug)]
pub struct CplProcessor<P: SpanProcessor> {
    core: Arc<Core<Inner<P>>>,
    resource: Arc<Resource>,
}

/// Builds a [`CplProcessor`] from a policy that loads and compiles.
#[derive(Debug)]
pub struct Builder {
    evaluator: Evaluator,
    options: Options,
}

impl Builder {
    /// The policy in `yaml`, loaded and compiled. A policy with errors is refused here,
    /// with the loader's diagnostics, so no span can ever find it broken.
    pub fn from_yaml(yaml: &str) -> Result<Self, BuildError> {
        let loaded = cpl_syntax::load_policy(yaml);
        match loaded.policy {
            Some(policy) => Self::from_policy(&policy),
            None => Err(BuildError::Policy {
                errors: loaded.diagnostics,
            }),
        }
    }

    /// A loaded policy, compiled.
    pub fn from_policy(policy: &cpl_syntax::Policy) -> Result<Self, BuildError> {
        Ok(Self::from_evaluator(Evaluator::compile(policy)?))
    }

    /// A compiled policy.
    pub fn from_evaluator(evaluator: Evaluator) -> Self {
        Self {
            evaluator,
            options: Options::default(),
        }
    }

    /// Sets every bound and choice at once.
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Sets `max_traces`.
    #[must_use]
    pub fn max_traces(mut self, n: usize) -> Self {
        self.options.max_traces = n;
        self
    }

    /// Sets `max_spans_per_trace`.
    #[must_use]
    pub fn max_spans_per_trace(mut self, n: usize) -> Self {
        self.options.max_spans_per_trace = n;
        self
    }

    /// Sets `max_age`.
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.options.max_age = age;
        self
    }

    /// Sets `max_decisions`.
    #[must_use]
    pub fn max_decisions(mut self, n: usize) -> Self {
        self.options.max_decisions = n;
        self
    }

    /// Whether a consistent upstream `th` keeps what the policy drops (default: yes).
    #[must_use]
    pub fn honor_upstream_threshold(mut self, honor: bool) -> Self {
        self.options.honor_upstream_threshold = honor;
        self
    }

    /// Whether kept spans carry their decision's `th` (default: yes).
    #[must_use]
    pub fn write_threshold(mut self, write: bool) -> Self {
        self.options.write_threshold = write;
        self
    }

    /// The processor, passing what it keeps to `next`.
    pub fn build<P: SpanProcessor>(self, next: P) -> Result<CplProcessor<P>, BuildError> {
        let o = &self.options;
        for (name, value) in [
            ("max_traces", o.max_traces),
            ("max_spans_per_trace", o.max_spans_per_trace),
            ("max_decisions", o.max_decisions),
            ("max_logs_per_trace", o.max_logs_per_trace),
        ] {
            if value == 0 {
                return Err(BuildError::ZeroBound(name));
            }
        }
        Ok(CplProcessor {
            core: Arc::new(Core::new(self.evaluator, self.options, Inner(next))),
            resource: Arc::new(Resource::builder_empty().build()),
        })
    }
}

impl<P: SpanProcessor> CplProcessor<P> {
    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.core.counters.snapshot()
    }

    /// The compiled policy.
    pub fn evaluator(&self) -> &Evaluator {
        &self.core.evaluator
    }

    /// Another processor over the same buffer, decisions, counters and next processor,
    /// reading its spans with its own resource: for several tracer providers in one
    /// process whose spans belong to the same traces. Shutting one down shuts all
    /// down. The next processor receives `set_resource` only while it is not shared.
    #[must_use]
    pub fn share(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
            resource: Arc::clone(&self.resource),
        }
    }

    /// A log processor whose records with a trace id follow this processor's
    /// decisions (spec/runtime.md, "Logs follow traces"), passing what it keeps to
    /// `next`.
    pub fn log_processor<L: opentelemetry_sdk::logs::LogProcessor + 'static>(
        &self,
        next: L,
    ) -> CplLogProcessor<L>
    where
        P: 'static,
    {
        CplLogProcessor::new(self.core.clone(), next)
    }
}

impl<P: SpanProcessor> SpanProcessor for CplProcessor<P> {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        self.core.on_end(span, &self.resource);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.core.flush();
        self.core.inner.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.core.shut_down.store(true, Ordering::Release);
        self.core.flush();
        self.core.inner.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = Arc::new(resource.clone());
        if let Some(core) = Arc::get_mut(&mut self.core) {
            core.inner.0.set_resource(resource);
        }
    }
}
