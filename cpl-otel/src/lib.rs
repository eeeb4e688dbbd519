//! Deferred head sampling in the OpenTelemetry Rust SDK, decided by a CPL policy.
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
