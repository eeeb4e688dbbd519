//! The logic engine: what a condition means, decided by reasoning rather than patterns.
//!
//! The semantic lints ("this condition can never match", "this rule is hidden behind
//! an earlier one"), parity between environments ("prod's rule is weaker than
//! staging's") and `cpl diff` ("the new rule is looser, here is a span it keeps that
//! the old one drops") all ask the same three questions about conditions:
//!
//! - [`satisfiable`]: does some span satisfy `e`? ([`Satisfiability`], with an example
//!   span when it does);
//! - [`implies`]: does every span that satisfies `a` satisfy `b`? ([`Verdict`], with a
//!   counterexample [`Witness`] when not);
//! - [`equivalent`]: do `a` and `b` match exactly the same spans?
//!
//! The answers respect CPL's missing-value semantics exactly: a comparison with a
//! missing value is false for every operator, `!=`, `not in` and `not contains`
//! included, and `NOT` is boolean negation, so `x >= 500` and `NOT x < 500` are *not*
//! equivalent (a span without `x` separates them). Ints and doubles compare by exact
//! value, `duration` is exact nanoseconds with number literals in milliseconds, and a
//! derived field (`path`) is linked to the attributes it is read from (`http.route`).
//!
//! Every answer is one of yes, no (with a concrete span that shows it) or unknown. A
//! "yes" about emptiness or implication is a proof within the rules of spec/lints.md;
//! a span offered as evidence has been evaluated on the formulas before it is offered.
//! Unknown is the answer when the search budget runs out, when string constraints
//! (regular expressions especially) are beyond what the engine decides, or when a
//! `path` read from a URL (`url.full`) is constrained together with that URL.
//!
//! ```
//! use cpl_check::logic::{equivalent, implies, satisfiable, Satisfiability, Verdict};
//! use cpl_syntax::parse_expression;
//!
//! let parse = |text: &str| parse_expression(text).expr.unwrap();
//! let never = parse("status_code > 500 AND status_code < 400");
//! assert!(matches!(satisfiable(&never), Satisfiability::No));
//!
//! let a = parse("status_code >= 500");
//! let b = parse("NOT status_code < 500");
//! assert_eq!(implies(&a, &b), Verdict::Yes);
//! let Verdict::No(witness) = equivalent(&a, &b) else { panic!() };
//! assert_eq!(witness.to_string(), "status_code: missing");
//! ```

mod formula;
mod num;
mod search;
mod span;
pub(crate) mod strings;

use std::fmt;

use cpl_syntax::ast::{DurationUnit, FieldKind, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::Expr;

pub use formula::Formula;
pub use span::{AttrValue, SpanModel};

use formula::{var_of, BuiltinKey, Node, Var, KINDS, STATUSES};
use search::{Query, Search, FALSE, TRUE};
use span::Val;

/// The result of deciding one question, inside the engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Solved<T> {
    Sat(T),
    Unsat,
    Unknown,
}

impl<T> Solved<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Solved<U> {
        match self {
            Solved::Sat(value) => Solved::Sat(f(value)),
            Solved::Unsat => Solved::Unsat,
            Solved::Unknown => Solved::Unknown,
        }
    }
}

#[allow(clippy::large_enum_variant)] // returned once per question, never stored in bulk
/// The answer to a question about *every* span ([`implies`], [`equivalent`], [`Engine::valid`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It holds for every span.
    Yes,
    /// It does not: here is a span that shows it.
    No(Witness),
    /// The engine cannot tell (budget, or constraints it does not decide).
    Unknown,
}

#[allow(clippy::large_enum_variant)]
/// The answer to "does some span satisfy this?" ([`satisfiable`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Satisfiability {
    /// Yes: here is one.
    Yes(Witness),
    /// No span satisfies it.
    No,
    /// The engine cannot tell.
    Unknown,
}

/// A concrete span that answers a question: it satisfies one formula and not the other
/// (or, for [`satisfiable`], the formula).
///
/// `Display` prints the fields the formulas mention in CPL syntax, in order of first
/// mention: `status_code: 503, http.route: "/health", user_id: missing`.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    span: SpanModel,
    fields: Vec<FieldKind>,
}

impl Witness {
    /// The whole span.
    pub fn span(&self) -> &SpanModel {
        &self.span
    }

    /// The fields `Display` shows.
    pub fn fields(&self) -> &[FieldKind] {
        &self.fields
    }

    /// Whether the span satisfies `formula` (`None` only for formulas with parse errors).
    pub fn satisfies(&self, formula: &Formula) -> Option<bool> {
        formula.evaluate(&self.span)
    }

    /// The value of `field` on the span, in CPL syntax (`missing` when it has none).
    pub fn value(&self, field: &FieldKind) -> String {
        field_value(&self.span, field)
    }
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{field}: {}", self.value(field))?;
        }
        Ok(())
    }
}

fn field_value(span: &SpanModel, field: &FieldKind) -> String {
    if let FieldKind::Builtin(BuiltinField::Error) = field {
        return span.is_error().to_string();
    }
    let Some(var) = var_of(field) else {
        return "missing".to_owned();
    };
    match span.read(&var) {
        Val::Missing => "missing".to_owned(),
        Val::Num(num::Num::Int(i)) => i.to_string(),
        Val::Num(num::Num::Float(x)) => AttrValue::Double(x).to_string(),
        Val::Str(text) => Value::String(text.into_owned()).to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Other => match &var {
            // A derived field holding a value of the wrong type: show the raw value.
            Var::Field(key) if key.is_derived() => key
                .sources()
                .iter()
                .find_map(|source| match source {
                    Var::Span(k) => span.attributes.iter().find(|(n, _)| **n == **k),
                    Var::Resource(k) => span.resource.iter().find(|(n, _)| **n == **k),
                    Var::Field(_) => None,
                })
                .map_or_else(|| "[…]".to_owned(), |(_, value)| value.to_string()),
            _ => "[…]".to_owned(),
        },
        Val::Dur(nanos) => duration_text(nanos),
        Val::Kind(i) => KINDS.get(usize::from(i)).copied().unwrap_or("?").to_owned(),
        Val::Status(i) => STATUSES
            .get(usize::from(i))
            .copied()
            .unwrap_or("?")
            .to_owned(),
    }
}

fn duration_text(nanos: u64) -> String {
    let Ok(signed) = i64::try_from(nanos) else {
        return format!("{nanos}ns");
    };
    let unit = match nanos {
        n if n >= 1_000_000_000 => DurationUnit::Seconds,
        n if n >= 1_000_000 => DurationUnit::Milliseconds,
        n if n >= 1_000 => DurationUnit::Microseconds,
        _ => DurationUnit::Nanoseconds,
    };
    Value::Duration(signed, unit).to_string()
}

impl Formula {
    /// Evaluates the formula on a concrete span, by the rules of the spec; `None` only
    /// when it contains a piece that did not parse.
    pub fn evaluate(&self, span: &SpanModel) -> Option<bool> {
        match &*self.0 {
            Node::Const(value) => Some(*value),
            Node::Atom(atom) => span::eval_atom(atom, span),
            Node::Not(inner) => inner.evaluate(span).map(|v| !v),
            Node::Fields(inner, _) => inner.evaluate(span),
            Node::And(items) => {
                let mut result = Some(true);
                for item in items {
                    match item.evaluate(span) {
                        Some(false) => return Some(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Node::Or(items) => {
                let mut result = Some(false);
                for item in items {
                    match item.evaluate(span) {
                        Some(true) => return Some(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
        }
    }
}

/// The default search budget: enough for every realistic policy, small enough that a
/// pathological one (10 000-way disjunctions against each other) answers Unknown in
/// milliseconds.
pub const DEFAULT_BUDGET: u64 = 200_000;

/// The engine with its settings; [`Engine::default`] decides by the spec exactly.
#[derive(Debug, Clone)]
pub struct Engine {
    integer_status_codes: bool,
    budget: u64,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            integer_status_codes: false,
            budget: DEFAULT_BUDGET,
        }
    }
}

impl Engine {
    /// The engine with the spec's semantics and the default budget.
    pub fn new() -> Self {
        Self::default()
    }

    /// Assume that `status_code` only ever holds integers.
    ///
    /// The spec lets the source attribute be a double (`499.5` satisfies
    /// `status_code > 499 AND status_code < 500`); no HTTP instrumentation sends one, so
    /// the lints reason with this assumption, and `cpl diff` without it.
    #[must_use]
    pub fn with_integer_status_codes(mut self, yes: bool) -> Self {
        self.integer_status_codes = yes;
        self
    }

    /// Sets the search budget (steps); past it the answer is Unknown.
    #[must_use]
    pub fn with_budget(mut self, steps: u64) -> Self {
        self.budget = steps;
        self
    }

    fn search(&self, query: &Query, root: u32) -> Solved<SpanModel> {
        match root {
            TRUE => Solved::Sat(SpanModel::default()),
            FALSE => Solved::Unsat,
            _ => Search::new(query, self.integer_status_codes, self.budget).run(root),
        }
    }

    /// Whether some span satisfies `formula`.
    pub fn satisfiable(&self, formula: &Formula) -> Satisfiability {
        let mut query = Query::new();
        let root = query.build(formula, true);
        match self.search(&query, root) {
            Solved::Sat(span) => Satisfiability::Yes(Witness {
                span,
                fields: formula.fields(),
            }),
            Solved::Unsat => Satisfiability::No,
            Solved::Unknown => Satisfiability::Unknown,
        }
    }

    /// Whether every span satisfies `formula` (a condition that keeps everything).
    pub fn valid(&self, formula: &Formula) -> Verdict {
        self.implies(&Formula::constant(true), formula)
    }

    /// Whether every span that satisfies `a` satisfies `b`; the witness of `No`
    /// satisfies `a` and not `b`.
    pub fn implies(&self, a: &Formula, b: &Formula) -> Verdict {
        let mut query = Query::new();
        let left = query.build(a, true);
        let right = query.build(b, false);
        let root = query.and(vec![left, right]);
        self.verdict(&query, root, [a, b])
    }

    /// Whether `a` and `b` match the same spans; the witness of `No` satisfies exactly
    /// one of them (`witness.satisfies(a)` says which).
    pub fn equivalent(&self, a: &Formula, b: &Formula) -> Verdict {
        let mut query = Query::new();
        let left = query.build(a, true);
        let right = query.build(b, true);
        if left == right {
            return Verdict::Yes;
        }
        let not_right = query.build(b, false);
        let not_left = query.build(a, false);
        let first = query.and(vec![left, not_right]);
        let second = query.and(vec![right, not_left]);
        match (
            self.verdict(&query, first, [a, b]),
            self.verdict(&query, second, [a, b]),
        ) {
            (Verdict::No(witness), _) | (_, Verdict::No(witness)) => Verdict::No(witness),
            (Verdict::Yes, Verdict::Yes) => Verdict::Yes,
            _ => Verdict::Unknown,
        }
    }

    fn verdict(&self, query: &Query, root: u32, shown: [&Formula; 2]) -> Verdict {
        match self.search(query, root) {
            Solved::Sat(span) => {
                let mut fields = shown[0].fields();
                for field in shown[1].fields() {
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
                Verdict::No(Witness { span, fields })
            }
            Solved::Unsat => Verdict::Yes,
            Solved::Unknown => Verdict::Unknown,
        }
    }
}

/// Whether some span satisfies `expr` (spec semantics, default budget).
pub fn satisfiable(expr: &Expr) -> Satisfiability {
    Engine::default().satisfiable(&Formula::from_expr(expr))
}

/// Whether every span that satisfies `a` satisfies `b`.
pub fn implies(a: &Expr, b: &Expr) -> Verdict {
    Engine::default().implies(&Formula::from_expr(a), &Formula::from_expr(b))
}

/// Whether `a` and `b` match exactly the same spans.
pub fn equivalent(a: &Expr, b: &Expr) -> Verdict {
    Engine::default().equivalent(&Formula::from_expr(a), &Formula::from_expr(b))
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Formula>();
    check::<Engine>();
    let _ = BuiltinKey::Duration;
}
