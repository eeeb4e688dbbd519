//! The semantic rules: one module per diagnostic code, run over a loaded policy.
//!
//! Each module's `//!` comment is the text `cpl explain CODE` prints ([`docs`]), so the
//! explanation lives next to the code that implements it. Rules see the policy through
//! a [`Context`]: every condition of the policy and of its tenant overrides with its
//! [`Formula`], the lists of conditions in decision order (the policy's, and each
//! tenant's merged list), and a logic engine configured for linting.

use std::collections::HashSet;
use std::ops::Range;

use cpl_syntax::ast::{
    CompareOp, Expr, ExprKind, Field, FieldKind, Literal, Span, StringOp, Value,
};
use cpl_syntax::fields::{BuiltinField, FieldType};
use cpl_syntax::{Code, Condition, Diagnostic, Policy, When};

use crate::logic::{Engine, Formula};
use crate::{CheckOptions, Target};

mod always_true_condition;
mod clarvynn_field_source;
mod clarvynn_ignored_key;
mod clarvynn_missing_as_zero;
mod clarvynn_required_key;
mod clarvynn_service_string;
mod clarvynn_type_semantics;
mod clarvynn_unsupported;
mod costly_base_rate;
mod deprecated_attribute;
mod disabled_condition;
mod drop_before_keep;
mod implausible_duration;
mod implicit_exists;
mod lost_regex_escape;
mod misspelt_attribute;
mod misspelt_namespace;
mod nonstandard_attribute;
mod ordering_on_unordered;
mod status_code_out_of_range;
mod string_test_on_non_string;
mod subsumed_condition;
mod type_mismatch;
mod unitless_duration;
mod unsatisfiable_condition;

/// One rule: its code, the source of its module (for the docs) and what it runs.
pub(crate) struct Rule {
    pub(crate) code: &'static Code,
    source: &'static str,
    run: fn(&Context<'_>, &mut Vec<Diagnostic>),
    /// Only for `--target clarvynn`.
    clarvynn: bool,
}

macro_rules! rules {
    ($($code:ident => $module:ident $(, $clarvynn:ident)?;)*) => {
        /// Every rule, in code order.
        pub(crate) static RULES: &[Rule] = &[$(
            Rule {
                code: &cpl_syntax::codes::$code,
                source: include_str!(concat!(stringify!($module), ".rs")),
                run: $module::check,
                clarvynn: rules!(@flag $($clarvynn)?),
            },
        )*];
    };
    (@flag clarvynn) => { true };
    (@flag) => { false };
}

rules! {
    TYPE_MISMATCH => type_mismatch;
    STRING_TEST_ON_NON_STRING => string_test_on_non_string;
    ORDERING_ON_UNORDERED => ordering_on_unordered;
    MISSPELT_NAMESPACE => misspelt_namespace;
    NONSTANDARD_ATTRIBUTE => nonstandard_attribute;
    MISSPELT_ATTRIBUTE => misspelt_attribute;
    DEPRECATED_ATTRIBUTE => deprecated_attribute;
    STATUS_CODE_OUT_OF_RANGE => status_code_out_of_range;
    IMPLAUSIBLE_DURATION => implausible_duration;
    COSTLY_BASE_RATE => costly_base_rate;
    UNITLESS_DURATION => unitless_duration;
    LOST_REGEX_ESCAPE => lost_regex_escape;
    UNSATISFIABLE_CONDITION => unsatisfiable_condition;
    ALWAYS_TRUE_CONDITION => always_true_condition;
    SUBSUMED_CONDITION => subsumed_condition;
    DROP_BEFORE_KEEP => drop_before_keep;
    DISABLED_CONDITION => disabled_condition;
    IMPLICIT_EXISTS => implicit_exists;
    CLARVYNN_UNSUPPORTED => clarvynn_unsupported, clarvynn;
    CLARVYNN_MISSING_AS_ZERO => clarvynn_missing_as_zero, clarvynn;
    CLARVYNN_TYPE_SEMANTICS => clarvynn_type_semantics, clarvynn;
    CLARVYNN_FIELD_SOURCE => clarvynn_field_source, clarvynn;
    CLARVYNN_IGNORED_KEY => clarvynn_ignored_key, clarvynn;
    CLARVYNN_REQUIRED_KEY => clarvynn_required_key, clarvynn;
    CLARVYNN_SERVICE_STRING => clarvynn_service_string, clarvynn;
}

/// Runs every rule that applies to `options`.
pub(crate) fn run(policy: &Policy, options: &CheckOptions) -> Vec<Diagnostic> {
    let context = Context::new(policy);
    let mut out = Vec::new();
    for rule in RULES {
        if !rule.clarvynn || options.target == Target::Clarvynn {
            (rule.run)(&context, &mut out);
        }
    }
    // One finding per code and place, in file order.
    let mut seen = HashSet::new();
    out.retain(|d| seen.insert((d.code.code, d.span.clone(), d.message.clone())));
    out.sort_by(|a, b| {
        (a.span.start, a.span.end, a.code.code).cmp(&(b.span.start, b.span.end, b.code.code))
    });
    out
}

/// The `//!` comment of a rule module: what `cpl explain` prints.
pub(crate) fn docs(code: &Code) -> Option<String> {
    let rule = RULES
        .iter()
        .find(|rule| std::ptr::eq(rule.code, code) || rule.code.code == code.code)?;
    let text: Vec<&str> = rule
        .source
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| {
            line.trim_start_matches("//!")
                .strip_prefix(' ')
                .unwrap_or_else(|| line.trim_start_matches("//!"))
        })
        .collect();
    Some(text.join("\n").trim().to_owned())
}

/// A condition of the policy with where it applies.
pub(crate) struct Entry<'p> {
    pub(crate) condition: &'p Condition,
    pub(crate) formula: Formula,
}

/// What rules see.
pub(crate) struct Context<'p> {
    pub(crate) policy: &'p Policy,
    /// Every condition: the policy's, then each tenant override's, in file order.
    pub(crate) entries: Vec<Entry<'p>>,
    /// The engine the logic rules use (status codes are integers).
    pub(crate) engine: Engine,
}

impl<'p> Context<'p> {
    fn new(policy: &'p Policy) -> Self {
        let mut entries: Vec<Entry<'p>> = policy
            .sampling
            .conditions
            .iter()
            .map(|condition| Entry {
                condition,
                formula: Formula::from_expr(&condition.when.expr),
            })
            .collect();
        for tenant in policy.tenants.iter().flat_map(|t| &t.overrides) {
            entries.extend(tenant.conditions.iter().map(|condition| Entry {
                condition,
                formula: Formula::from_expr(&condition.when.expr),
            }));
        }
        Self {
            policy,
            entries,
            engine: Engine::default().with_integer_status_codes(true),
        }
    }

    /// The entry of a condition.
    pub(crate) fn entry(&self, condition: &Condition) -> Option<&Entry<'p>> {
        self.entries
            .iter()
            .find(|e| std::ptr::eq(e.condition, condition))
    }

    /// The enabled conditions of a decision list, with their formulas, in order: what
    /// the order-sensitive rules (subsumed, drop-before-keep) walk.
    pub(crate) fn enabled_formulas<'c>(
        &'c self,
        list: &[&'p Condition],
    ) -> Vec<(&'p Condition, &'c Formula)> {
        list.iter()
            .filter(|c| c.is_enabled())
            .filter_map(|c| self.entry(c).map(|e| (*c, &e.formula)))
            .collect()
    }

    /// The decision lists: the policy's own (tenant `None`), then each tenant's merged
    /// list, in decision order.
    pub(crate) fn decision_lists(&self) -> Vec<(Option<&'p str>, Vec<&'p Condition>)> {
        let mut lists = vec![(None, self.policy.conditions_for(None))];
        for tenant in self.policy.tenants.iter().flat_map(|t| &t.overrides) {
            if !tenant.conditions.is_empty() {
                let name = tenant.tenant.value.as_str();
                lists.push((Some(name), self.policy.conditions_for(Some(name))));
            }
        }
        lists
    }
}

/// What a predicate tests.
#[derive(Clone, Copy)]
pub(crate) enum Test<'e> {
    Compare(CompareOp, &'e Literal),
    String(StringOp, bool, &'e Literal),
    In(bool, &'e [Literal]),
    Exists,
}

/// A predicate of a condition, with its context in the expression.
pub(crate) struct Predicate<'e> {
    pub(crate) node: &'e Expr,
    pub(crate) field: &'e Field,
    pub(crate) test: Test<'e>,
    /// Under an even number of `NOT`s.
    pub(crate) positive: bool,
    /// The other operands of the `AND` chains it is directly part of (positive only).
    pub(crate) conjuncts: Vec<&'e Expr>,
}

impl Predicate<'_> {
    /// The literals the predicate compares with.
    pub(crate) fn literals(&self) -> Vec<&Literal> {
        match self.test {
            Test::Compare(_, literal) | Test::String(_, _, literal) => vec![literal],
            Test::In(_, literals) => literals.iter().collect(),
            Test::Exists => Vec::new(),
        }
    }
}

/// Every predicate of `expr`, in source order.
pub(crate) fn predicates(expr: &Expr) -> Vec<Predicate<'_>> {
    let mut out = Vec::new();
    walk(expr, true, &[], &mut out);
    out
}

fn walk<'e>(expr: &'e Expr, positive: bool, conjuncts: &[&'e Expr], out: &mut Vec<Predicate<'e>>) {
    let (field, test) = match &expr.kind {
        ExprKind::And(items) if positive => {
            for item in items {
                let mut siblings: Vec<&Expr> = conjuncts.to_vec();
                siblings.extend(items.iter().filter(|other| !std::ptr::eq(*other, item)));
                walk(item, positive, &siblings, out);
            }
            return;
        }
        ExprKind::And(items) | ExprKind::Or(items) => {
            for item in items {
                walk(item, positive, &[], out);
            }
            return;
        }
        ExprKind::Not(inner) => {
            walk(inner, !positive, &[], out);
            return;
        }
        // The predicates inside `any(…)` are predicates of a span too.
        ExprKind::Any(inner) => {
            walk(inner, positive, &[], out);
            return;
        }
        ExprKind::Compare { field, op, value } => (field, Test::Compare(*op, value)),
        ExprKind::StringTest {
            field,
            op,
            negated,
            value,
        } => (field, Test::String(*op, *negated, value)),
        ExprKind::In {
            field,
            negated,
            values,
        } => (field, Test::In(*negated, values)),
        ExprKind::Exists(field) => (field, Test::Exists),
        _ => return,
    };
    out.push(Predicate {
        node: expr,
        field,
        test,
        positive,
        conjuncts: conjuncts.to_vec(),
    });
}

/// The type of a field's values, as the literal table of spec/types.md uses it, with
/// the semantic conventions' type for a registered attribute.
pub(crate) fn field_type(field: &FieldKind) -> FieldType {
    cpl_syntax::fields::field_type(field)
}

/// An attribute key written in the policy: a field of a `when:`, or the tenant attribute.
pub(crate) struct KeyUse<'p> {
    pub(crate) field: &'p FieldKind,
    /// The key.
    pub(crate) key: &'p str,
    /// The field as written (empty for the tenant attribute).
    pub(crate) written: &'p str,
    /// Written `attributes["…"]` or `resource["…"]`.
    pub(crate) quoted: bool,
    /// The file range of the key: the quoted key inside `attributes["…"]`, else the field.
    pub(crate) span: Range<usize>,
}

impl KeyUse<'_> {
    /// The field with `key` instead, in the form it was written.
    pub(crate) fn with_key(&self, key: &str) -> String {
        let field = match self.field {
            FieldKind::ResourceAttribute(_) => FieldKind::ResourceAttribute(key.to_owned()),
            _ => FieldKind::SpanAttribute(key.to_owned()),
        };
        match (self.quoted, &field) {
            (true, FieldKind::ResourceAttribute(_)) => {
                format!("resource[{}]", Value::String(key.to_owned()))
            }
            (true, _) => format!("attributes[{}]", Value::String(key.to_owned())),
            (false, _) => field.to_string(),
        }
    }
}

/// Every attribute key of the policy: in the conditions, in file order, then the
/// tenant attribute.
pub(crate) fn key_uses<'p>(context: &Context<'p>) -> Vec<KeyUse<'p>> {
    let mut out = Vec::new();
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let field = &predicate.field;
            let (FieldKind::SpanAttribute(key) | FieldKind::ResourceAttribute(key)) = &field.kind
            else {
                continue;
            };
            let text = written(when, field.span);
            let (quoted, span) = match quoted_key(text) {
                Some(inner) => (
                    true,
                    Span::new(
                        field.span.start as usize + inner.start,
                        field.span.start as usize + inner.end,
                    ),
                ),
                None => (false, field.span),
            };
            out.push(KeyUse {
                field: &field.kind,
                key,
                written: text,
                quoted,
                span: at(when, span),
            });
        }
    }
    if let Some(tenants) = &context.policy.tenants {
        if let FieldKind::SpanAttribute(key) | FieldKind::ResourceAttribute(key) =
            &tenants.attribute.value
        {
            out.push(KeyUse {
                field: &tenants.attribute.value,
                key,
                written: "",
                quoted: false,
                span: tenants.attribute.span.clone(),
            });
        }
    }
    out
}

/// In `attributes["k"]` or `resource["k"]` as written, the range of the quoted key.
fn quoted_key(written: &str) -> Option<Range<usize>> {
    let lower = written.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("attributes")
        .or_else(|| lower.strip_prefix("resource"))?;
    if !rest.trim_start().starts_with('[') {
        return None;
    }
    let open = written.find('[')? + 1;
    let close = written.rfind(']')?;
    let inner = written.get(open..close)?;
    let start = open + (inner.len() - inner.trim_start().len());
    let end = open + inner.trim_end().len();
    (start < end).then_some(start..end)
}

/// The kind of a literal, for messages.
pub(crate) fn literal_kind(value: &Value) -> &'static str {
    match value {
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Duration(..) => "a duration",
        Value::String(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::Name(_) => "a constant",
        _ => "a value",
    }
}

/// Whether a field of type `field` can ever hold a value that compares with `value`
/// (the ✓ cells of spec/types.md).
pub(crate) fn compatible(field: FieldType, value: &Value) -> bool {
    matches!(
        (field, value),
        (
            FieldType::Int | FieldType::Float,
            Value::Int(_) | Value::Float(_)
        ) | (
            FieldType::Duration,
            Value::Int(_) | Value::Float(_) | Value::Duration(..)
        ) | (FieldType::String, Value::String(_))
            | (FieldType::Bool, Value::Bool(_))
            | (FieldType::SpanKind | FieldType::SpanStatus, Value::Name(_))
            | (
                FieldType::Any,
                Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Bool(_)
            )
    )
}

/// The byte range of an expression span in the file.
pub(crate) fn at(when: &When, span: Span) -> Range<usize> {
    when.file_span(span)
}

/// The file range of a predicate's operator (`!=`, `not contains`, `in`), found in the
/// text between the field and the literal; the whole predicate when not found.
pub(crate) fn operator_span(when: &When, predicate: &Predicate<'_>) -> Range<usize> {
    let field = predicate.field.span;
    let value_start = predicate
        .literals()
        .first()
        .map(|literal| literal.span.start);
    let (start, end) = match value_start {
        Some(value) if value < field.start => {
            // Mirrored `500 <= x`: the operator is between the literal and the field.
            let literal_end = predicate.literals().first().map_or(value, |l| l.span.end);
            (literal_end, field.start)
        }
        Some(value) => (field.end, value),
        None => (field.end, predicate.node.span.end),
    };
    let text = when.source.get(start as usize..end as usize).unwrap_or("");
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let trimmed = trimmed.strip_suffix('[').map_or(trimmed, str::trim_end);
    if trimmed.is_empty() || trimmed.contains('(') {
        return at(when, predicate.node.span);
    }
    let from = start as usize + trimmed_start;
    at(when, Span::new(from, from + trimmed.len()))
}

/// The text of an expression node as written.
pub(crate) fn written(when: &When, span: Span) -> &str {
    when.source.get(span.range()).unwrap_or("")
}

/// `expr` printed canonically, shortened to `limit` characters.
pub(crate) fn shown(expr: &Expr, limit: usize) -> String {
    let text = expr.to_string();
    if text.chars().count() <= limit {
        text
    } else {
        let cut: String = text.chars().take(limit).collect();
        format!("{cut}…")
    }
}

/// The name of a built-in field as the catalog writes it.
pub(crate) fn is_builtin(field: &FieldKind, builtin: BuiltinField) -> bool {
    matches!(field, FieldKind::Builtin(b) if *b == builtin)
}

/// Whether the field is `duration` or `duration_ms`.
pub(crate) fn is_duration(field: &FieldKind) -> bool {
    is_builtin(field, BuiltinField::Duration) || is_builtin(field, BuiltinField::DurationMs)
}

/// `0.8` as `80%`.
pub(crate) fn percent(rate: f64) -> String {
    let value = rate * 100.0;
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The variables a formula's truth depends on, with derived fields and their source
/// attributes in one family (`path` and `http.route`, `error` and `status`): two
/// conditions with no family in common constrain independent parts of a span.
pub(crate) fn families(formula: &Formula) -> HashSet<String> {
    formula
        .fields()
        .iter()
        .map(|field| match field {
            FieldKind::Builtin(BuiltinField::Error | BuiltinField::Status) => "status".to_owned(),
            FieldKind::Builtin(BuiltinField::DurationMs) => "duration".to_owned(),
            FieldKind::Builtin(builtin) => builtin.name().to_owned(),
            FieldKind::SpanAttribute(key) => [
                BuiltinField::StatusCode,
                BuiltinField::Method,
                BuiltinField::Path,
                BuiltinField::UserId,
            ]
            .into_iter()
            .find(|b| b.attribute_sources().contains(&key.as_str()))
            .map_or_else(|| format!("span:{key}"), |b| b.name().to_owned()),
            FieldKind::ResourceAttribute(key) if key == "service.name" => "service".to_owned(),
            FieldKind::ResourceAttribute(key) => format!("resource:{key}"),
            FieldKind::TraceState(key) => format!("trace_state:{key}"),
        })
        .collect()
}

/// The fields clarvynn 0.3.1 knows (its names, case-insensitive).
pub(crate) fn clarvynn_field(field: &FieldKind) -> bool {
    matches!(
        field,
        FieldKind::Builtin(
            BuiltinField::StatusCode
                | BuiltinField::Duration
                | BuiltinField::DurationMs
                | BuiltinField::Method
                | BuiltinField::Path
                | BuiltinField::UserId
        )
    )
}

/// CPL text as it is written inside a YAML scalar of `style`.
pub(crate) fn yaml_text(style: cpl_syntax::yaml::ScalarStyle, cpl: &str) -> String {
    match style {
        cpl_syntax::yaml::ScalarStyle::SingleQuoted => cpl.replace('\'', "''"),
        cpl_syntax::yaml::ScalarStyle::DoubleQuoted => {
            let mut out = String::with_capacity(cpl.len() + 8);
            for c in cpl.chars() {
                if matches!(c, '\\' | '"') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
        _ => cpl.to_owned(),
    }
}
