//! Unit tests of the dialects lenient reading accepts (spec/replay.md, "What
//! trace stores export"), of what strict reading says about them, and of the
//! report of every problem of a rejected document.

use proptest::prelude::*;

use super::*;

const TID: &str = "5b8efff798038103d269b633813fc60c";
const SID: &str = "eee19b7ec3c1b174";
/// The same ids in base64: standard alphabet, padded.
const TID64: &str = "W47/95gDgQPSabYzgT/GDA==";
const SID64: &str = "7uGbfsPBsXQ=";

fn lenient(text: &str) -> Result<(Vec<Span>, Deviations), DecodeError> {
    let mut out = Vec::new();
    match decode_document_with(text.as_bytes(), &mut out, Leniency::Lenient)? {
        Document::Traces { deviations, .. } => Ok((out, deviations)),
        Document::Other(_) => panic!("not traces: {text}"),
    }
}

fn strict(text: &str) -> Result<Vec<Span>, DecodeError> {
    let mut out = Vec::new();
    decode_document_with(text.as_bytes(), &mut out, Leniency::Strict).map(|_| out)
}

fn rs(spans: &str) -> String {
    format!(
        r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{spans}]}}]}}"#
    )
}

#[test]
fn base64_ids_are_read_when_they_are_exactly_16_or_8_bytes() {
    let d = format!(
        r#"{{"resourceSpans":[{}]}}"#,
        rs(&format!(
            r#"{{"traceId":"{TID64}","spanId":"{SID64}","parentSpanId":"7uGbfsPBsXQ"}}"#
        ))
    );
    let (spans, dev) = lenient(&d).expect("lenient reads base64");
    assert_eq!(spans[0].trace_id.to_string(), TID);
    assert_eq!(spans[0].span_id.to_string(), SID);
    assert_eq!(
        spans[0].parent_span_id.map(|p| p.to_string()).as_deref(),
        Some(SID)
    );
    assert_eq!(dev, Deviations::BASE64_IDS);
    assert_eq!(
        dev.notice().as_deref(),
        Some("read as proto3 JSON, not OTLP/JSON (base64 ids)")
    );
    // URL-safe, unpadded.
    let d = d.replace(TID64, "W47_95gDgQPSabYzgT_GDA");
    assert_eq!(
        lenient(&d).expect("url-safe").0[0].trace_id.to_string(),
        TID
    );
    // Strict reading refuses them, as before.
    let e = strict(&format!(
        r#"{{"resourceSpans":[{}]}}"#,
        rs(&format!(r#"{{"traceId":"{TID64}","spanId":"{SID}"}}"#))
    ))
    .expect_err("strict");
    assert_eq!(e.kind, ErrorKind::InvalidId);
    assert!(e.message.contains("looks like base64"), "{e}");
}

#[test]
fn ids_that_are_neither_hex_nor_exact_base64_are_errors() {
    for (trace_id, span_id) in [
        // 8 bytes of base64 where 16 are needed.
        ("QUJDREVGR0g=", SID),
        // 17 bytes.
        ("W47/95gDgQPSabYzgT/GDAA=", SID),
        // Non-zero bits after the 16th byte (…DA== is canonical, …DB== is not).
        ("W47/95gDgQPSabYzgT/GDB==", SID),
        // Padding where there should be none.
        (TID, "7uGbfsPBsXQ=="),
        // Not base64 either.
        (TID, "7uGbfs*BsXQ="),
    ] {
        let d = format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(
                r#"{{"traceId":"{trace_id}","spanId":"{span_id}"}}"#
            ))
        );
        let e = lenient(&d).expect_err(&d);
        assert_eq!(e.kind, ErrorKind::InvalidId, "{d}: {e}");
        assert!(e.message.contains("neither"), "{e}");
    }
    // Hex of the wrong length stays an error, with the hex message.
    let d = format!(
        r#"{{"resourceSpans":[{}]}}"#,
        rs(&format!(
            r#"{{"traceId":"{}","spanId":"{SID}"}}"#,
            &TID[..30]
        ))
    );
    let e = lenient(&d).expect_err(&d);
    assert!(e.message.contains("expected 32 hex digits, got 30"), "{e}");
    assert!(!e.message.contains("base64"), "{e}");
    // Empty and all-zero ids are errors in every dialect.
    for (t, s, needle) in [
        ("", SID, "traceId is empty"),
        (TID, "", "spanId is empty"),
        ("AAAAAAAAAAAAAAAAAAAAAA==", SID, "all zeros"),
    ] {
        let d = format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(r#"{{"traceId":"{t}","spanId":"{s}"}}"#))
        );
        let e = lenient(&d).expect_err(&d);
        assert!(e.message.contains(needle), "{e}");
    }
}

#[test]
fn enum_names_are_read_leniently_and_unknown_names_are_errors() {
    let d = format!(
        r#"{{"resourceSpans":[{}]}}"#,
        rs(&format!(
            r#"{{"traceId":"{TID}","spanId":"{SID}","kind":"SPAN_KIND_CONSUMER","status":{{"code":"STATUS_CODE_ERROR"}}}}"#
        ))
    );
    let (spans, dev) = lenient(&d).expect("enum names");
    assert_eq!(spans[0].kind, SpanKind::Consumer);
    assert_eq!(spans[0].status, StatusCode::Error);
    assert_eq!(dev, Deviations::ENUM_NAMES);
    assert_eq!(strict(&d).expect_err("strict").kind, ErrorKind::EnumName);
    for bad in [
        r#""kind":"SERVER""#,
        r#""status":{"code":"OK"}"#,
        r#""kind":"2""#,
    ] {
        let d = format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(r#"{{"traceId":"{TID}","spanId":"{SID}",{bad}}}"#))
        );
        let e = lenient(&d).expect_err(bad);
        assert_eq!(e.kind, ErrorKind::EnumName, "{e}");
        assert!(e.message.contains("not one of"), "{e}");
    }
}

#[test]
fn snake_case_keys_are_read_leniently_but_never_mixed() {
    let d = format!(
        r#"{{"resource_spans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"string_value":"svc"}}}}]}},"scope_spans":[{{"spans":[{{"trace_id":"{TID}","span_id":"{SID}","parent_span_id":"{SID}","start_time_unix_nano":"5","end_time_unix_nano":7,"attributes":[{{"key":"n","value":{{"int_value":"3"}}}}]}}]}}]}}]}}"#
    );
    let (spans, dev) = lenient(&d).expect("snake_case");
    let s = &spans[0];
    assert_eq!(
        (
            s.trace_id.to_string().as_str(),
            s.parent_span_id.is_some(),
            s.duration_nanos()
        ),
        (TID, true, 2)
    );
    assert_eq!(s.service_name(), Some("svc"));
    assert_eq!(s.attributes[0].value, AnyValue::Int(3));
    assert_eq!(dev, Deviations::SNAKE_CASE_KEYS);
    assert_eq!(
        dev.notice().as_deref(),
        Some("read as OTLP/JSON with proto field names (snake_case keys)")
    );
    assert_eq!(strict(&d).expect_err("strict").kind, ErrorKind::Schema);

    for mixed in [
        format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(
                r#"{{"traceId":"{TID}","trace_id":"{TID}","spanId":"{SID}"}}"#
            ))
        ),
        format!(r#"{{"resourceSpans":[{}],"resource_spans":[]}}"#, rs("")),
        r#"{"resourceSpans":[{"scopeSpans":[],"scope_spans":[]}]}"#.to_owned(),
        format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(
                r#"{{"traceId":"{TID}","spanId":"{SID}","attributes":[{{"key":"k","value":{{"stringValue":"a","string_value":"a"}}}}]}}"#
            ))
        ),
    ] {
        let e = lenient(&mixed).expect_err(&mixed);
        assert_eq!(e.kind, ErrorKind::Schema, "{mixed}: {e}");
        assert!(
            e.message.contains("both") || e.message.contains("more than one"),
            "{mixed}: {e}"
        );
    }
}

#[test]
fn tempo_batches_and_jaeger_result_wrappers() {
    let tempo = format!(
        r#"{{"batches":[{},{{"instrumentationLibrarySpans":[{{"spans":[{{"traceId":"{TID64}","spanId":"AAAAAAAAAAE=","kind":"SPAN_KIND_SERVER"}}]}}]}}]}}"#,
        rs(&format!(r#"{{"traceId":"{TID}","spanId":"{SID}"}}"#))
    );
    let (spans, dev) = lenient(&tempo).expect("tempo");
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[1].trace_id, spans[0].trace_id);
    assert_eq!(spans[1].kind, SpanKind::Server);
    assert_eq!(
        dev.notice().as_deref(),
        Some("read as Grafana Tempo's trace (\"batches\" instead of \"resourceSpans\", base64 ids, enum names, \"instrumentationLibrarySpans\")")
    );
    let e = strict(&tempo).expect_err("strict");
    assert_eq!(e.kind, ErrorKind::NotTraces);
    assert!(e.message.contains("batches"), "{e}");

    let jaeger = format!(
        r#"{{"result":{{"resourceSpans":[{}]}}}}"#,
        rs(&format!(r#"{{"traceId":"{TID}","spanId":"{SID}"}}"#))
    );
    let (spans, dev) = lenient(&jaeger).expect("jaeger");
    assert_eq!(spans.len(), 1);
    assert_eq!(
        dev.notice().as_deref(),
        Some("read as a Jaeger api/v3 response ({\"result\": ...})")
    );
    // Byte accounting covers the wrapper too.
    assert_eq!(
        spans.iter().map(|s| s.encoded_len).sum::<u64>(),
        jaeger.len() as u64
    );
    let e = strict(&jaeger).expect_err("strict");
    assert!(e.message.contains("jq .result"), "{e}");

    // Two containers in one document.
    let e = lenient(r#"{"resourceSpans":[],"batches":[]}"#).expect_err("two");
    assert!(e.message.contains("both"), "{e}");
    // A result that holds no traces says so.
    let e = lenient(r#"{"result":{"spans":[]}}"#).expect_err("empty result");
    assert_eq!(e.kind, ErrorKind::NotTraces);
    assert!(e.message.starts_with("inside \"result\""), "{e}");
}

#[test]
fn things_that_are_not_traces_are_refused_saying_what_they_are() {
    let e = lenient(r#"{"error":{"grpcCode":5,"httpCode":404,"message":"trace not found"}}"#)
        .expect_err("error response");
    assert_eq!(e.kind, ErrorKind::NotTraces);
    assert!(
        e.message.contains("error response: \"trace not found\""),
        "{e}"
    );
    let e =
        lenient(r#"{"case_a":{"input":{"resourceSpans":[]},"expected":1},"case_b":{"input":[]}}"#)
            .expect_err("test table");
    assert!(e.message.contains("table of test cases"), "{e}");
    let e = lenient(r#"{"spans":[]}"#).expect_err("unknown");
    assert!(
        e.message.contains("\"batches\" (Grafana Tempo)") && e.message.contains("keys \"spans\""),
        "{e}"
    );
    // Other signals are still skipped, not refused.
    let mut out = Vec::new();
    assert_eq!(
        decode_document_with(br#"{"resourceLogs":[]}"#, &mut out, Leniency::Lenient),
        Ok(Document::Other(Signal::Logs))
    );
}

#[test]
fn every_problem_of_a_rejected_document_is_reported() {
    // Three spans: base64 ids and enum names (fine leniently), then real problems.
    let text = format!(
        "{{\"resourceSpans\":[{}]}}",
        rs(&format!(
            "\n{{\"traceId\":\"{TID64}\",\"spanId\":\"{SID64}\",\"kind\":\"SPAN_KIND_SERVER\"}},\n{{\"traceId\":\"\",\"spanId\":\"{SID}\",\"kind\":\"SERVER\"}},\n{{\"spanId\":\"xyz\",\"startTimeUnixNano\":-1}}"
        ))
    );
    let e = lenient(&text).expect_err("bad");
    let all: Vec<&DecodeError> = std::iter::once(&e).chain(&e.more).collect();
    let lines: Vec<(u64, ErrorKind)> = all.iter().map(|p| (p.line, p.kind)).collect();
    assert_eq!(
        lines,
        [
            (3, ErrorKind::InvalidId),
            (3, ErrorKind::EnumName),
            (4, ErrorKind::InvalidId),
            (4, ErrorKind::InvalidId),
            (4, ErrorKind::Schema),
        ],
        "{all:#?}"
    );
    assert_eq!(e.omitted, 0);
    assert!(all
        .windows(2)
        .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)));
    // Strictly, the first span's ids and kind are problems too.
    let e = strict(&text).expect_err("bad");
    assert_eq!(e.line, 2);
    assert_eq!(1 + e.more.len(), 3 + 5, "{e:#?}");

    // Capped: 30 bad spans give 20 problems and a count of the rest.
    let bad: Vec<String> = (0..30)
        .map(|_| format!(r#"{{"traceId":"{TID}","spanId":"zz"}}"#))
        .collect();
    let text = format!(r#"{{"resourceSpans":[{}]}}"#, rs(&bad.join(",")));
    let e = lenient(&text).expect_err("bad");
    assert_eq!(1 + e.more.len(), MAX_PROBLEMS);
    assert_eq!(e.omitted, 10);
    // Broken JSON has one problem.
    let e = lenient(r#"{"resourceSpans":[{"#).expect_err("truncated");
    assert!(e.more.is_empty());
}

#[test]
fn the_reader_merges_deviations_per_input() {
    let lines = [
        format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(r#"{{"traceId":"{TID}","spanId":"{SID}"}}"#))
        ),
        format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(r#"{{"traceId":"{TID64}","spanId":"{SID}"}}"#))
        ),
        format!(
            r#"{{"resourceSpans":[{}]}}"#,
            rs(&format!(
                r#"{{"traceId":"{TID}","spanId":"{SID}","kind":"SPAN_KIND_CLIENT"}}"#
            ))
        ),
    ]
    .join("\n");
    let mut reader = TraceReader::new(lines.as_bytes(), "x").with_leniency(Leniency::Lenient);
    let spans: usize = reader.by_ref().map(|b| b.expect("ok").spans.len()).sum();
    assert_eq!(spans, 3);
    assert_eq!(
        reader.stats().deviations,
        Deviations::BASE64_IDS.union(Deviations::ENUM_NAMES)
    );
    // The default is strict.
    let mut reader = TraceReader::new(lines.as_bytes(), "x");
    assert_eq!(reader.by_ref().filter(Result::is_err).count(), 2);
    assert!(reader.stats().deviations.is_empty());
}

fn sample() -> String {
    format!(
        r#"{{"batches":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scope_spans":[{{"spans":[{{"traceId":"{TID64}","span_id":"{SID64}","kind":"SPAN_KIND_SERVER","status":{{"code":"STATUS_CODE_ERROR"}},"attributes":[{{"key":"a","value":{{"int_value":"1"}}}},{{"key":"b","value":{{"arrayValue":{{"values":[{{"stringValue":"x"}}]}}}}}}]}},{{"traceId":"{TID}","spanId":"{SID}","parentSpanId":"{SID64}"}}]}}]}}]}}"#
    )
}

#[test]
fn the_sample_is_lenient_only() {
    let (spans, _) = lenient(&sample()).expect("sample");
    assert_eq!(spans.len(), 2);
    assert!(strict(&sample()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Mutated inputs never panic; whatever is accepted is accounted for whole,
    /// and whatever is refused reports its problems in order, capped.
    #[test]
    fn mutated_dialect_documents_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..6)
    ) {
        let mut bytes = sample().into_bytes();
        for (at, op, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, b"\"{}[],:=_+/0aA"[usize::from(byte) % 14]),
                _ => { bytes.truncate(i); }
            }
        }
        for leniency in [Leniency::Lenient, Leniency::Strict] {
            let mut out = Vec::new();
            match decode_document_with(&bytes, &mut out, leniency) {
                Ok(Document::Traces { spans, .. }) => {
                    prop_assert_eq!(spans, out.len());
                    if spans > 0 {
                        prop_assert_eq!(out.iter().map(|s| s.encoded_len).sum::<u64>(), bytes.len() as u64);
                    }
                }
                Ok(Document::Other(_)) => prop_assert!(out.is_empty()),
                Err(e) => {
                    prop_assert!(out.is_empty());
                    prop_assert!(e.more.len() < MAX_PROBLEMS);
                    prop_assert!(!e.message.is_empty());
                    let all: Vec<&DecodeError> = std::iter::once(&e).chain(&e.more).collect();
                    prop_assert!(all.windows(2).all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)));
                }
            }
        }
    }
}
