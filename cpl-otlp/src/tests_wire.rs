//! The protobuf fast path (`wire.rs`) against the reference decoder (prost's
//! generated types): on random messages, and on byte- and field-level
//! mutations of them, the fast path gives exactly the reference's spans or
//! gives up; the dispatcher gives the reference's result, errors included;
//! and with an [`AttributeKeys`] filter, the reference's spans without the
//! attributes it does not keep.

use proptest::prelude::*;
use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message;

use crate::keys::{kept_only, AttributeKeys};
use crate::pb::common::v1 as pbc;
use crate::pb::resource::v1 as pbr;
use crate::pb::trace::v1 as pbt;
use crate::proto::{decode_message_into, decode_reference_into, ProtoError};
use crate::{encode_traces_data, wire, Fidelity, Span};

// ---------------------------------------------------------------------------
// Random messages, as prost's types (so every field prost knows can be set).

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[ab]{1,2}", 1 => Just(String::new()), 1 => "[é\u{1F600}]{1,2}"]
}

fn any_value() -> impl Strategy<Value = pbc::AnyValue> {
    use pbc::any_value::Value;
    let leaf = prop_oneof![
        "[a-zé]{0,4}".prop_map(Value::StringValue),
        any::<bool>().prop_map(Value::BoolValue),
        any::<i64>().prop_map(Value::IntValue),
        any::<f64>().prop_map(Value::DoubleValue),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(Value::BytesValue),
        any::<i32>().prop_map(Value::StringValueStrindex),
    ];
    let leaf = proptest::option::weighted(0.9, leaf).prop_map(|value| pbc::AnyValue { value });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|values| pbc::AnyValue {
                value: Some(Value::ArrayValue(pbc::ArrayValue { values })),
            }),
            proptest::collection::vec((key(), proptest::option::of(inner)), 0..3).prop_map(|kvs| {
                pbc::AnyValue {
                    value: Some(Value::KvlistValue(pbc::KeyValueList {
                        values: kvs
                            .into_iter()
                            .map(|(key, value)| pbc::KeyValue {
                                key,
                                value,
                                key_strindex: 0,
                            })
                            .collect(),
                    })),
                }
            }),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<pbc::KeyValue>> {
    proptest::collection::vec(
        (
            key(),
            proptest::option::weighted(0.9, any_value()),
            prop_oneof![9 => Just(0), 1 => any::<i32>()],
        )
            .prop_map(|(key, value, key_strindex)| pbc::KeyValue {
                key,
                value,
                key_strindex,
            }),
        0..4,
    )
}

/// An id: mostly `n` bytes, not all zero; sometimes empty, zero or of another length.
fn id(n: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        40 => proptest::collection::vec(any::<u8>(), n).prop_map(|mut id| {
            id[0] |= 1;
            id
        }),
        1 => Just(Vec::new()),
        1 => Just(vec![0; n]),
        1 => proptest::collection::vec(any::<u8>(), 1..20),
    ]
}

fn small() -> impl Strategy<Value = u32> {
    prop_oneof![3 => Just(0), 1 => any::<u32>()]
}

fn event() -> impl Strategy<Value = pbt::span::Event> {
    (any::<u64>(), "[a-z]{0,3}", attributes(), small()).prop_map(
        |(time_unix_nano, name, attributes, dropped_attributes_count)| pbt::span::Event {
            time_unix_nano,
            name,
            attributes,
            dropped_attributes_count,
        },
    )
}

fn link() -> impl Strategy<Value = pbt::span::Link> {
    (id(16), id(8), "[a-z=]{0,3}", attributes(), small(), small()).prop_map(
        |(trace_id, span_id, trace_state, attributes, dropped_attributes_count, flags)| {
            pbt::span::Link {
                trace_id,
                span_id,
                trace_state,
                attributes,
                dropped_attributes_count,
                flags,
            }
        },
    )
}

fn span() -> impl Strategy<Value = pbt::Span> {
    let ids = (id(16), id(8), prop_oneof![Just(Vec::new()), id(8)]);
    let status =
        proptest::option::of((prop_oneof![40 => 0..3i32, 1 => any::<i32>()], "[a-z]{0,3}"))
            .prop_map(|status| status.map(|(code, message)| pbt::Status { message, code }));
    let detail = (
        "[a-z=]{0,3}",
        small(),
        proptest::collection::vec(event(), 0..2),
        proptest::collection::vec(link(), 0..2),
        (small(), small(), small()),
    );
    (
        ids,
        "[a-z /]{0,6}",
        prop_oneof![40 => 0..6i32, 1 => any::<i32>()],
        (any::<u64>(), any::<u64>()),
        attributes(),
        status,
        detail,
    )
        .prop_map(
            |(
                (trace_id, span_id, parent_span_id),
                name,
                kind,
                (start_time_unix_nano, end_time_unix_nano),
                attributes,
                status,
                (trace_state, flags, events, links, (dropped_a, dropped_e, dropped_l)),
            )| pbt::Span {
                trace_id,
                span_id,
                trace_state,
                parent_span_id,
                flags,
                name,
                kind,
                start_time_unix_nano,
                end_time_unix_nano,
                attributes,
                dropped_attributes_count: dropped_a,
                events,
                dropped_events_count: dropped_e,
                links,
                dropped_links_count: dropped_l,
                status,
            },
        )
}

fn traces_data() -> impl Strategy<Value = pbt::TracesData> {
    let scope = proptest::option::of(("[a-z]{0,3}", "[0-9.]{0,3}", attributes(), small()))
        .prop_map(|scope| {
            scope.map(|(name, version, attributes, dropped_attributes_count)| {
                pbc::InstrumentationScope {
                    name,
                    version,
                    attributes,
                    dropped_attributes_count,
                }
            })
        });
    let scope_spans = (
        scope,
        proptest::collection::vec(span(), 1..4),
        "[a-z:/]{0,3}",
    )
        .prop_map(|(scope, spans, schema_url)| pbt::ScopeSpans {
            scope,
            spans,
            schema_url,
        });
    let entity_ref = (
        "[a-z]{0,2}",
        "[a-z]{0,2}",
        proptest::collection::vec("[a-z]{0,2}", 0..2),
    )
        .prop_map(|(schema_url, r#type, id_keys)| pbc::EntityRef {
            schema_url,
            r#type,
            id_keys,
            description_keys: Vec::new(),
        });
    let resource = proptest::option::of((
        attributes(),
        small(),
        proptest::collection::vec(entity_ref, 0..2),
    ))
    .prop_map(|resource| {
        resource.map(
            |(attributes, dropped_attributes_count, entity_refs)| pbr::Resource {
                attributes,
                dropped_attributes_count,
                entity_refs,
            },
        )
    });
    let resource_spans = (
        resource,
        proptest::collection::vec(scope_spans, 1..3),
        "[a-z:/]{0,3}",
    )
        .prop_map(|(resource, scope_spans, schema_url)| pbt::ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        });
    prop_oneof![1 => Just(Vec::new()), 9 => proptest::collection::vec(resource_spans, 1..3)]
        .prop_map(|resource_spans| pbt::TracesData { resource_spans })
}

/// A message from the strategies of the JSON -> protobuf property
/// (`tests_detail`), as `encode_traces_data` writes it.
fn from_detail_groups() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(crate::tests_detail::group(), 1..3).prop_map(|groups| {
        let (_, spans) = crate::tests_detail::to_json(&groups);
        encode_traces_data(&spans)
    })
}

// ---------------------------------------------------------------------------
// Field-level mutations: the message as a tree of fields, by the OTLP schema.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    TracesData,
    ResourceSpans,
    Resource,
    EntityRef,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KvList,
}

impl Kind {
    /// The message type of field `tag`, if it is a message.
    fn child(self, tag: u32) -> Option<Kind> {
        use Kind as K;
        Some(match (self, tag) {
            (K::TracesData, 1) => K::ResourceSpans,
            (K::ResourceSpans, 1) => K::Resource,
            (K::ResourceSpans | K::ScopeSpans, 2) => match self {
                K::ResourceSpans => K::ScopeSpans,
                _ => K::Span,
            },
            (K::Resource, 3) => K::EntityRef,
            (K::ScopeSpans, 1) => K::Scope,
            (K::Resource | K::KvList, 1)
            | (K::Scope | K::Event, 3)
            | (K::Span, 9)
            | (K::Link, 4) => K::KeyValue,
            (K::Span, 11) => K::Event,
            (K::Span, 13) => K::Link,
            (K::Span, 15) => K::Status,
            (K::KeyValue, 2) | (K::ArrayValue, 1) => K::AnyValue,
            (K::AnyValue, 5) => K::ArrayValue,
            (K::AnyValue, 6) => K::KvList,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
enum Body {
    Varint(u64),
    Fixed64([u8; 8]),
    Fixed32([u8; 4]),
    Bytes(Vec<u8>),
    Message(Vec<Field>),
    /// An unknown group field's contents, as raw bytes.
    Group(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Field {
    tag: u32,
    body: Body,
    /// Extra bytes to write the varint (value or length) with: non-minimal.
    pad: u8,
}

fn parse(kind: Kind, mut buf: &[u8]) -> Option<Vec<Field>> {
    use prost::encoding::{decode_key, decode_varint};
    let mut fields = Vec::new();
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).ok()?;
        let body = match wire_type {
            WireType::Varint => Body::Varint(decode_varint(&mut buf).ok()?),
            WireType::SixtyFourBit => {
                let (word, rest) = buf.split_first_chunk::<8>()?;
                buf = rest;
                Body::Fixed64(*word)
            }
            WireType::ThirtyTwoBit => {
                let (word, rest) = buf.split_first_chunk::<4>()?;
                buf = rest;
                Body::Fixed32(*word)
            }
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                if len > buf.len() {
                    return None;
                }
                let (value, rest) = buf.split_at(len);
                buf = rest;
                match kind.child(tag) {
                    Some(child) => Body::Message(parse(child, value)?),
                    None => Body::Bytes(value.to_vec()),
                }
            }
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        fields.push(Field { tag, body, pad: 0 });
    }
    Some(fields)
}

fn write_varint(value: u64, pad: u8, out: &mut Vec<u8>) {
    if pad == 0 {
        encode_varint(value, out);
        return;
    }
    // Continuation bits on every byte but the last, which is zero padding.
    let mut value = value;
    let mut bytes = Vec::new();
    loop {
        bytes.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
        if value == 0 {
            break;
        }
    }
    bytes.extend(std::iter::repeat_n(0x80, usize::from(pad) - 1));
    bytes.push(0);
    bytes.truncate(10);
    if let Some(last) = bytes.last_mut() {
        *last &= 0x7f;
    }
    out.extend_from_slice(&bytes);
}

fn write(fields: &[Field], out: &mut Vec<u8>) {
    for field in fields {
        match &field.body {
            Body::Varint(value) => {
                encode_key(field.tag, WireType::Varint, out);
                write_varint(*value, field.pad, out);
            }
            Body::Fixed64(word) => {
                encode_key(field.tag, WireType::SixtyFourBit, out);
                out.extend_from_slice(word);
            }
            Body::Fixed32(word) => {
                encode_key(field.tag, WireType::ThirtyTwoBit, out);
                out.extend_from_slice(word);
            }
            Body::Bytes(bytes) => {
                encode_key(field.tag, WireType::LengthDelimited, out);
                write_varint(bytes.len() as u64, field.pad, out);
                out.extend_from_slice(bytes);
            }
            Body::Message(children) => {
                let mut inner = Vec::new();
                write(children, &mut inner);
                encode_key(field.tag, WireType::LengthDelimited, out);
                write_varint(inner.len() as u64, field.pad, out);
                out.extend_from_slice(&inner);
            }
            Body::Group(bytes) => {
                encode_key(field.tag, WireType::StartGroup, out);
                out.extend_from_slice(bytes);
                encode_key(field.tag, WireType::EndGroup, out);
            }
        }
    }
}

/// How many messages the tree holds (the top level included).
fn count_messages(fields: &[Field]) -> usize {
    1 + fields
        .iter()
        .map(|field| match &field.body {
            Body::Message(children) => count_messages(children),
            _ => 0,
        })
        .sum::<usize>()
}

/// The type of every message of the tree, in preorder.
fn list_kinds(kind: Kind, fields: &[Field], out: &mut Vec<Kind>) {
    out.push(kind);
    for field in fields {
        if let (Body::Message(children), Some(child)) = (&field.body, kind.child(field.tag)) {
            list_kinds(child, children, out);
        }
    }
}

/// Calls `f` on message number `k` of the tree, in preorder, with its type.
fn edit_nth(
    kind: Kind,
    fields: &mut Vec<Field>,
    k: &mut usize,
    f: &mut dyn FnMut(Kind, &mut Vec<Field>),
) -> bool {
    if *k == 0 {
        f(kind, fields);
        return true;
    }
    *k -= 1;
    for field in fields.iter_mut() {
        let tag = field.tag;
        if let Body::Message(children) = &mut field.body {
            if let Some(child) = kind.child(tag) {
                if edit_nth(child, children, k, f) {
                    return true;
                }
            }
        }
    }
    false
}

/// Field `tag` of a `kind` message written with its default value, if it is a
/// scalar (string, bytes, number) field.
fn default_field(kind: Kind, tag: u32) -> Option<Body> {
    use Kind as K;
    let empty = Body::Bytes(Vec::new());
    Some(match (kind, tag) {
        (K::Span, 1..=5) | (K::KeyValue, 1) | (K::Status | K::Event, 2) | (K::Link, 1..=3) => empty,
        (K::Span, 6 | 10 | 12 | 14)
        | (K::KeyValue | K::Status, 3)
        | (K::Event, 4)
        | (K::Link, 5) => Body::Varint(0),
        (K::Span, 7 | 8) | (K::Event, 1) => Body::Fixed64([0; 8]),
        (K::Span, 16) | (K::Link, 6) => Body::Fixed32([0; 4]),
        _ => return None,
    })
}

#[derive(Clone, Debug)]
enum Edit {
    /// A field the schema does not have (unknown: skipped by prost).
    Unknown(Body),
    /// One of the message's fields again (prost merges or keeps the last).
    Duplicate,
    /// A known field number written with a default or arbitrary scalar.
    Scalar(u32, Body),
    /// A varint or a length written with padding.
    Pad(u8),
    /// Two fields swapped (field order is free on the wire).
    Swap(usize),
    /// A scalar field of the message written with its default value.
    Default(u32),
}

fn edit() -> impl Strategy<Value = Edit> {
    let body = prop_oneof![
        any::<u64>().prop_map(Body::Varint),
        Just(Body::Varint(0)),
        any::<[u8; 8]>().prop_map(Body::Fixed64),
        Just(Body::Fixed64([0; 8])),
        any::<[u8; 4]>().prop_map(Body::Fixed32),
        proptest::collection::vec(any::<u8>(), 0..3).prop_map(Body::Bytes),
        Just(Body::Bytes(Vec::new())),
        Just(Body::Group(vec![0x08, 0x01])),
    ];
    prop_oneof![
        (17u32..40, body.clone()).prop_map(|(_, body)| Edit::Unknown(body)),
        Just(Edit::Duplicate),
        (1u32..17, body).prop_map(|(tag, body)| Edit::Scalar(tag, body)),
        (1u8..4).prop_map(Edit::Pad),
        any::<usize>().prop_map(Edit::Swap),
        (1u32..17).prop_map(Edit::Default),
    ]
}

/// Applies `edit` to the message number `at` (modulo their count) of `bytes`;
/// `None` if `bytes` does not parse as the schema says.
fn apply(bytes: &[u8], at: usize, position: usize, edit: &Edit) -> Option<Vec<u8>> {
    let mut tree = parse(Kind::TracesData, bytes)?;
    let mut k = at % count_messages(&tree);
    if let Edit::Default(tag) = edit {
        // Among the messages that have such a field.
        let mut kinds = Vec::new();
        list_kinds(Kind::TracesData, &tree, &mut kinds);
        let having: Vec<usize> = (0..kinds.len())
            .filter(|&i| default_field(kinds[i], *tag).is_some())
            .collect();
        if having.is_empty() {
            return Some(bytes.to_vec());
        }
        k = having[at % having.len()];
    }
    edit_nth(Kind::TracesData, &mut tree, &mut k, &mut |kind, fields| {
        edit_fields(kind, fields, position, edit);
    });
    let mut out = Vec::new();
    write(&tree, &mut out);
    Some(out)
}

fn edit_fields(kind: Kind, fields: &mut Vec<Field>, position: usize, edit: &Edit) {
    let n = fields.len();
    match edit {
        Edit::Default(tag) => {
            if let Some(body) = default_field(kind, *tag) {
                let pad = 0;
                fields.insert(
                    position % (n + 1),
                    Field {
                        tag: *tag,
                        body,
                        pad,
                    },
                );
            }
        }
        Edit::Unknown(body) => fields.insert(
            position % (n + 1),
            Field {
                tag: 17 + u32::try_from(position % 20).unwrap_or(0),
                body: body.clone(),
                pad: 0,
            },
        ),
        Edit::Duplicate if n > 0 => {
            let field = fields[position % n].clone();
            fields.insert(position % (n + 1), field);
        }
        Edit::Scalar(tag, body) => fields.insert(
            position % (n + 1),
            Field {
                tag: *tag,
                body: body.clone(),
                pad: 0,
            },
        ),
        Edit::Pad(pad) if n > 0 => {
            let field = &mut fields[position % n];
            if matches!(
                field.body,
                Body::Varint(_) | Body::Bytes(_) | Body::Message(_)
            ) {
                field.pad = *pad;
            }
        }
        Edit::Swap(other) if n > 1 => fields.swap(position % n, other % n),
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    None,
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Field(usize, usize, Edit),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::None),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip(at, xor)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        8 => (any::<usize>(), any::<usize>(), edit())
            .prop_map(|(at, position, edit)| Mutation::Field(at, position, edit)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    match mutation {
        Mutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
        Mutation::Flip(at, xor) if !bytes.is_empty() => {
            let n = bytes.len();
            bytes[at % n] ^= xor;
        }
        Mutation::Insert(at, extra) => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, extra.iter().copied());
        }
        Mutation::Field(at, position, edit) => {
            if let Some(edited) = apply(&bytes, *at, *position, edit) {
                bytes = edited;
            }
        }
        Mutation::None | Mutation::Flip(..) => {}
    }
    bytes
}

// ---------------------------------------------------------------------------
// The comparison.

type Decoded = (Result<usize, ProtoError>, Vec<Span>);

fn reference(bytes: &[u8], size: u64, keys: &AttributeKeys) -> Decoded {
    let mut spans = Vec::new();
    let result = decode_reference_into(bytes, size, &mut spans, Fidelity::Policy, keys);
    (result, spans)
}

fn dispatched(bytes: &[u8], size: u64, keys: &AttributeKeys) -> Decoded {
    let mut spans = Vec::new();
    let result = decode_message_into(bytes, size, &mut spans, Fidelity::Policy, keys);
    (result, spans)
}

/// The fast path alone: `None` when it gives up.
fn fast(bytes: &[u8], size: u64, keys: &AttributeKeys) -> Option<(usize, Vec<Span>)> {
    let mut spans = Vec::new();
    if let Ok(n) = wire::decode_message_into(bytes, size, &mut spans, keys) {
        Some((n, spans))
    } else {
        assert!(spans.is_empty(), "nothing is left behind on giving up");
        None
    }
}

/// Checks every rule on one message; whether the fast path took it.
fn check(bytes: &[u8], size: u64, keys: &AttributeKeys) -> Result<bool, TestCaseError> {
    let all = AttributeKeys::all();
    let (expected, spans) = reference(bytes, size, &all);
    // The fast path: the reference's spans, or it gives up.
    let took = fast(bytes, size, &all);
    if let Some((n, fast_spans)) = &took {
        prop_assert_eq!(
            expected.as_ref().ok(),
            Some(n),
            "fast path accepted what the reference did not"
        );
        prop_assert_eq!(fast_spans, &spans);
    }
    // The dispatcher: the reference's result, errors and offsets included.
    let (result, dispatched_spans) = dispatched(bytes, size, &all);
    prop_assert_eq!(&result, &expected);
    prop_assert_eq!(&dispatched_spans, &spans);
    // With a filter: the same result, without the attributes not kept, by
    // either path.
    let want = kept_only(&spans, keys);
    let (result, kept) = dispatched(bytes, size, keys);
    prop_assert_eq!(&result, &expected);
    prop_assert_eq!(&kept, &want);
    let (result, kept) = reference(bytes, size, keys);
    prop_assert_eq!(&result, &expected);
    prop_assert_eq!(&kept, &want);
    if let Some((n, kept)) = fast(bytes, size, keys) {
        prop_assert_eq!(Some(&n), expected.as_ref().ok());
        prop_assert_eq!(&kept, &want);
    }
    Ok(took.is_some())
}

fn keys() -> impl Strategy<Value = AttributeKeys> {
    let names = || {
        proptest::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just("ab"), Just("ba"), Just("")],
            0..3,
        )
    };
    (names(), names()).prop_map(|(span, resource)| AttributeKeys::only(span, resource))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_is_the_reference_or_gives_up(
        data in traces_data(),
        mutation in mutation(),
        keys in keys(),
        extra in 0u64..6,
    ) {
        let clean = data.encode_to_vec();
        let bytes = mutate(clean.clone(), &mutation);
        let size = bytes.len() as u64 + extra;
        let took = check(&bytes, size, &keys)?;
        // A message as prost writes it never makes the fast path give up
        // unless the reference rejects it.
        if matches!(mutation, Mutation::None) {
            let (expected, _) = reference(&bytes, size, &AttributeKeys::all());
            prop_assert_eq!(took, expected.is_ok(), "gave up on a canonical message");
        }
    }

    #[test]
    fn fast_path_is_the_reference_on_detail_messages(
        bytes in from_detail_groups(),
        mutation in mutation(),
        keys in keys(),
    ) {
        let clean = bytes.clone();
        let bytes = mutate(bytes, &mutation);
        let took = check(&bytes, bytes.len() as u64 + 4, &keys)?;
        if matches!(mutation, Mutation::None) {
            prop_assert!(took, "gave up on {:?}", clean);
        }
    }
}

/// Messages as real producers wrote them take the fast path.
#[test]
fn real_producers_take_the_fast_path() {
    let root =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/otlp-proto");
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(root.join("otlp_http")).expect("fixtures") {
        let gzip = std::fs::read(entry.expect("entry").path()).expect("read");
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(gzip.as_slice()),
            &mut body,
        )
        .expect("gzip");
        messages.push(body);
    }
    let native = std::fs::read(root.join("fileexporter/shop20-native.pb.zst")).expect("fixture");
    for records in [
        std::fs::read(root.join("fileexporter/shop5.pb")).expect("fixture"),
        zstd::decode_all(native.as_slice()).expect("zstd"),
    ] {
        let mut rest = records.as_slice();
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let len = u32::from_be_bytes(*len) as usize;
            messages.push(tail[..len].to_vec());
            rest = &tail[len..];
        }
    }
    assert!(messages.len() > 5);
    let keys = AttributeKeys::only(["http.route"], ["service.name"]);
    for message in &messages {
        let size = message.len() as u64;
        let (expected, spans) = reference(message, size, &AttributeKeys::all());
        assert!(expected.is_ok() && !spans.is_empty());
        let (n, fast_spans) = fast(message, size, &AttributeKeys::all()).expect("fast path");
        assert_eq!((Ok(n), fast_spans), (expected, spans.clone()));
        let (_, kept) = fast(message, size, &keys).expect("fast path");
        assert_eq!(kept, kept_only(&spans, &keys));
    }
}
