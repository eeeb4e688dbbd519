//! `cpl lint` on every fixture, exactly as users see it: exit code and rendered
//! diagnostics, snapshotted with insta. One fixture per mistake lives in
//! `tests/fixtures/lint/err/`; clean policies in `tests/fixtures/lint/ok/`.

use std::path::Path;
use std::process::Command;

mod common;
use common::{cpl, workspace_root};

fn relative(path: &Path) -> String {
    let root = workspace_root().canonicalize().expect("root");
    path.canonicalize()
        .expect("fixture")
        .strip_prefix(&root)
        .expect("fixture under the workspace")
        .display()
        .to_string()
}

#[test]
fn every_mistake_is_reported_where_it_is() {
    insta::glob!("../../tests/fixtures/lint/err", "*.yaml", |path| {
        let file = relative(path);
        let (code, stdout, stderr) = cpl(&["lint", &file]);
        assert!(stdout.is_empty(), "{file}: human output goes to stderr");
        let expected = i32::from(!file.contains("warning"));
        assert_eq!(code, expected, "{file}:\n{stderr}");
        insta::assert_snapshot!(format!("exit: {code}\n{stderr}"));
    });
}

#[test]
fn clean_policies_lint_clean() {
    insta::glob!("../../tests/fixtures/lint/ok", "*.yaml", |path| {
        let file = relative(path);
        // Valid policies load without errors; semantic warnings about odd but legal
        // spellings (clarvynn's `status_code == 1e3`) are expected there.
        let (code, _, stderr) = cpl(&["lint", &file]);
        assert_eq!(code, 0, "{file}: {stderr}");
        assert!(
            stderr.ends_with("no problems\n") || stderr.contains(": 0 errors,"),
            "{file}: {stderr}"
        );
    });
    // The shipped policies are clean, warnings included.
    let (code, _, stderr) = cpl(&["lint", "corpus/policies"]);
    assert_eq!(
        (code, stderr.as_str()),
        (0, "checked 4 files: no problems\n")
    );
}

#[test]
fn json_points_at_line_and_column() {
    let (code, stdout, _) = cpl(&[
        "lint",
        "--format",
        "json",
        "tests/fixtures/lint/err/typo-in-when-operator.yaml",
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(report["version"], 1);
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "E101");
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["file"],
        "tests/fixtures/lint/err/typo-in-when-operator.yaml"
    );
    // `      when: "status_code >>= 500"`: `>>=` lexes as `>` `>=`; the `>=` is column 27.
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(5), Some(27))
    );
    insta::assert_json_snapshot!(report);
}

#[test]
fn io_and_usage_failures_exit_2() {
    let (code, _, stderr) = cpl(&["lint", "does/not/exist.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read `does/not/exist.yaml`: no such file or directory"),
        "{stderr}"
    );
    let (code, _, _) = cpl(&["lint"]);
    assert_eq!(code, 2);
    let (code, _, _) = cpl(&["lint", "--format", "xml", "corpus/policies"]);
    assert_eq!(code, 2);
}

#[test]
fn stdin_and_directories() {
    let output = Command::new(env!("CARGO_BIN_EXE_cpl"))
        .args(["lint", "-"])
        .env("NO_COLOR", "1")
        .stdin(
            std::fs::File::open(workspace_root().join("corpus/policies/demo.yaml")).expect("demo"),
        )
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let (code, _, stderr) = cpl(&["lint", "tests/fixtures/lint/err"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("checked "), "{stderr}");
}

#[test]
fn invalid_utf8_and_nul_bytes_are_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("latin1.yaml");
    std::fs::write(&bad, b"sampling:\n  base_rate: 0.01 # caf\xe9\n").expect("write");
    let (code, _, stderr) = cpl(&["lint", bad.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E207"), "{stderr}");
    let nul = dir.path().join("nul.yaml");
    std::fs::write(
        &nul,
        b"sampling:\n  base_rate: 0.01\n  conditions:\n    - name: x\n      when: \"a == '\0'\"\n",
    )
    .expect("write");
    let (code, _, stderr) = cpl(&["lint", nul.to_str().expect("utf-8 path")]);
    assert!(code == 0 || code == 1, "{stderr}");
}

#[test]
fn clarvynn_target_flags_a_string_service() {
    let file = "tests/fixtures/lint/clarvynn/service-string.yaml";
    let (code, _, stderr) = cpl(&["lint", "--target", "clarvynn", file]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(format!("exit: {code}\n{stderr}"));
    // CPL itself reads the string form.
    assert_eq!(cpl(&["lint", file]).0, 0);
}

#[test]
fn the_template_clarvynn_init_writes_lints_replays_and_diffs() {
    // A copy of what `clarvynn init` (0.3.1) writes; tests/differential checks the live one.
    let file = "tests/fixtures/clarvynn/clarvynn-init.yaml";
    let (code, _, stderr) = cpl(&["lint", file]);
    assert_eq!(
        (code, stderr.as_str()),
        (0, "checked 1 file: no problems\n")
    );
    let (code, _, stderr) = cpl(&["lint", "--target", "clarvynn", file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("L356") && !stderr.contains("L357"),
        "{stderr}"
    );
    let (code, stdout, stderr) = cpl(&["replay", file, "corpus/traces/shop.jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("slow_requests"), "{stdout}");
    let (code, stdout, stderr) = cpl(&["diff", file, file]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn a_policy_outside_the_project_is_in_its_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    let policy = |namespace: &str| {
        format!("service:\n  name: shop\n  namespace: {namespace}\nsampling:\n  base_rate: 0.1\n  conditions:\n    - name: tier\n      when: \"customer_tier == 'gold'\"\n")
    };
    write(
        "cpl.yaml",
        "environments:\n  prod: prod.yaml\nlint:\n  suppress:\n    - code: W114\n      environment: prod\n      reason: our SDK writes customer_tier\n",
    );
    write("prod.yaml", &policy("prod"));
    write("candidate.yaml", &policy("prod"));
    write("other.yaml", &policy("staging"));
    let project = dir.path().join("cpl.yaml");
    let lint = |file: &str| {
        let path = dir.path().join(file);
        cpl(&[
            "lint",
            "--format",
            "json",
            "--project",
            project.to_str().expect("path"),
            path.to_str().expect("path"),
        ])
    };
    let codes = |stdout: &str, file: &str| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
        report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["file"].as_str().is_some_and(|f| f.ends_with(file)))
            .map(|d| d["code"].as_str().expect("code").to_owned())
            .collect()
    };
    // Not listed by the project, namespace `prod`: prod's suppression applies.
    let (code, stdout, stderr) = lint("candidate.yaml");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(codes(&stdout, "candidate.yaml"), Vec::<String>::new());
    // Namespace `staging`: it does not.
    let (_, stdout, _) = lint("other.yaml");
    assert_eq!(codes(&stdout, "other.yaml"), ["W114"]);
}
