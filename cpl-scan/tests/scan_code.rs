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

/// Every source file the code scanner reads under `root`, relative paths sorted.
fn source_files(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable corpus folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                if name != "node_modules" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if language_for(&path).is_some() {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, path));
            }
        }
    }
    out.sort();
    out
}

/// The opentelemetry-demo: the load generator's `AlwaysSample`, the Go
/// services' propagators (checkout explicit, product-catalog from its
/// declarative config), the providers built without a sampler (checkout, the
/// chatbot, cart's `WithTracing`, the Node and browser providers), and nothing
/// from comments or strings.
#[test]
fn opentelemetry_demo() {
    let Some(root) = cpl_tests::shared_path("corpus/scan/open-telemetry__opentelemetry-demo")
    else {
        return;
    };
    let files = source_files(&root);
    assert!(files.len() > 100, "the demo tree has its sources");
    let mut out = String::new();
    for (relative, path) in &files {
        let findings = scan_file(path, relative);
        if !findings.is_empty() {
            out.push_str(&render(&findings));
        }
    }
    insta::assert_snapshot!(out);
}

/// opentelemetry-java-examples: `parentBasedBuilder` and samplers built by
/// helper methods (followed within `SamplerConfig.java`, dynamic across files).
#[test]
fn opentelemetry_java_examples() {
    let Some(root) =
        cpl_tests::shared_path("corpus/scan/fixtures/open-telemetry__opentelemetry-java-examples")
    else {
        return;
    };
    let mut out = String::new();
    for (relative, path) in source_files(&root) {
        let findings = render(&scan_file(&path, &relative));
        let _ = write!(out, "== {relative}\n{findings}");
    }
    insta::assert_snapshot!(out);
}
