//! Conditions as formulas over atoms, independent of how they were written.
//!
//! A [`Formula`] is what the engine reasons about: `AND`, `OR`, `NOT` and constants
//! over *atoms*, each one field and one predicate. Building one from an [`Expr`] already
//! removes what is only notation: `in` lists become disjunctions of `==`, `not in`
//! becomes `exists(f) AND f != …` (spec/types.md, "Lists"), `duration_ms` is `duration`,
//! `error` becomes a predicate on `status`, and a string test with a number literal
//! (always false) becomes the constant false. Missing values are *not* rewritten away:
//! an atom `x op v` is false when `x` is missing, and `NOT` is plain negation, exactly as
//! spec/missing-values.md says; the solver handles "missing" as one more value.
//!
//! Formulas share structure (`Arc`), so the union of the conditions before a rule is
//! built in time linear in the number of rules.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use cpl_syntax::ast::{CompareOp, ExprKind, FieldKind, Literal, StringOp, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{Expr, SpanKind, StatusCode};

/// The constants of `kind`, in OTLP order.
pub(crate) const KINDS: [&str; 6] = SpanKind::CONSTANTS;
/// The constants of `status`, in OTLP order.
pub(crate) const STATUSES: [&str; 3] = StatusCode::CONSTANTS;
/// Index of `ERROR` in [`STATUSES`].
pub(crate) const STATUS_ERROR: u8 = StatusCode::Error as u8;

/// A variable of the span model: a raw attribute or a built-in field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Var {
    /// A span attribute by key.
    Span(Arc<str>),
    /// A resource attribute by key.
    Resource(Arc<str>),
    /// A built-in field (`DurationMs` is folded into `Duration`, `Error` into `Status`).
    Field(BuiltinKey),
}

/// The built-in fields the engine distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum BuiltinKey {
    StatusCode,
    Method,
    Path,
    Duration,
    UserId,
    Name,
    Kind,
    Status,
    TraceId,
    SpanId,
    ParentSpanId,
    Service,
}

impl BuiltinKey {
    fn of(field: BuiltinField) -> Option<Self> {
        Some(match field {
            BuiltinField::StatusCode => Self::StatusCode,
            BuiltinField::Method => Self::Method,
            BuiltinField::Path => Self::Path,
            BuiltinField::Duration | BuiltinField::DurationMs => Self::Duration,
            BuiltinField::UserId => Self::UserId,
            BuiltinField::Name => Self::Name,
            BuiltinField::Kind => Self::Kind,
            BuiltinField::Status => Self::Status,
            BuiltinField::TraceId => Self::TraceId,
            BuiltinField::SpanId => Self::SpanId,
            BuiltinField::ParentSpanId => Self::ParentSpanId,
            BuiltinField::Service => Self::Service,
            // `error` is rewritten to `status`; nothing else is left.
            _ => return None,
        })
    }

    /// The raw attributes a derived field reads, in order of preference.
    pub(crate) fn sources(self) -> Vec<Var> {
        let span = |keys: &[&str]| keys.iter().map(|k| Var::Span(Arc::from(*k))).collect();
        match self {
            Self::StatusCode => span(BuiltinField::StatusCode.attribute_sources()),
            Self::Method => span(BuiltinField::Method.attribute_sources()),
            Self::Path => span(BuiltinField::Path.attribute_sources()),
            Self::UserId => span(BuiltinField::UserId.attribute_sources()),
            Self::Service => vec![Var::Resource(Arc::from("service.name"))],
            _ => Vec::new(),
        }
    }

    /// Whether the field is derived from attributes.
    pub(crate) fn is_derived(self) -> bool {
        matches!(
            self,
            Self::StatusCode | Self::Method | Self::Path | Self::UserId | Self::Service
        )
    }
}

/// A literal, compared by value (floats by bits).
#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Dur(i64),
    Str(Arc<str>),
    Bool(bool),
    Name(Arc<str>),
}

impl PartialEq for Lit {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Lit::Int(a), Lit::Int(b)) | (Lit::Dur(a), Lit::Dur(b)) => a == b,
            (Lit::Float(a), Lit::Float(b)) => a.to_bits() == b.to_bits(),
            (Lit::Str(a), Lit::Str(b)) | (Lit::Name(a), Lit::Name(b)) => a == b,
            (Lit::Bool(a), Lit::Bool(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Lit {}
impl Hash for Lit {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Lit::Int(v) | Lit::Dur(v) => v.hash(state),
            Lit::Float(v) => v.to_bits().hash(state),
            Lit::Str(v) | Lit::Name(v) => v.hash(state),
            Lit::Bool(v) => v.hash(state),
        }
    }
}

impl Lit {
    fn of(value: &Value) -> Option<Self> {
        Some(match value {
            Value::Int(v) => Lit::Int(*v),
            Value::Float(v) => Lit::Float(*v),
            Value::Duration(nanos, _) => Lit::Dur(*nanos),
            Value::String(text) => Lit::Str(Arc::from(text.as_str())),
            Value::Bool(v) => Lit::Bool(*v),
            Value::Name(name) => Lit::Name(Arc::from(name.as_str())),
            _ => return None,
        })
    }
}

/// A compiled `matches` pattern, compared by its text.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) text: Arc<str>,
    pub(crate) regex: regex::Regex,
    /// Strings the pattern matches, when they are easy to build.
    pub(crate) samples: Vec<String>,
}

/// A predicate on one variable.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    Exists,
    Cmp(CompareOp, Lit),
    /// `contains`, `starts_with`, `ends_with` (and their `not` forms) with a string.
    Test(StringOp, bool, Arc<str>),
    /// `matches` / `not matches`.
    Matches(Arc<Pattern>, bool),
    /// Something the engine cannot read (a parse error node, an uncompilable pattern).
    Opaque(u64),
}

impl PartialEq for Pred {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Pred::Exists, Pred::Exists) => true,
            (Pred::Cmp(op, lit), Pred::Cmp(other_op, other_lit)) => {
                op == other_op && lit == other_lit
            }
            (Pred::Test(op, negated, text), Pred::Test(other_op, other_negated, other_text)) => {
                op == other_op && negated == other_negated && text == other_text
            }
            (Pred::Matches(pattern, negated), Pred::Matches(other, other_negated)) => {
                pattern.text == other.text && negated == other_negated
            }
            (Pred::Opaque(id), Pred::Opaque(other)) => id == other,
            _ => false,
        }
    }
}
impl Eq for Pred {}
impl Hash for Pred {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Pred::Exists => {}
            Pred::Cmp(op, lit) => {
                op.hash(state);
                lit.hash(state);
            }
            Pred::Test(op, negated, text) => {
                op.hash(state);
                negated.hash(state);
                text.hash(state);
            }
            Pred::Matches(pattern, negated) => {
                pattern.text.hash(state);
                negated.hash(state);
            }
            Pred::Opaque(id) => id.hash(state),
        }
    }
}

/// One field and one predicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Atom {
    pub(crate) var: Var,
    pub(crate) pred: Pred,
}

/// A condition in the engine's terms: constants, atoms, `NOT`, `AND`, `OR`.
///
/// Build one from an expression with [`Formula::from_expr`] and combine conditions with
/// [`Formula::and`], [`Formula::or`] and [`Formula::not`]; cloning is cheap.
#[derive(Clone)]
pub struct Formula(pub(crate) Arc<Node>);

#[derive(Debug)]
pub(crate) enum Node {
    Const(bool),
    Atom(Atom),
    Not(Formula),
    And(Vec<Formula>),
    Or(Vec<Formula>),
    /// A node that only records which fields were written (for witnesses): the formula
    /// is `inner`, `fields` lists the fields as written, in order.
    Fields(Formula, Arc<[FieldKind]>),
}

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Formula {
    /// The formula true for every span (`constant(true)`) or for none.
    pub fn constant(value: bool) -> Self {
        Self(Arc::new(Node::Const(value)))
    }

    /// All of `items` (true when empty).
    pub fn and(items: impl IntoIterator<Item = Formula>) -> Self {
        Self(Arc::new(Node::And(items.into_iter().collect())))
    }

    /// Any of `items` (false when empty).
    pub fn or(items: impl IntoIterator<Item = Formula>) -> Self {
        Self(Arc::new(Node::Or(items.into_iter().collect())))
    }

    /// The negation of `self` (plain boolean negation, as CPL's `NOT`).
    #[must_use]
    pub fn not(&self) -> Self {
        Self(Arc::new(Node::Not(self.clone())))
    }

    /// The formula of a `when:` expression.
    pub fn from_expr(expr: &Expr) -> Self {
        let mut fields = Vec::new();
        collect_fields(expr, &mut fields);
        let inner = convert(expr);
        Self(Arc::new(Node::Fields(inner, fields.into())))
    }

    fn atom(var: Var, pred: Pred) -> Self {
        Self(Arc::new(Node::Atom(Atom { var, pred })))
    }

    /// The fields the formula mentions, as written, in order of first mention.
    pub fn fields(&self) -> Vec<FieldKind> {
        let mut out: Vec<FieldKind> = Vec::new();
        self.visit_fields(&mut |field| {
            if !out.contains(field) {
                out.push(field.clone());
            }
        });
        out
    }

    fn visit_fields(&self, visit: &mut impl FnMut(&FieldKind)) {
        let mut stack = vec![self];
        let mut seen = std::collections::HashSet::new();
        while let Some(formula) = stack.pop() {
            if !seen.insert(Arc::as_ptr(&formula.0)) {
                continue;
            }
            match &*formula.0 {
                Node::Fields(_, fields) => fields.iter().for_each(&mut *visit),
                Node::Not(inner) => stack.push(inner),
                Node::And(items) | Node::Or(items) => stack.extend(items.iter().rev()),
                Node::Const(_) | Node::Atom(_) => {}
            }
        }
    }
}

fn collect_fields(expr: &Expr, out: &mut Vec<FieldKind>) {
    expr.walk(&mut |node| {
        let (ExprKind::Compare { field, .. }
        | ExprKind::StringTest { field, .. }
        | ExprKind::In { field, .. }
        | ExprKind::Exists(field)) = &node.kind
        else {
            return;
        };
        if outside_model(&field.kind) {
            return;
        }
        let kind = match &field.kind {
            FieldKind::Builtin(BuiltinField::DurationMs) => {
                FieldKind::Builtin(BuiltinField::Duration)
            }
            other => other.clone(),
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    });
}

/// The variable a field reads; `None` for `error`, and for the fields the model has no
/// place for ([`outside_model`]), which never reach an atom.
pub(crate) fn var_of(field: &FieldKind) -> Option<Var> {
    match field {
        FieldKind::Builtin(builtin) => BuiltinKey::of(*builtin).map(Var::Field),
        FieldKind::SpanAttribute(key) => Some(Var::Span(Arc::from(key.as_str()))),
        FieldKind::ResourceAttribute(key) => Some(Var::Resource(Arc::from(key.as_str()))),
        FieldKind::TraceState(_) => None,
    }
}

/// Fields the span model does not have: the trace-level fields, the trace state and
/// the trace flags (spec/lints.md, "Where the answer is unknown").
fn outside_model(field: &FieldKind) -> bool {
    matches!(
        field,
        FieldKind::TraceState(_)
            | FieldKind::Builtin(
                BuiltinField::Sampled | BuiltinField::TraceDuration | BuiltinField::SpanCount
            )
    )
}

/// A predicate the engine does not reason about, as an opaque atom identified by its
/// canonical text: `any(…)`, type tests, `fnv_sample`, and predicates on fields outside
/// the model. The same text is the same atom, so `A AND NOT A` still folds; anything
/// that needs the atom's value is unknown.
fn opaque_construct(expr: &Expr) -> Option<Formula> {
    let opaque = match &expr.kind {
        ExprKind::Any(_) | ExprKind::TypeTest { .. } | ExprKind::FnvSample { .. } => true,
        ExprKind::Compare { field, .. }
        | ExprKind::StringTest { field, .. }
        | ExprKind::In { field, .. }
        | ExprKind::Exists(field) => outside_model(&field.kind),
        _ => false,
    };
    opaque.then(|| {
        use std::hash::{DefaultHasher, Hasher as _};
        let mut hasher = DefaultHasher::new();
        hasher.write(expr.to_string().as_bytes());
        // The top bit keeps these apart from the numbered opaque atoms.
        let id = hasher.finish() | (1 << 63);
        Formula::atom(Var::Field(BuiltinKey::Name), Pred::Opaque(id))
    })
}

fn convert(expr: &Expr) -> Formula {
    if let Some(atom) = opaque_construct(expr) {
        return atom;
    }
    match &expr.kind {
        ExprKind::And(items) => Formula::and(items.iter().map(convert)),
        ExprKind::Or(items) => Formula::or(items.iter().map(convert)),
        ExprKind::Not(inner) => convert(inner).not(),
        ExprKind::Compare { field, op, value } => compare(&field.kind, *op, value),
        ExprKind::StringTest {
            field,
            op,
            negated,
            value,
        } => string_test(&field.kind, *op, *negated, value),
        ExprKind::In {
            field,
            negated,
            values,
        } => {
            let eqs = values
                .iter()
                .map(|value| compare(&field.kind, CompareOp::Eq, value));
            if *negated {
                let nes = values
                    .iter()
                    .map(|value| compare(&field.kind, CompareOp::Ne, value));
                Formula::and(std::iter::once(exists(&field.kind)).chain(nes))
            } else {
                Formula::or(eqs)
            }
        }
        ExprKind::Exists(field) => exists(&field.kind),
        _ => Formula::atom(Var::Field(BuiltinKey::Name), Pred::Opaque(opaque_id())),
    }
}

fn opaque_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn exists(field: &FieldKind) -> Formula {
    match var_of(field) {
        Some(var) => Formula::atom(var, Pred::Exists),
        // `error` always has a value.
        None => Formula::constant(true),
    }
}

fn status_is_error() -> Formula {
    Formula::atom(
        Var::Field(BuiltinKey::Status),
        Pred::Cmp(CompareOp::Eq, Lit::Name(Arc::from("ERROR"))),
    )
}

fn compare(field: &FieldKind, op: CompareOp, value: &Literal) -> Formula {
    let Some(lit) = Lit::of(&value.value) else {
        return Formula::atom(Var::Field(BuiltinKey::Name), Pred::Opaque(opaque_id()));
    };
    let Some(var) = var_of(field) else {
        // `error`: a bool that is true exactly when `status == ERROR`.
        return match (op, lit) {
            (CompareOp::Eq, Lit::Bool(true)) | (CompareOp::Ne, Lit::Bool(false)) => {
                status_is_error()
            }
            (CompareOp::Eq, Lit::Bool(false)) | (CompareOp::Ne, Lit::Bool(true)) => {
                status_is_error().not()
            }
            _ => Formula::constant(false),
        };
    };
    Formula::atom(var, Pred::Cmp(op, lit))
}

fn string_test(field: &FieldKind, op: StringOp, negated: bool, value: &Literal) -> Formula {
    let Value::String(text) = &value.value else {
        // A string test with a non-string literal is false, `not` forms included.
        return Formula::constant(false);
    };
    let Some(var) = var_of(field) else {
        return Formula::constant(false);
    };
    if op == StringOp::Matches {
        return match pattern(text) {
            Some(pattern) => Formula::atom(var, Pred::Matches(pattern, negated)),
            None => Formula::atom(var, Pred::Opaque(opaque_id())),
        };
    }
    Formula::atom(var, Pred::Test(op, negated, Arc::from(text.as_str())))
}

thread_local! {
    static PATTERNS: std::cell::RefCell<std::collections::HashMap<String, Option<Arc<Pattern>>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The compiled pattern for `text`, cached per thread (a policy is checked many times
/// over, and a 100 KB pattern is compiled once).
fn pattern(text: &str) -> Option<Arc<Pattern>> {
    PATTERNS.with(|cache| {
        if let Some(found) = cache.borrow().get(text) {
            return found.clone();
        }
        let compiled = regex::RegexBuilder::new(text)
            .size_limit(1 << 20)
            .build()
            .ok()
            .map(|regex| {
                let samples = crate::logic::strings::samples(text)
                    .into_iter()
                    .filter(|sample| regex.is_match(sample))
                    .collect();
                Arc::new(Pattern {
                    text: Arc::from(text),
                    regex,
                    samples,
                })
            });
        let mut cache = cache.borrow_mut();
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(text.to_owned(), compiled.clone());
        compiled
    })
}
