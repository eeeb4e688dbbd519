//! Compiled evaluation of CPL sampling policies: pure, no IO.
//!
//! A policy loaded by [`cpl_syntax::load_policy`] is compiled once into an
//! [`Evaluator`]: attribute keys interned, literals converted, regexes built. Deciding a
//! span then reads only the fields the policy uses, through the [`SpanView`] trait, and
//! allocates nothing. The semantics are those of the language reference: which
//! condition decides and how rates are applied (spec/sampling.md), how fields resolve
//! (spec/fields.md) and how values compare (spec/types.md, spec/missing-values.md).
//!
//! # Embedding
//!
//! Implement [`SpanView`] for your own span type, compile the policy, and decide:
//!
//! ```
//! use cpl_eval::{AttrValue, Evaluator, Reason, SpanKind, SpanView, StatusCode};
//!
//! /// The embedder's own span type.
//! struct MySpan {
//!     trace_id: [u8; 16],
//!     name: String,
//!     http_status: Option<i64>,
//!     route: Option<String>,
//!     start: u64,
//!     end: u64,
//! }
//!
//! impl SpanView for MySpan {
//!     fn trace_id(&self) -> [u8; 16] { self.trace_id }
//!     fn span_id(&self) -> [u8; 8] { [1; 8] }
//!     fn parent_span_id(&self) -> Option<[u8; 8]> { None }
//!     fn name(&self) -> &str { &self.name }
//!     fn kind(&self) -> SpanKind { SpanKind::Server }
//!     fn status(&self) -> StatusCode { StatusCode::Unset }
//!     fn start_time_unix_nano(&self) -> u64 { self.start }
//!     fn end_time_unix_nano(&self) -> u64 { self.end }
//!     fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
//!         match key {
//!             "http.response.status_code" => self.http_status.map(AttrValue::Int),
//!             "http.route" => self.route.as_deref().map(AttrValue::Str),
//!             _ => None,
//!         }
//!     }
//!     fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
//!         (key == "service.name").then_some(AttrValue::Str("checkout"))
//!     }
//! }
//!
//! let loaded = cpl_syntax::load_policy(r#"
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "status_code >= 500"
//!     - name: health_checks
//!       when: "path == '/health'"
//!       action: drop
//! "#);
//! let policy = loaded.policy.expect("the policy loads");
//! let evaluator = Evaluator::compile(&policy)?;
//!
//! let mut span = MySpan {
//!     trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes(),
//!     name: "GET /api/users/:id".into(),
//!     http_status: Some(503),
//!     route: Some("/api/users/:id".into()),
//!     start: 1_700_000_000_000_000_000,
//!     end: 1_700_000_000_020_000_000,
//! };
//! let decision = evaluator.decide_span(&span);
//! assert!(decision.keep);
//! assert!(matches!(decision.reason, Reason::Rule { name: "server_errors", .. }));
//! assert_eq!(decision.to_string(), "keep (rule server_errors)");
//!
//! // No condition matches: the base rate decides, consistently by trace id.
//! span.http_status = Some(200);
//! assert_eq!(evaluator.decide_span(&span).to_string(), "drop (base rate 0.01)");
//!
//! span.route = Some("/health".into());
//! assert_eq!(evaluator.decide_span(&span).to_string(), "drop (rule health_checks)");
//! # Ok::<(), cpl_eval::CompileError>(())
//! ```
//!
//! The evaluator asks only for the attributes the policy reads, each at most once per
//! span. If your span keeps its attributes in a list, also override
//! [`SpanView::first_attribute`] so that a built-in field with several source keys
//! (`path` has five) is read in one pass; the implementation for the `cpl-otlp`
//! crate's span shows how.
//!
//! # Traces
//!
//! A trace is decided by the first condition that **any** of its spans matches. Collect
//! the matches of each span into one [`RuleSet`] with [`Evaluator::add_matches`], find
//! the trace's tenant with [`TraceTenant`] (only for policies with `tenants`), and call
//! [`Evaluator::decide_trace`]:
//!
//! ```
//! # use cpl_eval::{Evaluator, RuleSet, SpanView, TraceTenant};
//! # fn decide<S: SpanView>(evaluator: &Evaluator, spans: &[S]) -> bool {
//! let mut matched = RuleSet::new();
//! let mut tenant = TraceTenant::new();
//! for span in spans {
//!     evaluator.add_matches(span, &mut matched);
//!     if let Some(id) = evaluator.tenant_of(span) {
//!         tenant.observe(span.parent_span_id().is_none(), id);
//!     }
//! }
//! let decision = evaluator.decide_trace(spans[0].trace_id(), &matched, tenant.get());
//! decision.keep
//! # }
//! ```
//!
//! # Rates
//!
//! [`threshold`] and [`keeps`] are the consistent threshold rule, bit-exact with
//! clarvynn 0.3.1 and OTEP 235: every rate in a policy keeps a trace when
//! `T(p) <= R(trace id)`.
#![warn(missing_docs)]

mod compare;
mod compile;
mod decision;
mod eval;
mod evaluator;
mod fnv;
mod tenant;
mod threshold;
mod tracestate;
mod view;

pub use compile::CompileError;
pub use cpl_syntax::Action;
pub use cpl_syntax::{SpanKind, StatusCode};
pub use decision::{Decision, Reason, RuleSet};
pub use evaluator::{Evaluator, Rule};
pub use fnv::{fnv_hash, fnv_ratio_threshold, fnv_threshold};
pub use tenant::{TenantId, TraceTenant};
pub use threshold::{keeps, randomness, threshold};
pub use tracestate::{
    entry as tracestate_entry, ot_sampling, ot_value_with_threshold, OtSampling, ThresholdHex,
};
pub use view::{keys_equal, AttrValue, KeySet, SpanView};
