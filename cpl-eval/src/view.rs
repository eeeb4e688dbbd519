//! How the evaluator reads a span: the [`SpanView`] trait.
//!
//! An embedder already has spans in its own type (an SDK's span, a collector's pdata,
//! a replay's decoded record). Converting each one into a crate type before deciding
//! would cost more than the decision, so the evaluator reads spans through this trait
//! instead, and asks only for what the policy uses. The `cpl-otlp` crate implements it
//! for the spans it reads.

use cpl_syntax::{SpanKind, StatusCode};

/// An attribute value, borrowed from the span.
///
/// These are the only distinctions the language makes (spec/fields.md, "Attribute
/// values"): arrays, key-value lists and byte strings are [`AttrValue::Other`], for
/// which only `exists` is true.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    /// A string value.
    Str(&'a str),
    /// A 64-bit integer value.
    Int(i64),
    /// A double value (NaN and infinities included).
    Double(f64),
    /// A boolean value.
    Bool(bool),
    /// An array, key-value list or byte string: present, but no comparison matches it.
    Other,
}

/// Read access to one span: what the evaluator needs and nothing more.
///
/// Implement it for your own span type to evaluate it without conversion. The
/// evaluator asks only for what the policy reads, and for each field at most once per
/// evaluation, so a linear scan over a span's attributes is fine.
///
/// The attribute methods must follow the spec's rules for keys: exact, case-sensitive
/// key comparison; the **first** occurrence of a duplicated key counts; and an
/// attribute whose value is not set at all (an OTLP `AnyValue` with no variant) is
/// returned as `None`, as if absent.
pub trait SpanView {
    /// The 16-byte trace id.
    fn trace_id(&self) -> [u8; 16];
    /// The 8-byte span id.
    fn span_id(&self) -> [u8; 8];
    /// The parent span id; `None` for a root span.
    fn parent_span_id(&self) -> Option<[u8; 8]>;
    /// The span name.
    fn name(&self) -> &str;
    /// The span kind ([`SpanKind::Unspecified`] when unset).
    fn kind(&self) -> SpanKind;
    /// The span status code ([`StatusCode::Unset`] when unset).
    fn status(&self) -> StatusCode;
    /// Start time, nanoseconds since the Unix epoch; 0 when unset.
    fn start_time_unix_nano(&self) -> u64;
    /// End time, nanoseconds since the Unix epoch; 0 when unset.
    fn end_time_unix_nano(&self) -> u64;
    /// The span attribute `key`, if present.
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>>;
    /// The resource attribute `key`, if present.
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>>;

    /// The first present span attribute among `keys`, in their order of preference,
    /// with its position in `keys`: how a built-in field with several sources
    /// (`status_code`, `path`, ...) is read.
    ///
    /// The default asks [`SpanView::attribute`] for each key in turn. A span that keeps
    /// its attributes in a list can override it to answer in one pass over them
    /// ([`KeySet::position`] rejects most keys by their length alone), as the
    /// implementation for the `cpl-otlp` crate's span does.
    fn first_attribute(&self, keys: &KeySet) -> Option<(usize, AttrValue<'_>)> {
        keys.iter()
            .enumerate()
            .find_map(|(i, key)| self.attribute(key).map(|value| (i, value)))
    }

    /// The span's W3C `tracestate` header, as written (`""` when it has none): what
    /// `trace_state["key"]` reads. The default has none.
    #[allow(clippy::unnecessary_literal_bound)] // implementations borrow from the span
    fn trace_state(&self) -> &str {
        ""
    }

    /// The span's OTLP `flags`: the W3C trace flags in the low 8 bits (bit 0 is
    /// `sampled`). The default is 0.
    fn flags(&self) -> u32 {
        0
    }
}

/// The source keys of a field, in order of preference, prepared for matching: see
/// [`SpanView::first_attribute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    keys: Box<[Box<str>]>,
    /// Bit `n` is set when some key is `n` bytes long (bit 63: 63 or more).
    lengths: u64,
}

impl KeySet {
    /// At most 64 keys, so that implementations can track them in a `u64`.
    pub(crate) fn new(keys: &[&str]) -> Self {
        let keys: Box<[Box<str>]> = keys.iter().take(64).map(|&key| key.into()).collect();
        let lengths = keys.iter().fold(0, |mask, key| mask | length_bit(key));
        Self { keys, lengths }
    }

    /// The most preferred key, if any.
    pub fn first(&self) -> Option<&str> {
        self.keys.first().map(|key| &**key)
    }

    /// The keys in order of preference.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.keys.iter().map(|key| &**key)
    }

    /// The number of keys (at most 64).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The position of `key` in the set, if it is one of the keys.
    #[inline]
    pub fn position(&self, key: &str) -> Option<usize> {
        if self.lengths & length_bit(key) == 0 {
            return None;
        }
        self.keys.iter().position(|k| keys_equal(k, key))
    }
}

#[inline]
fn length_bit(key: &str) -> u64 {
    1 << key.len().min(63)
}

impl<T: SpanView + ?Sized> SpanView for &T {
    fn trace_id(&self) -> [u8; 16] {
        (**self).trace_id()
    }
    fn span_id(&self) -> [u8; 8] {
        (**self).span_id()
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        (**self).parent_span_id()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn kind(&self) -> SpanKind {
        (**self).kind()
    }
    fn status(&self) -> StatusCode {
        (**self).status()
    }
    fn start_time_unix_nano(&self) -> u64 {
        (**self).start_time_unix_nano()
    }
    fn end_time_unix_nano(&self) -> u64 {
        (**self).end_time_unix_nano()
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).attribute(key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).resource_attribute(key)
    }
    fn first_attribute(&self, keys: &KeySet) -> Option<(usize, AttrValue<'_>)> {
        (**self).first_attribute(keys)
    }
    fn trace_state(&self) -> &str {
        (**self).trace_state()
    }
    fn flags(&self) -> u32 {
        (**self).flags()
    }
}

/// `a == b`, for the short strings attribute keys are: lengths first (which rejects
/// most keys), then eight bytes at a time inline instead of a call to `memcmp`.
///
/// [`KeySet::position`] uses it; a [`SpanView`] that scans a list of attributes for a
/// key should too (measured: it is the hot loop of an evaluation).
#[inline(always)]
#[allow(clippy::inline_always)] // measured: called for every attribute scanned
pub fn keys_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |chunk: &[u8]| u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
    let tail = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .all(|(x, y)| x == y);
    tail && a8.zip(b8).all(|(x, y)| word(x) == word(y))
}
