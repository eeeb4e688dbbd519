//! The checked form of a condition and its evaluation on one span or event.
//!
//! The tree is public and read-only ([`super::Condition::expr`]) so that other
//! parts of the crate, such as importing a `tail_sampling` config into CPL, can
//! translate what a condition means without parsing OTTL again.

use cpl_otlp::{AnyValue, Event, KeyValue, Span};

use super::ast::{CompareOp, MathOp};
use super::regex::GoRegex;
use super::value::{self, compare, Value};
use super::EvalError;

/// A boolean expression (`booleanExpression` in OTTL's grammar).
#[derive(Debug, Clone, PartialEq)]
pub enum BoolExpr {
    /// `a or b or ...`, evaluated left to right, stopping at the first true.
    Or(Vec<BoolExpr>),
    /// `a and b and ...`, evaluated left to right, stopping at the first false.
    And(Vec<BoolExpr>),
    /// `not a`
    Not(Box<BoolExpr>),
    /// `left op right` under OTTL's comparison rules.
    Compare(Expr, CompareOp, Expr),
    /// `true` or `false`.
    Const(bool),
    /// A converter used as a boolean: it must return a bool at run time.
    Converter(Expr),
}

/// A map or slice key after a path segment or a converter.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// `["name"]`: a map key.
    Str(String),
    /// `[0]`: a slice index.
    Int(i64),
}

/// Where a path reads: one variant per path of §2.1 of the target chapter
/// (`Attributes` keys are the keys after `attributes`; `TraceStateKey` the one
/// key of `trace_state`; `Event*` read the span event).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    TraceId,
    TraceIdString,
    SpanId,
    SpanIdString,
    ParentSpanId,
    ParentSpanIdString,
    TraceState,
    TraceStateKey(Key),
    Name,
    Kind,
    KindString,
    KindDeprecatedString,
    StartTimeUnixNano,
    EndTimeUnixNano,
    Attributes(Vec<Key>),
    DroppedAttributesCount,
    DroppedEventsCount,
    DroppedLinksCount,
    StatusCode,
    StatusMessage,
    ResourceAttributes(Vec<Key>),
    ScopeName,
    ScopeVersion,
    ScopeAttributes(Vec<Key>),
    ScopeDroppedAttributesCount,
    EventName,
    EventTimeUnixNano,
    EventAttributes(Vec<Key>),
    EventDroppedAttributesCount,
}

/// A converter with its checked arguments, in the order OTTL takes them
/// (§2.4 of the target chapter; `Substring`'s `bool` is the optional fourth
/// argument).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Func {
    IsMatch(Box<Expr>, GoRegex),
    ExtractPatterns(Box<Expr>, GoRegex),
    Substring(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    Int(Box<Expr>),
    Double(Box<Expr>),
    String(Box<Expr>),
    Bool(Box<Expr>),
    IsRootSpan,
    Len(Box<Expr>),
    Concat(Vec<Expr>, Vec<u8>),
    ToLowerCase(Box<Expr>),
    ToUpperCase(Box<Expr>),
    HasPrefix(Box<Expr>, Vec<u8>),
    HasSuffix(Box<Expr>, Vec<u8>),
    IsString(Box<Expr>),
    IsInt(Box<Expr>),
    IsDouble(Box<Expr>),
    IsBool(Box<Expr>),
    IsMap(Box<Expr>),
    IsList(Box<Expr>),
    ContainsValue(Box<Expr>, Box<Expr>),
    TraceId([u8; 16]),
    SpanId([u8; 8]),
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal (an enum reads as its int64).
    Literal(Value),
    /// A path, resolved in its context.
    Path(Field),
    /// A converter call and the keys after it.
    Call(Func, Vec<Key>),
    /// `first op operand op operand ...` of one precedence level, left to right.
    Math(Box<Expr>, Vec<(MathOp, Expr)>),
    /// A list literal `[a, b]`.
    List(Vec<Expr>),
}

/// What a condition is evaluated on.
pub(crate) struct Target<'a> {
    pub(crate) span: &'a Span,
    pub(crate) event: Option<&'a Event>,
}

impl BoolExpr {
    pub(crate) fn eval(&self, target: &Target<'_>) -> Result<bool, EvalError> {
        match self {
            BoolExpr::Or(items) => {
                for item in items {
                    if item.eval(target)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            BoolExpr::And(items) => {
                for item in items {
                    if !item.eval(target)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            BoolExpr::Not(inner) => Ok(!inner.eval(target)?),
            BoolExpr::Compare(left, op, right) => {
                let a = left.eval(target)?;
                let b = right.eval(target)?;
                Ok(compare(&a, &b, *op))
            }
            BoolExpr::Const(value) => Ok(*value),
            BoolExpr::Converter(expr) => match expr.eval(target)? {
                Value::Bool(value) => Ok(value),
                other => Err(EvalError::new(format!(
                    "value returned from Converter in constant expression must be bool but got {}",
                    other.go_type()
                ))),
            },
        }
    }
}

fn lookup<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| &kv.value)
}

/// `ctxutil.GetMapValue`: a missing key is nil; nested keys index maps and
/// slices; anything else is an error.
fn map_value(attributes: &[KeyValue], keys: &[Key]) -> Result<Value, EvalError> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(Value::Map(attributes.to_vec()));
    };
    let Key::Str(first) = first else {
        return Err(EvalError::new("cannot get map value: invalid key type"));
    };
    let Some(mut current) = lookup(attributes, first) else {
        return Ok(Value::Nil);
    };
    for key in rest {
        current = match (current, key) {
            (AnyValue::KvList(items), Key::Str(name)) => match lookup(items, name) {
                Some(value) => value,
                None => return Ok(Value::Nil),
            },
            (AnyValue::KvList(_), Key::Int(_)) => {
                return Err(EvalError::new(
                    "unable to resolve a string index in map: invalid key type",
                ))
            }
            (AnyValue::Array(items), Key::Int(index)) => {
                match usize::try_from(*index).ok().and_then(|i| items.get(i)) {
                    Some(value) => value,
                    None => return Err(EvalError::new(format!("index {index} out of bounds"))),
                }
            }
            (AnyValue::Array(_), Key::Str(_)) => {
                return Err(EvalError::new(
                    "unable to resolve an integer index in slice: invalid key type",
                ))
            }
            (other, _) => {
                return Err(EvalError::new(format!(
                    "type {} does not support string indexing",
                    pdata_type(other)
                )))
            }
        };
    }
    Ok(Value::from_any(current))
}

fn pdata_type(value: &AnyValue) -> &'static str {
    match value {
        AnyValue::String(_) => "Str",
        AnyValue::Bool(_) => "Bool",
        AnyValue::Int(_) => "Int",
        AnyValue::Double(_) => "Double",
        AnyValue::Bytes(_) => "Bytes",
        AnyValue::Array(_) => "Slice",
        AnyValue::KvList(_) => "Map",
        AnyValue::Empty => "Empty",
    }
}

#[allow(clippy::cast_possible_wrap)]
fn nanos(value: u64) -> Value {
    // `pcommon.Timestamp.AsTime().UnixNano()`: the uint64 read as int64.
    Value::Int(value as i64)
}

/// `exprGetter.Get`: keys after a converter; a missing map key is an error here.
fn index_result(mut result: Value, keys: &[Key]) -> Result<Value, EvalError> {
    for key in keys {
        result = match (result, key) {
            (Value::Map(items), Key::Str(name)) => match lookup(&items, name) {
                Some(value) => Value::from_any(value),
                None => return Err(EvalError::new("key not found in map")),
            },
            (Value::Slice(items), Key::Int(index)) => {
                match usize::try_from(*index).ok().and_then(|i| items.get(i)) {
                    Some(value) => Value::from_any(value),
                    None => return Err(EvalError::new(format!("index {index} out of bounds"))),
                }
            }
            (Value::List(items), Key::Int(index)) => {
                match usize::try_from(*index).ok().and_then(|i| items.get(i)) {
                    Some(value) => value.clone(),
                    None => return Err(EvalError::new(format!("index {index} out of bounds"))),
                }
            }
            (other, Key::Str(_)) => {
                return Err(EvalError::new(format!(
                    "type, {}, does not support string indexing",
                    other.go_type()
                )))
            }
            (other, Key::Int(_)) => {
                return Err(EvalError::new(format!(
                    "type, {}, does not support int indexing",
                    other.go_type()
                )))
            }
        };
    }
    Ok(result)
}

fn span_kind_name(kind: cpl_otlp::SpanKind) -> &'static str {
    match kind {
        cpl_otlp::SpanKind::Unspecified => "Unspecified",
        cpl_otlp::SpanKind::Internal => "Internal",
        cpl_otlp::SpanKind::Server => "Server",
        cpl_otlp::SpanKind::Client => "Client",
        cpl_otlp::SpanKind::Producer => "Producer",
        cpl_otlp::SpanKind::Consumer => "Consumer",
    }
}

impl Field {
    fn read(&self, target: &Target<'_>) -> Result<Value, EvalError> {
        let span = target.span;
        let detail = span.detail.as_deref();
        let event = || {
            target
                .event
                .ok_or_else(|| EvalError::new("span event paths need a span event"))
        };
        Ok(match self {
            Field::TraceId => Value::TraceId(span.trace_id.0),
            Field::TraceIdString => Value::str(&span.trace_id.to_string()),
            Field::SpanId => Value::SpanId(span.span_id.0),
            Field::SpanIdString => Value::str(&span.span_id.to_string()),
            Field::ParentSpanId => Value::SpanId(span.parent_span_id.unwrap_or_default().0),
            Field::ParentSpanIdString => {
                Value::str(&span.parent_span_id.unwrap_or_default().to_string())
            }
            Field::TraceState => Value::str(detail.map_or("", |d| d.trace_state.as_str())),
            Field::TraceStateKey(key) => {
                let raw = detail.map_or("", |d| d.trace_state.as_str());
                match super::tracestate::parse(raw) {
                    Ok(members) => {
                        let Key::Str(name) = key else {
                            return Err(EvalError::new(
                                "trace_state indexing type must be a string",
                            ));
                        };
                        let value = members
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or("", |(_, v)| v.as_str());
                        Value::str(value)
                    }
                    Err(()) => Value::Nil,
                }
            }
            Field::Name => Value::str(&span.name),
            Field::Kind => Value::Int(span.kind as i64),
            Field::KindString => Value::str(span_kind_name(span.kind)),
            Field::KindDeprecatedString => {
                Value::str(&format!("SPAN_KIND_{}", span.kind.constant()))
            }
            Field::StartTimeUnixNano => nanos(span.start_time_unix_nano),
            Field::EndTimeUnixNano => nanos(span.end_time_unix_nano),
            Field::Attributes(keys) => map_value(&span.attributes, keys)?,
            Field::DroppedAttributesCount => {
                Value::Int(i64::from(detail.map_or(0, |d| d.dropped_attributes_count)))
            }
            Field::DroppedEventsCount => {
                Value::Int(i64::from(detail.map_or(0, |d| d.dropped_events_count)))
            }
            Field::DroppedLinksCount => {
                Value::Int(i64::from(detail.map_or(0, |d| d.dropped_links_count)))
            }
            Field::StatusCode => Value::Int(span.status as i64),
            Field::StatusMessage => Value::str(detail.map_or("", |d| d.status_message.as_str())),
            Field::ResourceAttributes(keys) => map_value(&span.resource.attributes, keys)?,
            Field::ScopeName => Value::str(detail.map_or("", |d| d.scope.name.as_str())),
            Field::ScopeVersion => Value::str(detail.map_or("", |d| d.scope.version.as_str())),
            Field::ScopeAttributes(keys) => match detail {
                Some(d) => map_value(&d.scope.attributes, keys)?,
                None => map_value(&[], keys)?,
            },
            Field::ScopeDroppedAttributesCount => Value::Int(i64::from(
                detail.map_or(0, |d| d.scope.dropped_attributes_count),
            )),
            Field::EventName => Value::str(&event()?.name),
            Field::EventTimeUnixNano => nanos(event()?.time_unix_nano),
            Field::EventAttributes(keys) => map_value(&event()?.attributes, keys)?,
            Field::EventDroppedAttributesCount => {
                Value::Int(i64::from(event()?.dropped_attributes_count))
            }
        })
    }
}

impl Expr {
    pub(crate) fn eval(&self, target: &Target<'_>) -> Result<Value, EvalError> {
        match self {
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Path(field) => field.read(target),
            Expr::Call(func, keys) => {
                let result = func.call(target)?;
                if keys.is_empty() {
                    Ok(result)
                } else {
                    index_result(result, keys)
                }
            }
            Expr::Math(first, rest) => {
                let mut acc = first.eval(target)?;
                for (op, operand) in rest {
                    let right = operand.eval(target)?;
                    acc = value::math(&acc, *op, &right)?;
                }
                Ok(acc)
            }
            Expr::List(items) => Ok(Value::List(
                items
                    .iter()
                    .map(|item| item.eval(target))
                    .collect::<Result<_, _>>()?,
            )),
        }
    }
}

fn lower(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect::<String>()
        .into_bytes()
}

fn upper(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| {
            let mut mapped = c.to_uppercase();
            match (mapped.next(), mapped.next()) {
                (Some(single), None) => single,
                // A special (multi-character) mapping: Go's simple mapping keeps it.
                _ => c,
            }
        })
        .collect::<String>()
        .into_bytes()
}

fn slice_items(value: Value) -> Result<Vec<Value>, EvalError> {
    match value {
        Value::Slice(items) => Ok(items.iter().map(Value::from_any).collect()),
        Value::List(items) => Ok(items),
        Value::Nil => Err(EvalError::new("expected pcommon.Slice but got nil")),
        other => Err(EvalError::new(format!(
            "expected pcommon.Slice but got {}",
            other.go_type()
        ))),
    }
}

impl Func {
    fn call(&self, target: &Target<'_>) -> Result<Value, EvalError> {
        let eval = |expr: &Expr| expr.eval(target);
        Ok(match self {
            Func::IsMatch(subject, regex) => match value::string_like(&eval(subject)?)? {
                None => Value::Bool(false),
                Some(text) => Value::Bool(regex.is_match(&text)),
            },
            // Go: a `StringGetter` target (nil or another type is an error), then a map
            // of the named groups of the first match, empty without a match.
            Func::ExtractPatterns(subject, regex) => {
                let subject = eval(subject)?;
                let text = value::string_strict(&subject)?;
                let groups = regex.named_captures(text).unwrap_or_default();
                Value::Map(
                    groups
                        .into_iter()
                        .map(|(key, value)| cpl_otlp::KeyValue {
                            key,
                            value: cpl_otlp::AnyValue::String(
                                String::from_utf8_lossy(&value).into_owned(),
                            ),
                        })
                        .collect(),
                )
            }
            Func::Substring(subject, start, length, utf8_safe) => {
                let start = value::int_strict(&eval(start)?)?;
                if start < 0 {
                    return Err(EvalError::new(format!(
                        "invalid start for substring function, {start} cannot be negative"
                    )));
                }
                let length = value::int_strict(&eval(length)?)?;
                if length <= 0 {
                    return Err(EvalError::new(format!(
                        "invalid length for substring function, {length} cannot be negative or zero"
                    )));
                }
                let subject = eval(subject)?;
                let text = value::string_strict(&subject)?;
                substring(text, start, length, *utf8_safe)?
            }
            Func::Int(inner) => value::int_like(&eval(inner)?)?.map_or(Value::Nil, Value::Int),
            Func::Double(inner) => {
                value::float_like(&eval(inner)?)?.map_or(Value::Nil, Value::Float)
            }
            Func::String(inner) => {
                value::string_like(&eval(inner)?)?.map_or(Value::Nil, Value::Str)
            }
            Func::Bool(inner) => value::bool_like(&eval(inner)?)?.map_or(Value::Nil, Value::Bool),
            Func::IsRootSpan => {
                Value::Bool(target.span.parent_span_id.is_none_or(|id| id.is_zero()))
            }
            Func::Len(inner) => {
                let len = match eval(inner)? {
                    Value::Str(s) | Value::Bytes(s) => s.len(),
                    Value::Map(items) => items.len(),
                    Value::Slice(items) => items.len(),
                    Value::List(items) => items.len(),
                    _ => {
                        return Err(EvalError::new(
                            "target arg must be of type string, []any, map[string]any, pcommon.Map, pcommon.Slice, or pcommon.Value (of type String, Map, Slice)",
                        ))
                    }
                };
                Value::Int(i64::try_from(len).unwrap_or(i64::MAX))
            }
            Func::Concat(items, delimiter) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match value::string_like(&eval(item)?)? {
                        Some(text) => out.extend_from_slice(&text),
                        None => out.extend_from_slice(b"<nil>"),
                    }
                    if i + 1 != items.len() {
                        out.extend_from_slice(delimiter);
                    }
                }
                Value::Str(out)
            }
            Func::ToLowerCase(inner) => Value::Str(lower(value::string_strict(&eval(inner)?)?)),
            Func::ToUpperCase(inner) => Value::Str(upper(value::string_strict(&eval(inner)?)?)),
            Func::HasPrefix(inner, prefix) => {
                Value::Bool(value::string_strict(&eval(inner)?)?.starts_with(prefix))
            }
            Func::HasSuffix(inner, suffix) => {
                Value::Bool(value::string_strict(&eval(inner)?)?.ends_with(suffix))
            }
            Func::IsString(inner) => Value::Bool(matches!(eval(inner)?, Value::Str(_))),
            Func::IsInt(inner) => Value::Bool(matches!(eval(inner)?, Value::Int(_))),
            Func::IsDouble(inner) => Value::Bool(matches!(eval(inner)?, Value::Float(_))),
            Func::IsBool(inner) => Value::Bool(matches!(eval(inner)?, Value::Bool(_))),
            Func::IsMap(inner) => Value::Bool(matches!(eval(inner)?, Value::Map(_))),
            Func::IsList(inner) => {
                Value::Bool(matches!(eval(inner)?, Value::Slice(_) | Value::List(_)))
            }
            Func::ContainsValue(list, item) => {
                let items = slice_items(eval(list)?)?;
                let item = eval(item)?;
                Value::Bool(items.iter().any(|v| compare(v, &item, CompareOp::Eq)))
            }
            Func::TraceId(id) => Value::TraceId(*id),
            Func::SpanId(id) => Value::SpanId(*id),
        })
    }
}

/// `substring` and `substringRunes` of `func_substring.go`.
fn substring(text: &[u8], start: i64, length: i64, utf8_safe: bool) -> Result<Value, EvalError> {
    let len = i64::try_from(text.len()).unwrap_or(i64::MAX);
    let out_of_range = || {
        EvalError::new(format!(
            "invalid range for substring function, start({start})+length({length}) cannot be greater than the length of target string({len})"
        ))
    };
    if !utf8_safe {
        if start > len || length > len - start {
            return Err(out_of_range());
        }
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
        let (from, to) = (start as usize, (start + length) as usize);
        return Ok(Value::Str(text[from..to].to_vec()));
    }
    let end = start.checked_add(length).ok_or_else(out_of_range)?;
    if end > len {
        return Err(out_of_range());
    }
    let decoded = String::from_utf8_lossy(text);
    let starts: Vec<usize> = decoded.char_indices().map(|(i, _)| i).collect();
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
    let (from, to) = (start as usize, end as usize);
    if to > starts.len() {
        return Err(out_of_range());
    }
    let byte_from = starts.get(from).copied().unwrap_or(decoded.len());
    let byte_to = starts.get(to).copied().unwrap_or(decoded.len());
    Ok(Value::Str(decoded.as_bytes()[byte_from..byte_to].to_vec()))
}
