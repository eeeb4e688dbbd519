// CPL's attribute-name rules (L311, L313, L314) on the imported policy
// (spec/targets/otel-collector.md §7.1): each imported condition is checked on its own,
// so that every finding belongs to one policy, and is positioned at that policy's
// `key` (or its entry).

use cpl_check::{check_policy, CheckOptions};
use cpl_syntax::{codes, Code, Diagnostic, Policy};

use super::Context;
use crate::policy::{Policy as TsPolicy, PolicyKind};

/// The CPL rules that apply to imported conditions. L312 does not: the collector reads
/// a key from span and resource attributes alike, so the import tests both, and one of
/// them is always "the other kind".
const APPLICABLE: [&Code; 3] = [
    &codes::MISSPELT_NAMESPACE,
    &codes::MISSPELT_ATTRIBUTE,
    &codes::DEPRECATED_ATTRIBUTE,
];

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(imported) = &context.imported.policy else {
        return;
    };
    for policy in &context.processor.policies {
        let Some(condition) = imported
            .sampling
            .conditions
            .iter()
            .find(|c| c.name.value == policy.name)
        else {
            continue;
        };
        let Ok(alone) = Policy::new(0.0).and_then(|p| p.with_condition(condition.clone())) else {
            continue;
        };
        let mut seen: Vec<&str> = Vec::new();
        for diagnostic in check_policy(&alone, &CheckOptions::default()) {
            if !APPLICABLE.iter().any(|c| c.code == diagnostic.code.code)
                || seen.contains(&diagnostic.code.code)
            {
                continue;
            }
            seen.push(diagnostic.code.code);
            let span = key_setting(policy).map_or_else(
                || policy.span.clone(),
                |path| context.setting_span(policy, &path),
            );
            out.push(Diagnostic {
                message: format!("policy `{}`: {}", policy.name, diagnostic.message),
                span,
                label: "in the imported condition".to_owned(),
                secondary: Vec::new(),
                ..diagnostic
            });
        }
    }
}

/// The path of the `key` setting of a policy that has one.
fn key_setting(policy: &TsPolicy) -> Option<[&'static str; 2]> {
    let block = match &policy.kind {
        PolicyKind::NumericAttribute { .. } => "numeric_attribute",
        PolicyKind::StringAttribute { .. } => "string_attribute",
        PolicyKind::BooleanAttribute { .. } => "boolean_attribute",
        PolicyKind::TraceState { .. } => "trace_state",
        _ => return None,
    };
    Some([block, "key"])
}
