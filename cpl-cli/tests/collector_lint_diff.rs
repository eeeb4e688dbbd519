//! `cpl lint` and `cpl diff` on collector configs (spec/targets/otel-collector.md §7).

mod common;
use common::cpl;

const LINT: &str = "cpl-cli/tests/data/collector/lint.yaml";
const BEFORE: &str = "cpl-cli/tests/data/collector/before.yaml";
const AFTER: &str = "cpl-cli/tests/data/collector/after.yaml";
const BEFORE_CPL: &str = "cpl-cli/tests/data/collector/before.cpl.yaml";
const TRACES: &str = "corpus/traces/shop.jsonl";

#[test]
fn lint_reports_every_processor_with_positions_in_the_file() {
    let (code, stdout, stderr) = cpl(&["lint", LINT, "--format", "concise"]);
    assert_eq!(code, 0, "warnings only: {stderr}");
    insta::assert_snapshot!(stdout);
    let (code, _, stderr) = cpl(&["lint", LINT]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("lint_human", stderr);
    let (code, _, _) = cpl(&["lint", LINT, "--deny", "warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn lint_processor_picks_one() {
    let (code, stdout, _) = cpl(&["lint", LINT, "--format", "concise", "--processor", "canary"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("L403"), "{stdout}");
    assert!(!stdout.contains("L401"), "{stdout}");
    // One processor linted: no processor label.
    assert!(!stdout.contains("`tail_sampling/canary`:"), "{stdout}");
    let (code, _, stderr) = cpl(&["lint", LINT, "--processor", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no processor `nope` here"), "{stderr}");
}

#[test]
fn lint_formats_carry_collector_positions() {
    let (code, json, _) = cpl(&["lint", LINT, "--format", "json"]);
    assert_eq!(code, 0);
    let document: serde_json::Value = serde_json::from_str(&json).expect("json");
    insta::assert_snapshot!("lint_json", format!("{document:#}"));
    let (_, sarif, _) = cpl(&["lint", LINT, "--format", "sarif"]);
    assert!(sarif.contains("\"ruleId\": \"L401\""), "{sarif}");
    let (_, github, _) = cpl(&["lint", LINT, "--format", "github"]);
    insta::assert_snapshot!("lint_github", github);
}

#[test]
fn lint_config_errors_fail_and_skip_the_lints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "policies:\n  - name: a\n    type: ottl_condition\n    ottl_condition:\n      span: ['attributes[\"k\"] == ']\n  - {name: b, type: latency, latency: {threshold_ms: 1, upper_threshold_ms: 5}}\n",
    )
    .expect("write");
    let (code, stdout, _) = cpl(&["lint", path.to_str().expect("utf-8"), "--format", "concise"]);
    assert_eq!(code, 1);
    assert!(stdout.contains(":5:33: E450"), "{stdout}");
    assert!(!stdout.contains("L403"), "{stdout}");
}

#[test]
fn diff_two_collector_configs_says_what_is_not_imported() {
    let (code, stdout, stderr) = cpl(&["diff", BEFORE, AFTER]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, json, _) = cpl(&["diff", BEFORE, AFTER, "--format", "json"]);
    assert_eq!(code, 1);
    let document: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(document["equivalent"], serde_json::Value::Null);
    assert_eq!(document["exact"], false);
    assert_eq!(document["inexact"][0]["policy"], "budget");
    assert_eq!(document["inexact"][0]["code"], "E530");
}

#[test]
fn diff_collector_config_and_policy_both_ways() {
    let (code, stdout, stderr) = cpl(&["diff", BEFORE_CPL, BEFORE]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("policy_to_collector", stdout);
    let (code, stdout, stderr) = cpl(&["diff", BEFORE, BEFORE_CPL, "--traces", TRACES]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("collector_to_policy_traces", stdout);
    let (code, stdout, stderr) = cpl(&["diff", BEFORE_CPL, AFTER, "--traces", TRACES]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("policy_to_changed_collector_traces", stdout);
}

#[test]
fn diff_ci_formats_point_at_collector_policies() {
    let (code, github, _) = cpl(&["diff", BEFORE, AFTER, "--format", "github"]);
    assert_eq!(code, 1);
    // `slow` is on line 6 of after.yaml.
    assert!(
        github.contains("file=cpl-cli/tests/data/collector/after.yaml,line=6"),
        "{github}"
    );
}

#[test]
fn diff_needs_processor_when_a_config_has_several() {
    let (code, _, stderr) = cpl(&["diff", "cpl-cli/tests/data/collector/shop.yaml", BEFORE]);
    assert_eq!(code, 2);
    assert!(stderr.contains("choose one with `--processor`"), "{stderr}");
    let (code, _, stderr) = cpl(&[
        "diff",
        "cpl-cli/tests/data/collector/shop.yaml",
        BEFORE,
        "--processor",
        "tail_sampling",
    ]);
    assert_eq!(code, 0, "{stderr}");
}
