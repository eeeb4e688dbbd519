//! The single-pass path for OTLP/JSON documents in the form the spec writes
//! (what SDKs and the collector's file exporter produce).
//!
//! The serde decoder in `decode` handles every dialect and describes every problem,
//! but it parses each span twice (once to delimit it as a `RawValue`, for its byte
//! share, then to decode it) and allocates every attribute. This scanner walks the
//! document once, records each span's byte extent as it goes, and stores only the
//! attributes that [`AttributeKeys`] asks for, while still reading and checking the
//! others exactly as the serde decoder would.
//!
//! It accepts a subset of what the serde decoder accepts and never decides an error:
//! at the first thing it does not handle — a `null`, an unknown or snake_case key, a
//! duplicate field, an escaped key, an enum name, a number or id in an unusual form,
//! invalid UTF-8 anywhere in the document, anything malformed — it gives up
//! ([`Bail`]) and the caller runs the serde decoder from the start, which then
//! accepts the document or explains why not. So for every document it accepts, the
//! spans are the ones the serde decoder gives (with the unkept attributes left
//! out), byte shares included; `tests_fast` checks that on the shipped captures and
//! on random and mutated documents.
//!
//! Why hand-written: no JSON crate measured on this data offers a single validating
//! pass with byte offsets that is faster than serde_json's own syntax pass (a skip
//! of the 107 MB capture took 0.24 s with serde_json, 0.30 s with jiter, 0.28 s with
//! simd-json's tape and 0.31 s with sonic-rs on this machine), and serde's visitors
//! cannot see byte offsets. Where this module has to interpret a value whose rules
//! are subtle (a string with escapes, a double), it hands that value to serde_json.

use std::sync::Arc;

use rayon::prelude::*;

use crate::keys::AttributeKeys;
use crate::model::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};

/// The document is not one this path handles; decode it with the serde decoder.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bail;

type R<T> = Result<T, Bail>;

/// Nesting deeper than this (objects and arrays, from the root) is left to the serde
/// decoder, whose own limit (128) then applies.
const MAX_DEPTH: u32 = 100;

/// Whose attributes a list holds, which decides which are kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Span,
    Resource,
    /// A `kvlistValue` inside a kept value: all of it is kept.
    Value,
}

/// Decodes `json` (without a byte order mark; `bom` is its length) appending its
/// spans to `out`, or leaves `out` as it was and bails. Returns the number of spans.
pub(crate) fn decode(
    json: &[u8],
    bom: usize,
    out: &mut Vec<Span>,
    keys: &AttributeKeys,
) -> Result<usize, Bail> {
    let cuts = split(json);
    let start = out.len();
    let mut extents = Vec::new();
    // Each piece is decoded on its own, on as many threads as rayon has (the caller's
    // pool), then joined in order; one that does not end where the next begins is a
    // wrong guess. Either that or a document the single pass does not take: once
    // more on one thread, which tells them apart.
    let mut whole = true;
    if cuts.len() > 2 {
        let pieces: R<Vec<(Vec<Span>, Vec<usize>)>> = cuts
            .par_windows(2)
            .enumerate()
            .map(|(k, w)| {
                let guess = spans_in(w[1] - w[0]);
                let (mut spans, mut lens) = (Vec::with_capacity(guess), Vec::with_capacity(guess));
                let end = (k + 2 < cuts.len()).then_some(w[1]);
                decode_piece(json, w[0], end, keys, &mut spans, &mut lens)?;
                Ok((spans, lens))
            })
            .collect();
        if let Ok(pieces) = pieces {
            whole = false;
            out.reserve(pieces.iter().map(|(spans, _)| spans.len()).sum());
            for (spans, lens) in pieces {
                out.extend(spans);
                extents.extend(lens);
            }
        }
    }
    if whole {
        out.reserve(spans_in(json.len()));
        extents.reserve(spans_in(json.len()));
        if decode_piece(json, 0, None, keys, out, &mut extents).is_err() {
            out.truncate(start);
            return Err(Bail);
        }
    }
    let spans = &mut out[start..];
    let n = spans.len();
    // The byte accounting of `decode::decode_inner`: each span its own text, the
    // rest shared evenly, the remainder one byte each to the first spans.
    let own: usize = extents.iter().sum();
    let overhead = (json.len() + bom).saturating_sub(own);
    if let (Some(base), Some(extra)) = (overhead.checked_div(n), overhead.checked_rem(n)) {
        for (index, (span, len)) in spans.iter_mut().zip(&extents).enumerate() {
            span.encoded_len = (len + base) as u64 + u64::from(index < extra);
        }
    }
    Ok(n)
}

/// A guess at how many spans `bytes` of a document hold, for reserving room once
/// instead of growing span by span (a span of a real SDK's capture takes about a
/// kilobyte; too high a guess only reserves address space).
fn spans_in(bytes: usize) -> usize {
    (bytes / 512).min(1 << 20)
}

/// Documents smaller than this are decoded on one thread.
pub(crate) const SPLIT_BYTES: usize = 4 << 20;

/// Where to cut `json` for decoding on several threads: 0, then the guessed starts
/// of some `resourceSpans` entries, then the end. An entry starts with the bytes
/// `{"resource":`, which in well-formed JSON can only open an object whose first key
/// is `resource` (inside a string the quote would be escaped); the guess is checked
/// when the piece before it ends there.
pub(crate) fn split(json: &[u8]) -> Vec<usize> {
    let threads = rayon::current_num_threads();
    let mut cuts = vec![0];
    if threads > 1 && json.len() >= SPLIT_BYTES {
        // Several pieces a thread, so that a thread that was busy elsewhere (reading
        // the next batch) when the document was cut still finds work to take.
        let n = (4 * threads).min(json.len() / (SPLIT_BYTES / 4));
        let finder = memchr::memmem::Finder::new(b"{\"resource\":");
        for k in 1..n {
            let from = (json.len() * k / n).max(cuts[cuts.len() - 1] + 1);
            if let Some(at) = json.get(from..).and_then(|rest| finder.find(rest)) {
                cuts.push(from + at);
            }
        }
    }
    cuts.push(json.len());
    cuts
}

/// Decodes the piece of `json` from `start` (0: the document's start) to `end` (the
/// start of the next piece; `None`: the document's end), appending to `out` and
/// `extents`.
fn decode_piece(
    json: &[u8],
    start: usize,
    end: Option<usize>,
    keys: &AttributeKeys,
    out: &mut Vec<Span>,
    extents: &mut Vec<usize>,
) -> R<()> {
    // Strings are sliced from the text without a check of their own (simdutf8: the
    // standard library's check took an eighth of the decode time). Cuts are at `{`,
    // so each piece is UTF-8 when the document is.
    let text = simdutf8::basic::from_utf8(json.get(start..end.unwrap_or(json.len())).ok_or(Bail)?)
        .map_err(|_| Bail)?;
    Scanner {
        b: json,
        t: text,
        base: start,
        i: start,
        keys,
        out,
        extents,
    }
    .piece(end)
}

struct Scanner<'a, 'o> {
    b: &'a [u8],
    /// The part of `b` being decoded, from `base`, checked to be UTF-8.
    t: &'a str,
    base: usize,
    i: usize,
    keys: &'o AttributeKeys,
    out: &'o mut Vec<Span>,
    /// The text length of each span appended, in order.
    extents: &'o mut Vec<usize>,
}

/// Which bytes end the plain run of a string: `"`, `\` and control characters.
const STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// The position of the first `"`, `\\` or control character in `chunk` (16 bytes),
/// with 16-byte vector compares (`wide`: SSE2 on x86_64, NEON on aarch64, plain
/// code elsewhere; this crate forbids `unsafe`).
#[inline]
fn first_special_16(chunk: &[u8; 16]) -> Option<usize> {
    use wide::u8x16;
    let v = u8x16::new(*chunk);
    // Below 0x20: max(v, 0x1f) is 0x1f.
    let low = u8x16::splat(0x1f);
    let stops =
        v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\')) | v.max(low).simd_eq(low);
    let mask = stops.to_bitmask();
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// A string as written: the bytes between its quotes, and whether it has escapes.
#[derive(Clone, Copy)]
struct Str<'a> {
    raw: &'a [u8],
    escaped: bool,
    /// Offset of the opening quote.
    at: usize,
}

impl<'a> Scanner<'a, '_> {
    // -- bytes ------------------------------------------------------------------

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied().ok_or(Bail)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// After an element of an object or array: true if another follows (a `,` was
    /// eaten), false at the `close` byte (eaten).
    #[inline]
    fn more(&mut self, close: u8) -> R<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Ok(true)
            }
            c if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// Opens an object or array: true if it has a first element.
    #[inline]
    fn open(&mut self, open: u8, close: u8) -> R<bool> {
        self.eat(open)?;
        if self.peek()? == close {
            self.i += 1;
            Ok(false)
        } else {
            Ok(true)
        }
    }

    /// A string, checked as JSON requires (no control characters, valid escapes).
    #[inline]
    fn string(&mut self) -> R<Str<'a>> {
        if self.peek()? != b'"' {
            return Err(Bail);
        }
        let at = self.i;
        self.i += 1;
        let start = self.i;
        // The common case, sixteen bytes at a time: the first quote, backslash or
        // control character; a quote means no escape. The last bytes of the
        // document, and strings with escapes, go through the byte loop below.
        let mut i = start;
        while let Some(chunk) = self.b.get(i..i + 16) {
            if let Some(at_stop) = first_special_16(chunk.try_into().map_err(|_| Bail)?) {
                i += at_stop;
                if self.b[i] == b'"' {
                    self.i = i + 1;
                    return Ok(Str {
                        raw: &self.b[start..i],
                        escaped: false,
                        at,
                    });
                }
                break;
            }
            i += 16;
        }
        self.i = i;
        let mut escaped = false;
        loop {
            let rest = self.b.get(self.i..).ok_or(Bail)?;
            let run = rest.iter().position(|&c| STRING_STOP[usize::from(c)]);
            let Some(run) = run else { return Err(Bail) };
            self.i += run;
            match self.b[self.i] {
                b'"' => {
                    let raw = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(Str { raw, escaped, at });
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.b.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                        }
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5).ok_or(Bail)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Bail);
                            }
                            self.i += 5;
                        }
                        _ => return Err(Bail),
                    }
                }
                _ => return Err(Bail),
            }
        }
    }

    /// The text of a string, unescaped by serde_json when it has escapes (which
    /// then also checks surrogates as the serde decoder does).
    fn text(&self, s: Str<'a>) -> R<String> {
        if s.escaped {
            let quoted = &self.b[s.at..s.at + s.raw.len() + 2];
            serde_json::from_slice::<String>(quoted).map_err(|_| Bail)
        } else {
            Ok(self.plain(s)?.to_owned())
        }
    }

    /// The text of a string without escapes.
    #[inline]
    fn plain(&self, s: Str<'a>) -> R<&'a str> {
        let start = (s.at + 1).checked_sub(self.base).ok_or(Bail)?;
        self.t.get(start..start + s.raw.len()).ok_or(Bail)
    }

    /// Checks a string value that is not kept as serde_json would check it when
    /// decoding it into a `String`.
    fn check_text(&self, s: Str<'a>) -> R<()> {
        if s.escaped {
            self.text(s).map(drop)
        } else {
            Ok(())
        }
    }

    /// The key `"name"` (given with its quotes) and its `:`: compared as bytes, the
    /// common case, without scanning it as a string.
    #[inline]
    fn known_key(&mut self, quoted: &[u8]) -> R<()> {
        self.ws();
        let at = self.i;
        if self.b.get(at..at + quoted.len()) == Some(quoted) {
            self.i += quoted.len();
            if self.eat(b':').is_ok() {
                return Ok(());
            }
        }
        self.i = at;
        Err(Bail)
    }

    /// A key, which must be plain (no escapes), and its `:`.
    #[inline]
    fn key(&mut self) -> R<&'a [u8]> {
        let s = self.string()?;
        if s.escaped {
            return Err(Bail);
        }
        self.eat(b':')?;
        Ok(s.raw)
    }

    /// A JSON number's text, checked against the JSON grammar.
    fn number(&mut self) -> R<&'a [u8]> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(Bail),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digit(i) {
                return Err(Bail);
            }
            while digit(i) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digit(i) {
                return Err(Bail);
            }
            while digit(i) {
                i += 1;
            }
        }
        self.i = i;
        Ok(&b[start..i])
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Skips any value, checking it as serde_json's `IgnoredAny` does (and more:
    /// nothing it accepts is refused there). `depth` is the nesting depth the value
    /// has if it is an object or array.
    fn skip(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                if self.open(b'{', b'}')? {
                    loop {
                        self.string()?;
                        self.eat(b':')?;
                        self.skip(depth + 1)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            b'[' => {
                if self.open(b'[', b']')? {
                    loop {
                        self.skip(depth + 1)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    // -- OTLP -----------------------------------------------------------------

    /// Decodes `resourceSpans` entries up to `end`, where the next piece starts, or
    /// (`None`) to the end of the document. The first piece also reads the document's
    /// opening.
    fn piece(&mut self, end: Option<usize>) -> R<()> {
        if self.i == 0 {
            if !self.open(b'{', b'}')? || self.key()? != b"resourceSpans" {
                return Err(Bail);
            }
            if !self.open(b'[', b']')? {
                return if end.is_some() {
                    Err(Bail)
                } else {
                    self.close()
                };
            }
        }
        loop {
            self.resource_spans()?;
            if !self.more(b']')? {
                break;
            }
            if let Some(end) = end {
                self.ws();
                if self.i == end {
                    return Ok(());
                }
                if self.i > end {
                    return Err(Bail);
                }
            }
        }
        if end.is_some() {
            return Err(Bail);
        }
        self.close()
    }

    /// The document's closing brace, then nothing but whitespace.
    fn close(&mut self) -> R<()> {
        if self.more(b'}')? {
            return Err(Bail);
        }
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn resource_spans(&mut self) -> R<()> {
        let mut resource = None;
        let mut scope_spans = None;
        let mut schema_url = false;
        if !self.open(b'{', b'}')? {
            return Ok(());
        }
        // Spans come before their resource when `scopeSpans` is written first: they
        // are appended with a placeholder resource and given the real one after.
        let first = self.out.len();
        let placeholder = Arc::new(Resource::default());
        loop {
            match self.key()? {
                b"resource" if resource.is_none() => resource = Some(self.resource()?),
                b"scopeSpans" if scope_spans.is_none() => {
                    scope_spans = Some(());
                    if self.open(b'[', b']')? {
                        loop {
                            self.scope_spans(&placeholder)?;
                            if !self.more(b']')? {
                                break;
                            }
                        }
                    }
                }
                b"schemaUrl" if !schema_url => {
                    schema_url = true;
                    self.skip(4)?;
                }
                _ => return Err(Bail),
            }
            if !self.more(b'}')? {
                break;
            }
        }
        let resource = Arc::new(resource.unwrap_or_default());
        for span in &mut self.out[first..] {
            span.resource = Arc::clone(&resource);
        }
        Ok(())
    }

    fn resource(&mut self) -> R<Resource> {
        let mut attributes = None;
        if self.open(b'{', b'}')? {
            loop {
                if self.key()? == b"attributes" {
                    if attributes.is_some() {
                        return Err(Bail);
                    }
                    attributes = Some(self.attributes(Owner::Resource, 5)?);
                } else {
                    self.skip(5)?;
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        Ok(Resource {
            attributes: attributes.unwrap_or_default(),
        })
    }

    fn scope_spans(&mut self, resource: &Arc<Resource>) -> R<()> {
        let mut spans = false;
        if !self.open(b'{', b'}')? {
            return Ok(());
        }
        loop {
            if self.key()? == b"spans" {
                if spans {
                    return Err(Bail);
                }
                spans = true;
                if self.open(b'[', b']')? {
                    loop {
                        self.span(resource)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
            } else {
                self.skip(6)?;
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Ok(())
    }

    fn span(&mut self, resource: &Arc<Resource>) -> R<()> {
        self.ws();
        let start = self.i;
        let mut trace_id = None;
        let mut span_id = None;
        let mut parent_span_id = None;
        let mut name = String::new();
        let mut kind = SpanKind::Unspecified;
        let mut start_time = 0;
        let mut end_time = 0;
        let mut status = StatusCode::Unset;
        let mut attributes = Vec::new();
        // Bit per field met, for the duplicate check.
        let mut met = 0u16;
        let mut first_time = |bit: u16| {
            if met & bit != 0 {
                return Err(Bail);
            }
            met |= bit;
            Ok(())
        };
        if self.open(b'{', b'}')? {
            loop {
                match self.key()? {
                    b"traceId" => {
                        first_time(1)?;
                        trace_id = Some(TraceId(self.id::<16>()?.ok_or(Bail)?));
                    }
                    b"spanId" => {
                        first_time(2)?;
                        span_id = Some(SpanId(self.id::<8>()?.ok_or(Bail)?));
                    }
                    b"parentSpanId" => {
                        first_time(4)?;
                        parent_span_id = self.id::<8>()?.map(SpanId);
                    }
                    b"name" => {
                        first_time(8)?;
                        let s = self.string()?;
                        name = self.text(s)?;
                    }
                    b"kind" => {
                        first_time(16)?;
                        kind = SpanKind::from_i64(self.small_int()?).ok_or(Bail)?;
                    }
                    b"startTimeUnixNano" => {
                        first_time(32)?;
                        start_time = self.uint64()?;
                    }
                    b"endTimeUnixNano" => {
                        first_time(64)?;
                        end_time = self.uint64()?;
                    }
                    b"attributes" => {
                        first_time(128)?;
                        attributes = self.attributes(Owner::Span, 8)?;
                    }
                    b"status" => {
                        first_time(256)?;
                        status = self.status()?;
                    }
                    // Read at `Fidelity::Full` only: skipped, as the serde decoder does.
                    b"traceState"
                    | b"flags"
                    | b"droppedAttributesCount"
                    | b"events"
                    | b"droppedEventsCount"
                    | b"links"
                    | b"droppedLinksCount" => self.skip(8)?,
                    _ => return Err(Bail),
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        let (Some(trace_id), Some(span_id)) = (trace_id, span_id) else {
            return Err(Bail);
        };
        self.extents.push(self.i - start);
        self.out.push(Span {
            trace_id,
            span_id,
            parent_span_id,
            name,
            kind,
            start_time_unix_nano: start_time,
            end_time_unix_nano: end_time,
            status,
            attributes,
            resource: Arc::clone(resource),
            encoded_len: 0,
            detail: None,
        });
        Ok(())
    }

    /// An id as hex of `N` bytes: `None` for `""` or all zeros (a root's parent);
    /// anything else (base64, a wrong length) bails.
    fn id<const N: usize>(&mut self) -> R<Option<[u8; N]>> {
        if self.peek()? != b'"' {
            return Err(Bail);
        }
        // The common form, decoded without scanning it as a string first: 2N hex
        // digits (none of which can end or escape a string), then the quote.
        let start = self.i + 1;
        if let Some(hex) = self.b.get(start..start + 2 * N) {
            let mut id = [0u8; N];
            if self.b.get(start + 2 * N) == Some(&b'"')
                && crate::model::decode_hex_into(hex, &mut id)
            {
                self.i = start + 2 * N + 1;
                return Ok((id != [0; N]).then_some(id));
            }
        }
        let s = self.string()?;
        if s.raw.is_empty() {
            return Ok(None);
        }
        let mut id = [0u8; N];
        if s.escaped || !crate::model::decode_hex_into(s.raw, &mut id) {
            return Err(Bail);
        }
        Ok((id != [0; N]).then_some(id))
    }

    /// An enum value: a plain non-negative integer.
    fn small_int(&mut self) -> R<i64> {
        let n = self.number()?;
        if n.len() > 3 || !n.iter().all(u8::is_ascii_digit) {
            return Err(Bail);
        }
        Ok(n.iter().fold(0, |v, d| v * 10 + i64::from(d - b'0')))
    }

    /// The text of a 64-bit integer field, written as a string (without escapes)
    /// or as a JSON number; the caller checks its digits.
    fn integer_text(&mut self) -> R<&'a [u8]> {
        if self.peek()? != b'"' {
            return self.number();
        }
        // The common form: digits, then the quote (digits cannot end or escape a
        // string), read without scanning it as a string first.
        let start = self.i + 1;
        let digits = self.b[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if self.b.get(start + digits) == Some(&b'"') {
            self.i = start + digits + 1;
            return Ok(&self.b[start..start + digits]);
        }
        let s = self.string()?;
        if s.escaped {
            return Err(Bail);
        }
        Ok(s.raw)
    }

    /// A `uint64` as a decimal string or an integer.
    fn uint64(&mut self) -> R<u64> {
        let digits = self.integer_text()?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Bail);
        }
        digits
            .iter()
            .try_fold(0u64, |n, d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .ok_or(Bail)
    }

    /// An `int64` as a decimal string or an integer.
    fn int64(&mut self) -> R<i64> {
        let text = self.integer_text()?;
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Bail);
        }
        // Accumulated negatively, so that i64::MIN fits.
        let negative = digits
            .iter()
            .try_fold(0i64, |n, d| {
                n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))
            })
            .ok_or(Bail)?;
        if text.len() > digits.len() {
            Ok(negative)
        } else {
            negative.checked_neg().ok_or(Bail)
        }
    }

    fn status(&mut self) -> R<StatusCode> {
        let mut code = None;
        if self.open(b'{', b'}')? {
            loop {
                if self.key()? == b"code" {
                    if code.is_some() {
                        return Err(Bail);
                    }
                    code = Some(StatusCode::from_i64(self.small_int()?).ok_or(Bail)?);
                } else {
                    self.skip(9)?;
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        Ok(code.unwrap_or(StatusCode::Unset))
    }

    /// A list of `KeyValue`s of `owner`, the list at nesting depth `depth`.
    fn attributes(&mut self, owner: Owner, depth: u32) -> R<Vec<KeyValue>> {
        if depth + 2 > MAX_DEPTH {
            return Err(Bail);
        }
        let mut out = Vec::new();
        if !self.open(b'[', b']')? {
            return Ok(out);
        }
        loop {
            self.eat(b'{')?;
            self.known_key(b"\"key\"")?;
            let key = self.string()?;
            self.eat(b',')?;
            self.known_key(b"\"value\"")?;
            let keep = owner == Owner::Value || {
                // Keys are compared as written: an escaped key is unescaped first.
                let text;
                let key_text = if key.escaped {
                    text = self.text(key)?;
                    text.as_str()
                } else {
                    self.plain(key)?
                };
                if owner == Owner::Span {
                    self.keys.keeps_span(key_text)
                } else {
                    self.keys.keeps_resource(key_text)
                }
            };
            if keep {
                let value = self.any_value(depth + 2)?;
                out.push(KeyValue {
                    key: self.text(key)?,
                    value,
                });
            } else {
                self.check_text(key)?;
                self.check_any_value(depth + 2)?;
            }
            if self.more(b'}')? {
                return Err(Bail);
            }
            if !self.more(b']')? {
                break;
            }
        }
        Ok(out)
    }

    /// An `AnyValue` object with at most one value field, at nesting depth `depth`.
    fn any_value(&mut self, depth: u32) -> R<AnyValue> {
        if depth + 3 > MAX_DEPTH {
            return Err(Bail);
        }
        if !self.open(b'{', b'}')? {
            return Ok(AnyValue::Empty);
        }
        let value = match self.key()? {
            b"stringValue" => {
                let s = self.string()?;
                AnyValue::String(self.text(s)?)
            }
            b"boolValue" => AnyValue::Bool(self.boolean()?),
            b"intValue" => AnyValue::Int(self.int64()?),
            b"doubleValue" => AnyValue::Double(self.double()?),
            b"bytesValue" => {
                let s = self.string()?;
                if s.escaped {
                    return Err(Bail);
                }
                AnyValue::Bytes(crate::decode::decode_base64(self.plain(s)?).ok_or(Bail)?)
            }
            b"arrayValue" => {
                let mut values = Vec::new();
                if self.open(b'{', b'}')? {
                    if self.key()? != b"values" {
                        return Err(Bail);
                    }
                    if self.open(b'[', b']')? {
                        loop {
                            values.push(self.any_value(depth + 3)?);
                            if !self.more(b']')? {
                                break;
                            }
                        }
                    }
                    if self.more(b'}')? {
                        return Err(Bail);
                    }
                }
                AnyValue::Array(values)
            }
            b"kvlistValue" => {
                let mut values = Vec::new();
                if self.open(b'{', b'}')? {
                    if self.key()? != b"values" {
                        return Err(Bail);
                    }
                    values = self.attributes(Owner::Value, depth + 2)?;
                    if self.more(b'}')? {
                        return Err(Bail);
                    }
                }
                AnyValue::KvList(values)
            }
            _ => return Err(Bail),
        };
        if self.more(b'}')? {
            return Err(Bail);
        }
        Ok(value)
    }

    /// Reads and checks an `AnyValue` as [`Scanner::any_value`] does, storing nothing
    /// for the common scalar forms.
    fn check_any_value(&mut self, depth: u32) -> R<()> {
        let save = self.i;
        if self.peek()? != b'{' {
            return Err(Bail);
        }
        self.i += 1;
        if self.peek()? == b'"' {
            let key = if self.known_key(b"\"stringValue\"").is_ok() {
                b"stringValue"
            } else {
                self.key()?
            };
            let scalar = match key {
                b"stringValue" => {
                    let s = self.string()?;
                    self.check_text(s)?;
                    true
                }
                b"boolValue" => self.boolean().map(|_| true)?,
                b"intValue" => self.int64().map(|_| true)?,
                _ => false,
            };
            if scalar {
                return if self.more(b'}')? { Err(Bail) } else { Ok(()) };
            }
        }
        // Anything else: decode it whole and drop it.
        self.i = save;
        self.any_value(depth).map(drop)
    }

    fn boolean(&mut self) -> R<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => Err(Bail),
        }
    }

    /// A double written as a JSON number, parsed by serde_json as the serde decoder
    /// parses it (its float parsing is not the standard library's).
    fn double(&mut self) -> R<f64> {
        if self.peek()? == b'"' {
            return Err(Bail);
        }
        let text = self.number()?;
        serde_json::from_slice::<f64>(text).map_err(|_| Bail)
    }
}
