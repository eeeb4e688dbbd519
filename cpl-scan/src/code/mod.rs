//! SDK code, read with tree-sitter: where a service's code builds and
//! installs a sampler, and whether it sets a propagator.
//!
//! PLACEHOLDER until the code scanner lands (issue 10): the types below are
//! the interface the rest of the scan codes against.

use crate::model::{Language, Location, Sampler};
use serde::Serialize;
use std::path::Path;

/// One sampler-relevant fact found in a source file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeFinding {
    /// Where the fact is (the call or constructor).
    pub location: Location,
    /// The SDK language.
    pub language: Language,
    /// What was found.
    pub kind: CodeFindingKind,
}

/// What a source file says about sampling and propagation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeFindingKind {
    /// A sampler installed on a tracer provider (Go `sdktrace.WithSampler`,
    /// Python `TracerProvider(sampler=...)`, Java `setSampler`, JS `sampler:`
    /// in the provider or `NodeSDK` config, .NET `SetSampler`). Code beats
    /// `OTEL_TRACES_SAMPLER` in every SDK.
    SamplerInstalled {
        /// The sampler tree.
        sampler: Sampler,
    },
    /// A tracer provider built in code without an explicit sampler: the SDK
    /// default (or `OTEL_TRACES_SAMPLER`) applies.
    TracerProviderWithoutSampler,
    /// A global propagator set (Go `otel.SetTextMapPropagator`, JS
    /// `propagation.setGlobalPropagator`, ...): the formats named, as written.
    PropagatorSet {
        /// e.g. `tracecontext`, `baggage`, `b3`.
        propagators: Vec<String>,
    },
    /// A `service.name` set in code (resource attribute or SDK option).
    ServiceName {
        /// The name.
        name: String,
    },
}

/// The SDK language of a source file, from its extension; `None` for files the
/// code scanner does not read.
pub fn language_for(path: &Path) -> Option<Language> {
    match path.extension()?.to_str()? {
        "go" => Some(Language::Go),
        "py" => Some(Language::Python),
        "java" => Some(Language::Java),
        "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
        "ts" | "mts" | "cts" | "tsx" => Some(Language::TypeScript),
        "cs" => Some(Language::CSharp),
        _ => None,
    }
}

/// Everything sampler-relevant in one source file. `path` is the location's
/// path (relative to the scan root); `source` may be any bytes (not UTF-8,
/// minified, unparsable: what can be read is reported, nothing panics).
pub fn scan_source(path: &str, language: Language, source: &[u8]) -> Vec<CodeFinding> {
    let _ = (path, language, source);
    Vec::new()
}
