//! `cpl replay COLLECTOR.yaml`: a collector config replayed as `tail_sampling` v0.161.0
//! decides (spec/targets/otel-collector.md §3.5).

mod common;
use common::cpl;

const CONFIG: &str = "cpl-cli/tests/data/collector/shop.yaml";
const TRACES: &str = "corpus/traces/shop.jsonl";

#[test]
fn every_processor_is_replayed_in_file_order() {
    let (code, stdout, stderr) = cpl(&["replay", CONFIG, TRACES]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, json, _) = cpl(&["replay", CONFIG, TRACES, "--format", "json"]);
    assert_eq!(code, 0);
    let reports: serde_json::Value = serde_json::from_str(&json).expect("json");
    let processors: Vec<&str> = reports
        .as_array()
        .expect("one report per processor")
        .iter()
        .map(|r| r["collector"]["processor"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(processors, ["tail_sampling", "tail_sampling/budget"]);
}

#[test]
fn processor_selects_one_by_name() {
    let (code, json, stderr) = cpl(&[
        "replay",
        CONFIG,
        TRACES,
        "--processor",
        "budget",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let collector = &report["collector"];
    assert_eq!(collector["processor"], "tail_sampling/budget");
    // The rate limiter is never guessed: every trace it could decide is unknown.
    assert_eq!(
        collector["policies"][0]["not_reproducible"],
        report["traces"]["total"]
    );
    let unknown = collector["not_reproducible"].as_u64().expect("count");
    let kept = report["traces"]["kept"].as_u64().expect("count");
    assert_eq!(
        unknown + kept,
        report["traces"]["total"].as_u64().expect("count")
    );

    let (code, _, stderr) = cpl(&["replay", CONFIG, TRACES, "--processor", "nope"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("has no processor `nope`; it has `tail_sampling`, `tail_sampling/budget`"),
        "{stderr}"
    );
    let (code, _, stderr) = cpl(&[
        "replay",
        "corpus/policies/demo.yaml",
        TRACES,
        "--processor",
        "x",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is a CPL policy"), "{stderr}");
}

#[test]
fn the_collector_counts_every_copy_of_a_span() {
    let json = |config: &str| {
        let (code, out, stderr) = cpl(&[
            "replay",
            config,
            TRACES,
            TRACES,
            "--format",
            "json",
            "--processor",
            "tail_sampling",
        ]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&out).expect("json")
    };
    let twice = json(CONFIG);
    let (_, once, _) = cpl(&[
        "replay",
        CONFIG,
        TRACES,
        "--format",
        "json",
        "--processor",
        "tail_sampling",
    ]);
    let once: serde_json::Value = serde_json::from_str(&once).expect("json");
    assert_eq!(
        twice["spans"]["total"].as_u64(),
        once["spans"]["total"].as_u64().map(|n| 2 * n)
    );
    assert_eq!(twice["input"]["duplicate_spans"], 0);
    assert_eq!(twice["traces"]["total"], once["traces"]["total"]);
}

#[test]
fn a_config_the_collector_would_refuse_is_not_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "tail_sampling:\n  policies:\n    - {name: slow, type: latency, latency: {threshold_ms: '${env:SLOW_MS}'}}\n",
    )
    .expect("write");
    let path = path.to_string_lossy().into_owned();
    let (code, stdout, stderr) = cpl(&["replay", &path, TRACES]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("E414"), "{stderr}");
    assert!(
        stderr.contains("`${env:SLOW_MS}` in `tail_sampling.policies[0].latency.threshold_ms` cannot be resolved"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.yaml:3:60]"), "positioned: {stderr}");
}
