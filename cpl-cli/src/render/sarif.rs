//! `--format sarif`: a SARIF 2.1.0 log that GitHub code scanning accepts.
//!
//! One run; `tool.driver.rules` holds one reporting descriptor per code that occurs
//! (in registry order), and each result points at its rule by id and index. Regions
//! are 1-based lines and UTF-16 columns, SARIF's default column unit, which the run
//! states with `columnKind`. Paths are relative to `%SRCROOT%` (the repository root
//! when `cpl` runs there), with forward slashes. GitHub's limits are respected:
//! at most 25 000 results per run and 1 000 locations per result.

use std::fmt::Write as _;
use std::path::Path;

use cpl_syntax::{Code, Diagnostic, LineIndex, Severity, REGISTRY};
use serde_json::{json, Value};

use super::columns::utf16_line_column;
use super::docs::long_text;
use super::paths::artifact_uri;
use super::{read_error_message, FileReport, Output};
use crate::input::InputError;

/// GitHub code scanning rejects a run with more results.
const MAX_RESULTS: usize = 25_000;
/// GitHub code scanning rejects a result with more locations.
const MAX_RELATED_LOCATIONS: usize = 1_000;

/// The SARIF log of `files` on stdout; unreadable paths become tool notifications
/// (and a line on stderr).
pub(crate) fn render(files: &[FileReport], read_errors: &[InputError]) -> Output {
    let cwd = std::env::current_dir().ok();
    let log = log(files, read_errors, cwd.as_deref());
    let mut stderr = String::new();
    for error in read_errors {
        let _ = writeln!(stderr, "error: {}", read_error_message(error));
    }
    Output {
        stdout: format!("{log:#}\n"),
        stderr,
    }
}

fn log(files: &[FileReport], read_errors: &[InputError], cwd: Option<&Path>) -> Value {
    let rules = rules(files);
    let mut results = Vec::new();
    let mut notifications: Vec<Value> = read_errors
        .iter()
        .map(|error| {
            let uri = artifact_uri(&error.name, cwd);
            json!({
                "level": "error",
                "message": { "text": read_error_message(error) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact_location(&uri) } }],
            })
        })
        .collect();
    'files: for file in files {
        let lines = LineIndex::new(&file.source);
        let uri = artifact_uri(&file.name, cwd);
        for diagnostic in &file.diagnostics {
            if results.len() == MAX_RESULTS {
                notifications.push(json!({
                    "level": "warning",
                    "message": { "text": format!("only the first {MAX_RESULTS} findings are in this log") },
                }));
                break 'files;
            }
            let index = rules
                .iter()
                .position(|rule| rule.code == diagnostic.code.code)
                .unwrap_or_default();
            results.push(result(diagnostic, index, &file.source, &lines, &uri));
        }
    }

    let mut driver = json!({
        "name": "cpl",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules.iter().map(|rule| descriptor(rule)).collect::<Vec<_>>(),
    });
    let information_uri = env!("CARGO_PKG_REPOSITORY");
    if !information_uri.is_empty() {
        driver["informationUri"] = json!(information_uri);
    }
    let mut invocation = json!({ "executionSuccessful": read_errors.is_empty() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [invocation],
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    })
}

/// The codes that occur, in registry order (codes outside it last, by code).
fn rules(files: &[FileReport]) -> Vec<&'static Code> {
    let mut codes: Vec<&'static Code> = Vec::new();
    for diagnostic in files.iter().flat_map(|file| &file.diagnostics) {
        if !codes.iter().any(|code| code.code == diagnostic.code.code) {
            codes.push(diagnostic.code);
        }
    }
    let rank = |code: &Code| {
        let position = REGISTRY.iter().position(|known| known.code == code.code);
        (position.unwrap_or(usize::MAX), code.code)
    };
    codes.sort_by(|a, b| rank(a).cmp(&rank(b)));
    codes
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn descriptor(code: &Code) -> Value {
    let mut rule = json!({
        "id": code.code,
        "name": code.name,
        "shortDescription": { "text": code.summary },
        "defaultConfiguration": { "level": level(code.severity) },
    });
    if let Some(text) = long_text(code) {
        let first_paragraph = text.split("\n\n").next().unwrap_or_default();
        rule["fullDescription"] = json!({ "text": first_paragraph });
        rule["help"] = json!({ "text": text, "markdown": text });
    }
    rule
}

fn artifact_location(uri: &super::paths::ArtifactUri) -> Value {
    let mut location = json!({ "uri": uri.uri });
    if let Some(base) = uri.base {
        location["uriBaseId"] = json!(base);
    }
    location
}

fn region(source: &str, lines: &LineIndex, span: &std::ops::Range<usize>) -> Value {
    let (start_line, start_column) = utf16_line_column(lines, source, span.start);
    let (end_line, end_column) = utf16_line_column(lines, source, span.end.max(span.start));
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn result(
    diagnostic: &Diagnostic,
    rule_index: usize,
    source: &str,
    lines: &LineIndex,
    uri: &super::paths::ArtifactUri,
) -> Value {
    let location = |span: &std::ops::Range<usize>, label: &str| {
        json!({
            "physicalLocation": {
                "artifactLocation": artifact_location(uri),
                "region": region(source, lines, span),
            },
            "message": { "text": label },
        })
    };
    let text = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let mut result = json!({
        "ruleId": diagnostic.code.code,
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": text },
        "locations": [location(&diagnostic.span, &diagnostic.label)],
    });
    if !diagnostic.secondary.is_empty() {
        let related: Vec<Value> = diagnostic
            .secondary
            .iter()
            .take(MAX_RELATED_LOCATIONS)
            .enumerate()
            .map(|(id, (span, label))| {
                let mut related = location(span, label);
                related["id"] = json!(id + 1);
                related
            })
            .collect();
        result["relatedLocations"] = json!(related);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpl_syntax::codes;

    fn report(source: &str, diagnostics: Vec<Diagnostic>) -> FileReport {
        FileReport {
            suppressed: Vec::new(),
            name: "/repo/policies/a.yaml".to_owned(),
            source: source.to_owned(),
            diagnostics,
        }
    }

    #[test]
    fn results_point_at_rules_and_utf16_regions() {
        let source = "# 😀\nsampling:\n  bse_rate: 0.1\n";
        let at = source.find("bse_rate").expect("key");
        let files = [report(
            source,
            vec![
                Diagnostic::new(&codes::UNDOTTED_ATTRIBUTE, "w", 0..1, "here"),
                Diagnostic::new(&codes::UNKNOWN_KEY, "unknown key", at..at + 8, "not a key")
                    .with_help("did you mean `base_rate`?")
                    .with_secondary(2..6, "the emoji"),
            ],
        )];
        let log = log(&files, &[], Some(Path::new("/repo")));
        let run = &log["runs"][0];
        // Registry order: W114 (an expression warning) before E202.
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "W114");
        assert_eq!(run["tool"]["driver"]["rules"][1]["id"], "E202");
        let result = &run["results"][1];
        assert_eq!(result["ruleIndex"], 1);
        assert_eq!(result["level"], "error");
        assert_eq!(
            result["message"]["text"],
            "unknown key\nhelp: did you mean `base_rate`?"
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "policies/a.yaml");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(
            location["region"],
            json!({"startLine": 3, "startColumn": 3, "endLine": 3, "endColumn": 11})
        );
        // The emoji is two UTF-16 units: `# 😀` ends at column 5.
        assert_eq!(
            result["relatedLocations"][0]["physicalLocation"]["region"],
            json!({"startLine": 1, "startColumn": 3, "endLine": 1, "endColumn": 5})
        );
        assert_eq!(run["results"][0]["level"], "warning");
    }
}
