//! Running compiled predicates on one span.
//!
//! This is the hot path. One [`Ctx`] lives on the stack for one span's evaluation: it
//! resolves each attribute-derived field at most once (a fixed-size inline cache, so
//! `status_code` and its two source keys are read once however many conditions use
//! it), and it never allocates: ids are hex-encoded into stack buffers only when
//! compared, URL paths are slices of the attribute, and string literals were prepared
//! at compile time. The `#[inline]` choices here were each measured with
//! `cargo bench -p cpl-eval --bench eval`.

use cpl_syntax::ast::CompareOp;
use memchr::memmem;

use crate::compare::{cmp_num, holds, nanos_to_millis, Num};
use crate::compile::{Field, Node, Pred, Program, Scope, Source, Test};
use crate::tenant::TenantId;
use crate::view::{AttrValue, SpanView};
use cpl_syntax::ast::ValueType;

/// A field's value on one span, in the terms comparisons need.
///
/// Values are resolved in place into the evaluation's cache and read back by
/// reference, field by field: copying them whole right after writing them stalls the
/// CPU on store forwarding, which cost more than the attribute scans.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    /// The field has no value.
    Missing,
    /// A value that only `exists` accepts (an array, or a value of the wrong type for a
    /// built-in field).
    Other,
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    /// A trace or span id (its first `len` bytes), compared as lowercase hex.
    Id([u8; 16], u8),
}

/// The span's duration in nanoseconds, `None` when a time is unset or out of order.
pub(crate) fn duration<S: SpanView + ?Sized>(span: &S) -> Option<u64> {
    let (start, end) = (span.start_time_unix_nano(), span.end_time_unix_nano());
    (start != 0 && end != 0 && end >= start).then(|| end - start)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex, written into `buf`.
fn hex<'b>(bytes: &[u8], buf: &'b mut [u8; 32]) -> &'b str {
    for (i, byte) in bytes.iter().enumerate().take(16) {
        buf[2 * i] = HEX[usize::from(byte >> 4)];
        buf[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
    }
    let len = (2 * bytes.len()).min(32);
    // Only ASCII hex digits were written.
    std::str::from_utf8(&buf[..len]).unwrap_or_default()
}

/// Substring search. Most attribute values are short, and for them a plain scan
/// beats setting up the SIMD searcher: a window is compared only when its first and
/// last bytes match the needle's.
#[inline]
fn contains(finder: &memmem::Finder<'_>, haystack: &[u8]) -> bool {
    let needle = finder.needle();
    if haystack.len() >= 64 {
        return finder.find(haystack).is_some();
    }
    let (Some(&first), Some(&last)) = (needle.first(), needle.last()) else {
        return true;
    };
    let Some(last_start) = haystack.len().checked_sub(needle.len()) else {
        return false;
    };
    let n = needle.len();
    (0..=last_start).any(|i| {
        haystack[i] == first && haystack[i + n - 1] == last && haystack[i..i + n].iter().eq(needle)
    })
}

pub(crate) use cpl_syntax::values::url_path;

/// Reads attribute-derived field `index` of `span` into `out` (spec/fields.md,
/// "Catalog").
#[inline]
fn resolve<'s, S: SpanView + ?Sized>(
    program: &Program,
    span: &'s S,
    index: usize,
    out: &mut Val<'s>,
) {
    let key = |k: u32| -> Option<AttrValue<'s>> {
        let (scope, key) = program.keys.keys.get(k as usize)?;
        match scope {
            Scope::Span => span.attribute(key),
            Scope::Resource => span.resource_attribute(key),
        }
    };
    let first = |set: u32| span.first_attribute(program.key_sets.get(set as usize)?);
    let string = |value: Option<AttrValue<'s>>| match value {
        None => Val::Missing,
        Some(AttrValue::Str(text)) => Val::Str(text),
        Some(_) => Val::Other,
    };
    *out = match program.sources.get(index) {
        None => Val::Missing,
        Some(Source::StatusCode(set)) => match first(*set) {
            None => Val::Missing,
            Some((_, AttrValue::Int(n))) => Val::Int(n),
            Some((_, AttrValue::Double(x))) => Val::Float(x),
            Some(_) => Val::Other,
        },
        Some(Source::Method(set) | Source::UserId(set)) => string(first(*set).map(|(_, v)| v)),
        Some(Source::Path(set)) => match first(*set) {
            // The fourth and fifth sources are full URLs.
            Some((3.., AttrValue::Str(url))) => Val::Str(url_path(url)),
            found => string(found.map(|(_, v)| v)),
        },
        Some(Source::Service(k)) => string(key(*k)),
        Some(Source::Attr(k)) => match key(*k) {
            None => Val::Missing,
            Some(AttrValue::Str(text)) => Val::Str(text),
            Some(AttrValue::Int(n)) => Val::Int(n),
            Some(AttrValue::Double(x)) => Val::Float(x),
            Some(AttrValue::Bool(b)) => Val::Bool(b),
            Some(AttrValue::Other) => Val::Other,
        },
    };
}

/// The trace-level values of one trace (spec/sampling.md, "Decisions"): computed once
/// per trace, before its spans are evaluated, for policies with trace-level parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trace {
    pub(crate) span_count: u64,
    /// `trace_duration`: latest end minus earliest start over the spans that have a
    /// duration.
    pub(crate) duration: Option<u64>,
    /// The result of each `any(…)` part, by its index in `Program::quantifiers`.
    pub(crate) any: Vec<bool>,
}

impl Trace {
    /// Computes the trace-level values of `spans`.
    pub(crate) fn of<S: SpanView>(program: &Program, spans: &[S]) -> Self {
        let mut window: Option<(u64, u64)> = None;
        for span in spans {
            if duration(span).is_some() {
                let (start, end) = (span.start_time_unix_nano(), span.end_time_unix_nano());
                window = Some(window.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
            }
        }
        let mut trace = Trace {
            span_count: spans.len() as u64,
            duration: window.map(|(start, end)| end - start),
            any: Vec::with_capacity(program.quantifiers.len()),
        };
        // Inner parts come first, so each body reads only results computed already.
        for body in &program.quantifiers {
            let result = spans
                .iter()
                .any(|span| Ctx::<_, 16>::with_trace(program, span, Some(&trace)).eval(body));
            trace.any.push(result);
        }
        trace
    }
}

/// The evaluation state for one span.
///
/// `N` is the number of attribute-derived fields cached inline (at most 64); fields
/// with a larger slot are resolved into `spare` each time they are needed.
pub(crate) struct Ctx<'e, 's, S: ?Sized, const N: usize> {
    program: &'e Program,
    span: &'s S,
    /// The span's trace; `None` when the span is decided as a trace of its own.
    trace: Option<&'e Trace>,
    /// Bit `i`: field slot `i` has been resolved and `values[i]` holds its value.
    resolved: u64,
    values: [Val<'s>; N],
    spare: Val<'s>,
}

impl<'e, 's, S: SpanView + ?Sized, const N: usize> Ctx<'e, 's, S, N> {
    pub(crate) fn new(program: &'e Program, span: &'s S) -> Self {
        Self::with_trace(program, span, None)
    }

    /// A context whose trace-level parts read `trace` (`None`: the span alone).
    pub(crate) fn with_trace(program: &'e Program, span: &'s S, trace: Option<&'e Trace>) -> Self {
        Self {
            program,
            span,
            trace,
            resolved: 0,
            values: [Val::Missing; N],
            spare: Val::Missing,
        }
    }

    pub(crate) fn span(&self) -> &'s S {
        self.span
    }

    /// The value of field slot `slot`, resolved once.
    #[inline]
    fn slot(&mut self, slot: u32) -> &Val<'s> {
        let index = slot as usize;
        if index < N.min(64) {
            let bit = 1u64 << index;
            if self.resolved & bit == 0 {
                resolve(self.program, self.span, index, &mut self.values[index]);
                self.resolved |= bit;
            }
            &self.values[index]
        } else {
            resolve(self.program, self.span, index, &mut self.spare);
            &self.spare
        }
    }

    /// The tenant id carried by the attribute of `slot`: a string, or an int.
    pub(crate) fn tenant(&mut self, slot: u32) -> Option<TenantId<'s>> {
        match *self.slot(slot) {
            Val::Str(text) => Some(TenantId::Str(text)),
            Val::Int(number) => Some(TenantId::Int(number)),
            _ => None,
        }
    }

    /// The value of a field that is not an attribute slot.
    #[inline]
    fn value(&mut self, field: Field) -> Val<'s> {
        let id = |bytes: [u8; 8]| {
            let mut long = [0; 16];
            long[..8].copy_from_slice(&bytes);
            Val::Id(long, 8)
        };
        match field {
            Field::Slot(slot) => *self.slot(slot),
            Field::Name => Val::Str(self.span.name()),
            Field::TraceId => Val::Id(self.span.trace_id(), 16),
            Field::SpanId => id(self.span.span_id()),
            Field::ParentSpanId => self.span.parent_span_id().map_or(Val::Missing, id),
            Field::Duration => match duration(self.span) {
                // Only `exists` reads the duration through here.
                Some(_) => Val::Other,
                None => Val::Missing,
            },
            Field::TraceDuration => match self.trace_duration() {
                Some(_) => Val::Other,
                None => Val::Missing,
            },
            // Only `exists` reads the span count through here: it always has one.
            Field::SpanCount => Val::Other,
            Field::Sampled => Val::Bool(self.span.flags() & 1 == 1),
            Field::TraceState(index) => self
                .program
                .trace_state_keys
                .get(index as usize)
                .and_then(|key| crate::tracestate::entry(self.span.trace_state(), key))
                .map_or(Val::Missing, Val::Str),
        }
    }

    fn trace_duration(&self) -> Option<u64> {
        match self.trace {
            Some(trace) => trace.duration,
            None => duration(self.span),
        }
    }

    /// `any(…)` part `index`: its result over the trace, or on the span alone.
    fn any(&mut self, index: u32) -> bool {
        if let Some(trace) = self.trace {
            return trace.any.get(index as usize).copied().unwrap_or(false);
        }
        let program = self.program;
        program
            .quantifiers
            .get(index as usize)
            .is_some_and(|body| self.eval(body))
    }

    /// Applies `test` to the field's value if it is a string (ids as lowercase hex).
    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn text(&mut self, field: Field, check: impl FnOnce(&str) -> bool) -> bool {
        if let Field::Slot(slot) = field {
            return match *self.slot(slot) {
                Val::Str(text) => check(text),
                _ => false,
            };
        }
        match self.value(field) {
            Val::Str(text) => check(text),
            Val::Id(bytes, len) => {
                let mut buf = [0u8; 32];
                check(hex(&bytes[..usize::from(len)], &mut buf))
            }
            _ => false,
        }
    }

    /// Evaluates a compiled expression.
    #[inline]
    pub(crate) fn eval(&mut self, node: &Node) -> bool {
        match node {
            Node::Chain { all, preds } => self.chain(*all, preds),
            _ => self.compound(node),
        }
    }

    /// A chain of predicates: true when all (`all`) or any of them is.
    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn chain(&mut self, all: bool, preds: &[Pred]) -> bool {
        if let [pred] = preds {
            return self.pred(pred);
        }
        for pred in preds {
            if self.pred(pred) != all {
                return !all;
            }
        }
        all
    }

    /// Nested AND, OR and NOT, and constants: kept out of line, so that the common
    /// shapes (a predicate, a chain of predicates) pay for no recursion.
    #[inline(never)]
    fn compound(&mut self, node: &Node) -> bool {
        match node {
            Node::Chain { all, preds } => self.chain(*all, preds),
            Node::Pred(pred) => self.pred(pred),
            Node::And(items) => items.iter().all(|item| self.eval(item)),
            Node::Or(items) => items.iter().any(|item| self.eval(item)),
            Node::Not(inner) => !self.eval(inner),
            Node::Const(value) => *value,
            Node::Any(index) => self.any(*index),
        }
    }

    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn pred(&mut self, pred: &Pred) -> bool {
        // The commonest predicates are tested one by one before the full dispatch: a
        // chain of predictable branches is cheaper than one indirect jump whose target
        // changes from predicate to predicate (measured: 10% of the demo policy).
        if let Pred::Num { slot, op, literal } = pred {
            return self.number(*slot, *op, *literal);
        }
        if let Pred::Duration { op, nanos } = pred {
            return self.duration_is(*op, *nanos);
        }
        self.dispatch(pred)
    }

    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn number(&mut self, slot: u32, op: CompareOp, literal: Num) -> bool {
        match *self.slot(slot) {
            Val::Int(value) => holds(op, cmp_num(Num::Int(value), literal)),
            Val::Float(value) => holds(op, cmp_num(Num::Float(value), literal)),
            _ => false,
        }
    }

    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn duration_is(&self, op: CompareOp, nanos: i128) -> bool {
        duration(self.span).is_some_and(|d| holds(op, Some(i128::from(d).cmp(&nanos))))
    }

    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: keeps the hot path free of calls
    fn dispatch(&mut self, pred: &Pred) -> bool {
        match pred {
            Pred::Num { slot, op, literal } => self.number(*slot, *op, *literal),
            Pred::Duration { op, nanos } => self.duration_is(*op, *nanos),
            Pred::DurationMillis { op, millis } => duration(self.span)
                .is_some_and(|d| holds(*op, nanos_to_millis(d).partial_cmp(millis))),
            Pred::Str { field, op, literal } => {
                self.text(*field, |text| holds(*op, Some(text.cmp(literal))))
            }
            Pred::Test {
                field,
                test,
                negated,
            } => self.text(*field, |text| {
                let passed = match test {
                    Test::Contains(finder) => contains(finder, text.as_bytes()),
                    Test::StartsWith(prefix) => text.starts_with(&**prefix),
                    Test::EndsWith(suffix) => text.ends_with(&**suffix),
                    Test::Equals(whole) => text == &**whole,
                    Test::Matches(regex) => regex.is_match(text),
                };
                passed != *negated
            }),
            Pred::StrIn {
                field,
                set,
                negated,
            } => self.text(*field, |text| {
                set.binary_search_by(|item| (**item).cmp(text)).is_ok() != *negated
            }),
            Pred::Kind { set, negated } => ((set >> (self.span.kind() as u8)) & 1 == 1) != *negated,
            Pred::Status { set, negated } => {
                ((set >> (self.span.status() as u8)) & 1 == 1) != *negated
            }
            Pred::Error { equal, literal } => {
                let error = self.span.status() == cpl_syntax::StatusCode::Error;
                (error == *literal) == *equal
            }
            Pred::Bool {
                slot,
                equal,
                literal,
            } => match *self.slot(*slot) {
                Val::Bool(value) => (value == *literal) == *equal,
                _ => false,
            },
            Pred::TraceDuration { op, nanos } => self
                .trace_duration()
                .is_some_and(|d| holds(*op, Some(i128::from(d).cmp(nanos)))),
            Pred::TraceDurationMillis { op, millis } => self
                .trace_duration()
                .is_some_and(|d| holds(*op, nanos_to_millis(d).partial_cmp(millis))),
            Pred::SpanCount { op, literal } => {
                let count = self.trace.map_or(1, |trace| trace.span_count);
                let count = i64::try_from(count).unwrap_or(i64::MAX);
                holds(*op, cmp_num(Num::Int(count), *literal))
            }
            Pred::Sampled { equal, literal } => {
                let sampled = self.span.flags() & 1 == 1;
                (sampled == *literal) == *equal
            }
            Pred::IsType { slot, ty, negated } => match (*self.slot(*slot), ty) {
                (Val::Missing, _) => false,
                (Val::Int(_), ValueType::Int)
                | (Val::Float(_), ValueType::Float)
                | (Val::Str(_), ValueType::String)
                | (Val::Bool(_), ValueType::Bool) => !*negated,
                _ => *negated,
            },
            Pred::Fnv { salt, threshold } => {
                crate::fnv::fnv_hash(salt, self.span.trace_id()) <= *threshold
            }
            Pred::Exists(Field::Slot(slot)) => !matches!(self.slot(*slot), Val::Missing),
            Pred::Exists(field) => !matches!(self.value(*field), Val::Missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_follow_rfc_3986() {
        assert_eq!(
            url_path("https://h:8443/api/payment/1?q=2#f"),
            "/api/payment/1"
        );
        assert_eq!(url_path("https://h"), "");
        assert_eq!(url_path("https://h?q"), "");
        assert_eq!(url_path("http://user@h/a%20b/"), "/a%20b/");
        assert_eq!(url_path("/relative/path?x=1"), "/relative/path");
        assert_eq!(
            url_path("mailto:someone@example.com"),
            "someone@example.com"
        );
        assert_eq!(url_path("urn:isbn:0451450523"), "isbn:0451450523");
        assert_eq!(url_path("//host/p#frag"), "/p");
        assert_eq!(url_path("1http://h/p"), "1http://h/p");
        assert_eq!(url_path(""), "");
    }

    #[test]
    fn short_and_long_substring_search() {
        let long = "x".repeat(100) + "/api/payment";
        for (haystack, needle, expected) in [
            ("/api/users/:id", "/api/payment", false),
            ("/api/payment/1", "/api/payment", true),
            ("a/api/payment", "/api/payment", true),
            ("/api", "/api/payment", false),
            ("", "", true),
            ("abc", "", true),
            ("abc", "c", true),
            ("abc", "abcd", false),
            ("ééé", "é", true),
            (long.as_str(), "/api/payment", true),
            (long.as_str(), "/api/paymenT", false),
        ] {
            let finder = memmem::Finder::new(needle.as_bytes());
            assert_eq!(
                contains(&finder, haystack.as_bytes()),
                expected,
                "{haystack:?} {needle:?}"
            );
        }
    }

    #[test]
    fn ids_are_lowercase_hex() {
        let mut buf = [0u8; 32];
        assert_eq!(hex(&[0xAB, 0x01, 0xff], &mut buf), "ab01ff");
        let id = [0x4b; 16];
        assert_eq!(hex(&id, &mut buf).len(), 32);
    }
}
