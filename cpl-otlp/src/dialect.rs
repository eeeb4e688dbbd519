//! The JSON that trace stores export besides OTLP/JSON as the specification
//! writes it (spec/replay.md, "What trace stores export"): whether the decoder
//! reads it ([`Leniency`]) and what it saw ([`Deviations`]), so that a caller
//! can say once per input how it was read.

use std::fmt;

/// How far the decoder departs from OTLP/JSON as the specification writes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Leniency {
    /// OTLP/JSON only: base64 ids, enum names, snake_case keys and the Tempo and
    /// Jaeger wrappers are errors (`instrumentationLibrarySpans` is still read).
    Strict,
    /// Also the dialects trace stores export: proto3 canonical JSON (base64 ids,
    /// enum names), snake_case proto field names, Grafana Tempo's
    /// `{"batches": ...}` and Jaeger api/v3's `{"result": ...}`.
    Lenient,
}

/// The departures from OTLP/JSON seen in a document (or, merged, an input).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Deviations(u8);

impl Deviations {
    /// None.
    pub const NONE: Deviations = Deviations(0);
    /// `{"result": {...}}`: a Jaeger api/v3 response.
    pub const JAEGER_RESULT: Deviations = Deviations(1);
    /// `{"batches": [...]}`: a Grafana Tempo trace.
    pub const TEMPO_BATCHES: Deviations = Deviations(1 << 1);
    /// snake_case proto field names (`resource_spans`, `trace_id`, ...).
    pub const SNAKE_CASE_KEYS: Deviations = Deviations(1 << 2);
    /// Ids in base64 instead of hex.
    pub const BASE64_IDS: Deviations = Deviations(1 << 3);
    /// Enums (`kind`, `status.code`) as their names instead of integers.
    pub const ENUM_NAMES: Deviations = Deviations(1 << 4);
    /// `instrumentationLibrarySpans`, the pre-1.0 name of `scopeSpans`.
    pub const INSTRUMENTATION_LIBRARY: Deviations = Deviations(1 << 5);

    /// Each flag with how a notice names it, in the order notices list them.
    const NAMES: [(Deviations, &'static str); 6] = [
        (Deviations::JAEGER_RESULT, "{\"result\": ...}"),
        (
            Deviations::TEMPO_BATCHES,
            "\"batches\" instead of \"resourceSpans\"",
        ),
        (Deviations::SNAKE_CASE_KEYS, "snake_case keys"),
        (Deviations::BASE64_IDS, "base64 ids"),
        (Deviations::ENUM_NAMES, "enum names"),
        (
            Deviations::INSTRUMENTATION_LIBRARY,
            "\"instrumentationLibrarySpans\"",
        ),
    ];

    /// Whether nothing was seen: the input is OTLP/JSON as specified.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Deviations) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    #[must_use]
    pub fn union(self, other: Deviations) -> Deviations {
        Deviations(self.0 | other.0)
    }

    /// Adds the flags of `other`.
    pub fn insert(&mut self, other: Deviations) {
        self.0 |= other.0;
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_bits(bits: u8) -> Deviations {
        Deviations(bits)
    }

    /// The format the input was read as, for a notice: `None` when it is
    /// OTLP/JSON as specified.
    pub fn format(self) -> Option<&'static str> {
        Some(if self.contains(Deviations::JAEGER_RESULT) {
            "a Jaeger api/v3 response"
        } else if self.contains(Deviations::TEMPO_BATCHES) {
            "Grafana Tempo's trace"
        } else if self.contains(Deviations::SNAKE_CASE_KEYS) {
            "OTLP/JSON with proto field names"
        } else if self.contains(Deviations::BASE64_IDS) || self.contains(Deviations::ENUM_NAMES) {
            "proto3 JSON, not OTLP/JSON"
        } else if self.contains(Deviations::INSTRUMENTATION_LIBRARY) {
            "pre-1.0 OTLP/JSON"
        } else {
            return None;
        })
    }

    /// What differs from OTLP/JSON, one phrase per flag.
    pub fn differences(self) -> Vec<&'static str> {
        Deviations::NAMES
            .iter()
            .filter(|(d, _)| self.contains(*d))
            .map(|(_, name)| *name)
            .collect()
    }

    /// The notice text after the input's name: `read as FORMAT (DIFFERENCES)`;
    /// `None` when there is nothing to say.
    pub fn notice(self) -> Option<String> {
        let format = self.format()?;
        Some(format!(
            "read as {format} ({})",
            self.differences().join(", ")
        ))
    }
}

impl fmt::Debug for Deviations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.differences()).finish()
    }
}
