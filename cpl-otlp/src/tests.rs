//! Unit tests of the OTLP/JSON reader: encoding rules, framing, errors and
//! byte accounting, on small inline inputs.

use std::io::{self, BufRead, Cursor, Read, Write};

use super::decode::decode_base64;
use super::*;

const TID: &str = "5b8efff798038103d269b633813fc60c";
const SID: &str = "eee19b7ec3c1b174";

/// A document with one resource (service `svc`) and the given span objects.
fn doc(spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

/// A span object with the given extra fields (each `"key":value`).
fn span(extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { "," };
    format!(r#"{{"traceId":"{TID}","spanId":"{SID}","name":"op"{sep}{extra}}}"#)
}

fn decode_one(extra: &str) -> Result<Span, DecodeError> {
    let mut spans = decode_document(doc(&[span(extra)]).as_bytes())?;
    assert_eq!(spans.len(), 1);
    Ok(spans.remove(0))
}

fn attr(json_value: &str) -> Result<AnyValue, DecodeError> {
    let s = decode_one(&format!(
        r#""attributes":[{{"key":"k","value":{json_value}}}]"#
    ))?;
    Ok(s.attributes[0].value.clone())
}

fn read_all(input: &str) -> (Vec<Batch>, Vec<ReadError>, ReadStats) {
    let mut reader = TraceReader::new(input.as_bytes(), "in.json");
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for r in reader.by_ref() {
        match r {
            Ok(b) => ok.push(b),
            Err(e) => errs.push(e),
        }
    }
    let stats = reader.stats().clone();
    (ok, errs, stats)
}

#[test]
fn decodes_basic_span_fields() {
    let s = decode_one(
        r#""parentSpanId":"0102030405060708","kind":3,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000000000001000,"status":{"code":2,"message":"boom"}"#,
    )
    .expect("decodes");
    assert_eq!(s.trace_id.to_string(), TID);
    assert_eq!(s.span_id.to_string(), SID);
    assert_eq!(s.parent_span_id, Some(SpanId([1, 2, 3, 4, 5, 6, 7, 8])));
    assert_eq!(s.name, "op");
    assert_eq!(s.kind, SpanKind::Client);
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(s.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(s.duration_nanos(), 1000);
    assert_eq!(s.service_name(), Some("svc"));
}

#[test]
fn defaults_when_fields_absent_or_null() {
    let s = decode_one(r#""kind":null,"status":{},"attributes":null,"parentSpanId":null"#)
        .expect("decodes");
    assert_eq!(s.kind, SpanKind::Unspecified);
    assert_eq!(s.status, StatusCode::Unset);
    assert!(s.attributes.is_empty());
    assert_eq!(s.parent_span_id, None);
    assert_eq!(s.start_time_unix_nano, 0);
}

#[test]
fn every_any_value_variant() {
    assert_eq!(
        attr(r#"{"stringValue":"héllo \"q\" \u00e9"}"#).ok(),
        Some(AnyValue::String("héllo \"q\" é".into()))
    );
    assert_eq!(
        attr(r#"{"boolValue":true}"#).ok(),
        Some(AnyValue::Bool(true))
    );
    assert_eq!(attr(r#"{"intValue":"-42"}"#).ok(), Some(AnyValue::Int(-42)));
    assert_eq!(attr(r#"{"intValue":42}"#).ok(), Some(AnyValue::Int(42)));
    assert_eq!(
        attr(r#"{"intValue":"9223372036854775807"}"#).ok(),
        Some(AnyValue::Int(i64::MAX))
    );
    assert_eq!(
        attr(r#"{"intValue":-9223372036854775808}"#).ok(),
        Some(AnyValue::Int(i64::MIN))
    );
    assert_eq!(
        attr(r#"{"doubleValue":1.5}"#).ok(),
        Some(AnyValue::Double(1.5))
    );
    assert_eq!(
        attr(r#"{"doubleValue":3}"#).ok(),
        Some(AnyValue::Double(3.0))
    );
    assert_eq!(
        attr(r#"{"doubleValue":"2.25"}"#).ok(),
        Some(AnyValue::Double(2.25))
    );
    assert_eq!(
        attr(r#"{"doubleValue":"Infinity"}"#).ok(),
        Some(AnyValue::Double(f64::INFINITY))
    );
    assert_eq!(
        attr(r#"{"doubleValue":"-Infinity"}"#).ok(),
        Some(AnyValue::Double(f64::NEG_INFINITY))
    );
    match attr(r#"{"doubleValue":"NaN"}"#) {
        Ok(AnyValue::Double(v)) => assert!(v.is_nan()),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        attr(r#"{"bytesValue":"aGVsbG8="}"#).ok(),
        Some(AnyValue::Bytes(b"hello".to_vec()))
    );
    assert_eq!(
        attr(
            r#"{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"arrayValue":{}}]}}"#
        )
        .ok(),
        Some(AnyValue::Array(vec![
            AnyValue::String("a".into()),
            AnyValue::Int(1),
            AnyValue::Array(vec![])
        ]))
    );
    assert_eq!(
        attr(r#"{"kvlistValue":{"values":[{"key":"x","value":{"boolValue":false}},{"key":"y","value":{"kvlistValue":{"values":[]}}}]}}"#).ok(),
        Some(AnyValue::KvList(vec![
            KeyValue { key: "x".into(), value: AnyValue::Bool(false) },
            KeyValue { key: "y".into(), value: AnyValue::KvList(vec![]) },
        ]))
    );
    assert_eq!(attr("{}").ok(), Some(AnyValue::Empty));
    assert_eq!(attr(r#"{"stringValue":null}"#).ok(), Some(AnyValue::Empty));
    assert_eq!(attr("null").ok(), Some(AnyValue::Empty));
    // Unknown AnyValue fields are ignored.
    assert_eq!(
        attr(r#"{"futureValue":1,"boolValue":false}"#).ok(),
        Some(AnyValue::Bool(false))
    );
    // A missing value is Empty.
    let s = decode_one(r#""attributes":[{"key":"k"}]"#).expect("decodes");
    assert_eq!(s.attributes[0].value, AnyValue::Empty);
}

#[test]
fn any_value_errors() {
    for (v, kind) in [
        (r#"{"stringValue":"a","intValue":"1"}"#, ErrorKind::Schema),
        (r#"{"intValue":"x1"}"#, ErrorKind::Schema),
        (r#"{"intValue":"9223372036854775808"}"#, ErrorKind::Schema),
        (r#"{"intValue":1.5}"#, ErrorKind::Schema),
        (r#"{"doubleValue":"fast"}"#, ErrorKind::Schema),
        (r#"{"bytesValue":"***"}"#, ErrorKind::Schema),
        (r#"{"stringValue":5}"#, ErrorKind::Schema),
        (r#"{"string_value":"a"}"#, ErrorKind::Schema),
    ] {
        let e = attr(v).expect_err(v);
        assert_eq!(e.kind, kind, "{v}: {e}");
    }
}

#[test]
fn int64_fields_as_strings_and_numbers() {
    let s = decode_one(r#""startTimeUnixNano":"18446744073709551615","endTimeUnixNano":1e3"#)
        .expect("decodes");
    assert_eq!(s.start_time_unix_nano, u64::MAX);
    assert_eq!(s.end_time_unix_nano, 1000);
    let s = decode_one(r#""startTimeUnixNano":12,"endTimeUnixNano":"34""#).expect("decodes");
    assert_eq!((s.start_time_unix_nano, s.end_time_unix_nano), (12, 34));
    let e = decode_one(r#""startTimeUnixNano":-1"#).expect_err("negative");
    assert_eq!(e.kind, ErrorKind::Schema);
    let e = decode_one(r#""startTimeUnixNano":"""#).expect_err("empty");
    assert_eq!(e.kind, ErrorKind::Schema);
}

#[test]
fn uppercase_hex_ids() {
    let d = doc(&[r#"{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"AaBbCcDdEeFf0011"}"#.to_owned()]);
    let spans = decode_document(d.as_bytes()).expect("decodes");
    assert_eq!(spans[0].trace_id.to_string(), TID);
    assert_eq!(spans[0].span_id.to_string(), SID);
    assert_eq!(
        spans[0].parent_span_id.map(|p| p.to_string()).as_deref(),
        Some("aabbccddeeff0011")
    );
}

#[test]
fn enum_names_are_rejected() {
    let e = decode_one(r#""kind":"SPAN_KIND_SERVER""#).expect_err("enum name");
    assert_eq!(e.kind, ErrorKind::EnumName);
    assert!(
        e.message.contains("SPAN_KIND_SERVER") && e.message.contains("write 2"),
        "{e}"
    );
    let e = decode_one(r#""status":{"code":"STATUS_CODE_ERROR"}"#).expect_err("enum name");
    assert_eq!(e.kind, ErrorKind::EnumName);
    assert!(e.message.contains("status.code"), "{e}");
    let e = decode_one(r#""status":{"code":"OK"}"#).expect_err("enum name");
    assert_eq!(e.kind, ErrorKind::EnumName);
    let e = decode_one(r#""kind":9"#).expect_err("out of range");
    assert_eq!(e.kind, ErrorKind::Schema);
    let e = decode_one(r#""status":{"code":3}"#).expect_err("out of range");
    assert_eq!(e.kind, ErrorKind::Schema);
}

#[test]
fn enum_name_error_position_points_at_the_value() {
    let text = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\n{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\n \"spanId\":\"eee19b7ec3c1b174\",\n \"kind\":\"SPAN_KIND_CLIENT\"}\n]}]}]}\n";
    let e = decode_document(text.as_bytes()).expect_err("enum name");
    assert_eq!(e.kind, ErrorKind::EnumName);
    assert_eq!(e.line, 4, "{e}");
    assert!(e.column >= 9 && e.column <= 27, "{e}");
    // Through the reader: the document is multi-line, so it is read whole and
    // the error names the input line and where it starts.
    let (ok, errs, stats) = read_all(text);
    assert!(ok.is_empty());
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 4);
    let line_start = text
        .match_indices('\n')
        .nth(2)
        .map(|(i, _)| i + 1)
        .unwrap_or_default();
    assert_eq!(errs[0].line_offset, line_start as u64);
    assert_eq!(stats.errors_by_kind.get(&ErrorKind::EnumName), Some(&1));
    assert!(errs[0].to_string().starts_with("in.json:4:"), "{}", errs[0]);
}

#[test]
fn invalid_ids_are_rejected() {
    let cases = [
        (
            r#"{"traceId":"","spanId":"eee19b7ec3c1b174"}"#,
            "traceId is empty",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":""}"#,
            "spanId is empty",
        ),
        (r#"{"spanId":"eee19b7ec3c1b174"}"#, "no traceId"),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c"}"#,
            "no spanId",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60","spanId":"eee19b7ec3c1b174"}"#,
            "wrong length",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c00","spanId":"eee19b7ec3c1b174"}"#,
            "wrong length",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc6zz","spanId":"eee19b7ec3c1b174"}"#,
            "not hex",
        ),
        (
            r#"{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"eee19b7ec3c1b174"}"#,
            "base64",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"7uGbfsPBsXQ="}"#,
            "base64",
        ),
        (
            r#"{"traceId":"00000000000000000000000000000000","spanId":"eee19b7ec3c1b174"}"#,
            "all zeros",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000000"}"#,
            "all zeros",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"abc"}"#,
            "parentSpanId",
        ),
        (
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","traceId":"5b8efff798038103d269b633813fc60c"}"#,
            "duplicate",
        ),
        (
            r#"{"trace_id":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}"#,
            "snake_case",
        ),
    ];
    for (s, needle) in cases {
        let e = decode_document(doc(&[s.to_owned()]).as_bytes()).expect_err(s);
        assert!(e.message.contains(needle), "{s}: {e}");
        if !needle.contains("duplicate") && !needle.contains("snake") {
            assert_eq!(e.kind, ErrorKind::InvalidId, "{s}: {e}");
        }
    }
}

#[test]
fn empty_or_zero_parent_means_root() {
    let s = decode_one(r#""parentSpanId":"""#).expect("decodes");
    assert_eq!(s.parent_span_id, None);
    let s = decode_one(r#""parentSpanId":"0000000000000000""#).expect("decodes");
    assert_eq!(s.parent_span_id, None);
}

#[test]
fn one_bad_span_fails_the_whole_document() {
    let bad = r#"{"traceId":"","spanId":"eee19b7ec3c1b174"}"#.to_owned();
    let d = doc(&[span(""), bad]);
    let mut out = vec![];
    let e = decode_document_into(d.as_bytes(), &mut out).expect_err("bad span");
    assert_eq!(e.kind, ErrorKind::InvalidId);
    assert!(out.is_empty(), "no partial spans");
}

#[test]
fn unknown_fields_are_ignored() {
    let d = r#"{"resourceSpans":[{"resource":{"attributes":[],"droppedAttributesCount":0,"entityRefs":[]},"schemaUrl":"x","scopeSpans":[{"scope":{"name":"a","version":"","attributes":[{"key":"q","value":{"intValue":1}}]},"schemaUrl":"","spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","traceState":"a=b","flags":257,"events":[{"name":"e","attributes":[{"key":"x","value":{"stringValue":"y"}}]}],"links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}],"droppedAttributesCount":0,"droppedEventsCount":0,"droppedLinksCount":0,"someFutureField":{"a":[1,2,{}]}}]}]}],"futureTop":1}"#;
    let spans = decode_document(d.as_bytes()).expect("decodes");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].resource.service_name(), None);
}

#[test]
fn resource_is_shared_per_resource_spans() {
    let d = r#"{"resourceSpans":[
      {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000001"}]},{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000002"}]}]},
      {"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000003"}]}],
       "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}}]}}]}"#;
    let spans = decode_document(d.as_bytes()).expect("decodes");
    assert_eq!(spans.len(), 3);
    assert!(std::sync::Arc::ptr_eq(
        &spans[0].resource,
        &spans[1].resource
    ));
    assert_eq!(spans[0].service_name(), Some("a"));
    // Resource after scopeSpans in key order still applies.
    assert_eq!(spans[2].service_name(), Some("b"));
}

#[test]
fn not_trace_documents() {
    for (d, needle) in [
        (r#"{"result":{"resourceSpans":[]}}"#, "result"),
        (r#"{"batches":[]}"#, "batches"),
        (r"{}", "no keys"),
        (r"[]", "root is an array"),
        (r"12", "root is a number"),
    ] {
        let e = decode_document(d.as_bytes()).expect_err(d);
        assert_eq!(e.kind, ErrorKind::NotTraces, "{d}: {e}");
        assert!(e.message.contains(needle), "{d}: {e}");
    }
    let e = decode_document(br#"{"resource_spans":[]}"#).expect_err("snake");
    assert_eq!(e.kind, ErrorKind::Schema);
    let e = decode_document(br#"{"resourceSpans":[{"scope_spans":[]}]}"#).expect_err("snake");
    assert_eq!(e.kind, ErrorKind::Schema);
    // Valid but empty documents.
    assert_eq!(
        decode_document(br#"{"resourceSpans":[]}"#).map(|v| v.len()),
        Ok(0)
    );
    assert_eq!(
        decode_document(br#"{"resourceSpans":null}"#).map(|v| v.len()),
        Ok(0)
    );
    assert_eq!(
        decode_document(br#"{"resourceSpans":[{}]}"#).map(|v| v.len()),
        Ok(0)
    );
    let mut out = vec![];
    assert_eq!(
        decode_document_into(br#"{"resourceMetrics":[]}"#, &mut out),
        Ok(Document::Other(Signal::Metrics))
    );
}

#[test]
fn old_instrumentation_library_spans_name() {
    let d = format!(
        r#"{{"resourceSpans":[{{"instrumentationLibrarySpans":[{{"spans":[{}]}}]}}]}}"#,
        span("")
    );
    assert_eq!(decode_document(d.as_bytes()).map(|v| v.len()), Ok(1));
}

#[test]
fn syntax_and_truncation_errors() {
    let d = doc(&[span("")]);
    let e = decode_document(&d.as_bytes()[..d.len() - 5]).expect_err("truncated");
    assert_eq!(e.kind, ErrorKind::Truncated);
    let e = decode_document(br#"{"resourceSpans":[}"#).expect_err("syntax");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!((e.line, e.column), (1, 19));
    let e = decode_document(
        b"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"\xff\"}]}}]}",
    )
    .expect_err("utf8");
    assert_eq!(e.kind, ErrorKind::Syntax);
}

#[test]
fn trace_id_randomness_and_display() {
    let t = TraceId::from_hex("5b8efff798038103d269b633813fc60c").expect("hex");
    assert_eq!(t.randomness(), 0x0069_b633_813f_c60c);
    assert_eq!(format!("{t}"), TID);
    assert_eq!(format!("{t:?}"), format!("TraceId({TID})"));
    let t = TraceId::from_hex("ffffffffffffffffffffffffffffffff").expect("hex");
    assert_eq!(t.randomness(), (1 << 56) - 1);
    assert!(TraceId::from_hex("xyz").is_none());
    assert_eq!(
        SpanId::from_hex("EEE19B7EC3C1B174")
            .map(|s| s.to_string())
            .as_deref(),
        Some(SID)
    );
}

#[test]
fn base64_variants() {
    assert_eq!(decode_base64(""), Some(vec![]));
    assert_eq!(decode_base64("Zg=="), Some(b"f".to_vec()));
    assert_eq!(decode_base64("Zg"), Some(b"f".to_vec()));
    assert_eq!(decode_base64("Zm8="), Some(b"fo".to_vec()));
    assert_eq!(decode_base64("Zm9v"), Some(b"foo".to_vec()));
    assert_eq!(decode_base64("-_-_"), decode_base64("+/+/"));
    assert_eq!(decode_base64("Z"), None);
    assert_eq!(decode_base64("Zm9v!"), None);
}

// ---------------------------------------------------------------------------
// Framing

fn jsonl(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

#[test]
fn jsonl_with_a_bad_line_in_the_middle() {
    let good = doc(&[span("")]);
    let bad = doc(&[span(r#""kind":"SPAN_KIND_SERVER""#)]);
    let input = jsonl(&[good.clone(), bad.clone(), "{not json".into(), good.clone()]);
    let (ok, errs, stats) = read_all(&input);
    assert_eq!(ok.len(), 2);
    assert_eq!(ok.iter().map(|b| b.line).collect::<Vec<_>>(), vec![1, 4]);
    assert_eq!(errs.len(), 2);
    assert_eq!((errs[0].line, errs[0].kind), (2, ErrorKind::EnumName));
    assert_eq!(errs[0].line_offset, good.len() as u64 + 1);
    assert!(errs[0].column > 1);
    assert_eq!((errs[1].line, errs[1].kind), (3, ErrorKind::Syntax));
    assert_eq!(errs[1].line_offset, (good.len() + bad.len()) as u64 + 2);
    assert_eq!(ok[1].offset, (good.len() + bad.len() + 10) as u64 + 2);
    assert_eq!(stats.documents, 2);
    assert_eq!(stats.errors, 2);
    assert_eq!(stats.spans, 2);
    assert_eq!(stats.bytes, input.len() as u64);
    assert_eq!(stats.error_bytes, (bad.len() + 11) as u64);
}

#[test]
fn non_trace_lines_are_skipped_and_counted() {
    let input = jsonl(&[
        r#"{"resourceLogs":[{"scopeLogs":[]}]}"#.into(),
        doc(&[span("")]),
        r#"{"resourceMetrics":[]}"#.into(),
        String::new(),
        "   ".into(),
        doc(&[span(""), span("")]),
        r#"{"resourceProfiles":[]}"#.into(),
    ]);
    let (ok, errs, stats) = read_all(&input);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ok.len(), 2);
    assert_eq!(stats.lines_skipped_non_trace, 3);
    assert_eq!(stats.documents, 2);
    assert_eq!(stats.spans, 3);
    assert_eq!(ok[1].line, 6);
}

#[test]
fn single_pretty_document() {
    let pretty = "\n\n{\n  \"resourceSpans\": [\n    {\"scopeSpans\": [{\"spans\": [\n".to_owned()
        + &span("")
        + ",\n"
        + &span("")
        + "\n]}]}]\n}\n\n";
    let mut reader = TraceReader::new(pretty.as_bytes(), "p.json");
    let batches: Vec<Batch> = reader.by_ref().collect::<Result<_, _>>().expect("reads");
    assert_eq!(reader.framing(), Some(Framing::Document));
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].spans.len(), 2);
    assert_eq!(batches[0].line, 3);
    assert_eq!(batches[0].offset, 2);
    assert_eq!(batches[0].bytes, pretty.len() as u64 - 2);
    let sum: u64 = batches[0].spans.iter().map(|s| s.encoded_len).sum();
    assert_eq!(sum, batches[0].bytes);
    assert_eq!(reader.stats().bytes, pretty.len() as u64);
}

#[test]
fn single_line_document_is_jsonl_of_one_line() {
    let d = doc(&[span("")]);
    let mut reader = TraceReader::new(d.as_bytes(), "one.json");
    let n = reader.by_ref().flatten().count();
    assert_eq!(n, 1);
    assert_eq!(reader.framing(), Some(Framing::JsonLines));
}

#[test]
fn encoded_len_adds_up_and_follows_span_size() {
    let small = span("");
    let big = span(
        r#""attributes":[{"key":"big","value":{"stringValue":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}]"#,
    );
    let input = jsonl(&[
        doc(&[small.clone(), big.clone(), small.clone()]),
        doc(std::slice::from_ref(&big)),
    ]);
    let (ok, _, stats) = read_all(&input);
    let spans: Vec<&Span> = ok.iter().flat_map(|b| &b.spans).collect();
    let total: u64 = spans.iter().map(|s| s.encoded_len).sum();
    assert_eq!(total, input.len() as u64);
    assert_eq!(stats.span_bytes, input.len() as u64);
    for b in &ok {
        assert_eq!(b.spans.iter().map(|s| s.encoded_len).sum::<u64>(), b.bytes);
    }
    // The big span is charged its own size more than the small ones.
    let diff = spans[1].encoded_len.abs_diff(spans[0].encoded_len);
    assert!(diff + 1 >= (big.len() - small.len()) as u64, "{diff}");
}

#[test]
fn crlf_and_bom() {
    let input = format!("\u{feff}{}\r\n{}\r\n", doc(&[span("")]), doc(&[span("")]));
    let (ok, errs, stats) = read_all(&input);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ok.len(), 2);
    assert_eq!(stats.span_bytes, input.len() as u64);
    let pretty = format!(
        "\u{feff}{{\n\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}\n",
        span("")
    );
    let (ok, errs, _) = read_all(&pretty);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(ok[0].spans.len(), 1);
}

#[test]
fn truncated_inputs() {
    // JSONL whose last line was cut off.
    let good = doc(&[span("")]);
    let input = format!("{good}\n{}", &good[..good.len() / 2]);
    let (ok, errs, _) = read_all(&input);
    assert_eq!(ok.len(), 1);
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].line, errs[0].kind), (2, ErrorKind::Truncated));
    // A pretty document cut off: one error, then the iterator ends.
    let pretty = format!(
        "{{\n\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}\n",
        span("")
    );
    let cut = &pretty[..pretty.len() - 8];
    let mut reader = TraceReader::new(cut.as_bytes(), "cut.json");
    let first = reader.next();
    assert!(
        matches!(&first, Some(Err(e)) if e.kind == ErrorKind::Truncated),
        "{first:?}"
    );
    assert!(reader.next().is_none());
    // Empty input: no spans and one error (an empty capture is a failed one);
    // blank input is valid JSON Lines without documents.
    let (ok, errs, stats) = read_all("");
    assert!(ok.is_empty());
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].kind, errs[0].line_offset), (ErrorKind::Empty, 0));
    assert_eq!(stats.errors, 1);
    let (ok, errs, _) = read_all("\n  \n");
    assert!(ok.is_empty() && errs.is_empty());
}

#[test]
fn overlong_line_is_skipped_without_loading() {
    let good = doc(&[span("")]);
    let long = format!(r#"{{"resourceSpans":[],"pad":"{}"}}"#, "x".repeat(5000));
    let input = jsonl(&[good.clone(), long.clone(), good.clone()]);
    let mut reader = TraceReader::new(input.as_bytes(), "big.jsonl").with_max_document_bytes(2000);
    let results: Vec<_> = reader.by_ref().collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    match &results[1] {
        Err(e) => {
            assert_eq!((e.line, e.kind), (2, ErrorKind::TooLarge));
            assert_eq!(e.line_offset, good.len() as u64 + 1);
        }
        Ok(_) => panic!("expected an error"),
    }
    assert_eq!(reader.stats().bytes, input.len() as u64);
    // An overlong first line (e.g. a huge single-line file).
    let mut reader = TraceReader::new(input.as_bytes(), "big.jsonl").with_max_document_bytes(100);
    let kinds: Vec<_> = reader.by_ref().map(|r| r.err().map(|e| e.kind)).collect();
    assert_eq!(kinds, vec![Some(ErrorKind::TooLarge); 3]);
    // A multi-line document over the limit.
    let pretty = format!(
        "{{\n\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}\n",
        span("")
    );
    let mut reader = TraceReader::new(pretty.as_bytes(), "p.json").with_max_document_bytes(50);
    assert!(matches!(reader.next(), Some(Err(e)) if e.kind == ErrorKind::TooLarge));
    assert!(reader.next().is_none());
}

fn compress_round_trip(compression: Compression, data: &[u8]) -> Vec<u8> {
    match compression {
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).expect("write");
            enc.finish().expect("finish")
        }
        Compression::Zstd => zstd::encode_all(data, 3).expect("zstd"),
        Compression::None => data.to_vec(),
    }
}

#[test]
fn gzip_and_zstd_round_trip() {
    let input = jsonl(&[
        doc(&[span(""), span("")]),
        r#"{"resourceLogs":[]}"#.into(),
        doc(&[span("")]),
    ]);
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let packed = compress_round_trip(c, input.as_bytes());
        let reader = decompress(Cursor::new(packed.clone()), c).expect("decoder");
        let mut reader = TraceReader::new(reader, "x");
        let spans: usize = reader.by_ref().map(|b| b.expect("ok").spans.len()).sum();
        assert_eq!(spans, 3, "{c:?}");
        assert_eq!(reader.stats().bytes, input.len() as u64);
        assert_eq!(reader.stats().lines_skipped_non_trace, 1);

        // Through a file, choosing the decompressor by the bytes.
        let ext = match c {
            Compression::None => "jsonl",
            Compression::Gzip => "jsonl.gz",
            Compression::Zstd => "jsonl.zst",
        };
        let path =
            std::env::temp_dir().join(format!("cpl-eval-otlp-{}-rt.{ext}", std::process::id()));
        std::fs::write(&path, &packed).expect("write temp file");
        assert_eq!(Compression::detect(&packed), c);
        let reader = open(&path).expect("open");
        assert_eq!(reader.name(), path.display().to_string());
        let spans: usize = reader.map(|b| b.expect("ok").spans.len()).sum();
        std::fs::remove_file(&path).ok();
        assert_eq!(spans, 3, "{c:?} file");

        // A truncated compressed stream is an I/O error that ends the read.
        if c != Compression::None {
            let cut = packed[..packed.len() / 2].to_vec();
            let reader = decompress(Cursor::new(cut), c).expect("decoder");
            let results: Vec<_> = TraceReader::new(reader, "cut").collect();
            let last = results.last().expect("something");
            assert!(
                matches!(last, Err(e) if e.kind == ErrorKind::Io),
                "{c:?}: {results:?}"
            );
        }
    }
}

/// A reader that fails after some bytes.
struct Failing {
    data: Cursor<Vec<u8>>,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn read_error_ends_iteration() {
    let input = jsonl(&[doc(&[span("")])]) + "{\"resourceSp";
    let reader = io::BufReader::new(Failing {
        data: Cursor::new(input.into_bytes()),
    });
    let results: Vec<_> = TraceReader::new(reader, "f").collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(
        matches!(&results[1], Err(e) if e.kind == ErrorKind::Io && e.line == 2 && e.message.contains("disk on fire"))
    );
}

#[test]
fn reader_accepts_any_bufread() {
    fn takes<R: BufRead>(r: R) -> usize {
        TraceReader::new(r, "-")
            .filter_map(Result::ok)
            .map(|b| b.spans.len())
            .sum()
    }
    let input = jsonl(&[doc(&[span("")])]);
    assert_eq!(takes(input.as_bytes()), 1);
    assert_eq!(takes(io::BufReader::with_capacity(7, input.as_bytes())), 1);
}

/// A problem found both by the decoder and by the walk for every problem (at one
/// position, with different wording) is described once.
#[test]
fn a_problem_found_twice_is_described_once() {
    let error = crate::decode_document(br#"{"resourceSpans":[1]}"#).expect_err("not an object");
    assert_eq!(error.kind, crate::ErrorKind::Schema);
    assert!(error.more.is_empty(), "{error:?}");
    assert_eq!(error.omitted, 0);
}

/// A truncated line of JSON Lines is reported at the end of its content, not at
/// column 0 of the next line (serde_json's end of input is after the line break).
#[test]
fn a_truncated_line_is_reported_on_its_own_line() {
    let error = crate::decode_document(b"{\"resourceSpans\":[\n").expect_err("truncated");
    assert_eq!(error.kind, crate::ErrorKind::Truncated);
    assert_eq!((error.line, error.column), (1, 19));
    let input = "{\"resourceSpans\":[]}\n{\"resourceSpans\":[\n{\"resourceSpans\":[]}\n";
    let errors: Vec<_> = crate::TraceReader::new(input.as_bytes(), "in.jsonl")
        .filter_map(Result::err)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (2, 19), "{}", errors[0]);
}

#[test]
fn buffers_given_back_are_reused_and_hold_only_the_next_document() {
    // A long line, then short ones: each recycled buffer still has the long line's
    // capacity and must hand out exactly the next line's bytes.
    let long = doc(&vec![span(r#""kind":2"#); 50]);
    let short = doc(&[span("")]);
    let input = jsonl(&[long.clone(), short.clone(), short.clone(), long.clone()]);
    let mut reader = TraceReader::new(input.as_bytes(), "in.json");
    let pool = reader.buffer_pool();
    let mut seen = Vec::new();
    let mut capacities = Vec::new();
    while let Some(raw) = reader.next_raw() {
        let raw = raw.expect("documents");
        seen.push(String::from_utf8(raw.bytes.clone()).expect("utf-8"));
        capacities.push(raw.bytes.capacity());
        pool.give_back(raw.bytes);
    }
    let expected: Vec<String> = [&long, &short, &short, &long]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(seen, expected);
    // The reader takes the next buffer as it hands one out: the first line's buffer,
    // given back after it, is the third line's.
    assert!(capacities[2] >= long.len(), "{capacities:?}");
    // A full pool keeps nothing more.
    let full = BufferPool::default();
    full.give_back(Vec::with_capacity(BufferPool::MAX_BYTES));
    full.give_back(Vec::with_capacity(16));
    assert_eq!(full.take().capacity(), BufferPool::MAX_BYTES);
    assert_eq!(full.take().capacity(), 0);
    // Taking gives the room back.
    full.give_back(Vec::with_capacity(BufferPool::MAX_BYTES));
    assert_eq!(full.take().capacity(), BufferPool::MAX_BYTES);
}

/// serde_json's own answer to "is this line the start of a longer JSON value".
fn serde_says_incomplete(line: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(line)
        .err()
        .is_some_and(|e| e.is_eof())
}

#[test]
fn first_line_check_agrees_with_serde_and_skips_it_for_closed_values() {
    use crate::reader::{first_value_closes, is_incomplete_json};
    for (line, closes, incomplete) in [
        (&br#"{"resourceSpans":[]}"#[..], true, false),
        (br#"  [1, {"a": "}]\"{"}]  "#, true, false),
        (br#"{"a": "\\"}"#, true, false),
        // Closed, but not valid JSON: serde stops at a byte that is there.
        (br#"{"a": tru}"#, true, false),
        (br#"{"a": [}"#, false, false),
        (br#"{"a":1} trailing"#, true, false),
        // Open at the end of the line: a multi-line document.
        (b"{", false, true),
        (b"{\n", false, true),
        (br#"{"resourceSpans": ["#, false, true),
        (br#"{"a": "}"#, false, true),
        (br#"{"a": "\u00"#, false, true),
        (br#"{"a": "\"#, false, true),
        // Not an object or array: serde decides.
        (b"", false, true),
        (b"   ", false, true),
        (br#""abc""#, false, false),
        (b"42", false, false),
        (b"nul", false, true),
        (b"x{}", false, false),
    ] {
        let shown = String::from_utf8_lossy(line);
        assert_eq!(first_value_closes(line), closes, "{shown}");
        assert_eq!(is_incomplete_json(line), incomplete, "{shown}");
        assert_eq!(serde_says_incomplete(line), incomplete, "{shown}");
    }
}

proptest::proptest! {
    /// On any line over JSON's structural bytes, quotes, escapes and a few others,
    /// the check gives serde's answer, and a value that closes is never incomplete.
    #[test]
    fn first_line_check_is_serdes_answer(
        line in proptest::collection::vec(proptest::sample::select(
            b" \t\n{}[]\":,\\u0aAe.-1tn\x01\xc3\xa9".to_vec()), 0..100)
    ) {
        let closes = crate::reader::first_value_closes(&line);
        let serde = serde_says_incomplete(&line);
        proptest::prop_assert!(!(closes && serde), "closes but serde says incomplete");
        proptest::prop_assert_eq!(crate::reader::is_incomplete_json(&line), serde);
    }
}

proptest::proptest! {
    /// Valid documents cut short or with one byte changed: closed values and open
    /// ones in about equal numbers, where the check and serde could part.
    #[test]
    fn first_line_check_on_damaged_documents(
        cut in 0usize..120,
        at in 0usize..120,
        byte in proptest::sample::select(b"{}[]\"\\ ,:x".to_vec()),
        damage in proptest::bool::ANY,
    ) {
        // Escaped quotes and backslashes next to closing brackets, shallow and deep.
        let mut line = br#"{"a":"\"}","b":["\\",{"c":"]\""}],"d":[{"e":[[]]}]}  "#.to_vec();
        if damage && at < line.len() {
            line[at] = byte;
        }
        line.truncate(cut.min(line.len()));
        let closes = crate::reader::first_value_closes(&line);
        let serde = serde_says_incomplete(&line);
        proptest::prop_assert!(!(closes && serde), "closes but serde says incomplete");
        proptest::prop_assert_eq!(crate::reader::is_incomplete_json(&line), serde);
    }
}
