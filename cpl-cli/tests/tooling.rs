//! `cpl explain`, `cpl schema` and `cpl completions` on the real binary.

use cpl_syntax::REGISTRY;
use serde_json::Value;

mod common;
use common::cpl;

#[test]
fn explain_prints_the_code_and_its_documentation() {
    let (code, stdout, stderr) = cpl(&["explain", "E201"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    insta::assert_snapshot!(stdout);
    let (_, by_name, _) = cpl(&["explain", "duplicate-key"]);
    let (_, lower_case, _) = cpl(&["explain", "e201"]);
    assert_eq!(by_name, stdout);
    assert_eq!(lower_case, stdout);
    let (code, warning, _) = cpl(&["explain", "W114"]);
    assert_eq!(code, 0);
    assert!(
        warning.starts_with("W114 undotted-attribute (warning)\n"),
        "{warning}"
    );
    // E111's section has no example; its text still comes through.
    let (_, long, _) = cpl(&["explain", "E111"]);
    assert!(long.contains("1 MiB"), "{long}");
}

#[test]
fn explain_an_unknown_code_suggests_one() {
    let (code, stdout, stderr) = cpl(&["explain", "E2O1"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: unknown diagnostic code `E2O1`\n  help: did you mean `E201`?\n"
    );
    let (code, _, stderr) = cpl(&["explain", "unexpected-tokn"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `unexpected-token`?"),
        "{stderr}"
    );
    let (code, _, _) = cpl(&["explain"]);
    assert_eq!(code, 2, "a code or --list is required");
    let (code, _, _) = cpl(&["explain", "E101", "--list"]);
    assert_eq!(code, 2);
}

#[test]
fn explain_list_has_every_code() {
    let (code, stdout, _) = cpl(&["explain", "--list"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), REGISTRY.len(), "{stdout}");
    for (line, code) in lines.iter().zip(REGISTRY) {
        let fields: Vec<&str> = line.split_whitespace().take(3).collect();
        assert_eq!(
            fields,
            [code.code, code.name, code.severity.as_str()],
            "{line}"
        );
        assert!(line.ends_with(code.summary), "{line}");
    }
    // Aligned: every severity starts in the same column.
    let column = |line: &&str| line.find(" error ").or_else(|| line.find(" warning "));
    assert!(
        lines.iter().all(|line| column(line) == column(&lines[0])),
        "{stdout}"
    );
}

/// Replaces the lists of every registry code and name (which grow with each new
/// rule) by a marker, after checking them, so the snapshots show the shape.
fn redact_codes(value: &mut Value) {
    let every_code: Vec<&str> = REGISTRY
        .iter()
        .flat_map(|code| [code.code, code.name])
        .collect();
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(names)) = object.get("enum") {
                if names.first() == Some(&Value::from(REGISTRY[0].code)) {
                    assert_eq!(names, &every_code);
                    object.insert(
                        "enum".to_owned(),
                        Value::from("[every code and name of the registry]"),
                    );
                }
            }
            object.values_mut().for_each(redact_codes);
        }
        Value::Array(items) => items.iter_mut().for_each(redact_codes),
        _ => {}
    }
}

#[test]
fn schema_prints_json_schemas() {
    let (code, policy, stderr) = cpl(&["schema"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let (_, explicit, _) = cpl(&["schema", "policy"]);
    assert_eq!(policy, explicit);
    let policy: Value = serde_json::from_str(&policy).expect("JSON");
    assert_eq!(policy["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(policy["required"], serde_json::json!(["sampling"]));
    let (code, project, _) = cpl(&["schema", "project"]);
    assert_eq!(code, 0);
    let project: Value = serde_json::from_str(&project).expect("JSON");
    // `environments` or `scan` (a project file for `cpl scan` only).
    assert_eq!(project.get("required"), None);
    assert_eq!(
        project["anyOf"],
        serde_json::json!([{"required": ["environments"]}, {"required": ["scan"]}])
    );
    let (mut policy, mut project) = (policy, project);
    redact_codes(&mut policy);
    redact_codes(&mut project);
    insta::assert_json_snapshot!("policy_schema", policy);
    insta::assert_json_snapshot!("project_schema", project);
    let (code, _, _) = cpl(&["schema", "trace"]);
    assert_eq!(code, 2);
}

#[test]
fn completions_for_every_shell() {
    let (code, bash, _) = cpl(&["completions", "bash"]);
    assert_eq!(code, 0);
    for subcommand in ["lint", "replay", "test", "explain", "schema", "completions"] {
        assert!(
            bash.contains(subcommand),
            "bash completion lacks `{subcommand}`"
        );
    }
    // Values of `--format` complete too.
    assert!(bash.contains("sarif"), "{bash}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let (code, script, _) = cpl(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(script.contains("explain"), "{shell}");
    }
    let (code, _, _) = cpl(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [
        &["schema", "policy"][..],
        &["explain", "--list"],
        &["completions", "zsh"],
    ] {
        let (code, stderr) = common::cpl_with_closed_stdout(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
