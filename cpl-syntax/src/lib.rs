//! The CPL front end: the expression language and policy documents.
//!
//! CPL (the policy language of "deferred head sampling" for OpenTelemetry) has two
//! layers, and this crate reads both:
//!
//! - **expressions**, the `when:` conditions: a logos lexer feeds a LALRPOP grammar
//!   that builds a typed [`Expr`] in which every node carries its [`Span`];
//! - **policy documents**, YAML files loaded into a typed [`Policy`] whose every value
//!   keeps its position, so a diagnostic inside a `when:` string points at the line and
//!   column of the file whatever quoting style the YAML used.
//!
//! ```
//! use cpl_syntax::{load_policy, parse_expression};
//!
//! let parsed = parse_expression("status_code >= 500 OR duration > 1s");
//! assert!(parsed.errors.is_empty());
//! assert_eq!(parsed.expr.unwrap().to_string(), "status_code >= 500 OR duration > 1s");
//!
//! let loaded = load_policy("sampling:\n  base_rate: 0.01\n  conditions:\n    - name: errors\n      when: \"status_code >= 500\"\n");
//! assert!(loaded.diagnostics.is_empty());
//! assert_eq!(loaded.policy.unwrap().sampling.conditions[0].name.value, "errors");
//! ```
//!
//! The crate does no IO and prints nothing: callers hand it text and render the
//! [`Diagnostic`]s it returns (the `cpl` binary uses miette).
#![warn(missing_docs)]

pub mod ast;
mod builder;
mod diagnostic;
pub mod fields;
mod lexer;
mod lines;
mod load;
mod parser;
mod policy;
mod print;
mod project;
pub mod schema;
pub mod semconv;
mod span_vocabulary;
pub mod values;
pub mod yaml;

pub use ast::{Expr, ExprKind, Span};
pub use builder::BuildError;
pub use diagnostic::{codes, did_you_mean, find_code, Code, Diagnostic, Severity, REGISTRY};
pub use lexer::{LexError, Lexer, Token};
pub use lines::LineIndex;
pub use load::{load_policy, load_policy_bytes, Loaded};
pub use parser::{parse_expression, Parsed, SyntaxError, MAX_EXPRESSION_BYTES, MAX_NESTING};
pub use policy::{
    Action, Condition, Policy, Sampling, Service, ServiceForm, Spanned, Suppression,
    TenantOverride, Tenants, When,
};
pub use print::print_policy;
pub use project::{
    load_project, Environment, Level, LoadedProject, Project, ProjectSuppression, SeverityOverride,
    Slo,
};
pub use span_vocabulary::{SpanKind, StatusCode};
