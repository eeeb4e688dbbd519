// Trace-level reasoning over imported conditions (spec/targets/otel-collector.md §7.1,
// L405 and L406). Every answer is sound: `true` is a proof, `false` means "not shown".
// The span-level questions go to cpl-check's logic engine, which treats what it does
// not model (type tests) as free atoms, so its "yes" stays a proof here.

use cpl_check::logic::{Engine, Formula, Satisfiability, Verdict};
use cpl_syntax::ast::{CompareOp, ExprKind, FieldKind, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::Expr;

/// A condition as a statement about a trace: a span-level condition `E` (no `any`,
/// trace-level field or `fnv_sample`) holds for a trace when some span satisfies it,
/// which is `any(E)` (spec/sampling.md, "Decisions"); import writes plain `when: E`
/// for "some span matches" (§5).
fn per_trace(expr: &Expr) -> std::borrow::Cow<'_, Expr> {
    let mut fnv = false;
    expr.walk(&mut |node| fnv |= matches!(node.kind, ExprKind::FnvSample { .. }));
    if fnv || expr.is_trace_level() {
        std::borrow::Cow::Borrowed(expr)
    } else {
        std::borrow::Cow::Owned(Expr {
            kind: ExprKind::Any(Box::new(expr.clone())),
            span: expr.span,
        })
    }
}

/// The questions L405 and L406 ask about trace-level conditions.
pub(crate) struct TraceLogic {
    engine: Engine,
}

/// Inclusive integer bounds on a trace-level field.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    low: i128,
    high: i128,
}

impl Interval {
    const ALL: Interval = Interval {
        low: i128::MIN,
        high: i128::MAX,
    };

    fn meet(self, other: Interval) -> Interval {
        Interval {
            low: self.low.max(other.low),
            high: self.high.min(other.high),
        }
    }

    fn is_empty(self) -> bool {
        self.low > self.high
    }

    fn within(self, other: Interval) -> bool {
        self.is_empty() || (other.low <= self.low && self.high <= other.high)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TraceField {
    Duration,
    SpanCount,
}

impl TraceLogic {
    pub(crate) fn new() -> Self {
        Self {
            engine: Engine::new(),
        }
    }

    /// Whether every trace that satisfies `a` satisfies `b`.
    pub(crate) fn contained(&self, a: &Expr, b: &Expr) -> bool {
        let (a, b) = (&*per_trace(a), &*per_trace(b));
        if a.to_string() == b.to_string() || self.always(b) || self.never(a) {
            return true;
        }
        if let ExprKind::And(parts) = &b.kind {
            return parts.iter().all(|part| self.contained(a, part));
        }
        if let Some((field, bound)) = comparison(b) {
            if intervals(a, field).within(bound) {
                return true;
            }
        }
        match (&a.kind, &b.kind) {
            (ExprKind::And(parts), _) => parts.iter().any(|part| self.contained(part, b)),
            (ExprKind::Any(p), ExprKind::Any(q)) => self.implies(p, q),
            (ExprKind::Not(a), ExprKind::Not(b)) => match (&a.kind, &b.kind) {
                (ExprKind::Any(p), ExprKind::Any(q)) => self.implies(q, p),
                _ => false,
            },
            (
                ExprKind::FnvSample {
                    percent: narrow,
                    salt: narrow_salt,
                },
                ExprKind::FnvSample {
                    percent: wide,
                    salt: wide_salt,
                },
            ) => match (number(&narrow.value), number(&wide.value)) {
                (Some(narrow), Some(wide)) => {
                    narrow_salt.value == wide_salt.value && narrow <= wide
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether no trace satisfies `expr`.
    pub(crate) fn never(&self, expr: &Expr) -> bool {
        let expr = &*per_trace(expr);
        if [TraceField::Duration, TraceField::SpanCount]
            .into_iter()
            .any(|field| possible(field).meet(intervals(expr, field)).is_empty())
        {
            return true;
        }
        match &expr.kind {
            ExprKind::And(parts) => parts.iter().any(|part| self.never(part)),
            ExprKind::Any(inner) => matches!(
                self.engine.satisfiable(&Formula::from_expr(inner)),
                Satisfiability::No
            ),
            ExprKind::Not(inner) => self.always(inner),
            _ => false,
        }
    }

    /// Whether every trace satisfies `expr`.
    pub(crate) fn always(&self, expr: &Expr) -> bool {
        let expr = &*per_trace(expr);
        match &expr.kind {
            ExprKind::FnvSample { percent, .. } => {
                number(&percent.value).is_some_and(|p| p >= 100.0)
            }
            ExprKind::And(parts) => parts.iter().all(|part| self.always(part)),
            ExprKind::Not(inner) => match &inner.kind {
                ExprKind::Any(p) => matches!(
                    self.engine.satisfiable(&Formula::from_expr(p)),
                    Satisfiability::No
                ),
                _ => self.never(inner),
            },
            ExprKind::Any(inner) => self.engine.valid(&Formula::from_expr(inner)) == Verdict::Yes,
            _ => false,
        }
    }

    fn implies(&self, p: &Expr, q: &Expr) -> bool {
        self.engine
            .implies(&Formula::from_expr(p), &Formula::from_expr(q))
            == Verdict::Yes
    }
}

/// The values a trace-level field can take: a trace has at least one span, and a
/// duration of at least 0.
fn possible(field: TraceField) -> Interval {
    match field {
        TraceField::Duration => Interval {
            low: 0,
            high: i128::MAX,
        },
        TraceField::SpanCount => Interval {
            low: 1,
            high: i128::MAX,
        },
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        #[allow(clippy::cast_precision_loss)] // percentages are small
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `expr` as a bound on a trace-level field, when it is one comparison.
fn comparison(expr: &Expr) -> Option<(TraceField, Interval)> {
    let ExprKind::Compare { field, op, value } = &expr.kind else {
        return None;
    };
    let field = match (&field.kind, &value.value) {
        (FieldKind::Builtin(BuiltinField::TraceDuration), Value::Duration(..)) => {
            TraceField::Duration
        }
        (FieldKind::Builtin(BuiltinField::SpanCount), Value::Int(_)) => TraceField::SpanCount,
        _ => return None,
    };
    let v = match value.value {
        Value::Duration(nanos, _) => i128::from(nanos),
        Value::Int(n) => i128::from(n),
        _ => return None,
    };
    let interval = match op {
        CompareOp::Eq => Interval { low: v, high: v },
        CompareOp::Ge => Interval {
            low: v,
            high: i128::MAX,
        },
        CompareOp::Gt => Interval {
            low: v + 1,
            high: i128::MAX,
        },
        CompareOp::Le => Interval {
            low: i128::MIN,
            high: v,
        },
        CompareOp::Lt => Interval {
            low: i128::MIN,
            high: v - 1,
        },
        CompareOp::Ne => return None,
    };
    Some((field, interval))
}

/// The bounds the top-level conjuncts of `expr` put on `field` (all values when none).
fn intervals(expr: &Expr, field: TraceField) -> Interval {
    match &expr.kind {
        ExprKind::And(parts) => parts
            .iter()
            .fold(Interval::ALL, |acc, part| acc.meet(intervals(part, field))),
        _ => match comparison(expr) {
            Some((f, interval)) if f == field => interval,
            _ => Interval::ALL,
        },
    }
}
