//! The OTTL conditions of an `ottl_condition` policy as one CPL expression
//! (spec/targets/otel-collector.md §5.1).
//!
//! OTTL evaluates a condition to true, to false, or to a runtime error, which
//! `error_mode` then reads. So each boolean node is translated to two CPL
//! expressions: `t`, true on exactly the spans where the node evaluates to true,
//! and `f`, where it evaluates to false; on the other spans it fails. A node that
//! cannot fail has `f = NOT t`. With `error_mode` `ignore`, `silent` or omitted a
//! failing condition counts as false, so a condition list is the OR of the `t`s,
//! exactly; with `propagate` the first failure (in span order) ends the policy,
//! which CPL cannot say, and the caller warns (W531) when a failure is possible.
//!
//! Only what has an exact CPL form is translated; anything else is named in a
//! [`Refusal`] (E531). The few near misses that are imported anyway say why in
//! [`Translation::approximations`] (W530, W532).

use crate::ottl::{compare, BoolExpr, CompareOp, Expr, Field, Func, GoRegex, Key, Value};

use super::quote;

/// A CPL expression under construction, with constants folded away.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cpl {
    Const(bool),
    Atom(String),
    Not(Box<Cpl>),
    And(Vec<Cpl>),
    Or(Vec<Cpl>),
}

impl Cpl {
    fn atom(text: impl Into<String>) -> Cpl {
        Cpl::Atom(text.into())
    }

    pub(super) fn not(self) -> Cpl {
        match self {
            Cpl::Const(value) => Cpl::Const(!value),
            Cpl::Not(inner) => *inner,
            other => Cpl::Not(Box::new(other)),
        }
    }

    pub(super) fn and(items: Vec<Cpl>) -> Cpl {
        let mut out = Vec::new();
        for item in items {
            match item {
                Cpl::Const(true) => {}
                Cpl::Const(false) => return Cpl::Const(false),
                Cpl::And(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Cpl::Const(true),
            1 => out.pop().unwrap_or(Cpl::Const(true)),
            _ => Cpl::And(out),
        }
    }

    pub(super) fn or(items: Vec<Cpl>) -> Cpl {
        let mut out = Vec::new();
        for item in items {
            match item {
                Cpl::Const(false) => {}
                Cpl::Const(true) => return Cpl::Const(true),
                Cpl::Or(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Cpl::Const(false),
            1 => out.pop().unwrap_or(Cpl::Const(false)),
            _ => Cpl::Or(out),
        }
    }

    /// The expression as CPL text, fully parenthesised (the printer canonicalises it).
    /// `name` is never missing, so `exists(name)` is true on every span.
    pub(super) fn text(&self) -> String {
        match self {
            Cpl::Const(true) => "exists(name)".to_owned(),
            Cpl::Const(false) => "NOT exists(name)".to_owned(),
            Cpl::Atom(text) => text.clone(),
            Cpl::Not(inner) => format!("NOT ({})", inner.text()),
            Cpl::And(items) => join(items, " AND "),
            Cpl::Or(items) => join(items, " OR "),
        }
    }
}

fn join(items: &[Cpl], separator: &str) -> String {
    items
        .iter()
        .map(|item| format!("({})", item.text()))
        .collect::<Vec<_>>()
        .join(separator)
}

/// One boolean node: where it is true, where it is false (`None` when CPL cannot
/// say), and whether it can fail at run time.
struct Tr {
    t: Cpl,
    f: Option<Cpl>,
    safe: bool,
}

impl Tr {
    fn safe(t: Cpl) -> Tr {
        Tr {
            f: Some(t.clone().not()),
            t,
            safe: true,
        }
    }
}

/// A construct with no exact CPL form, named for the diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Refusal(pub(super) String);

type Result<T> = std::result::Result<T, Refusal>;

fn refuse<T>(what: impl Into<String>) -> Result<T> {
    Err(Refusal(what.into()))
}

/// A translated condition list.
#[derive(Debug, Default)]
pub(super) struct Translation {
    /// Some condition can fail at run time (`error_mode` then matters).
    pub(super) may_fail: bool,
    /// Why the translation is not exact, each once: `(W code name, reason)`.
    pub(super) approximations: Vec<(&'static cpl_syntax::Code, String)>,
}

impl Translation {
    fn approximate(&mut self, code: &'static cpl_syntax::Code, why: &str) {
        if !self.approximations.iter().any(|(_, w)| w == why) {
            self.approximations.push((code, why.to_owned()));
        }
    }

    /// The CPL expression true on the spans where `condition` evaluates to true.
    pub(super) fn condition(&mut self, condition: &BoolExpr) -> Result<Cpl> {
        let tr = self.bool_expr(condition)?;
        self.may_fail |= !tr.safe;
        Ok(tr.t)
    }

    fn bool_expr(&mut self, expr: &BoolExpr) -> Result<Tr> {
        match expr {
            BoolExpr::Const(value) => Ok(Tr::safe(Cpl::Const(*value))),
            BoolExpr::Not(inner) => {
                let inner = self.bool_expr(inner)?;
                let Some(f) = inner.f else {
                    return refuse("`not` of a condition whose failure CPL cannot tell from false");
                };
                Ok(Tr {
                    t: f,
                    f: Some(inner.t),
                    safe: inner.safe,
                })
            }
            BoolExpr::And(items) => {
                let items = items
                    .iter()
                    .map(|item| self.bool_expr(item))
                    .collect::<Result<Vec<_>>>()?;
                chain(items, true)
            }
            BoolExpr::Or(items) => {
                let items = items
                    .iter()
                    .map(|item| self.bool_expr(item))
                    .collect::<Result<Vec<_>>>()?;
                chain(items, false)
            }
            BoolExpr::Compare(left, op, right) => self.compare(left, *op, right),
            BoolExpr::Converter(call) => match call {
                Expr::Call(func, keys) if keys.is_empty() => self.predicate(func),
                _ => refuse("a converter result indexed with keys"),
            },
        }
    }

    /// A converter that returns a bool.
    fn predicate(&mut self, func: &Func) -> Result<Tr> {
        match func {
            Func::IsRootSpan => Ok(Tr::safe(Cpl::atom("NOT exists(parent_span_id)"))),
            Func::IsMatch(target, regex) => self.is_match(target, regex),
            Func::IsString(target) => Self::is_type(target, "string"),
            Func::IsInt(target) => Self::is_type(target, "int"),
            Func::IsDouble(target) => Self::is_type(target, "float"),
            Func::IsBool(target) => Self::is_type(target, "bool"),
            Func::HasPrefix(target, affix) => Self::affix(target, affix, "starts_with"),
            Func::HasSuffix(target, affix) => Self::affix(target, affix, "ends_with"),
            Func::ContainsValue(list, item) => {
                let Expr::List(items) = list.as_ref() else {
                    return refuse("`ContainsValue` of anything but a list literal");
                };
                let items = items
                    .iter()
                    .map(|candidate| self.compare(item, CompareOp::Eq, candidate))
                    .collect::<Result<Vec<_>>>()?;
                chain(items, false)
            }
            other => refuse(format!("the converter `{}`", func_name(other))),
        }
    }

    fn is_type(target: &Expr, cpl_type: &str) -> Result<Tr> {
        Ok(Tr::safe(match subject(target)? {
            Subject::Attribute(field) => Cpl::atom(format!("{field} is {cpl_type}")),
            Subject::Text(_) | Subject::Parent => Cpl::Const(cpl_type == "string"),
            Subject::Finite(domain) => Cpl::Const(domain.values.iter().all(|(v, _)| {
                matches!(
                    (v, cpl_type),
                    (Value::Str(_), "string") | (Value::Int(_), "int")
                )
            })),
            Subject::TraceState(_) => {
                return refuse(
                    "a type test of a trace-state entry (nil when the header is invalid)",
                )
            }
            Subject::Substring { .. } => return refuse("a type test of `Substring`"),
        }))
    }

    fn is_match(&mut self, target: &Expr, regex: &GoRegex) -> Result<Tr> {
        let pattern = quote(regex.rust_pattern());
        Ok(match subject(target)? {
            Subject::Attribute(field) => {
                self.approximate(
                    &cpl_syntax::codes::APPROXIMATE_OTTL,
                    "`IsMatch` also matches the text of an int, double or bool attribute; CPL's \
                     `matches` reads strings only",
                );
                // A double NaN fails the text conversion, so this can fail too.
                let t = Cpl::atom(format!("{field} matches {pattern}"));
                Tr {
                    f: Some(t.clone().not()),
                    t,
                    safe: false,
                }
            }
            Subject::Text(field) => Tr::safe(Cpl::atom(format!("{field} matches {pattern}"))),
            Subject::Parent => Tr::safe(Cpl::or(vec![
                Cpl::and(vec![
                    Cpl::atom("NOT exists(parent_span_id)"),
                    Cpl::Const(regex.is_match(ROOT_PARENT)),
                ]),
                Cpl::atom(format!("parent_span_id matches {pattern}")),
            ])),
            Subject::Finite(domain) => {
                Tr::safe(domain.select(|value| matches!(value, Value::Str(s) if regex.is_match(s))))
            }
            Subject::TraceState(field) => {
                if regex.is_match(b"") {
                    return refuse(
                        "`IsMatch` of a trace-state entry with a pattern that matches \"\" \
                         (an absent key reads as \"\")",
                    );
                }
                Tr::safe(Cpl::atom(format!("{field} matches {pattern}")))
            }
            Subject::Substring { .. } => return refuse("`IsMatch` of `Substring`"),
        })
    }

    fn affix(target: &Expr, affix: &[u8], test: &str) -> Result<Tr> {
        let Ok(affix) = std::str::from_utf8(affix) else {
            return refuse("an affix that is not UTF-8");
        };
        let test_on = |field: &str| Cpl::atom(format!("{field} {test} {}", quote(affix)));
        match subject(target)? {
            // A non-string target fails: true on strings with the affix, false on
            // strings without it.
            Subject::Attribute(field) => Ok(Tr {
                t: test_on(&field),
                f: Some(Cpl::and(vec![
                    Cpl::atom(format!("{field} is string")),
                    test_on(&field).not(),
                ])),
                safe: false,
            }),
            Subject::Text(field) => Ok(Tr::safe(test_on(&field))),
            _ => refuse(format!("`{test}` of this value")),
        }
    }

    fn compare(&mut self, left: &Expr, op: CompareOp, right: &Expr) -> Result<Tr> {
        match (literal(left)?, literal(right)?) {
            (Some(a), Some(b)) => Ok(Tr::safe(Cpl::Const(compare(&a, &b, op)))),
            (None, Some(value)) => self.compare_subject(left, op, &value),
            (Some(value), None) => self.compare_subject(right, mirror(op), &value),
            (None, None) => refuse("a comparison of two paths or converters"),
        }
    }

    fn compare_subject(&mut self, target: &Expr, op: CompareOp, value: &Value) -> Result<Tr> {
        // An empty byte slice is nil to OTTL's comparisons.
        let value = match value {
            Value::Bytes(bytes) if bytes.is_empty() => &Value::Nil,
            other => other,
        };
        match subject(target)? {
            Subject::Attribute(field) => self.compare_attribute(&field, op, value),
            Subject::Text(field) => Ok(Tr::safe(compare_text(&field, op, value)?)),
            Subject::Parent => Ok(Tr::safe(match value {
                Value::Str(_) => Cpl::or(vec![
                    Cpl::and(vec![
                        Cpl::atom("NOT exists(parent_span_id)"),
                        Cpl::Const(compare(&Value::str(ROOT_PARENT_STR), value, op)),
                    ]),
                    compare_text("parent_span_id", op, value)?,
                ]),
                other => Cpl::Const(compare(&Value::str(ROOT_PARENT_STR), other, op)),
            })),
            Subject::Finite(domain) => Ok(Tr::safe(
                domain.select(|candidate| compare(candidate, value, op)),
            )),
            Subject::TraceState(field) => match (value, op) {
                (Value::Str(text), CompareOp::Eq | CompareOp::Ne) if !text.is_empty() => {
                    let eq = Cpl::atom(format!("{field} == {}", string_literal(text)?));
                    Ok(Tr::safe(if op == CompareOp::Eq { eq } else { eq.not() }))
                }
                _ => refuse(
                    "a trace-state entry compared other than `==`/`!=` with a non-empty string \
                     (OTTL reads an absent key as \"\" and an invalid header as nil)",
                ),
            },
            Subject::Substring {
                field,
                length,
                attribute,
            } => substring_compare(&field, length, attribute, op, value),
        }
    }

    /// A span or resource attribute, which may hold any type or be missing.
    fn compare_attribute(&mut self, field: &str, op: CompareOp, value: &Value) -> Result<Tr> {
        let atom = |op: &str, literal: &str| Cpl::atom(format!("{field} {op} {literal}"));
        // `!=` in OTTL is the negation of `==` (true on nil and other types); CPL's
        // `!=` needs a value, so it is written `NOT ==`.
        let by_op = |literal: &str| match op {
            CompareOp::Ne => atom("==", literal).not(),
            other => atom(op_text(other), literal),
        };
        Ok(Tr::safe(match value {
            Value::Str(text) => by_op(&string_literal(text)?),
            Value::Int(n) if n.unsigned_abs() <= EXACT => by_op(&n.to_string()),
            Value::Int(n) => {
                // OTTL compares a double with the int as float64(n): say so for each type.
                #[allow(clippy::cast_precision_loss)]
                let as_float = *n as f64;
                let typed = |op: CompareOp| {
                    Cpl::or(vec![
                        Cpl::and(vec![
                            Cpl::atom(format!("{field} is int")),
                            atom(op_text(op), &n.to_string()),
                        ]),
                        Cpl::and(vec![
                            Cpl::atom(format!("{field} is float")),
                            atom(op_text(op), &float_literal(as_float)),
                        ]),
                    ])
                };
                match op {
                    CompareOp::Ne => typed(CompareOp::Eq).not(),
                    other => typed(other),
                }
            }
            Value::Float(x) if x.is_finite() && x.abs() < 9_007_199_254_740_992.0 => {
                by_op(&float_literal(*x))
            }
            Value::Float(_) => {
                return refuse(
                    "a float literal of 2^53 or more (OTTL rounds ints to float64 there)",
                )
            }
            Value::Bool(b) => match (op, b) {
                (CompareOp::Eq | CompareOp::Ne, _) => by_op(&b.to_string()),
                (CompareOp::Lt, true) | (CompareOp::Le, false) => atom("==", "false"),
                (CompareOp::Gt, false) | (CompareOp::Ge, true) => atom("==", "true"),
                (CompareOp::Le, true) | (CompareOp::Ge, false) => {
                    Cpl::atom(format!("{field} is bool"))
                }
                (CompareOp::Lt, false) | (CompareOp::Gt, true) => Cpl::Const(false),
            },
            Value::Nil => {
                self.approximate(
                    &cpl_syntax::codes::APPROXIMATE_IMPORT,
                    "OTTL reads an empty byte-string attribute as nil; CPL reads it as present",
                );
                let missing = Cpl::atom(format!("NOT exists({field})"));
                match op {
                    CompareOp::Eq | CompareOp::Le | CompareOp::Ge => missing,
                    CompareOp::Ne => missing.not(),
                    CompareOp::Lt | CompareOp::Gt => Cpl::Const(false),
                }
            }
            _ => return refuse("a comparison with a byte slice, list, map or id"),
        }))
    }
}

/// `and` (`conjunction`) or `or` of translated nodes, left to right, stopping where
/// OTTL stops: a failure before the deciding operand fails the whole chain.
fn chain(items: Vec<Tr>, conjunction: bool) -> Result<Tr> {
    if items.iter().all(|item| item.safe) {
        let ts = items.into_iter().map(|item| item.t).collect();
        return Ok(Tr::safe(if conjunction {
            Cpl::and(ts)
        } else {
            Cpl::or(ts)
        }));
    }
    // `and` is true when every operand is, and false when the operands before the
    // i-th are true and the i-th is false; `or` the same with true and false swapped.
    let (pass, decide): (Vec<Option<Cpl>>, Vec<Option<Cpl>>) = items
        .iter()
        .map(|item| {
            if conjunction {
                (Some(item.t.clone()), item.f.clone())
            } else {
                (item.f.clone(), Some(item.t.clone()))
            }
        })
        .unzip();
    let all_pass = pass
        .iter()
        .cloned()
        .collect::<Option<Vec<_>>>()
        .map(Cpl::and);
    let mut decided = Some(Vec::new());
    for (i, step) in decide.iter().enumerate() {
        let before = pass[..i].iter().cloned().collect::<Option<Vec<_>>>();
        decided = match (decided, step, before) {
            (Some(mut out), Some(step), Some(mut before)) => {
                before.push(step.clone());
                out.push(Cpl::and(before));
                Some(out)
            }
            _ => None,
        };
    }
    let decided = decided.map(Cpl::or);
    let (t, f) = if conjunction {
        (all_pass, decided)
    } else {
        (decided, all_pass)
    };
    let Some(t) = t else {
        return refuse("`or` after a part whose failure CPL cannot tell from false");
    };
    Ok(Tr { t, f, safe: false })
}

/// Integers up to this magnitude are exact as float64.
const EXACT: u64 = 1 << 53;

/// `span.parent_span_id.string` of a root span.
const ROOT_PARENT_STR: &str = "0000000000000000";
const ROOT_PARENT: &[u8] = ROOT_PARENT_STR.as_bytes();

fn mirror(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

fn float_literal(value: f64) -> String {
    let text = format!("{value:?}");
    if text.contains(['.', 'e']) {
        text
    } else {
        format!("{text}.0")
    }
}

fn string_literal(bytes: &[u8]) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(quote(text)),
        Err(_) => refuse("a string that is not UTF-8"),
    }
}

/// A string field CPL always has (`name`, `trace_id`, `span_id`).
fn compare_text(field: &str, op: CompareOp, value: &Value) -> Result<Cpl> {
    Ok(match value {
        Value::Str(text) => Cpl::atom(format!("{field} {} {}", op_text(op), string_literal(text)?)),
        // Any other type compares the same with every string.
        other => Cpl::Const(compare(&Value::str(""), other, op)),
    })
}

/// `Substring(target, 0, length) op "text"`: only `==` and `!=` from the start.
fn substring_compare(
    field: &str,
    length: usize,
    attribute: bool,
    op: CompareOp,
    value: &Value,
) -> Result<Tr> {
    let Value::Str(text) = value else {
        return refuse("`Substring` compared with anything but a string");
    };
    let prefix = string_literal(text)?;
    // True: the target is a string that starts with `text` of the right length.
    let t = if text.len() == length {
        Cpl::atom(format!("{field} starts_with {prefix}"))
    } else {
        Cpl::Const(false)
    };
    // False: a string of at least `length` bytes without that prefix. CPL measures
    // strings in characters; one byte is one character only for the empty test.
    let long_enough = if length == 1 {
        Some(Cpl::atom(format!("{field} != \"\"")))
    } else {
        None
    };
    let f = long_enough.map(|long| {
        let mut parts = vec![long, t.clone().not()];
        if attribute {
            parts.insert(0, Cpl::atom(format!("{field} is string")));
        }
        Cpl::and(parts)
    });
    Ok(match op {
        CompareOp::Eq => Tr { t, f, safe: false },
        CompareOp::Ne => match f {
            Some(f) => Tr {
                t: f,
                f: Some(t),
                safe: false,
            },
            None => return refuse("`Substring(…) != …` longer than one byte"),
        },
        _ => return refuse("`Substring` compared other than with `==` or `!=`"),
    })
}

/// What a path or converter reads, as CPL can say it.
enum Subject {
    /// A span or resource attribute: any type, or missing.
    Attribute(String),
    /// A string CPL always has.
    Text(String),
    /// `span.parent_span_id.string`: `"0000000000000000"` on a root span.
    Parent,
    /// A value from a small known set (span kind, status code).
    Finite(Domain),
    /// `trace_state["k"]`: `""` when absent, nil when the header is invalid.
    TraceState(String),
    /// `Substring(field, 0, length)`.
    Substring {
        field: String,
        length: usize,
        attribute: bool,
    },
}

struct Domain {
    field: &'static str,
    values: Vec<(Value, &'static str)>,
}

impl Domain {
    fn kinds(value: impl Fn(usize, &str) -> Value) -> Domain {
        Domain {
            field: "kind",
            values: cpl_syntax::SpanKind::CONSTANTS
                .iter()
                .enumerate()
                .map(|(i, name)| (value(i, name), *name))
                .collect(),
        }
    }

    /// The constants whose value passes `keep`, as `field in [...]`.
    fn select(&self, keep: impl Fn(&Value) -> bool) -> Cpl {
        let chosen: Vec<&str> = self
            .values
            .iter()
            .filter(|(value, _)| keep(value))
            .map(|(_, name)| *name)
            .collect();
        if chosen.is_empty() {
            Cpl::Const(false)
        } else if chosen.len() == self.values.len() {
            Cpl::Const(true)
        } else {
            Cpl::atom(format!("{} in [{}]", self.field, chosen.join(", ")))
        }
    }
}

fn kind_title(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_string() + &chars.as_str().to_ascii_lowercase()
    })
}

#[allow(clippy::cast_possible_wrap)]
fn subject(expr: &Expr) -> Result<Subject> {
    let attribute = |prefix: &str, keys: &[Key]| match keys {
        [Key::Str(key)] => Ok(Subject::Attribute(format!("{prefix}[{}]", quote(key)))),
        [] => refuse("a whole attribute map"),
        _ => refuse("a nested attribute key (CPL reads top-level attributes only)"),
    };
    match expr {
        Expr::Path(field) => match field {
            Field::Attributes(keys) => attribute("attributes", keys),
            Field::ResourceAttributes(keys) => attribute("resource", keys),
            Field::Name => Ok(Subject::Text("name".to_owned())),
            Field::TraceIdString => Ok(Subject::Text("trace_id".to_owned())),
            Field::SpanIdString => Ok(Subject::Text("span_id".to_owned())),
            Field::ParentSpanIdString => Ok(Subject::Parent),
            Field::Kind => Ok(Subject::Finite(Domain::kinds(|i, _| Value::Int(i as i64)))),
            Field::KindString => Ok(Subject::Finite(Domain::kinds(|_, name| {
                Value::str(&kind_title(name))
            }))),
            Field::KindDeprecatedString => Ok(Subject::Finite(Domain::kinds(|_, name| {
                Value::str(&format!("SPAN_KIND_{name}"))
            }))),
            Field::StatusCode => Ok(Subject::Finite(Domain {
                field: "status",
                values: cpl_syntax::StatusCode::CONSTANTS
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (Value::Int(i as i64), *name))
                    .collect(),
            })),
            Field::TraceStateKey(Key::Str(key)) => {
                Ok(Subject::TraceState(format!("trace_state[{}]", quote(key))))
            }
            other => refuse(format!("the path `{}`", path_name(other))),
        },
        Expr::Call(Func::Substring(target, start, length, false), keys) if keys.is_empty() => {
            let (Expr::Literal(Value::Int(0)), Expr::Literal(Value::Int(length))) =
                (start.as_ref(), length.as_ref())
            else {
                return refuse("`Substring` not from 0 with a literal length");
            };
            let Ok(length) = usize::try_from(*length) else {
                return refuse("`Substring` with a length below 1");
            };
            if length == 0 {
                return refuse("`Substring` with a length below 1");
            }
            match subject(target)? {
                Subject::Attribute(field) => Ok(Subject::Substring {
                    field,
                    length,
                    attribute: true,
                }),
                Subject::Text(field) => Ok(Subject::Substring {
                    field,
                    length,
                    attribute: false,
                }),
                _ => refuse("`Substring` of this value"),
            }
        }
        Expr::Call(func, _) => refuse(format!("the converter `{}`", func_name(func))),
        Expr::Math(..) => refuse("arithmetic (`+ - * /`)"),
        Expr::List(_) | Expr::Literal(_) => refuse("a literal where a path is needed"),
    }
}

/// The literal value of `expr`, `None` when it reads the span.
fn literal(expr: &Expr) -> Result<Option<Value>> {
    Ok(match expr {
        Expr::Literal(value) => Some(value.clone()),
        Expr::Call(Func::TraceId(id), keys) if keys.is_empty() => Some(Value::TraceId(*id)),
        Expr::Call(Func::SpanId(id), keys) if keys.is_empty() => Some(Value::SpanId(*id)),
        Expr::List(_) => return refuse("a list literal in a comparison"),
        _ => None,
    })
}

fn func_name(func: &Func) -> &'static str {
    match func {
        Func::IsMatch(..) => "IsMatch",
        Func::ExtractPatterns(..) => "ExtractPatterns",
        Func::Substring(..) => "Substring",
        Func::Int(_) => "Int",
        Func::Double(_) => "Double",
        Func::String(_) => "String",
        Func::Bool(_) => "Bool",
        Func::IsRootSpan => "IsRootSpan",
        Func::Len(_) => "Len",
        Func::Concat(..) => "Concat",
        Func::ToLowerCase(_) => "ToLowerCase",
        Func::ToUpperCase(_) => "ToUpperCase",
        Func::HasPrefix(..) => "HasPrefix",
        Func::HasSuffix(..) => "HasSuffix",
        Func::IsString(_) => "IsString",
        Func::IsInt(_) => "IsInt",
        Func::IsDouble(_) => "IsDouble",
        Func::IsBool(_) => "IsBool",
        Func::IsMap(_) => "IsMap",
        Func::IsList(_) => "IsList",
        Func::ContainsValue(..) => "ContainsValue",
        Func::TraceId(_) => "TraceID",
        Func::SpanId(_) => "SpanID",
    }
}

fn path_name(field: &Field) -> &'static str {
    match field {
        Field::TraceId => "span.trace_id",
        Field::TraceIdString => "span.trace_id.string",
        Field::SpanId => "span.span_id",
        Field::SpanIdString => "span.span_id.string",
        Field::ParentSpanId => "span.parent_span_id",
        Field::ParentSpanIdString => "span.parent_span_id.string",
        Field::TraceState => "span.trace_state",
        Field::TraceStateKey(_) => "span.trace_state[…]",
        Field::Name => "span.name",
        Field::Kind => "span.kind",
        Field::KindString => "span.kind.string",
        Field::KindDeprecatedString => "span.kind.deprecated_string",
        Field::StartTimeUnixNano => "span.start_time_unix_nano",
        Field::EndTimeUnixNano => "span.end_time_unix_nano",
        Field::Attributes(_) => "span.attributes",
        Field::DroppedAttributesCount => "span.dropped_attributes_count",
        Field::DroppedEventsCount => "span.dropped_events_count",
        Field::DroppedLinksCount => "span.dropped_links_count",
        Field::StatusCode => "span.status.code",
        Field::StatusMessage => "span.status.message",
        Field::ResourceAttributes(_) => "resource.attributes",
        Field::ScopeName => "scope.name",
        Field::ScopeVersion => "scope.version",
        Field::ScopeAttributes(_) => "scope.attributes",
        Field::ScopeDroppedAttributesCount => "scope.dropped_attributes_count",
        Field::EventName => "spanevent.name",
        Field::EventTimeUnixNano => "spanevent.time_unix_nano",
        Field::EventAttributes(_) => "spanevent.attributes",
        Field::EventDroppedAttributesCount => "spanevent.dropped_attributes_count",
    }
}
