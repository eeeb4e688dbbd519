//! `cpl replay` and `cpl test` as users run them: exit codes and output, snapshotted.
//! Inputs are the project's own corpus (a fresh clone has it); the shared real-SDK
//! capture is used when ../shared exists and skipped otherwise.

mod common;
use common::{cpl, workspace_root};

#[test]
fn replay_table_of_the_shipped_corpus() {
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    // The README shows this output as it is.
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("```text\n{stdout}```\n")),
        "README.md's replay example differs from the output:\n{stdout}"
    );
}

#[test]
#[allow(clippy::cast_possible_truncation)] // cents of small sums
fn replay_json_adds_up() {
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/modern.yaml",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["complete"], true);
    let total = report["traces"]["total"].as_u64().expect("total");
    let sum = |list: &serde_json::Value, pick: &dyn Fn(&serde_json::Value) -> Option<u64>| {
        list.as_array()
            .expect("list")
            .iter()
            .filter_map(pick)
            .sum::<u64>()
    };
    let decided = sum(&report["rules"], &|r| r["traces"].as_u64())
        + report["base_rate"]["traces"].as_u64().expect("base")
        + sum(&report["tenants"], &|t| {
            (t["base_rate"]["source"] == "tenant").then(|| t["base_rate"]["traces"].as_u64())?
        });
    assert_eq!(decided, total, "every trace is decided exactly once");
    // Every trace is in one duration bucket or untimed, kept ones too.
    let durations = &report["durations"];
    for (bucket, counts) in [("total", "total"), ("kept", "kept")] {
        assert_eq!(
            sum(&durations[bucket], &serde_json::Value::as_u64)
                + durations["untimed"][counts].as_u64().expect("untimed"),
            report["traces"][counts].as_u64().expect("traces"),
            "durations.{bucket}"
        );
    }
    // The parts of the money add up, in cents.
    let cents = |v: &serde_json::Value| (v.as_f64().expect("dollars") * 100.0).round() as i64;
    let savings = &report["savings"];
    assert_eq!(
        cents(&savings["per_tb"]["kept"]) + cents(&savings["per_tb"]["saved"]),
        cents(&savings["per_tb"]["total"])
    );
    assert_eq!(
        cents(&savings["cost_kept"]) + cents(&savings["cost_saved"]),
        cents(&savings["cost_total"])
    );
    let bytes = std::fs::metadata(workspace_root().join("corpus/traces/shop.jsonl"))
        .expect("corpus")
        .len();
    assert_eq!(
        report["bytes"]["total"].as_u64(),
        Some(bytes),
        "bytes add up to the file size"
    );
    insta::assert_json_snapshot!(report);
}

#[test]
fn replay_is_the_same_split_across_files_and_cores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text =
        std::fs::read_to_string(workspace_root().join("corpus/traces/shop.jsonl")).expect("corpus");
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    std::fs::write(&first, a.join("\n")).expect("write");
    std::fs::write(&second, b.join("\n")).expect("write");
    let whole = cpl(&[
        "replay",
        "--format",
        "json",
        "-j",
        "1",
        "corpus/policies/modern.yaml",
        "corpus/traces/shop.jsonl",
    ]);
    let split = cpl(&[
        "replay",
        "--format",
        "json",
        "-j",
        "2",
        "corpus/policies/modern.yaml",
        second.to_str().expect("path"),
        first.to_str().expect("path"),
    ]);
    let decisions = |out: &str| {
        let mut report: serde_json::Value = serde_json::from_str(out).expect("JSON");
        report["input"] = serde_json::Value::Null;
        report["bytes"] = serde_json::Value::Null;
        report["services"] = serde_json::Value::Null;
        report["savings"] = serde_json::Value::Null;
        report["rules"]
            .as_array_mut()
            .expect("rules")
            .iter_mut()
            .for_each(|r| r["bytes_kept"] = serde_json::Value::Null);
        report
    };
    assert_eq!(decisions(&whole.1), decisions(&split.1));
}

#[test]
fn replay_reports_malformed_documents_and_marks_the_report_incomplete() {
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/truncated.jsonl",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["complete"], false);
    assert_eq!(report["input"]["errors"], 2);
    assert_eq!(report["input"]["skipped_non_trace"], 1);
    assert_eq!(report["traces"]["total"], 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn replay_of_nothing_readable_is_no_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "garbage\n{\"resourceSpans\": 3}\n").expect("write");
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        garbage.to_str().expect("path"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "", "no report of zeros");
    assert!(
        stderr.ends_with(
            "error: no trace could be read from the inputs: 2 documents could not be read\n"
        ),
        "{stderr}"
    );
    // Valid, but no traces in it: the same outcome, told apart.
    let metrics = dir.path().join("metrics.jsonl");
    std::fs::write(&metrics, "{\"resourceMetrics\": []}\n").expect("write");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        metrics.to_str().expect("path"),
        empty.to_str().expect("path"),
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    // An empty file is an error (there is nothing to read in it), so nothing was read.
    assert!(
        stderr.contains(r#""kind":"empty","level":"error""#),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: no trace could be read from the inputs: 1 document could not be read\n"
        ),
        "{stderr}"
    );
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        metrics.to_str().expect("path"),
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(
        stderr,
        "error: the inputs hold no trace spans: 1 document of logs, metrics or profiles skipped\n"
    );
}

#[test]
fn replay_of_the_same_capture_twice_counts_each_span_once() {
    let once = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/modern.yaml",
        "corpus/traces/shop.jsonl",
    ]);
    let twice = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/modern.yaml",
        "corpus/traces/shop.jsonl",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(twice.0, 0, "{}", twice.2);
    assert_eq!(
        twice.2,
        "warning: 9,454 spans appeared more than once in the inputs (same trace id, span id, start and end) and are counted once\n"
    );
    let mut a: serde_json::Value = serde_json::from_str(&once.1).expect("JSON");
    let mut b: serde_json::Value = serde_json::from_str(&twice.1).expect("JSON");
    assert_eq!(b["input"]["duplicate_spans"], 9454);
    assert_eq!(b["input"]["files"], 2);
    a["input"] = serde_json::Value::Null;
    b["input"] = serde_json::Value::Null;
    assert_eq!(a, b);
}

#[test]
fn replay_usage_and_io_failures_exit_2() {
    assert_eq!(
        cpl(&["replay", "corpus/policies/demo.yaml", "no/such.jsonl"]).0,
        2
    );
    // A directory without capture files (spec/ holds Markdown only).
    assert_eq!(cpl(&["replay", "corpus/policies/demo.yaml", "spec"]).0, 2);
    assert_eq!(
        cpl(&[
            "replay",
            "tests/fixtures/lint/err/unclosed-paren.yaml",
            "corpus/traces/shop.jsonl"
        ])
        .0,
        2
    );
    assert_eq!(
        cpl(&[
            "replay",
            "--slow",
            "fast",
            "corpus/policies/demo.yaml",
            "corpus/traces/shop.jsonl"
        ])
        .0,
        2
    );
    assert_eq!(cpl(&["replay", "corpus/policies/demo.yaml"]).0, 2);
}

#[test]
fn replay_of_the_real_sdk_capture_matches_the_hand_check() {
    let Some(capture) = cpl_tests::shared_path("corpus/generated/traces-small.jsonl") else {
        return;
    };
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        capture.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    // Totals reproduced by tests/scripts/replay_hand_check.py, which shares no code with cpl-eval.
    assert_eq!(
        (
            report["traces"]["total"].as_u64(),
            report["traces"]["kept"].as_u64()
        ),
        (Some(1005), Some(128))
    );
    assert_eq!(
        (
            report["spans"]["total"].as_u64(),
            report["spans"]["kept"].as_u64()
        ),
        (Some(7471), Some(688))
    );
    let rules: Vec<(u64, u64)> = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["traces"].as_u64().expect("t"),
                r["spans"].as_u64().expect("s"),
            )
        })
        .collect();
    assert_eq!(rules, [(12, 120), (102, 451), (10, 82), (0, 0)]);
    assert_eq!(
        (
            report["base_rate"]["traces"].as_u64(),
            report["base_rate"]["kept"].as_u64()
        ),
        (Some(881), Some(4))
    );
}

#[test]
fn policy_tests_pass_fail_and_break() {
    let (code, stdout, stderr) = cpl(&[
        "test",
        "corpus/policies/coverage.yaml",
        "corpus/tests/coverage.tests.yaml",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with("43 passed, 0 failed\n"), "{stdout}");

    let (code, stdout, _) = cpl(&[
        "test",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/failing.tests.yaml",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("failing", stdout);

    let (code, stdout, _) = cpl(&[
        "test",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/failing.tests.yaml",
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(2))
    );

    let (code, _, stderr) = cpl(&[
        "test",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/broken.tests.yaml",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("broken", stderr);
}

#[test]
fn policy_tests_catch_a_misspelt_span_key_and_explain_the_default_trace_id() {
    let (code, _, stderr) = cpl(&[
        "test",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/traps.tests.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("E113"), "{stderr}");
    assert!(stderr.contains("did you mean `status_code`?"), "{stderr}");

    let (code, stdout, _) = cpl(&[
        "test",
        "corpus/policies/demo.yaml",
        "tests/fixtures/test/default-randomness.tests.yaml",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("default_randomness", stdout);
}

#[test]
fn project_parity_reports_each_planted_drift_and_nothing_else() {
    let (code, stdout, stderr) = cpl(&["lint", "--format", "json", "corpus/project"]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let mut found: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let file = d["file"]
                .as_str()
                .expect("file")
                .rsplit('/')
                .next()
                .expect("name")
                .to_owned();
            let message = d["message"].as_str().expect("message");
            let risk = message.split(':').next().expect("risk");
            format!("{file} {} {risk}", d["name"].as_str().expect("name"))
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "dev.yaml condition-weaker high",
            "dev.yaml tenant-override-looser medium",
            "dev.yaml threshold-drift low",
            "prod.yaml base-rate-drift critical",
            "prod.yaml condition-missing critical",
            "prod.yaml condition-weaker high",
            "prod.yaml slow-threshold-above-slo high",
            "prod.yaml tenant-override-missing high",
        ]
    );
    let (_, _, human) = cpl(&["lint", "corpus/project"]);
    insta::assert_snapshot!("project_parity", human);
}

#[test]
fn slow_threshold_above_slo_only_when_requests_are_lost() {
    // A per-route rule before the 1 s catch-all keeps every slow checkout request.
    let (code, stdout, stderr) = cpl(&["lint", "tests/fixtures/project/slo-kept-by-earlier-rule"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // A drop rule ahead of it takes some of them: the finding, with such a span.
    let (code, _, stderr) = cpl(&["lint", "tests/fixtures/project/slo-not-kept"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("L377"), "{stderr}");
    assert!(stderr.contains("is not kept"), "{stderr}");
}

#[test]
fn diff_says_equivalent_or_names_the_looser_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo =
        std::fs::read_to_string(workspace_root().join("corpus/policies/demo.yaml")).expect("demo");
    // Reformatted and reshuffled: keys reordered, quoting changed, AND operands swapped.
    let shuffled = "sampling:\n  conditions:\n    - when: 'status_code < 500 AND status_code >= 400'\n      name: client_errors\n    - {name: server_errors, when: \"500 <= status_code\"}\n    - name: slow_requests\n      when: >-\n        NOT NOT duration_ms > 1000\n    - name: critical_payment_apis\n      when: path contains \"/api/payment\"\n  base_rate: 1.0e-2\nservice: checkout\nversion: '1'\n";
    let copy = dir.path().join("shuffled.yaml");
    std::fs::write(&copy, shuffled).expect("write");
    let (code, stdout, stderr) = cpl(&[
        "diff",
        "corpus/policies/demo.yaml",
        copy.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("are equivalent"), "{stdout}");

    let looser = dir.path().join("looser.yaml");
    std::fs::write(
        &looser,
        // Not 499: `client_errors` keeps those already, so the decisions would not change.
        demo.replace("status_code >= 500\"", "status_code >= 300\""),
    )
    .expect("write");
    let (code, stdout, _) = cpl(&[
        "diff",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        looser.to_str().expect("path"),
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let aspect = &report["rules"][0]["change"]["aspects"][0];
    assert_eq!(report["rules"][0]["name"], "server_errors");
    assert_eq!(aspect["comparison"]["result"], "matches_more");
    assert_eq!(aspect["comparison"]["witness"], "status_code: 300");

    let (code, stdout, _) = cpl(&[
        "diff",
        "--traces",
        "corpus/traces/shop.jsonl",
        "corpus/policies/demo.yaml",
        "corpus/policies/modern.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("measured on 1,500 traces"), "{stdout}");
}

#[test]
fn suppressions_and_severity_overrides() {
    // Inline: modern.yaml accepts its disabled condition, with a reason.
    let (code, stdout, _) = cpl(&["lint", "--format", "json", "corpus/policies/modern.yaml"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["suppressed"][0]["code"], "L335");
    assert!(report["suppressed"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("incident")));

    // Project: suppress prod's missing condition, switch threshold drift off, make the
    // medium tenant finding an error.
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["prod.yaml", "staging.yaml", "dev.yaml"] {
        std::fs::copy(
            workspace_root().join("corpus/project").join(file),
            dir.path().join(file),
        )
        .expect("copy");
    }
    let project = std::fs::read_to_string(workspace_root().join("corpus/project/cpl.yaml")).expect("project")
        + "lint:\n  severity:\n    threshold-drift: off\n    L376: error\n  suppress:\n    - code: condition-missing\n      environment: prod\n      reason: payments are not deployed to prod yet\n";
    std::fs::write(dir.path().join("cpl.yaml"), project).expect("write");
    let (code, stdout, stderr) = cpl(&[
        "lint",
        "--format",
        "json",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let names: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    assert!(
        !names.contains(&"threshold-drift") && !names.contains(&"condition-missing"),
        "{names:?}"
    );
    let looser = report["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["name"] == "tenant-override-looser")
        .expect("L376");
    assert_eq!(looser["severity"], "error");
    assert_eq!(
        report["suppressed"][0]["reason"],
        "payments are not deployed to prod yet"
    );

    // A project naming a missing file and itself.
    std::fs::write(
        dir.path().join("cpl.yaml"),
        "environments:\n  prod: nowhere.yaml\n  self: cpl.yaml\n",
    )
    .expect("write");
    let (code, _, stderr) = cpl(&[
        "lint",
        "--project",
        dir.path().join("cpl.yaml").to_str().expect("path"),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("E212") && stderr.contains("E213"),
        "{stderr}"
    );
}

#[test]
fn diff_is_by_meaning_all_the_way() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let demo =
        std::fs::read_to_string(workspace_root().join("corpus/policies/demo.yaml")).expect("demo");
    // A disabled rule added, and a rule renamed with the same meaning written otherwise.
    let edited = demo.replace("name: server_errors", "name: errors_5xx").replace(
        "\"status_code >= 500\"",
        "\"NOT NOT 500 <= status_code\"",
    ) + "    - name: debug\n      when: \"exists(attributes['x-debug'])\"\n      enabled: false\n";
    let path = dir.path().join("edited.yaml");
    std::fs::write(&path, &edited).expect("write");
    let edited_path = path.to_str().expect("path");
    let (code, stdout, stderr) = cpl(&["diff", "corpus/policies/demo.yaml", edited_path]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let stdout = stdout.replace(edited_path, "edited.yaml");
    insta::assert_snapshot!("diff_informational_only", stdout);
    let (code, stdout, _) = cpl(&[
        "diff",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        edited_path,
    ]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["equivalent"], true);
    assert_eq!(report["rules"][0]["change"]["kind"], "renamed");
    assert_eq!(report["rules"][1]["change"]["enabled"], false);

    // With a thousand disabled rules more: still equivalent.
    let mut many = demo.clone();
    for i in 0..1000 {
        let _ = write!(
            many,
            "    - name: off_{i}\n      when: \"status_code == {i}\"\n      enabled: false\n"
        );
    }
    std::fs::write(&path, many).expect("write");
    let (code, _, stderr) = cpl(&["diff", "corpus/policies/demo.yaml", edited_path]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn diff_traces_table_shows_where_traces_went() {
    let (code, stdout, stderr) = cpl(&[
        "diff",
        "corpus/policies/demo.yaml",
        "corpus/policies/modern.yaml",
        "--traces",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("diff_demo_modern_traces", stdout);

    // Nothing readable: the error once, no table of zeros, exit 2.
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "garbage\n").expect("write");
    let (code, stdout, stderr) = cpl(&[
        "diff",
        "corpus/policies/demo.yaml",
        "corpus/policies/demo.yaml",
        "--traces",
        garbage.to_str().expect("path"),
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(!stdout.contains("measured"), "{stdout}");
    assert_eq!(stderr.matches("expected value").count(), 1, "{stderr}");
}

#[test]
fn diff_in_ci_formats() {
    let (code, stdout, _) = cpl(&[
        "diff",
        "--format",
        "sarif",
        "corpus/policies/demo.yaml",
        "corpus/policies/modern.yaml",
    ]);
    assert_eq!(code, 1);
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let rules: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId"))
        .collect();
    assert!(
        rules.contains(&"L381") && rules.contains(&"L382") && rules.contains(&"L383"),
        "{rules:?}"
    );
    let (code, stdout, _) = cpl(&[
        "diff",
        "--format",
        "github",
        "corpus/policies/demo.yaml",
        "corpus/policies/demo.yaml",
    ]);
    assert_eq!((code, stdout.as_str()), (0, ""));

    // Messages are not the human text flattened; the summary reads like a diff.
    let (code, stdout, stderr) = cpl(&[
        "diff",
        "--format",
        "github",
        "corpus/policies/demo.yaml",
        "corpus/policies/modern.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("::rule `errors` added%0Akeep: status == ERROR OR status_code >= 500\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("::~") && !stdout.contains("::+") && !stdout.contains(";  "));
    assert!(!stderr.contains("checked"), "{stderr}");
    assert!(
        stderr.contains("14 changes; traces are decided differently"),
        "{stderr}"
    );
}

#[test]
fn replay_reads_what_trace_stores_export_with_one_notice_per_file() {
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        "tests/fixtures/replay/tempo-batches.json",
        "tests/fixtures/replay/jaeger-v3.json",
        "tests/fixtures/replay/snake-case.json",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("traces"), "{stdout}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn replay_strict_refuses_dialects_reporting_every_problem() {
    let (code, _, stderr) = cpl(&[
        "replay",
        "--strict",
        "corpus/policies/demo.yaml",
        "tests/fixtures/replay/tempo-batches.json",
        "tests/fixtures/replay/snake-case.json",
    ]);
    // Nothing could be read: no report (spec/replay.md, "Nothing read").
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!(stderr);
    // `cpl diff --traces` reads the same way.
    let (_, _, stderr) = cpl(&[
        "diff",
        "--strict",
        "--traces",
        "tests/fixtures/replay/jaeger-v3.json",
        "corpus/policies/demo.yaml",
        "corpus/policies/demo.yaml",
    ]);
    assert!(stderr.contains("jq .result"), "{stderr}");
    let (_, _, stderr) = cpl(&[
        "diff",
        "--traces",
        "tests/fixtures/replay/jaeger-v3.json",
        "corpus/policies/demo.yaml",
        "corpus/policies/demo.yaml",
    ]);
    assert!(
        stderr.contains(
            "note: tests/fixtures/replay/jaeger-v3.json: read as a Jaeger api/v3 response"
        ),
        "{stderr}"
    );
}

#[test]
fn replay_caps_problems_per_document_and_repeats_per_input() {
    let (code, _, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        "tests/fixtures/replay/many-problems.json",
        "tests/fixtures/replay/garbage.jsonl",
    ]);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!(stderr);
    // The JSON format writes every problem, with its kind.
    let (_, _, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        "tests/fixtures/replay/garbage.jsonl",
    ]);
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 9, "{stderr}");
    assert_eq!(lines[0]["kind"], "syntax");
    assert_eq!(lines[8]["line"], 9);
}

#[test]
fn replay_of_a_directory_reads_its_captures_by_name_and_format_by_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shop = std::fs::read(workspace_root().join("corpus/traces/shop.jsonl")).expect("corpus");
    let (first, rest) = shop.split_at(shop.len() / 2);
    let cut = first.iter().rposition(|&b| b == b'\n').expect("a line end") + 1;
    let nested = dir.path().join("rotated");
    std::fs::create_dir(&nested).expect("mkdir");
    std::fs::write(dir.path().join("traces.json"), &shop[..cut]).expect("write");
    std::fs::write(
        nested.join("traces-2026-11-30T10-00-00.json"),
        [&first[cut..], rest].concat(),
    )
    .expect("write");
    std::fs::write(dir.path().join("README.md"), "not a capture").expect("write");
    std::fs::write(dir.path().join(".hidden.json"), "not read").expect("write");
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (whole_code, whole, _) = cpl(&[
        "replay",
        "--format",
        "json",
        "corpus/policies/demo.yaml",
        "corpus/traces/shop.jsonl",
    ]);
    assert_eq!(whole_code, 0);
    let spans = |text: &str| -> serde_json::Value {
        let report: serde_json::Value = serde_json::from_str(text).expect("JSON");
        serde_json::json!([report["traces"], report["spans"], report["rules"]])
    };
    assert_eq!(spans(&stdout), spans(&whole));
    assert!(
        stderr.contains("1 file that is not named like a capture passed over"),
        "{stderr}"
    );

    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("notes.txt"), "x").expect("write");
    let (code, _, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        empty.path().to_str().expect("path"),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("holds no capture file"), "{stderr}");
}

/// Reading runs ahead of decoding (the next batch is read while one is decoded), yet
/// errors come out in input order, the same on one core and two.
#[test]
fn replay_errors_keep_input_order_across_batches() {
    let shop = std::fs::read_to_string(workspace_root().join("corpus/traces/shop.jsonl"))
        .expect("the shop capture");
    let lines: Vec<&str> = shop.lines().filter(|l| !l.trim().is_empty()).collect();
    let bad: [u64; 4] = [20, 130, 131, 290];
    let mut text = String::new();
    for n in 1..=300u64 {
        if bad.contains(&n) {
            text.push_str("{\"resourceSpans\":[1]}\n");
        } else {
            text.push_str(lines[usize::try_from(n).expect("small") % lines.len()]);
            text.push('\n');
        }
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("batches.jsonl");
    std::fs::write(&path, text).expect("written");
    let path = path.to_str().expect("UTF-8 path");
    let mut outputs = Vec::new();
    for jobs in ["1", "2"] {
        let (code, _, stderr) = cpl(&[
            "replay",
            "--format",
            "json",
            "-j",
            jobs,
            "corpus/policies/demo.yaml",
            path,
        ]);
        assert_eq!(code, 1, "{stderr}");
        let at: Vec<u64> = stderr
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
            .filter_map(|e| e["line"].as_u64())
            .collect();
        assert_eq!(at, bad, "{stderr}");
        outputs.push(stderr);
    }
    assert_eq!(outputs[0], outputs[1]);
}
