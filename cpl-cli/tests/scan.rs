//! `cpl scan` on the real binary: every format on the fixture repository, the SARIF
//! log validated against the SARIF 2.1.0 schema, the JSON report against
//! `cpl schema scan-report`, and the exit statuses.

use std::path::Path;

use serde_json::Value;

mod common;

const SHOP: &str = "tests/fixtures/scan/shop";

#[test]
fn json_report_validates_and_exits_1() {
    let (code, stdout, stderr) = common::cpl(&["scan", "--format", "json", SHOP]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let (schema_code, schema, _) = common::cpl(&["schema", "scan-report"]);
    assert_eq!(schema_code, 0);
    let schema: Value = serde_json::from_str(&schema).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["environments"]["source"], "inferred");
}

#[test]
fn sarif_and_github_render_the_findings() {
    let (code, stdout, _) = common::cpl(&["scan", "--format", "sarif", SHOP]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .expect("the SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("schema");
    let validator = jsonschema::draft4::options()
        .build(&schema)
        .expect("compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(stdout.contains("L601"), "{stdout}");
    let (code, stdout, _) = common::cpl(&["scan", "--format", "github", SHOP]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "::error file=tests/fixtures/scan/shop/deploy/overlays/prod/frontend-patch.yaml"
        ),
        "{stdout}"
    );
}

#[test]
fn human_table_for_reviewers() {
    let (code, stdout, stderr) = common::cpl(&["scan", "--color", "never", SHOP]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("scan_human_table", stdout);
    assert!(stderr.contains("L601"), "{stderr}");
    assert!(stderr.contains("scanned "), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = common::cpl(&["scan", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `no/such/dir`"), "{stderr}");
}

#[test]
fn a_clean_tree_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: web\n    environment:\n      OTEL_TRACES_SAMPLER: parentbased_always_on\n",
    )
    .expect("write");
    let path = dir.path().display().to_string();
    let (code, stdout, stderr) = common::cpl(&["scan", "--format", "json", &path]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"services\""));
}
