//! Printing a checked condition as canonical OTTL: every path with its context
//! (`span.`, `resource.`, `scope.`, `spanevent.`), enums as their numbers,
//! strings with Go escapes, math chains parenthesized. Parsing the printed text
//! in the same context gives the same tree (tested).

use std::fmt::{self, Write as _};

use super::ast::{CompareOp, MathOp};
use super::expr::{BoolExpr, Expr, Field, Func, Key};
use super::value::{hex, Value};

fn op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

fn math_op(op: MathOp) -> &'static str {
    match op {
        MathOp::Add => "+",
        MathOp::Sub => "-",
        MathOp::Mul => "*",
        MathOp::Div => "/",
    }
}

/// A Go string literal OTTL reads back as `text`.
fn quote(text: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if u32::from(c) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

fn keys(keys: &[Key], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for key in keys {
        match key {
            Key::Str(name) => {
                f.write_char('[')?;
                quote(name, f)?;
                f.write_char(']')?;
            }
            Key::Int(index) => write!(f, "[{index}]")?,
        }
    }
    Ok(())
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Maps and slices come from telemetry, never from literals.
            Value::Nil | Value::Map(_) | Value::Slice(_) => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => {
                // OTTL floats need a dot: `1.0`, `1.5e-7`.
                let text = format!("{x:?}");
                match text.split_once('e') {
                    Some((mantissa, exponent)) if !mantissa.contains('.') => {
                        write!(f, "{mantissa}.0e{exponent}")
                    }
                    _ => f.write_str(&text),
                }
            }
            Value::Str(s) => quote(&String::from_utf8_lossy(s), f),
            Value::Bytes(b) => write!(f, "0x{}", hex(b)),
            Value::TraceId(id) => write!(f, "TraceID(0x{})", hex(id)),
            Value::SpanId(id) => write!(f, "SpanID(0x{})", hex(id)),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, with_keys): (&str, Option<&[Key]>) = match self {
            Field::TraceId => ("span.trace_id", None),
            Field::TraceIdString => ("span.trace_id.string", None),
            Field::SpanId => ("span.span_id", None),
            Field::SpanIdString => ("span.span_id.string", None),
            Field::ParentSpanId => ("span.parent_span_id", None),
            Field::ParentSpanIdString => ("span.parent_span_id.string", None),
            Field::TraceState => ("span.trace_state", None),
            Field::TraceStateKey(key) => {
                f.write_str("span.trace_state")?;
                return keys(std::slice::from_ref(key), f);
            }
            Field::Name => ("span.name", None),
            Field::Kind => ("span.kind", None),
            Field::KindString => ("span.kind.string", None),
            Field::KindDeprecatedString => ("span.kind.deprecated_string", None),
            Field::StartTimeUnixNano => ("span.start_time_unix_nano", None),
            Field::EndTimeUnixNano => ("span.end_time_unix_nano", None),
            Field::Attributes(k) => ("span.attributes", Some(k)),
            Field::DroppedAttributesCount => ("span.dropped_attributes_count", None),
            Field::DroppedEventsCount => ("span.dropped_events_count", None),
            Field::DroppedLinksCount => ("span.dropped_links_count", None),
            Field::StatusCode => ("span.status.code", None),
            Field::StatusMessage => ("span.status.message", None),
            Field::ResourceAttributes(k) => ("resource.attributes", Some(k)),
            Field::ScopeName => ("scope.name", None),
            Field::ScopeVersion => ("scope.version", None),
            Field::ScopeAttributes(k) => ("scope.attributes", Some(k)),
            Field::ScopeDroppedAttributesCount => ("scope.dropped_attributes_count", None),
            Field::EventName => ("spanevent.name", None),
            Field::EventTimeUnixNano => ("spanevent.time_unix_nano", None),
            Field::EventAttributes(k) => ("spanevent.attributes", Some(k)),
            Field::EventDroppedAttributesCount => ("spanevent.dropped_attributes_count", None),
        };
        f.write_str(text)?;
        keys(with_keys.unwrap_or(&[]), f)
    }
}

fn args(f: &mut fmt::Formatter<'_>, name: &str, items: &[&dyn fmt::Display]) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_char(')')
}

struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        quote(&String::from_utf8_lossy(self.0), f)
    }
}

struct List<'a>(&'a [Expr]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_char(']')
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Func::IsMatch(target, regex) => {
                args(f, "IsMatch", &[target, &Quoted(regex.pattern().as_bytes())])
            }
            Func::ExtractPatterns(target, regex) => args(
                f,
                "ExtractPatterns",
                &[target, &Quoted(regex.pattern().as_bytes())],
            ),
            Func::Substring(target, start, length, utf8_safe) => {
                if *utf8_safe {
                    args(f, "Substring", &[target, start, length, &"true"])
                } else {
                    args(f, "Substring", &[target, start, length])
                }
            }
            Func::Int(v) => args(f, "Int", &[v]),
            Func::Double(v) => args(f, "Double", &[v]),
            Func::String(v) => args(f, "String", &[v]),
            Func::Bool(v) => args(f, "Bool", &[v]),
            Func::IsRootSpan => f.write_str("IsRootSpan()"),
            Func::Len(v) => args(f, "Len", &[v]),
            Func::Concat(items, delimiter) => {
                args(f, "Concat", &[&List(items), &Quoted(delimiter)])
            }
            Func::ToLowerCase(v) => args(f, "ToLowerCase", &[v]),
            Func::ToUpperCase(v) => args(f, "ToUpperCase", &[v]),
            Func::HasPrefix(v, affix) => args(f, "HasPrefix", &[v, &Quoted(affix)]),
            Func::HasSuffix(v, affix) => args(f, "HasSuffix", &[v, &Quoted(affix)]),
            Func::IsString(v) => args(f, "IsString", &[v]),
            Func::IsInt(v) => args(f, "IsInt", &[v]),
            Func::IsDouble(v) => args(f, "IsDouble", &[v]),
            Func::IsBool(v) => args(f, "IsBool", &[v]),
            Func::IsMap(v) => args(f, "IsMap", &[v]),
            Func::IsList(v) => args(f, "IsList", &[v]),
            Func::ContainsValue(list, item) => args(f, "ContainsValue", &[list, item]),
            Func::TraceId(id) => write!(f, "TraceID(0x{})", hex(id)),
            Func::SpanId(id) => write!(f, "SpanID(0x{})", hex(id)),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Path(field) => write!(f, "{field}"),
            Expr::Call(func, k) => {
                write!(f, "{func}")?;
                keys(k, f)
            }
            Expr::Math(first, rest) => {
                let operand = |e: &Expr, f: &mut fmt::Formatter<'_>| -> fmt::Result {
                    if matches!(e, Expr::Math(..)) {
                        write!(f, "({e})")
                    } else {
                        write!(f, "{e}")
                    }
                };
                operand(first, f)?;
                for (o, e) in rest {
                    write!(f, " {} ", math_op(*o))?;
                    operand(e, f)?;
                }
                Ok(())
            }
            Expr::List(items) => write!(f, "{}", List(items)),
        }
    }
}

impl fmt::Display for BoolExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nested = |e: &BoolExpr, f: &mut fmt::Formatter<'_>, group: bool| -> fmt::Result {
            if group {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match self {
            BoolExpr::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    nested(item, f, matches!(item, BoolExpr::Or(_)))?;
                }
                Ok(())
            }
            BoolExpr::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    nested(item, f, matches!(item, BoolExpr::Or(_) | BoolExpr::And(_)))?;
                }
                Ok(())
            }
            BoolExpr::Not(inner) => {
                f.write_str("not ")?;
                nested(
                    inner,
                    f,
                    matches!(
                        **inner,
                        BoolExpr::Or(_) | BoolExpr::And(_) | BoolExpr::Not(_)
                    ),
                )
            }
            BoolExpr::Compare(left, o, right) => write!(f, "{left} {} {right}", op(*o)),
            BoolExpr::Const(b) => write!(f, "{b}"),
            BoolExpr::Converter(call) => write!(f, "{call}"),
        }
    }
}
