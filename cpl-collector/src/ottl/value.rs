//! OTTL runtime values and the operations on them, with Go's semantics:
//! the comparison rules of `pkg/ottl/compare.go`, the math of `math.go`
//! (int64 wraps, division by zero is an error), and the "like" getters that
//! converters use to coerce their arguments (`expression.go`).
//!
//! Strings are byte strings, as Go's are: `Substring` may cut a UTF-8
//! sequence, and comparisons are byte-lexicographic.

use std::fmt::Write as _;

use cpl_otlp::{AnyValue, KeyValue};

use super::ast::{CompareOp, MathOp};
use super::EvalError;

/// A value as a getter returns it (Go's `any`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `nil`
    Nil,
    /// `bool`
    Bool(bool),
    /// `int64`
    Int(i64),
    /// `float64`
    Float(f64),
    /// `string` (bytes, not necessarily UTF-8)
    Str(Vec<u8>),
    /// `[]byte`; an empty one is Go's nil slice and compares as `nil`.
    Bytes(Vec<u8>),
    /// `pcommon.Map` (attribute order kept; equality ignores it).
    Map(Vec<KeyValue>),
    /// `pcommon.Slice`
    Slice(Vec<AnyValue>),
    /// `[]any`: a list literal.
    List(Vec<Value>),
    /// `pcommon.TraceID`
    TraceId([u8; 16]),
    /// `pcommon.SpanID`
    SpanId([u8; 8]),
}

impl Value {
    /// `ottlcommon.GetValue`: a pdata value as a getter returns it.
    pub(crate) fn from_any(value: &AnyValue) -> Value {
        match value {
            AnyValue::String(s) => Value::Str(s.as_bytes().to_vec()),
            AnyValue::Bool(b) => Value::Bool(*b),
            AnyValue::Int(i) => Value::Int(*i),
            AnyValue::Double(d) => Value::Float(*d),
            AnyValue::Bytes(b) => Value::Bytes(b.clone()),
            AnyValue::Array(items) => Value::Slice(items.clone()),
            AnyValue::KvList(items) => Value::Map(items.clone()),
            AnyValue::Empty => Value::Nil,
        }
    }

    pub(crate) fn str(text: &str) -> Value {
        Value::Str(text.as_bytes().to_vec())
    }

    /// Go's `%T`, for error messages.
    pub(crate) fn go_type(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Bytes(_) => "[]uint8",
            Value::Map(_) => "pcommon.Map",
            Value::Slice(_) => "pcommon.Slice",
            Value::List(_) => "[]interface {}",
            Value::TraceId(_) => "pcommon.TraceID",
            Value::SpanId(_) => "pcommon.SpanID",
        }
    }

    fn is_nil_like(&self) -> bool {
        matches!(self, Value::Nil) || matches!(self, Value::Bytes(b) if b.is_empty())
    }
}

fn ordered<T: PartialOrd>(a: &T, b: &T, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
    }
}

/// `invalidComparison`: only `!=` holds.
fn invalid(op: CompareOp) -> bool {
    op == CompareOp::Ne
}

fn equality(equal: bool, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => equal,
        CompareOp::Ne => !equal,
        _ => false,
    }
}

#[allow(clippy::cast_precision_loss)]
fn as_f64(i: i64) -> f64 {
    i as f64
}

/// `ottlValueComparator.compare`: the OTTL comparison rules.
pub(crate) fn compare(a: &Value, b: &Value, op: CompareOp) -> bool {
    if a.is_nil_like() && b.is_nil_like() {
        return matches!(op, CompareOp::Eq | CompareOp::Le | CompareOp::Ge);
    }
    if a.is_nil_like() {
        // Go swaps the operands without mirroring the operator here; only
        // `==` and `!=` can hold against nil, so it makes no difference.
        return compare(b, &Value::Nil, op);
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => ordered(x, y, op),
        (Value::Int(x), Value::Int(y)) => ordered(x, y, op),
        (Value::Int(x), Value::Float(y)) => ordered(&as_f64(*x), y, op),
        (Value::Float(x), Value::Int(y)) => ordered(x, &as_f64(*y), op),
        (Value::Float(x), Value::Float(y)) => ordered(x, y, op),
        (Value::Str(x), Value::Str(y)) | (Value::Bytes(x), Value::Bytes(y)) => ordered(x, y, op),
        (Value::Map(x), Value::Map(y)) => equality(maps_equal(x, y), op),
        (Value::Slice(x), Value::Slice(y)) => equality(
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| any_equal(p, q)),
            op,
        ),
        (Value::Slice(x), Value::List(y)) | (Value::List(y), Value::Slice(x)) => equality(
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| raw_equal(p, q)),
            op,
        ),
        (Value::List(x), Value::List(y)) => equality(lists_deep_equal(x, y), op),
        (Value::TraceId(x), Value::TraceId(y)) => equality(x == y, op),
        (Value::SpanId(x), Value::SpanId(y)) => equality(x == y, op),
        _ => invalid(op),
    }
}

/// `pcommon.Map.Equal`: same keys with equal values, in any order.
fn maps_equal(a: &[KeyValue], b: &[KeyValue]) -> bool {
    a.len() == b.len()
        && a.iter().all(|kv| {
            b.iter()
                .find(|other| other.key == kv.key)
                .is_some_and(|other| any_equal(&kv.value, &other.value))
        })
}

/// `pcommon.Value.Equal`.
fn any_equal(a: &AnyValue, b: &AnyValue) -> bool {
    match (a, b) {
        (AnyValue::KvList(x), AnyValue::KvList(y)) => maps_equal(x, y),
        (AnyValue::Array(x), AnyValue::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| any_equal(p, q))
        }
        #[allow(clippy::float_cmp)]
        (AnyValue::Double(x), AnyValue::Double(y)) => x == y,
        _ => a == b,
    }
}

/// `reflect.DeepEqual(pcommon.Value.AsRaw(), literal)`: same Go type and value.
fn raw_equal(a: &AnyValue, b: &Value) -> bool {
    #[allow(clippy::float_cmp)]
    match (a, b) {
        (AnyValue::String(x), Value::Str(y)) => x.as_bytes() == y.as_slice(),
        (AnyValue::Bool(x), Value::Bool(y)) => x == y,
        (AnyValue::Int(x), Value::Int(y)) => x == y,
        (AnyValue::Double(x), Value::Float(y)) => x == y,
        (AnyValue::Bytes(x), Value::Bytes(y)) => x == y,
        (AnyValue::Empty, Value::Nil) => true,
        (AnyValue::Array(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| raw_equal(p, q))
        }
        _ => false,
    }
}

fn lists_deep_equal(a: &[Value], b: &[Value]) -> bool {
    #[allow(clippy::float_cmp)]
    fn deep(x: &Value, y: &Value) -> bool {
        match (x, y) {
            (Value::List(p), Value::List(q)) => lists_deep_equal(p, q),
            (Value::Float(p), Value::Float(q)) => p == q,
            _ => x == y,
        }
    }
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| deep(x, y))
}

fn go_value_text(value: &Value) -> String {
    match value {
        Value::Nil => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::Str(s) => String::from_utf8_lossy(s).into_owned(),
        other => other.go_type().to_owned(),
    }
}

/// `attemptMathOperation` and `performOp`.
pub(crate) fn math(x: &Value, op: MathOp, y: &Value) -> Result<Value, EvalError> {
    let float = |a: f64, b: f64| -> Result<Value, EvalError> {
        Ok(Value::Float(match op {
            MathOp::Add => a + b,
            MathOp::Sub => a - b,
            MathOp::Mul => a * b,
            MathOp::Div => {
                if b == 0.0 {
                    return Err(EvalError::new("attempted to divide by 0"));
                }
                a / b
            }
        }))
    };
    match (x, y) {
        (Value::Int(a), Value::Int(b)) => Ok(Value::Int(match op {
            MathOp::Add => a.wrapping_add(*b),
            MathOp::Sub => a.wrapping_sub(*b),
            MathOp::Mul => a.wrapping_mul(*b),
            MathOp::Div => {
                if *b == 0 {
                    return Err(EvalError::new("attempted to divide by 0"));
                }
                a.wrapping_div(*b)
            }
        })),
        (Value::Int(a), Value::Float(b)) => float(as_f64(*a), *b),
        (Value::Float(a), Value::Int(b)) => float(*a, as_f64(*b)),
        (Value::Float(a), Value::Float(b)) => float(*a, *b),
        (Value::Int(_) | Value::Float(_), other) => Err(EvalError::new(format!(
            "{} must be int64 or float64",
            go_value_text(other)
        ))),
        (other, _) => Err(EvalError::new(format!(
            "{} must be int64, float64, time.Time or time.Duration",
            go_value_text(other)
        ))),
    }
}

/// Go's `int64(f)` on amd64: truncation toward zero, and the "integer
/// indefinite" value `math.MinInt64` for NaN and out-of-range values.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn go_float_to_int(f: f64) -> i64 {
    // 2^63 is exactly representable; every f64 below it truncates into range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f.trunc() as i64
    }
}

/// `strconv.ParseInt(s, 10, 64)`.
pub(crate) fn go_parse_int(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i128 = 0;
    for d in digits {
        value = value * 10 + i128::from(d - b'0');
        if value > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).ok()
}

/// `strconv.ParseFloat(s, 64)`, for decimal and special forms. Hexadecimal
/// floats (`0x1p-2`) are refused: Go reads them, CPL does not.
pub(crate) fn go_parse_float(s: &[u8]) -> Result<f64, EvalError> {
    let text = std::str::from_utf8(s).map_err(|_| syntax_error(s))?;
    let unsigned = text.trim_start_matches(['+', '-']);
    if text.len() - unsigned.len() > 1 {
        return Err(syntax_error(s));
    }
    if unsigned.starts_with("0x") || unsigned.starts_with("0X") {
        return Err(EvalError::new(format!(
            "CPL does not convert the hexadecimal float string {text:?}"
        )));
    }
    let special = ["inf", "infinity", "nan"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word));
    let valid_chars = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !special && !valid_chars {
        return Err(syntax_error(s));
    }
    let value: f64 = text.parse().map_err(|_| syntax_error(s))?;
    if value.is_infinite() && !special {
        return Err(EvalError::new(format!(
            "strconv.ParseFloat: parsing {text:?}: value out of range"
        )));
    }
    Ok(value)
}

fn syntax_error(s: &[u8]) -> EvalError {
    EvalError::new(format!(
        "strconv.ParseFloat: parsing {:?}: invalid syntax",
        String::from_utf8_lossy(s)
    ))
}

/// `strconv.ParseBool`.
pub(crate) fn go_parse_bool(s: &[u8]) -> Result<bool, EvalError> {
    match s {
        b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Ok(true),
        b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => Ok(false),
        _ => Err(EvalError::new(format!(
            "strconv.ParseBool: parsing {:?}: invalid syntax",
            String::from_utf8_lossy(s)
        ))),
    }
}

/// `StandardIntLikeGetter.Get`: `Ok(None)` is nil.
pub(crate) fn int_like(value: &Value) -> Result<Option<i64>, EvalError> {
    Ok(match value {
        Value::Nil => None,
        Value::Int(i) => Some(*i),
        Value::Str(s) => go_parse_int(s),
        Value::Float(f) => Some(go_float_to_int(*f)),
        Value::Bool(b) => Some(i64::from(*b)),
        other => return Err(unsupported_type(other)),
    })
}

/// `StandardFloatLikeGetter.Get`.
pub(crate) fn float_like(value: &Value) -> Result<Option<f64>, EvalError> {
    Ok(match value {
        Value::Nil => None,
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(as_f64(*i)),
        Value::Str(s) => Some(go_parse_float(s)?),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        other => return Err(unsupported_type(other)),
    })
}

/// `StandardBoolLikeGetter.Get`.
pub(crate) fn bool_like(value: &Value) -> Result<Option<bool>, EvalError> {
    Ok(match value {
        Value::Nil => None,
        Value::Bool(b) => Some(*b),
        Value::Int(i) => Some(*i != 0),
        Value::Float(f) => Some(*f != 0.0),
        Value::Str(s) => Some(go_parse_bool(s)?),
        other => return Err(unsupported_type(other)),
    })
}

fn unsupported_type(value: &Value) -> EvalError {
    EvalError::new(format!("unsupported type: {}", value.go_type()))
}

/// `StandardStringGetter.Get`: a string, or an error.
pub(crate) fn string_strict(value: &Value) -> Result<&[u8], EvalError> {
    match value {
        Value::Str(s) => Ok(s),
        Value::Nil => Err(EvalError::new("expected string but got nil")),
        other => Err(EvalError::new(format!(
            "expected string but got {}",
            other.go_type()
        ))),
    }
}

/// `StandardIntGetter.Get`: an int64, or an error.
pub(crate) fn int_strict(value: &Value) -> Result<i64, EvalError> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Nil => Err(EvalError::new("expected int64 but got nil")),
        other => Err(EvalError::new(format!(
            "expected int64 but got {}",
            other.go_type()
        ))),
    }
}

/// `StandardStringLikeGetter.Get`: strings as they are, byte slices as hex,
/// everything else as JSON (`goccy/go-json`, which matches `encoding/json`).
pub(crate) fn string_like(value: &Value) -> Result<Option<Vec<u8>>, EvalError> {
    Ok(match value {
        Value::Nil => None,
        Value::Str(s) => Some(s.clone()),
        Value::Bytes(b) => Some(hex(b).into_bytes()),
        other => {
            let mut out = String::new();
            json(other, &mut out)?;
            Some(out.into_bytes())
        }
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn json(value: &Value, out: &mut String) -> Result<(), EvalError> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => json_float(*f, out)?,
        Value::Str(s) => json_string(&String::from_utf8_lossy(s), out),
        Value::Bytes(b) => json_base64(b, out),
        Value::Map(items) => json_map(items, out)?,
        Value::Slice(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(&Value::from_any(item), out)?;
            }
            out.push(']');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(item, out)?;
            }
            out.push(']');
        }
        // Go encodes byte *arrays* as arrays of numbers.
        Value::TraceId(id) => json_numbers(id, out),
        Value::SpanId(id) => json_numbers(id, out),
    }
    Ok(())
}

fn json_numbers(bytes: &[u8], out: &mut String) {
    out.push('[');
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&b.to_string());
    }
    out.push(']');
}

fn json_map(items: &[KeyValue], out: &mut String) -> Result<(), EvalError> {
    // `AsRaw` gives a Go map; encoding/json sorts its keys. A duplicate key
    // keeps the last value, as the map would.
    let mut sorted: Vec<&KeyValue> = Vec::new();
    for kv in items {
        sorted.retain(|other| other.key != kv.key);
        sorted.push(kv);
    }
    sorted.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    out.push('{');
    for (i, kv) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&kv.key, out);
        out.push(':');
        json(&Value::from_any(&kv.value), out)?;
    }
    out.push('}');
    Ok(())
}

fn json_base64(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.push('"');
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out.push('"');
}

/// encoding/json's string escaping (HTML-safe, as `json.Marshal` is).
fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// encoding/json's float format: shortest representation, exponent form
/// below 1e-6 and from 1e21 on, `e-07` written `e-7`.
fn json_float(f: f64, out: &mut String) -> Result<(), EvalError> {
    if !f.is_finite() {
        return Err(EvalError::new("unsupported type: float64"));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is the shortest round-trip mantissa, like Go's 'e', -1.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        out.push_str(mantissa);
        out.push('e');
        if let Some(negative) = exponent.strip_prefix('-') {
            out.push('-');
            out.push_str(negative);
        } else {
            out.push('+');
            out.push_str(exponent);
        }
    } else {
        // Rust's `{}` is the shortest round-trip digits without an exponent.
        let _ = write!(out, "{f}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_rules() {
        let s = Value::str;
        assert!(compare(&Value::Nil, &Value::Nil, CompareOp::Eq));
        assert!(compare(&Value::Nil, &Value::Nil, CompareOp::Le));
        assert!(!compare(&Value::Nil, &Value::Nil, CompareOp::Lt));
        assert!(compare(&Value::Nil, &s("a"), CompareOp::Ne));
        assert!(!compare(&Value::Nil, &s("a"), CompareOp::Eq));
        assert!(!compare(&Value::Nil, &Value::Int(1), CompareOp::Lt));
        assert!(compare(&Value::Int(1), &Value::Float(1.0), CompareOp::Eq));
        assert!(compare(&Value::Int(2), &Value::Float(1.5), CompareOp::Gt));
        assert!(!compare(&s("500"), &Value::Int(500), CompareOp::Eq));
        assert!(compare(&s("500"), &Value::Int(500), CompareOp::Ne));
        assert!(compare(&s("B"), &s("a"), CompareOp::Lt));
        assert!(compare(
            &Value::Bool(false),
            &Value::Bool(true),
            CompareOp::Lt
        ));
        assert!(compare(
            &Value::Bytes(Vec::new()),
            &Value::Nil,
            CompareOp::Eq
        ));
        assert!(!compare(
            &Value::Float(f64::NAN),
            &Value::Float(f64::NAN),
            CompareOp::Eq
        ));
        assert!(compare(
            &Value::Float(f64::NAN),
            &Value::Float(f64::NAN),
            CompareOp::Ne
        ));
    }

    #[test]
    fn math_is_go_math() {
        assert_eq!(
            math(&Value::Int(i64::MAX), MathOp::Add, &Value::Int(1)),
            Ok(Value::Int(i64::MIN))
        );
        assert_eq!(
            math(&Value::Int(i64::MIN), MathOp::Div, &Value::Int(-1)),
            Ok(Value::Int(i64::MIN))
        );
        assert_eq!(
            math(&Value::Int(7), MathOp::Div, &Value::Int(-2)),
            Ok(Value::Int(-3))
        );
        assert!(math(&Value::Int(1), MathOp::Div, &Value::Int(0)).is_err());
        assert!(math(&Value::Float(1.0), MathOp::Div, &Value::Float(-0.0)).is_err());
        assert_eq!(
            math(&Value::Int(1), MathOp::Add, &Value::Float(0.5)),
            Ok(Value::Float(1.5))
        );
        assert!(math(&Value::Nil, MathOp::Add, &Value::Int(1)).is_err());
        assert!(math(&Value::str("a"), MathOp::Add, &Value::str("b")).is_err());
    }

    #[test]
    fn conversions() {
        assert_eq!(go_parse_int(b"+12"), Some(12));
        assert_eq!(go_parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_parse_int(b"9223372036854775808"), None);
        assert_eq!(go_parse_int(b" 1"), None);
        assert_eq!(go_parse_int(b"1_000"), None);
        assert_eq!(go_float_to_int(-2.9), -2);
        assert_eq!(go_float_to_int(f64::NAN), i64::MIN);
        assert_eq!(go_float_to_int(1e300), i64::MIN);
        assert_eq!(go_parse_float(b"1e3"), Ok(1000.0));
        assert_eq!(go_parse_float(b"-Inf"), Ok(f64::NEG_INFINITY));
        assert!(go_parse_float(b"1e400").is_err());
        assert!(go_parse_float(b"abc").is_err());
        assert_eq!(int_like(&Value::str("x")), Ok(None));
        assert!(float_like(&Value::str("x")).is_err());
        assert_eq!(bool_like(&Value::str("T")), Ok(Some(true)));
    }

    #[test]
    fn string_like_is_json() {
        let text = |v: &Value| {
            String::from_utf8(string_like(v).expect("converts").expect("not nil")).expect("utf-8")
        };
        assert_eq!(text(&Value::Int(5)), "5");
        assert_eq!(text(&Value::Float(1.0)), "1");
        assert_eq!(text(&Value::Float(1e21)), "1e+21");
        assert_eq!(text(&Value::Float(1e-7)), "1e-7");
        assert_eq!(text(&Value::Float(0.000_001)), "0.000001");
        assert_eq!(text(&Value::Bool(true)), "true");
        assert_eq!(text(&Value::Bytes(vec![0xab, 1])), "ab01");
        assert!(string_like(&Value::Float(f64::NAN)).is_err());
        let map = Value::Map(vec![
            KeyValue {
                key: "b".into(),
                value: AnyValue::Int(1),
            },
            KeyValue {
                key: "a".into(),
                value: AnyValue::String("<x>".into()),
            },
        ]);
        assert_eq!(text(&map), r#"{"a":"\u003cx\u003e","b":1}"#);
        assert_eq!(
            text(&Value::Slice(vec![AnyValue::Bytes(vec![1, 2, 3, 4])])),
            r#"["AQIDBA=="]"#
        );
    }
}
