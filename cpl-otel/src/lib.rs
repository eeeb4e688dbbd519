//! Deferred head sampling in the OpenTelemetry Rust SDK, decided by a CPL policy.
//!
//! A [`CplProcessor`] holds the spans of each trace back until its local root (a span
//! without a parent, or with a remote one) ends, decides the local trace with the
//! policy exactly as `cpl replay` would, and passes the spans it keeps to the next
//! processor; bounds, trace state (OTEP 235 `th`/`rv`) and shutdown are those of
//! spec/runtime.md. [`CplProcessor::log_processor`] makes log records follow their
//! trace's decision.
//!
//! # Embedding
//!
//! ```
//! use cpl_otel::Builder;
//! use opentelemetry::trace::{Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
//! use opentelemetry::{Context, KeyValue};
//! use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
//!
//! // A policy that does not load is refused here, with its diagnostics.
//! let policy = r#"
//! sampling:
//!   base_rate: 0
//!   conditions:
//!     - name: server_errors
//!       when: "status_code >= 500"
//! "#;
//! // In a service: `BatchSpanProcessor::builder(otlp_exporter).build()`.
//! let exporter = InMemorySpanExporter::default();
//! let processor = Builder::from_yaml(policy)?.build(SimpleSpanProcessor::new(exporter.clone()))?;
//! let counters = processor.share(); // a handle to read the counters from
//! let provider = SdkTracerProvider::builder().with_span_processor(processor).build();
//! let tracer = provider.tracer("checkout");
//!
//! // A request whose downstream call fails: kept, whole.
//! let request = Context::current_with_span(tracer.start("GET /cart"));
//! let mut call = tracer.start_with_context("POST /payments", &request);
//! call.set_attribute(KeyValue::new("http.response.status_code", 503));
//! call.end();
//! assert!(exporter.get_finished_spans()?.is_empty(), "held until the root ends");
//! request.span().end();
//! assert_eq!(exporter.get_finished_spans()?.len(), 2);
//!
//! // A routine request: the base rate 0 drops it, whole.
//! let request = Context::current_with_span(tracer.start("GET /cart"));
//! tracer.start_with_context("SELECT cart", &request).end();
//! request.span().end();
//!
//! let exported = exporter.get_finished_spans()?;
//! let names: Vec<&str> = exported.iter().map(|s| &*s.name).collect();
//! assert_eq!(names, ["POST /payments", "GET /cart"]);
//! // Kept by a rule at rate 1: OTEP 235 threshold 0 for backends that weigh spans.
//! assert_eq!(exported[0].span_context.trace_state().header(), "ot=th:0");
//! let stats = counters.stats();
//! assert_eq!((stats.traces_kept, stats.traces_dropped), (1, 1));
//! assert_eq!((stats.spans_kept, stats.spans_dropped), (2, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The tracer provider's sampler must record every span (the default, `AlwaysOn`, or
//! `ParentBased(AlwaysOn)`): a span the SDK does not record never reaches a processor.
//! Register only the [`CplProcessor`], wrapping the processor that exports.
//!
//! # Cost
//!
//! `on_end` moves the span into a buffer sharded by trace id under a short lock; the
//! policy is evaluated, and the next processor called, with no lock held. Nothing is
//! allocated per span beyond the buffer's own growth, except the trace state header for
//! policies that read `trace_state[...]`. The README has the measured overhead.
#![warn(missing_docs)]

mod core;
mod counters;
mod logs;
mod options;
mod processor;
mod view;

pub use counters::Stats;
pub use logs::CplLogProcessor;
pub use options::{BuildError, Options};
pub use processor::{Builder, CplProcessor};
pub use view::SdkSpan;
