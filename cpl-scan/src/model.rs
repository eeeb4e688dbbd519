//! The vocabulary every layer of a scan shares: where a setting is, which SDK
//! language it belongs to, and what sampler it describes.
//!
//! A sampler is a tree (`ParentBased{root: TraceIdRatioBased(0.1)}`), because
//! that is how every SDK builds one and because the parent-based wrapper is
//! what decides whether a service's own ratio matters (only for the traces it
//! starts). A ratio is a number only when the scanned files say which number;
//! otherwise it says why it is unknown, so that a report never invents one.

use serde::Serialize;

/// A position in a scanned file: the path relative to the scan root, with `/`
/// separators, and a 1-based line and column (column in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct Location {
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
}

/// The language of an OpenTelemetry SDK whose code the scanner reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// `go.opentelemetry.io/otel/sdk/trace`.
    Go,
    /// `opentelemetry.sdk.trace`.
    Python,
    /// `io.opentelemetry.sdk.trace` (and Kotlin is not read).
    Java,
    /// `@opentelemetry/sdk-trace-base` and `@opentelemetry/sdk-node`.
    JavaScript,
    /// The same SDK as JavaScript, in TypeScript sources.
    TypeScript,
    /// `OpenTelemetry.Trace`.
    #[serde(rename = "csharp")]
    CSharp,
}

/// A sampling ratio as far as the scanned files determine it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Ratio {
    /// A literal or a value resolved from the scanned files.
    Value(f64),
    /// Comes from a variable the scanned files do not set (`unresolved(VAR)`).
    Unresolved(String),
    /// The default written in code for a variable no scanned file sets
    /// (`os.getenv("X", "0.1")`); a scanned file that sets it to another value makes
    /// the ratio `unresolved(X)` instead.
    Default {
        /// The variable.
        variable: String,
        /// The default.
        value: f64,
    },
    /// Computed by code the scanner does not follow; the text of the expression.
    Dynamic(String),
    /// Written, but not a number the SDK accepts; the text as written.
    Invalid(String),
}

/// A sampler, as a tree.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Sampler {
    /// Samples everything (`AlwaysSample`, `ALWAYS_ON`, `always_on`).
    AlwaysOn,
    /// Samples nothing.
    AlwaysOff,
    /// `TraceIdRatioBased(p)`: the deprecated, SDK-specific ratio sampler.
    TraceIdRatio {
        /// The probability.
        ratio: Ratio,
    },
    /// OTEP 235's consistent `ProbabilitySampler` (threshold-based, `th`).
    Probability {
        /// The probability.
        ratio: Ratio,
    },
    /// `ParentBased`: follows the parent's decision; `root` decides traces this
    /// service starts. The four parent cases are `None` when left at the SDK
    /// default (sampled parent: always on; not sampled: always off).
    ParentBased {
        /// Decides root spans.
        root: Box<Sampler>,
        /// For a remote parent that was sampled.
        #[serde(skip_serializing_if = "Option::is_none")]
        remote_parent_sampled: Option<Box<Sampler>>,
        /// For a remote parent that was not sampled.
        #[serde(skip_serializing_if = "Option::is_none")]
        remote_parent_not_sampled: Option<Box<Sampler>>,
        /// For a local parent that was sampled.
        #[serde(skip_serializing_if = "Option::is_none")]
        local_parent_sampled: Option<Box<Sampler>>,
        /// For a local parent that was not sampled.
        #[serde(skip_serializing_if = "Option::is_none")]
        local_parent_not_sampled: Option<Box<Sampler>>,
    },
    /// Jaeger remote sampling: the decision is fetched at run time.
    JaegerRemote,
    /// AWS X-Ray centralised sampling rules.
    XRay,
    /// A sampler the scanner recognises as a sampler but does not model (a
    /// custom class, an unknown env value kept as written).
    Other {
        /// Its name as written.
        name: String,
    },
    /// Built by code the scanner does not follow (a helper in another file, a
    /// value from a function parameter); the expression's text.
    Dynamic {
        /// The expression as written.
        expression: String,
    },
}
