//! Printing a [`Policy`] as canonical CPL YAML (spec/policy.md, "Canonical form").
//!
//! `cpl import` writes the policies it builds, and tools that rewrite a policy need
//! text that [`load_policy`](crate::load_policy) reads back as the same policy. The
//! printer writes one fixed layout: keys in the order of the spec's tables, each `when:`
//! as the canonical text of its expression, defaults only where the policy states them.
//! Comments, key order, scalar styles and the layout of expressions are not kept.
//!
//! The YAML itself is written by saphyr's emitter (the `saphyr` crate, from the same
//! project as the saphyr-parser our loader reads with): indentation, mapping and list
//! layout, and whether a string must be quoted and how to escape it in double quotes
//! are its rules, not ours. One choice is ours: a string that must be quoted but holds
//! only printable characters on one line is written in single quotes, so a `when:`
//! with CPL's double-quoted strings reads `'path contains "/api"'` rather than with
//! every quote escaped.

use std::borrow::Cow;

use saphyr::{Mapping, Scalar as YamlScalar, ScalarStyle as SaphyrStyle, Yaml, YamlEmitter};

use crate::ast::FieldKind;
use crate::policy::{Condition, Policy, Service, ServiceForm, Spanned, TenantOverride, When};
use crate::yaml::{ScalarStyle, SourceMap};

/// The policy as canonical CPL YAML: `load_policy` reads it back as a policy equal to
/// `policy` up to positions ([`Policy::without_positions`]), and printing that again
/// gives the same text.
///
/// ```
/// use cpl_syntax::{load_policy, print_policy};
///
/// let written = "sampling: {conditions: [{when: \"500 <= status_code\", name: errors}], base_rate: 1e-2}";
/// let policy = load_policy(written).policy.unwrap();
/// assert_eq!(
///     print_policy(&policy),
///     "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: errors\n      when: status_code >= 500\n"
/// );
/// ```
pub fn print_policy(policy: &Policy) -> String {
    let mut top = Mapping::new();
    if let Some(version) = &policy.version {
        // The loader accepts only schema version 1 and normalises it to "1".
        let number = version.value.parse().unwrap_or(1);
        top.insert(key("version"), Yaml::Value(YamlScalar::Integer(number)));
    }
    if let Some(service) = &policy.service {
        top.insert(key("service"), service_node(service));
    }
    let mut sampling = Mapping::new();
    sampling.insert(key("base_rate"), rate(policy.sampling.base_rate.value));
    if !policy.sampling.conditions.is_empty() {
        sampling.insert(key("conditions"), conditions(&policy.sampling.conditions));
    }
    top.insert(key("sampling"), Yaml::Mapping(sampling));
    if let Some(tenants) = &policy.tenants {
        let mut node = Mapping::new();
        let attribute = match &tenants.attribute.value {
            FieldKind::ResourceAttribute(key) => format!("resource.{key}"),
            FieldKind::SpanAttribute(key) => key.clone(),
            FieldKind::Builtin(field) => field.name().to_owned(),
            // The loader refuses a trace-state entry as the tenant attribute; printed
            // as written all the same, so that the refusal is reported on reload.
            FieldKind::TraceState(key) => format!("trace_state[{key:?}]"),
        };
        node.insert(key("attribute"), string(&attribute));
        if !tenants.overrides.is_empty() {
            let overrides = tenants
                .overrides
                .iter()
                .map(|o| (string(&o.tenant.value), tenant_override(o)))
                .collect();
            node.insert(key("overrides"), Yaml::Mapping(overrides));
        }
        top.insert(key("tenants"), Yaml::Mapping(node));
    }
    emit(&Yaml::Mapping(top))
}

/// Writes a document without saphyr's `---` start marker, ending with a line break.
fn emit(document: &Yaml) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = YamlEmitter::new(&mut out).dump(document);
    let mut text = out.strip_prefix("---\n").map(str::to_owned).unwrap_or(out);
    text.push('\n');
    text
}

fn key(name: &'static str) -> Yaml<'static> {
    Yaml::Value(YamlScalar::String(Cow::Borrowed(name)))
}

/// A rate as the shortest decimal that reads back as the same `f64` (`0.01`, `1e-7`,
/// `1.0`), which the YAML core schema reads as a float.
fn rate(value: f64) -> Yaml<'static> {
    Yaml::Representation(Cow::Owned(format!("{value:?}")), SaphyrStyle::Plain, None)
}

/// A string scalar, in the style [`string_style`] picks.
fn string(text: &str) -> Yaml<'static> {
    match string_style(text) {
        ScalarStyle::SingleQuoted => Yaml::Representation(
            Cow::Owned(text.replace('\'', "''")),
            SaphyrStyle::SingleQuoted,
            None,
        ),
        // saphyr writes it plain when it may, in double quotes with escapes otherwise.
        _ => Yaml::Value(YamlScalar::String(Cow::Owned(text.to_owned()))),
    }
}

/// How the printer writes the string `text`: plain when saphyr's emitter would, else in
/// single quotes when every character may stand in them on one line, else in double
/// quotes.
pub(crate) fn string_style(text: &str) -> ScalarStyle {
    let mut out = String::new();
    let _ = YamlEmitter::new(&mut out).dump(&Yaml::Value(YamlScalar::String(Cow::Borrowed(text))));
    if !out.starts_with("---\n\"") {
        ScalarStyle::Plain
    } else if text.chars().all(single_quotable) {
        ScalarStyle::SingleQuoted
    } else {
        ScalarStyle::DoubleQuoted
    }
}

/// The style of the `when:` scalar for an expression text the printer writes.
pub(crate) fn when_style(text: &str) -> ScalarStyle {
    string_style(text)
}

/// Characters a single-quoted scalar holds as themselves on one line: printable ones
/// (YAML 1.2 `nb-char`, less the line breaks of YAML 1.1 that other readers still fold).
fn single_quotable(c: char) -> bool {
    !matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

fn service_node(service: &Service) -> Yaml<'static> {
    let extras = [
        ("namespace", &service.namespace),
        ("version", &service.version),
        ("environment", &service.environment),
    ];
    if service.form == ServiceForm::String && extras.iter().all(|(_, v)| v.is_none()) {
        return string(&service.name.value);
    }
    let mut node = Mapping::new();
    node.insert(key("name"), string(&service.name.value));
    for (name, value) in extras {
        if let Some(value) = value {
            node.insert(key(name), string(&value.value));
        }
    }
    Yaml::Mapping(node)
}

fn conditions(conditions: &[Condition]) -> Yaml<'static> {
    Yaml::Sequence(conditions.iter().map(condition).collect())
}

fn condition(condition: &Condition) -> Yaml<'static> {
    let mut node = Mapping::new();
    node.insert(key("name"), string(&condition.name.value));
    // `{:#}`: the canonical text, with every undotted span attribute key quoted.
    node.insert(key("when"), string(&format!("{:#}", condition.when.expr)));
    if let Some(enabled) = &condition.enabled {
        node.insert(
            key("enabled"),
            Yaml::Value(YamlScalar::Boolean(enabled.value)),
        );
    }
    if let Some(keep) = &condition.rate {
        node.insert(key("rate"), rate(keep.value));
    }
    if let Some(action) = &condition.action {
        node.insert(key("action"), string(&action.value.to_string()));
    }
    if !condition.suppress.is_empty() {
        let mut suppress = Mapping::new();
        for suppression in &condition.suppress {
            // The first reason for a code is the one that applies; a second cannot be
            // written under the same key.
            let code = key(suppression.code.code);
            if !suppress.contains_key(&code) {
                suppress.insert(code, string(&suppression.reason.value));
            }
        }
        node.insert(key("suppress"), Yaml::Mapping(suppress));
    }
    Yaml::Mapping(node)
}

fn tenant_override(overrides: &TenantOverride) -> Yaml<'static> {
    let mut node = Mapping::new();
    if let Some(base_rate) = &overrides.base_rate {
        node.insert(key("base_rate"), rate(base_rate.value));
    }
    if !overrides.conditions.is_empty() {
        node.insert(key("conditions"), conditions(&overrides.conditions));
    }
    Yaml::Mapping(node)
}

fn unplaced<T: Clone>(value: &Spanned<T>) -> Spanned<T> {
    Spanned::new(value.value.clone(), 0..0)
}

fn unplaced_condition(condition: &Condition) -> Condition {
    let text = condition.when.expr.to_string();
    let style = when_style(&text);
    Condition {
        name: unplaced(&condition.name),
        when: When::new(
            text,
            condition.when.expr.without_spans(),
            0..0,
            style,
            SourceMap::default(),
        ),
        enabled: condition.enabled.as_ref().map(unplaced),
        rate: condition.rate.as_ref().map(unplaced),
        action: condition.action.as_ref().map(unplaced),
        suppress: condition
            .suppress
            .iter()
            .map(|s| crate::Suppression {
                code: s.code,
                span: 0..0,
                reason: unplaced(&s.reason),
            })
            .collect(),
        span: 0..0,
    }
}

impl Policy {
    /// The same policy with every position cleared and each `when` reduced to its
    /// meaning (its expression without spans, written as its canonical text): two
    /// policies are the same policy when these are equal. Round-trip tests compare them.
    #[must_use]
    pub fn without_positions(&self) -> Policy {
        Policy {
            version: self.version.as_ref().map(unplaced),
            service: self.service.as_ref().map(|service| Service {
                name: unplaced(&service.name),
                namespace: service.namespace.as_ref().map(unplaced),
                version: service.version.as_ref().map(unplaced),
                environment: service.environment.as_ref().map(unplaced),
                form: service.form,
                span: 0..0,
            }),
            sampling: crate::Sampling {
                base_rate: unplaced(&self.sampling.base_rate),
                conditions: self
                    .sampling
                    .conditions
                    .iter()
                    .map(unplaced_condition)
                    .collect(),
                span: 0..0,
            },
            tenants: self.tenants.as_ref().map(|tenants| crate::Tenants {
                attribute: unplaced(&tenants.attribute),
                overrides: tenants
                    .overrides
                    .iter()
                    .map(|o| TenantOverride {
                        tenant: unplaced(&o.tenant),
                        base_rate: o.base_rate.as_ref().map(unplaced),
                        conditions: o.conditions.iter().map(unplaced_condition).collect(),
                    })
                    .collect(),
            }),
        }
    }
}
