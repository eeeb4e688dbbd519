//! One folder of fixtures per collector lint (tests/fixtures/collector-lint/<name>/):
//! `valid*.yaml` reads cleanly and gives no diagnostic of that code, `invalid*.yaml`
//! at least one. The snapshots hold every diagnostic, the collector's own (config
//! reading, OTTL) and the lints', as `line:col code name: message [label] help`, with
//! the secondary labels below.

use std::fmt::Write as _;
use std::path::Path;

use cpl_collector::{config, lint};
use cpl_syntax::{find_code, Diagnostic, LineIndex};

fn render(source: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(source);
    let mut out = String::new();
    for d in diagnostics {
        let (line, column) = index.line_column(source, d.span.start);
        let _ = write!(
            out,
            "{line}:{column} {} {}: {} [{}] `{}`",
            d.code.code,
            d.code.name,
            d.message,
            d.label,
            source.get(d.span.clone()).unwrap_or("?").replace('\n', "⏎")
        );
        if let Some(help) = &d.help {
            let _ = write!(out, " {help}");
        }
        out.push('\n');
        for (span, label) in &d.secondary {
            let (line, column) = index.line_column(source, span.start);
            let _ = writeln!(out, "    {line}:{column} [{label}]");
        }
    }
    out
}

fn diagnostics(source: &str) -> Vec<Diagnostic> {
    let file = config::read(source);
    let mut all = file.diagnostics.clone();
    all.extend(lint::lint_file(source, &file, None));
    all
}

#[test]
fn fixtures() {
    insta::glob!(
        "../../tests/fixtures/collector-lint",
        "*/*.yaml",
        |path: &Path| {
            let source = std::fs::read_to_string(path).expect("fixture is readable");
            let folder = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|name| name.to_str())
                .expect("fixture folder");
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("file name");
            let code =
                find_code(folder).unwrap_or_else(|| panic!("folder `{folder}` names no code"));
            assert!(
                config::recognise(&source).is_some(),
                "{folder}/{file} is not recognised as a collector config"
            );
            let diagnostics = diagnostics(&source);
            let found = diagnostics
                .iter()
                .filter(|d| d.code.code == code.code)
                .count();
            if file.starts_with("valid") {
                assert!(
                    diagnostics.is_empty() || code.code.starts_with('L'),
                    "{folder}/{file} does not read cleanly:\n{}",
                    render(&source, &diagnostics)
                );
                assert_eq!(
                    found,
                    0,
                    "{folder}/{file} has {found} {} diagnostic(s):\n{}",
                    code.code,
                    render(&source, &diagnostics)
                );
            } else {
                assert!(
                    found >= 1,
                    "{folder}/{file} has no {} diagnostic:\n{}",
                    code.code,
                    render(&source, &diagnostics)
                );
            }
            insta::assert_snapshot!(render(&source, &diagnostics));
        }
    );
}

#[test]
fn every_collector_lint_has_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/collector-lint");
    for code in lint::rule_codes() {
        let folder = root.join(code.name);
        assert!(
            folder.join("valid.yaml").exists() && folder.join("invalid.yaml").exists(),
            "{} has no fixtures in {}",
            code.code,
            folder.display()
        );
    }
}
