//! `cpl compile --target otel-collector`: the compiled corpus policies and the
//! refusals, as users see them, and the exit codes and output rules.

mod common;

use common::{cpl, workspace_root};

/// Every corpus policy compiles exactly; the snapshot is the whole output.
#[test]
fn corpus_policies_compile() {
    let dir = workspace_root().join("corpus/policies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus/policies")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        let path = format!("corpus/policies/{name}");
        let (code, stdout, stderr) = cpl(&["compile", &path, "--target", "otel-collector"]);
        assert_eq!(code, 0, "{path}: {stderr}");
        assert_eq!(stderr, "", "{path}");
        insta::assert_snapshot!(
            format!("compile_{}", name.trim_end_matches(".yaml")),
            stdout
        );
    }
}

#[test]
fn pipeline_is_a_whole_collector_config() {
    let (code, stdout, stderr) = cpl(&[
        "compile",
        "corpus/policies/quickstart.yaml",
        "--target",
        "otel-collector",
        "--pipeline",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

/// What maps only approximately is refused, positioned, with exit 1 and no output.
#[test]
fn approximations_are_refused() {
    let path = "cpl-cli/tests/data/compile/word_boundary.yaml";
    let (code, stdout, stderr) = cpl(&["compile", path, "--target", "otel-collector"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    insta::assert_snapshot!(stderr);
}

/// `--allow-approximate` compiles them, warns, and writes the warnings as comments.
#[test]
fn approximations_are_allowed_on_request() {
    let path = "cpl-cli/tests/data/compile/word_boundary.yaml";
    let (code, stdout, stderr) = cpl(&[
        "compile",
        path,
        "--target",
        "otel-collector",
        "--allow-approximate",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("W500(approximate-word-boundary)"),
        "{stderr}"
    );
    assert!(stderr.contains("W501(approximate-crlf-anchor)"), "{stderr}");
    let header: Vec<&str> = stdout.lines().take_while(|l| l.starts_with('#')).collect();
    insta::assert_snapshot!(header.join("\n"));
}

/// `-o` writes the file and nothing to stdout; a file that cannot be written is exit
/// 2 and leaves nothing behind.
#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ts.yaml");
    let out_text = out.to_string_lossy().into_owned();
    let args = [
        "compile",
        "corpus/policies/demo.yaml",
        "--target",
        "otel-collector",
    ];
    let (code, stdout, stderr) = cpl(&[&args[..], &["-o", &out_text]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    let (_, expected, _) = cpl(&args);
    assert_eq!(std::fs::read_to_string(&out).expect("written"), expected);

    let missing = dir.path().join("no/such/dir/ts.yaml");
    let missing_text = missing.to_string_lossy().into_owned();
    let (code, _, stderr) = cpl(&[&args[..], &["-o", &missing_text]].concat());
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(!missing.exists());
    // Only the first output file: no temporary file was left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn usage_and_invalid_policies_exit_2() {
    let (code, _, stderr) = cpl(&["compile", "corpus/policies/demo.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--target"), "{stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "sampling:\n  base_rate: 2\n").expect("write");
    let (code, stdout, _) = cpl(&[
        "compile",
        &bad.to_string_lossy(),
        "--target",
        "otel-collector",
    ]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
}
