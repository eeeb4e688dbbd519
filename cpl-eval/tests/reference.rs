//! The compiled evaluator equals a plain reference interpreter.
//!
//! The interpreter below is written from the spec (types.md, fields.md,
//! missing-values.md, sampling.md) without looking at `cpl_eval`'s internals: it walks
//! the syntax tree recursively, resolves fields from a simple span model, and decides
//! int/float and duration comparisons by different arithmetic than the evaluator (exact
//! mantissa/exponent arithmetic, decimal parsing, the RFC 3986 appendix B regex). The
//! properties generate expressions and spans with missing fields, values of the wrong
//! type, duplicate keys, NaN, infinities and the integers around 2^53 and 2^63.

use std::cmp::Ordering;
use std::sync::Arc;

use cpl_eval::{AttrValue, Evaluator, RuleSet, SpanKind, SpanView, StatusCode, TraceTenant};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanDetail, SpanId, TraceId};
use cpl_syntax::ast::{
    CompareOp, DurationUnit, Expr, ExprKind, Field, FieldKind, Literal, StringOp, Value,
    DEFAULT_HASH_SALT,
};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{Action, Policy, Span as Pos};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------
// The span model

#[derive(Debug, Clone)]
enum TVal {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Array,
    Empty,
}

#[derive(Debug, Clone)]
struct TSpan {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent: Option<[u8; 8]>,
    name: String,
    kind: u8,
    status: u8,
    start: u64,
    end: u64,
    attrs: Vec<(String, TVal)>,
    resource: Vec<(String, TVal)>,
    /// The W3C `tracestate` header (`""`: none).
    trace_state: String,
    flags: u32,
}

fn to_any(value: &TVal) -> AnyValue {
    match value {
        TVal::Str(s) => AnyValue::String(s.clone()),
        TVal::Int(i) => AnyValue::Int(*i),
        TVal::Double(d) => AnyValue::Double(*d),
        TVal::Bool(b) => AnyValue::Bool(*b),
        TVal::Array => AnyValue::Array(vec![AnyValue::Int(1)]),
        TVal::Empty => AnyValue::Empty,
    }
}

fn to_otlp(span: &TSpan) -> Span {
    let kvs = |list: &[(String, TVal)]| {
        list.iter()
            .map(|(key, value)| KeyValue {
                key: key.clone(),
                value: to_any(value),
            })
            .collect()
    };
    Span {
        trace_id: TraceId(span.trace_id),
        span_id: SpanId(span.span_id),
        parent_span_id: span.parent.map(SpanId),
        name: span.name.clone(),
        kind: SpanKind::from_i64(i64::from(span.kind)).unwrap_or_default(),
        start_time_unix_nano: span.start,
        end_time_unix_nano: span.end,
        status: StatusCode::from_i64(i64::from(span.status)).unwrap_or_default(),
        attributes: kvs(&span.attrs),
        resource: Arc::new(Resource {
            attributes: kvs(&span.resource),
        }),
        encoded_len: 0,
        detail: (!span.trace_state.is_empty() || span.flags != 0).then(|| {
            Box::new(SpanDetail {
                trace_state: span.trace_state.clone(),
                flags: span.flags,
                ..SpanDetail::default()
            })
        }),
    }
}

/// An `otlp::Span` seen through the trait's default `first_attribute`, as an embedder
/// that implements only the required methods would provide it.
struct Plain<'a>(&'a Span);

impl SpanView for Plain<'_> {
    fn trace_id(&self) -> [u8; 16] {
        self.0.trace_id()
    }
    fn span_id(&self) -> [u8; 8] {
        self.0.span_id()
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        self.0.parent_span_id()
    }
    fn name(&self) -> &str {
        SpanView::name(self.0)
    }
    fn kind(&self) -> SpanKind {
        SpanView::kind(self.0)
    }
    fn status(&self) -> StatusCode {
        SpanView::status(self.0)
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.0.start_time_unix_nano()
    }
    fn end_time_unix_nano(&self) -> u64 {
        self.0.end_time_unix_nano()
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        SpanView::attribute(self.0, key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        self.0.resource_attribute(key)
    }
}

// ---------------------------------------------------------------------------------
// The reference interpreter

#[derive(Debug, Clone, PartialEq)]
enum RVal {
    Missing,
    Other,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Kind(u8),
    Status(u8),
    Dur(u64),
}

/// The first occurrence of `key`; an empty value counts as missing.
fn lookup<'a>(list: &'a [(String, TVal)], key: &str) -> Option<&'a TVal> {
    match list.iter().find(|(k, _)| k == key) {
        Some((_, TVal::Empty)) | None => None,
        Some((_, value)) => Some(value),
    }
}

fn plain(value: Option<&TVal>) -> RVal {
    match value {
        None => RVal::Missing,
        Some(TVal::Str(s)) => RVal::Str(s.clone()),
        Some(TVal::Int(i)) => RVal::Int(*i),
        Some(TVal::Double(d)) => RVal::Float(*d),
        Some(TVal::Bool(b)) => RVal::Bool(*b),
        Some(_) => RVal::Other,
    }
}

/// RFC 3986 appendix B: `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`,
/// with the scheme restricted to what section 3.1 allows.
fn reference_url_path(url: &str) -> String {
    let re =
        regex::Regex::new(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://[^/?#]*)?([^?#]*)").expect("valid");
    re.captures(url)
        .and_then(|c| c.get(1))
        .map_or_else(String::new, |m| m.as_str().to_owned())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `trace.ParseTraceState(header).Get(key)`, restated with the W3C grammar's regexes
/// (the generated headers are ASCII, where Go's low-byte test is the grammar).
fn reference_trace_state(header: &str, key: &str) -> Option<String> {
    let key_re = regex::Regex::new(
        r"^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$",
    )
    .expect("valid");
    let value_re =
        regex::Regex::new(r"^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$")
            .expect("valid");
    let mut entries: Vec<(String, String)> = Vec::new();
    for member in header.split(',').filter(|m| !m.is_empty()) {
        let at = member.find('=')?;
        let k = member[..at].trim_start_matches([' ', '\t']);
        let v = member[at + 1..].trim_end_matches([' ', '\t']);
        if !key_re.is_match(k) || !value_re.is_match(v) || entries.iter().any(|(e, _)| e == k) {
            return None;
        }
        entries.push((k.to_owned(), v.to_owned()));
    }
    if entries.len() > 32 {
        return None;
    }
    entries.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The trace's duration by the spec: over the spans with a duration.
fn reference_trace_duration(trace: &[TSpan]) -> RVal {
    let timed: Vec<&TSpan> = trace
        .iter()
        .filter(|s| s.start != 0 && s.end != 0 && s.end >= s.start)
        .collect();
    match (
        timed.iter().map(|s| s.start).min(),
        timed.iter().map(|s| s.end).max(),
    ) {
        (Some(start), Some(end)) => RVal::Dur(end - start),
        _ => RVal::Missing,
    }
}

fn resolve(field: &FieldKind, span: &TSpan) -> RVal {
    resolve_in(field, span, std::slice::from_ref(span))
}

fn resolve_in(field: &FieldKind, span: &TSpan, trace: &[TSpan]) -> RVal {
    let first = |keys: &[&str]| {
        keys.iter()
            .enumerate()
            .find_map(|(i, k)| lookup(&span.attrs, k).map(|v| (i, v)))
    };
    let stringly = |value: RVal| match value {
        RVal::Str(_) | RVal::Missing => value,
        _ => RVal::Other,
    };
    match field {
        FieldKind::SpanAttribute(key) => plain(lookup(&span.attrs, key)),
        FieldKind::ResourceAttribute(key) => plain(lookup(&span.resource, key)),
        FieldKind::TraceState(key) => {
            reference_trace_state(&span.trace_state, key).map_or(RVal::Missing, RVal::Str)
        }
        FieldKind::Builtin(builtin) => match builtin {
            BuiltinField::Sampled => RVal::Bool(span.flags % 2 == 1),
            BuiltinField::SpanCount => RVal::Int(i64::try_from(trace.len()).expect("small")),
            BuiltinField::TraceDuration => reference_trace_duration(trace),
            BuiltinField::StatusCode => {
                match first(&["http.response.status_code", "http.status_code"]) {
                    None => RVal::Missing,
                    Some((_, TVal::Int(i))) => RVal::Int(*i),
                    Some((_, TVal::Double(d))) => RVal::Float(*d),
                    Some(_) => RVal::Other,
                }
            }
            BuiltinField::Method => stringly(plain(
                first(&["http.request.method", "http.method"]).map(|(_, v)| v),
            )),
            BuiltinField::UserId => stringly(plain(
                first(&["user.id", "enduser.id", "user_id"]).map(|(_, v)| v),
            )),
            BuiltinField::Path => match first(&[
                "http.route",
                "url.path",
                "http.target",
                "url.full",
                "http.url",
            ]) {
                Some((i, TVal::Str(url))) if i >= 3 => RVal::Str(reference_url_path(url)),
                found => stringly(plain(found.map(|(_, v)| v))),
            },
            BuiltinField::Duration | BuiltinField::DurationMs => {
                if span.start == 0 || span.end == 0 || span.end < span.start {
                    RVal::Missing
                } else {
                    RVal::Dur(span.end - span.start)
                }
            }
            BuiltinField::Name => RVal::Str(span.name.clone()),
            BuiltinField::Kind => RVal::Kind(span.kind),
            BuiltinField::Status => RVal::Status(span.status),
            BuiltinField::Error => RVal::Bool(span.status == 2),
            BuiltinField::TraceId => RVal::Str(hex(&span.trace_id)),
            BuiltinField::SpanId => RVal::Str(hex(&span.span_id)),
            BuiltinField::ParentSpanId => span.parent.map_or(RVal::Missing, |p| RVal::Str(hex(&p))),
            BuiltinField::Service => stringly(plain(lookup(&span.resource, "service.name"))),
            _ => RVal::Missing,
        },
    }
}

/// The exact order of an int and a double, by mantissa and exponent.
fn exact_int_float(int: i64, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    if float.is_infinite() {
        return Some(if float > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let bits = float.to_bits();
    let negative = bits >> 63 == 1;
    let exponent = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let fraction = i128::from(bits & ((1 << 52) - 1));
    let (mantissa, exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    let mantissa = if negative { -mantissa } else { mantissa };
    let int = i128::from(int);
    // Compare int with mantissa * 2^exp.
    Some(if exp >= 0 {
        if exp > 70 {
            0.cmp(&mantissa)
        } else {
            int.cmp(&(mantissa << exp))
        }
    } else if -exp > 64 {
        // |float| < 1 (but may be nonzero): its sign decides against 0.
        if int != 0 {
            int.cmp(&0)
        } else {
            0.cmp(&mantissa)
        }
    } else {
        (int << -exp).cmp(&mantissa)
    })
}

/// `None` when the two are not both numbers; else their order (`None` for NaN).
#[allow(clippy::option_option)]
fn numbers(a: &RVal, b: &Value) -> Option<Option<Ordering>> {
    Some(match (a, b) {
        (RVal::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (RVal::Int(x), Value::Float(y)) => exact_int_float(*x, *y),
        (RVal::Float(x), Value::Int(y)) => exact_int_float(*y, *x).map(Ordering::reverse),
        (RVal::Float(x), Value::Float(y)) => x.partial_cmp(y),
        _ => return None,
    })
}

fn apply(op: CompareOp, ordering: Option<Ordering>) -> bool {
    match (op, ordering) {
        (CompareOp::Ne, None) => true,
        (_, None) => false,
        (CompareOp::Eq, Some(o)) => o.is_eq(),
        (CompareOp::Ne, Some(o)) => o.is_ne(),
        (CompareOp::Lt, Some(o)) => o.is_lt(),
        (CompareOp::Le, Some(o)) => o.is_le(),
        (CompareOp::Gt, Some(o)) => o.is_gt(),
        (CompareOp::Ge, Some(o)) => o.is_ge(),
    }
}

fn kind_constant(name: &str) -> Option<u8> {
    SpanKind::from_constant(name).map(|kind| kind as u8)
}

fn status_constant(name: &str) -> Option<u8> {
    StatusCode::from_constant(name).map(|status| status as u8)
}

fn compare(value: &RVal, op: CompareOp, literal: &Value) -> bool {
    let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
    if let Some(ordering) = numbers(value, literal) {
        return apply(op, ordering);
    }
    match (value, literal) {
        (RVal::Dur(d), Value::Int(ms)) => {
            apply(op, Some(i128::from(*d).cmp(&(i128::from(*ms) * 1_000_000))))
        }
        (RVal::Dur(d), Value::Duration(ns, _)) => {
            apply(op, Some(i128::from(*d).cmp(&i128::from(*ns))))
        }
        (RVal::Dur(d), Value::Float(x)) => {
            let millis: f64 = format!("{}.{:06}", d / 1_000_000, d % 1_000_000)
                .parse()
                .expect("decimal");
            apply(op, millis.partial_cmp(x))
        }
        (RVal::Str(s), Value::String(t)) => apply(op, Some(s.as_str().cmp(t.as_str()))),
        (RVal::Bool(a), Value::Bool(b)) if equality => apply(op, Some(a.cmp(b))),
        (RVal::Kind(k), Value::Name(n)) if equality => {
            apply(op, kind_constant(n).map(|c| k.cmp(&c)))
        }
        (RVal::Status(s), Value::Name(n)) if equality => {
            apply(op, status_constant(n).map(|c| s.cmp(&c)))
        }
        _ => false,
    }
}

/// The thresholds of spec/sampling.md, "Hash sampling", for the percentages the
/// generators use (computed with exact rationals, not with the evaluator's code).
fn reference_fnv_threshold(percent: &Value) -> u64 {
    match percent {
        Value::Int(0) => 0,
        Value::Int(1) => 0x028f_5c28_f5c2_8f5f,
        Value::Int(10) => 0x1999_9999_9999_99ff,
        Value::Int(25) => 0x3fff_ffff_ffff_ffff,
        Value::Int(50) => 0x7fff_ffff_ffff_ffff,
        Value::Float(x) if x.to_bits() == 12.5f64.to_bits() => 0x1fff_ffff_ffff_ffff,
        Value::Float(x) if x.to_bits() == 99.9f64.to_bits() => 0xffbe_76c8_b439_5fff,
        Value::Float(x) if x.to_bits() == 33.3f64.to_bits() => 0x553f_7ced_9168_6fff,
        Value::Int(100 | 150) => u64::MAX,
        other => panic!("no reference threshold for {other:?}"),
    }
}

fn reference_fnv(salt: &str, trace_id: [u8; 16]) -> u64 {
    let mut hash: u64 = 14_695_981_039_346_656_037;
    for byte in salt.bytes().chain(trace_id) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(1_099_511_628_211);
    }
    hash
}

fn reference(expr: &Expr, span: &TSpan) -> bool {
    reference_in(expr, span, std::slice::from_ref(span))
}

/// `expr` on `span`, a span of `trace`.
fn reference_in(expr: &Expr, span: &TSpan, trace: &[TSpan]) -> bool {
    let reference = |e: &Expr, s: &TSpan| reference_in(e, s, trace);
    let resolve = |f: &FieldKind, s: &TSpan| resolve_in(f, s, trace);
    match &expr.kind {
        ExprKind::And(items) => items.iter().all(|e| reference(e, span)),
        ExprKind::Or(items) => items.iter().any(|e| reference(e, span)),
        ExprKind::Not(inner) => !reference(inner, span),
        ExprKind::Any(inner) => trace.iter().any(|s| reference(inner, s)),
        ExprKind::TypeTest {
            field,
            negated,
            type_name,
        } => {
            let Value::Name(name) = &type_name.value else {
                panic!("type name")
            };
            let is = match (resolve(&field.kind, span), name.as_str()) {
                (RVal::Missing, _) => return false,
                (RVal::Int(_), "int")
                | (RVal::Float(_), "float")
                | (RVal::Str(_), "string")
                | (RVal::Bool(_), "bool") => true,
                _ => false,
            };
            is != *negated
        }
        ExprKind::FnvSample { percent, salt } => {
            let Value::String(salt) = &salt.value else {
                panic!("salt")
            };
            reference_fnv(salt, span.trace_id) <= reference_fnv_threshold(&percent.value)
        }
        ExprKind::Compare { field, op, value } => {
            compare(&resolve(&field.kind, span), *op, &value.value)
        }
        ExprKind::StringTest {
            field,
            op,
            negated,
            value,
        } => match (resolve(&field.kind, span), &value.value) {
            (RVal::Str(s), Value::String(t)) => {
                let passed = match op {
                    StringOp::Contains => s.contains(t.as_str()),
                    StringOp::StartsWith => s.starts_with(t.as_str()),
                    StringOp::EndsWith => s.ends_with(t.as_str()),
                    StringOp::Matches => regex::Regex::new(t).expect("valid pattern").is_match(&s),
                };
                passed != *negated
            }
            _ => false,
        },
        ExprKind::In {
            field,
            negated,
            values,
        } => {
            let value = resolve(&field.kind, span);
            if *negated {
                value != RVal::Missing
                    && values
                        .iter()
                        .all(|v| compare(&value, CompareOp::Ne, &v.value))
            } else {
                values
                    .iter()
                    .any(|v| compare(&value, CompareOp::Eq, &v.value))
            }
        }
        ExprKind::Exists(field) => resolve(&field.kind, span) != RVal::Missing,
        _ => panic!("unexpected node"),
    }
}

// ---------------------------------------------------------------------------------
// Generators

const SPAN_KEYS: &[&str] = &[
    "x",
    "y",
    "http.route",
    "url.path",
    "http.target",
    "url.full",
    "http.url",
    "http.response.status_code",
    "http.status_code",
    "http.request.method",
    "http.method",
    "user.id",
    "enduser.id",
    "user_id",
    "status_code",
];
const RESOURCE_KEYS: &[&str] = &["service.name", "x", "tenant.id"];
const STRINGS: &[&str] = &[
    "",
    "a",
    "b",
    "GET",
    "Z",
    "500",
    "/health",
    "/api/payment/1",
    "/api/users/:id",
    "https://h:8443/api/payment/1?q=2#f",
    "https://h",
    "http://h/a%20b?x",
    "/api/x?y=1",
    "mailto:a@b",
    "urn:a:b:c",
    "//h/p#f",
    "é",
    "e\u{301}",
    "checkout",
    "acme",
    "/p",
    "/a%20b",
    "f",
    "/api/payment/1?q=2#f",
    "https://h/p#f",
    "/p#f",
    "?q",
    "#f",
    "h:8443/p",
];
const PATTERNS: &[&str] = &[
    "^/api",
    "a|b",
    "\\d+",
    "(?i)get",
    ".*",
    "^$",
    "payment/\\d$",
    "é",
];
const TWO53: i64 = 1 << 53;
const INTS: &[i64] = &[
    0,
    1,
    -1,
    7,
    200,
    404,
    499,
    500,
    503,
    1000,
    1500,
    TWO53 - 1,
    TWO53,
    TWO53 + 1,
    -TWO53 - 1,
    i64::MIN,
    i64::MAX,
    i64::MAX - 1,
];
const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    0.3,
    0.300_000_000_000_000_04,
    0.5,
    20.0,
    499.5,
    500.0,
    1000.0,
    1500.0,
    9_007_199_254_740_992.0,
    9_007_199_254_740_994.0,
    -9_007_199_254_740_992.0,
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    1e300,
    5e-324,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![4 => proptest::sample::select(INTS), 1 => any::<i64>()]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![4 => proptest::sample::select(FLOATS), 1 => any::<f64>().prop_filter("no NaN literal", |f| !f.is_nan())]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(STRINGS).prop_map(str::to_owned), 1 => "[a-c/é]{0,3}"]
}

fn tval() -> impl Strategy<Value = TVal> {
    prop_oneof![
        4 => string().prop_map(TVal::Str),
        3 => int().prop_map(TVal::Int),
        3 => prop_oneof![4 => float(), 1 => Just(f64::NAN)].prop_map(TVal::Double),
        1 => any::<bool>().prop_map(TVal::Bool),
        1 => Just(TVal::Array),
        1 => Just(TVal::Empty),
    ]
}

fn times() -> impl Strategy<Value = (u64, u64)> {
    let base = 1_700_000_000_000_000_000u64;
    let durations = prop_oneof![
        Just(0u64),
        Just(300_000),
        Just(20_000_000),
        Just(1_000_000_000),
        Just(1_000_000_001),
        Just(1_500_000_000),
        0u64..5_000_000_000,
    ];
    prop_oneof![
        6 => durations.prop_map(move |d| (base, base + d)),
        1 => Just((0, base)),
        1 => Just((base, 0)),
        1 => Just((base, base - 1)),
        1 => Just((1, u64::MAX)),
        1 => (1u64..u64::MAX).prop_map(|start| (start, u64::MAX)),
    ]
}

fn tspan() -> impl Strategy<Value = TSpan> {
    (
        any::<[u8; 16]>(),
        any::<[u8; 8]>(),
        proptest::option::of(any::<[u8; 8]>()),
        prop_oneof![
            Just(String::new()),
            string(),
            Just("GET /api/search".to_owned())
        ],
        0u8..=5,
        0u8..=2,
        times(),
        proptest::collection::vec((proptest::sample::select(SPAN_KEYS), tval()), 0..8),
        proptest::collection::vec((proptest::sample::select(RESOURCE_KEYS), tval()), 0..3),
    )
        .prop_map(
            |(trace_id, span_id, parent, name, kind, status, (start, end), attrs, resource)| {
                TSpan {
                    trace_id,
                    span_id,
                    parent,
                    name,
                    kind,
                    status,
                    start,
                    end,
                    attrs: attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    resource: resource
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                    trace_state: String::new(),
                    flags: 0,
                }
            },
        )
}

const BUILTINS: &[BuiltinField] = &[
    BuiltinField::StatusCode,
    BuiltinField::Method,
    BuiltinField::Path,
    BuiltinField::Duration,
    BuiltinField::DurationMs,
    BuiltinField::UserId,
    BuiltinField::Name,
    BuiltinField::Kind,
    BuiltinField::Status,
    BuiltinField::Error,
    BuiltinField::TraceId,
    BuiltinField::SpanId,
    BuiltinField::ParentSpanId,
    BuiltinField::Service,
];

fn field() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        3 => proptest::sample::select(BUILTINS).prop_map(FieldKind::Builtin),
        3 => proptest::sample::select(SPAN_KEYS).prop_map(|k| FieldKind::SpanAttribute(k.to_owned())),
        1 => proptest::sample::select(RESOURCE_KEYS).prop_map(|k| FieldKind::ResourceAttribute(k.to_owned())),
    ]
}

/// A literal that the loader accepts for `field` (bare words only for kind and status).
fn literal(field: &FieldKind) -> BoxedStrategy<Value> {
    let common = prop_oneof![
        int().prop_map(Value::Int),
        float().prop_map(Value::Float),
        (
            prop_oneof![
                Just(0i64),
                Just(1),
                Just(20_000_000),
                Just(1_000_000_000),
                Just(i64::MAX),
                Just(-5)
            ],
            proptest::sample::select(&[DurationUnit::Nanoseconds][..])
        )
            .prop_map(|(ns, unit)| Value::Duration(ns, unit)),
        string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ];
    match field {
        FieldKind::Builtin(BuiltinField::Kind) => prop_oneof![
            3 => proptest::sample::select(&["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"][..])
                .prop_map(|n| Value::Name(n.to_owned())),
            1 => common,
        ]
        .boxed(),
        FieldKind::Builtin(BuiltinField::Status) => prop_oneof![
            3 => proptest::sample::select(&["UNSET", "OK", "ERROR"][..]).prop_map(|n| Value::Name(n.to_owned())),
            1 => common,
        ]
        .boxed(),
        _ => common.boxed(),
    }
}

fn lit(value: Value) -> Literal {
    Literal {
        value,
        span: Pos::default(),
    }
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Pos::default(),
    }
}

fn predicate() -> impl Strategy<Value = Expr> {
    let ops = proptest::sample::select(
        &[
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Lt,
            CompareOp::Le,
            CompareOp::Gt,
            CompareOp::Ge,
        ][..],
    );
    let string_ops = proptest::sample::select(
        &[
            StringOp::Contains,
            StringOp::StartsWith,
            StringOp::EndsWith,
            StringOp::Matches,
        ][..],
    );
    field().prop_flat_map(move |kind| {
        let f = Field {
            kind: kind.clone(),
            span: Pos::default(),
        };
        let compare = (ops.clone(), literal(&kind)).prop_map({
            let f = f.clone();
            move |(op, value)| {
                node(ExprKind::Compare {
                    field: f.clone(),
                    op,
                    value: lit(value),
                })
            }
        });
        let needle = prop_oneof![
            3 => string().prop_map(Value::String),
            1 => int().prop_map(Value::Int),
        ];
        let test = (
            string_ops.clone(),
            any::<bool>(),
            needle,
            proptest::sample::select(PATTERNS),
        )
            .prop_map({
                let f = f.clone();
                move |(op, negated, needle, pattern)| {
                    let value = if op == StringOp::Matches && matches!(needle, Value::String(_)) {
                        Value::String(pattern.to_owned())
                    } else {
                        needle
                    };
                    node(ExprKind::StringTest {
                        field: f.clone(),
                        op,
                        negated,
                        value: lit(value),
                    })
                }
            });
        let list = (
            any::<bool>(),
            proptest::collection::vec(literal(&kind), 0..4),
        )
            .prop_map({
                let f = f.clone();
                move |(negated, values)| {
                    node(ExprKind::In {
                        field: f.clone(),
                        negated,
                        values: values.into_iter().map(lit).collect(),
                    })
                }
            });
        let exists = Just(node(ExprKind::Exists(f)));
        prop_oneof![4 => compare, 2 => test, 2 => list, 1 => exists]
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    predicate().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| node(ExprKind::And(items))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| node(ExprKind::Or(items))),
            inner.prop_map(|e| node(ExprKind::Not(Box::new(e)))),
        ]
    })
}

// ---------------------------------------------------------------------------------
// Properties

fn policy_with(template: &str, exprs: &[Expr]) -> Policy {
    let mut policy = cpl_syntax::load_policy(template)
        .policy
        .expect("template loads");
    let mut exprs = exprs.iter().cycle();
    let tenant_conditions = policy
        .tenants
        .iter_mut()
        .flat_map(|t| t.overrides.iter_mut())
        .flat_map(|o| o.conditions.iter_mut());
    for condition in policy
        .sampling
        .conditions
        .iter_mut()
        .chain(tenant_conditions)
    {
        condition.when.expr = exprs.next().cloned().expect("at least one expression");
    }
    policy
}

const ONE: &str =
    "sampling:\n  base_rate: 0\n  conditions:\n    - name: c\n      when: \"exists(x)\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn compiled_equals_reference(expr in expr(), spans in proptest::collection::vec(tspan(), 1..4)) {
        let policy = policy_with(ONE, std::slice::from_ref(&expr));
        let evaluator = Evaluator::compile(&policy).expect("compiles");
        for span in &spans {
            let expected = reference(&expr, span);
            let otlp = to_otlp(span);
            let actual = !evaluator.matches(&otlp).is_empty();
            prop_assert_eq!(actual, expected, "`{}` on {:?}", expr, span);
            prop_assert_eq!(evaluator.decide_span(&otlp).keep, expected, "decide_span: `{}`", expr);
            let plain = Plain(&otlp);
            prop_assert_eq!(evaluator.decide_span(&plain).keep, expected, "default first_attribute: `{}`", expr);
            // A reader may leave out every attribute the policy does not read.
            let (span_keys, resource_keys) = evaluator.attribute_keys();
            let mut filtered = otlp.clone();
            filtered.attributes.retain(|kv| span_keys.contains(&kv.key.as_str()));
            let mut resource = (*filtered.resource).clone();
            resource.attributes.retain(|kv| resource_keys.contains(&kv.key.as_str()));
            filtered.resource = std::sync::Arc::new(resource);
            prop_assert_eq!(evaluator.decide_span(&filtered).keep, expected, "attribute_keys {:?} {:?}: `{}`", span_keys, resource_keys, expr);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Every field resolves to the reference's value: `exists(f)` agrees, and `f == v`
    /// holds for the value `v` the reference finds.
    #[test]
    fn fields_resolve_as_the_reference_says(span in tspan()) {
        let fields = BUILTINS
            .iter()
            .map(|b| FieldKind::Builtin(*b))
            .chain(SPAN_KEYS.iter().map(|k| FieldKind::SpanAttribute((*k).to_owned())))
            .chain(RESOURCE_KEYS.iter().map(|k| FieldKind::ResourceAttribute((*k).to_owned())));
        let otlp = to_otlp(&span);
        for kind in fields {
            let value = resolve(&kind, &span);
            let f = Field { kind: kind.clone(), span: Pos::default() };
            let mut probes = vec![(node(ExprKind::Exists(f.clone())), value != RVal::Missing)];
            let literal = match &value {
                RVal::Str(s) => Some(Value::String(s.clone())),
                RVal::Int(i) => Some(Value::Int(*i)),
                RVal::Float(x) if !x.is_nan() => Some(Value::Float(*x)),
                RVal::Bool(b) => Some(Value::Bool(*b)),
                RVal::Dur(d) => i64::try_from(*d).ok().map(|d| Value::Duration(d, DurationUnit::Nanoseconds)),
                RVal::Kind(k) => Some(Value::Name(["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"][usize::from(*k)].to_owned())),
                RVal::Status(s) => Some(Value::Name(["UNSET", "OK", "ERROR"][usize::from(*s)].to_owned())),
                _ => None,
            };
            if let Some(literal) = literal {
                probes.push((node(ExprKind::Compare { field: f.clone(), op: CompareOp::Eq, value: lit(literal) }), true));
            }
            for (probe, expected) in probes {
                let evaluator = Evaluator::compile(&policy_with(ONE, std::slice::from_ref(&probe))).expect("compiles");
                prop_assert_eq!(!evaluator.matches(&otlp).is_empty(), expected, "`{}` on {:?}", probe, span);
                prop_assert_eq!(!evaluator.matches(&Plain(&otlp)).is_empty(), expected, "default first_attribute: `{}`", probe);
            }
        }
    }
}

// ----- whole-trace decisions

const TENANTS: &str = r#"
sampling:
  base_rate: 0.3
  conditions:
    - name: a
      when: "exists(x)"
    - name: b
      when: "exists(x)"
      action: drop
    - name: c
      when: "exists(x)"
      rate: 0.5
tenants:
  attribute: resource.tenant.id
  overrides:
    acme:
      base_rate: 0.9
      conditions:
        - name: b
          when: "exists(x)"
        - name: d
          when: "exists(x)"
          rate: 0.25
    "7":
      conditions:
        - name: a
          when: "exists(x)"
          enabled: false
"#;

/// The threshold rule, restated: T = floor((1 - p) * 2^56) in doubles, keep iff T <= R.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn reference_keeps(p: f64, trace_id: [u8; 16]) -> bool {
    if p >= 1.0 {
        return true;
    }
    if p.is_nan() || p <= 0.0 {
        return false;
    }
    // An integral double at most 2^56: the conversion is exact.
    let t = ((1.0 - p) * 2f64.powi(56)).floor() as u64;
    let r = trace_id[9..]
        .iter()
        .fold(0u64, |acc, b| acc * 256 + u64::from(*b));
    t <= r
}

fn tenant_of(span: &TSpan) -> Option<String> {
    match lookup(&span.resource, "tenant.id")? {
        TVal::Str(s) => Some(s.clone()),
        TVal::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// The trace's tenant by the spec's rule, computed by sorting.
fn reference_tenant(spans: &[TSpan]) -> Option<String> {
    let mut roots: Vec<String> = spans
        .iter()
        .filter(|s| s.parent.is_none())
        .filter_map(tenant_of)
        .collect();
    let mut all: Vec<String> = spans.iter().filter_map(tenant_of).collect();
    roots.sort();
    all.sort();
    roots.into_iter().next().or_else(|| all.into_iter().next())
}

fn reference_decision(policy: &Policy, spans: &[TSpan], trace_id: [u8; 16]) -> (bool, String) {
    let tenant = reference_tenant(spans);
    for condition in policy.conditions_for(tenant.as_deref()) {
        if condition.is_enabled() && spans.iter().any(|s| reference(&condition.when.expr, s)) {
            let keep = condition.action() == Action::Keep
                && reference_keeps(condition.keep_rate(), trace_id);
            return (keep, format!("rule {}", condition.name.value));
        }
    }
    let rate = policy.base_rate_for(tenant.as_deref());
    let overridden = tenant
        .as_deref()
        .and_then(|t| policy.tenant_override(t))
        .and_then(|o| o.base_rate.as_ref())
        .is_some();
    let reason = match (&tenant, overridden) {
        (Some(t), true) => format!("tenant {t} base rate {rate}"),
        _ => format!("base rate {rate}"),
    };
    (reference_keeps(rate, trace_id), reason)
}

fn tenant_value() -> impl Strategy<Value = Option<TVal>> {
    proptest::option::of(prop_oneof![
        Just(TVal::Str("acme".into())),
        Just(TVal::Str("7".into())),
        Just(TVal::Str("zeta".into())),
        Just(TVal::Int(7)),
        Just(TVal::Double(7.0)),
        Just(TVal::Empty),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn trace_decisions_equal_reference(
        exprs in proptest::collection::vec(expr(), 6),
        spans in proptest::collection::vec((tspan(), tenant_value()), 1..5),
        randomness in prop_oneof![Just(0u64), Just((1 << 56) - 1), Just(1 << 55), 0u64..(1 << 56)],
    ) {
        let policy = policy_with(TENANTS, &exprs);
        let evaluator = Evaluator::compile(&policy).expect("compiles");
        let mut trace_id = spans[0].0.trace_id;
        trace_id[9..].copy_from_slice(&randomness.to_be_bytes()[1..]);
        let spans: Vec<TSpan> = spans
            .into_iter()
            .map(|(mut span, tenant)| {
                span.trace_id = trace_id;
                span.resource.retain(|(k, _)| k != "tenant.id");
                if let Some(tenant) = tenant {
                    span.resource.insert(0, ("tenant.id".to_owned(), tenant));
                }
                span
            })
            .collect();
        let (keep, reason) = reference_decision(&policy, &spans, trace_id);

        let otlp: Vec<Span> = spans.iter().map(to_otlp).collect();
        let mut matched = RuleSet::new();
        let mut tenant = TraceTenant::new();
        // Reverse order: the decision must not depend on it.
        for span in otlp.iter().rev() {
            evaluator.add_matches(span, &mut matched);
            if let Some(id) = evaluator.tenant_of(span) {
                tenant.observe(span.parent_span_id.is_none(), id);
            }
        }
        prop_assert_eq!(tenant.get().map(str::to_owned), reference_tenant(&spans));
        let decision = evaluator.decide_trace(trace_id, &matched, tenant.get());
        prop_assert_eq!(decision.keep, keep, "{}", decision);
        prop_assert_eq!(decision.reason.to_string(), reason);
        if let [only] = otlp.as_slice() {
            prop_assert_eq!(evaluator.decide_span(only), decision);
        }
    }
}

#[test]
fn reference_arithmetic_agrees_with_known_values() {
    assert_eq!(
        exact_int_float(TWO53 + 1, 9_007_199_254_740_992.0),
        Some(Ordering::Greater)
    );
    assert_eq!(exact_int_float(500, 500.0), Some(Ordering::Equal));
    assert_eq!(exact_int_float(0, 5e-324), Some(Ordering::Less));
    assert_eq!(
        exact_int_float(i64::MAX, 9_223_372_036_854_775_808.0),
        Some(Ordering::Less)
    );
    assert_eq!(
        reference_url_path("https://h:8443/api/payment/1?q=2#f"),
        "/api/payment/1"
    );
    let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
    assert!(reference_keeps(0.25, id) && !reference_keeps(0.1, id));
}

// ----- trace-level parts

const TRACE_STATES: &[&str] = &[
    "",
    "vendor=keep",
    "congo=t61rcWkgMzE, vendor=keep",
    "vendor=keep,oops",
    "vendor=keep,vendor=drop",
    "vendor=drop",
    "ot=th:8;rv:ab, \tvendor=keep \t",
    "Vendor=keep",
    "vendor=ke=ep",
    "t0@vendor=x,vendor=  keep",
];

const PERCENTS: &[f64] = &[0.0, 1.0, 10.0, 25.0, 50.0, 100.0, 150.0, 12.5, 99.9, 33.3];

fn trace_field() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        2 => proptest::sample::select(&[
            BuiltinField::TraceDuration,
            BuiltinField::SpanCount,
            BuiltinField::Sampled,
            BuiltinField::Status,
            BuiltinField::Duration,
        ][..]).prop_map(FieldKind::Builtin),
        1 => proptest::sample::select(&["vendor", "ot", "congo", "t0@vendor"][..])
            .prop_map(|k| FieldKind::TraceState(k.to_owned())),
        2 => proptest::sample::select(&["x", "y"][..]).prop_map(|k| FieldKind::SpanAttribute(k.to_owned())),
        1 => Just(FieldKind::ResourceAttribute("x".to_owned())),
    ]
}

fn trace_literal(field: &FieldKind) -> BoxedStrategy<Value> {
    match field {
        FieldKind::Builtin(BuiltinField::Status) => {
            proptest::sample::select(&["UNSET", "OK", "ERROR"][..])
                .prop_map(|n| Value::Name(n.to_owned()))
                .boxed()
        }
        FieldKind::Builtin(BuiltinField::SpanCount) => {
            prop_oneof![(0i64..5).prop_map(Value::Int), Just(Value::Float(2.5)),].boxed()
        }
        FieldKind::Builtin(BuiltinField::TraceDuration | BuiltinField::Duration) => prop_oneof![
            prop_oneof![
                Just(0i64),
                Just(1_000_000_000),
                Just(1_000_000_001),
                Just(2_000_000_000)
            ]
            .prop_map(|ns| Value::Duration(ns, DurationUnit::Nanoseconds)),
            Just(Value::Int(1000)),
            Just(Value::Float(1000.5)),
        ]
        .boxed(),
        FieldKind::Builtin(BuiltinField::Sampled) => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldKind::TraceState(_) => {
            proptest::sample::select(&["keep", "drop", "  keep", "x", "t61rcWkgMzE"][..])
                .prop_map(|v| Value::String(v.to_owned()))
                .boxed()
        }
        _ => tval()
            .prop_filter_map("a literal", |v| match v {
                TVal::Str(s) => Some(Value::String(s)),
                TVal::Int(i) => Some(Value::Int(i)),
                TVal::Double(d) if !d.is_nan() => Some(Value::Float(d)),
                TVal::Bool(b) => Some(Value::Bool(b)),
                _ => None,
            })
            .boxed(),
    }
}

fn trace_predicate() -> impl Strategy<Value = Expr> {
    let ops =
        proptest::sample::select(&[CompareOp::Eq, CompareOp::Ne, CompareOp::Lt, CompareOp::Ge][..]);
    let compare = trace_field().prop_flat_map(move |kind| {
        let f = Field {
            kind: kind.clone(),
            span: Pos::default(),
        };
        (ops.clone(), trace_literal(&kind)).prop_map(move |(op, value)| {
            node(ExprKind::Compare {
                field: f.clone(),
                op,
                value: lit(value),
            })
        })
    });
    let exists = trace_field().prop_map(|kind| {
        node(ExprKind::Exists(Field {
            kind,
            span: Pos::default(),
        }))
    });
    let type_test = (
        proptest::sample::select(&["x", "y"][..]),
        any::<bool>(),
        any::<bool>(),
        proptest::sample::select(&["int", "float", "string", "bool"][..]),
    )
        .prop_map(|(key, resource, negated, ty)| {
            let kind = if resource {
                FieldKind::ResourceAttribute(key.to_owned())
            } else {
                FieldKind::SpanAttribute(key.to_owned())
            };
            node(ExprKind::TypeTest {
                field: Field {
                    kind,
                    span: Pos::default(),
                },
                negated,
                type_name: lit(Value::Name(ty.to_owned())),
            })
        });
    let fnv = (
        proptest::sample::select(PERCENTS),
        proptest::sample::select(&[DEFAULT_HASH_SALT, "", "tenant-a"][..]),
    )
        .prop_map(|(percent, salt)| {
            #[allow(clippy::cast_possible_truncation)] // whole percentages only
            let percent = if percent.fract() == 0.0 {
                Value::Int(percent as i64)
            } else {
                Value::Float(percent)
            };
            node(ExprKind::FnvSample {
                percent: lit(percent),
                salt: lit(Value::String(salt.to_owned())),
            })
        });
    prop_oneof![4 => compare, 1 => exists, 2 => type_test, 1 => fnv, 2 => predicate()]
}

fn trace_expr() -> impl Strategy<Value = Expr> {
    trace_predicate().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| node(ExprKind::And(items))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| node(ExprKind::Or(items))),
            inner.clone().prop_map(|e| node(ExprKind::Not(Box::new(e)))),
            inner.prop_map(|e| node(ExprKind::Any(Box::new(e)))),
        ]
    })
}

fn trace_span() -> impl Strategy<Value = TSpan> {
    (
        tspan(),
        proptest::sample::select(TRACE_STATES),
        prop_oneof![Just(0u32), Just(1), Just(0x101), Just(0x2)],
        prop_oneof![Just(0u64), Just(400_000_000), Just(1_000_000_000)],
    )
        .prop_map(|(mut span, trace_state, flags, shift)| {
            trace_state.clone_into(&mut span.trace_state);
            span.flags = flags;
            if span.start != 0 && span.end >= span.start {
                span.start = span.start.saturating_add(shift);
                span.end = span.end.saturating_add(shift);
            }
            span
        })
}

const TRACE_POLICY: &str = r#"
sampling:
  base_rate: 0.5
  conditions:
    - name: a
      when: "exists(x)"
    - name: b
      when: "exists(x)"
      action: drop
    - name: c
      when: "exists(x)"
    - name: d
      when: "exists(x)"
      rate: 0.5
"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Trace-level parts, trace state, flags, type tests and `fnv_sample` decide
    /// whole traces as the reference does, and single spans as traces of their own.
    #[test]
    fn trace_level_decisions_equal_reference(
        exprs in proptest::collection::vec(trace_expr(), 4),
        spans in proptest::collection::vec(trace_span(), 1..5),
    ) {
        let policy = policy_with(TRACE_POLICY, &exprs);
        let evaluator = Evaluator::compile(&policy).expect("compiles");
        let trace_id = spans[0].trace_id;
        let spans: Vec<TSpan> = spans.into_iter().map(|mut s| { s.trace_id = trace_id; s }).collect();

        let mut expected = None;
        for condition in &policy.sampling.conditions {
            if spans.iter().any(|s| reference_in(&condition.when.expr, s, &spans)) {
                let keep = condition.action() == Action::Keep
                    && reference_keeps(condition.keep_rate(), trace_id);
                expected = Some((keep, format!("rule {}", condition.name.value)));
                break;
            }
        }
        let (keep, reason) = expected
            .unwrap_or_else(|| (reference_keeps(0.5, trace_id), "base rate 0.5".to_owned()));

        let otlp: Vec<Span> = spans.iter().map(to_otlp).collect();
        let mut matched = RuleSet::new();
        evaluator.add_trace_matches(&otlp, &mut matched);
        let decision = evaluator.decide_trace(trace_id, &matched, None);
        prop_assert_eq!(decision.keep, keep, "{} {:?}", decision, exprs.iter().map(ToString::to_string).collect::<Vec<_>>());
        prop_assert_eq!(decision.reason.to_string(), reason);

        // Each span alone: a trace of that one span.
        for (span, one) in spans.iter().zip(&otlp) {
            let alone = std::slice::from_ref(span);
            let expected = policy.sampling.conditions.iter().find(|c| reference_in(&c.when.expr, span, alone));
            let decision = evaluator.decide_span(one);
            let reason = expected.map_or_else(|| "base rate 0.5".to_owned(), |c| format!("rule {}", c.name.value));
            prop_assert_eq!(decision.reason.to_string(), reason);
        }
        prop_assert_eq!(evaluator.reads_trace(), exprs.iter().any(Expr::is_trace_level));
    }
}

#[test]
fn reference_trace_state_agrees_with_the_spec_example() {
    assert_eq!(
        reference_trace_state("congo=t61rcWkgMzE, vendor=keep", "vendor").as_deref(),
        Some("keep")
    );
    assert_eq!(reference_trace_state("vendor=keep,oops", "vendor"), None);
    let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
    assert_eq!(reference_fnv(DEFAULT_HASH_SALT, id), 0xa545_33ba_2e49_70b5);
    for percent in PERCENTS {
        #[allow(clippy::cast_possible_truncation)]
        let literal = if percent.fract() == 0.0 {
            Value::Int(*percent as i64)
        } else {
            Value::Float(*percent)
        };
        assert_eq!(
            cpl_eval::fnv_threshold(*percent),
            reference_fnv_threshold(&literal),
            "{percent}"
        );
    }
}
