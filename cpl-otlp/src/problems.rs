//! Every problem of a rejected document, not just the first.
//!
//! The decoder stops at the first problem, which keeps valid documents fast.
//! When it fails, this module walks the document again, object by object, as
//! borrowed raw values, and decodes each field on its own with the decoder's
//! own field types, so that each problem gets the decoder's message and an
//! exact position. Only rejected documents pay for it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::decode::{
    detail_field, duplicate_message, from_serde, offset_in, position_of, resource_spans_field,
    set_fidelity, set_leniency, snake_message, span_field, spelling, Code, DecodeError, ErrorKind,
    KeyValueSeed, Kind, LinkSpanIdField, LinkTraceIdField, ParentIdField, RsField, ScopeWire,
    SpanField, SpanIdField, TraceIdField, EVENT_FIELDS, LINK_FIELDS, MAX_PROBLEMS,
    SCOPE_SPANS_FIELDS, STATUS_FIELDS, U32, U64,
};
use crate::dialect::Leniency;
use crate::model::Fidelity;

/// `first`, the decoder's error, completed with the document's other problems.
pub(crate) fn all_problems(
    json: &[u8],
    leniency: Leniency,
    fidelity: Fidelity,
    first: DecodeError,
) -> DecodeError {
    if !matches!(
        first.kind,
        ErrorKind::Schema | ErrorKind::InvalidId | ErrorKind::EnumName
    ) {
        // Broken JSON has one problem: where it breaks; a document that is not
        // traces has nothing inside to check.
        return first;
    }
    set_leniency(leniency);
    set_fidelity(fidelity);
    let mut walk = Walk {
        json,
        found: Vec::new(),
        total: 0,
        lenient: leniency == Leniency::Lenient,
        full: fidelity == Fidelity::Full,
    };
    if let Some(root) = walk.check::<RawMap<'_>>(None) {
        walk.document(&root.0);
    }
    let Walk {
        mut found, total, ..
    } = walk;
    let mut total = total;
    if !found.iter().any(|p| same(p, &first)) {
        found.push(first);
        total += 1;
    }
    found.sort_by_key(|p| (p.line, p.column));
    let mut found = found.into_iter();
    let Some(mut main) = found.next() else {
        unreachable!("`first` is in the list")
    };
    main.more = found.collect();
    main.omitted = total - 1 - main.more.len() as u64;
    main
}

/// The same problem, found by the decoder and by the walk (whose column may
/// differ: serde_json places some errors after the value, some at it; and whose
/// message may name the expected type more exactly, as for a `resourceSpans` entry
/// that is not an object).
fn same(a: &DecodeError, b: &DecodeError) -> bool {
    (a.line, &a.message) == (b.line, &b.message)
        || (a.line, a.column, a.kind) == (b.line, b.column, b.kind)
}

struct Walk<'a> {
    json: &'a [u8],
    /// The first problems, at most `MAX_PROBLEMS`.
    found: Vec<DecodeError>,
    /// All problems, described or not.
    total: u64,
    lenient: bool,
    /// Read at `Fidelity::Full`: the span detail fields are checked too.
    full: bool,
}

/// A JSON object as its entries, values undecoded.
struct RawMap<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawMap<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMap<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMap<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Cow<'de, str>>()? {
                    out.push((k, map.next_value::<&'de RawValue>()?));
                }
                Ok(RawMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One `KeyValue`, decoded as the decoder does inside a list.
struct OneKeyValue;

impl<'de> Deserialize<'de> for OneKeyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        KeyValueSeed.deserialize(d).map(|_| OneKeyValue)
    }
}

impl<'a> Walk<'a> {
    fn add(&mut self, problem: DecodeError) {
        self.total += 1;
        if self.found.len() < MAX_PROBLEMS {
            self.found.push(problem);
        }
    }

    fn add_at(&mut self, raw: &RawValue, kind: ErrorKind, message: String) {
        let at = position_of(self.json, offset_in(self.json, raw.get()));
        self.add(DecodeError::new(kind, message, at));
    }

    /// Decodes `raw` (or the whole document) as `T`, recording the problem.
    fn check<T: Deserialize<'a>>(&mut self, raw: Option<&'a RawValue>) -> Option<T> {
        crate::decode::clear_last_kind();
        let result = match raw {
            Some(raw) => serde_json::from_str::<T>(raw.get()),
            None => serde_json::from_slice::<T>(self.json),
        };
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                let inner = raw.map(|r| (self.json, r.get()));
                self.add(from_serde(&e, inner));
                None
            }
        }
    }

    /// A list of raw values (absent or `null`: empty).
    fn list(&mut self, raw: &'a RawValue) -> Vec<&'a RawValue> {
        self.check::<Option<Vec<&'a RawValue>>>(Some(raw))
            .flatten()
            .unwrap_or_default()
    }

    fn object(&mut self, raw: &'a RawValue) -> Vec<(Cow<'a, str>, &'a RawValue)> {
        self.check::<Option<RawMap<'a>>>(Some(raw))
            .flatten()
            .map(|m| m.0)
            .unwrap_or_default()
    }

    /// A snake_case key in strict reading is a problem.
    fn snake(&mut self, raw: &RawValue, key: &str, camel: &str) {
        if !self.lenient {
            self.add_at(raw, ErrorKind::Schema, snake_message(key, camel));
        }
    }

    fn document(&mut self, entries: &[(Cow<'a, str>, &'a RawValue)]) {
        let mut container: Option<&str> = None;
        for (key, value) in entries {
            let key = key.as_ref();
            let is_container = match key {
                "resourceSpans" => true,
                "resource_spans" => {
                    self.snake(value, key, "resourceSpans");
                    true
                }
                "batches" | "result" => self.lenient,
                _ => false,
            };
            if !is_container {
                continue;
            }
            if let Some(first) = container {
                self.add_at(
                    value,
                    ErrorKind::Schema,
                    duplicate_message("resourceSpans", first, key),
                );
                continue;
            }
            container = Some(match key {
                "resourceSpans" => "resourceSpans",
                "resource_spans" => "resource_spans",
                "batches" => "batches",
                _ => "result",
            });
            if key == "result" {
                let inner = self.object(value);
                self.document(&inner);
            } else {
                for rs in self.list(value) {
                    self.resource_spans(rs);
                }
            }
        }
    }

    fn resource_spans(&mut self, raw: &'a RawValue) {
        let mut scope_key: Option<&str> = None;
        let mut schema_url_key: Option<&str> = None;
        let mut resource_seen = false;
        for (key, value) in self.object(raw) {
            let (field, camel) = resource_spans_field(&key);
            if matches!(field, RsField::SchemaUrl(_)) && !self.full {
                continue;
            }
            if let Some(camel) = camel {
                self.snake(value, &key, camel);
            }
            match field {
                RsField::Resource => {
                    if resource_seen {
                        self.add_at(
                            value,
                            ErrorKind::Schema,
                            duplicate_message("resource", "resource", "resource"),
                        );
                        continue;
                    }
                    resource_seen = true;
                    for (k, v) in self.object(value) {
                        if k == "attributes" {
                            self.attributes(v);
                        }
                    }
                }
                RsField::ScopeSpans(spelled) => {
                    if let Some(first) = scope_key {
                        self.add_at(
                            value,
                            ErrorKind::Schema,
                            duplicate_message("scopeSpans", first, spelled),
                        );
                        continue;
                    }
                    scope_key = Some(spelled);
                    for ss in self.list(value) {
                        self.scope_spans(ss);
                    }
                }
                RsField::SchemaUrl(spelled) => {
                    if !self.full {
                        continue;
                    }
                    if let Some(first) = schema_url_key {
                        self.add_at(
                            value,
                            ErrorKind::Schema,
                            duplicate_message("schemaUrl", first, spelled),
                        );
                        continue;
                    }
                    schema_url_key = Some(spelled);
                    self.check::<Option<String>>(Some(value));
                }
                RsField::Other => {}
            }
        }
    }

    fn scope_spans(&mut self, raw: &'a RawValue) {
        if !self.full {
            for (k, v) in self.object(raw) {
                if k == "spans" {
                    for span in self.list(v) {
                        self.span(span);
                    }
                }
            }
            return;
        }
        let mut scope_seen = false;
        for (i, v) in self.fields(raw, SCOPE_SPANS_FIELDS) {
            match i {
                0 => {
                    for span in self.list(v) {
                        self.span(span);
                    }
                }
                1 | 3 => {
                    if scope_seen {
                        let message = duplicate_message("scope", "scope", "instrumentationLibrary");
                        self.add_at(v, ErrorKind::Schema, message);
                        continue;
                    }
                    scope_seen = true;
                    self.check::<Option<ScopeWire>>(Some(v));
                }
                _ => {
                    self.check::<Option<String>>(Some(v));
                }
            }
        }
    }

    /// The known fields of an object read at `Fidelity::Full` (`fields` lists
    /// their spellings), each once; a snake_case key in strict reading and a
    /// repeated field are problems.
    fn fields(&mut self, raw: &'a RawValue, fields: &[(&str, &str)]) -> Vec<(usize, &'a RawValue)> {
        let mut out: Vec<(usize, &'a RawValue)> = Vec::new();
        let mut spelled: Vec<(usize, String)> = Vec::new();
        for (key, value) in self.object(raw) {
            let Some((i, snake)) = detail_field(fields, &key) else {
                continue;
            };
            let (camel, snake_name) = fields[i];
            if snake {
                self.snake(value, snake_name, camel);
            }
            if let Some((_, first)) = spelled.iter().find(|(j, _)| *j == i) {
                let message = duplicate_message(camel, first, &key);
                self.add_at(value, ErrorKind::Schema, message);
                continue;
            }
            spelled.push((i, key.into_owned()));
            out.push((i, value));
        }
        out
    }

    fn event(&mut self, raw: &'a RawValue) {
        for (i, v) in self.fields(raw, EVENT_FIELDS) {
            match i {
                0 => {
                    self.check::<Option<U64>>(Some(v));
                }
                1 => {
                    self.check::<Option<String>>(Some(v));
                }
                2 => self.attributes(v),
                _ => {
                    self.check::<Option<U32>>(Some(v));
                }
            }
        }
    }

    fn link(&mut self, raw: &'a RawValue) {
        let (mut trace_id, mut span_id) = (false, false);
        for (i, v) in self.fields(raw, LINK_FIELDS) {
            let present = v.get() != "null";
            match i {
                0 => {
                    trace_id = present;
                    self.check::<Option<LinkTraceIdField>>(Some(v));
                }
                1 => {
                    span_id = present;
                    self.check::<Option<LinkSpanIdField>>(Some(v));
                }
                2 => {
                    self.check::<Option<String>>(Some(v));
                }
                3 => self.attributes(v),
                _ => {
                    self.check::<Option<U32>>(Some(v));
                }
            }
        }
        if !trace_id {
            self.add_at(raw, ErrorKind::InvalidId, "link has no traceId".to_owned());
        }
        if !span_id {
            self.add_at(raw, ErrorKind::InvalidId, "link has no spanId".to_owned());
        }
    }

    fn attributes(&mut self, raw: &'a RawValue) {
        for kv in self.list(raw) {
            self.check::<OneKeyValue>(Some(kv));
        }
    }

    fn span(&mut self, raw: &'a RawValue) {
        let mut met = 0u32;
        let mut snakes = 0u32;
        // Whether the ids are present (possibly with a problem of their own).
        let (mut trace_id, mut span_id) = (false, false);
        for (key, value) in self.object(raw) {
            let (field, snake) = span_field(&key);
            if field == SpanField::Other || (field.is_detail() && !self.full) {
                continue;
            }
            if snake {
                self.snake(value, &key, field.camel());
            }
            let bit = 1u32 << (field as u32);
            if met & bit != 0 {
                let first = spelling(field, snakes & bit != 0);
                let message = duplicate_message(field.camel(), &first, &spelling(field, snake));
                self.add_at(value, ErrorKind::Schema, message);
                continue;
            }
            met |= bit;
            if snake {
                snakes |= bit;
            }
            let present = value.get() != "null";
            match field {
                SpanField::TraceId => {
                    trace_id = present;
                    self.check::<Option<TraceIdField>>(Some(value));
                }
                SpanField::SpanId => {
                    span_id = present;
                    self.check::<Option<SpanIdField>>(Some(value));
                }
                SpanField::ParentSpanId => {
                    self.check::<Option<ParentIdField>>(Some(value));
                }
                SpanField::Name | SpanField::TraceState => {
                    self.check::<Option<String>>(Some(value));
                }
                SpanField::Kind => {
                    self.check::<Option<Kind>>(Some(value));
                }
                SpanField::StartTimeUnixNano | SpanField::EndTimeUnixNano => {
                    self.check::<Option<U64>>(Some(value));
                }
                SpanField::Attributes => self.attributes(value),
                SpanField::Status if self.full => {
                    for (i, v) in self.fields(value, STATUS_FIELDS) {
                        if i == 0 {
                            self.check::<Option<Code>>(Some(v));
                        } else {
                            self.check::<Option<String>>(Some(v));
                        }
                    }
                }
                SpanField::Status => {
                    for (k, v) in self.object(value) {
                        if k == "code" {
                            self.check::<Option<Code>>(Some(v));
                        }
                    }
                }
                SpanField::Events => {
                    for event in self.list(value) {
                        self.event(event);
                    }
                }
                SpanField::Links => {
                    for link in self.list(value) {
                        self.link(link);
                    }
                }
                SpanField::Flags
                | SpanField::DroppedAttributesCount
                | SpanField::DroppedEventsCount
                | SpanField::DroppedLinksCount => {
                    self.check::<Option<U32>>(Some(value));
                }
                SpanField::Other => {}
            }
        }
        if !trace_id {
            self.add_at(raw, ErrorKind::InvalidId, "span has no traceId".to_owned());
        }
        if !span_id {
            self.add_at(raw, ErrorKind::InvalidId, "span has no spanId".to_owned());
        }
    }
}
