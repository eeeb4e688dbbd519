//! How the evaluator reads a decoded span: `impl SpanView for Span`.
//!
//! The evaluator asks for a span's fields through [`cpl_eval::SpanView`]; this is that
//! view of the span model both decoders fill. Attribute lookups are the hot loop of an
//! evaluation, so built-in fields with several source keys are read in one pass.

use cpl_eval::{keys_equal, AttrValue, KeySet, SpanKind, SpanView, StatusCode};

use crate::model::{AnyValue, KeyValue, Span};

/// The evaluator's view of an OTLP `AnyValue`; `None` for a value with nothing set.
pub fn attr_value(value: &AnyValue) -> Option<AttrValue<'_>> {
    Some(match value {
        AnyValue::String(text) => AttrValue::Str(text),
        AnyValue::Int(number) => AttrValue::Int(*number),
        AnyValue::Double(number) => AttrValue::Double(*number),
        AnyValue::Bool(flag) => AttrValue::Bool(*flag),
        AnyValue::Bytes(_) | AnyValue::Array(_) | AnyValue::KvList(_) => AttrValue::Other,
        AnyValue::Empty => return None,
    })
}

/// The first attribute with `key`; `None` if there is none or its value is empty.
#[inline(always)]
#[allow(clippy::inline_always)] // measured: the scan is the hot loop of an evaluation
fn lookup<'a>(attributes: &'a [KeyValue], key: &str) -> Option<AttrValue<'a>> {
    let kv = attributes.iter().find(|kv| keys_equal(&kv.key, key))?;
    attr_value(&kv.value)
}

/// [`SpanView::first_attribute`] over a list of attributes: one tight scan for the
/// preferred key, which is usually there (`http.route`, `http.response.status_code`),
/// and one pass for all the others if it is not.
#[inline]
fn first_of<'a>(attributes: &'a [KeyValue], keys: &KeySet) -> Option<(usize, AttrValue<'a>)> {
    let preferred = keys.first()?;
    if let Some(value) = lookup(attributes, preferred) {
        return Some((0, value));
    }
    let mut best: Option<(usize, AttrValue<'a>)> = None;
    // Keys whose first occurrence has been seen: later duplicates do not count, even
    // when the first one has no value. The preferred key is settled already.
    let mut seen = 1u64;
    for kv in attributes {
        let Some(index) = keys.position(&kv.key) else {
            continue;
        };
        let bit = 1u64 << index;
        if seen & bit != 0 || best.is_some_and(|(b, _)| b < index) {
            continue;
        }
        seen |= bit;
        if let Some(value) = attr_value(&kv.value) {
            best = Some((index, value));
            if index == 1 {
                break;
            }
        }
    }
    best
}

impl SpanView for Span {
    fn trace_id(&self) -> [u8; 16] {
        self.trace_id.0
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_id.0
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        self.parent_span_id.map(|id| id.0)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> SpanKind {
        self.kind
    }
    fn status(&self) -> StatusCode {
        self.status
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.start_time_unix_nano
    }
    fn end_time_unix_nano(&self) -> u64 {
        self.end_time_unix_nano
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.attributes, key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.resource.attributes, key)
    }
    fn first_attribute(&self, keys: &KeySet) -> Option<(usize, AttrValue<'_>)> {
        first_of(&self.attributes, keys)
    }
    // Kept only at `Fidelity::Full`; without the detail a span has neither.
    fn trace_state(&self) -> &str {
        self.detail
            .as_ref()
            .map_or("", |detail| detail.trace_state.as_str())
    }
    fn flags(&self) -> u32 {
        self.detail.as_ref().map_or(0, |detail| detail.flags)
    }
}
