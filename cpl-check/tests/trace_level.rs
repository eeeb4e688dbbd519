//! The constructs the logic engine has no model for (`any(…)`, trace-level fields,
//! trace state, `sampled`, type tests, `fnv_sample`) never get a wrong answer: the
//! engine says unknown where it would need their meaning (spec/lints.md, "Where the
//! answer is unknown"), and the logic lints stay silent on them.

use cpl_check::logic::{equivalent, implies, satisfiable, Satisfiability, Verdict};
use cpl_check::{check_policy, CheckOptions};
use cpl_syntax::{load_policy, parse_expression, Expr};

fn parse(text: &str) -> Expr {
    parse_expression(text).expr.expect("parses")
}

#[test]
fn the_engine_does_not_guess_about_trace_level_parts() {
    // True in fact, but it needs the meaning of `any`: unknown, never a wrong "no".
    assert_eq!(
        implies(&parse("any(x == 1)"), &parse("any(x == 1 OR y == 2)")),
        Verdict::Unknown
    );
    // False in fact: a trace can hold `x == 1` on one span and not on another.
    assert_eq!(
        implies(&parse("any(x == 1)"), &parse("x == 1")),
        Verdict::Unknown
    );
    // Unsatisfiable per span in fact (the span itself is in the trace), but only by
    // the meaning of `any`: unknown.
    assert_eq!(
        satisfiable(&parse("kind == SERVER AND NOT any(kind == SERVER)")),
        Satisfiability::Unknown
    );
    for opaque in [
        "span_count > 3",
        "trace_duration >= 1001ms",
        "sampled == true",
        "trace_state['ot'] == 'th:8'",
        "x is int",
        "fnv_sample(10)",
    ] {
        assert_eq!(
            satisfiable(&parse(opaque)),
            Satisfiability::Unknown,
            "{opaque}"
        );
    }
}

#[test]
fn the_same_text_is_the_same_atom() {
    // `A AND NOT A` folds for one opaque atom, whatever it means.
    assert_eq!(
        satisfiable(&parse("any(x == 1) AND NOT any(x == 1)")),
        Satisfiability::No
    );
    assert_eq!(
        equivalent(
            &parse("any(x == 1) AND y == 2"),
            &parse("y == 2 AND any(x == 1)")
        ),
        Verdict::Yes
    );
    assert_eq!(
        implies(
            &parse("span_count > 3 AND status == ERROR"),
            &parse("span_count > 3")
        ),
        Verdict::Yes
    );
    // A branch that does not need the atom is decided as usual, with a real witness.
    assert!(matches!(
        satisfiable(&parse("fnv_sample(10) OR status_code >= 500")),
        Satisfiability::Yes(_)
    ));
}

#[test]
fn logic_lints_stay_silent_on_what_they_cannot_read() {
    let source = r#"
sampling:
  base_rate: 0
  conditions:
    - name: errors_somewhere
      when: "any(status == ERROR)"
    - name: errors_on_servers
      when: "any(status == ERROR AND kind == SERVER)"
    - name: never_an_error
      when: "kind == SERVER AND NOT any(status == ERROR)"
    - name: hashed
      when: "fnv_sample(10)"
    - name: hashed_again
      when: "fnv_sample(10, 'other-salt')"
    - name: big
      when: "span_count >= 3"
"#;
    let loaded = load_policy(source);
    let policy = loaded.policy.expect("loads");
    let diagnostics = check_policy(&policy, &CheckOptions::default());
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.code).collect();
    // `errors_on_servers` is in fact subsumed by `errors_somewhere`, but only by the
    // meaning of `any`; no logic lint may claim anything about these conditions.
    assert!(
        codes.iter().all(|code| !code.starts_with("L33")),
        "{diagnostics:?}"
    );
}
