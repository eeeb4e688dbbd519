//! `cpl replay` on OTLP protobuf: the same report as for the same traces in
//! JSON (every figure but the byte counts and costs, which measure the input's
//! own encoding, and the input's document and file counts), compression told by
//! the bytes on files and stdin, and bad input with positions and exit codes.

mod common;
use std::io::Write;
use std::process::{Command, Stdio};

use common::{cpl, workspace_root};

const POLICY: &str = "corpus/policies/demo.yaml";

/// The report with what depends on the encoding removed.
fn comparable(json: &str) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !k.contains("bytes") && !k.starts_with("cost"));
                map.remove("input");
                // The cost extrapolation is a share of bytes.
                map.remove("savings");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(json).expect("JSON report");
    strip(&mut value);
    value
}

fn report(inputs: &[&str]) -> serde_json::Value {
    let mut args = vec!["replay", "--format", "json", POLICY];
    args.extend_from_slice(inputs);
    let (code, stdout, stderr) = cpl(&args);
    assert_eq!(code, 0, "{inputs:?}: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    comparable(&stdout)
}

fn shop_lines(n: usize) -> String {
    let text =
        std::fs::read_to_string(workspace_root().join("corpus/traces/shop.jsonl")).expect("corpus");
    text.lines().take(n).flat_map(|l| [l, "\n"]).collect()
}

#[test]
fn real_producers_protobuf_gives_the_json_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json20 = dir.path().join("shop20.jsonl");
    std::fs::write(&json20, shop_lines(20)).expect("write");
    let json5 = dir.path().join("shop5.jsonl");
    std::fs::write(&json5, shop_lines(5)).expect("write");
    let expected20 = report(&[json20.to_str().expect("utf-8")]);
    let fe = "tests/fixtures/otlp-proto/fileexporter";
    for file in ["shop20.pb.zst", "shop20-native.pb.zst", "shop20.json.zst"] {
        assert_eq!(report(&[&format!("{fe}/{file}")]), expected20, "{file}");
    }
    assert_eq!(
        report(&[&format!("{fe}/shop5.pb")]),
        report(&[json5.to_str().expect("utf-8")])
    );
    let bodies: Vec<String> = (0..6)
        .map(|i| format!("tests/fixtures/otlp-proto/otlp_http/body-{i:02}.pb.gz"))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    assert_eq!(report(&bodies), expected20);
}

#[test]
fn shipped_capture_converted_to_protobuf_gives_the_same_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut records = Vec::new();
    for line in shop_lines(usize::MAX).lines() {
        let spans = cpl_otlp::decode_document(line.as_bytes()).expect("corpus decodes");
        let message = cpl_otlp::encode_traces_data(&spans);
        records.extend_from_slice(&u32::try_from(message.len()).expect("len").to_be_bytes());
        records.extend_from_slice(&message);
    }
    let path = dir.path().join("shop.bin");
    std::fs::write(&path, &records).expect("write");
    let (code, stdout, stderr) = cpl(&[
        "replay",
        "--format",
        "json",
        POLICY,
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let full: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(full["bytes"]["total"].as_u64(), Some(records.len() as u64));
    assert_eq!(comparable(&stdout), report(&["corpus/traces/shop.jsonl"]));
}

fn cpl_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpl"))
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cpl");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer").ok();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn compressed_stdin_is_decompressed() {
    let shop = std::fs::read(workspace_root().join("corpus/traces/shop.jsonl")).expect("corpus");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&shop).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let expected = report(&["corpus/traces/shop.jsonl"]);
    for input in [gz, zstd::encode_all(shop.as_slice(), 1).expect("zstd")] {
        let (code, stdout, stderr) =
            cpl_stdin(&["replay", "--format", "json", POLICY, "-"], &input);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        assert_eq!(comparable(&stdout), expected);
    }
    // A protobuf body on stdin.
    let body =
        std::fs::read(workspace_root().join("tests/fixtures/otlp-proto/otlp_http/body-03.pb.gz"))
            .expect("fixture");
    let (code, _, stderr) = cpl_stdin(&["replay", POLICY, "-"], &body);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn bad_protobuf_input_is_positioned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture =
        std::fs::read(workspace_root().join("tests/fixtures/otlp-proto/fileexporter/shop5.pb"))
            .expect("fixture");
    let cut = dir.path().join("cut.pb");
    std::fs::write(&cut, &fixture[..fixture.len() - 100]).expect("write");
    let empty = dir.path().join("empty.pb");
    std::fs::write(&empty, b"").expect("write");
    // The records before the cut are read: a report of them, and exit 1.
    let (code, stdout, stderr) = cpl(&["replay", POLICY, cut.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.is_empty(), "the report covers the rest");
    assert!(
        stderr.contains("the record's length prefix says"),
        "{stderr}"
    );
    // Nothing at all is read from an empty file: no report, exit 2.
    let (code, stdout, stderr) = cpl(&["replay", POLICY, empty.to_str().expect("utf-8")]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(
        stderr.contains(": byte 0: the input is empty\n"),
        "{stderr}"
    );
}
