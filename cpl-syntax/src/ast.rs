//! The typed syntax tree of a `when:` expression.
//!
//! Every node carries the [`Span`] of the text it came from (byte offsets into the
//! expression). Fields are resolved here, at parse time, into the three namespaces the
//! spec defines (built-in field, span attribute, resource attribute), so that later
//! phases never look at raw names again.
//!
//! `Display` prints the canonical CPL text (spec/expressions.md, "Canonical form"):
//! `parse(print(e))` gives `e` back, spans aside.

use std::fmt;

use crate::fields::BuiltinField;

/// A half-open byte range `start..end` into the text a node was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    #[allow(clippy::cast_possible_truncation)] // expressions are limited to 1 MiB
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span as a `Range<usize>`.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A boolean expression: the value of a `when:` key.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExprKind {
    /// `a AND b AND ...`: an unparenthesised chain, at least two operands.
    And(Vec<Expr>),
    /// `a OR b OR ...`: an unparenthesised chain, at least two operands.
    Or(Vec<Expr>),
    /// `NOT a`
    Not(Box<Expr>),
    /// `field op literal` with a comparison operator.
    Compare {
        /// The left-hand side.
        field: Field,
        /// The comparison.
        op: CompareOp,
        /// The right-hand side.
        value: Literal,
    },
    /// `field [not] contains|starts_with|ends_with|matches literal`.
    StringTest {
        /// The left-hand side.
        field: Field,
        /// The test.
        op: StringOp,
        /// `not contains` and friends.
        negated: bool,
        /// The needle, prefix, suffix or regular expression.
        value: Literal,
    },
    /// `field [not] in [a, b, ...]`.
    In {
        /// The left-hand side.
        field: Field,
        /// `not in`.
        negated: bool,
        /// The list, possibly empty.
        values: Vec<Literal>,
    },
    /// `exists(field)`.
    Exists(Field),
    /// `field is T` / `field is not T`: a type test on an attribute (spec/expressions.md,
    /// "Type tests"). The type name is kept as written, a [`Value::Name`]; the loader
    /// checks it ([`ValueType::from_name`]).
    TypeTest {
        /// The left-hand side.
        field: Field,
        /// `is not`.
        negated: bool,
        /// The type name, as written.
        type_name: Literal,
    },
    /// `any(expr)`: some span of the trace satisfies `expr` (a trace-level part).
    Any(Box<Expr>),
    /// `fnv_sample(percent, salt)`: the Collector's `probabilistic` hash test.
    FnvSample {
        /// The sampling percentage: an int or float literal.
        percent: Literal,
        /// The hash salt: a string literal (`"default-hash-seed"` when not written).
        salt: Literal,
    },
    /// A piece the parser could not read; its error has been reported.
    Error,
}

/// The salt `fnv_sample` uses when none is written: the Collector's default `hash_salt`.
pub const DEFAULT_HASH_SALT: &str = "default-hash-seed";

/// The type names of a type test (`x is int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `int`: an OTLP `intValue`.
    Int,
    /// `float`: an OTLP `doubleValue`.
    Float,
    /// `string`: an OTLP `stringValue`.
    String,
    /// `bool`: an OTLP `boolValue`.
    Bool,
}

impl ValueType {
    /// The type a type name spells (lower case, exactly), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "int" => Self::Int,
            "float" => Self::Float,
            "string" => Self::String,
            "bool" => Self::Bool,
            _ => return None,
        })
    }

    /// The type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::String => "string",
            Self::Bool => "bool",
        }
    }
}

/// `==`, `!=`, `<`, `<=`, `>`, `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator with its operands swapped: `500 <= x` is `x >= 500`.
    #[must_use]
    pub fn mirrored(self) -> Self {
        match self {
            CompareOp::Eq | CompareOp::Ne => self,
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
        }
    }

    /// The operator as written in canonical CPL.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// The string tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringOp {
    /// Substring test.
    Contains,
    /// Prefix test.
    StartsWith,
    /// Suffix test.
    EndsWith,
    /// Regular-expression search (unanchored, Rust `regex` syntax).
    Matches,
}

impl StringOp {
    /// The operator as written in canonical CPL.
    pub fn as_str(self) -> &'static str {
        match self {
            StringOp::Contains => "contains",
            StringOp::StartsWith => "starts_with",
            StringOp::EndsWith => "ends_with",
            StringOp::Matches => "matches",
        }
    }
}

/// A field reference: the left-hand side of every predicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// What it refers to.
    pub kind: FieldKind,
    /// Where it is written.
    pub span: Span,
}

/// The three namespaces a field can live in (spec/fields.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A field of the built-in catalog (`status_code`, `duration`, `kind`...).
    Builtin(BuiltinField),
    /// A span attribute by its OTel key (`http.route`, or `attributes["odd key"]`).
    SpanAttribute(String),
    /// A resource attribute (`resource.service.name`, or `resource["odd key"]`).
    ResourceAttribute(String),
    /// An entry of the span's W3C trace state (`trace_state["ot"]`).
    TraceState(String),
}

impl FieldKind {
    /// Whether the field has one value per trace (`trace_duration`, `span_count`).
    pub fn is_trace_level(&self) -> bool {
        matches!(
            self,
            FieldKind::Builtin(BuiltinField::TraceDuration | BuiltinField::SpanCount)
        )
    }
}

/// A literal with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The value.
    pub value: Value,
    /// Where it is written.
    pub span: Span,
}

/// The values a literal can have. Integers and floats stay distinct.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `500`, `-5`, `+500`, `007`.
    Int(i64),
    /// `500.0`, `1e3`, `5.`; also integers too large for `i64`.
    Float(f64),
    /// `250ms`, `1.5s`: exact nanoseconds and the unit written.
    Duration(i64, DurationUnit),
    /// `'text'` or `"text"`.
    String(String),
    /// `true`, `false`.
    Bool(bool),
    /// A bare name in value position: an enum constant such as `SERVER` or `ERROR`.
    Name(String),
}

/// The units a duration literal may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// `ns`
    Nanoseconds,
    /// `us` or `µs`
    Microseconds,
    /// `ms`
    Milliseconds,
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
}

impl DurationUnit {
    /// The unit for a literal suffix.
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "ns" => Self::Nanoseconds,
            "us" | "µs" => Self::Microseconds,
            "ms" => Self::Milliseconds,
            "s" => Self::Seconds,
            "m" => Self::Minutes,
            "h" => Self::Hours,
            _ => return None,
        })
    }

    /// The canonical suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Nanoseconds => "ns",
            Self::Microseconds => "us",
            Self::Milliseconds => "ms",
            Self::Seconds => "s",
            Self::Minutes => "m",
            Self::Hours => "h",
        }
    }

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i64 {
        match self {
            Self::Nanoseconds => 1,
            Self::Microseconds => 1_000,
            Self::Milliseconds => 1_000_000,
            Self::Seconds => 1_000_000_000,
            Self::Minutes => 60_000_000_000,
            Self::Hours => 3_600_000_000_000,
        }
    }
}

impl Expr {
    /// The same tree with every span set to zero: what round-trip tests compare.
    #[must_use]
    pub fn without_spans(&self) -> Expr {
        let mut copy = self.clone();
        copy.walk_mut(&mut |expr| {
            expr.span = Span::default();
            match &mut expr.kind {
                ExprKind::Compare { field, value, .. }
                | ExprKind::StringTest { field, value, .. } => {
                    field.span = Span::default();
                    value.span = Span::default();
                }
                ExprKind::In { field, values, .. } => {
                    field.span = Span::default();
                    for value in values.iter_mut() {
                        value.span = Span::default();
                    }
                }
                ExprKind::Exists(field) => field.span = Span::default(),
                ExprKind::TypeTest {
                    field, type_name, ..
                } => {
                    field.span = Span::default();
                    type_name.span = Span::default();
                }
                ExprKind::FnvSample { percent, salt } => {
                    percent.span = Span::default();
                    salt.span = Span::default();
                }
                _ => {}
            }
        });
        copy
    }

    /// Whether the expression has a trace-level part: `any(…)`, `trace_duration` or
    /// `span_count` (spec/sampling.md, "Decisions").
    pub fn is_trace_level(&self) -> bool {
        let mut found = false;
        self.walk(&mut |node| {
            found |= match &node.kind {
                ExprKind::Any(_) => true,
                ExprKind::Compare { field, .. }
                | ExprKind::StringTest { field, .. }
                | ExprKind::In { field, .. }
                | ExprKind::Exists(field) => field.kind.is_trace_level(),
                _ => false,
            };
        });
        found
    }

    /// Calls `visit` on this node and every descendant, parents first.
    pub fn walk(&self, visit: &mut impl FnMut(&Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::And(items) | ExprKind::Or(items) => {
                for item in items {
                    item.walk(visit);
                }
            }
            ExprKind::Not(inner) | ExprKind::Any(inner) => inner.walk(visit),
            _ => {}
        }
    }

    fn walk_mut(&mut self, visit: &mut impl FnMut(&mut Expr)) {
        visit(self);
        match &mut self.kind {
            ExprKind::And(items) | ExprKind::Or(items) => {
                for item in items {
                    item.walk_mut(visit);
                }
            }
            ExprKind::Not(inner) | ExprKind::Any(inner) => inner.walk_mut(visit),
            _ => {}
        }
    }

    /// Binding strength for printing: OR < AND < NOT < predicate.
    fn precedence(&self) -> u8 {
        match self.kind {
            ExprKind::Or(_) => 1,
            ExprKind::And(_) => 2,
            ExprKind::Not(_) => 3,
            _ => 4,
        }
    }

    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        // A nested chain of the same operator was parenthesised in the source (the
        // parser flattens unparenthesised chains), so it keeps its parentheses.
        if self.precedence() <= parent {
            f.write_str("(")?;
            fmt::Display::fmt(self, f)?;
            f.write_str(")")
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], word: &str, prec: u8| {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {word} ")?;
                }
                item.fmt_operand(f, prec)?;
            }
            Ok(())
        };
        match &self.kind {
            ExprKind::Or(items) => join(f, items, "OR", 1),
            ExprKind::And(items) => join(f, items, "AND", 2),
            ExprKind::Not(inner) => {
                f.write_str("NOT ")?;
                // NOT binds tighter than AND, so only chains need parentheses.
                inner.fmt_operand(f, 2)
            }
            ExprKind::Compare { field, op, value } => {
                fmt::Display::fmt(field, f)?;
                write!(f, " {} {value}", op.as_str())
            }
            ExprKind::StringTest {
                field,
                op,
                negated,
                value,
            } => {
                let not = if *negated { "not " } else { "" };
                fmt::Display::fmt(field, f)?;
                write!(f, " {not}{} {value}", op.as_str())
            }
            ExprKind::In {
                field,
                negated,
                values,
            } => {
                let not = if *negated { "not " } else { "" };
                fmt::Display::fmt(field, f)?;
                write!(f, " {not}in [")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("]")
            }
            ExprKind::Exists(field) => {
                f.write_str("exists(")?;
                fmt::Display::fmt(field, f)?;
                f.write_str(")")
            }
            ExprKind::TypeTest {
                field,
                negated,
                type_name,
            } => {
                let not = if *negated { "not " } else { "" };
                fmt::Display::fmt(field, f)?;
                write!(f, " is {not}{type_name}")
            }
            ExprKind::Any(inner) => {
                f.write_str("any(")?;
                fmt::Display::fmt(inner.as_ref(), f)?;
                f.write_str(")")
            }
            ExprKind::FnvSample { percent, salt } => write!(f, "fnv_sample({percent}, {salt})"),
            ExprKind::Error => f.write_str("<error>"),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldKind::Builtin(field) => f.write_str(field.name()),
            // The alternate form (`{:#}`, what the policy printer writes) also quotes
            // every key without a dot: bare, it would load with W114.
            FieldKind::SpanAttribute(key) => {
                if crate::fields::reads_as_span_attribute(key)
                    && (!f.alternate() || key.contains('.'))
                {
                    f.write_str(key)
                } else {
                    write!(f, "attributes[{}]", QuotedString(key))
                }
            }
            FieldKind::ResourceAttribute(key) => {
                if crate::fields::is_plain_dotted_name(key) {
                    write!(f, "resource.{key}")
                } else {
                    write!(f, "resource[{}]", QuotedString(key))
                }
            }
            FieldKind::TraceState(key) => write!(f, "trace_state[{}]", QuotedString(key)),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(value) => write!(f, "{value}"),
            Value::Float(value) => fmt_float(*value, f),
            Value::Duration(nanos, unit) => {
                // Long division: every parsed literal is a finite decimal in its unit
                // (`0.006m`), but minutes and hours are not powers of ten.
                let per = unit.nanos();
                let (whole, mut rest) = (nanos / per, (nanos % per).abs());
                if *nanos < 0 && whole == 0 {
                    f.write_str("-")?;
                }
                write!(f, "{whole}")?;
                if rest != 0 {
                    f.write_str(".")?;
                    for _ in 0..24 {
                        if rest == 0 {
                            break;
                        }
                        rest *= 10;
                        write!(f, "{}", rest / per)?;
                        rest %= per;
                    }
                }
                f.write_str(unit.suffix())
            }
            Value::String(text) => QuotedString(text).fmt(f),
            Value::Bool(value) => write!(f, "{value}"),
            Value::Name(name) => f.write_str(name),
        }
    }
}

/// Floats print so that they read back as the same float: `5.0`, `1e20`, `1e999` for
/// infinity (the literal clarvynn also reads as infinity).
fn fmt_float(value: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if value.is_infinite() {
        return f.write_str(if value > 0.0 { "1e999" } else { "-1e999" });
    }
    let text = format!("{value:?}");
    if text.contains(['.', 'e', 'E']) {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

/// A string printed as a CPL literal: raw (`r"\d+"`) when it holds a backslash and
/// a raw string can hold it, else double-quoted with the escapes the lexer reads
/// (spec/expressions.md, "Canonical form").
struct QuotedString<'a>(&'a str);

impl fmt::Display for QuotedString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.contains('\\') && !self.0.contains(['"', '\n', '\r', '\t', '\u{c}', '\0']);
        if raw {
            return write!(f, "r\"{}\"", self.0);
        }
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\u{c}' => f.write_str("\\f")?,
                '\0' => f.write_str("\\0")?,
                other => write!(f, "{other}")?,
            }
        }
        f.write_str("\"")
    }
}
