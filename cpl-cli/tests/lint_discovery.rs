//! `cpl lint DIR` lints the policies in a directory, not every YAML file
//! (spec/lint.md): project files become the project, tests files, manifests and
//! workflows are skipped and counted, `.gitignore` and `--exclude` are respected; and
//! the concise and JSON outputs say what happened, including paths that could not be
//! read.

use std::path::Path;

mod common;
use common::cpl_in;

const POLICY: &str = "version: 1\nsampling:\n  base_rate: 0.1\n  conditions:\n    - name: errors\n      when: \"status_code >= 500\"\n";
const BROKEN: &str = "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: errors\n      when: \"status_code >>= 500\"\n";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A repository with policies among files that are not policies.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "policies/checkout.yaml", POLICY);
    write(root, "policies/broken.yaml", BROKEN);
    write(
        root,
        "policies/checkout.tests.yaml",
        "cases:\n  - name: x\n    span: {status_code: 500}\n    expect: keep\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    );
    write(
        root,
        "deploy/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n",
    );
    write(
        root,
        "charts/shop/templates/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    );
    write(root, "build/generated.yaml", BROKEN);
    write(root, ".gitignore", "build/\n");
    // .gitignore applies in a git work tree, as in git itself.
    std::fs::create_dir(root.join(".git")).expect("mkdir .git");
    dir
}

#[test]
fn a_directory_lints_its_policies_and_counts_what_it_skips() {
    let repo = repository();
    let (code, stdout, stderr) = cpl_in(repo.path(), &["lint", "--format", "concise", "."]);
    assert_eq!(code, 1, "{stderr}");
    // Only the broken policy has a finding; the ignored copy in build/ is not read.
    assert_eq!(
        stdout,
        "./policies/broken.yaml:5:27: E101 unexpected `>=`\n"
    );
    // Tests file, workflow, manifest and Helm template skipped; hidden .github too.
    assert!(
        stderr.ends_with(
            "checked 2 files: 1 error, 0 warnings; skipped 3 YAML files that are not policies\n"
        ),
        "{stderr}"
    );
}

#[test]
fn exclude_skips_matching_files() {
    let repo = repository();
    let (code, stdout, stderr) = cpl_in(
        repo.path(),
        &[
            "lint",
            "--format",
            "concise",
            "--exclude",
            "**/broken.yaml",
            ".",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.starts_with("checked 1 file: no problems"),
        "{stderr}"
    );
}

#[test]
fn a_file_named_on_the_command_line_is_always_a_policy() {
    let repo = repository();
    let (code, _, stderr) = cpl_in(repo.path(), &["lint", "deploy/deployment.yaml"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E202"), "{stderr}");
}

#[test]
fn the_shipped_corpus_lints_as_policies_and_a_project() {
    let (code, _, stderr) = common::cpl(&["lint", "corpus"]);
    // The planted parity drifts of corpus/project, found through its cpl.yaml.
    assert_eq!(code, 1);
    assert!(stderr.contains("L371"), "{stderr}");
    assert!(!stderr.contains("unknown key `environments`"), "{stderr}");
    assert!(!stderr.contains("unknown key `cases`"), "{stderr}");
    assert!(
        stderr.ends_with("; skipped 1 YAML file that is not a policy\n"),
        "{stderr}"
    );
}

#[test]
fn json_reports_unreadable_paths_on_stdout() {
    let (code, stdout, stderr) = common::cpl(&["lint", "--format", "json", "no/such/policy.yaml"]);
    assert_eq!(code, 2);
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON document");
    assert_eq!(document["read_errors"][0]["path"], "no/such/policy.yaml");
    assert_eq!(
        document["read_errors"][0]["message"],
        "no such file or directory"
    );
    assert!(
        stderr.contains("cannot read `no/such/policy.yaml`"),
        "{stderr}"
    );
}

#[test]
fn the_human_summary_does_not_contradict_itself() {
    let (code, _, stderr) = common::cpl(&["lint", "no/such/policy.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with("checked 0 files; 1 path could not be read\n"),
        "{stderr}"
    );
    let (code, _, stderr) = common::cpl(&[
        "lint",
        "--deny",
        "warnings",
        "tests/fixtures/lint/err/undotted-attribute-warning.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.ends_with("0 errors, 1 warning (denied)\n"),
        "{stderr}"
    );
}
