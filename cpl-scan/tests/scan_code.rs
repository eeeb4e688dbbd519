//! The SDK code scanner on fixtures of every language (one construct each, in
//! `tests/fixtures/scan-code/<lang>/`), snapshotted with insta, and on the
//! public repositories of `../shared/corpus/scan`.

use cpl_scan::code::{language_for, scan_source, CodeFinding};
use std::fmt::Write as _;
use std::path::Path;

fn render(findings: &[CodeFinding]) -> String {
    let mut out = String::new();
    for f in findings {
        let json = serde_json::to_string(&f.kind).expect("findings serialize");
        let _ = writeln!(
            out,
            "{}:{}:{} {json}",
            f.location.path, f.location.line, f.location.column
        );
    }
    out
}

fn scan_file(path: &Path, shown_as: &str) -> Vec<CodeFinding> {
    let language = language_for(path).expect("a source file");
    let bytes = std::fs::read(path).expect("fixture readable");
    scan_source(shown_as, language, &bytes)
}

/// Every fixture of one language folder, each with its findings, as one snapshot.
fn fixtures(lang: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scan-code")
        .join(lang);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut out = String::new();
    for file in files {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let findings = scan_file(&file, &name);
        let _ = writeln!(out, "== {name}\n{}", render(&findings));
    }
    out
}

#[test]
fn go_fixtures() {
    insta::assert_snapshot!(fixtures("go"));
}

#[test]
fn python_fixtures() {
    insta::assert_snapshot!(fixtures("python"));
}

#[test]
fn java_fixtures() {
    insta::assert_snapshot!(fixtures("java"));
}

#[test]
fn javascript_fixtures() {
    insta::assert_snapshot!(fixtures("js"));
}

#[test]
fn typescript_fixtures() {
    insta::assert_snapshot!(fixtures("ts"));
}

#[test]
fn csharp_fixtures() {
    insta::assert_snapshot!(fixtures("csharp"));
}
