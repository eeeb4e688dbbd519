//! Reading recorded traces: OTLP/JSON and OTLP protobuf (`TracesData` /
//! `ExportTraceServiceRequest`), plain, gzip or zstd, into one span model,
//! [`Span`], which the evaluator reads through [`cpl_eval::SpanView`].
//!
//! `cpl replay` predicts what a policy keeps from traces that were already
//! recorded, so it needs to read what collectors and SDKs write, fast, without
//! holding the input in memory, and without ever presenting a partly read input
//! as complete: every line or document it cannot decode is reported with its
//! position and counted, and nothing of it is used.
//!
//! # Example
//!
//! ```
//! use cpl_otlp::{TraceReader, SpanKind};
//!
//! let input = concat!(
//!     r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"#,
//!     r#""scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","#,
//!     r#""name":"GET /","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":1500}]}]}]}"#, "\n",
//!     r#"{"resourceLogs":[]}"#, "\n",
//! );
//! let mut reader = TraceReader::new(input.as_bytes(), "example.jsonl");
//! let batches: Vec<_> = reader.by_ref().collect::<Result<_, _>>()?;
//! let span = &batches[0].spans[0];
//! assert_eq!(span.trace_id.to_string(), "5b8efff798038103d269b633813fc60c");
//! assert_eq!(span.kind, SpanKind::Server);
//! assert_eq!(span.duration_nanos(), 500);
//! assert_eq!(span.service_name(), Some("api"));
//! assert_eq!(reader.stats().lines_skipped_non_trace, 1);
//! assert_eq!(span.encoded_len, batches[0].bytes);
//! # Ok::<(), cpl_otlp::ReadError>(())
//! ```
//!
//! # Formats and how they are told apart
//!
//! [`from_reader`] and [`open`] tell compression from the first bytes
//! ([`Compression::detect`]: gzip `1f 8b`, zstd `28 b5 2f fd`), whatever the
//! file is called, and [`TraceReader::new`] tells the form of the
//! (decompressed) input from its first [`SNIFF_BYTES`] bytes
//! ([`InputFormat::detect`], which lists the rules): OTLP/JSON (a document or
//! JSON Lines), one protobuf message (an OTLP/HTTP body), or the collector file
//! exporter's `format: proto` records, each preceded by its length as a 4-byte
//! big-endian integer (`exportMessageAsBuffer` in the exporter's
//! `file_writer.go`). Without the exporter's native-compression feature gate,
//! `compression: zstd` makes each record a zstd frame (of a protobuf message or,
//! with `format: json`, of a JSON document); such records are decompressed one by
//! one, up to the document limit. An input with no bytes is an
//! [`ErrorKind::Empty`] error.
//!
//! # Protobuf
//!
//! prost decodes each message into types generated from the vendored
//! opentelemetry-proto `.proto` files (v1.10.0), proto3 style: unknown fields
//! are skipped. Ids must be 16 and 8 bytes and not all zeros (an empty or zero
//! `parent_span_id` is a root), `kind` and `status.code` inside their enums
//! ([`ErrorKind::InvalidId`], [`ErrorKind::Schema`]); malformed wire data,
//! invalid UTF-8 and messages nested deeper than prost's limit of 100 (an
//! `AnyValue` bomb) are [`ErrorKind::Syntax`]. Errors are positioned by byte
//! offset ([`ReadError::line`] is 0): the innermost resource, scope or span that
//! does not decode, or the record whose framing fails. A length prefix above the
//! document limit is skipped without being loaded; a truncated record, or one
//! that does not start with a message (a wrong prefix before it), ends the input.
//!
//! At [`Fidelity::Policy`] a direct walk over the wire format runs first: it
//! reads each message once with prost's encoding primitives (`decode_key`,
//! `decode_varint`, `skip_field`) straight into [`Span`]s, without prost's
//! generated structs, and allocates nothing for what the reader's
//! [`AttributeKeys`] leaves out (unkept attributes are still checked: UTF-8, the
//! `AnyValue` wire shape, nesting against prost's limit; events, links and the
//! scope are checked and not built). Each distinct span attribute key is
//! checked and looked up once per message. Decoding into prost's structs first
//! allocated every string of every attribute, so that a replay spent most of its
//! time in `malloc`, `free` and copies for attributes it never reads; measured
//! on one core on a 44.8 MB file exporter capture (100,361 spans), decode only:
//! 0.52 s through prost's structs, 0.36 s for the walk keeping every attribute,
//! 0.17 s keeping what a replay of corpus/policies/demo.yaml reads (`cpl replay
//! -j 1`: 0.60 s before, 0.21 s after). The walk is exact or gives up: a message
//! it does not reproduce exactly (malformed, a field written twice, an unknown
//! field or a non-minimal varint inside a span, whose `encoded_len` then
//! differs from its length on the wire) is decoded by prost as above, so
//! results, errors and offsets are always prost's (a property test compares the
//! two on random and mutated messages). At [`Fidelity::Full`] prost decodes
//! every message and every attribute is kept.
//!
//! # JSON encoding
//!
//! The opentelemetry-proto "JSON Protobuf Encoding": proto3 JSON with
//! lowerCamelCase keys, ids as hex (either case), `int64`/`uint64` fields
//! (times, `intValue`) as decimal strings or JSON numbers, enums (`kind`,
//! `status.code`) as integers, unknown fields ignored, `null` meaning "absent".
//! Every `AnyValue` variant is decoded (`doubleValue` also from `"NaN"`,
//! `"Infinity"`, `"-Infinity"` and decimal strings; `bytesValue` from standard
//! or URL-safe base64, padded or not). Events, links, scope, flags, trace
//! state, the status message, the dropped counts and the schema URLs are
//! skipped unread, as unknown fields are, unless [`Fidelity::Full`] asks for
//! them (see [Full fidelity](#full-fidelity)).
//!
//! That is [`Leniency::Strict`], the default of [`decode_document`],
//! [`decode_document_into`] and [`TraceReader`]. It is stricter than a plain
//! proto3 JSON parser (each is an error for the whole document, see
//! [`ErrorKind`]):
//! - `traceId` and `spanId` must be present, 32 and 16 hex digits, and not all
//!   zeros; empty, short, long, non-hex and base64 ids are errors (the
//!   `opentelemetry-proto` crate accepts empty ids). `parentSpanId` absent,
//!   `""` or all zeros means "no parent".
//! - Enum names (`"SPAN_KIND_SERVER"`, `"STATUS_CODE_ERROR"`) are errors
//!   ([`ErrorKind::EnumName`]) as the spec says, and so are integers outside the
//!   enum (`kind` 0..=5, `status.code` 0..=2), which the span type cannot hold.
//! - snake_case proto field names (`resource_spans`, `scope_spans`, `trace_id`,
//!   `span_id`, `start_time_unix_nano`, `string_value`, ...) are errors, not
//!   ignored unknown fields: ignoring them would silently drop spans.
//! - A JSON object with none of `resourceSpans`, `resourceLogs`,
//!   `resourceMetrics`, `resourceProfiles` is not a trace document
//!   ([`ErrorKind::NotTraces`]): this catches wrappers such as Jaeger's
//!   `{"result": ...}` or Tempo's `{"batches": ...}` instead of reading them as
//!   empty. `{"resourceSpans": []}` is a valid document without spans.
//!
//! Accepted for compatibility: `instrumentationLibrarySpans` (the pre-1.0 name
//! of `scopeSpans`), integral numbers in exponent form (`1e9`) for integer
//! fields, and a UTF-8 byte order mark at the start of a document.
//!
//! # Dialects
//!
//! [`Leniency::Lenient`] ([`decode_document_with`],
//! [`TraceReader::with_leniency`]) also reads what trace stores export:
//! proto3 canonical JSON (ids in base64, enums as names), snake_case proto
//! field names, Grafana Tempo's `{"batches": [...]}` and Jaeger api/v3's
//! `{"result": {...}}`. It never guesses: an id must be hex of the right
//! length or the canonical base64 of exactly 16 or 8 bytes, an enum name must
//! be one of the enum's, a field written in both spellings in one object is an
//! error, and empty or all-zero ids are errors as in strict reading. What a
//! document departs by is returned as [`Deviations`] and merged per input in
//! [`ReadStats::deviations`], whose [`Deviations::notice`] says how the input
//! was read (spec/replay.md, "What trace stores export").
//!
//! # Full fidelity
//!
//! CPL policies read only what [`Span`] holds, so by default
//! ([`Fidelity::Policy`]) the reader keeps nothing else and [`Span::detail`] is
//! `None`: a replay pays nothing for the rest, and those fields are not even
//! checked (a malformed event or link does not fail a document). Other policy
//! languages, such as the OpenTelemetry Collector's `tail_sampling` processor
//! and OTTL, read more: [`TraceReader::with_fidelity`]`(`[`Fidelity::Full`]`)`
//! (and [`decode_document_with_fidelity`], and [`RawDocument::fidelity`] for
//! [`decode_raw`]) gives every span a [`SpanDetail`], from JSON and protobuf
//! alike:
//! - the instrumentation [`Scope`] (name, version, attributes, dropped count;
//!   `scope`, or its pre-1.0 name `instrumentationLibrary`, not both), one
//!   [`Arc`](std::sync::Arc) shared by the spans of one `scopeSpans`, and
//!   the `schemaUrl` of the enclosing `resourceSpans` and `scopeSpans`;
//! - `traceState`, `flags`, `status.message`, `droppedAttributesCount`;
//! - the [`Event`]s (`timeUnixNano`, `name`, `attributes`,
//!   `droppedAttributesCount`) and `droppedEventsCount`;
//! - the [`Link`]s (`traceId`, `spanId`, `traceState`, `attributes`,
//!   `droppedAttributesCount`, `flags`) and `droppedLinksCount`.
//!
//! Absent fields (and `null`) read as `""`, 0 or empty. The same rules apply as
//! to the rest of the span: `uint32`/`fixed32` counts and flags as JSON numbers
//! or decimal strings, `uint64` times likewise; a value of the wrong type or out
//! of range, a field written twice and (strictly) a snake_case key are
//! [`ErrorKind::Schema`]; a link's `traceId` and `spanId` must be present, of
//! the right length (hex in JSON; base64 too when reading leniently) and not
//! all zeros, else [`ErrorKind::InvalidId`]. Each is an error for the whole
//! document, positioned like any other (the protobuf offset is the span's).
//! [`encode_traces_data`] writes the detail back, so JSON -> protobuf keeps it.
//!
//! # Framing
//!
//! [`TraceReader`] takes any [`BufRead`](std::io::BufRead) and a display name
//! ([`open`] and [`from_reader`] add gzip and zstd, told by the bytes). For
//! JSON it reads line by line and decides from the first
//! non-blank line: if that line is an incomplete JSON value, the input is one
//! multi-line document, read whole (up to the limit) and decoded once;
//! otherwise the input is JSON Lines, one document per line, which is how the
//! collector's file exporter writes it. Blank lines are skipped. A JSONL input
//! is never loaded whole: memory holds one line at a time.
//!
//! A line (or a single document) longer than
//! [`DEFAULT_MAX_DOCUMENT_BYTES`] (256 MiB; see
//! [`TraceReader::with_max_document_bytes`]) is consumed without being stored
//! and reported as [`ErrorKind::TooLarge`] at its line.
//!
//! A protobuf message for the whole input is read whole, up to the same limit;
//! length-prefixed records one at a time.
//!
//! Documents of other signals (`resourceLogs`, `resourceMetrics`,
//! `resourceProfiles`) are skipped and counted in
//! [`ReadStats::lines_skipped_non_trace`].
//!
//! # Errors
//!
//! A document that fails to decode, for any reason including one bad id in one
//! span, yields a [`ReadError`] with the input name, the 1-based line, the byte
//! offset where that line starts, the column inside the line and a message; it
//! contributes no spans. The error also lists the document's other problems
//! ([`ReadError::more`], up to [`MAX_PROBLEMS`] in all, the rest counted): a
//! rejected document is walked again, field by field, to find them, so only
//! rejected documents pay for it. The caller decides whether to stop or skip: after an
//! error the iterator goes on with the next line (JSON Lines) or ends (a single
//! document, or a failed read or decompression, such as a truncated `.gz`).
//! [`ReadStats`] counts documents, skipped lines, errors by kind, and bytes.
//!
//! # Byte accounting
//!
//! Every span carries `encoded_len`, the input bytes it stands for, so that a
//! replay can report bytes kept. The bytes of a document are those of its line
//! including the line terminator (JSON Lines), or of the whole input from the
//! first non-blank line to the end (a single document). They are split over the
//! document's spans as follows: each span gets the length of its own JSON
//! object text (from `{` to `}`), and the rest of the document (the envelope,
//! resource and scope, separators, whitespace, the terminator) is shared out
//! evenly, the remainder going one byte each to the first spans. So the
//! `encoded_len` of a document's spans add up exactly to its size, and over an
//! input they add up to the bytes of all documents that contain spans
//! ([`ReadStats::span_bytes`]). Bytes of blank lines, skipped non-trace
//! documents, documents without spans and failed documents belong to no span.
//! Sizes are of the decompressed JSON.
//!
//! Protobuf follows the same rule: a span's own bytes are the encoded length of
//! its `Span` message (as prost encodes what it decoded, which is the input's
//! length for canonical encoders such as the collector's and the SDKs'), and
//! the rest of the message (envelope, resource, scope, field keys and lengths,
//! and a record's 4-byte length prefix) is shared evenly; a zstd-compressed
//! record counts decompressed. So the same spans weigh less in protobuf than in
//! JSON: byte figures describe the input as encoded.
//!
//! # Speed
//!
//! A document in the form the spec writes (what SDKs and the collector's file
//! exporter produce) is decoded by a single pass (`fast.rs`) that records each
//! span's byte extent as it goes and stores only the attributes [`AttributeKeys`]
//! keeps ([`TraceReader::with_attribute_keys`], [`decode_document_keeping`]),
//! while checking every value as the serde decoder would. At the first thing it
//! does not handle (a dialect, a `null`, a duplicate, anything malformed) the
//! serde decoder decodes the document from the start, so every error and
//! deviation is the serde decoder's. Measured on the 107 MB real-SDK capture
//! (README, "Performance"): `cpl replay -j 1` went from 4.8x to about 1.7x the
//! CPU of a bare serde_json syntax pass.
//!
//! # Parallel decoding
//!
//! [`decode_document`] and [`decode_document_into`] decode one document from a
//! byte slice and share nothing, so a caller can cut the input into lines and
//! decode them on several threads; [`TraceReader::next_raw`] and [`decode_raw`]
//! do the same for every form, protobuf records included. A JSON document of 4
//! MiB or more is itself cut into pieces at guessed starts of `resourceSpans`
//! entries, decoded on the caller's rayon threads; each guess is confirmed by
//! the piece before it ending exactly there, and a wrong one makes the document
//! be decoded on one thread.

mod decode;
mod dialect;
mod fast;
mod keys;
mod model;
mod pb;
mod problems;
mod proto;
mod reader;
mod view;
mod wire;

#[cfg(test)]
mod dialect_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_detail;
#[cfg(test)]
mod tests_fast;
#[cfg(test)]
mod tests_proto;
#[cfg(test)]
mod tests_wire;

pub use decode::{
    decode_document, decode_document_into, decode_document_keeping, decode_document_with,
    decode_document_with_fidelity, DecodeError, Document, ErrorKind, Signal, MAX_PROBLEMS,
};
pub use dialect::{Deviations, Leniency};
pub use keys::AttributeKeys;
pub use model::{
    AnyValue, Event, Fidelity, KeyValue, Link, Resource, Scope, Span, SpanDetail, SpanId, SpanKind,
    StatusCode, TraceId,
};
pub use proto::{encode_traces_data, InputFormat, GZIP_MAGIC, SNIFF_BYTES, ZSTD_MAGIC};
pub use reader::{
    decode_raw, decode_raw_ref, decompress, from_reader, open, Batch, BufferPool, Compression,
    Decoded, Encoding, Framing, RawDocument, ReadError, ReadStats, TraceReader,
    DEFAULT_MAX_DOCUMENT_BYTES,
};
pub use view::attr_value;
