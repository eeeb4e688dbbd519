//! One folder of fixtures per rule (tests/fixtures/check/<name>/): `valid.yaml` gives no
//! diagnostic of that rule, `invalid*.yaml` at least one. The snapshots hold every
//! diagnostic of `check_policy` as `line:col code name: message [label] help`, with the
//! secondary labels below. Folders named `clarvynn-*` are checked with
//! `--target clarvynn`.

use std::fmt::Write as _;
use std::path::Path;

use cpl_check::{check_policy, rule_codes, rule_docs, CheckOptions, Target};
use cpl_syntax::{find_code, load_policy, Diagnostic, LineIndex, REGISTRY};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/check");

fn render(source: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(source);
    let mut out = String::new();
    for d in diagnostics {
        let (line, column) = index.line_column(source, d.span.start);
        let _ = write!(
            out,
            "{line}:{column} {} {}: {} [{}]",
            d.code.code, d.code.name, d.message, d.label
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

fn target_for(folder: &str) -> Target {
    if folder.starts_with("clarvynn-") {
        Target::Clarvynn
    } else {
        Target::Cpl
    }
}

#[test]
fn fixtures() {
    insta::glob!("../../tests/fixtures/check", "*/*.yaml", |path: &Path| {
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
        let code = find_code(folder).unwrap_or_else(|| panic!("folder `{folder}` names no rule"));
        let loaded = load_policy(&source);
        let policy = loaded
            .policy
            .unwrap_or_else(|| panic!("{folder}/{file} does not load: {:?}", loaded.diagnostics));
        let diagnostics = check_policy(&policy, &CheckOptions::for_target(target_for(folder)));
        let found = diagnostics
            .iter()
            .filter(|d| d.code.code == code.code)
            .count();
        if file.starts_with("valid") {
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
    });
}

#[test]
fn every_rule_has_fixtures_and_docs() {
    // The rules of check_policy are the L3xx codes below L370, in registry order
    // (L37x are the parity findings of project files, reported by `parity`).
    let lint_codes: Vec<&str> = REGISTRY
        .iter()
        .filter(|c| c.code.starts_with('L') && c.code < "L370")
        .map(|c| c.code)
        .collect();
    let rules: Vec<&str> = rule_codes().map(|c| c.code).collect();
    assert_eq!(
        lint_codes, rules,
        "every lint code of the registry is a rule, in order"
    );
    for code in rule_codes() {
        let folder = Path::new(FIXTURES).join(code.name);
        assert!(
            folder.join("valid.yaml").is_file(),
            "{} has no {}/valid.yaml",
            code.code,
            code.name
        );
        assert!(
            folder.join("invalid.yaml").is_file(),
            "{} has no {}/invalid.yaml",
            code.code,
            code.name
        );
        let docs = rule_docs(code.code).unwrap_or_default();
        assert!(
            docs.contains("**What it finds.**") && docs.contains("**Example.**"),
            "{} docs: {docs}",
            code.code
        );
        assert_eq!(rule_docs(code.name), Some(docs), "docs by name");
    }
    // Load-time codes are explained by spec/diagnostics.md (body only, no heading).
    assert!(rule_docs("E101").is_some_and(|d| !d.is_empty() && !d.starts_with('#')));
}

#[test]
fn the_shipped_corpus_has_no_logic_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/policies");
    for entry in std::fs::read_dir(dir).expect("corpus") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("readable");
        let Some(policy) = load_policy(&source).policy else {
            continue;
        };
        let diagnostics = check_policy(&policy, &CheckOptions::default());
        let errors: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.severity == cpl_syntax::Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            path.display(),
            render(&source, &diagnostics)
        );
    }
}
