//! One `when:` expression as one OTTL condition whose value on every span equals
//! CPL's (spec/types.md, spec/missing-values.md, spec/fields.md).
//!
//! The guards come from where OTTL's comparison rules (`pkg/ottl/compare.go`) differ
//! from CPL's, and nowhere else:
//!
//! - **Missing and mistyped values.** OTTL's `==`, `<`, `<=`, `>`, `>=` are already
//!   false on `nil` and between values of different types (`invalidComparison`), as
//!   in CPL. Its `!=` is **true** there, so every `!=` gets a type guard
//!   (`IsString(x) and x != "a"`), which is also false on `nil`.
//! - **Numbers.** OTTL compares an int with a double as two `float64`s; CPL compares
//!   exact values. A literal that is an integer of at most 2^53 is exact either way;
//!   any other is split by the value's type (see `numeric`).
//! - **Booleans.** OTTL orders booleans (`false < true`); CPL's ordering operators on
//!   booleans are false.
//! - **String tests.** `IsMatch` converts ints, doubles and booleans to text, so
//!   `IsMatch(x, "50")` is true for the int 500; CPL's string tests are false on
//!   anything but a string, so each gets `IsString(x) and`.
//! - **Fields with several sources.** The first *present* source decides, whatever
//!   its type; OTTL's `x == nil` is true exactly when the attribute is absent or has no
//!   value, CPL's "not present".

use cpl_syntax::ast::{
    CompareOp, Expr, ExprKind, Field, FieldKind, Literal, Span, StringOp, Value,
};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::values::Num;

use super::cond::{and, call, cmp, not, or, string, Cond};
use super::numeric::{
    double_side, duration_in, duration_intervals, duration_present, int_side, op_text, small_int,
    DurationLiteral,
};
use super::re2::{self, Issue};
use super::trace::{self, Mixed, Tf, TraceLeaf};

/// Something in an expression that maps only approximately (or not at all), with
/// where it is (a span in the expression text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inexact {
    pub(crate) issue: Issue,
    pub(crate) span: Span,
}

/// The Go regexp (in RE2 syntax) that takes the path component of a URL, as
/// `cpl_syntax::values::url_path` does (RFC 3986, section 3): an optional scheme
/// (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`), an optional `//` authority up
/// to the first `/`, `?` or `#`, then the path up to the first `?` or `#`.
///
/// Go's `FindStringSubmatch` picks the match a backtracking engine would: the greedy
/// optional groups take the scheme and the authority whenever they can, and the
/// greedy path takes everything up to `?` or `#`, the same choices `url_path` makes.
/// Every string matches (all parts are optional), so the `path` group is always set.
pub(crate) const URL_PATH_PATTERN: &str =
    "^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?(?P<path>[^?#]*)";

/// Compiles expressions, collecting what is inexact.
#[derive(Debug, Default)]
pub(crate) struct Translator {
    pub(crate) inexact: Vec<Inexact>,
    /// Where the expression reads `sampled` at span level.
    pub(crate) sampled: Vec<Span>,
}

/// What values an OTTL value expression can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// An attribute: any `AnyValue`, or nil.
    Any,
    /// Always a string (the span name, ids, a path taken from a URL).
    Str,
}

/// The type a field's values are compared as (spec/types.md, "Literals and fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typed {
    /// An attribute: whatever the value is.
    Any,
    /// `status_code`: ints and doubles compare, anything else is a value of the
    /// wrong type.
    Number,
    /// The string fields: strings compare, anything else is of the wrong type.
    Text,
}

/// The test applied to a field's value.
#[derive(Clone, Copy)]
enum Test<'a> {
    Compare(CompareOp, &'a Literal),
    String {
        op: StringOp,
        negated: bool,
        literal: &'a Literal,
    },
}

fn is_string(value: &str) -> Cond {
    call(format!("IsString({value})"))
}

fn is_int(value: &str) -> Cond {
    call(format!("IsInt({value})"))
}

fn is_double(value: &str) -> Cond {
    call(format!("IsDouble({value})"))
}

fn is_bool(value: &str) -> Cond {
    call(format!("IsBool({value})"))
}

/// The OTTL path of a span attribute.
pub(crate) fn span_attribute(key: &str) -> String {
    format!("span.attributes[{}]", string(key))
}

/// The OTTL path of a resource attribute.
pub(crate) fn resource_attribute(key: &str) -> String {
    format!("resource.attributes[{}]", string(key))
}

/// The OTTL value of a CPL attribute field.
pub(crate) fn attribute_path(field: &FieldKind) -> Option<String> {
    match field {
        FieldKind::SpanAttribute(key) => Some(span_attribute(key)),
        FieldKind::ResourceAttribute(key) => Some(resource_attribute(key)),
        FieldKind::Builtin(_) | FieldKind::TraceState(_) => None,
    }
}

/// The OTTL path of a trace-state entry: the member's value, `""` when the state has
/// no such key, nil when it does not parse (Go's `trace.ParseTraceState`, as CPL reads
/// it: spec/fields.md).
fn trace_state_path(key: &str) -> String {
    format!("span.trace_state[{}]", string(key))
}

/// CPL's trace-state entry is present: OTTL's value is a string and not `""` (a
/// present entry's value is never empty).
fn trace_state_present(path: &str) -> Cond {
    and([is_string(path), cmp(path, "!=", "\"\"")])
}

/// Whether `field` is one of the trace-level fields.
fn trace_level(field: &Field) -> bool {
    matches!(
        field.kind,
        FieldKind::Builtin(BuiltinField::TraceDuration | BuiltinField::SpanCount)
    )
}

/// Whether `expr` has a trace-level part: `any(…)`, `fnv_sample(…)`, or a test on
/// `trace_duration` or `span_count`.
fn has_trace_part(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Any(_) | ExprKind::FnvSample { .. } => true,
        ExprKind::And(items) | ExprKind::Or(items) => items.iter().any(has_trace_part),
        ExprKind::Not(inner) => has_trace_part(inner),
        ExprKind::Compare { field, .. } | ExprKind::In { field, .. } | ExprKind::Exists(field) => {
            trace_level(field)
        }
        _ => false,
    }
}

/// The number a literal is, if it is one.
fn num(literal: &Literal) -> Option<Num> {
    match literal.value {
        Value::Int(n) => Some(Num::Int(n)),
        Value::Float(x) => Some(Num::Float(x)),
        _ => None,
    }
}

/// The span counts `c` with `c op literal`, as inclusive ranges (`None`: no upper
/// bound), before intersecting with "at least one span".
fn count_ranges(op: CompareOp, literal: Num) -> Vec<(i128, Option<i128>)> {
    const ALL: (i128, Option<i128>) = (i128::MIN, None);
    let (floor, ceil, integral) = match literal {
        Num::Int(n) => (i128::from(n), i128::from(n), true),
        Num::Float(x) if x.is_nan() => {
            return if op == CompareOp::Ne {
                vec![ALL]
            } else {
                Vec::new()
            };
        }
        Num::Float(x) if x.is_infinite() => {
            let above = x > 0.0;
            let holds = match op {
                CompareOp::Lt | CompareOp::Le => above,
                CompareOp::Gt | CompareOp::Ge => !above,
                CompareOp::Eq => false,
                CompareOp::Ne => true,
            };
            return if holds { vec![ALL] } else { Vec::new() };
        }
        // Saturating casts; |x| < 2^127 here for every count that matters.
        #[allow(clippy::cast_possible_truncation)]
        Num::Float(x) => (x.floor() as i128, x.ceil() as i128, x.fract() == 0.0),
    };
    match op {
        CompareOp::Ge => vec![(ceil, None)],
        CompareOp::Gt => vec![(floor.saturating_add(1), None)],
        CompareOp::Le => vec![(i128::MIN, Some(floor))],
        CompareOp::Lt => vec![(i128::MIN, Some(ceil.saturating_sub(1)))],
        CompareOp::Eq if integral => vec![(floor, Some(floor))],
        CompareOp::Eq => Vec::new(),
        CompareOp::Ne if integral => vec![
            (i128::MIN, Some(floor.saturating_sub(1))),
            (floor.saturating_add(1), None),
        ],
        CompareOp::Ne => vec![ALL],
    }
}

impl Translator {
    /// The OTTL condition equal to `expr` on every span.
    pub(crate) fn expr(&mut self, expr: &Expr) -> Cond {
        match &expr.kind {
            ExprKind::And(items) => {
                and(items.iter().map(|item| self.expr(item)).collect::<Vec<_>>())
            }
            ExprKind::Or(items) => or(items.iter().map(|item| self.expr(item)).collect::<Vec<_>>()),
            // CPL's NOT is plain negation of a value that is already exact.
            ExprKind::Not(inner) => not(self.expr(inner)),
            ExprKind::Compare { field, op, value } => self.field(field, Test::Compare(*op, value)),
            ExprKind::StringTest {
                field,
                op,
                negated,
                value,
            } => self.field(
                field,
                Test::String {
                    op: *op,
                    negated: *negated,
                    literal: value,
                },
            ),
            // `f in [..]` is `f == v1 OR ...`; `f not in [..]` is
            // `exists(f) AND f != v1 AND ...` (spec/types.md, "Lists").
            ExprKind::In {
                field,
                negated: false,
                values,
            } => or(values
                .iter()
                .map(|value| self.field(field, Test::Compare(CompareOp::Eq, value)))
                .collect::<Vec<_>>()),
            ExprKind::In {
                field,
                negated: true,
                values,
            } => {
                let mut items = vec![exists(field)];
                items.extend(
                    values
                        .iter()
                        .map(|value| self.field(field, Test::Compare(CompareOp::Ne, value))),
                );
                and(items)
            }
            ExprKind::Exists(field) => {
                if matches!(field.kind, FieldKind::Builtin(BuiltinField::Sampled)) {
                    // Bit 0 of the flags is always there.
                    return Cond::Const(true);
                }
                exists(field)
            }
            ExprKind::TypeTest {
                field,
                negated,
                type_name,
            } => Self::type_test(field, *negated, type_name),
            ExprKind::Any(_) => self.not_compiled(
                expr.span,
                "`any(…)`",
                "a trace-level part inside a rule needs a trace-level policy inside the first-match chain, which v0.161's nesting (and → not → leaf) cannot hold",
            ),
            ExprKind::FnvSample { .. } => self.not_compiled(
                expr.span,
                "`fnv_sample(…)`",
                "the collector's `probabilistic` hash is its own policy and cannot sit inside a negated prior of the first-match chain",
            ),
            // A policy with a parse error does not load, so `Error` is never reached; an
            // expression kind added to CPL later is refused until it is compiled here.
            _ => self.not_compiled(
                expr.span,
                "this expression",
                "the compilation has no form for it yet",
            ),
        }
    }

    /// `expr` with its trace-level parts as trace-level formulas and the rest as OTTL
    /// span conditions.
    pub(crate) fn mixed(&mut self, expr: &Expr) -> Mixed {
        if !has_trace_part(expr) {
            return Mixed::Span(self.expr(expr));
        }
        match &expr.kind {
            ExprKind::And(items) => Mixed::And(items.iter().map(|i| self.mixed(i)).collect()),
            ExprKind::Or(items) => Mixed::Or(items.iter().map(|i| self.mixed(i)).collect()),
            ExprKind::Not(inner) => Mixed::Not(Box::new(self.mixed(inner))),
            ExprKind::Any(inner) => {
                let inner = self.mixed(inner);
                Mixed::Trace(self.some_span(inner, expr.span))
            }
            ExprKind::FnvSample { percent, salt } => {
                Mixed::Trace(self.fnv_sample(expr.span, percent, salt))
            }
            ExprKind::Compare { field, op, value } => {
                Mixed::Trace(self.trace_compare(field, *op, value))
            }
            // `f in [..]` is `f == v1 OR ...`; `f not in [..]` is
            // `exists(f) AND f != v1 AND ...` (spec/types.md, "Lists").
            ExprKind::In {
                field,
                negated,
                values,
            } => {
                let tests = values
                    .iter()
                    .map(|v| {
                        let op = if *negated {
                            CompareOp::Ne
                        } else {
                            CompareOp::Eq
                        };
                        self.trace_compare(field, op, v)
                    })
                    .collect::<Vec<_>>();
                Mixed::Trace(if *negated {
                    trace::and(std::iter::once(trace_exists(field)).chain(tests))
                } else {
                    trace::or(tests)
                })
            }
            ExprKind::Exists(field) => Mixed::Trace(trace_exists(field)),
            _ => Mixed::Span(self.expr(expr)),
        }
    }

    /// "Some span satisfies `mixed`", refused (E503) past [`trace::MAX_PARTS`]
    /// trace-level parts.
    pub(crate) fn some_span(&mut self, mixed: Mixed, span: Span) -> Tf {
        if let Some(tf) = trace::some_span(mixed) {
            return tf;
        }
        self.refuse(
            span,
            "a condition with many trace-level parts",
            format!(
                "each trace-level part doubles the cases the collector's policies must spell out, and more than {} are not compiled",
                trace::MAX_PARTS
            ),
            "split the condition into several rules".to_owned(),
        );
        Tf::Const(false)
    }

    fn refuse(&mut self, span: Span, construct: &'static str, why: String, help: String) {
        self.inexact.push(Inexact {
            issue: Issue::Refused {
                construct,
                why,
                help,
            },
            span,
        });
    }

    /// `fnv_sample(P, SALT)`: the `probabilistic` policy with the same percentage (the
    /// emitted float reads back as the same double, and the collector divides it by
    /// 100 and computes the threshold exactly as CPL does: spec/sampling.md).
    fn fnv_sample(&mut self, span: Span, percent: &Literal, salt: &Literal) -> Tf {
        #[allow(clippy::cast_precision_loss)]
        let percentage = match percent.value {
            // CPL reads an int literal as the nearest double, as `as` does.
            Value::Int(n) => n as f64,
            Value::Float(x) => x,
            _ => return Tf::Const(false),
        };
        let Value::String(salt) = &salt.value else {
            return Tf::Const(false);
        };
        if cpl_eval::fnv_ratio_threshold(percentage / 100.0) == u64::MAX {
            // Every hash is at most 2^64 - 1: every trace passes, whatever the salt.
            return Tf::Const(true);
        }
        if salt.is_empty() {
            self.refuse(
                span,
                "`fnv_sample(…)` with an empty salt",
                "the collector's `probabilistic` policy replaces an empty `hash_salt` with `default-hash-seed`, so it cannot hash with no salt".to_owned(),
                "use a non-empty salt (the default is `default-hash-seed`)".to_owned(),
            );
            return Tf::Const(false);
        }
        trace::leaf(TraceLeaf::Probabilistic {
            sampling_percentage: percentage,
            hash_salt: salt.clone(),
        })
    }

    /// A comparison on a trace-level field.
    fn trace_compare(&mut self, field: &Field, op: CompareOp, literal: &Literal) -> Tf {
        match field.kind {
            FieldKind::Builtin(BuiltinField::SpanCount) => self.span_count(field.span, op, literal),
            FieldKind::Builtin(BuiltinField::TraceDuration) => {
                self.trace_duration(field.span, op, literal)
            }
            _ => trace::exists(self.field(field, Test::Compare(op, literal))),
        }
    }

    /// `span_count op n`: `span_count` policies, one per range of counts (its bounds
    /// are inclusive, and `max_spans: 0` is no upper bound, so `span_count <= 0` is
    /// `false`, never `max_spans: 0`).
    fn span_count(&mut self, span: Span, op: CompareOp, literal: &Literal) -> Tf {
        let Some(n) = num(literal) else {
            // An int compared with anything but a number is never true.
            return Tf::Const(false);
        };
        let in_range = |v: i128| i32::try_from(v).ok();
        let mut ranges = Vec::new();
        for (lo, hi) in count_ranges(op, n) {
            let lo = lo.max(1);
            if hi.is_some_and(|hi| hi < lo) {
                continue;
            }
            if lo == 1 && hi.is_none() {
                return Tf::Const(true);
            }
            let (Some(min_spans), Some(max_spans)) = (in_range(lo), in_range(hi.unwrap_or(0)))
            else {
                self.refuse(
                    span,
                    "`span_count`",
                    "the bound is beyond the collector's `span_count` settings, which are 32-bit integers".to_owned(),
                    "compare with a count below 2147483648".to_owned(),
                );
                return Tf::Const(false);
            };
            ranges.push(trace::leaf(TraceLeaf::SpanCount {
                min_spans,
                max_spans,
            }));
        }
        trace::or(ranges)
    }

    /// `trace_duration op v`: `latency` policies over whole milliseconds, where each
    /// bound of the durations the comparison accepts falls on a whole millisecond.
    fn trace_duration(&mut self, span: Span, op: CompareOp, literal: &Literal) -> Tf {
        const MS: u64 = 1_000_000;
        let literal = match literal.value {
            Value::Int(n) => DurationLiteral::Nanos(i128::from(n) * 1_000_000),
            Value::Duration(nanos, _) => DurationLiteral::Nanos(i128::from(nanos)),
            Value::Float(x) => DurationLiteral::Millis(x),
            _ => return Tf::Const(false),
        };
        let intervals = duration_intervals(op, literal);
        if intervals.is_empty() {
            return Tf::Const(false);
        }
        // More than `ms` whole milliseconds is at least `ms + 1` ms.
        let at_least = |nanos: u64| match nanos / MS {
            0 => Tf::Const(true),
            ms => trace::leaf(TraceLeaf::Latency {
                threshold_ms: i64::try_from(ms - 1).unwrap_or(i64::MAX),
            }),
        };
        let mut cases = Vec::new();
        for (lo, hi) in intervals {
            let whole_hi = hi == u64::MAX || (hi + 1) % MS == 0;
            if lo % MS != 0 || !whole_hi {
                self.refuse(
                    span,
                    "`trace_duration`",
                    "the collector's `latency` policy counts whole milliseconds, and this bound falls inside one".to_owned(),
                    "compare with a whole number of milliseconds, `>=` or `<` (`trace_duration >= 1001ms` is `latency` with `threshold_ms: 1000`)".to_owned(),
                );
                return Tf::Const(false);
            }
            let upper = if hi == u64::MAX {
                Tf::Const(true)
            } else {
                trace::not(at_least(hi + 1))
            };
            cases.push(trace::and([at_least(lo), upper]));
        }
        self.inexact.push(Inexact {
            issue: Issue::TraceDuration,
            span,
        });
        // CPL's comparisons are false when no span has a duration.
        trace::and([trace::exists(duration_present()), trace::or(cases)])
    }

    /// Records `construct` as refused (E503) and stands in `false` for it; the
    /// compilation fails, so the stand-in is never written.
    fn not_compiled(&mut self, span: Span, construct: &'static str, why: &'static str) -> Cond {
        self.inexact.push(Inexact {
            issue: Issue::NotCompiled(construct, why),
            span,
        });
        Cond::Const(false)
    }

    /// `field is T` / `field is not T` on an attribute: OTTL's `IsInt`, `IsDouble`,
    /// `IsString` and `IsBool` test the same OTLP value types. `is not T` needs a value
    /// (`!= nil`, false on an absent attribute and on one with no value, as CPL's
    /// "missing"), then not that type.
    fn type_test(field: &Field, negated: bool, type_name: &Literal) -> Cond {
        let Some(path) = attribute_path(&field.kind) else {
            // The loader refuses type tests on built-in fields and trace state (E118).
            return Cond::Const(false);
        };
        let Value::Name(name) = &type_name.value else {
            return Cond::Const(false);
        };
        let test = match cpl_syntax::ast::ValueType::from_name(name) {
            Some(cpl_syntax::ast::ValueType::Int) => is_int(&path),
            Some(cpl_syntax::ast::ValueType::Float) => is_double(&path),
            Some(cpl_syntax::ast::ValueType::String) => is_string(&path),
            Some(cpl_syntax::ast::ValueType::Bool) => is_bool(&path),
            // The loader refuses an unknown type name (E117).
            None => return Cond::Const(false),
        };
        if negated {
            and([cmp(&path, "!=", "nil"), not(test)])
        } else {
            test
        }
    }

    /// A test on a field, by where the field's value comes from.
    fn field(&mut self, field: &Field, test: Test<'_>) -> Cond {
        let builtin = match &field.kind {
            FieldKind::TraceState(key) => {
                let path = trace_state_path(key);
                return and([
                    trace_state_present(&path),
                    self.value(&path, Holds::Any, Typed::Text, test),
                ]);
            }
            FieldKind::SpanAttribute(key) => {
                return self.value(&span_attribute(key), Holds::Any, Typed::Any, test)
            }
            FieldKind::ResourceAttribute(key) => {
                return self.value(&resource_attribute(key), Holds::Any, Typed::Any, test)
            }
            FieldKind::Builtin(builtin) => *builtin,
        };
        match builtin {
            BuiltinField::StatusCode | BuiltinField::Method | BuiltinField::UserId => {
                let typed = if builtin == BuiltinField::StatusCode {
                    Typed::Number
                } else {
                    Typed::Text
                };
                let sources: Vec<String> = builtin
                    .attribute_sources()
                    .iter()
                    .map(|key| span_attribute(key))
                    .collect();
                first_present(&sources, |_, source| {
                    self.value(source, Holds::Any, typed, test)
                })
            }
            BuiltinField::Path => {
                let sources: Vec<String> = builtin
                    .attribute_sources()
                    .iter()
                    .map(|key| span_attribute(key))
                    .collect();
                first_present(&sources, |index, source| {
                    // The fourth and fifth sources (`url.full`, `http.url`) are URLs
                    // whose path is the value; a URL that is not a string is a value of
                    // the wrong type. `IsString` comes first, so `ExtractPatterns`
                    // (which fails on anything but a string) only sees strings.
                    if index >= 3 {
                        let path = format!(
                            "ExtractPatterns({source}, {})[\"path\"]",
                            string(URL_PATH_PATTERN)
                        );
                        and([
                            is_string(source),
                            self.value(&path, Holds::Str, Typed::Text, test),
                        ])
                    } else {
                        self.value(source, Holds::Any, Typed::Text, test)
                    }
                })
            }
            BuiltinField::Service => self.value(
                &resource_attribute("service.name"),
                Holds::Any,
                Typed::Text,
                test,
            ),
            BuiltinField::Name => self.value("span.name", Holds::Str, Typed::Text, test),
            BuiltinField::TraceId => {
                self.value("span.trace_id.string", Holds::Str, Typed::Text, test)
            }
            BuiltinField::SpanId => {
                self.value("span.span_id.string", Holds::Str, Typed::Text, test)
            }
            // A root span (parent id absent or all zeros, for CPL and for
            // `IsRootSpan()` alike) has no parent id: the field is missing.
            BuiltinField::ParentSpanId => and([
                not(call("IsRootSpan()".to_owned())),
                self.value("span.parent_span_id.string", Holds::Str, Typed::Text, test),
            ]),
            BuiltinField::Duration | BuiltinField::DurationMs => duration(test),
            BuiltinField::Kind => constant(test, "span.kind", |name| {
                cpl_syntax::SpanKind::from_constant(name).map(|_| format!("SPAN_KIND_{name}"))
            }),
            BuiltinField::Status => constant(test, "span.status.code", |name| {
                cpl_syntax::StatusCode::from_constant(name).map(|_| format!("STATUS_CODE_{name}"))
            }),
            BuiltinField::Error => match test {
                // `error` is `status == ERROR`.
                Test::Compare(op @ (CompareOp::Eq | CompareOp::Ne), literal) => {
                    match literal.value {
                        Value::Bool(b) => {
                            let equal = (op == CompareOp::Eq) == b;
                            cmp(
                                "span.status.code",
                                if equal { "==" } else { "!=" },
                                "STATUS_CODE_ERROR",
                            )
                        }
                        _ => Cond::Const(false),
                    }
                }
                _ => Cond::Const(false),
            },
            BuiltinField::Sampled => match test {
                Test::Compare(op @ (CompareOp::Eq | CompareOp::Ne), literal) => {
                    match literal.value {
                        Value::Bool(b) => {
                            self.sampled.push(field.span);
                            if (op == CompareOp::Eq) == b {
                                trace::sampled()
                            } else {
                                not(trace::sampled())
                            }
                        }
                        _ => Cond::Const(false),
                    }
                }
                _ => Cond::Const(false),
            },
            // Comparisons on the trace-level fields are trace-level parts
            // (`Translator::mixed`); a string test on them is never true.
            BuiltinField::TraceDuration | BuiltinField::SpanCount => match test {
                Test::String { .. } => Cond::Const(false),
                Test::Compare(..) => self.not_compiled(
                    field.span,
                    "a trace-level field here",
                    "the compilation has no form for it",
                ),
            },
            // A field added to CPL later is refused until it is compiled here.
            _ => self.not_compiled(
                field.span,
                "this built-in field",
                "the compilation has no form for it yet",
            ),
        }
    }

    /// A test on one OTTL value.
    fn value(&mut self, value: &str, holds: Holds, typed: Typed, test: Test<'_>) -> Cond {
        match test {
            Test::Compare(op, literal) => match (&literal.value, typed) {
                (Value::Int(n), Typed::Any | Typed::Number) => number(value, op, Num::Int(*n)),
                (Value::Float(x), Typed::Any | Typed::Number) => number(value, op, Num::Float(*x)),
                (Value::String(literal_text), Typed::Any | Typed::Text) => {
                    let right = string(literal_text);
                    if op == CompareOp::Ne && holds == Holds::Any {
                        and([is_string(value), cmp(value, "!=", &right)])
                    } else {
                        // `==` and the orderings are false on nil and on every other
                        // type in OTTL too (byte-wise order = code point order).
                        cmp(value, op_text(op), &right)
                    }
                }
                (Value::Bool(b), Typed::Any) => match op {
                    CompareOp::Eq => cmp(value, "==", &b.to_string()),
                    CompareOp::Ne => and([is_bool(value), cmp(value, "!=", &b.to_string())]),
                    // OTTL orders booleans; CPL does not.
                    _ => Cond::Const(false),
                },
                // Every other pairing is "never" in spec/types.md.
                _ => Cond::Const(false),
            },
            Test::String {
                op,
                negated,
                literal,
            } => {
                let Value::String(needle) = &literal.value else {
                    return Cond::Const(false);
                };
                if typed == Typed::Number {
                    return Cond::Const(false);
                }
                let guard = if holds == Holds::Str {
                    Cond::Const(true)
                } else {
                    is_string(value)
                };
                let pattern = match op {
                    StringOp::Contains | StringOp::StartsWith | StringOp::EndsWith
                        if needle.is_empty() =>
                    {
                        // Every string contains, starts and ends with "".
                        return if negated { Cond::Const(false) } else { guard };
                    }
                    StringOp::Contains => regex_syntax::escape(needle),
                    StringOp::StartsWith => format!(r"\A{}", regex_syntax::escape(needle)),
                    StringOp::EndsWith => format!(r"{}\z", regex_syntax::escape(needle)),
                    StringOp::Matches => match re2::translate(needle) {
                        Some((pattern, issues)) => {
                            self.inexact.extend(issues.into_iter().map(|issue| Inexact {
                                issue,
                                span: literal.span,
                            }));
                            pattern
                        }
                        // The loader reported it (E112); such a policy does not load.
                        None => return Cond::Const(false),
                    },
                };
                let test = call(format!("IsMatch({value}, {})", string(&pattern)));
                and([guard, if negated { not(test) } else { test }])
            }
        }
    }
}

/// The value of the first present source decides: source `i` applies when every
/// earlier one is nil. `test` is false on a nil source, so the source's own presence
/// needs no test.
fn first_present(sources: &[String], mut test: impl FnMut(usize, &str) -> Cond) -> Cond {
    or(sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let mut items: Vec<Cond> = sources[..i]
                .iter()
                .map(|earlier| cmp(earlier, "==", "nil"))
                .collect();
            items.push(test(i, source));
            and(items)
        })
        .collect::<Vec<_>>())
}

/// A number comparison on a value of any type (spec/types.md, "Comparison").
fn number(value: &str, op: CompareOp, literal: Num) -> Cond {
    if let Some(k) = small_int(literal) {
        let test = cmp(value, op_text(op), &k.to_string());
        return if op == CompareOp::Ne {
            and([or([is_int(value), is_double(value)]), test])
        } else {
            test
        };
    }
    or([
        and([is_int(value), int_side(op, literal).cond(value)]),
        and([is_double(value), double_side(op, literal).cond(value)]),
    ])
}

/// A test on the span duration.
fn duration(test: Test<'_>) -> Cond {
    let Test::Compare(op, literal) = test else {
        // A string test on a duration is false in both forms.
        return Cond::Const(false);
    };
    let literal = match literal.value {
        // A number means milliseconds; a duration literal carries its unit.
        Value::Int(n) => DurationLiteral::Nanos(i128::from(n) * 1_000_000),
        Value::Duration(nanos, _) => DurationLiteral::Nanos(i128::from(nanos)),
        Value::Float(x) => DurationLiteral::Millis(x),
        _ => return Cond::Const(false),
    };
    let intervals = duration_intervals(op, literal);
    and([duration_present(), duration_in(&intervals)])
}

/// A test on span kind or status: `==` and `!=` with a constant, nothing else.
fn constant(test: Test<'_>, path: &str, ottl: impl Fn(&str) -> Option<String>) -> Cond {
    match test {
        Test::Compare(op @ (CompareOp::Eq | CompareOp::Ne), literal) => match &literal.value {
            Value::Name(name) => match ottl(name) {
                Some(constant) => cmp(path, op_text(op), &constant),
                // The loader reports unknown constants (E116).
                None => Cond::Const(false),
            },
            _ => Cond::Const(false),
        },
        _ => Cond::Const(false),
    }
}

/// `exists(field)`.
fn exists(field: &Field) -> Cond {
    let builtin = match &field.kind {
        FieldKind::Builtin(builtin) => *builtin,
        FieldKind::TraceState(key) => return trace_state_present(&trace_state_path(key)),
        attribute => {
            let path = attribute_path(attribute).unwrap_or_default();
            return cmp(&path, "!=", "nil");
        }
    };
    match builtin {
        BuiltinField::StatusCode
        | BuiltinField::Method
        | BuiltinField::UserId
        | BuiltinField::Path => or(builtin
            .attribute_sources()
            .iter()
            .map(|key| cmp(&span_attribute(key), "!=", "nil"))
            .collect::<Vec<_>>()),
        BuiltinField::Service => cmp(&resource_attribute("service.name"), "!=", "nil"),
        BuiltinField::ParentSpanId => not(call("IsRootSpan()".to_owned())),
        // `trace_duration` is handled as a trace-level part by `trace_exists`.
        BuiltinField::Duration | BuiltinField::DurationMs | BuiltinField::TraceDuration => {
            duration_present()
        }
        // name, kind, status, error, trace_id and span_id always have a value.
        _ => Cond::Const(true),
    }
}

/// `exists(f)` for a field that may be trace-level: `trace_duration` is present when
/// some span has a duration, `span_count` always.
fn trace_exists(field: &Field) -> Tf {
    match field.kind {
        FieldKind::Builtin(BuiltinField::TraceDuration) => trace::exists(duration_present()),
        FieldKind::Builtin(BuiltinField::SpanCount) => Tf::Const(true),
        _ => trace::exists(exists(field)),
    }
}
