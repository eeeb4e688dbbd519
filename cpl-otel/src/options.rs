//! Building a processor: the policy, the bounds of spec/runtime.md, and what refuses a
//! build.

use std::time::Duration;

use cpl_syntax::Diagnostic;

/// The bounds and choices of spec/runtime.md, with its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Local traces buffered at once (spec/runtime.md, "Bounds"), divided evenly among
    /// the buffer's shards.
    pub max_traces: usize,
    /// Spans buffered for one local trace.
    pub max_spans_per_trace: usize,
    /// How long a local trace waits for its local root, from its first span.
    pub max_age: Duration,
    /// Decisions remembered for the spans that end after them.
    pub max_decisions: usize,
    /// Log records buffered for one trace by the log processor.
    pub max_logs_per_trace: usize,
    /// Whether a valid, consistent upstream `th` keeps a local trace that the policy
    /// drops (spec/runtime.md, "Upstream thresholds").
    pub honor_upstream_threshold: bool,
    /// Whether kept spans carry the `th` of their decision in their trace state.
    pub write_threshold: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_traces: 10_000,
            max_spans_per_trace: 1_000,
            max_age: Duration::from_secs(30),
            max_decisions: 100_000,
            max_logs_per_trace: 1_000,
            honor_upstream_threshold: true,
            write_threshold: true,
        }
    }
}

/// Why a processor was not built: the policy did not load, or did not compile.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum BuildError {
    /// The policy has errors; the loader's diagnostics say where.
    #[error("the policy has {} error(s)", errors.iter().filter(|d| d.severity == cpl_syntax::Severity::Error).count())]
    Policy {
        /// Every diagnostic of the loader, in file order.
        #[related]
        errors: Vec<Diagnostic>,
    },
    /// The policy loaded but does not compile (only for policies built by hand).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Compile(#[from] cpl_eval::CompileError),
    /// A bound of zero.
    #[error("`{0}` must be at least 1")]
    ZeroBound(&'static str),
}
