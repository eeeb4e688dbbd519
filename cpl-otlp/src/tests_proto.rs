//! OTLP protobuf: format sniffing, conversion both ways against the JSON decoder,
//! the real producers' captures, and bad input.

use std::io::{Read, Write};
use std::path::PathBuf;

use prost::Message;

use crate::pb::common::v1 as pbc;
use crate::pb::trace::v1 as pbt;
use crate::{
    decode_document, encode_traces_data, from_reader, Compression, ErrorKind, Framing, InputFormat,
    ReadError, Span, TraceReader, SNIFF_BYTES,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(path: &str) -> PathBuf {
    root().join("tests/fixtures/otlp-proto").join(path)
}

/// Spans with `encoded_len` zeroed: what must not depend on the encoding.
fn semantic(spans: &[Span]) -> Vec<Span> {
    spans
        .iter()
        .map(|s| Span {
            encoded_len: 0,
            detail: None,
            ..s.clone()
        })
        .collect()
}

/// Reads a whole input: (spans, errors, stats bytes, framing).
fn read_all(bytes: Vec<u8>) -> (Vec<Span>, Vec<ReadError>, Option<Framing>) {
    let mut reader = from_reader(std::io::Cursor::new(bytes), "input").expect("open");
    let mut spans = Vec::new();
    let mut errors = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(batch) => {
                assert_eq!(
                    batch.spans.iter().map(|s| s.encoded_len).sum::<u64>(),
                    if batch.spans.is_empty() {
                        0
                    } else {
                        batch.bytes
                    },
                    "span bytes add up to the document's"
                );
                spans.extend(batch.spans);
            }
            Err(e) => errors.push(e),
        }
    }
    (spans, errors, reader.framing())
}

fn length_prefixed(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        out.extend_from_slice(&u32::try_from(m.len()).expect("len").to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

fn corpus_documents() -> Vec<Vec<u8>> {
    let mut documents = Vec::new();
    for entry in std::fs::read_dir(root().join("corpus/traces")).expect("corpus") {
        let text = std::fs::read(entry.expect("entry").path()).expect("read");
        documents.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    assert!(!documents.is_empty());
    documents
}

#[test]
fn sniffing_rules() {
    use InputFormat::{Empty, Json, LengthPrefixed, ProtobufMessage, Unknown};
    for (head, want) in [
        (&b""[..], Empty),
        (b"{\"resourceSpans\":[]}", Json),
        (b"\n\n  [", Json),
        (b"\xEF\xBB\xBF{", Json),
        (b"\n", Json),
        (b"   ", Json),
        (b"hello, world", Json),
        (b"\x0a\x05\x12\x03\x12\x01\x00", ProtobufMessage),
        (b"\x00\x00\x00\x07\x0a\x05", LengthPrefixed),
        (b"\x00\x00\x00\x09\x28\xb5\x2f\xfd", LengthPrefixed),
        (b"\x00\x00\x00\x02{}", LengthPrefixed),
        (b"\x00\x00\x00\x07\x12", Unknown),
        (b"BZh91AY&SY\x01\x02", Unknown),
        (b"\x00\x00", Unknown),
    ] {
        assert_eq!(InputFormat::detect(head), want, "{head:?}");
    }
    assert_eq!(Compression::detect(b"\x1f\x8b\x08"), Compression::Gzip);
    assert_eq!(Compression::detect(b"\x28\xb5\x2f\xfd"), Compression::Zstd);
    assert_eq!(Compression::detect(b"\x28\xb5\x2f"), Compression::None);
    assert_eq!(Compression::detect(b"{"), Compression::None);
}

/// JSON -> protobuf -> the same spans, over every shipped capture: as single
/// messages and as the file exporter's length-prefixed records.
#[test]
fn json_to_protobuf_gives_the_same_spans() {
    let mut messages = Vec::new();
    let mut all = Vec::new();
    for document in corpus_documents() {
        let spans = decode_document(&document).expect("corpus decodes");
        let message = encode_traces_data(&spans);
        let (again, errors, framing) = read_all(message.clone());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(framing, Some(Framing::ProtobufMessage));
        assert_eq!(semantic(&again), semantic(&spans));
        assert_eq!(
            again.iter().map(|s| s.encoded_len).sum::<u64>(),
            message.len() as u64
        );
        all.extend(spans);
        messages.push(message);
    }
    let (again, errors, framing) = read_all(length_prefixed(&messages));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(framing, Some(Framing::LengthPrefixed));
    assert_eq!(semantic(&again), semantic(&all));
}

fn any_value_json(value: &crate::AnyValue) -> serde_json::Value {
    use crate::AnyValue as V;
    use serde_json::json;
    match value {
        V::String(s) => json!({ "stringValue": s }),
        V::Bool(b) => json!({ "boolValue": b }),
        V::Int(i) => json!({ "intValue": i.to_string() }),
        V::Double(d) => json!({ "doubleValue": d }),
        V::Bytes(_) => unreachable!("the fixtures have no bytes values"),
        V::Array(values) => {
            json!({ "arrayValue": { "values": values.iter().map(any_value_json).collect::<Vec<_>>() } })
        }
        V::KvList(kvs) => json!({ "kvlistValue": { "values": attributes_json(kvs) } }),
        V::Empty => json!({}),
    }
}

fn attributes_json(kvs: &[crate::KeyValue]) -> Vec<serde_json::Value> {
    kvs.iter()
        .map(|kv| serde_json::json!({ "key": kv.key, "value": any_value_json(&kv.value) }))
        .collect()
}

/// Writes spans as OTLP/JSON, one resource per span (the decoder does not care).
fn to_otlp_json(spans: &[Span]) -> Vec<u8> {
    let resource_spans: Vec<_> = spans
        .iter()
        .map(|s| {
            let mut span = serde_json::json!({
                "traceId": s.trace_id.to_string(),
                "spanId": s.span_id.to_string(),
                "name": s.name,
                "kind": s.kind as u8,
                "startTimeUnixNano": s.start_time_unix_nano.to_string(),
                "endTimeUnixNano": s.end_time_unix_nano.to_string(),
                "attributes": attributes_json(&s.attributes),
                "status": { "code": s.status as u8 },
            });
            if let Some(parent) = s.parent_span_id {
                span["parentSpanId"] = parent.to_string().into();
            }
            serde_json::json!({
                "resource": { "attributes": attributes_json(&s.resource.attributes) },
                "scopeSpans": [{ "spans": [span] }],
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "resourceSpans": resource_spans })).expect("json")
}

/// Protobuf written by real producers -> JSON -> the same spans; and the
/// producers' protobuf holds the same spans as the JSON they were made from.
#[test]
fn real_producers_protobuf_to_json_and_back() {
    let shop = std::fs::read_to_string(root().join("corpus/traces/shop.jsonl")).expect("corpus");
    let json_spans = |lines: usize| -> Vec<Span> {
        shop.lines()
            .take(lines)
            .flat_map(|l| decode_document(l.as_bytes()).expect("decodes"))
            .collect()
    };
    let sorted = |mut spans: Vec<Span>| {
        spans.sort_by_key(|s| (s.trace_id, s.span_id));
        semantic(&spans)
    };
    let cases: [(&str, usize, Framing); 4] = [
        ("fileexporter/shop5.pb", 5, Framing::LengthPrefixed),
        ("fileexporter/shop20.pb.zst", 20, Framing::LengthPrefixed),
        (
            "fileexporter/shop20-native.pb.zst",
            20,
            Framing::LengthPrefixed,
        ),
        ("fileexporter/shop20.json.zst", 20, Framing::LengthPrefixed),
    ];
    for (path, lines, framing) in cases {
        let (spans, errors, got) = read_all(std::fs::read(fixture(path)).expect("fixture"));
        assert!(errors.is_empty(), "{path}: {errors:?}");
        assert_eq!(got, Some(framing), "{path}");
        assert_eq!(sorted(spans.clone()), sorted(json_spans(lines)), "{path}");
        let back = decode_document(&to_otlp_json(&spans)).expect("JSON decodes");
        assert_eq!(semantic(&back), semantic(&spans), "{path} -> JSON");
    }
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(fixture("otlp_http")).expect("fixtures") {
        let (spans, errors, got) =
            read_all(std::fs::read(entry.expect("entry").path()).expect("read"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(got, Some(Framing::ProtobufMessage));
        bodies.extend(spans);
    }
    assert_eq!(sorted(bodies), sorted(json_spans(20)));
}

/// A protobuf message whose first length is 123 (`{`) or 91 (`[`) starts with
/// bytes that read as JSON text (`\n{`); sniffing once took it for JSON Lines.
#[test]
fn protobuf_that_starts_like_json_is_protobuf() {
    for first_length in [b'{', b'['] {
        let message = (0..200)
            .map(|n| span_message(string_value(&"x".repeat(n))).encode_to_vec())
            .find(|m| m[0] == 0x0a && m[1] == first_length)
            .expect("some string length gives that first length");
        assert_eq!(
            InputFormat::detect(&message[..SNIFF_BYTES]),
            InputFormat::ProtobufMessage
        );
        let (spans, errors, framing) = read_all(message);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((spans.len(), framing), (1, Some(Framing::ProtobufMessage)));
    }
    // JSON text that starts with a line break stays JSON.
    for text in [
        &b"\n{\"resourceSpans\":[]}"[..],
        b"\n{\n  \"resourceSpans\": [",
        b"\n{\n\t\"resourceSpans\": [",
        b"\n{\n\"resourceSpans\":[",
        b"\n{\r\n  \"resourceSpans\"",
        b"\n[{\"resourceSpans\":[]}]",
        b"\n{}",
        b"\n\n{}",
        b"\n {}",
    ] {
        assert_eq!(InputFormat::detect(text), InputFormat::Json, "{text:?}");
    }
}

proptest::proptest! {
    /// Every OTLP message of one span with a string attribute, whatever its
    /// length, is sniffed as protobuf.
    #[test]
    fn encoded_messages_are_sniffed_as_protobuf(s in "\\PC{0,300}") {
        let message = span_message(string_value(&s)).encode_to_vec();
        let head = &message[..message.len().min(SNIFF_BYTES)];
        proptest::prop_assert_eq!(InputFormat::detect(head), InputFormat::ProtobufMessage);
    }
}

fn span_message(attribute: pbc::AnyValue) -> pbt::TracesData {
    pbt::TracesData {
        resource_spans: vec![pbt::ResourceSpans {
            scope_spans: vec![pbt::ScopeSpans {
                spans: vec![pbt::Span {
                    trace_id: vec![1; 16],
                    span_id: vec![2; 8],
                    name: "op".into(),
                    kind: 2,
                    attributes: vec![pbc::KeyValue {
                        key: "k".into(),
                        value: Some(attribute),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn string_value(s: &str) -> pbc::AnyValue {
    pbc::AnyValue {
        value: Some(pbc::any_value::Value::StringValue(s.into())),
    }
}

fn one_error(bytes: Vec<u8>) -> ReadError {
    let (spans, errors, _) = read_all(bytes);
    assert!(spans.is_empty(), "no spans from a bad message");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().expect("one")
}

#[test]
fn truncated_message_and_records() {
    let message = span_message(string_value("v")).encode_to_vec();
    let e = one_error(message[..message.len() - 3].to_vec());
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.line, 0, "binary errors have a byte offset, not a line");
    assert!(e.to_string().starts_with("input: byte "), "{e}");

    let mut framed = length_prefixed(&[message.clone(), message.clone()]);
    framed.truncate(framed.len() - 5);
    let (spans, errors, _) = read_all(framed);
    assert_eq!(spans.len(), 1, "the whole first record is read");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Truncated);
    assert_eq!(errors[0].line_offset, 4 + message.len() as u64);

    let mut framed = length_prefixed(std::slice::from_ref(&message));
    framed.extend_from_slice(&[0, 0]);
    let (spans, errors, _) = read_all(framed);
    assert_eq!((spans.len(), errors.len()), (1, 1));
    assert_eq!(errors[0].kind, ErrorKind::Truncated);
}

#[test]
fn wrong_and_huge_length_prefixes() {
    let message = span_message(string_value("v")).encode_to_vec();
    // One byte too short: the record fails, and the next "record" is misaligned.
    let mut framed = length_prefixed(&[message.clone(), message.clone()]);
    framed[3] -= 1;
    let (spans, errors, _) = read_all(framed);
    assert!(spans.is_empty());
    assert!(!errors.is_empty() && errors.len() <= 2, "{errors:?}");
    // The first record's message starts at byte 4 with a field whose length
    // now runs past the record.
    assert_eq!(errors[0].line_offset, 4, "{errors:?}");

    // A 2 GB length prefix: an error, not a 2 GB allocation.
    let mut framed = vec![0x7f, 0xff, 0xff, 0xff, 0x0a];
    framed.extend_from_slice(&message);
    let mut head = vec![0, 0, 0, 1, 0x0a];
    head.extend(framed);
    let (_, errors, _) = read_all(head);
    assert!(
        errors
            .iter()
            .any(|e| e.kind == ErrorKind::Syntax || e.kind == ErrorKind::TooLarge),
        "{errors:?}"
    );
    let mut huge = vec![0x00, 0x00, 0x00, 0x05, 0x0a, 0x03, 0x12, 0x01, 0x00];
    huge.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0x0a, 0x00]);
    let (_, errors, _) = read_all(huge);
    assert_eq!(
        errors.last().map(|e| e.kind),
        Some(ErrorKind::TooLarge),
        "{errors:?}"
    );
    assert_eq!(errors.last().map(|e| e.line_offset), Some(9));
}

#[test]
fn unknown_fields_are_skipped() {
    let mut message = span_message(string_value("v")).encode_to_vec();
    // Field 99 (varint) and field 100 (length-delimited) at the top level.
    message.extend_from_slice(&[0x98, 0x06, 0x2a, 0xa2, 0x06, 0x02, b'h', b'i']);
    let (spans, errors, _) = read_all(message.clone());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].encoded_len, message.len() as u64);
}

#[test]
fn deep_kvlist_is_an_error_not_a_stack_overflow() {
    // 10 000 nested kvlists, built as bytes (prost would refuse to encode them
    // no more than to decode them).
    let mut value = string_value("leaf").encode_to_vec();
    for _ in 0..10_000 {
        let kv = pbc::KeyValue {
            key: "k".into(),
            value: None,
            ..Default::default()
        };
        let mut kv_bytes = kv.encode_to_vec();
        prost::encoding::encode_key(2, prost::encoding::WireType::LengthDelimited, &mut kv_bytes);
        prost::encoding::encode_varint(value.len() as u64, &mut kv_bytes);
        kv_bytes.extend_from_slice(&value);
        let mut list = Vec::new();
        prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut list);
        prost::encoding::encode_varint(kv_bytes.len() as u64, &mut list);
        list.extend_from_slice(&kv_bytes);
        value.clear();
        prost::encoding::encode_key(6, prost::encoding::WireType::LengthDelimited, &mut value);
        prost::encoding::encode_varint(list.len() as u64, &mut value);
        value.extend_from_slice(&list);
    }
    let deep = pbc::KeyValue {
        key: "k".into(),
        value: None,
        ..Default::default()
    };
    let mut attribute = deep.encode_to_vec();
    prost::encoding::encode_key(
        2,
        prost::encoding::WireType::LengthDelimited,
        &mut attribute,
    );
    prost::encoding::encode_varint(value.len() as u64, &mut attribute);
    attribute.extend_from_slice(&value);
    let mut span = pbt::Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        ..Default::default()
    }
    .encode_to_vec();
    prost::encoding::encode_key(9, prost::encoding::WireType::LengthDelimited, &mut span);
    prost::encoding::encode_varint(attribute.len() as u64, &mut span);
    span.extend_from_slice(&attribute);
    let nest = |field: u32, inner: &[u8]| {
        let mut out = Vec::new();
        prost::encoding::encode_key(field, prost::encoding::WireType::LengthDelimited, &mut out);
        prost::encoding::encode_varint(inner.len() as u64, &mut out);
        out.extend_from_slice(inner);
        out
    };
    let message = nest(1, &nest(2, &nest(2, &span)));
    let e = one_error(message);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.message.contains("recursion limit"), "{e}");
    // The error points at the span: envelope keys and lengths come first.
    assert!(e.line_offset > 0 && e.line_offset < 20, "{e}");
}

#[test]
fn invalid_utf8_is_positioned() {
    let good = span_message(string_value("vvvv")).encode_to_vec();
    let at = good.windows(4).position(|w| w == b"vvvv").expect("value");
    let mut bad = good.clone();
    bad[at + 1] = 0xff;
    let e = one_error(bad);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.message.contains("UTF-8"), "{e}");
    // Positioned at the span that holds it.
    let span_at = good.iter().position(|&b| b == 0x12).expect("scope");
    assert!(e.line_offset >= span_at as u64, "{e}");
}

#[test]
fn bad_ids_and_enums() {
    let mut data = span_message(string_value("v"));
    data.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![1; 15];
    let e = one_error(data.encode_to_vec());
    assert_eq!(e.kind, ErrorKind::InvalidId);
    assert!(e.message.contains("trace_id is 15 bytes"), "{e}");
    let mut data = span_message(string_value("v"));
    data.resource_spans[0].scope_spans[0].spans[0].kind = 9;
    assert_eq!(one_error(data.encode_to_vec()).kind, ErrorKind::Schema);
}

#[test]
fn gzip_with_trailing_garbage_is_an_error() {
    let message = span_message(string_value("v")).encode_to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&message).expect("gzip");
    let mut bytes = gz.finish().expect("gzip");
    bytes.extend_from_slice(b"garbage!");
    let (spans, errors, _) = read_all(bytes);
    assert!(spans.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ErrorKind::Io);
}

#[test]
fn empty_input_is_an_error() {
    let e = one_error(Vec::new());
    assert_eq!(e.kind, ErrorKind::Empty);
    assert_eq!(e.to_string(), "input: byte 0: the input is empty");
    // A compressed empty input too.
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    assert_eq!(one_error(gz.finish().expect("gzip")).kind, ErrorKind::Empty);
}

#[test]
fn half_json_half_protobuf() {
    let message = span_message(string_value("v")).encode_to_vec();
    let json = br#"{"resourceSpans":[]}"#;
    // JSON first: the protobuf half is a bad line, positioned by line.
    let mut bytes = json.to_vec();
    bytes.push(b'\n');
    bytes.extend_from_slice(&message);
    let (_, errors, framing) = read_all(bytes);
    assert_eq!(framing, Some(Framing::JsonLines));
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e.line >= 2),
        "{errors:?}"
    );
    // Protobuf records first: the JSON half is an implausible record.
    let mut bytes = length_prefixed(std::slice::from_ref(&message));
    let end = bytes.len() as u64;
    bytes.extend_from_slice(json);
    let (spans, errors, _) = read_all(bytes);
    assert_eq!(spans.len(), 1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line_offset, end);
    // One message then JSON: the message is broken.
    let mut bytes = message;
    bytes.extend_from_slice(json);
    assert_eq!(one_error(bytes).kind, ErrorKind::Syntax);
}

#[test]
fn compression_is_told_by_bytes_not_names() {
    let shop = std::fs::read(root().join("corpus/traces/shop.jsonl")).expect("corpus");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&shop).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let zst = zstd::encode_all(shop.as_slice(), 1).expect("zstd");
    let plain = read_all(shop.clone());
    assert!(plain.1.is_empty());
    for bytes in [gz, zst] {
        let (spans, errors, _) = read_all(bytes);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(spans, plain.0);
    }
    // A plain file named .gz is read as plain.
    let dir = tempfile_dir();
    let path = dir.join("plain.jsonl.gz");
    std::fs::write(&path, &shop).expect("write");
    let mut reader = crate::open(&path).expect("open");
    assert!(reader.by_ref().all(|b| b.is_ok()));
    let _ = std::fs::remove_file(&path);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cpl-otlp-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    dir
}

#[test]
fn traces_reader_reads_a_short_slow_stream() {
    // A reader that hands out one byte at a time still sniffs protobuf.
    struct Drip(Vec<u8>, usize);
    impl Read for Drip {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 >= self.0.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }
    let message = span_message(string_value("v")).encode_to_vec();
    let framed = length_prefixed(&[message.clone(), message]);
    let reader = TraceReader::new(
        std::io::BufReader::with_capacity(1, Drip(framed, 0)),
        "drip",
    );
    let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("reads");
    assert_eq!(batches.len(), 2);
}
