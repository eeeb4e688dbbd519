//! `cpl replay --html` and `cpl diff --traces --html` on the real binary, and the page
//! loaded in a real browser (headless Chromium): no console message, the JSON report's
//! figures in its DOM, screenshots at a desktop and a phone width written to
//! `target/html-report/` for review. Without Chromium the browser part is skipped
//! loudly, and fails when `CPL_REQUIRE_CHROMIUM` is set (`.ci/run` sets it).

mod common;

use std::path::{Path, PathBuf};

use common::{cpl, workspace_root};
use cpl_tests::browser;

const POLICY: &str = "corpus/policies/demo.yaml";
const AFTER: &str = "corpus/policies/modern.yaml";
const CAPTURE: &str = "corpus/traces/shop.jsonl";

/// Where the pages and screenshots are kept for review.
fn review_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("html-report");
    std::fs::create_dir_all(&dir).expect("target/html-report");
    dir
}

/// The text of an HTML document: what is between tags, split into words.
fn words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split(|c: char| c.is_whitespace() || "(),:;$".contains(c))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every number of a JSON report that the page shows, with its path (the format's
/// version and the histogram's bounds, shown as `1ms`, `2ms`..., are not figures).
fn figures(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Number(n) if path != ".version" && !path.contains("bounds_ms") => {
            out.push((path.to_owned(), n.to_string()));
        }
        serde_json::Value::Array(items) => {
            for (at, item) in items.iter().enumerate() {
                figures(item, &format!("{path}[{at}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                figures(item, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

fn assert_figures_shown(json: &serde_json::Value, html: &str, what: &str) {
    let words = words(html);
    let mut all = Vec::new();
    figures(json, "", &mut all);
    assert!(all.len() > 20, "{} figures", all.len());
    for (path, figure) in &all {
        assert!(
            words.iter().any(|word| word == figure),
            "{what}: {path} = {figure} is not in the page's text"
        );
    }
}

/// Loads `page` in Chromium: no console message, the figures in the DOM, and
/// screenshots `<stem>-desktop.png` (1280 wide) and `<stem>-phone.png` (390 wide).
fn check_in_chromium(page: &Path, json: &serde_json::Value, stem: &str) {
    let Some(chromium) = browser::chromium() else {
        return;
    };
    let run = browser::run(&chromium, page, &["--dump-dom"]).expect("chromium loads the page");
    assert_eq!(
        run.console(),
        Vec::<&str>::new(),
        "console messages from {}",
        page.display()
    );
    assert!(run.stdout.contains("</html>"), "no DOM: {}", run.stderr);
    assert_figures_shown(json, &run.stdout, "the DOM");
    for (name, size) in [("desktop", (1280, 3600)), ("phone", (390, 5200))] {
        let png = review_dir().join(format!("{stem}-{name}.png"));
        let _ = std::fs::remove_file(&png);
        let run = browser::screenshot(&chromium, page, &png, size).expect("a screenshot");
        assert!(run.console().is_empty(), "{:?}", run.console());
        let bytes = std::fs::read(&png).expect("the screenshot is written");
        assert!(bytes.starts_with(b"\x89PNG"), "{} is no PNG", png.display());
    }
}

#[test]
fn replay_html_holds_the_json_figures_and_loads_cleanly_in_chromium() {
    let page = review_dir().join("replay.html");
    let (code, _, stderr) = cpl(&[
        "replay",
        POLICY,
        CAPTURE,
        "--format",
        "json",
        "--html",
        page.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = cpl(&["replay", "--format", "json", POLICY, CAPTURE]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("the JSON report");
    let html = std::fs::read_to_string(&page).expect("the page is written");
    assert!(
        html.contains(POLICY) && html.contains(CAPTURE),
        "names the inputs"
    );
    assert_figures_shown(&json, &html, "the page");
    check_in_chromium(&page, &json, "replay");
}

#[test]
fn diff_html_holds_both_replays_figures_and_loads_cleanly_in_chromium() {
    let page = review_dir().join("diff.html");
    let path = page.to_str().expect("a UTF-8 path");
    let (code, _, stderr) = cpl(&["diff", POLICY, AFTER, "--traces", CAPTURE, "--html", path]);
    assert_eq!(code, 1, "the policies differ: {stderr}");
    let html = std::fs::read_to_string(&page).expect("the page is written");
    assert!(html.contains(POLICY) && html.contains(AFTER) && html.contains(CAPTURE));
    let (_, stdout, _) = cpl(&[
        "diff", POLICY, AFTER, "--traces", CAPTURE, "--format", "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("the JSON diff");
    // The measured impact's figures; the rest of the diff is about the policies' text.
    let impact = json.get("impact").expect("an impact").clone();
    assert_figures_shown(&impact, &html, "the diff page");
    check_in_chromium(&page, &impact, "diff");
}

#[test]
fn an_html_file_that_cannot_be_written_is_an_io_failure_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // A directory where the file should go: the rename fails after the page is written.
    let blocked = dir.path().join("report.html");
    std::fs::create_dir(&blocked).expect("mkdir");
    let missing = dir.path().join("no-such-dir").join("report.html");
    for target in [&blocked, &missing] {
        let (code, stdout, stderr) = cpl(&[
            "replay",
            POLICY,
            CAPTURE,
            "--html",
            target.to_str().expect("UTF-8"),
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stdout.is_empty(),
            "no report after a failed write: {stdout}"
        );
        assert!(stderr.starts_with("error: cannot write `"), "{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("report.html")]);
    assert!(std::fs::read_dir(&blocked).expect("ls").next().is_none());
}

#[test]
fn diff_html_needs_traces() {
    let (code, _, stderr) = cpl(&["diff", POLICY, AFTER, "--html", "x.html"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--traces"), "{stderr}");
    assert!(!workspace_root().join("x.html").exists());
}
