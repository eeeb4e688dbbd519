//! What a policy would do to traces already recorded: replay and policy unit tests.
//!
//! Both run recorded or written-down spans through the compiled evaluator
//! ([`cpl_eval`]) exactly as a runtime would, so what `cpl replay` reports and what
//! `cpl test` asserts are the decisions production would make:
//!
//! - [`replay`]: decode spans with [`cpl_otlp`], summarise them on any thread, merge
//!   them per trace, decide each trace and sum the decisions into a [`Report`]
//!   (spec/replay.md);
//! - [`policy_tests`]: load a tests file (spec/testing.md) into cases of
//!   [`cpl_otlp::Span`]s and check the decision the policy makes for each.
#![warn(missing_docs)]

pub mod fidelity;
pub mod policy_tests;
pub mod replay;

pub use replay::{Decider, Replay, ReplayOptions, Report, SpanSummary, Summaries};
