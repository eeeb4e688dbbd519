//! Semantic checks of CPL policies: the mistakes that are not syntax errors.
//!
//! INTERFACE CONTRACT (used by cpl-cli; keep these names and signatures):
//!
//! - [`check_policy`] runs every semantic rule on a loaded policy and returns
//!   diagnostics located in the policy file, with codes from the one registry
//!   (`cpl_syntax::REGISTRY`).
//! - [`CheckOptions`] selects the target runtime (`--target clarvynn`).
//! - [`rule_docs`] gives, per code, the long explanation `cpl explain CODE` prints.
#![warn(missing_docs)]

pub mod diff;
pub mod logic;
pub mod normalize;

use cpl_syntax::{Diagnostic, Policy};

/// The runtime a policy is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Target {
    /// CPL's own semantics (cpl-eval).
    #[default]
    Cpl,
    /// clarvynn 0.3.1: also report every construct it rejects or evaluates differently.
    Clarvynn,
}

/// What to check.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The runtime the policy is for.
    pub target: Target,
}

impl CheckOptions {
    /// Options for `target`.
    pub fn for_target(target: Target) -> Self {
        Self { target }
    }
}

/// Runs every semantic rule on `policy`.
pub fn check_policy(policy: &Policy, options: &CheckOptions) -> Vec<Diagnostic> {
    let _ = (policy, options);
    Vec::new()
}

/// The long explanation of a diagnostic code (`E101` or `unexpected-token`), for
/// `cpl explain`: what the rule finds, why it matters, and an example.
pub fn rule_docs(code: &str) -> Option<&'static str> {
    let _ = code;
    None
}
