//! What the documentation shows users works as shown:
//!
//! - every YAML policy in README.md and spec/*.md lints clean under `--deny warnings`,
//!   unless the block is marked as showing findings with a `<!-- finding: L334 -->`
//!   comment on the line before its fence (the codes it must produce);
//! - every diagnostic code mentioned in the docs, help texts and `//!` docs exists
//!   (`E999`/`L999` are the docs' placeholder for a code that does not exist, used to
//!   show E209);
//! - every help text that suggests YAML (`` `when: ...` ``) suggests YAML that loads.

use std::path::{Path, PathBuf};

use cpl_check::parity::{check_parity, EnvironmentPolicy};
use cpl_check::{check_policy, CheckOptions, Target};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and spec/*.md.
fn docs() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut spec: Vec<PathBuf> = std::fs::read_dir(root().join("spec"))
        .expect("spec/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    spec.sort();
    files.extend(spec);
    files
}

/// The ```yaml blocks of a Markdown file: (line of the fence, codes of a
/// `<!-- finding: ... -->` marker on the line before, text).
fn yaml_blocks(markdown: &str) -> Vec<(usize, Vec<String>, String)> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start() == "```yaml" {
            let marker = i
                .checked_sub(1)
                .and_then(|p| lines[p].trim().strip_prefix("<!-- finding:"))
                .and_then(|m| m.strip_suffix("-->"))
                .map(|codes| {
                    codes
                        .split([',', ' '])
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim_start() != "```" {
                end += 1;
            }
            blocks.push((i + 1, marker, lines[start..end].join("\n") + "\n"));
            i = end;
        }
        i += 1;
    }
    blocks
}

#[test]
fn yaml_policy_examples_lint_clean() {
    let mut failures = Vec::new();
    for file in docs() {
        for (line, expected, text) in yaml_blocks(&read(&file)) {
            // Policies only: a block with a `sampling:` section at the top.
            if !text.lines().any(|l| l.starts_with("sampling:")) {
                continue;
            }
            let loaded = cpl_syntax::load_policy(&text);
            let mut found: Vec<String> = loaded
                .diagnostics
                .iter()
                .map(|d| d.code.code.to_owned())
                .collect();
            if let Some(policy) = &loaded.policy {
                found.extend(
                    check_policy(policy, &CheckOptions::for_target(Target::Cpl))
                        .iter()
                        .filter(|d| policy.suppression_for(d).is_none())
                        .map(|d| d.code.code.to_owned()),
                );
            }
            found.sort();
            found.dedup();
            let mut expected = expected;
            expected.sort();
            if found != expected {
                failures.push(format!(
                    "{}:{line}: expected {expected:?}, found {found:?}",
                    file.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `E101`, `L334`, `W114`: a letter and three digits, not inside a longer word.
fn codes_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..bytes.len().saturating_sub(3) {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if matches!(bytes[i], b'E' | b'L' | b'W')
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && (i == 0 || !word(bytes[i - 1]))
            && bytes.get(i + 4).is_none_or(|&b| !word(b))
        {
            out.push(text[i..i + 4].to_owned());
        }
    }
    out
}

/// Rust sources of the crates, whose `//!` docs and help strings users read.
fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
    {
        if entry.is_dir() {
            rust_sources(&entry, out);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            out.push(entry);
        }
    }
}

#[test]
fn every_code_mentioned_exists() {
    let mut files = docs();
    for krate in ["cpl-syntax", "cpl-check", "cpl-eval", "cpl-cli"] {
        rust_sources(&root().join(krate).join("src"), &mut files);
    }
    let mut unknown = Vec::new();
    for file in files {
        let text = read(&file);
        let is_rust = file.extension().is_some_and(|e| e == "rs");
        for (number, line) in text.lines().enumerate() {
            // In Rust: doc comments and string literals (help texts), not test data.
            if is_rust && !(line.trim_start().starts_with("//!") || line.contains('"')) {
                continue;
            }
            for code in codes_in(line) {
                if !code.ends_with("999") && cpl_syntax::find_code(&code).is_none() {
                    unknown.push(format!("{}:{}: {code}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "unknown codes:\n{}", unknown.join("\n"));
}

/// The `` `when: ...` `` suggestions of a help text.
fn when_suggestions(help: &str) -> Vec<&str> {
    help.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("when: "))
        .collect()
}

#[test]
fn suggested_yaml_loads() {
    let mut helps = Vec::new();
    // Parity findings over the shipped project.
    let dir = root().join("corpus/project");
    let project = cpl_syntax::load_project(&read(&dir.join("cpl.yaml")))
        .project
        .expect("corpus/project/cpl.yaml loads");
    let policies: Vec<(String, cpl_syntax::Policy)> = project
        .environments
        .iter()
        .map(|env| {
            let policy = cpl_syntax::load_policy(&read(&dir.join(&env.path.value)))
                .policy
                .expect("environment policy loads");
            (env.name.value.clone(), policy)
        })
        .collect();
    let environments: Vec<EnvironmentPolicy<'_>> = policies
        .iter()
        .map(|(name, policy)| EnvironmentPolicy { name, policy })
        .collect();
    helps.extend(
        check_parity(&project, &environments)
            .into_iter()
            .filter_map(|f| f.diagnostic.help),
    );
    // Lint findings over the check fixtures.
    for entry in std::fs::read_dir(root().join("tests/fixtures/check")).expect("fixtures") {
        let invalid = entry.expect("entry").path().join("invalid.yaml");
        if let Some(policy) = cpl_syntax::load_policy(&read(&invalid)).policy {
            helps.extend(
                check_policy(&policy, &CheckOptions::default())
                    .into_iter()
                    .filter_map(|d| d.help),
            );
        }
    }
    let suggestions: Vec<String> = helps
        .iter()
        .flat_map(|h| when_suggestions(h))
        .map(str::to_owned)
        .collect();
    assert!(
        !suggestions.is_empty(),
        "no help suggests a `when:`; the test reads nothing"
    );
    for suggestion in suggestions {
        let policy = format!(
            "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: pasted\n      {suggestion}\n"
        );
        let loaded = cpl_syntax::load_policy(&policy);
        assert!(
            loaded.policy.is_some(),
            "`{suggestion}` does not load: {:?}",
            loaded.diagnostics
        );
    }
}
