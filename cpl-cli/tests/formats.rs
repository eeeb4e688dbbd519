//! `cpl lint --format human|json|sarif|github` on the real binary: every format of a
//! few fixtures snapshotted, SARIF validated against the official SARIF 2.1.0 schema
//! (tests/data/sarif-schema-2.1.0.json, OASIS), `--deny warnings`, NO_COLOR, and a
//! closed stdout.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;
use common::workspace_root;

/// Fixtures whose every rendering is snapshotted: an expression error, an error after
/// non-ASCII text, an error with a secondary location, and a warning.
const FIXTURES: &[&str] = &[
    "tests/fixtures/lint/err/typo-in-when-operator.yaml",
    "tests/fixtures/lint/err/non-ascii-before-error.yaml",
    "tests/fixtures/lint/err/duplicate-key.yaml",
    "tests/fixtures/lint/err/undotted-attribute-warning.yaml",
];

const FORMATS: &[&str] = &["human", "json", "sarif", "github"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `cpl` from the workspace root, without colour.
fn cpl(args: &[&str]) -> Run {
    let (code, stdout, stderr) = common::cpl(args);
    Run {
        code,
        stdout,
        stderr,
    }
}

/// The tool version is not part of what the snapshots check.
fn redact_version(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    text.replace(
        &format!("\"version\": \"{version}\""),
        "\"version\": \"[version]\"",
    )
    .replace(
        &format!("\"semanticVersion\": \"{version}\""),
        "\"semanticVersion\": \"[version]\"",
    )
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
    )
    .expect("the SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Every way `log` breaks the SARIF 2.1.0 schema.
fn sarif_errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

#[test]
fn every_format_of_each_fixture() {
    for fixture in FIXTURES {
        let mut snapshot = String::new();
        for format in FORMATS {
            let run = cpl(&["lint", "--format", format, fixture]);
            let expected = i32::from(!fixture.contains("warning"));
            assert_eq!(run.code, expected, "{format} {fixture}: {}", run.stderr);
            let _ = write!(
                snapshot,
                "===== {format}: exit {}\n----- stdout\n{}----- stderr\n{}",
                run.code,
                redact_version(&run.stdout),
                run.stderr
            );
        }
        let name = Path::new(fixture)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("name");
        insta::assert_snapshot!(name, snapshot, fixture);
    }
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    let dir = tempfile::tempdir().expect("tempdir");
    let astral = dir.path().join("emoji 😀.yaml");
    std::fs::write(
        &astral,
        "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: smile\n      when: \"name == '😀' AND status_code >>= 500\"\n",
    )
    .expect("write");
    let astral = astral.to_str().expect("utf-8 path");
    let cases: &[&[&str]] = &[
        &["tests/fixtures/lint/err"],
        &["tests/fixtures/lint/ok"],
        &["corpus/policies"],
        FIXTURES,
        &[astral],
        &["does/not/exist.yaml", FIXTURES[0]],
    ];
    for paths in cases {
        let mut args = vec!["lint", "--format", "sarif"];
        args.extend_from_slice(paths);
        let run = cpl(&args);
        let log: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|error| panic!("{paths:?}: {error}\n{}", run.stdout));
        assert_eq!(
            sarif_errors(&validator, &log),
            Vec::<String>::new(),
            "{paths:?}"
        );
        let run_ = &log["runs"][0];
        assert_eq!(run_["columnKind"], "utf16CodeUnits");
        assert_eq!(run_["tool"]["driver"]["name"], "cpl");
        assert_eq!(run_["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
        // Every result names a rule of the driver by id and index.
        let rules = run_["tool"]["driver"]["rules"].as_array().expect("rules");
        for result in run_["results"].as_array().expect("results") {
            let index =
                usize::try_from(result["ruleIndex"].as_u64().expect("index")).expect("usize");
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
    }
    // The whole fixture folder: many rules, every result in it.
    let run = cpl(&["lint", "--format", "sarif", "tests/fixtures/lint/err"]);
    let log: Value = serde_json::from_str(&run.stdout).expect("SARIF");
    assert_eq!(run.code, 1);
    assert!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .len()
            > 10
    );
    // A schema that rejects nothing would prove nothing.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!sarif_errors(&validator, &broken).is_empty());
}

#[test]
fn sarif_and_github_columns_are_utf16_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("emoji.yaml");
    // `😀` is one character but two UTF-16 units.
    std::fs::write(
        &file,
        "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: smile\n      when: \"name == '😀' AND status_code >>= 500\"\n",
    )
    .expect("write");
    let file = file.to_str().expect("utf-8 path");
    let json: Value =
        serde_json::from_str(&cpl(&["lint", "--format", "json", file]).stdout).expect("JSON");
    let sarif: Value =
        serde_json::from_str(&cpl(&["lint", "--format", "sarif", file]).stdout).expect("SARIF");
    let characters = json["diagnostics"][0]["column"].as_u64().expect("column");
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"].as_u64(), Some(characters + 1));
    assert_eq!(region["startLine"], 5);
    let github = cpl(&["lint", "--format", "github", file]).stdout;
    assert!(
        github.contains(&format!(",line=5,col={},", characters + 1)),
        "{github}"
    );
    // An absolute path outside the working directory is a `file:` URI.
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .expect("uri");
    assert!(uri.starts_with("file:///"), "{uri}");
}

#[test]
fn github_annotations_are_one_line_per_finding() {
    let run = cpl(&[
        "lint",
        "--format",
        "github",
        "tests/fixtures/lint/err/several-errors-one-file.yaml",
        "does/not/exist.yaml",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.len() >= 4, "{}", run.stdout);
    assert!(
        lines.iter().all(|line| line.starts_with("::error ")),
        "{}",
        run.stdout
    );
    assert!(
        lines[0].starts_with(
            "::error file=tests/fixtures/lint/err/several-errors-one-file.yaml,line=5,"
        ),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines.last().copied(),
        Some("::error file=does/not/exist.yaml,title=cpl::cannot read `does/not/exist.yaml`: no such file or directory")
    );
    assert!(run.stderr.starts_with("checked 1 file: "), "{}", run.stderr);
}

#[test]
fn deny_warnings_fails_on_warnings_only() {
    let warning = "tests/fixtures/lint/err/undotted-attribute-warning.yaml";
    for format in FORMATS {
        assert_eq!(
            cpl(&["lint", "--format", format, warning]).code,
            0,
            "{format}"
        );
        assert_eq!(
            cpl(&["lint", "--format", format, "--deny", "warnings", warning]).code,
            1,
            "{format}"
        );
    }
    assert_eq!(
        cpl(&["lint", "--deny", "warnings", "corpus/policies"]).code,
        0
    );
    let run = cpl(&["lint", "--deny", "errors", warning]);
    assert_eq!(run.code, 2, "only `warnings` can be denied: {}", run.stderr);
}

#[test]
fn json_keeps_its_shape() {
    let run = cpl(&["lint", "--format", "json", FIXTURES[2]]);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let keys: Vec<&str> = report
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["diagnostics", "errors", "files", "version", "warnings"]
    );
    assert_eq!(report["version"], 1);
}

/// `script` runs the command on a pseudo-terminal, the only way to see colour.
fn on_a_terminal(no_color: Option<&str>) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        return None;
    }
    let command = format!(
        "{} lint {}",
        env!("CARGO_BIN_EXE_cpl"),
        workspace_root().join(FIXTURES[0]).display()
    );
    let mut script = Command::new("script");
    script
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    if let Some(value) = no_color {
        script.env("NO_COLOR", value);
    }
    let output = script.output().expect("run script");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_under_no_color() {
    // Piped (as every other test runs it), even without NO_COLOR: no colour.
    let output = Command::new(env!("CARGO_BIN_EXE_cpl"))
        .args(["lint", FIXTURES[0]])
        .current_dir(workspace_root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run");
    assert!(!output.stderr.contains(&0x1b), "colour on a pipe");
    let Some(coloured) = on_a_terminal(None) else {
        eprintln!("`script` is not installed: the terminal half of this test is skipped");
        return;
    };
    assert!(
        coloured.contains('\u{1b}'),
        "no colour on a terminal: {coloured}"
    );
    let plain = on_a_terminal(Some("1")).expect("script");
    assert!(plain.contains("E101"), "{plain}");
    assert!(
        !plain.contains('\u{1b}'),
        "colour despite NO_COLOR: {plain}"
    );
    // An empty NO_COLOR does not count (no-color.org).
    let empty = on_a_terminal(Some("")).expect("script");
    assert!(empty.contains('\u{1b}'), "{empty}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for format in FORMATS {
        let (code, stderr) = common::cpl_with_closed_stdout(&[
            "lint",
            "--format",
            format,
            "tests/fixtures/lint/err",
            "corpus/policies",
        ]);
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(
            !stderr.to_lowercase().contains("broken pipe"),
            "{format}: {stderr}"
        );
    }
}
