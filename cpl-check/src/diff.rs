//! `cpl diff A B`: what differs between two policies by meaning (spec/diff.md).
//!
//! Rules are matched by name (or as a rename, when they mean the same); each pair is compared aspect by aspect, conditions
//! through their normal form first and the logic engine second, so that a changed
//! threshold comes with the side that matches more and a span that proves it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use cpl_syntax::{Action, Condition, Policy};
use serde::Serialize;

use crate::logic::{Engine, Formula, Satisfiability, Verdict};
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
    /// Whether every trace is decided alike (spec/diff.md, "Equivalence of whole
    /// policies").
    #[serde(skip)]
    equivalent: bool,
}

impl PolicyDiff {
    /// Whether the two policies decide every trace the same way, as far as the engine
    /// can tell: a question it cannot decide counts as a difference. Informational
    /// entries (renames, disabled conditions) do not make policies different.
    pub fn is_equivalent(&self) -> bool {
        self.equivalent
    }

    /// Whether nothing at all is listed.
    pub fn is_empty(&self) -> bool {
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
    /// The condition's name (in B, for a rename).
    pub name: String,
    /// Added, removed, renamed or changed.
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
        /// Its condition, as written.
        when: String,
        /// Its action.
        action: String,
        /// Its keep probability (1 unless `rate` says otherwise; 0 for a drop rule).
        rate: f64,
        /// `false` for a disabled condition: informational, it decides nothing.
        enabled: bool,
    },
    /// Only in A.
    Removed {
        /// Its condition, as written.
        when: String,
        /// Its action.
        action: String,
        /// Its keep probability.
        rate: f64,
        /// `false` for a disabled condition: informational, it decides nothing.
        enabled: bool,
    },
    /// Removed under one name and added under another with the same meaning.
    Renamed {
        /// The name in A.
        from: String,
        /// Its condition in B, as written.
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
        /// A's condition, as written.
        before: String,
        /// B's condition, as written.
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
    /// The rule now decides after (or before) another rule that does something else
    /// and can match in the same trace: which one decides such a trace has changed.
    Position {
        /// The other rule.
        other: String,
        /// A span that both match, or a trace of two spans, one matching each.
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
    let equivalent = decide_alike(&engine, a, b);
    PolicyDiff {
        base_rate,
        rules,
        tenants,
        equivalent,
    }
}

fn rate_change(before: f64, after: f64) -> Option<RateChange> {
    (before.to_bits() != after.to_bits()).then_some(RateChange { before, after })
}

fn action_text(condition: &Condition) -> String {
    condition.action().to_string()
}

/// The keep probability of what a condition matches: 0 for a drop rule.
fn effect(condition: &Condition) -> f64 {
    match condition.action() {
        Action::Drop => 0.0,
        Action::Keep => condition.keep_rate(),
    }
}

/// The `when` as written: the YAML scalar's text, the lines of a block scalar joined.
pub fn source_text(condition: &Condition) -> String {
    let source = &condition.when.source;
    if source.contains('\n') {
        source
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        source.trim().to_owned()
    }
}

/// Whether two conditions match the same spans: equal normal forms, or the engine's proof.
fn same_condition(engine: &Engine, a: &Condition, b: &Condition) -> bool {
    normal_text(&a.when.expr) == normal_text(&b.when.expr)
        || engine.equivalent(
            &Formula::from_expr(&a.when.expr),
            &Formula::from_expr(&b.when.expr),
        ) == Verdict::Yes
}

fn diff_rules(engine: &Engine, a: &[Condition], b: &[Condition]) -> Vec<RuleDiff> {
    // Rule lists can be long (1 000 disabled rules): look names up, do not scan.
    let by_name = |list: &[Condition]| -> HashMap<String, usize> {
        let mut index = HashMap::new();
        for (i, c) in list.iter().enumerate() {
            index.entry(c.name.value.clone()).or_insert(i);
        }
        index
    };
    let (index_a, index_b) = (by_name(a), by_name(b));
    let removed: Vec<&Condition> = a
        .iter()
        .filter(|c| !index_b.contains_key(&c.name.value))
        .collect();
    let added: Vec<&Condition> = b
        .iter()
        .filter(|c| !index_a.contains_key(&c.name.value))
        .collect();
    // Renames: an enabled removed rule and an enabled added rule that mean the same.
    let mut renamed_from: HashMap<&str, &Condition> = HashMap::new();
    let mut taken: HashSet<&str> = HashSet::new();
    for new in added.iter().filter(|c| c.is_enabled()) {
        let old = removed.iter().find(|old| {
            old.is_enabled()
                && !taken.contains(old.name.value.as_str())
                && effect(old).to_bits() == effect(new).to_bits()
                && old.action() == new.action()
                && same_condition(engine, old, new)
        });
        if let Some(old) = old {
            taken.insert(old.name.value.as_str());
            renamed_from.insert(new.name.value.as_str(), old);
        }
    }
    // The name in A of a rule of B (itself, or the name it was renamed from).
    let name_in_a = |name: &str| -> Option<usize> {
        index_a.get(name).copied().or_else(|| {
            renamed_from
                .get(name)
                .and_then(|old| index_a.get(&old.name.value).copied())
        })
    };

    let mut out = Vec::new();
    for (index_b, after) in b.iter().enumerate() {
        if let Some(old) = renamed_from.get(after.name.value.as_str()) {
            out.push(RuleDiff {
                name: after.name.value.clone(),
                change: RuleChange::Renamed {
                    from: old.name.value.clone(),
                    when: source_text(after),
                    action: action_text(after),
                },
                span: after.span.clone(),
                in_a: false,
            });
            out.extend(position_entry(engine, b, index_b, &name_in_a));
            continue;
        }
        let Some(before) = index_a.get(&after.name.value).map(|&i| &a[i]) else {
            out.push(RuleDiff {
                name: after.name.value.clone(),
                change: RuleChange::Added {
                    when: source_text(after),
                    action: action_text(after),
                    rate: effect(after),
                    enabled: after.is_enabled(),
                },
                span: after.span.clone(),
                in_a: false,
            });
            continue;
        };
        let mut aspects = Vec::new();
        match (before.is_enabled(), after.is_enabled()) {
            // A disabled rule means nothing: its edits are not compared.
            (false, false) => {}
            (true, false) | (false, true) => aspects.push(Aspect::Enabled {
                before: before.is_enabled(),
                after: after.is_enabled(),
            }),
            (true, true) => {
                if normal_text(&before.when.expr) != normal_text(&after.when.expr) {
                    if let Some(comparison) = compare(engine, &before.when.expr, &after.when.expr) {
                        aspects.push(Aspect::Condition {
                            before: source_text(before),
                            after: source_text(after),
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
                aspects.extend(position_changes(engine, b, index_b, &name_in_a));
            }
        }
        if !aspects.is_empty() {
            out.push(RuleDiff {
                name: after.name.value.clone(),
                change: RuleChange::Changed { aspects },
                span: after.span.clone(),
                in_a: false,
            });
        }
    }
    for before in removed {
        if taken.contains(before.name.value.as_str()) {
            continue;
        }
        out.push(RuleDiff {
            name: before.name.value.clone(),
            change: RuleChange::Removed {
                when: source_text(before),
                action: action_text(before),
                rate: effect(before),
                enabled: before.is_enabled(),
            },
            span: before.span.clone(),
            in_a: true,
        });
    }
    out
}

/// A renamed rule that also moved: its position changes, as a `Changed` entry.
fn position_entry(
    engine: &Engine,
    b: &[Condition],
    index_b: usize,
    name_in_a: &dyn Fn(&str) -> Option<usize>,
) -> Option<RuleDiff> {
    let aspects = position_changes(engine, b, index_b, name_in_a);
    (!aspects.is_empty()).then(|| RuleDiff {
        name: b[index_b].name.value.clone(),
        change: RuleChange::Changed { aspects },
        span: b[index_b].span.clone(),
        in_a: false,
    })
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
/// follow it in the other, do something else, and can match in one trace.
fn position_changes(
    engine: &Engine,
    b: &[Condition],
    index: usize,
    name_in_a: &dyn Fn(&str) -> Option<usize>,
) -> Vec<Aspect> {
    let rule = &b[index];
    let Some(position_a) = name_in_a(&rule.name.value) else {
        return Vec::new();
    };
    if !rule.is_enabled() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Each swapped pair is reported once, on the rule that moved earlier in B.
    for other in &b[index + 1..] {
        let Some(other_a) = name_in_a(&other.name.value) else {
            continue;
        };
        if other_a > position_a
            || !other.is_enabled()
            || effect(rule).to_bits() == effect(other).to_bits()
        {
            continue;
        }
        let (fr, fo) = (
            Formula::from_expr(&rule.when.expr),
            Formula::from_expr(&other.when.expr),
        );
        let both = Formula::and([fr.clone(), fo.clone()]);
        let witness = match engine.satisfiable(&both) {
            Satisfiability::Yes(witness) => Some(witness.to_string()),
            // No span matches both, but a trace can hold one span of each.
            _ => match (engine.satisfiable(&fr), engine.satisfiable(&fo)) {
                (Satisfiability::Yes(x), Satisfiability::Yes(y)) => {
                    Some(format!("a trace with {{{x}}} and {{{y}}}"))
                }
                _ => None,
            },
        };
        if let Some(witness) = witness {
            out.push(Aspect::Position {
                other: other.name.value.clone(),
                witness,
            });
        }
    }
    out
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
    let index = |list: &[cpl_syntax::TenantOverride]| -> HashMap<String, usize> {
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

/// Whether `a` and `b` decide every trace alike (spec/diff.md, "Equivalence of whole
/// policies"): the policy's own decision list and every overridden tenant's.
fn decide_alike(engine: &Engine, a: &Policy, b: &Policy) -> bool {
    let attribute = |p: &Policy| p.tenants.as_ref().map(|t| t.attribute.value.to_string());
    let has_overrides = |p: &Policy| !overrides(p).is_empty();
    if attribute(a) != attribute(b) && (has_overrides(a) || has_overrides(b)) {
        return false;
    }
    let list = |p: &Policy, tenant: Option<&str>| DecisionList::new(engine, p, tenant);
    let (own_a, own_b) = (list(a, None), list(b, None));
    if !own_a.alike(engine, &own_b) {
        return false;
    }
    let with_conditions = |p: &Policy, tenant: &str| {
        p.tenant_override(tenant)
            .is_some_and(|o| !o.conditions.is_empty())
    };
    let tenants: BTreeSet<&str> = overrides(a)
        .iter()
        .chain(overrides(b))
        .map(|o| o.tenant.value.as_str())
        .collect();
    tenants.into_iter().all(|tenant| {
        if with_conditions(a, tenant) || with_conditions(b, tenant) {
            list(a, Some(tenant)).alike(engine, &list(b, Some(tenant)))
        } else {
            // Own conditions, which are alike: only the base rate can differ.
            a.base_rate_for(Some(tenant)).to_bits() == b.base_rate_for(Some(tenant)).to_bits()
        }
    })
}

/// A decision list reduced to what decides: entries that can decide a trace, adjacent
/// ones with the same effect merged, the base rate last as a condition that matches
/// everything.
struct DecisionList {
    /// (the disjunction of this entry's conditions, its keep probability)
    entries: Vec<(Formula, f64)>,
}

impl DecisionList {
    fn new(engine: &Engine, policy: &Policy, tenant: Option<&str>) -> Self {
        let items = policy
            .conditions_for(tenant)
            .into_iter()
            .filter(|c| c.is_enabled())
            .map(|c| (Formula::from_expr(&c.when.expr), effect(c)))
            .chain([(Formula::constant(true), policy.base_rate_for(tenant))]);
        let mut entries: Vec<(Formula, f64)> = Vec::new();
        let mut covered = Formula::constant(false);
        for (formula, rate) in items {
            // Never decides: every span it matches was matched earlier.
            if engine.implies(&formula, &covered) == Verdict::Yes {
                continue;
            }
            covered = Formula::or([covered, formula.clone()]);
            match entries.last_mut() {
                Some((last, last_rate)) if last_rate.to_bits() == rate.to_bits() => {
                    *last = Formula::or([last.clone(), formula]);
                }
                _ => entries.push((formula, rate)),
            }
        }
        Self { entries }
    }

    /// Same effects in the same order, and equivalent cumulative disjunctions.
    fn alike(&self, engine: &Engine, other: &Self) -> bool {
        if self.entries.len() != other.entries.len()
            || self
                .entries
                .iter()
                .zip(&other.entries)
                .any(|((_, x), (_, y))| x.to_bits() != y.to_bits())
        {
            return false;
        }
        let (mut mine, mut theirs) = (Formula::constant(false), Formula::constant(false));
        for ((f, _), (g, _)) in self.entries.iter().zip(&other.entries) {
            mine = Formula::or([mine, f.clone()]);
            theirs = Formula::or([theirs, g.clone()]);
            if engine.equivalent(&mine, &theirs) != Verdict::Yes {
                return false;
            }
        }
        true
    }
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

    #[test]
    fn disabled_rules_are_informational() {
        let with_disabled = format!(
            "{BASE}    - name: debug\n      when: \"exists(attributes['x-debug'])\"\n      enabled: false\n"
        );
        let diff = diff_policies(&policy(BASE), &policy(&with_disabled));
        assert!(diff.is_equivalent(), "{diff:#?}");
        assert!(matches!(
            &diff.rules[..],
            [RuleDiff {
                change: RuleChange::Added { enabled: false, .. },
                ..
            }]
        ));
        // Edits to a rule disabled on both sides are not listed.
        let edited = with_disabled.replace("x-debug", "x-trace");
        let diff = diff_policies(&policy(&with_disabled), &policy(&edited));
        assert!(diff.is_empty() && diff.is_equivalent(), "{diff:#?}");
        // Switching a rule off changes decisions, and is listed as that alone.
        let off = format!("{BASE}      enabled: false\n");
        let diff = diff_policies(&policy(BASE), &policy(&off));
        assert!(!diff.is_equivalent());
        let [RuleDiff {
            change: RuleChange::Changed { aspects },
            ..
        }] = &diff.rules[..]
        else {
            panic!("{diff:#?}")
        };
        assert!(matches!(
            aspects[..],
            [Aspect::Enabled {
                before: true,
                after: false
            }]
        ));
    }

    #[test]
    fn a_thousand_disabled_rules_are_equivalent_quickly() {
        use std::fmt::Write as _;
        let mut many = BASE.to_owned();
        for i in 0..1000 {
            let _ = write!(
                many,
                "    - name: off_{i}\n      when: \"status_code == {i} OR duration > {i}ms\"\n      enabled: false\n"
            );
        }
        let diff = diff_policies(&policy(BASE), &policy(&many));
        assert!(diff.is_equivalent());
        assert_eq!(diff.rules.len(), 1000);
    }

    #[test]
    fn a_rename_with_the_same_meaning_is_one_entry() {
        let renamed = BASE.replace("name: errors", "name: post_errors").replace(
            "status_code >= 500 AND method == 'POST'",
            "method == 'POST' AND NOT NOT status_code >= 500",
        );
        let diff = diff_policies(&policy(BASE), &policy(&renamed));
        assert!(diff.is_equivalent(), "{diff:#?}");
        let [RuleDiff {
            name,
            change: RuleChange::Renamed { from, when, .. },
            ..
        }] = &diff.rules[..]
        else {
            panic!("{diff:#?}")
        };
        assert_eq!((name.as_str(), from.as_str()), ("post_errors", "errors"));
        // As written in the source, not normalised.
        assert_eq!(when, "method == 'POST' AND NOT NOT status_code >= 500");
        // Another meaning is a removal and an addition.
        let other = renamed.replace(">= 500", ">= 400");
        let diff = diff_policies(&policy(BASE), &policy(&other));
        assert_eq!(diff.rules.len(), 2, "{diff:#?}");
        assert!(!diff.is_equivalent());
    }

    #[test]
    fn order_matters_for_traces_even_without_a_common_span() {
        // No span is both a 5xx and a health check, but one trace can hold one of each.
        let a = "sampling:\n  base_rate: 0\n  conditions:\n    - {name: errors, when: 'status_code >= 500'}\n    - {name: health, when: \"http.route == '/health'\", action: drop}\n";
        let b = "sampling:\n  base_rate: 0\n  conditions:\n    - {name: health, when: \"http.route == '/health' AND NOT status_code >= 500\", action: drop}\n    - {name: errors, when: 'status_code >= 500'}\n";
        let diff = diff_policies(&policy(a), &policy(b));
        assert!(!diff.is_equivalent(), "{diff:#?}");
        // A rule hidden behind an earlier one decides nothing: removing it changes nothing.
        let shadowed = "sampling:\n  base_rate: 0.1\n  conditions:\n    - {name: errors, when: 'status_code >= 500'}\n    - {name: big_errors, when: 'status_code >= 503', action: drop}\n";
        let plain = "sampling:\n  base_rate: 0.1\n  conditions:\n    - {name: errors, when: 'status_code >= 500'}\n";
        let diff = diff_policies(&policy(shadowed), &policy(plain));
        assert!(diff.is_equivalent() && !diff.is_empty(), "{diff:#?}");
    }
}
