//! `cpl diff` properties on generated policies: a policy is equivalent to itself, and to
//! its reformatted print (other YAML layout, quoting and key order; AND/OR operands
//! shuffled; double negations added).

#![allow(clippy::format_push_string, clippy::cast_possible_truncation)]

use cpl_check::diff::diff_policies;
use cpl_syntax::{load_policy, Expr, ExprKind, Policy, Span};
use proptest::prelude::*;

fn predicate() -> impl Strategy<Value = String> {
    let string = "[a-zA-Z0-9/_.-]{0,6}";
    prop_oneof![
        (
            prop_oneof![Just("=="), Just("!="), Just("<"), Just(">="), Just(">")],
            100..600i64
        )
            .prop_map(|(op, n)| format!("status_code {op} {n}")),
        (prop_oneof![Just("=="), Just("!=")], string)
            .prop_map(|(op, s)| format!("method {op} '{s}'")),
        (
            prop_oneof![Just("contains"), Just("starts_with"), Just("not contains")],
            string
        )
            .prop_map(|(op, s)| format!("path {op} '{s}'")),
        (prop_oneof![Just(">"), Just("<=")], 1..3000i64)
            .prop_map(|(op, n)| format!("duration {op} {n}ms")),
        prop::collection::vec(string, 0..3).prop_map(|items| {
            let items: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
            format!("http.route in [{}]", items.join(", "))
        }),
        prop_oneof![
            Just("kind == SERVER"),
            Just("status == ERROR"),
            Just("error == true"),
            Just("exists(tenant.id)")
        ]
        .prop_map(str::to_owned),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    predicate().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| format!("({})", items.join(" AND "))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|items| format!("({})", items.join(" OR "))),
            inner.prop_map(|e| format!("NOT ({e})")),
        ]
    })
}

/// A policy as generated: base rate and `(when, action, rate)` per condition.
#[derive(Debug, Clone)]
struct Spec {
    base_rate: f64,
    rules: Vec<(String, bool, Option<f64>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let rule = (
        expression(),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(0.25), Just(0.5), Just(1.0)]),
    );
    (
        prop_oneof![Just(0.0), Just(0.01), Just(0.5), Just(1.0)],
        prop::collection::vec(rule, 1..5),
    )
        .prop_map(|(base_rate, rules)| Spec { base_rate, rules })
}

fn double_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The policy in block style, double-quoted expressions.
fn print_block(spec: &Spec) -> String {
    let mut out = format!(
        "version: 1\nsampling:\n  base_rate: {}\n  conditions:\n",
        spec.base_rate
    );
    for (i, (when, drop, rate)) in spec.rules.iter().enumerate() {
        out.push_str(&format!(
            "    - name: rule_{i}\n      when: {}\n",
            double_quoted(when)
        ));
        if *drop {
            out.push_str("      action: drop\n");
        } else if let Some(rate) = rate {
            out.push_str(&format!("      rate: {rate}\n"));
        }
    }
    out
}

/// The same policy reformatted: keys reordered, flow mappings, literal block scalars,
/// expressions re-printed from a shuffled, double-negated tree.
fn print_reformatted(policy: &Policy, seed: u64) -> String {
    let mut out = String::from("sampling:\n  conditions:\n");
    for (i, condition) in policy.sampling.conditions.iter().enumerate() {
        let expr = scramble(&condition.when.expr, seed.wrapping_add(i as u64));
        let mut extra = String::new();
        if let Some(action) = &condition.action {
            extra.push_str(&format!(", action: {}", action.value));
        }
        if let Some(rate) = &condition.rate {
            extra.push_str(&format!(", rate: {:e}", rate.value));
        }
        if seed.is_multiple_of(2) {
            out.push_str(&format!(
                "    - {{name: '{}'{extra}, when: {}}}\n",
                condition.name.value,
                double_quoted(&expr.to_string())
            ));
        } else {
            out.push_str(&format!(
                "    - when: |-\n        {expr}\n      name: {}\n",
                condition.name.value
            ));
            if let Some(action) = &condition.action {
                out.push_str(&format!("      action: '{}'\n", action.value));
            }
            if let Some(rate) = &condition.rate {
                out.push_str(&format!("      rate: {:e}\n", rate.value));
            }
        }
    }
    out.push_str(&format!(
        "  base_rate: {:e}\nversion: \"1.0\"\n",
        policy.sampling.base_rate.value
    ));
    out
}

/// An equivalent tree: chains reversed or rotated, some nodes wrapped in NOT NOT.
fn scramble(expr: &Expr, seed: u64) -> Expr {
    let node = |kind| Expr {
        kind,
        span: Span::default(),
    };
    let kind = match &expr.kind {
        ExprKind::And(items) | ExprKind::Or(items) => {
            let mut items: Vec<Expr> = items
                .iter()
                .enumerate()
                .map(|(i, e)| scramble(e, seed.wrapping_mul(31).wrapping_add(i as u64)))
                .collect();
            let shift = (seed as usize) % items.len();
            items.rotate_left(shift);
            if seed.is_multiple_of(3) {
                items.reverse();
            }
            if matches!(expr.kind, ExprKind::And(_)) {
                ExprKind::And(items)
            } else {
                ExprKind::Or(items)
            }
        }
        ExprKind::Not(inner) => ExprKind::Not(Box::new(scramble(inner, seed.wrapping_add(7)))),
        other => other.clone(),
    };
    let scrambled = node(kind);
    if seed.is_multiple_of(5) {
        node(ExprKind::Not(Box::new(node(ExprKind::Not(Box::new(
            scrambled,
        ))))))
    } else {
        scrambled
    }
}

fn load(text: &str) -> Policy {
    let loaded = load_policy(text);
    loaded
        .policy
        .unwrap_or_else(|| panic!("{text}\n{:?}", loaded.diagnostics))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_policy_is_equivalent_to_itself(spec in spec()) {
        let policy = load(&print_block(&spec));
        let diff = diff_policies(&policy, &policy);
        prop_assert!(diff.is_equivalent(), "{diff:#?}");
    }

    #[test]
    fn a_policy_is_equivalent_to_its_reformatted_print(spec in spec(), seed in any::<u64>()) {
        let policy = load(&print_block(&spec));
        let reformatted = print_reformatted(&policy, seed);
        let copy = load(&reformatted);
        let diff = diff_policies(&policy, &copy);
        prop_assert!(diff.is_equivalent(), "{reformatted}\n{diff:#?}");
    }
}
