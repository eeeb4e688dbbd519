//! The subset of OTTL that `tail_sampling`'s `ottl_condition` policies use,
//! parsed with positions and evaluated on one span (or span event) exactly as
//! the collector (contrib v0.161.0) does. The language and every rule are
//! specified in spec/targets/otel-collector.md, "OTTL conditions".
//!
//! ```
//! use cpl_collector::ottl::{Condition, OttlContext};
//!
//! let condition = Condition::parse(
//!     r#"attributes["http.route"] == "/checkout" and span.status.code == STATUS_CODE_ERROR"#,
//!     OttlContext::Span,
//! )
//! .expect("a valid condition");
//! assert!(condition.text().starts_with("attributes"));
//! ```
//!
//! A condition outside the subset is never read as false: [`Condition::parse`]
//! refuses it with a positioned [`OttlError`] (codes E450–E457).

mod ast;
mod check;
mod expr;
mod lexer;
mod parser;
mod print;
mod regex;
mod tracestate;
mod value;

use std::fmt;
use std::ops::Range;

pub use ast::{CompareOp, MathOp};
pub use expr::{BoolExpr, Expr, Field, Func, Key};
pub use regex::GoRegex;
pub(crate) use value::compare;
pub use value::Value;

/// Which OTTL context a condition is parsed in: the `span` or the
/// `spanevent` list of an `ottl_condition` policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OttlContext {
    /// `ottl_condition.span`: bare paths read the span.
    Span,
    /// `ottl_condition.spanevent`: bare paths read the span event.
    SpanEvent,
}

/// A condition that parsed and is within CPL's subset.
#[derive(Clone, Debug)]
pub struct Condition {
    text: String,
    context: OttlContext,
    expr: expr::BoolExpr,
}

/// Why a condition was refused, located by a byte range in the condition text.
#[derive(Debug, Clone, PartialEq)]
pub struct OttlError {
    /// The registry entry (E450–E457).
    pub code: &'static cpl_syntax::Code,
    /// A short lowercase clause.
    pub message: String,
    /// Byte range in the condition text.
    pub span: Range<usize>,
    /// One imperative sentence, when there is something specific to do.
    pub help: Option<String>,
}

impl OttlError {
    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What the label at the span says.
    pub fn label(&self) -> &'static str {
        match self.code.code {
            "E451" => "outside the OTTL subset CPL evaluates",
            "E452" => "no such path in this context",
            "E453" => "no such function",
            "E454" => "wrong arguments",
            "E455" => "pattern CPL cannot evaluate as Go does",
            "E456" => "no such enum",
            "E457" => "nesting limit reached here",
            _ => "not OTTL",
        }
    }

    /// The error as a file diagnostic: `to_file` maps an offset in the
    /// condition text to an offset in the file (a YAML scalar's source map).
    pub fn to_diagnostic(&self, to_file: impl Fn(usize) -> usize) -> cpl_syntax::Diagnostic {
        let start = to_file(self.span.start);
        let end = to_file(self.span.end).max(start);
        cpl_syntax::Diagnostic::new(self.code, self.message.clone(), start..end, self.label())
            .with_optional_help(self.help.clone())
    }
}

impl fmt::Display for OttlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for OttlError {}

/// An OTTL runtime error: the policy's `error_mode` decides what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// What went wrong, worded after the collector's own message.
    pub message: String,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// The deepest nesting of parentheses, brackets and braces a condition may have.
pub const MAX_NESTING: usize = 256;

impl Condition {
    /// Parses and checks one condition of the given context.
    pub fn parse(text: &str, context: OttlContext) -> Result<Condition, Vec<OttlError>> {
        let node = parser::parse(text)?;
        let mut checker = check::Checker {
            context,
            source: text,
            errors: Vec::new(),
        };
        let expr = checker.bool_expr(&node);
        match expr {
            Some(expr) if checker.errors.is_empty() => Ok(Condition {
                text: text.to_owned(),
                context,
                expr,
            }),
            _ => Err(checker.errors),
        }
    }

    /// Evaluates a `span` condition on one span.
    pub fn eval_span(&self, span: &cpl_otlp::Span) -> Result<bool, EvalError> {
        if self.context != OttlContext::Span {
            return Err(EvalError::new("a spanevent condition needs a span event"));
        }
        self.expr.eval(&expr::Target { span, event: None })
    }

    /// Evaluates a `spanevent` condition on one event of `span`.
    pub fn eval_span_event(
        &self,
        span: &cpl_otlp::Span,
        event: &cpl_otlp::Event,
    ) -> Result<bool, EvalError> {
        self.expr.eval(&expr::Target {
            span,
            event: Some(event),
        })
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The checked expression, for code that translates conditions.
    pub fn expr(&self) -> &BoolExpr {
        &self.expr
    }

    /// The context it was parsed in.
    pub fn context(&self) -> OttlContext {
        self.context
    }
}

#[cfg(test)]
mod tests;
