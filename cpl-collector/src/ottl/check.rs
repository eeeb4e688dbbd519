//! From the syntax tree to a checked condition: what OTTL's participle grammar
//! allows where (booleans, values, math operands), literals decoded as Go
//! decodes them, paths resolved in the span or span-event context (bare paths
//! rewritten to the context, as `EnablePathContextNames` does), converters
//! looked up and their arguments checked. Every refusal is positioned.

use cpl_syntax::codes;

use super::ast::{Node, NodeKind, RawArg, RawKey, Segment, Span};
use super::expr::{BoolExpr, Expr, Field, Func, Key};
use super::value::Value;
use super::{OttlContext, OttlError};

pub(crate) struct Checker<'a> {
    pub(crate) context: OttlContext,
    pub(crate) source: &'a str,
    pub(crate) errors: Vec<OttlError>,
}

fn error(code: &'static cpl_syntax::Code, message: impl Into<String>, span: Span) -> OttlError {
    OttlError {
        code,
        message: message.into(),
        span,
        help: None,
    }
}

/// Every converter of `ottlfuncs.StandardConverters` (contrib ≈ v0.160), so an
/// unknown name can be told from a known one CPL does not evaluate.
const STANDARD_CONVERTERS: &[&str] = &[
    "Base64Decode",
    "Base64Encode",
    "Bool",
    "Decode",
    "Coalesce",
    "CommunityID",
    "Concat",
    "ContainsValue",
    "ConvertCase",
    "ConvertAttributesToElementsXML",
    "ConvertTextToElementsXML",
    "Day",
    "Double",
    "Duration",
    "ExtractPatterns",
    "ExtractGrokPatterns",
    "FNV",
    "GetXML",
    "HasPrefix",
    "HasSuffix",
    "Hour",
    "Hours",
    "Index",
    "InsertXML",
    "Int",
    "IsBool",
    "IsDouble",
    "IsEmpty",
    "IsList",
    "IsInt",
    "IsMap",
    "IsMatch",
    "IsString",
    "Len",
    "Log",
    "IsValidLuhn",
    "MD5",
    "Microseconds",
    "Milliseconds",
    "Minute",
    "Minutes",
    "Month",
    "Murmur3Hash",
    "Murmur3Hash128",
    "Nanosecond",
    "Nanoseconds",
    "Now",
    "ParseCSV",
    "ParseJSON",
    "ParseKeyValue",
    "ParseSimplifiedXML",
    "ParseXML",
    "RemoveXML",
    "Second",
    "Seconds",
    "SHA1",
    "SHA256",
    "SHA512",
    "Sort",
    "SpanID",
    "Split",
    "Format",
    "String",
    "Substring",
    "Time",
    "FormatTime",
    "Trim",
    "TrimPrefix",
    "TrimSuffix",
    "ToKeyValueString",
    "ToCamelCase",
    "ToLowerCase",
    "ToSnakeCase",
    "ToUpperCase",
    "TruncateTime",
    "TraceID",
    "Unix",
    "UnixMicro",
    "UnixMilli",
    "UnixNano",
    "UnixSeconds",
    "UUID",
    "UUIDv7",
    "URL",
    "Values",
    "Weekday",
    "UserAgent",
    "Append",
    "DeleteIndex",
    "Year",
    "Hex",
    "SliceToMap",
    "ParseSeverity",
    "ProfileID",
    "ParseInt",
    "Keys",
    "XXH3",
    "XXH128",
    "IsInCIDR",
];

/// Decodes a Go string literal as participle's `Unquote` does: each
/// `strconv.UnquoteChar` result written as UTF-8.
pub(crate) fn unquote(literal: &str) -> Result<String, (String, usize)> {
    let inner = &literal[1..literal.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, escape)) = chars.next() else {
            return Err(("a string cannot end with a backslash".to_owned(), at + 1));
        };
        let simple = match escape {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let (digits, radix) = match escape {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => {
                return Err((format!("invalid escape sequence `\\{escape}`"), at + 1));
            }
        };
        let mut value: u32 = if radix == 8 {
            escape.to_digit(8).unwrap_or(0)
        } else {
            0
        };
        for _ in 0..digits {
            match chars.next().and_then(|(_, d)| d.to_digit(radix)) {
                Some(d) => value = value * radix + d,
                None => return Err((format!("invalid escape sequence `\\{escape}`"), at + 1)),
            }
        }
        if radix == 8 && value > 255 {
            return Err(("octal escape value above 255".to_owned(), at + 1));
        }
        match char::from_u32(value) {
            Some(c) => out.push(c),
            None => {
                return Err((
                    "escape sequence is not a valid Unicode code point".to_owned(),
                    at + 1,
                ))
            }
        }
    }
    Ok(out)
}

impl Checker<'_> {
    fn push(&mut self, error: OttlError) {
        self.errors.push(error);
    }

    fn syntax(&mut self, message: impl Into<String>, span: &Span) {
        self.push(error(&codes::OTTL_SYNTAX, message, span.clone()));
    }

    fn unsupported(&mut self, message: impl Into<String>, span: &Span) {
        self.push(error(&codes::OTTL_UNSUPPORTED, message, span.clone()));
    }

    pub(crate) fn bool_expr(&mut self, node: &Node) -> Option<BoolExpr> {
        match &node.kind {
            NodeKind::Or(items) => self.bool_list(items).map(BoolExpr::Or),
            NodeKind::And(items) => self.bool_list(items).map(BoolExpr::And),
            NodeKind::Not(inner) => self.bool_value(inner).map(|b| BoolExpr::Not(Box::new(b))),
            _ => self.bool_value(node),
        }
    }

    fn bool_list(&mut self, items: &[Node]) -> Option<Vec<BoolExpr>> {
        let checked: Vec<Option<BoolExpr>> =
            items.iter().map(|item| self.bool_expr(item)).collect();
        checked.into_iter().collect()
    }

    fn bool_value(&mut self, node: &Node) -> Option<BoolExpr> {
        match &node.kind {
            NodeKind::Compare(left, op, right) => {
                let left = self.value(left);
                let right = self.value(right);
                Some(BoolExpr::Compare(left?, *op, right?))
            }
            NodeKind::Paren(inner) => self.bool_expr(inner),
            NodeKind::Bool(value) => Some(BoolExpr::Const(*value)),
            NodeKind::Call { .. } => self.value(node).map(BoolExpr::Converter),
            NodeKind::Error => None,
            NodeKind::Not(_) => {
                self.syntax(
                    "`not` can negate a condition only once; write `not (not ...)`",
                    &node.span,
                );
                None
            }
            _ => {
                self.push(
                    error(
                        &codes::OTTL_SYNTAX,
                        "expected a condition: a comparison, `true`, `false`, a converter call or a condition in parentheses",
                        node.span.clone(),
                    )
                    .with_help("compare the value, e.g. `... != nil` or `... == true`"),
                );
                None
            }
        }
    }

    fn value(&mut self, node: &Node) -> Option<Expr> {
        match &node.kind {
            NodeKind::Nil => Some(Expr::Literal(Value::Nil)),
            NodeKind::Bool(b) => Some(Expr::Literal(Value::Bool(*b))),
            NodeKind::Str(text) => self
                .string(text, &node.span)
                .map(|s| Expr::Literal(Value::Str(s.into_bytes()))),
            NodeKind::Bytes(text) => self
                .bytes(text, &node.span)
                .map(|b| Expr::Literal(Value::Bytes(b))),
            NodeKind::Enum(name) => self.enumeration(name, &node.span),
            NodeKind::Int(_)
            | NodeKind::Float(_)
            | NodeKind::Path(_)
            | NodeKind::Call { .. }
            | NodeKind::Math(..) => self.math_operand(node),
            NodeKind::Paren(inner) => self.math_operand(inner),
            NodeKind::List(items) => {
                let checked: Vec<Option<Expr>> =
                    items.iter().map(|item| self.value(item)).collect();
                checked
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Expr::List)
            }
            NodeKind::Map(_) => {
                self.unsupported(
                    "map literals are not part of the OTTL subset CPL evaluates",
                    &node.span,
                );
                None
            }
            NodeKind::FunctionName(name) => {
                self.syntax(
                    format!("`{name}` is a function name; call it with `(...)`"),
                    &node.span,
                );
                None
            }
            NodeKind::Or(_) | NodeKind::And(_) | NodeKind::Not(_) | NodeKind::Compare(..) => {
                self.syntax("a condition where a value was expected", &node.span);
                None
            }
            NodeKind::Error => None,
        }
    }

    fn math_operand(&mut self, node: &Node) -> Option<Expr> {
        match &node.kind {
            NodeKind::Int(text) => self
                .int(text, &node.span)
                .map(|i| Expr::Literal(Value::Int(i))),
            NodeKind::Float(text) => self
                .float(text, &node.span)
                .map(|f| Expr::Literal(Value::Float(f))),
            NodeKind::Path(segments) => self.path(segments, &node.span).map(Expr::Path),
            NodeKind::Call {
                name,
                name_span,
                args,
                keys,
            } => self.call(name, name_span, args, keys, &node.span),
            NodeKind::Paren(inner) => self.math_operand(inner),
            NodeKind::Math(first, rest) => {
                let first = self.math_operand(first);
                let rest: Vec<Option<(super::ast::MathOp, Expr)>> = rest
                    .iter()
                    .map(|(op, operand)| self.math_operand(operand).map(|e| (*op, e)))
                    .collect();
                let rest: Option<Vec<_>> = rest.into_iter().collect();
                Some(Expr::Math(Box::new(first?), rest?))
            }
            NodeKind::Error => None,
            _ => {
                self.syntax(
                    "only numbers, paths and converter calls can be operands of `+`, `-`, `*` and `/`, or stand in parentheses as a value",
                    &node.span,
                );
                None
            }
        }
    }

    fn string(&mut self, literal: &str, span: &Span) -> Option<String> {
        match unquote(literal) {
            Ok(text) => Some(text),
            Err((message, offset)) => {
                // `offset` is the escape character after the backslash.
                let at = span.start + 1 + offset;
                let width = self.source[at.min(span.end)..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
                self.syntax(message, &(at.saturating_sub(1)..(at + width).min(span.end)));
                None
            }
        }
    }

    fn bytes(&mut self, literal: &str, span: &Span) -> Option<Vec<u8>> {
        let digits = &literal.as_bytes()[2..];
        if digits.len() % 2 == 1 {
            self.syntax(
                "a byte slice literal needs an even number of hex digits",
                span,
            );
            return None;
        }
        let value = |b: u8| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b - b'A' + 10,
        };
        Some(
            digits
                .chunks_exact(2)
                .map(|pair| (value(pair[0]) << 4) | value(pair[1]))
                .collect(),
        )
    }

    fn int(&mut self, text: &str, span: &Span) -> Option<i64> {
        let digits = text.trim_start_matches(['+', '-']);
        if digits.len() > 1 && digits.starts_with('0') {
            self.push(
                error(
                    &codes::OTTL_UNSUPPORTED,
                    "an integer literal with a leading zero, which OTTL reads with Go's base prefixes",
                    span.clone(),
                )
                .with_help(format!("write `{}` without the leading zero", text.replacen('0', "", 1))),
            );
            return None;
        }
        let value = super::value::go_parse_int(text.as_bytes());
        if value.is_none() {
            self.syntax("integer literal out of the int64 range", span);
        }
        value
    }

    fn float(&mut self, text: &str, span: &Span) -> Option<f64> {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                self.syntax("float literal out of the float64 range", span);
                None
            }
        }
    }

    fn enumeration(&mut self, name: &str, span: &Span) -> Option<Expr> {
        let value = cpl_syntax::SpanKind::from_otlp_name(name)
            .map(|kind| kind as i64)
            .or_else(|| cpl_syntax::StatusCode::from_otlp_name(name).map(|code| code as i64));
        if let Some(value) = value {
            Some(Expr::Literal(Value::Int(value)))
        } else {
            {
                self.push(
                    error(&codes::OTTL_UNKNOWN_ENUM, format!("`{name}` is no enum of the span context"), span.clone())
                        .with_help("use `SPAN_KIND_SERVER` (and the other `SPAN_KIND_*`) or `STATUS_CODE_ERROR`, `STATUS_CODE_OK`, `STATUS_CODE_UNSET`"),
                );
                None
            }
        }
    }

    fn key(&mut self, key: &RawKey) -> Option<Key> {
        match &key.node.kind {
            NodeKind::Str(text) => self.string(text, &key.node.span).map(Key::Str),
            NodeKind::Int(text) => self.int(text, &key.node.span).map(Key::Int),
            NodeKind::Error => None,
            _ => {
                self.unsupported(
                    "only string and integer literals are supported as keys",
                    &key.node.span,
                );
                None
            }
        }
    }

    fn keys(&mut self, keys: &[RawKey]) -> Option<Vec<Key>> {
        let checked: Vec<Option<Key>> = keys.iter().map(|key| self.key(key)).collect();
        checked.into_iter().collect()
    }

    fn path(&mut self, segments: &[Segment], span: &Span) -> Option<Field> {
        let default = match self.context {
            OttlContext::Span => "span",
            OttlContext::SpanEvent => "spanevent",
        };
        let contexts: &[&str] = match self.context {
            OttlContext::Span => &["span", "resource", "scope", "instrumentation_scope"],
            OttlContext::SpanEvent => &[
                "spanevent",
                "span",
                "resource",
                "scope",
                "instrumentation_scope",
            ],
        };
        let explicit = segments.len() >= 2
            && segments[0].keys.is_empty()
            && contexts.contains(&segments[0].name.as_str());
        let (context, rest) = if explicit {
            (segments[0].name.as_str(), &segments[1..])
        } else {
            (default, segments)
        };
        let first = &rest[0];
        let no_keys = |checker: &mut Self, segment: &Segment| -> bool {
            if segment.keys.is_empty() {
                true
            } else {
                checker.push(error(
                    &codes::OTTL_INVALID_PATH,
                    format!("`{}` cannot be indexed", segment.name),
                    segment.keys[0].node.span.clone(),
                ));
                false
            }
        };
        let end = |checker: &mut Self, used: usize| -> bool {
            if let Some(extra) = rest.get(used) {
                checker.push(error(
                    &codes::OTTL_INVALID_PATH,
                    format!(
                        "the path section `{}` is not used by the {context} context",
                        extra.name
                    ),
                    extra.span.clone(),
                ));
                false
            } else {
                true
            }
        };
        let invalid = |checker: &mut Self, segment: &Segment| {
            checker.push(
                error(
                    &codes::OTTL_INVALID_PATH,
                    format!("the {context} context has no path `{}`", segment.name),
                    segment.span.clone(),
                )
                .with_help(match context {
                    "span" => "span paths include `name`, `kind`, `status.code`, `attributes[\"key\"]`, `trace_id.string`; resource and scope paths start with `resource.` and `scope.`".to_owned(),
                    _ => format!("see the {context} context's paths in spec/targets/otel-collector.md"),
                }),
            );
        };
        let unsupported_field = |checker: &mut Self, segment: &Segment| {
            checker.unsupported(
                format!(
                    "`{context}.{}` is not part of the OTTL subset CPL evaluates",
                    segment.name
                ),
                &segment.span,
            );
        };
        let _ = span;
        match context {
            "span" => {
                let name = first.name.as_str();
                let sub = rest.get(1).map(|s| s.name.as_str());
                let field = match (name, sub) {
                    ("trace_id", None) => no_keys(self, first).then_some(Field::TraceId),
                    ("trace_id", Some("string")) => {
                        no_keys(self, first).then_some(Field::TraceIdString)
                    }
                    ("span_id", None) => no_keys(self, first).then_some(Field::SpanId),
                    ("span_id", Some("string")) => {
                        no_keys(self, first).then_some(Field::SpanIdString)
                    }
                    ("parent_span_id", None) => no_keys(self, first).then_some(Field::ParentSpanId),
                    ("parent_span_id", Some("string")) => {
                        no_keys(self, first).then_some(Field::ParentSpanIdString)
                    }
                    ("kind", None) => no_keys(self, first).then_some(Field::Kind),
                    ("kind", Some("string")) => no_keys(self, first).then_some(Field::KindString),
                    ("kind", Some("deprecated_string")) => {
                        no_keys(self, first).then_some(Field::KindDeprecatedString)
                    }
                    ("status", Some("code")) => no_keys(self, first).then_some(Field::StatusCode),
                    ("status", Some("message")) => {
                        no_keys(self, first).then_some(Field::StatusMessage)
                    }
                    ("trace_state", _) => {
                        if first.keys.is_empty() {
                            Some(Field::TraceState)
                        } else if first.keys.len() == 1 {
                            self.key(&first.keys[0]).map(Field::TraceStateKey)
                        } else {
                            self.push(error(
                                &codes::OTTL_INVALID_PATH,
                                "must provide exactly 1 key when accessing trace_state",
                                first.keys[1].node.span.clone(),
                            ));
                            None
                        }
                    }
                    ("name", _) => no_keys(self, first).then_some(Field::Name),
                    ("start_time_unix_nano", _) => {
                        no_keys(self, first).then_some(Field::StartTimeUnixNano)
                    }
                    ("end_time_unix_nano", _) => {
                        no_keys(self, first).then_some(Field::EndTimeUnixNano)
                    }
                    ("attributes", _) => self.keys(&first.keys).map(Field::Attributes),
                    ("dropped_attributes_count", _) => {
                        no_keys(self, first).then_some(Field::DroppedAttributesCount)
                    }
                    ("dropped_events_count", _) => {
                        no_keys(self, first).then_some(Field::DroppedEventsCount)
                    }
                    ("dropped_links_count", _) => {
                        no_keys(self, first).then_some(Field::DroppedLinksCount)
                    }
                    ("start_time" | "end_time" | "events" | "links" | "flags" | "cache", _)
                    | ("status", None) => {
                        unsupported_field(self, first);
                        return None;
                    }
                    ("trace_id" | "span_id" | "parent_span_id" | "kind" | "status", Some(_)) => {
                        invalid(self, &rest[1]);
                        return None;
                    }
                    _ => {
                        invalid(self, first);
                        return None;
                    }
                }?;
                let used = match field {
                    Field::TraceIdString
                    | Field::SpanIdString
                    | Field::ParentSpanIdString
                    | Field::KindString
                    | Field::KindDeprecatedString
                    | Field::StatusCode
                    | Field::StatusMessage => 2,
                    _ => 1,
                };
                end(self, used).then_some(field)
            }
            "resource" => match first.name.as_str() {
                "attributes" => {
                    let keys = self.keys(&first.keys)?;
                    end(self, 1).then_some(Field::ResourceAttributes(keys))
                }
                "dropped_attributes_count" | "schema_url" | "cache" => {
                    unsupported_field(self, first);
                    None
                }
                _ => {
                    invalid(self, first);
                    None
                }
            },
            "scope" | "instrumentation_scope" => {
                let field = match first.name.as_str() {
                    "name" => no_keys(self, first).then_some(Field::ScopeName),
                    "version" => no_keys(self, first).then_some(Field::ScopeVersion),
                    "attributes" => self.keys(&first.keys).map(Field::ScopeAttributes),
                    "dropped_attributes_count" => {
                        no_keys(self, first).then_some(Field::ScopeDroppedAttributesCount)
                    }
                    "schema_url" | "cache" => {
                        unsupported_field(self, first);
                        return None;
                    }
                    _ => {
                        invalid(self, first);
                        return None;
                    }
                }?;
                end(self, 1).then_some(field)
            }
            _ => {
                // spanevent
                let field = match first.name.as_str() {
                    "name" => no_keys(self, first).then_some(Field::EventName),
                    "time_unix_nano" => no_keys(self, first).then_some(Field::EventTimeUnixNano),
                    "attributes" => self.keys(&first.keys).map(Field::EventAttributes),
                    "dropped_attributes_count" => {
                        no_keys(self, first).then_some(Field::EventDroppedAttributesCount)
                    }
                    "time" | "event_index" | "cache" => {
                        unsupported_field(self, first);
                        return None;
                    }
                    _ => {
                        invalid(self, first);
                        return None;
                    }
                }?;
                end(self, 1).then_some(field)
            }
        }
    }

    fn arity(
        &mut self,
        name: &str,
        args: &[RawArg],
        range: std::ops::RangeInclusive<usize>,
        span: &Span,
    ) -> bool {
        if range.contains(&args.len()) {
            return true;
        }
        let expected = if range.start() == range.end() {
            range.start().to_string()
        } else {
            format!("{} to {}", range.start(), range.end())
        };
        self.push(error(
            &codes::OTTL_INVALID_ARGUMENTS,
            format!("`{name}` takes {expected} argument(s), got {}", args.len()),
            span.clone(),
        ));
        false
    }

    fn string_literal_arg(&mut self, name: &str, arg: &RawArg) -> Option<(String, Span)> {
        match &arg.value.kind {
            NodeKind::Str(text) => self
                .string(text, &arg.value.span)
                .map(|s| (s, arg.value.span.clone())),
            NodeKind::Error => None,
            _ => {
                self.push(error(
                    &codes::OTTL_INVALID_ARGUMENTS,
                    format!("this argument of `{name}` must be a string literal"),
                    arg.value.span.clone(),
                ));
                None
            }
        }
    }

    fn boxed(&mut self, arg: &RawArg) -> Option<Box<Expr>> {
        self.value(&arg.value).map(Box::new)
    }

    fn call(
        &mut self,
        name: &str,
        name_span: &Span,
        args: &[RawArg],
        keys: &[RawKey],
        span: &Span,
    ) -> Option<Expr> {
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            self.push(error(
                &codes::OTTL_UNKNOWN_FUNCTION,
                format!("converter names must start with an uppercase letter but got `{name}`"),
                name_span.clone(),
            ));
            return None;
        }
        if let Some(named) = args.iter().find_map(|arg| arg.name.as_ref()) {
            self.unsupported(
                "named arguments are not part of the OTTL subset CPL evaluates",
                &named.1,
            );
            return None;
        }
        let keys = self.keys(keys)?;
        let one = |checker: &mut Self| -> Option<Box<Expr>> {
            if checker.arity(name, args, 1..=1, span) {
                checker.boxed(&args[0])
            } else {
                None
            }
        };
        let func = match name {
            "IsMatch" => {
                if !self.arity(name, args, 2..=2, span) {
                    return None;
                }
                let target = self.boxed(&args[0]);
                let pattern = match &args[1].value.kind {
                    NodeKind::Str(text) => self
                        .string(text, &args[1].value.span)
                        .map(|p| (p, text.clone())),
                    NodeKind::Error => None,
                    _ => {
                        self.unsupported("`IsMatch` patterns other than string literals are not part of the subset CPL evaluates", &args[1].value.span);
                        None
                    }
                };
                let (pattern, raw) = pattern?;
                let regex = match super::regex::compile(&pattern) {
                    Ok(regex) => regex,
                    Err(problem) => {
                        let literal = &args[1].value.span;
                        // Offsets map into the literal only when no escape changed them.
                        let at = if raw.contains('\\') {
                            literal.clone()
                        } else {
                            let start = literal.start + 1 + problem.span.start;
                            start
                                ..(literal.start + 1 + problem.span.end.max(problem.span.start + 1))
                                    .min(literal.end - 1)
                                    .max(start)
                        };
                        self.push(error(
                            &codes::OTTL_INVALID_REGEX,
                            format!("`IsMatch` pattern: {}", problem.message),
                            at,
                        ));
                        return None;
                    }
                };
                Func::IsMatch(target?, regex)
            }
            "Substring" => {
                if !self.arity(name, args, 3..=4, span) {
                    return None;
                }
                let target = self.boxed(&args[0]);
                let start = self.boxed(&args[1]);
                let length = self.boxed(&args[2]);
                let utf8_safe = match args.get(3).map(|arg| &arg.value.kind) {
                    None => Some(false),
                    Some(NodeKind::Bool(b)) => Some(*b),
                    Some(_) => {
                        self.push(error(
                            &codes::OTTL_INVALID_ARGUMENTS,
                            "the fourth argument of `Substring` must be `true` or `false`",
                            args[3].value.span.clone(),
                        ));
                        None
                    }
                };
                Func::Substring(target?, start?, length?, utf8_safe?)
            }
            "ExtractPatterns" => {
                if !self.arity(name, args, 2..=2, span) {
                    return None;
                }
                let target = self.boxed(&args[0]);
                let (pattern, pattern_span) = self.string_literal_arg(name, &args[1])?;
                let regex = match super::regex::compile(&pattern) {
                    Ok(regex) => regex,
                    Err(problem) => {
                        self.push(error(
                            &codes::OTTL_INVALID_REGEX,
                            format!("`ExtractPatterns` pattern: {}", problem.message),
                            pattern_span,
                        ));
                        return None;
                    }
                };
                if !regex.has_named_group() {
                    self.push(error(
                        &codes::OTTL_INVALID_ARGUMENTS,
                        "at least 1 named capture group must be supplied in the given regex",
                        pattern_span,
                    ));
                    return None;
                }
                Func::ExtractPatterns(target?, regex)
            }
            "Int" => Func::Int(one(self)?),
            "Double" => Func::Double(one(self)?),
            "String" => Func::String(one(self)?),
            "Bool" => Func::Bool(one(self)?),
            "Len" => Func::Len(one(self)?),
            "ToLowerCase" => Func::ToLowerCase(one(self)?),
            "ToUpperCase" => Func::ToUpperCase(one(self)?),
            "IsString" => Func::IsString(one(self)?),
            "IsInt" => Func::IsInt(one(self)?),
            "IsDouble" => Func::IsDouble(one(self)?),
            "IsBool" => Func::IsBool(one(self)?),
            "IsMap" => Func::IsMap(one(self)?),
            "IsList" => Func::IsList(one(self)?),
            "IsRootSpan" if self.context == OttlContext::Span => {
                if !self.arity(name, args, 0..=0, span) {
                    return None;
                }
                Func::IsRootSpan
            }
            "HasPrefix" | "HasSuffix" => {
                if !self.arity(name, args, 2..=2, span) {
                    return None;
                }
                let target = self.boxed(&args[0]);
                let (affix, _) = self.string_literal_arg(name, &args[1])?;
                if name == "HasPrefix" {
                    Func::HasPrefix(target?, affix.into_bytes())
                } else {
                    Func::HasSuffix(target?, affix.into_bytes())
                }
            }
            "Concat" => {
                if !self.arity(name, args, 2..=2, span) {
                    return None;
                }
                let items = if let NodeKind::List(items) = &args[0].value.kind {
                    let checked: Vec<Option<Expr>> =
                        items.iter().map(|item| self.value(item)).collect();
                    checked.into_iter().collect::<Option<Vec<_>>>()
                } else {
                    self.push(error(
                        &codes::OTTL_INVALID_ARGUMENTS,
                        "the first argument of `Concat` must be a list literal `[...]`",
                        args[0].value.span.clone(),
                    ));
                    None
                };
                let (delimiter, _) = self.string_literal_arg(name, &args[1])?;
                Func::Concat(items?, delimiter.into_bytes())
            }
            "ContainsValue" => {
                if !self.arity(name, args, 2..=2, span) {
                    return None;
                }
                let list = self.boxed(&args[0]);
                let item = self.boxed(&args[1]);
                Func::ContainsValue(list?, item?)
            }
            "TraceID" | "SpanID" => {
                if !self.arity(name, args, 1..=1, span) {
                    return None;
                }
                let want = if name == "TraceID" { 16 } else { 8 };
                let bytes = if let NodeKind::Bytes(text) = &args[0].value.kind {
                    self.bytes(text, &args[0].value.span)
                } else {
                    self.push(error(
                        &codes::OTTL_INVALID_ARGUMENTS,
                        format!("`{name}` takes a byte slice literal such as `0x...`"),
                        args[0].value.span.clone(),
                    ));
                    None
                }?;
                if bytes.len() != want {
                    self.push(error(
                        &codes::OTTL_INVALID_ARGUMENTS,
                        format!("`{name}` needs exactly {want} bytes, got {}", bytes.len()),
                        args[0].value.span.clone(),
                    ));
                    return None;
                }
                if want == 16 {
                    let mut id = [0u8; 16];
                    id.copy_from_slice(&bytes);
                    Func::TraceId(id)
                } else {
                    let mut id = [0u8; 8];
                    id.copy_from_slice(&bytes);
                    Func::SpanId(id)
                }
            }
            _ if STANDARD_CONVERTERS.contains(&name) => {
                self.unsupported(
                    format!("the converter `{name}` is not part of the OTTL subset CPL evaluates"),
                    name_span,
                );
                return None;
            }
            _ => {
                let help = if name == "IsRootSpan" {
                    Some(
                        "`IsRootSpan()` exists only for `span` conditions, not `spanevent` ones"
                            .to_owned(),
                    )
                } else {
                    cpl_syntax::did_you_mean(
                        name,
                        STANDARD_CONVERTERS.iter().copied().chain(["IsRootSpan"]),
                    )
                    .map(|close| format!("did you mean `{close}`?"))
                };
                self.push(OttlError {
                    code: &codes::OTTL_UNKNOWN_FUNCTION,
                    message: format!("the collector has no function `{name}` here"),
                    span: name_span.clone(),
                    help,
                });
                return None;
            }
        };
        Some(Expr::Call(func, keys))
    }
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquote_is_go_unquote_char() {
        assert_eq!(unquote(r#""a\tb""#), Ok("a\tb".to_owned()));
        assert_eq!(unquote(r#""\x41\101\u00e9""#), Ok("AAé".to_owned()));
        // Participle writes each decoded value as a rune: `\xff` is U+00FF.
        assert_eq!(unquote(r#""\xff""#), Ok("\u{ff}".to_owned()));
        assert!(unquote(r#""\'""#).is_err());
        assert!(unquote(r#""\q""#).is_err());
        assert!(unquote(r#""\400""#).is_err());
        assert!(unquote(r#""\ud800""#).is_err());
        assert_eq!(unquote("\"a\nb\""), Ok("a\nb".to_owned()));
    }
}
