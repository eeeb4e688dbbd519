//! Compilation of `when:` expressions into predicate trees.
//!
//! The syntax tree says what a condition means; this module turns it into what is
//! cheap to run on millions of spans. Every decision that depends only on the policy is
//! taken here, once: built-in fields become an enum, attribute keys are interned into
//! one table (a field holds an index), literals are converted to the type they compare
//! as (ints, floats, nanoseconds, kind and status sets, precompiled regexes and
//! substring finders), and comparisons that can never be true (a string literal against
//! `status_code`) fold to constants. What is left for a span is reading values and
//! comparing them.

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;

use cpl_syntax::ast::{
    CompareOp, Expr, ExprKind, Field as AstField, FieldKind, Literal, StringOp, Value, ValueType,
};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{Condition, When};
use memchr::memmem;

use crate::compare::Num;
use crate::view::KeySet;
use cpl_syntax::{SpanKind, StatusCode};

/// A policy that cannot be compiled.
///
/// [`cpl_syntax::load_policy`] reports all of these as diagnostics, so a policy it
/// returns always compiles; these errors are for policies built or changed by hand.
/// Spans are byte ranges in the policy file.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CompileError {
    /// A `matches` pattern that the `regex` crate rejects (the loader's **E112**).
    #[error("condition `{rule}`: invalid regular expression")]
    #[diagnostic(code(cpl::eval::invalid_regex))]
    InvalidRegex {
        /// The condition's name.
        rule: String,
        /// The pattern literal.
        #[label("{source}")]
        span: Range<usize>,
        /// What the regex parser said.
        source: regex::Error,
    },
    /// A bare word that is not a constant of the field it is compared with (the
    /// loader's **E115** and **E116**).
    #[error("condition `{rule}`: `{name}` is not a constant of this field")]
    #[diagnostic(code(cpl::eval::invalid_constant))]
    InvalidConstant {
        /// The condition's name.
        rule: String,
        /// The bare word.
        name: String,
        /// Where it is written.
        #[label("not a constant here")]
        span: Range<usize>,
    },
    /// An expression with a part the parser could not read.
    #[error("condition `{rule}`: the expression did not parse")]
    #[diagnostic(code(cpl::eval::unparsed))]
    Unparsed {
        /// The condition's name.
        rule: String,
        /// The unreadable part.
        #[label("here")]
        span: Range<usize>,
    },
    /// A type test with a type name that is not one, or on a field that is not an
    /// attribute (the loader's **E117** and **E118**).
    #[error("condition `{rule}`: invalid type test")]
    #[diagnostic(code(cpl::eval::invalid_type_test))]
    InvalidTypeTest {
        /// The condition's name.
        rule: String,
        /// Where the test is written.
        #[label("not a type test on an attribute")]
        span: Range<usize>,
    },
    /// A built-in field this version of the evaluator does not know.
    #[error("condition `{rule}`: unknown built-in field")]
    #[diagnostic(code(cpl::eval::unknown_field))]
    UnknownField {
        /// The condition's name.
        rule: String,
        /// Where the field is written.
        #[label("unknown field")]
        span: Range<usize>,
    },
    /// `tenants.attribute` names a built-in field instead of an attribute key.
    #[error("the tenant attribute must be a span or resource attribute")]
    #[diagnostic(code(cpl::eval::tenant_attribute))]
    TenantAttribute {
        /// The `attribute` value.
        #[label("not an attribute key")]
        span: Range<usize>,
    },
}

/// Where an interned key is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Span,
    Resource,
}

/// The attribute keys a policy reads, each stored once; fields refer to them by index.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    pub(crate) keys: Vec<(Scope, Box<str>)>,
}

/// Index of `item` in `table`, appending it first if it is new.
fn intern<T: Clone + Eq + Hash>(table: &mut Vec<T>, index: &mut HashMap<T, u32>, item: T) -> u32 {
    *index.entry(item).or_insert_with_key(|item| {
        table.push(item.clone());
        // A policy is a bounded file: it cannot name 2^32 keys or fields.
        u32::try_from(table.len() - 1).unwrap_or(u32::MAX)
    })
}

/// Where the value of a field that reads attributes comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// `status_code`: the index of its source keys in [`Program::key_sets`].
    StatusCode(u32),
    /// `method`: its source keys.
    Method(u32),
    /// `path`: its source keys; the fourth and fifth are URLs whose path is taken.
    Path(u32),
    /// `user_id`: its source keys.
    UserId(u32),
    /// `service`: the resource attribute `service.name`.
    Service(u32),
    /// A span or resource attribute, by interned key.
    Attr(u32),
}

/// A field, resolved: where its value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The span name.
    Name,
    /// The trace id as lowercase hex.
    TraceId,
    /// The span id as lowercase hex.
    SpanId,
    /// The parent span id as lowercase hex.
    ParentSpanId,
    /// `duration` / `duration_ms` (only in `exists`; comparisons use `Pred::Duration*`).
    Duration,
    /// `trace_duration` (only in `exists`; comparisons use `Pred::TraceDuration*`).
    TraceDuration,
    /// `sampled`: bit 0 of the span's trace flags.
    Sampled,
    /// `span_count` (only in `exists`; comparisons use `Pred::SpanCount`).
    SpanCount,
    /// `trace_state["key"]`: an index into [`Program::trace_state_keys`].
    TraceState(u32),
    /// A field read from attributes: an index into [`Program::sources`], whose value
    /// is resolved at most once per span.
    Slot(u32),
}

/// What compiled predicates refer to: the interned keys and the attribute-derived
/// fields of a policy.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub(crate) keys: Keys,
    /// The source keys of the built-in fields with several sources.
    pub(crate) key_sets: Vec<KeySet>,
    pub(crate) sources: Vec<Source>,
    /// The keys of the `trace_state["key"]` fields.
    pub(crate) trace_state_keys: Vec<Box<str>>,
    /// The bodies of the `any(…)` parts, inner ones before the parts that hold them,
    /// so that a trace's results can be computed in this order.
    pub(crate) quantifiers: Vec<Node>,
    /// Whether some condition has a trace-level part (`any`, `trace_duration`,
    /// `span_count`).
    pub(crate) trace_level: bool,
    /// Whether some condition reads the trace state or trace flags.
    pub(crate) span_detail: bool,
}

/// A string test with its literal prepared.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Contains(Box<memmem::Finder<'static>>),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    /// A `matches` pattern that is an anchored literal, `^text$`.
    Equals(Box<str>),
    Matches(regex::Regex),
}

/// One predicate, specialised by the type its literal compares as.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    /// `exists(f)` for a field that can be missing.
    Exists(Field),
    /// A number comparison (`status_code` or an attribute, always a slot).
    Num {
        slot: u32,
        op: CompareOp,
        literal: Num,
    },

    /// A string comparison.
    Str {
        field: Field,
        op: CompareOp,
        literal: Box<str>,
    },
    /// `f == true` (`equal`) or `f != true` (`!equal`), on an attribute slot.
    Bool {
        slot: u32,
        equal: bool,
        literal: bool,
    },
    /// `error == literal` / `error != literal`, on the span status.
    Error { equal: bool, literal: bool },
    /// Span kind in (or, `negated`, not in) a set of kinds, as bits `1 << kind`.
    Kind { set: u8, negated: bool },
    /// Span status in (or not in) a set of statuses, as bits `1 << status`.
    Status { set: u8, negated: bool },
    /// The duration against exact nanoseconds.
    Duration { op: CompareOp, nanos: i128 },
    /// The duration in float milliseconds against a float literal.
    DurationMillis { op: CompareOp, millis: f64 },
    /// The trace's duration against exact nanoseconds.
    TraceDuration { op: CompareOp, nanos: i128 },
    /// The trace's duration in float milliseconds against a float literal.
    TraceDurationMillis { op: CompareOp, millis: f64 },
    /// The trace's span count against a number.
    SpanCount { op: CompareOp, literal: Num },
    /// `sampled == literal` / `sampled != literal`.
    Sampled { equal: bool, literal: bool },
    /// `f is T` (or, `negated`, `f is not T`) on an attribute slot.
    IsType {
        slot: u32,
        ty: ValueType,
        negated: bool,
    },
    /// `fnv_sample`: the hash of salt and trace id at most `threshold`.
    Fnv { salt: Box<[u8]>, threshold: u64 },
    /// A string test, true on a string value when the test passes (or, `negated`, fails).
    Test {
        field: Field,
        test: Test,
        negated: bool,
    },
    /// `f in [strings]` (or `not in`): a sorted set of at least two strings.
    StrIn {
        field: Field,
        set: Box<[Box<str>]>,
        negated: bool,
    },
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Const(bool),
    /// Only while compiling: [`chains`] turns every predicate into a [`Node::Chain`].
    Pred(Pred),
    /// An AND (`all`) or OR chain of predicates, the shape of most conditions, run as
    /// one loop; a single predicate is a chain of one.
    Chain {
        all: bool,
        preds: Box<[Pred]>,
    },
    Not(Box<Node>),
    And(Box<[Node]>),
    Or(Box<[Node]>),
    /// `any(…)`: an index into [`Program::quantifiers`].
    Any(u32),
}

/// Compiles the conditions of one policy, sharing one key and field table.
#[derive(Debug, Default)]
pub(crate) struct Compiler {
    pub(crate) program: Program,
    key_index: HashMap<(Scope, Box<str>), u32>,
    source_index: HashMap<Source, u32>,
}

/// The type a built-in or attribute field compares as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Int,
    /// `span_count`.
    Count,
    Duration,
    Str,
    Bool,
    Kind,
    Status,
    Any,
}

/// What a bare word means for a field that has constants.
fn constant(shape: Shape, name: &str) -> Option<u8> {
    match shape {
        Shape::Kind => SpanKind::from_constant(name).map(|kind| kind as u8),
        Shape::Status => StatusCode::from_constant(name).map(|status| status as u8),
        _ => None,
    }
}

/// Condition-level context for error messages.
struct Site<'a> {
    rule: &'a str,
    when: &'a When,
}

impl Site<'_> {
    fn span(&self, span: cpl_syntax::Span) -> Range<usize> {
        self.when.file_span(span)
    }
}

impl Compiler {
    /// Compiles a condition's `when` expression.
    pub(crate) fn condition(&mut self, condition: &Condition) -> Result<Node, CompileError> {
        let site = Site {
            rule: &condition.name.value,
            when: &condition.when,
        };
        Ok(chains(self.expr(&condition.when.expr, &site)?))
    }

    /// The field slot of a tenant attribute.
    pub(crate) fn tenant_slot(
        &mut self,
        field: &FieldKind,
        span: Range<usize>,
    ) -> Result<u32, CompileError> {
        let key = match field {
            FieldKind::SpanAttribute(key) => self.intern(Scope::Span, key),
            FieldKind::ResourceAttribute(key) => self.intern(Scope::Resource, key),
            FieldKind::Builtin(_) | FieldKind::TraceState(_) => {
                return Err(CompileError::TenantAttribute { span })
            }
        };
        Ok(self.slot(Source::Attr(key)))
    }

    fn intern(&mut self, scope: Scope, key: &str) -> u32 {
        let keys = &mut self.program.keys.keys;
        intern(keys, &mut self.key_index, (scope, key.into()))
    }

    /// The slot of an attribute-derived field, shared by every predicate that reads it.
    fn slot(&mut self, source: Source) -> u32 {
        intern(&mut self.program.sources, &mut self.source_index, source)
    }

    fn expr(&mut self, expr: &Expr, site: &Site<'_>) -> Result<Node, CompileError> {
        Ok(match &expr.kind {
            ExprKind::And(items) => and(items
                .iter()
                .map(|item| self.expr(item, site))
                .collect::<Result<_, _>>()?),
            ExprKind::Or(items) => or(items
                .iter()
                .map(|item| self.expr(item, site))
                .collect::<Result<_, _>>()?),
            ExprKind::Not(inner) => not(self.expr(inner, site)?),
            ExprKind::Compare { field, op, value } => {
                let (field, shape) = self.field(field, site)?;
                Self::compare(field, shape, *op, value, site)?
            }
            ExprKind::StringTest {
                field,
                op,
                negated,
                value,
            } => {
                let (field, shape) = self.field(field, site)?;
                Self::string_test(field, shape, *op, *negated, value, site)?
            }
            ExprKind::In {
                field,
                negated,
                values,
            } => {
                let (field, shape) = self.field(field, site)?;
                Self::list(field, shape, *negated, values, site)?
            }
            ExprKind::Exists(field) => {
                let (field, _) = self.field(field, site)?;
                exists(field)
            }
            ExprKind::TypeTest {
                field,
                negated,
                type_name,
            } => {
                let ty = match &type_name.value {
                    Value::Name(name) => ValueType::from_name(name),
                    _ => None,
                };
                let invalid = || CompileError::InvalidTypeTest {
                    rule: site.rule.to_owned(),
                    span: site.span(expr.span),
                };
                let Some(ty) = ty else {
                    return Err(invalid());
                };
                if !matches!(
                    field.kind,
                    FieldKind::SpanAttribute(_) | FieldKind::ResourceAttribute(_)
                ) {
                    return Err(invalid());
                }
                let (Some(Field::Slot(slot)), _) = self.field(field, site)? else {
                    return Err(invalid());
                };
                Node::Pred(Pred::IsType {
                    slot,
                    ty,
                    negated: *negated,
                })
            }
            ExprKind::Any(inner) => {
                self.program.trace_level = true;
                // Inner parts first: their results are ready when this one is computed.
                let body = chains(self.expr(inner, site)?);
                self.program.quantifiers.push(body);
                let index = self.program.quantifiers.len() - 1;
                Node::Any(u32::try_from(index).unwrap_or(u32::MAX))
            }
            ExprKind::FnvSample { percent, salt } => {
                #[allow(clippy::cast_precision_loss)] // as the collector reads the number
                let percent = match percent.value {
                    Value::Int(n) => n as f64,
                    Value::Float(x) => x,
                    _ => f64::NAN,
                };
                let salt = match &salt.value {
                    Value::String(text) => text.as_bytes().into(),
                    _ => Box::default(),
                };
                Node::Pred(Pred::Fnv {
                    salt,
                    threshold: crate::fnv::fnv_threshold(percent),
                })
            }
            _ => {
                return Err(CompileError::Unparsed {
                    rule: site.rule.to_owned(),
                    span: site.span(expr.span),
                })
            }
        })
    }

    /// The interned source keys of a built-in field, padded with zeros.
    fn sources(&mut self, builtin: BuiltinField) -> u32 {
        let set = KeySet::new(builtin.attribute_sources());
        let sets = &mut self.program.key_sets;
        let index = sets.iter().position(|s| *s == set).unwrap_or_else(|| {
            sets.push(set);
            sets.len() - 1
        });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// Resolves a field; `None` for the ones that read the span itself (kind, status,
    /// error), which predicates handle directly.
    fn field(
        &mut self,
        field: &AstField,
        site: &Site<'_>,
    ) -> Result<(Option<Field>, Shape), CompileError> {
        let source = match &field.kind {
            FieldKind::TraceState(key) => {
                self.program.span_detail = true;
                let keys = &mut self.program.trace_state_keys;
                let index = keys.iter().position(|k| **k == **key).unwrap_or_else(|| {
                    keys.push(key.as_str().into());
                    keys.len() - 1
                });
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                return Ok((Some(Field::TraceState(index)), Shape::Str));
            }
            FieldKind::SpanAttribute(key) => Source::Attr(self.intern(Scope::Span, key)),
            FieldKind::ResourceAttribute(key) => Source::Attr(self.intern(Scope::Resource, key)),
            FieldKind::Builtin(builtin) => match builtin {
                BuiltinField::StatusCode => Source::StatusCode(self.sources(*builtin)),
                BuiltinField::Method => Source::Method(self.sources(*builtin)),
                BuiltinField::Path => Source::Path(self.sources(*builtin)),
                BuiltinField::UserId => Source::UserId(self.sources(*builtin)),
                BuiltinField::Service => {
                    Source::Service(self.intern(Scope::Resource, "service.name"))
                }
                BuiltinField::Duration | BuiltinField::DurationMs => {
                    return Ok((Some(Field::Duration), Shape::Duration))
                }
                BuiltinField::Name => return Ok((Some(Field::Name), Shape::Str)),
                BuiltinField::TraceId => return Ok((Some(Field::TraceId), Shape::Str)),
                BuiltinField::SpanId => return Ok((Some(Field::SpanId), Shape::Str)),
                BuiltinField::ParentSpanId => return Ok((Some(Field::ParentSpanId), Shape::Str)),
                BuiltinField::Kind => return Ok((None, Shape::Kind)),
                BuiltinField::Status => return Ok((None, Shape::Status)),
                BuiltinField::Error => return Ok((None, Shape::Bool)),
                BuiltinField::Sampled => {
                    self.program.span_detail = true;
                    return Ok((Some(Field::Sampled), Shape::Bool));
                }
                BuiltinField::TraceDuration => {
                    self.program.trace_level = true;
                    return Ok((Some(Field::TraceDuration), Shape::Duration));
                }
                BuiltinField::SpanCount => {
                    self.program.trace_level = true;
                    return Ok((Some(Field::SpanCount), Shape::Count));
                }
                _ => {
                    return Err(CompileError::UnknownField {
                        rule: site.rule.to_owned(),
                        span: site.span(field.span),
                    })
                }
            },
        };
        let shape = match source {
            Source::StatusCode(_) => Shape::Int,
            Source::Attr(_) => Shape::Any,
            _ => Shape::Str,
        };
        Ok((Some(Field::Slot(self.slot(source))), shape))
    }

    /// `field op literal`, or `Const(false)` when the two never compare.
    fn compare(
        field: Option<Field>,
        shape: Shape,
        op: CompareOp,
        literal: &Literal,
        site: &Site<'_>,
    ) -> Result<Node, CompileError> {
        let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
        let pred = match (&literal.value, shape, field) {
            (Value::Name(name), Shape::Kind | Shape::Status, _) => {
                let Some(bit) = constant(shape, name) else {
                    return Err(invalid_constant(literal, site));
                };
                if !equality {
                    return Ok(Node::Const(false));
                }
                let set = 1u8 << bit;
                let negated = op == CompareOp::Ne;
                if shape == Shape::Kind {
                    Pred::Kind { set, negated }
                } else {
                    Pred::Status { set, negated }
                }
            }
            (Value::Name(_), ..) => return Err(invalid_constant(literal, site)),
            (Value::Int(n), Shape::Count, _) => Pred::SpanCount {
                op,
                literal: Num::Int(*n),
            },
            (Value::Float(x), Shape::Count, _) => Pred::SpanCount {
                op,
                literal: Num::Float(*x),
            },
            (Value::Int(n), Shape::Duration, Some(Field::TraceDuration)) => Pred::TraceDuration {
                op,
                nanos: i128::from(*n) * 1_000_000,
            },
            (Value::Float(x), Shape::Duration, Some(Field::TraceDuration)) => {
                Pred::TraceDurationMillis { op, millis: *x }
            }
            (Value::Duration(nanos, _), Shape::Duration, Some(Field::TraceDuration)) => {
                Pred::TraceDuration {
                    op,
                    nanos: i128::from(*nanos),
                }
            }
            (Value::Bool(b), Shape::Bool, Some(Field::Sampled)) if equality => Pred::Sampled {
                equal: op == CompareOp::Eq,
                literal: *b,
            },
            (Value::Int(n), Shape::Int | Shape::Any, Some(Field::Slot(slot))) => Pred::Num {
                slot,
                op,
                literal: Num::Int(*n),
            },
            (Value::Float(x), Shape::Int | Shape::Any, Some(Field::Slot(slot))) => Pred::Num {
                slot,
                op,
                literal: Num::Float(*x),
            },
            (Value::Int(n), Shape::Duration, _) => Pred::Duration {
                op,
                nanos: i128::from(*n) * 1_000_000,
            },
            (Value::Float(x), Shape::Duration, _) => Pred::DurationMillis { op, millis: *x },
            (Value::Duration(nanos, _), Shape::Duration, _) => Pred::Duration {
                op,
                nanos: i128::from(*nanos),
            },
            (Value::String(text), Shape::Str | Shape::Any, Some(field)) => Pred::Str {
                field,
                op,
                literal: text.as_str().into(),
            },
            (Value::Bool(b), Shape::Bool, _) if equality => Pred::Error {
                equal: op == CompareOp::Eq,
                literal: *b,
            },
            (Value::Bool(b), Shape::Any, Some(Field::Slot(slot))) if equality => Pred::Bool {
                slot,
                equal: op == CompareOp::Eq,
                literal: *b,
            },
            _ => return Ok(Node::Const(false)),
        };
        Ok(Node::Pred(pred))
    }

    fn string_test(
        field: Option<Field>,
        shape: Shape,
        op: StringOp,
        negated: bool,
        literal: &Literal,
        site: &Site<'_>,
    ) -> Result<Node, CompileError> {
        let (needle, field) = match (&literal.value, field) {
            (Value::String(needle), Some(field)) if matches!(shape, Shape::Str | Shape::Any) => {
                (needle, field)
            }
            (Value::Name(_), _) => return Err(invalid_constant(literal, site)),
            // A test on a value that is never a string, or with a literal that is not
            // one, is false in both forms.
            _ => return Ok(Node::Const(false)),
        };
        let test = match op {
            StringOp::Contains => Test::Contains(Box::new(
                memmem::Finder::new(needle.as_bytes()).into_owned(),
            )),
            StringOp::StartsWith => Test::StartsWith(needle.as_str().into()),
            StringOp::EndsWith => Test::EndsWith(needle.as_str().into()),
            StringOp::Matches => {
                let regex = regex::RegexBuilder::new(needle)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|source| CompileError::InvalidRegex {
                        rule: site.rule.to_owned(),
                        span: site.span(literal.span),
                        source,
                    })?;
                literal_pattern(needle).unwrap_or(Test::Matches(regex))
            }
        };
        Ok(Node::Pred(Pred::Test {
            field,
            test,
            negated,
        }))
    }

    /// `f in [..]` is `f == v1 OR ...`; `f not in [..]` is `exists(f) AND f != v1 AND ...`.
    fn list(
        field: Option<Field>,
        shape: Shape,
        negated: bool,
        values: &[Literal],
        site: &Site<'_>,
    ) -> Result<Node, CompileError> {
        let op = if negated {
            CompareOp::Ne
        } else {
            CompareOp::Eq
        };
        let mut items = values
            .iter()
            .map(|value| Self::compare(field, shape, op, value, site))
            .collect::<Result<Vec<_>, _>>()?;
        if negated {
            items.insert(0, exists(field));
        }
        let node = if negated { and(items) } else { or(items) };
        Ok(merge_sets(node))
    }
}

/// A `matches` pattern that is plain text with optional `^` and `$` anchors, as the
/// string test it is equivalent to: `^GET /api$` is `== "GET /api"`, `^/api` is
/// `starts_with`, `\.json$` is not plain text. Without the `m` flag, which plain text
/// cannot set, `^` and `$` match only at the ends of the value.
fn literal_pattern(pattern: &str) -> Option<Test> {
    let (start, rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (end, text) = match rest.strip_suffix('$') {
        Some(text) => (true, text),
        None => (false, rest),
    };
    let meta = |c: char| "\\.+*?()|[]{}^$".contains(c);
    if text.chars().any(meta) {
        return None;
    }
    let text: Box<str> = text.into();
    Some(match (start, end) {
        (true, true) => Test::Equals(text),
        (true, false) => Test::StartsWith(text),
        (false, true) => Test::EndsWith(text),
        (false, false) => {
            Test::Contains(Box::new(memmem::Finder::new(text.as_bytes()).into_owned()))
        }
    })
}

fn invalid_constant(literal: &Literal, site: &Site<'_>) -> CompileError {
    CompileError::InvalidConstant {
        rule: site.rule.to_owned(),
        name: literal.to_string(),
        span: site.span(literal.span),
    }
}

/// `exists(f)`: constant for the fields every span has (kind, status and error have
/// no `Field`, and always have a value).
fn exists(field: Option<Field>) -> Node {
    match field {
        Some(Field::Name | Field::TraceId | Field::SpanId | Field::Sampled | Field::SpanCount)
        | None => Node::Const(true),
        Some(field) => Node::Pred(Pred::Exists(field)),
    }
}

fn not(node: Node) -> Node {
    match node {
        Node::Const(value) => Node::Const(!value),
        Node::Not(inner) => *inner,
        other => Node::Not(Box::new(other)),
    }
}

/// An AND chain with constants folded: a false item makes it false, true items vanish.
fn and(items: Vec<Node>) -> Node {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Const(false) => return Node::Const(false),
            Node::Const(true) => {}
            Node::And(inner) => kept.extend(inner.into_vec()),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Node::Const(true),
        1 => kept.pop().unwrap_or(Node::Const(true)),
        _ => Node::And(kept.into_boxed_slice()),
    }
}

/// An OR chain with constants folded: a true item makes it true, false items vanish.
fn or(items: Vec<Node>) -> Node {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Const(true) => return Node::Const(true),
            Node::Const(false) => {}
            Node::Or(inner) => kept.extend(inner.into_vec()),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Node::Const(false),
        1 => kept.pop().unwrap_or(Node::Const(false)),
        _ => Node::Or(kept.into_boxed_slice()),
    }
}

/// The final shape of a compiled expression: predicates, and AND and OR chains made of
/// predicates only, become [`Node::Chain`]s.
fn chains(node: Node) -> Node {
    let chain = |all: bool, items: Box<[Node]>| {
        if items.iter().all(|item| matches!(item, Node::Pred(_))) {
            let preds = items.into_vec().into_iter().filter_map(|item| match item {
                Node::Pred(pred) => Some(pred),
                _ => None,
            });
            Node::Chain {
                all,
                preds: preds.collect(),
            }
        } else {
            let items = items.into_vec().into_iter().map(chains).collect();
            if all {
                Node::And(items)
            } else {
                Node::Or(items)
            }
        }
    };
    match node {
        Node::Pred(pred) => Node::Chain {
            all: true,
            preds: Box::new([pred]),
        },
        Node::And(items) => chain(true, items),
        Node::Or(items) => chain(false, items),
        Node::Not(inner) => Node::Not(Box::new(chains(*inner))),
        other => other,
    }
}

/// Turns the expansion of an `in` list back into one set test where that is exact:
/// kind and status sets become bit masks, and string lists a sorted set.
fn merge_sets(node: Node) -> Node {
    let (items, negated) = match &node {
        Node::Or(items) => (items, false),
        Node::And(items) => (items, true),
        _ => return node,
    };
    // Kind / status: `kind in [A, B]` or `kind != A AND kind != B`.
    let mut kinds = (0u8, 0u8, true, true);
    for item in &**items {
        match item {
            Node::Pred(Pred::Kind { set, negated: n }) if *n == negated => kinds.0 |= set,
            Node::Pred(Pred::Status { set, negated: n }) if *n == negated => kinds.1 |= set,
            _ => return merge_strings(node),
        }
        kinds.2 &= matches!(item, Node::Pred(Pred::Kind { .. }));
        kinds.3 &= matches!(item, Node::Pred(Pred::Status { .. }));
    }
    if kinds.2 {
        Node::Pred(Pred::Kind {
            set: kinds.0,
            negated,
        })
    } else if kinds.3 {
        Node::Pred(Pred::Status {
            set: kinds.1,
            negated,
        })
    } else {
        node
    }
}

fn merge_strings(node: Node) -> Node {
    let (items, negated) = match &node {
        Node::Or(items) => (&items[..], false),
        // `exists(f) AND f != a AND f != b`: the set test checks the value is a string.
        Node::And(items) => match items.first() {
            Some(Node::Pred(Pred::Exists(_))) => (&items[1..], true),
            _ => return node,
        },
        _ => return node,
    };
    let op = if negated {
        CompareOp::Ne
    } else {
        CompareOp::Eq
    };
    let mut field = None;
    let mut set = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Pred(Pred::Str {
                field: f,
                op: o,
                literal,
            }) if *o == op && field.is_none_or(|seen| seen == *f) => {
                field = Some(*f);
                set.push(literal.clone());
            }
            _ => return node,
        }
    }
    match field {
        Some(field) if set.len() >= 2 => {
            set.sort_unstable();
            set.dedup();
            Node::Pred(Pred::StrIn {
                field,
                set: set.into_boxed_slice(),
                negated,
            })
        }
        _ => node,
    }
}
