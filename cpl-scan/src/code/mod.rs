//! SDK code, read with tree-sitter: where a service's code builds and
//! installs a sampler, and whether it sets a propagator.
//!
//! One module per language says what its syntax means (`go`, `python`,
//! `java`, `js` for JavaScript and TypeScript, `csharp`); `syntax` holds what
//! they share: a language-neutral view of expressions and the evaluator that
//! follows a sampler through local variables, constants and helper functions
//! defined in the same file (bounded depth; cycles end as dynamic). Anything
//! else is `Sampler::Dynamic` / `Ratio::Dynamic` with the expression's text,
//! and an environment read (`os.Getenv("X")`, `os.environ["X"]`,
//! `System.getenv("X")`, `process.env.X`,
//! `Environment.GetEnvironmentVariable("X")`) is `Ratio::Unresolved("X")`.
//! Only code counts: tree-sitter tells comments and strings apart, so a
//! commented-out sampler is not a finding.
//!
//! Where a finding is: `SamplerInstalled` at the call, argument or key that
//! installs the sampler (Go's `WithSampler(...)`, Python's `sampler=`, Java's
//! and .NET's `setSampler`/`SetSampler`, JavaScript's `sampler:`);
//! `TracerProviderWithoutSampler` at the provider's constructor or builder;
//! `PropagatorSet` at the call or key that sets it.
//!
//! `TracerProviderWithoutSampler` is reported when the provider's own
//! construction shows every option and none is a sampler, or when nothing in
//! the file installs a sampler (a builder kept in a variable, Go's `opts...`:
//! the sampler could come from elsewhere in the file, and then no finding is
//! better than a wrong one).
//!
//! What this module does not conclude: a file sees one part of a service, so
//! whether a Go service ever sets a propagator (Go's global propagator is a
//! no-op until `otel.SetTextMapPropagator`) is for the caller to derive per
//! service: a Go service with `TracerProviderWithoutSampler` or
//! `SamplerInstalled` findings and no `PropagatorSet` in any of its files.
//!
//! A file holding none of the words of [`NEEDED_WORDS`] cannot hold a finding
//! and is not parsed.
//!
//! Bounds: files above [`MAX_SOURCE_BYTES`] are not read, nor JavaScript or
//! TypeScript files with a line longer than [`MAX_JS_LINE_BYTES`] (minified
//! bundles: besides the cost, a bundle that inlines the SDK would report the
//! SDK's own samplers); parsing stops after [`PARSE_TIMEOUT`]; every walk is
//! iterative and the evaluator's depth is bounded, so deep nesting cannot
//! exhaust the stack. Bytes that are not UTF-8 are read as they are (tree-sitter
//! parses bytes; texts are decoded lossily), and a file with syntax errors
//! yields what tree-sitter recovered.

mod csharp;
mod go;
mod java;
mod js;
mod python;
mod syntax;

use crate::model::{Language, Location, Sampler};
use serde::Serialize;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Source files larger than this are not read (generated code, vendored bundles).
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;

/// A JavaScript or TypeScript file with a line longer than this is taken for
/// minified and not read.
pub const MAX_JS_LINE_BYTES: usize = 4096;

/// Parsing one file stops after this long (tree-sitter's error recovery on
/// hostile input is the only step whose time is not linear in practice).
pub const PARSE_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// A global propagator set (Go `otel.SetTextMapPropagator`, Python
    /// `set_global_textmap`, Java `setPropagators`, JS
    /// `propagation.setGlobalPropagator`, `textMapPropagator:` and
    /// `register({ propagator })`, .NET `Sdk.SetDefaultTextMapPropagator`),
    /// composites flattened in order.
    PropagatorSet {
        /// `OTEL_PROPAGATORS` names (`tracecontext`, `baggage`, `b3`,
        /// `b3multi`, `jaeger`, `xray`, `ottrace`) for the propagators the
        /// scanner recognises; anything else is the expression as written
        /// (`sdk.Propagator()`): set, by code the scanner does not follow.
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

/// Words (ASCII case-insensitive) without one of which a file cannot hold a finding:
/// every sampler is installed through a call or key holding `sampl` (`WithSampler`,
/// `sampler=`, `setSampler`, `addSamplerCustomizer`, `sampler:`, `SetSampler`) or
/// passed to a `...TracerProvider` (`provider`); every provider's constructor holds
/// `provider` or `sdk` (`NodeSDK`); every propagator setter holds `propagat` or
/// `textmap` (`set_global_textmap`); every `service.name` key, constant or option holds
/// `service`. Aliases are declared in the file under the original name, so they hold
/// the word too.
const NEEDED_WORDS: &str = "(?i-u)sampl|provider|sdk|propagat|textmap|service";

/// Whether a file holds one of [`NEEDED_WORDS`]: the others are not parsed (most of a
/// repository's source files, and tree-sitter is the costly step).
fn may_hold_a_finding(source: &[u8]) -> bool {
    static WORDS: OnceLock<Option<regex::bytes::Regex>> = OnceLock::new();
    WORDS
        .get_or_init(|| regex::bytes::Regex::new(NEEDED_WORDS).ok())
        .as_ref()
        .is_none_or(|words| words.is_match(source))
}

/// Everything sampler-relevant in one source file. `path` is the location's
/// path (relative to the scan root); `source` may be any bytes (not UTF-8,
/// minified, unparsable: what can be read is reported, nothing panics).
/// Findings are in source order.
pub fn scan_source(path: &str, language: Language, source: &[u8]) -> Vec<CodeFinding> {
    if source.len() > MAX_SOURCE_BYTES {
        return Vec::new();
    }
    if matches!(language, Language::JavaScript | Language::TypeScript)
        && source
            .split(|&b| b == b'\n')
            .any(|line| line.len() > MAX_JS_LINE_BYTES)
    {
        return Vec::new();
    }
    if !may_hold_a_finding(source) {
        return Vec::new();
    }
    let grammar: tree_sitter::Language = match language {
        Language::Go => tree_sitter_go::LANGUAGE.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::Java => tree_sitter_java::LANGUAGE.into(),
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::TypeScript if syntax::is_tsx(path) => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
    };
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&grammar).is_err() {
        return Vec::new();
    }
    let started = Instant::now();
    let mut past_deadline = |_: &tree_sitter::ParseState| {
        if started.elapsed() > PARSE_TIMEOUT {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut past_deadline);
    let len = source.len();
    let Some(tree) = parser.parse_with_options(
        &mut |offset, _| {
            if offset < len {
                &source[offset..]
            } else {
                &[][..]
            }
        },
        None,
        Some(options),
    ) else {
        return Vec::new();
    };
    let src = syntax::Src {
        path,
        bytes: source,
        language,
        tree: &tree,
    };
    let mut findings = match language {
        Language::Go => go::scan(&src),
        Language::Python => python::scan(&src),
        Language::Java => java::scan(&src),
        Language::JavaScript | Language::TypeScript => js::scan(&src),
        Language::CSharp => csharp::scan(&src),
    };
    findings.sort_by(|a, b| a.location.cmp(&b.location));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_a_needed_word_are_not_parsed() {
        assert!(!may_hold_a_finding(
            b"package main\n\nfunc total(items []int) int { return len(items) }\n"
        ));
        for text in [
            "sdktrace.WithSampler(x)",
            "provider = TracerProvider()",
            "new NodeSDK({})",
            "otel.SetTextMapPropagator(p)",
            "set_global_textmap(p)",
            "Resource.create({SERVICE_NAME: 'x'})",
        ] {
            assert!(may_hold_a_finding(text.as_bytes()), "{text}");
        }
        // Not parsed, so nothing is found even where a parse would find a call.
        let plain = b"package main\n\nfunc f() { g(0.5) }\n";
        assert!(scan_source("f.go", Language::Go, plain).is_empty());
    }
}
