//! `cpl diff A B`: what differs between two policies by meaning (spec/diff.md).
//!
//! Rules are matched by name; each pair is compared aspect by aspect, conditions
//! through their normal form first and the logic engine second, so that a changed
//! threshold comes with the side that matches more and a span that proves it.

use std::ops::Range;

use cpl_syntax::{Action, Condition, Policy};
use serde::Serialize;

use crate::logic::{Engine, Formula, Verdict, Witness};
use crate::normalize::normal_text;

/// The differences between two policies.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyDiff {
    /// `base_rate` when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<RateChange>,
    /// Rule changes of the policy's own conditions, in B's order (removed ones last).
    pub rules: Vec<RuleDiff>,
    /// Changes of the tenant attribute and of tenant overrides.
    pub tenants: Vec<TenantDiff>,
}

impl PolicyDiff {
    /// Whether the two policies decide every trace the same way (as far as the engine
    /// can tell: an Unknown comparison counts as a difference).
    pub fn is_equivalent(&self) -> bool {
        self.base_rate.is_none() && self.rules.is_empty() && self.tenants.is_empty()
    }
}

/// A rate before and after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateChange {
    /// In A.
    pub before: f64,
    /// In B.
    pub after: f64,
}

impl RateChange {
    /// B / A (infinite when A is 0).
    pub fn ratio(&self) -> f64 {
        if self.before == 0.0 {
            f64::INFINITY
        } else {
            self.after / self.before
        }
    }
}

/// What happened to one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDiff {
    /// The condition's name.
    pub name: String,
    /// Added, removed or changed.
    pub change: RuleChange,
    /// Where the rule is in B (or in A when removed): for locating findings.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Whether `span` points into A (a removed rule) rather than B.
    #[serde(skip)]
    pub in_a: bool,
}

/// The kinds of rule change.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleChange {
    /// Only in B.
    Added {
        /// Its condition, in canonical form.
        when: String,
        /// Its action.
        action: String,
    },
    /// Only in A.
    Removed {
        /// Its condition, in canonical form.
        when: String,
        /// Its action.
        action: String,
    },
    /// In both, different.
    Changed {
        /// Every aspect that differs.
        aspects: Vec<Aspect>,
    },
}

/// One differing aspect of a rule present in both policies.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "aspect", rename_all = "snake_case")]
pub enum Aspect {
    /// The condition matches other spans.
    Condition {
        /// A's condition (canonical).
        before: String,
        /// B's condition (canonical).
        after: String,
        /// How B's condition compares with A's.
        comparison: Comparison,
    },
    /// `action` changed.
    Action {
        /// In A.
        before: String,
        /// In B.
        after: String,
    },
    /// `rate` changed.
    Rate(RateChange),
    /// `enabled` changed.
    Enabled {
        /// In A.
        before: bool,
        /// In B.
        after: bool,
    },
    /// The rule now decides after (or before) another rule it overlaps and that does
    /// something else: which one decides a span that matches both has changed.
    Position {
        /// The other rule.
        other: String,
        /// A span that both match.
        witness: String,
    },
}

/// How B's condition compares with A's (spec/diff.md, "Comparing conditions").
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Comparison {
    /// B matches every span A matches, and more.
    MatchesMore {
        /// A span B matches and A does not.
        witness: String,
    },
    /// B matches only spans A matches, and fewer.
    MatchesFewer {
        /// A span A matches and B does not.
        witness: String,
    },
    /// Each matches spans the other does not.
    Incomparable {
        /// A span only B matches.
        only_after: String,
        /// A span only A matches.
        only_before: String,
    },
    /// The engine cannot decide.
    Unknown,
}

/// What happened to the tenant configuration.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TenantDiff {
    /// The tenant attribute changed (or tenants were added or removed as a whole).
    Attribute {
        /// In A.
        before: Option<String>,
        /// In B.
        after: Option<String>,
    },
    /// An override only in B.
    Added {
        /// The tenant.
        tenant: String,
    },
    /// An override only in A.
    Removed {
        /// The tenant.
        tenant: String,
    },
    /// An override in both, different.
    Changed {
        /// The tenant.
        tenant: String,
        /// Its base rate, when it changed.
        #[serde(skip_serializing_if = "Option::is_none")]
        base_rate: Option<RateChange>,
        /// Its conditions' changes.
        rules: Vec<RuleDiff>,
    },
}

/// Compares policy `a` with policy `b`.
pub fn diff_policies(a: &Policy, b: &Policy) -> PolicyDiff {
    let engine = Engine::new();
    let base_rate = rate_change(a.sampling.base_rate.value, b.sampling.base_rate.value);
    let rules = diff_rules(&engine, &a.sampling.conditions, &b.sampling.conditions);
    let tenants = diff_tenants(&engine, a, b);
    PolicyDiff {
        base_rate,
        rules,
        tenants,
    }
}

fn rate_change(before: f64, after: f64) -> Option<RateChange> {
    (before.to_bits() != after.to_bits()).then_some(RateChange { before, after })
}

fn action_text(condition: &Condition) -> String {
    condition.action().to_string()
}

fn diff_rules(engine: &Engine, a: &[Condition], b: &[Condition]) -> Vec<RuleDiff> {
    let mut out = Vec::new();
    for (index_b, after) in b.iter().enumerate() {
        let Some(before) = a.iter().find(|c| c.name.value == after.name.value) else {
            out.push(RuleDiff {
                name: after.name.value.clone(),
                change: RuleChange::Added {
                    when: normal_text(&after.when.expr),
                    action: action_text(after),
                },
                span: after.span.clone(),
                in_a: false,
            });
            continue;
        };
        let mut aspects = Vec::new();
        let (text_before, text_after) = (
            normal_text(&before.when.expr),
            normal_text(&after.when.expr),
        );
        if text_before != text_after {
            let comparison = compare(engine, &before.when.expr, &after.when.expr);
            if let Some(comparison) = comparison {
                aspects.push(Aspect::Condition {
                    before: before.when.expr.to_string(),
                    after: after.when.expr.to_string(),
                    comparison,
                });
            }
        }
        if before.action() != after.action() {
            aspects.push(Aspect::Action {
                before: action_text(before),
                after: action_text(after),
            });
        }
        if let Some(change) = rate_change(before.keep_rate(), after.keep_rate()) {
            if after.action() == Action::Keep || before.action() == Action::Keep {
                aspects.push(Aspect::Rate(change));
            }
        }
        if before.is_enabled() != after.is_enabled() {
            aspects.push(Aspect::Enabled {
                before: before.is_enabled(),
                after: after.is_enabled(),
            });
        }
        aspects.extend(position_changes(engine, a, b, index_b));
        if !aspects.is_empty() {
            out.push(RuleDiff {
                name: after.name.value.clone(),
                change: RuleChange::Changed { aspects },
                span: after.span.clone(),
                in_a: false,
            });
        }
    }
    for before in a {
        if !b.iter().any(|c| c.name.value == before.name.value) {
            out.push(RuleDiff {
                name: before.name.value.clone(),
                change: RuleChange::Removed {
                    when: normal_text(&before.when.expr),
                    action: action_text(before),
                },
                span: before.span.clone(),
                in_a: true,
            });
        }
    }
    out
}

/// `None` when the engine proves the two equivalent.
fn compare(
    engine: &Engine,
    before: &cpl_syntax::Expr,
    after: &cpl_syntax::Expr,
) -> Option<Comparison> {
    let (fa, fb) = (Formula::from_expr(before), Formula::from_expr(after));
    let a_in_b = engine.implies(&fa, &fb);
    let b_in_a = engine.implies(&fb, &fa);
    Some(match (a_in_b, b_in_a) {
        (Verdict::Yes, Verdict::Yes) => return None,
        (Verdict::Yes, Verdict::No(only_b)) => Comparison::MatchesMore {
            witness: only_b.to_string(),
        },
        (Verdict::No(only_a), Verdict::Yes) => Comparison::MatchesFewer {
            witness: only_a.to_string(),
        },
        (Verdict::No(only_a), Verdict::No(only_b)) => Comparison::Incomparable {
            only_after: only_b.to_string(),
            only_before: only_a.to_string(),
        },
        _ => Comparison::Unknown,
    })
}

/// Position changes of `b[index]` relative to rules that precede it in one policy and
/// follow it in the other, overlap it, and do something else.
fn position_changes(
    engine: &Engine,
    a: &[Condition],
    b: &[Condition],
    index: usize,
) -> Vec<Aspect> {
    let rule = &b[index];
    let Some(position_a) = a.iter().position(|c| c.name.value == rule.name.value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Each swapped pair is reported once, on the rule that moved earlier in B.
    for other in &b[index + 1..] {
        let Some(other_a) = a.iter().position(|c| c.name.value == other.name.value) else {
            continue;
        };
        if other_a > position_a {
            continue;
        }
        let same_effect = rule.action() == other.action()
            && (rule.action() == Action::Drop
                || rule.keep_rate().to_bits() == other.keep_rate().to_bits());
        if same_effect || !rule.is_enabled() || !other.is_enabled() {
            continue;
        }
        let both = Formula::and([
            Formula::from_expr(&rule.when.expr),
            Formula::from_expr(&other.when.expr),
        ]);
        if let crate::logic::Satisfiability::Yes(witness) = engine.satisfiable(&both) {
            out.push(Aspect::Position {
                other: other.name.value.clone(),
                witness: witness_text(&witness),
            });
        }
    }
    out
}

fn witness_text(witness: &Witness) -> String {
    witness.to_string()
}

fn overrides(p: &Policy) -> &[cpl_syntax::TenantOverride] {
    p.tenants.as_ref().map_or(&[], |t| t.overrides.as_slice())
}

fn diff_tenants(engine: &Engine, a: &Policy, b: &Policy) -> Vec<TenantDiff> {
    let mut out = Vec::new();
    let attribute = |p: &Policy| p.tenants.as_ref().map(|t| t.attribute.value.to_string());
    if attribute(a) != attribute(b) {
        out.push(TenantDiff::Attribute {
            before: attribute(a),
            after: attribute(b),
        });
    }
    let (before, after) = (overrides(a), overrides(b));
    // Tenant lists can be long (100 000 tenants): look them up by id, not by scanning.
    let index = |list: &[cpl_syntax::TenantOverride]| -> std::collections::HashMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(i, o)| (o.tenant.value.clone(), i))
            .collect()
    };
    let (before_index, after_index) = (index(before), index(after));
    for o in after {
        match before_index.get(&o.tenant.value).map(|&i| &before[i]) {
            None => out.push(TenantDiff::Added {
                tenant: o.tenant.value.clone(),
            }),
            Some(old) => {
                let rate = |x: &cpl_syntax::TenantOverride, p: &Policy| {
                    x.base_rate
                        .as_ref()
                        .map_or(p.sampling.base_rate.value, |r| r.value)
                };
                let base_rate = rate_change(rate(old, a), rate(o, b));
                let rules = diff_rules(engine, &old.conditions, &o.conditions);
                if base_rate.is_some() || !rules.is_empty() {
                    out.push(TenantDiff::Changed {
                        tenant: o.tenant.value.clone(),
                        base_rate,
                        rules,
                    });
                }
            }
        }
    }
    for o in before {
        if !after_index.contains_key(&o.tenant.value) {
            out.push(TenantDiff::Removed {
                tenant: o.tenant.value.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        let loaded = cpl_syntax::load_policy(text);
        loaded
            .policy
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
    }

    const BASE: &str = "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: errors\n      when: \"status_code >= 500 AND method == 'POST'\"\n    - name: slow\n      when: \"duration > 1s\"\n";

    #[test]
    fn a_reformatted_reordered_copy_is_equivalent() {
        // De Morgan, double negation, quoting, key order, `1000` ms for `1s`, `1.0e-2`.
        let copy = "sampling:\n  conditions:\n    - when: >-\n        NOT (NOT method == \"POST\" OR NOT NOT NOT status_code >= 500)\n      name: errors\n    - {name: slow, when: 'duration > 1000'}\n  base_rate: 1.0e-2\n";
        let diff = diff_policies(&policy(BASE), &policy(copy));
        assert!(diff.is_equivalent(), "{diff:#?}");
        // `NOT method != 'POST'` is not `method == 'POST'`: a span without a method.
        let different = copy.replace("NOT method == \"POST\"", "method != 'POST'");
        assert!(!diff_policies(&policy(BASE), &policy(&different)).is_equivalent());
        let reordered = "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: slow\n      when: \"duration > 1s\"\n    - name: errors\n      when: \"method == 'POST' AND 500 <= status_code\"\n";
        assert!(diff_policies(&policy(BASE), &policy(reordered)).is_equivalent());
    }

    #[test]
    fn a_changed_threshold_names_the_looser_side_with_a_witness() {
        let looser = BASE.replace("status_code >= 500", "status_code >= 400");
        let diff = diff_policies(&policy(BASE), &policy(&looser));
        let [RuleDiff {
            name,
            change: RuleChange::Changed { aspects },
            ..
        }] = diff.rules.as_slice()
        else {
            panic!("{diff:#?}");
        };
        assert_eq!(name, "errors");
        let [Aspect::Condition {
            comparison: Comparison::MatchesMore { witness },
            ..
        }] = aspects.as_slice()
        else {
            panic!("{aspects:#?}");
        };
        assert!(witness.contains("status_code: 4"), "{witness}");
        let stricter = diff_policies(&policy(&looser), &policy(BASE));
        assert!(
            matches!(&stricter.rules[0].change, RuleChange::Changed { aspects } if matches!(aspects[0], Aspect::Condition { comparison: Comparison::MatchesFewer { .. }, .. }))
        );
    }

    #[test]
    fn missing_values_keep_predicates_apart() {
        let negated = BASE.replace("status_code >= 500", "NOT status_code < 500");
        let diff = diff_policies(&policy(BASE), &policy(&negated));
        assert!(!diff.is_equivalent());
    }

    #[test]
    fn rates_tenants_and_order() {
        let changed = "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: slow\n      when: \"duration > 1s\"\n      action: drop\n    - name: errors\n      when: \"status_code >= 500 AND method == 'POST'\"\ntenants:\n  attribute: tenant.id\n  overrides:\n    acme: {base_rate: 0.5}\n";
        let diff = diff_policies(&policy(BASE), &policy(changed));
        assert_eq!(diff.base_rate.map(|r| r.ratio().round()), Some(10.0));
        let slow = diff
            .rules
            .iter()
            .find(|r| r.name == "slow")
            .expect("slow changed");
        let RuleChange::Changed { aspects } = &slow.change else {
            panic!()
        };
        assert!(aspects.iter().any(|a| matches!(a, Aspect::Action { .. })));
        assert!(
            aspects
                .iter()
                .any(|a| matches!(a, Aspect::Position { other, .. } if other == "errors")),
            "{aspects:#?}"
        );
        assert!(diff
            .tenants
            .iter()
            .any(|t| matches!(t, TenantDiff::Added { tenant } if tenant == "acme")));
    }
}
