//! The fast path for OTLP protobuf at [`Fidelity::Policy`](crate::Fidelity): one
//! walk over the wire format straight into [`Span`]s, with prost's encoding
//! primitives, no intermediate message structs, and nothing allocated for what a
//! replay does not keep (unkept attributes, events, links, scope).
//!
//! It is exact or it gives up: for every message it either yields exactly the
//! spans the reference decoder ([`crate::proto::decode_reference_into`]) yields,
//! or it returns [`Bail`] and the reference runs, so every error, message and
//! offset is the reference's. It gives up on any malformed input, and on valid
//! input whose result it does not reproduce:
//! - inside a `Span` (its attributes, events, links and status included), and in
//!   every `KeyValue`/`AnyValue`, anything that prost would not re-encode to the
//!   same bytes: an unknown field, a singular field written twice (prost merges
//!   or keeps the last), a scalar field written with its default value (except
//!   the span's own fields, whose bytes are then left out of its length), a
//!   non-minimal varint (key, length or value), two `AnyValue` variants. The
//!   reference gives a span the `encoded_len` of prost's re-encoding; with none
//!   of these, that is the span's byte length on the wire, less its own fields
//!   written with default values;
//! - a `Resource` written twice in one `ResourceSpans` (prost merges them);
//! - an unknown field of group wire type anywhere (prost skips groups under its
//!   current recursion budget, which `skip_field` cannot be given).
//!
//! Everything else is checked as prost checks it: wire types of known fields,
//! lengths, UTF-8 of every string (kept or not), and nesting against prost's
//! recursion limit, counted the same way.

// The key and length readers run for every field: inlining them measured 7%
// of the walk that `#[inline]` alone did not get.
#![allow(clippy::inline_always)]

use std::sync::Arc;

use prost::encoding::{
    decode_key, decode_varint, encoded_len_varint, skip_field, DecodeContext, WireType,
};

use crate::keys::AttributeKeys;
use crate::model::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};
use crate::proto::valid_id;

/// The walk gave up: the message is malformed, or valid in a form whose result
/// the walk does not reproduce. The reference decoder must run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bail;

type Walk<T> = Result<T, Bail>;

/// prost's `RECURSION_LIMIT` (private in prost; keep in sync): the recursion
/// budget of a top-level message's fields. Entering a nested message needs a
/// budget above 0 and costs 1.
const RECURSION_LIMIT: u32 = 100;

/// Decodes one `TracesData` message like the reference at
/// [`Fidelity::Policy`](crate::Fidelity), keeping only the attributes `keys`
/// keeps, and appends its spans to `out` with their share of `size`; on
/// [`Bail`], `out` is as it was.
pub(crate) fn decode_message_into(
    bytes: &[u8],
    size: u64,
    out: &mut Vec<Span>,
    keys: &AttributeKeys,
) -> Walk<usize> {
    let start = out.len();
    // Spans take a few hundred bytes on the wire (about 450 in a real SDK's
    // capture): room for one per 256 bytes is enough without growing, and too
    // much room only reserves address space.
    out.reserve(bytes.len() / 256);
    let mut span_keys = SpanKeys::new(keys);
    if let Err(bail) = traces_data(bytes, out, &mut span_keys) {
        out.truncate(start);
        return Err(bail);
    }
    let spans = &mut out[start..];
    let n = spans.len();
    if n == 0 {
        return Ok(0);
    }
    // The reference's split (keep in sync): each span's own bytes, and the
    // rest of `size` shared evenly, the remainder one byte each to the first.
    let own: u64 = spans.iter().map(|span| span.encoded_len).sum();
    let fair = own <= size;
    let overhead = if fair { size - own } else { size };
    let base = overhead / n as u64;
    let mut extra = overhead % n as u64;
    for span in spans {
        let share = base + u64::from(extra > 0);
        extra = extra.saturating_sub(1);
        span.encoded_len = if fair {
            span.encoded_len + share
        } else {
            share
        };
    }
    Ok(n)
}

/// The recursion budget inside a message entered from fields with `budget`.
#[inline]
fn enter(budget: u32) -> Walk<u32> {
    budget.checked_sub(1).ok_or(Bail)
}

/// A field key, as prost's `decode_key` reads it. Most keys are one byte (tags up
/// to 15), read here without a call: prost's varint decoder is not inlined, and
/// its calls for one-byte keys and lengths were a sixth of the walk (callgrind).
#[inline(always)]
fn key(buf: &mut &[u8]) -> Walk<(u32, WireType)> {
    match one_byte_key(buf) {
        Some(key) => Ok(key),
        None => decode_key(buf).map_err(|_| Bail),
    }
}

/// A valid key of one byte, consumed; `None` (nothing consumed) for anything
/// else: longer keys, and tag 0 or wire types 6 and 7, left to prost to refuse.
#[inline(always)]
fn one_byte_key(buf: &mut &[u8]) -> Option<(u32, WireType)> {
    let (&byte, rest) = buf.split_first()?;
    if !(8..0x80).contains(&byte) {
        return None;
    }
    let wire_type = WireType::try_from(u64::from(byte & 7)).ok()?;
    *buf = rest;
    Some((u32::from(byte >> 3), wire_type))
}

/// A varint of one byte, consumed; `None` (nothing consumed) for a longer one.
#[inline(always)]
fn one_byte_varint(buf: &mut &[u8]) -> Option<u64> {
    let (&byte, rest) = buf.split_first()?;
    if byte >= 0x80 {
        return None;
    }
    *buf = rest;
    Some(u64::from(byte))
}

/// A varint, as prost's `decode_varint` reads it, with the one-byte case inline.
#[inline(always)]
fn read_varint(buf: &mut &[u8]) -> Walk<u64> {
    match one_byte_varint(buf) {
        Some(value) => Ok(value),
        None => decode_varint(buf).map_err(|_| Bail),
    }
}

/// A field key as prost writes it (minimal varint).
#[inline(always)]
fn canonical_key(buf: &mut &[u8]) -> Walk<(u32, WireType)> {
    // One byte is always as short as can be.
    if let Some(key) = one_byte_key(buf) {
        return Ok(key);
    }
    let start = *buf;
    let key = key(buf)?;
    shortest(start, buf)?;
    Ok(key)
}

/// The varint read from `start` up to `rest` is as short as its value allows
/// (as prost writes a value it decoded, unless a narrower type truncated it):
/// one byte, or a last byte that is not 0.
#[inline(always)]
fn shortest(start: &[u8], rest: &[u8]) -> Walk<()> {
    match start.len() - rest.len() {
        1 => Ok(()),
        used if start[used - 1] != 0 => Ok(()),
        _ => Err(Bail),
    }
}

#[inline]
fn expect(wire_type: WireType, expected: WireType) -> Walk<()> {
    if wire_type == expected {
        Ok(())
    } else {
        Err(Bail)
    }
}

/// Marks field `tag` (below 32) as read; [`Bail`] if it was already.
#[inline]
fn once(seen: &mut u32, tag: u32) -> Walk<()> {
    let bit = 1u32 << tag;
    if *seen & bit == 0 {
        *seen |= bit;
        Ok(())
    } else {
        Err(Bail)
    }
}

/// A varint field's value and the bytes it took.
#[inline]
fn varint(wire_type: WireType, buf: &mut &[u8]) -> Walk<(u64, usize)> {
    expect(wire_type, WireType::Varint)?;
    let before = buf.len();
    let value = read_varint(buf)?;
    Ok((value, before - buf.len()))
}

/// `value` took `used` bytes and prost writes what it decoded, `encoded`, in as many.
#[inline]
fn minimal(used: usize, encoded: u64) -> Walk<()> {
    if used == encoded_len_varint(encoded) {
        Ok(())
    } else {
        Err(Bail)
    }
}

/// An `int32` or enum field (prost truncates the varint, and writes an `i32`
/// sign-extended to 64 bits).
#[inline]
fn canonical_int32(wire_type: WireType, buf: &mut &[u8]) -> Walk<i32> {
    let (value, used) = varint(wire_type, buf)?;
    #[allow(clippy::cast_possible_truncation)]
    let value = value as i32;
    #[allow(clippy::cast_sign_loss)]
    minimal(used, i64::from(value) as u64)?;
    Ok(value)
}

/// A `uint32` field (prost truncates the varint).
#[inline]
fn canonical_uint32(wire_type: WireType, buf: &mut &[u8]) -> Walk<u32> {
    let (value, used) = varint(wire_type, buf)?;
    #[allow(clippy::cast_possible_truncation)]
    let value = value as u32;
    minimal(used, u64::from(value))?;
    Ok(value)
}

#[inline]
fn length_delimited<'a>(wire_type: WireType, buf: &mut &'a [u8]) -> Walk<&'a [u8]> {
    let (len, _) = length(wire_type, buf)?;
    take(buf, len)
}

/// A length-delimited field whose length prefix is minimal.
#[inline(always)]
fn canonical_length_delimited<'a>(wire_type: WireType, buf: &mut &'a [u8]) -> Walk<&'a [u8]> {
    expect(wire_type, WireType::LengthDelimited)?;
    // A one-byte length (most are) is always as short as can be.
    if let Some(len) = one_byte_varint(buf) {
        return take(buf, len);
    }
    let start = *buf;
    let (len, _) = length(wire_type, buf)?;
    shortest(start, buf)?;
    take(buf, len)
}

#[inline(always)]
fn length(wire_type: WireType, buf: &mut &[u8]) -> Walk<(u64, usize)> {
    expect(wire_type, WireType::LengthDelimited)?;
    let before = buf.len();
    let len = read_varint(buf)?;
    Ok((len, before - buf.len()))
}

#[inline(always)]
fn take<'a>(buf: &mut &'a [u8], len: u64) -> Walk<&'a [u8]> {
    let len = usize::try_from(len).map_err(|_| Bail)?;
    if len > buf.len() {
        return Err(Bail);
    }
    let (value, rest) = buf.split_at(len);
    *buf = rest;
    Ok(value)
}

#[inline]
fn fixed64(wire_type: WireType, buf: &mut &[u8]) -> Walk<u64> {
    expect(wire_type, WireType::SixtyFourBit)?;
    let (value, rest) = buf.split_first_chunk::<8>().ok_or(Bail)?;
    *buf = rest;
    Ok(u64::from_le_bytes(*value))
}

#[inline]
fn fixed32(wire_type: WireType, buf: &mut &[u8]) -> Walk<u32> {
    expect(wire_type, WireType::ThirtyTwoBit)?;
    let (value, rest) = buf.split_first_chunk::<4>().ok_or(Bail)?;
    *buf = rest;
    Ok(u32::from_le_bytes(*value))
}

#[inline]
fn string(bytes: &[u8]) -> Walk<&str> {
    std::str::from_utf8(bytes).map_err(|_| Bail)
}

/// Checks that a string not kept is UTF-8. Most are short and ASCII, which
/// `is_ascii` tells faster than `from_utf8` (measured: 19 ns a string before).
#[inline]
fn check_string(bytes: &[u8]) -> Walk<()> {
    if bytes.is_ascii() || std::str::from_utf8(bytes).is_ok() {
        Ok(())
    } else {
        Err(Bail)
    }
}

/// A scalar field that prost writes only when it is not the default.
#[inline]
fn non_default<T: Default + PartialEq>(value: T) -> Walk<T> {
    if value == T::default() {
        Err(Bail)
    } else {
        Ok(value)
    }
}

#[inline]
fn non_empty(bytes: &[u8]) -> Walk<&[u8]> {
    if bytes.is_empty() {
        Err(Bail)
    } else {
        Ok(bytes)
    }
}

/// Skips a field prost does not know (outside spans, where it changes no
/// result). Groups give up: prost skips them under its current recursion budget.
#[inline]
fn unknown(tag: u32, wire_type: WireType, buf: &mut &[u8]) -> Walk<()> {
    if wire_type == WireType::StartGroup {
        return Err(Bail);
    }
    skip_field(wire_type, tag, buf, DecodeContext::default()).map_err(|_| Bail)
}

/// The decisions on the span attribute keys seen so far in one message, by
/// their bytes: each distinct key is checked as UTF-8 and looked up in the
/// [`AttributeKeys`] once, not once per attribute (a capture repeats a few
/// dozen keys; measured: the checks and look-ups took a quarter of the walk).
struct SpanKeys<'a> {
    keys: &'a AttributeKeys,
    /// Open addressing with linear probing: a key's bytes, and the key if it
    /// is kept.
    slots: [Option<(&'a [u8], Option<&'a str>)>; SPAN_KEY_SLOTS],
    /// Occupied slots, at most [`SPAN_KEY_ENTRIES`] (keys past that are
    /// decided each time).
    entries: usize,
}

const SPAN_KEY_SLOTS: usize = 256;
const SPAN_KEY_ENTRIES: usize = SPAN_KEY_SLOTS / 2;

impl<'a> SpanKeys<'a> {
    fn new(keys: &'a AttributeKeys) -> Self {
        SpanKeys {
            keys,
            slots: [None; SPAN_KEY_SLOTS],
            entries: 0,
        }
    }

    /// The key `bytes` of a span attribute if it is kept; [`Bail`] if `bytes`
    /// is not UTF-8.
    #[inline]
    fn keeps(&mut self, bytes: &'a [u8]) -> Walk<Option<&'a str>> {
        let mut at = slot_of(bytes);
        loop {
            match self.slots[at] {
                Some((seen, kept)) if same_key(seen, bytes) => return Ok(kept),
                Some(_) => at = (at + 1) % SPAN_KEY_SLOTS,
                None => break,
            }
        }
        let key = string(bytes)?;
        let kept = self.keys.keeps_span(key).then_some(key);
        if self.entries < SPAN_KEY_ENTRIES {
            self.slots[at] = Some((bytes, kept));
            self.entries += 1;
        }
        Ok(kept)
    }
}

/// `a == b`, 8 bytes at a time with fixed-size loads (the slice comparison
/// calls `memcmp`, and the look-up measured 20% of the walk with it).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n <= 8 {
        return word(a) == word(b);
    }
    let mut at = 0;
    while at + 8 < n {
        if word(&a[at..]) != word(&b[at..]) {
            return false;
        }
        at += 8;
    }
    last_word(a) == last_word(b)
}

/// The first 8 bytes of `bytes` as an integer, or all of them if fewer (so
/// equal for two slices of one length only if their bytes are).
#[inline]
fn word(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        None => bytes.iter().fold(0, |word, &b| (word << 8) | u64::from(b)),
    }
}

/// The last 8 bytes of `bytes` as an integer, or all of them if fewer.
#[inline]
fn last_word(bytes: &[u8]) -> u64 {
    match bytes.last_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        None => word(bytes),
    }
}

/// The first slot for `key` in [`SpanKeys`]: a hash of its length and of its
/// first and last 8 bytes.
#[inline]
fn slot_of(key: &[u8]) -> usize {
    const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
    let head = word(key).wrapping_mul(MIX);
    let tail = last_word(key).rotate_left(32);
    let hash = (head ^ tail ^ key.len() as u64).wrapping_mul(MIX);
    // The top 8 bits: an index below SPAN_KEY_SLOTS.
    usize::try_from(hash >> 56).unwrap_or(0)
}

fn traces_data<'a>(
    mut buf: &'a [u8],
    out: &mut Vec<Span>,
    span_keys: &mut SpanKeys<'a>,
) -> Walk<()> {
    let budget = RECURSION_LIMIT;
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        if tag == 1 {
            let message = length_delimited(wire_type, &mut buf)?;
            resource_spans(message, enter(budget)?, out, span_keys)?;
        } else {
            unknown(tag, wire_type, &mut buf)?;
        }
    }
    Ok(())
}

fn resource_spans<'a>(
    message: &'a [u8],
    budget: u32,
    out: &mut Vec<Span>,
    span_keys: &mut SpanKeys<'a>,
) -> Walk<()> {
    // The resource may follow its spans: read it (and check the rest) first,
    // then the spans.
    let mut resource = None;
    let mut buf = message;
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        match tag {
            1 => {
                if resource.is_some() {
                    return Err(Bail);
                }
                let value = length_delimited(wire_type, &mut buf)?;
                resource = Some(resource_message(value, enter(budget)?, span_keys.keys)?);
            }
            2 => {
                length_delimited(wire_type, &mut buf)?;
            }
            3 => {
                check_string(length_delimited(wire_type, &mut buf)?)?;
            }
            _ => unknown(tag, wire_type, &mut buf)?,
        }
    }
    let resource = Arc::new(resource.unwrap_or_default());
    let mut buf = message;
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        let value = if tag == 2 {
            length_delimited(wire_type, &mut buf)?
        } else {
            unknown(tag, wire_type, &mut buf)?;
            continue;
        };
        scope_spans(value, enter(budget)?, &resource, out, span_keys)?;
    }
    Ok(())
}

fn resource_message(mut buf: &[u8], budget: u32, keys: &AttributeKeys) -> Walk<Resource> {
    let mut attributes = Vec::new();
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        match tag {
            1 => {
                let value = length_delimited(wire_type, &mut buf)?;
                let keep = |key| {
                    let key = string(key)?;
                    Ok(keys.keeps_resource(key).then_some(key))
                };
                if let Some(kv) = key_value(value, enter(budget)?, keep)? {
                    attributes.push(kv);
                }
            }
            2 => {
                varint(wire_type, &mut buf)?;
            }
            3 => entity_ref(length_delimited(wire_type, &mut buf)?)?,
            _ => unknown(tag, wire_type, &mut buf)?,
        }
    }
    Ok(Resource { attributes })
}

/// Checks an `EntityRef` (`schema_url`, `type`, `id_keys`, `description_keys`:
/// all strings).
fn entity_ref(mut buf: &[u8]) -> Walk<()> {
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        if (1..=4).contains(&tag) {
            check_string(length_delimited(wire_type, &mut buf)?)?;
        } else {
            unknown(tag, wire_type, &mut buf)?;
        }
    }
    Ok(())
}

fn scope_spans<'a>(
    mut buf: &'a [u8],
    budget: u32,
    resource: &Arc<Resource>,
    out: &mut Vec<Span>,
    span_keys: &mut SpanKeys<'a>,
) -> Walk<()> {
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        match tag {
            1 => scope(length_delimited(wire_type, &mut buf)?, enter(budget)?)?,
            2 => {
                let value = length_delimited(wire_type, &mut buf)?;
                out.push(span(value, enter(budget)?, resource, span_keys)?);
            }
            3 => {
                check_string(length_delimited(wire_type, &mut buf)?)?;
            }
            _ => unknown(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

/// Checks an `InstrumentationScope` (not kept at `Fidelity::Policy`).
fn scope(mut buf: &[u8], budget: u32) -> Walk<()> {
    while !buf.is_empty() {
        let (tag, wire_type) = key(&mut buf)?;
        match tag {
            1 | 2 => {
                check_string(length_delimited(wire_type, &mut buf)?)?;
            }
            3 => {
                key_value(
                    length_delimited(wire_type, &mut buf)?,
                    enter(budget)?,
                    not_kept,
                )?;
            }
            4 => {
                varint(wire_type, &mut buf)?;
            }
            _ => unknown(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

/// Reads a `Span` whose every field prost re-encodes to the same bytes, so that
/// its `encoded_len` (before the share of the envelope) is its length.
fn span<'a>(
    message: &'a [u8],
    budget: u32,
    resource: &Arc<Resource>,
    span_keys: &mut SpanKeys<'a>,
) -> Walk<Span> {
    let mut buf = message;
    let mut seen = 0u32;
    let (mut trace_id, mut span_id, mut parent_span_id): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    let mut name = "";
    let (mut kind, mut code) = (0i32, 0i32);
    let (mut start, mut end) = (0u64, 0u64);
    let mut attributes = Vec::new();
    // Bytes of fields written with their default value, which prost does not
    // write back (producers such as the JavaScript SDK write an empty
    // `parent_span_id` for a root).
    let mut omitted = 0;
    while !buf.is_empty() {
        let field = buf;
        let (tag, wire_type) = canonical_key(&mut buf)?;
        match tag {
            9 => {
                let value = canonical_length_delimited(wire_type, &mut buf)?;
                let keep = |key| span_keys.keeps(key);
                if let Some(kv) = key_value(value, enter(budget)?, keep)? {
                    attributes.push(kv);
                }
                continue;
            }
            11 => {
                event(
                    canonical_length_delimited(wire_type, &mut buf)?,
                    enter(budget)?,
                )?;
                continue;
            }
            13 => {
                link(
                    canonical_length_delimited(wire_type, &mut buf)?,
                    enter(budget)?,
                )?;
                continue;
            }
            1..=16 => once(&mut seen, tag)?,
            _ => return Err(Bail),
        }
        let default = match tag {
            1 => {
                trace_id = canonical_length_delimited(wire_type, &mut buf)?;
                trace_id.is_empty()
            }
            2 => {
                span_id = canonical_length_delimited(wire_type, &mut buf)?;
                span_id.is_empty()
            }
            3 => {
                let trace_state = canonical_length_delimited(wire_type, &mut buf)?;
                check_string(trace_state)?;
                trace_state.is_empty()
            }
            4 => {
                parent_span_id = canonical_length_delimited(wire_type, &mut buf)?;
                parent_span_id.is_empty()
            }
            5 => {
                name = string(canonical_length_delimited(wire_type, &mut buf)?)?;
                name.is_empty()
            }
            6 => {
                kind = canonical_int32(wire_type, &mut buf)?;
                kind == 0
            }
            7 => {
                start = fixed64(wire_type, &mut buf)?;
                start == 0
            }
            8 => {
                end = fixed64(wire_type, &mut buf)?;
                end == 0
            }
            10 | 12 | 14 => canonical_uint32(wire_type, &mut buf)? == 0,
            15 => {
                let value = canonical_length_delimited(wire_type, &mut buf)?;
                enter(budget)?;
                code = status(value)?;
                false
            }
            // 16: `flags`.
            _ => fixed32(wire_type, &mut buf)? == 0,
        };
        if default {
            omitted += field.len() - buf.len();
        }
    }
    // The reference's checks, in `convert_span` (whose errors the reference
    // reports).
    let trace_id = TraceId(valid_id(trace_id).ok_or(Bail)?);
    let span_id = SpanId(valid_id(span_id).ok_or(Bail)?);
    let parent_span_id = match parent_span_id.len() {
        0 => None,
        _ => Some(SpanId(
            <[u8; 8]>::try_from(parent_span_id).map_err(|_| Bail)?,
        ))
        .filter(|id| !id.is_zero()),
    };
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id,
        name: name.to_owned(),
        kind: SpanKind::from_i64(i64::from(kind)).ok_or(Bail)?,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        status: StatusCode::from_i64(i64::from(code)).ok_or(Bail)?,
        attributes,
        resource: Arc::clone(resource),
        encoded_len: (message.len() - omitted) as u64,
        detail: None,
    })
}

/// Checks a `Status` and gives its code.
fn status(mut buf: &[u8]) -> Walk<i32> {
    let mut seen = 0u32;
    let mut code = 0;
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        match tag {
            2 => {
                once(&mut seen, tag)?;
                check_string(non_empty(canonical_length_delimited(wire_type, &mut buf)?)?)?;
            }
            3 => {
                once(&mut seen, tag)?;
                code = non_default(canonical_int32(wire_type, &mut buf)?)?;
            }
            _ => return Err(Bail),
        }
    }
    Ok(code)
}

/// Checks a `Span.Event` (not kept at `Fidelity::Policy`).
fn event(mut buf: &[u8], budget: u32) -> Walk<()> {
    let mut seen = 0u32;
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        match tag {
            1 => {
                once(&mut seen, tag)?;
                non_default(fixed64(wire_type, &mut buf)?)?;
            }
            2 => {
                once(&mut seen, tag)?;
                check_string(non_empty(canonical_length_delimited(wire_type, &mut buf)?)?)?;
            }
            3 => {
                let value = canonical_length_delimited(wire_type, &mut buf)?;
                key_value(value, enter(budget)?, not_kept)?;
            }
            4 => {
                once(&mut seen, tag)?;
                non_default(canonical_uint32(wire_type, &mut buf)?)?;
            }
            _ => return Err(Bail),
        }
    }
    Ok(())
}

/// Checks a `Span.Link` (not kept at `Fidelity::Policy`, where its ids are not
/// checked either).
fn link(mut buf: &[u8], budget: u32) -> Walk<()> {
    let mut seen = 0u32;
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        match tag {
            1 | 2 => {
                once(&mut seen, tag)?;
                non_empty(canonical_length_delimited(wire_type, &mut buf)?)?;
            }
            3 => {
                once(&mut seen, tag)?;
                check_string(non_empty(canonical_length_delimited(wire_type, &mut buf)?)?)?;
            }
            4 => {
                let value = canonical_length_delimited(wire_type, &mut buf)?;
                key_value(value, enter(budget)?, not_kept)?;
            }
            5 => {
                once(&mut seen, tag)?;
                non_default(canonical_uint32(wire_type, &mut buf)?)?;
            }
            6 => {
                once(&mut seen, tag)?;
                non_default(fixed32(wire_type, &mut buf)?)?;
            }
            _ => return Err(Bail),
        }
    }
    Ok(())
}

/// A `keep` for [`key_value`] that keeps nothing (and checks the key).
fn not_kept(key: &[u8]) -> Walk<Option<&str>> {
    check_string(key).map(|()| None)
}

/// Reads a `KeyValue`, and gives it if `keep` keeps its key (`keep` checks
/// the key as UTF-8, and gives it back if kept; the value is checked either
/// way).
fn key_value<'a>(
    mut buf: &'a [u8],
    budget: u32,
    keep: impl FnOnce(&'a [u8]) -> Walk<Option<&'a str>>,
) -> Walk<Option<KeyValue>> {
    // The key may follow the value: find both, then decide.
    let (mut key, mut value): (Option<&'a [u8]>, Option<&'a [u8]>) = (None, None);
    let mut key_strindex = false;
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        match tag {
            1 if key.is_none() => {
                key = Some(non_empty(canonical_length_delimited(wire_type, &mut buf)?)?);
            }
            2 if value.is_none() => value = Some(canonical_length_delimited(wire_type, &mut buf)?),
            3 if !key_strindex => {
                key_strindex = true;
                non_default(canonical_int32(wire_type, &mut buf)?)?;
            }
            _ => return Err(Bail),
        }
    }
    let Some(key) = keep(key.unwrap_or_default())? else {
        if let Some(value) = value {
            check_any_value(value, enter(budget)?)?;
        }
        return Ok(None);
    };
    let value = match value {
        Some(value) => any_value::<true>(value, enter(budget)?)?,
        None => AnyValue::Empty,
    };
    Ok(Some(KeyValue {
        key: key.to_owned(),
        value,
    }))
}

/// Reads and checks an `AnyValue` without building it.
#[inline]
fn check_any_value(buf: &[u8], budget: u32) -> Walk<()> {
    let value = any_value::<false>(buf, budget)?;
    // Unbuilt, a value owns nothing (`Empty`, or a scalar), so it need not be
    // dropped; the drop call the compiler cannot rule out was 2% of the walk.
    debug_assert!(!matches!(
        value,
        AnyValue::String(_) | AnyValue::Bytes(_) | AnyValue::Array(_) | AnyValue::KvList(_)
    ));
    std::mem::forget(value);
    Ok(())
}

/// Reads an `AnyValue`; builds it only if `BUILD` (else gives `Empty`).
fn any_value<const BUILD: bool>(mut buf: &[u8], budget: u32) -> Walk<AnyValue> {
    if buf.is_empty() {
        return Ok(AnyValue::Empty);
    }
    let (tag, wire_type) = canonical_key(&mut buf)?;
    let value = match tag {
        1 => {
            let text = canonical_length_delimited(wire_type, &mut buf)?;
            if BUILD {
                AnyValue::String(string(text)?.to_owned())
            } else {
                check_string(text)?;
                AnyValue::Empty
            }
        }
        2 => {
            // prost writes a bool as one byte, whatever varint it read.
            let (value, used) = varint(wire_type, &mut buf)?;
            if used != 1 {
                return Err(Bail);
            }
            AnyValue::Bool(value != 0)
        }
        3 => {
            let start = buf;
            let (value, _) = varint(wire_type, &mut buf)?;
            shortest(start, buf)?;
            #[allow(clippy::cast_possible_wrap)]
            AnyValue::Int(value as i64)
        }
        4 => AnyValue::Double(f64::from_bits(fixed64(wire_type, &mut buf)?)),
        5 => array::<BUILD>(
            canonical_length_delimited(wire_type, &mut buf)?,
            enter(budget)?,
        )?,
        6 => key_value_list::<BUILD>(
            canonical_length_delimited(wire_type, &mut buf)?,
            enter(budget)?,
        )?,
        7 => {
            let bytes = canonical_length_delimited(wire_type, &mut buf)?;
            if BUILD {
                AnyValue::Bytes(bytes.to_vec())
            } else {
                AnyValue::Empty
            }
        }
        // `string_value_strindex`: no value in traces (see `convert_value`).
        8 => {
            canonical_int32(wire_type, &mut buf)?;
            AnyValue::Empty
        }
        _ => return Err(Bail),
    };
    // A second variant: prost keeps the last, or merges two of one kind.
    if buf.is_empty() {
        Ok(value)
    } else {
        Err(Bail)
    }
}

fn array<const BUILD: bool>(mut buf: &[u8], budget: u32) -> Walk<AnyValue> {
    let mut values = Vec::new();
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        if tag != 1 {
            return Err(Bail);
        }
        let value = canonical_length_delimited(wire_type, &mut buf)?;
        let value = any_value::<BUILD>(value, enter(budget)?)?;
        if BUILD {
            values.push(value);
        }
    }
    Ok(if BUILD {
        AnyValue::Array(values)
    } else {
        AnyValue::Empty
    })
}

fn key_value_list<const BUILD: bool>(mut buf: &[u8], budget: u32) -> Walk<AnyValue> {
    let mut values = Vec::new();
    while !buf.is_empty() {
        let (tag, wire_type) = canonical_key(&mut buf)?;
        if tag != 1 {
            return Err(Bail);
        }
        let value = canonical_length_delimited(wire_type, &mut buf)?;
        let keep = |key| {
            if BUILD {
                string(key).map(Some)
            } else {
                check_string(key).map(|()| None)
            }
        };
        if let Some(kv) = key_value(value, enter(budget)?, keep)? {
            values.push(kv);
        }
    }
    Ok(if BUILD {
        AnyValue::KvList(values)
    } else {
        AnyValue::Empty
    })
}
