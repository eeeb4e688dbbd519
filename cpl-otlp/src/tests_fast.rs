//! The single-pass path (`fast`) against the serde decoder it stands in for: on
//! every document it accepts, the spans are the serde decoder's, byte shares
//! included, with only the attributes [`AttributeKeys`] does not keep left out; it
//! accepts the real captures whole; and on random and mutated documents it never
//! accepts what the serde decoder refuses.

use proptest::prelude::*;

use crate::decode::decode_document_serde;
use crate::fast;
use crate::keys::kept_only;
use crate::tests_detail::{group, to_json};
use crate::{AttributeKeys, Fidelity, Leniency, Span};

/// The serde decoder's spans, strictly, at `Fidelity::Policy`.
fn serde(text: &[u8]) -> Option<Vec<Span>> {
    let mut out = Vec::new();
    decode_document_serde(text, &mut out, Leniency::Strict, Fidelity::Policy).ok()?;
    Some(out)
}

/// The single-pass path's spans, if it takes the document.
fn single_pass(text: &[u8], keys: &AttributeKeys) -> Option<Vec<Span>> {
    let json = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut out = Vec::new();
    let n = fast::decode(json, text.len() - json.len(), &mut out, keys).ok()?;
    assert_eq!(n, out.len());
    Some(out)
}

fn key_choices() -> [AttributeKeys; 3] {
    [
        AttributeKeys::all(),
        AttributeKeys::only(["http.route", "a", "b.c", "x"], ["service.name"]),
        AttributeKeys::only(Vec::<String>::new(), Vec::<String>::new()),
    ]
}

/// Whether the single-pass path took `text`; panics if what it gave differs from
/// the serde decoder's spans.
fn agrees(text: &[u8]) -> bool {
    let mut took = false;
    for keys in key_choices() {
        if let Some(spans) = single_pass(text, &keys) {
            took = true;
            let expected = serde(text).unwrap_or_else(|| {
                panic!(
                    "the single pass took a document the serde decoder refuses: {}",
                    String::from_utf8_lossy(text)
                )
            });
            assert_eq!(
                spans,
                kept_only(&expected, &keys),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }
    took
}

#[test]
fn hand_written_documents() {
    let ok = [
        r#"{"resourceSpans":[]}"#,
        r#" {"resourceSpans":[{}]} "#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","parentSpanId":"","kind":2,"startTimeUnixNano":1,"endTimeUnixNano":"18446744073709551615","status":{"code":2,"message":"m"},"attributes":[{"key":"a","value":{"stringValue":"x\"y\u00e9\ud83d\ude00"}},{"key":"b.c","value":{"intValue":"-9223372036854775808"}},{"key":"x","value":{"doubleValue":-1.5e-3}},{"key":"n","value":{"kvlistValue":{"values":[{"key":"k","value":{"arrayValue":{"values":[{"boolValue":false},{}]}}}]}}},{"key":"y","value":{"bytesValue":"AQID"}}]}]}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}],"droppedAttributesCount":0}}]}"#,
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"0000000000000000\",\"name\":\"caf\u{e9} \\\\ \\/\",\"events\":[{\"name\":\"e\"}],\"links\":[],\"traceState\":\"a=b\",\"flags\":1}]}]}]}\r\n",
    ];
    for text in ok {
        assert!(agrees(text.as_bytes()), "not taken: {text}");
    }
    let left_to_serde = [
        // Dialects, nulls, duplicates, enum names, unusual numbers, escaped keys.
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ="}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"trace_id":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":null}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","name":"b"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","kind":"SPAN_KIND_SERVER"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","startTimeUnixNano":1e3}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","sp\u0061nId":"eee19b7ec3c1b174"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"a","value":{"stringValue":"x","intValue":"1"}}]}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"a","value":{"stringValue":"\ud800"}}]}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000000","spanId":"eee19b7ec3c1b174"}]}]}]}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"eee19b7ec3c1b174"}]}]}]}"#,
        r#"{"resourceSpans":[],"extra":1}"#,
        r#"{"resourceLogs":[]}"#,
        r#"{"resourceSpans":[]} x"#,
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"\u{1}\"}]}]}]}",
    ];
    for text in left_to_serde {
        assert!(!agrees(text.as_bytes()), "taken: {text}");
    }
    // Invalid UTF-8 in a field the serde decoder skips unread: it accepts; this path
    // leaves the document to it.
    let mut bytes = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","traceState":"?"}]}]}]}"#.to_vec();
    let at = bytes.iter().position(|&b| b == b'?').expect("marker");
    bytes[at] = 0xff;
    assert!(!agrees(&bytes));
}

#[test]
fn nesting_beyond_the_limit_is_left_to_serde() {
    let deep = |n: usize| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{{"key":"a","value":{}{}}}]}}]}}]}}]}}"#,
            r#"{"arrayValue":{"values":["#.repeat(n),
            "{}".to_owned() + &"]}}".repeat(n),
        )
    };
    assert!(agrees(deep(5).as_bytes()));
    for n in [40, 60, 200] {
        let text = deep(n);
        assert!(!agrees(text.as_bytes()), "depth {n}");
    }
}

/// The repository's own capture and the shared real-SDK capture are taken whole.
#[test]
fn real_captures_are_taken_whole_and_agree() {
    let mut files = vec![cpl_tests::workspace_root().join("corpus/traces/shop.jsonl")];
    match cpl_tests::shared_path("corpus/generated/traces-small.jsonl") {
        Some(path) => files.push(path),
        None => eprintln!("SKIPPED: ../shared/corpus/generated/traces-small.jsonl is absent"),
    }
    for path in files {
        let text = std::fs::read(&path).expect("readable");
        let mut lines = 0;
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            assert!(
                agrees(line),
                "{} line {} not taken",
                path.display(),
                lines + 1
            );
            lines += 1;
        }
        assert!(lines > 0, "{}", path.display());
    }
}

/// The collector's own file exporter (`format: json`, `compression: zstd`, written by
/// `tests/producers/run.sh`): every record it wrote is taken whole.
#[test]
fn the_collector_file_exporter_json_is_taken_whole() {
    let path =
        cpl_tests::workspace_root().join("tests/fixtures/otlp-proto/fileexporter/shop20.json.zst");
    let mut reader = crate::open(&path).expect("readable");
    let mut records = 0;
    while let Some(raw) = reader.next_raw() {
        let raw = raw.expect("a record");
        assert!(agrees(&raw.bytes), "record {} not taken", records + 1);
        records += 1;
    }
    assert!(records > 0);
}

/// Every public corpus document: whatever the single pass takes, it agrees on.
#[test]
fn public_corpus_agrees() {
    let Some(dir) = cpl_tests::shared_path("corpus/public") else {
        eprintln!("SKIPPED: ../shared/corpus/public is absent");
        return;
    };
    let mut taken = 0;
    let mut entries = Vec::new();
    let mut dirs = vec![dir];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "jsonl")
            {
                entries.push(path);
            }
        }
    }
    entries.sort();
    for path in entries {
        let text = std::fs::read(&path).expect("readable");
        if agrees(&text) {
            taken += 1;
        }
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if agrees(line) {
                taken += 1;
            }
        }
    }
    eprintln!("the single pass took {taken} public documents");
    assert!(taken > 0, "the single pass took no public document");
}

/// Bytes a mutation writes: the JSON grammar's and a few that break it.
const MUTATION_BYTES: &[u8] = b"\"\\{}[],:-.0123456789eE+ tfnlux\x00\x1f\xff\xc3";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_are_taken_and_agree(groups in proptest::collection::vec(group(), 1..3)) {
        let (text, _) = to_json(&groups);
        prop_assert!(agrees(text.as_bytes()), "not taken: {}", text);
    }

    #[test]
    fn mutated_documents_agree_or_are_left_to_serde(
        groups in proptest::collection::vec(group(), 1..2),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<prop::sample::Index>()), 1..4),
    ) {
        let (text, _) = to_json(&groups);
        let mut bytes = text.into_bytes();
        for (at, op, pick) in edits {
            let i = at.index(bytes.len() + 1);
            let b = MUTATION_BYTES[pick.index(MUTATION_BYTES.len())];
            match op {
                0 => bytes.truncate(i),
                1 if i < bytes.len() => bytes[i] = b,
                2 => bytes.insert(i, b),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        agrees(&bytes);
    }
}

/// One document of `n` `resourceSpans` entries, each `{"resource":...}` first, the
/// scope of every `trap`-th one holding an unknown field whose value looks like an
/// entry's start (where a guessed cut may land).
fn many_entries(n: usize, trap: usize) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            let scope = if trap > 0 && i % trap == 0 {
                r#""scope":{"name":"s","x":[{"resource":{}},{"resource":1}]},"#
            } else {
                ""
            };
            format!(
                concat!(
                    r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc{}"}}}}]}},"#,
                    r#""scopeSpans":[{{{}"spans":[{{"traceId":"5b8efff798038103d269b633813f{:04x}","#,
                    r#""spanId":"eee19b7ec3c1b174","name":"GET /{}","kind":2,"startTimeUnixNano":"1","#,
                    r#""endTimeUnixNano":"2","attributes":[{{"key":"a","value":{{"stringValue":"{}"}}}}]}}]}}]}}"#
                ),
                i % 7,
                scope,
                i % 0x10000,
                i,
                "v".repeat(i % 50)
            )
        })
        .collect();
    format!(r#"{{"resourceSpans":[{}]}}"#, entries.join(","))
}

#[test]
fn large_documents_are_decoded_in_pieces_that_agree() {
    let text = many_entries(30_000, 0);
    assert!(text.len() > super::fast::SPLIT_BYTES, "{}", text.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("a pool");
    pool.install(|| {
        assert!(super::fast::split(text.as_bytes()).len() > 3);
        assert!(agrees(text.as_bytes()));
        // Guesses landing inside a scope's unknown field are caught, and the
        // document is decoded on one thread instead, with the same spans.
        let trapped = many_entries(30_000, 1);
        assert!(agrees(trapped.as_bytes()));
        // A piece that fails for a real problem still leaves the document to serde.
        let broken = text.replacen(r#""kind":2"#, r#""kind":9"#, 25_000);
        assert!(!agrees(broken.as_bytes()));
    });
    // On one thread, the same spans.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let split = pool.install(|| single_pass(text.as_bytes(), &AttributeKeys::all()));
    let whole = one.install(|| single_pass(text.as_bytes(), &AttributeKeys::all()));
    assert_eq!(split, whole);
}

#[test]
fn every_stop_byte_at_every_position_of_a_string() {
    // Strings are scanned 16 bytes at a time: a quote, backslash or control byte at
    // each position of the first, second and third window (and the bytes around
    // the control range, which must not stop the scan) agree with serde.
    let bytes: [&[u8]; 9] = [
        b"\\\"",
        b"\\\\",
        b"\\n",
        b"\n",
        b"\x1f",
        b"\x00",
        b" ",
        b"\x7f",
        "\u{e9}".as_bytes(),
    ];
    for position in 0..40 {
        for stop in bytes {
            let mut value = b"a".repeat(position);
            value.extend_from_slice(stop);
            value.extend_from_slice(b"tail");
            for field in ["name", "value"] {
                let mut text = Vec::new();
                let quoted = [b"\"".as_slice(), &value, b"\""].concat();
                let span_json = if field == "name" {
                    [
                        br#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"#.as_slice(),
                        &quoted,
                        b"}",
                    ]
                    .concat()
                } else {
                    [
                        br#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"a","value":{"stringValue":"#.as_slice(),
                        &quoted,
                        b"}}]}",
                    ]
                    .concat()
                };
                text.extend_from_slice(br#"{"resourceSpans":[{"scopeSpans":[{"spans":["#);
                text.extend_from_slice(&span_json);
                text.extend_from_slice(b"]}]}]}");
                let took = agrees(&text);
                let plain = matches!(stop, b" " | b"\x7f") || stop.len() == 2 && stop[0] != b'\\';
                let control = matches!(stop, b"\n" | b"\x1f" | b"\x00");
                assert!(!(control && took), "took a raw control byte at {position}");
                if plain {
                    assert!(
                        took,
                        "left {:?} at {position} to serde",
                        String::from_utf8_lossy(stop)
                    );
                }
            }
        }
    }
}
