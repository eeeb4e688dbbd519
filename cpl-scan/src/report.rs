//! The audit report (`cpl scan --format json`): its types are its JSON schema
//! ([`report_schema`]). Arrays are sorted so that the same tree gives the same bytes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Language, Location, Sampler};
use crate::sdk::Probability;
use crate::setting::{Layer, Setting};
use crate::walk::Skipped;

/// The version of the report format.
pub const REPORT_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    /// The report format's version (1).
    pub version: u32,
    /// The paths scanned, as given.
    pub roots: Vec<String>,
    /// The environments and where their names come from.
    pub environments: Environments,
    /// Per service: role, language and, per environment, the effective sampler.
    pub services: Vec<ServiceReport>,
    /// Every setting found, sorted by file, line and column.
    pub settings: Vec<Setting>,
    /// Every finding, sorted by file, line, column and code.
    pub findings: Vec<Finding>,
    /// Files skipped, by reason.
    pub skipped: Skipped,
    /// Counts.
    pub summary: Summary,
}

/// The environments of the scan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Environments {
    /// Names, in project order or sorted.
    pub names: Vec<String>,
    /// `project` (the project file's `scan.environments`), `inferred` (path words) or
    /// `none` (no file names one: the only environment is `default`).
    pub source: String,
}

/// Whether a service starts traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Starts traces: its root sampler decides them.
    EntryPoint,
    /// Called by other services: under `ParentBased` its root sampler decides only the
    /// traces it starts itself.
    Internal,
}

/// One service.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceReport {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Why that role was assumed.
    pub role_reason: String,
    /// The SDK language, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Per environment, in environment order.
    pub environments: Vec<ServiceEnvironment>,
}

/// What a service samples in one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceEnvironment {
    /// The environment.
    pub environment: String,
    /// The layers that have a setting for the service here.
    pub layers: Vec<Layer>,
    /// The effective sampler.
    pub sampler: Sampler,
    /// The sampler in one line (`ParentBased{root: TraceIdRatio(0.1)}`).
    pub sampler_text: String,
    /// The probability that a trace the service starts is sampled.
    pub root_probability: Probability,
    /// What decided the sampler.
    pub decided_by: Decider,
    /// Trace propagators in effect, and where they come from.
    pub propagators: Propagators,
    /// Settings that do not take effect, each with what shadows it.
    pub shadowed: Vec<Shadowed>,
    /// `OTEL_SDK_DISABLED=true` in effect (the SDK records nothing).
    pub sdk_disabled: bool,
    /// The Jaeger strategy that applies when the sampler is Jaeger remote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger_strategy: Option<Location>,
    /// A CPL or clarvynn policy's `base_rate` for the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
}

/// What decided a service's sampler.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Decider {
    /// The layer, or `None` for the SDK default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    /// The deciding setting, or `None` for the SDK default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// In words.
    pub reason: String,
}

/// Propagators in effect.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Propagators {
    /// Names (`tracecontext`, `baggage`, `b3`, `none`...); empty for Go's no-op default.
    pub names: Vec<String>,
    /// Where they come from (`code`, `OTEL_PROPAGATORS`, `declarative file`, `SDK default`).
    pub source: String,
    /// The setting, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A setting that does not take effect.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Shadowed {
    /// The shadowed setting.
    pub location: Location,
    /// Its key.
    pub key: String,
    /// Its value, in words.
    pub value: String,
    /// The setting that wins.
    pub shadowed_by: Location,
    /// Why it wins.
    pub reason: String,
}

/// A risk level (spec/scan.md, "Findings").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Information.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Risk {
    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Info => "info",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }

    /// Critical and high are errors, the rest warnings.
    pub fn severity(self) -> cpl_syntax::Severity {
        if self >= Risk::High {
            cpl_syntax::Severity::Error
        } else {
            cpl_syntax::Severity::Warning
        }
    }
}

/// A finding.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    /// The code (`L601`).
    pub code: String,
    /// Its name (`sampling-drift`).
    pub name: String,
    /// The risk.
    pub risk: Risk,
    /// `error` (critical, high) or `warning`.
    pub severity: String,
    /// What is wrong, with the witnesses' values.
    pub message: String,
    /// Where: the deciding setting.
    pub location: Location,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The service, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The environment the message describes, when the finding is about one (of
    /// several, the one of the highest risk, else the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Every environment where the finding holds, in environment order (one finding
    /// per setting and service, not one per environment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// The settings that produce the finding.
    pub witnesses: Vec<Witness>,
    /// Byte range in the file.
    #[serde(skip)]
    #[schemars(skip)]
    pub span: std::ops::Range<usize>,
}

impl Finding {
    /// The finding as a diagnostic of the one registry, for the renderers `cpl lint`
    /// uses (its byte span points into the file at `location.path`).
    pub fn diagnostic(&self) -> cpl_syntax::Diagnostic {
        let code = cpl_syntax::find_code(&self.code).unwrap_or(&cpl_syntax::codes::SAMPLING_DRIFT);
        let mut diagnostic = cpl_syntax::Diagnostic::new(
            code,
            self.message.clone(),
            self.span.clone(),
            format!("{} risk", self.risk.as_str()),
        )
        .with_optional_help(self.help.clone());
        diagnostic.severity = self.risk.severity();
        diagnostic
    }
}

/// A setting that a finding rests on.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Witness {
    /// Where.
    pub location: Location,
    /// What it says, in words.
    pub what: String,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Summary {
    /// Services found.
    pub services: usize,
    /// Settings found.
    pub settings: usize,
    /// Files read.
    pub files_read: usize,
    /// Findings by risk (`critical`, `high`, `medium`, `low`, `info`).
    pub findings_by_risk: BTreeMap<String, usize>,
    /// Environment drift findings (L601) by risk.
    pub drift_by_risk: BTreeMap<String, usize>,
}

/// The JSON Schema of [`Report`], pretty-printed.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
