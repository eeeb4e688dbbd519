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
}

#[test]
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
    let decided: u64 = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["traces"].as_u64().expect("traces"))
        .sum::<u64>()
        + report["base_rate"]["traces"].as_u64().expect("base");
    assert_eq!(decided, total, "every trace is decided exactly once");
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
fn replay_usage_and_io_failures_exit_2() {
    assert_eq!(
        cpl(&["replay", "corpus/policies/demo.yaml", "no/such.jsonl"]).0,
        2
    );
    assert_eq!(cpl(&["replay", "corpus/policies/demo.yaml", "corpus"]).0, 2);
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
        demo.replace("status_code >= 500\"", "status_code >= 499\""),
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
    assert_eq!(aspect["comparison"]["witness"], "status_code: 499");

    let (code, stdout, _) = cpl(&[
        "diff",
        "--traces",
        "corpus/traces/shop.jsonl",
        "corpus/policies/demo.yaml",
        "corpus/policies/modern.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("measured on 1500 traces"), "{stdout}");
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
    assert_eq!(code, 1, "{stderr}");
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
    assert_eq!(code, 1, "{stderr}");
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
