//! Concrete spans and the exact meaning of an atom on one.
//!
//! Every answer of the engine that claims a span exists (a satisfiable condition, a
//! counterexample to an implication) is backed by a [`SpanModel`] on which the formulas
//! are evaluated here, by the rules of spec/types.md, spec/fields.md and
//! spec/missing-values.md. A witness that does not evaluate as claimed is never
//! returned, so a bug in the symbolic reasoning can cost an answer (Unknown) but not
//! produce a wrong one.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use cpl_syntax::ast::{CompareOp, StringOp};

use super::formula::{Atom, BuiltinKey, Lit, Pred, Var, KINDS, STATUSES, STATUS_ERROR};
use super::num::{cmp_num, holds, nanos_to_millis, Num};

/// An attribute value of a [`SpanModel`] (an OTLP `AnyValue`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AttrValue {
    /// `intValue`.
    Int(i64),
    /// `doubleValue` (NaN and infinities included).
    Double(f64),
    /// `stringValue`.
    Str(String),
    /// `boolValue`.
    Bool(bool),
    /// An array, key-value list or byte string: only `exists` is true for it.
    Array,
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Int(v) => write!(f, "{v}"),
            AttrValue::Double(v) if v.is_nan() => f.write_str("NaN"),
            AttrValue::Double(v) => cpl_syntax::ast::Value::Float(*v).fmt(f),
            AttrValue::Str(v) => cpl_syntax::ast::Value::String(v.clone()).fmt(f),
            AttrValue::Bool(v) => write!(f, "{v}"),
            AttrValue::Array => f.write_str("[…]"),
        }
    }
}

/// A concrete span: what a witness describes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SpanModel {
    /// Span attributes, each key once.
    pub attributes: Vec<(String, AttrValue)>,
    /// Resource attributes, each key once.
    pub resource: Vec<(String, AttrValue)>,
    /// The span name.
    pub name: String,
    /// The span kind, one of `UNSPECIFIED`, `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER`,
    /// `CONSUMER`.
    pub kind: &'static str,
    /// The span status, one of `UNSET`, `OK`, `ERROR`.
    pub status: &'static str,
    /// The trace id, 32 lowercase hex digits.
    pub trace_id: String,
    /// The span id, 16 lowercase hex digits.
    pub span_id: String,
    /// The parent span id; `None` on a root span.
    pub parent_span_id: Option<String>,
    /// End minus start time in nanoseconds; `None` when the times are unset.
    pub duration_nanos: Option<u64>,
}

impl Default for SpanModel {
    fn default() -> Self {
        Self {
            attributes: Vec::new(),
            resource: Vec::new(),
            name: String::new(),
            kind: KINDS[0],
            status: STATUSES[0],
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
            span_id: "00f067aa0ba902b7".to_owned(),
            parent_span_id: None,
            duration_nanos: None,
        }
    }
}

/// The value of a variable on a span, as predicates see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Missing,
    Num(Num),
    Str(Cow<'a, str>),
    Bool(bool),
    /// A value no literal compares with (array, or a source of the wrong type).
    Other,
    Dur(u64),
    Kind(u8),
    Status(u8),
}

fn attr_val(value: &AttrValue) -> Val<'_> {
    match value {
        AttrValue::Int(v) => Val::Num(Num::Int(*v)),
        AttrValue::Double(v) => Val::Num(Num::Float(*v)),
        AttrValue::Str(v) => Val::Str(Cow::Borrowed(v)),
        AttrValue::Bool(v) => Val::Bool(*v),
        AttrValue::Array => Val::Other,
    }
}

fn lookup<'a>(list: &'a [(String, AttrValue)], key: &str) -> Option<&'a AttrValue> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(crate) use cpl_syntax::values::url_path;

fn index_of(table: &[&str], name: &str) -> Option<u8> {
    table
        .iter()
        .position(|c| *c == name)
        .and_then(|i| u8::try_from(i).ok())
}

impl SpanModel {
    /// The value a variable has on this span.
    pub(crate) fn read(&self, var: &Var) -> Val<'_> {
        match var {
            Var::Span(key) => lookup(&self.attributes, key).map_or(Val::Missing, attr_val),
            Var::Resource(key) => lookup(&self.resource, key).map_or(Val::Missing, attr_val),
            Var::Field(field) => self.read_field(*field),
        }
    }

    fn first_source(&self, field: BuiltinKey) -> Option<(usize, &AttrValue)> {
        field.sources().iter().enumerate().find_map(|(i, source)| {
            let value = match source {
                Var::Span(key) => lookup(&self.attributes, key),
                Var::Resource(key) => lookup(&self.resource, key),
                Var::Field(_) => None,
            };
            value.map(|v| (i, v))
        })
    }

    fn read_field(&self, field: BuiltinKey) -> Val<'_> {
        match field {
            BuiltinKey::StatusCode => match self.first_source(field) {
                None => Val::Missing,
                Some((_, AttrValue::Int(v))) => Val::Num(Num::Int(*v)),
                Some((_, AttrValue::Double(v))) => Val::Num(Num::Float(*v)),
                Some(_) => Val::Other,
            },
            BuiltinKey::Method | BuiltinKey::UserId | BuiltinKey::Service => {
                match self.first_source(field) {
                    None => Val::Missing,
                    Some((_, AttrValue::Str(v))) => Val::Str(Cow::Borrowed(v)),
                    Some(_) => Val::Other,
                }
            }
            BuiltinKey::Path => match self.first_source(field) {
                None => Val::Missing,
                Some((i, AttrValue::Str(v))) if i >= 3 => Val::Str(Cow::Borrowed(url_path(v))),
                Some((_, AttrValue::Str(v))) => Val::Str(Cow::Borrowed(v)),
                Some(_) => Val::Other,
            },
            BuiltinKey::Duration => self.duration_nanos.map_or(Val::Missing, Val::Dur),
            BuiltinKey::Name => Val::Str(Cow::Borrowed(&self.name)),
            BuiltinKey::Kind => Val::Kind(index_of(&KINDS, self.kind).unwrap_or(0)),
            BuiltinKey::Status => Val::Status(index_of(&STATUSES, self.status).unwrap_or(0)),
            BuiltinKey::TraceId => Val::Str(Cow::Borrowed(&self.trace_id)),
            BuiltinKey::SpanId => Val::Str(Cow::Borrowed(&self.span_id)),
            BuiltinKey::ParentSpanId => self
                .parent_span_id
                .as_deref()
                .map_or(Val::Missing, |id| Val::Str(Cow::Borrowed(id))),
        }
    }

    /// Whether the span's status is `ERROR` (the built-in field `error`).
    pub(crate) fn is_error(&self) -> bool {
        index_of(&STATUSES, self.status) == Some(STATUS_ERROR)
    }
}

/// Whether `pred` holds for `value`; `None` for an opaque predicate.
pub(crate) fn eval_pred(pred: &Pred, value: &Val<'_>) -> Option<bool> {
    if let Pred::Opaque(_) = pred {
        return None;
    }
    if *value == Val::Missing {
        return Some(false);
    }
    Some(match pred {
        Pred::Exists => true,
        Pred::Cmp(op, lit) => compare(*op, value, lit),
        Pred::Test(op, negated, needle) => match value {
            Val::Str(text) => {
                let found = match op {
                    StringOp::Contains => text.contains(&**needle),
                    StringOp::StartsWith => text.starts_with(&**needle),
                    StringOp::EndsWith => text.ends_with(&**needle),
                    StringOp::Matches => return None,
                };
                found != *negated
            }
            _ => false,
        },
        Pred::Matches(pattern, negated) => match value {
            Val::Str(text) => pattern.regex.is_match(text) != *negated,
            _ => false,
        },
        Pred::Opaque(_) => return None,
    })
}

fn compare(op: CompareOp, value: &Val<'_>, lit: &Lit) -> bool {
    match (value, lit) {
        (Val::Num(v), Lit::Int(c)) => holds(op, cmp_num(*v, Num::Int(*c))),
        (Val::Num(v), Lit::Float(c)) => holds(op, cmp_num(*v, Num::Float(*c))),
        (Val::Dur(d), Lit::Int(ms)) => {
            holds(op, Some(i128::from(*d).cmp(&(i128::from(*ms) * 1_000_000))))
        }
        (Val::Dur(d), Lit::Float(ms)) => holds(op, nanos_to_millis(*d).partial_cmp(ms)),
        (Val::Dur(d), Lit::Dur(nanos)) => holds(op, Some(i128::from(*d).cmp(&i128::from(*nanos)))),
        (Val::Str(v), Lit::Str(c)) => holds(op, Some(v.as_bytes().cmp(c.as_bytes()))),
        (Val::Bool(v), Lit::Bool(c)) => match op {
            CompareOp::Eq => v == c,
            CompareOp::Ne => v != c,
            _ => false,
        },
        (Val::Kind(v), Lit::Name(name)) => enum_compare(op, *v, index_of(&KINDS, name)),
        (Val::Status(v), Lit::Name(name)) => enum_compare(op, *v, index_of(&STATUSES, name)),
        _ => false,
    }
}

fn enum_compare(op: CompareOp, value: u8, constant: Option<u8>) -> bool {
    match (op, constant) {
        (CompareOp::Eq, Some(c)) => value == c,
        (CompareOp::Ne, Some(c)) => value != c,
        _ => false,
    }
}

/// Whether `atom` holds on `span`; `None` for an opaque atom.
pub(crate) fn eval_atom(atom: &Atom, span: &SpanModel) -> Option<bool> {
    eval_pred(&atom.pred, &span.read(&atom.var))
}

/// Orders two strings as CPL does (by code point, which is byte order in UTF-8).
pub(crate) fn str_order(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}
