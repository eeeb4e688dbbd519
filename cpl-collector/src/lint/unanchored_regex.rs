//! ## L401 unanchored-regex (warning)
//!
//! **What it finds.** A `string_attribute` pattern (with `enabled_regex_matching: true`) that reads as an
//! exact value but is searched anywhere in the attribute:
//!
//! - a pattern with no regex metacharacter (none of `\ . + * ? ( ) | [ ] { } ^ $`);
//! - a pattern whose top-level alternatives are anchored unevenly: some alternative
//!   starts with `^` and another does not, or some ends with `$` and another does not.
//!
//! **Why it matters.** The collector tests each pattern with Go's `regexp.MatchString`, an unanchored
//! search (probe (d) of the conformance suite). `values: [checkout]` also keeps
//! `checkout-canary` and `legacy-checkout`; `^checkout|cart$` is `(^checkout)|(cart$)`,
//! so it keeps `checkout-canary` too.
//!
//! **Example.**
//!
//! ```yaml
//! policies:
//!   - name: checkout
//!     type: string_attribute
//!     string_attribute: {key: service.name, values: [checkout], enabled_regex_matching: true}
//! ```
//!
//! Anchor the pattern, `'^checkout$'` (for alternatives, `'^(?:checkout|cart)$'`), or
//! drop `enabled_regex_matching` to compare values exactly.

use cpl_syntax::yaml::NodeValue;
use cpl_syntax::{codes, Diagnostic};

use super::Context;
use crate::policy::PolicyKind;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for policy in context.all_policies() {
        let PolicyKind::StringAttribute {
            values,
            regexes: Some(_),
            ..
        } = &policy.kind
        else {
            continue;
        };
        let text = context.text_of(policy);
        for value in values {
            let Some(problem) = problem(value) else {
                continue;
            };
            let span = text
                .as_ref()
                .and_then(|text| {
                    let (node, _) = text.setting(&["string_attribute", "values"])?;
                    let NodeValue::Sequence(items) = &node.value else {
                        return None;
                    };
                    items
                        .iter()
                        .find(
                            |item| matches!(&item.value, NodeValue::Scalar(s) if s.text == *value),
                        )
                        .map(|item| text.file_span(&item.span))
                })
                .unwrap_or_else(|| policy.span.clone());
            let (message, help) = match problem {
                Problem::Literal => (
                    format!(
                        "the pattern `{value}` of policy `{}` matches any value containing `{value}`",
                        policy.name
                    ),
                    format!(
                        "anchor it, `'^{value}$'`, or turn off `enabled_regex_matching` to compare values exactly"
                    ),
                ),
                Problem::UnevenAlternation => (
                    format!(
                        "the anchors of `{value}` in policy `{}` bind to single alternatives, not to the whole pattern",
                        policy.name
                    ),
                    format!("group the alternatives, `'^(?:{})$'`", strip_anchors(value)),
                ),
            };
            out.push(
                Diagnostic::new(
                    &codes::UNANCHORED_REGEX,
                    message,
                    span,
                    "searched, not matched",
                )
                .with_help(help),
            );
        }
    }
}

#[derive(Debug, PartialEq)]
enum Problem {
    Literal,
    UnevenAlternation,
}

const META: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

fn problem(pattern: &str) -> Option<Problem> {
    if pattern.is_empty() {
        return None;
    }
    if !pattern.contains(META) {
        return Some(Problem::Literal);
    }
    let branches = top_level_branches(pattern);
    if branches.len() < 2 {
        return None;
    }
    let starts = branches.iter().filter(|b| b.starts_with('^')).count();
    let ends = branches.iter().filter(|b| ends_with_anchor(b)).count();
    let uneven = |n: usize| n > 0 && n < branches.len();
    (uneven(starts) || uneven(ends)).then_some(Problem::UnevenAlternation)
}

/// Whether `branch` ends with an unescaped `$`.
fn ends_with_anchor(branch: &str) -> bool {
    let Some(body) = branch.strip_suffix('$') else {
        return false;
    };
    let backslashes = body.chars().rev().take_while(|&c| c == '\\').count();
    backslashes % 2 == 0
}

/// The alternatives of `pattern` split at each `|` outside groups and classes.
fn top_level_branches(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_class, mut escaped, mut start) = (0usize, false, false, 0);
    for (i, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                out.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&pattern[start..]);
    out
}

/// The alternatives of `pattern` without their own `^` and `$`, joined again.
fn strip_anchors(pattern: &str) -> String {
    top_level_branches(pattern)
        .iter()
        .map(|b| {
            let b = b.strip_prefix('^').unwrap_or(b);
            if ends_with_anchor(b) {
                &b[..b.len() - 1]
            } else {
                b
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(problem("checkout"), Some(Problem::Literal));
        assert_eq!(problem("/api/v1-cart"), Some(Problem::Literal));
        assert_eq!(problem("^checkout$"), None);
        assert_eq!(problem("checkout.*"), None);
        assert_eq!(problem("^a|b$"), Some(Problem::UnevenAlternation));
        assert_eq!(problem("^a|^b"), None);
        assert_eq!(problem("^a$|^b$"), None);
        assert_eq!(problem("^(a|b)$"), None);
        assert_eq!(problem("a|b"), None);
        assert_eq!(problem("^a|b\\$"), Some(Problem::UnevenAlternation));
        assert_eq!(problem("[|^]x|y"), None);
        assert_eq!(strip_anchors("^a|b|c$"), "a|b|c");
    }
}
