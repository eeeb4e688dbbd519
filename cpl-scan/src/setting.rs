//! One sampler-relevant setting found in a file: where it is, which layer it belongs
//! to, what it sets, and which service, environment and tenant it applies to.

use std::ops::Range;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Location, Sampler};

/// Where a setting lives (spec/scan.md, "What is read").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// SDK source code.
    Code,
    /// A compose service's `environment`.
    Compose,
    /// A file a compose service names in `env_file`.
    EnvFile,
    /// A `.env` file (interpolation variables).
    Dotenv,
    /// A Kubernetes workload's container `env`.
    Kubernetes,
    /// A kustomize overlay's patch.
    Kustomize,
    /// A Helm values file.
    HelmValues,
    /// A Dockerfile `ENV`.
    Dockerfile,
    /// A Java system property (`-Dotel...` in `JAVA_TOOL_OPTIONS`).
    Sysprop,
    /// An OpenTelemetry Operator `Instrumentation` resource.
    OperatorCr,
    /// A declarative SDK config file (`OTEL_CONFIG_FILE`).
    DeclarativeFile,
    /// A collector config (sampling after the SDK).
    Collector,
    /// A Jaeger remote-sampling strategies file.
    JaegerStrategy,
    /// A CPL or clarvynn policy.
    CplPolicy,
}

impl Layer {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Code => "code",
            Layer::Compose => "compose",
            Layer::EnvFile => "env_file",
            Layer::Dotenv => "dotenv",
            Layer::Kubernetes => "kubernetes",
            Layer::Kustomize => "kustomize",
            Layer::HelmValues => "helm_values",
            Layer::Dockerfile => "dockerfile",
            Layer::Sysprop => "sysprop",
            Layer::OperatorCr => "operator_cr",
            Layer::DeclarativeFile => "declarative_file",
            Layer::Collector => "collector",
            Layer::JaegerStrategy => "jaeger_strategy",
            Layer::CplPolicy => "cpl_policy",
        }
    }

    /// Layers that set a container's environment variables.
    pub fn is_container_env(self) -> bool {
        matches!(
            self,
            Layer::Compose | Layer::Kubernetes | Layer::Kustomize | Layer::HelmValues
        )
    }
}

/// The variables (and Java properties) that decide sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Var {
    /// `OTEL_TRACES_SAMPLER` / `otel.traces.sampler`.
    OtelTracesSampler,
    /// `OTEL_TRACES_SAMPLER_ARG` / `otel.traces.sampler.arg`.
    OtelTracesSamplerArg,
    /// `OTEL_PROPAGATORS` / `otel.propagators`.
    OtelPropagators,
    /// `OTEL_SDK_DISABLED` / `otel.sdk.disabled`.
    OtelSdkDisabled,
    /// `OTEL_SERVICE_NAME`.
    OtelServiceName,
    /// `OTEL_CONFIG_FILE` (and the deprecated `OTEL_EXPERIMENTAL_CONFIG_FILE`).
    OtelConfigFile,
    /// `-javaagent:` in `JAVA_TOOL_OPTIONS` (the Java agent).
    JavaAgent,
}

impl Var {
    /// The variable for an environment variable name.
    pub fn from_env(name: &str) -> Option<Var> {
        Some(match name {
            "OTEL_TRACES_SAMPLER" => Var::OtelTracesSampler,
            "OTEL_TRACES_SAMPLER_ARG" => Var::OtelTracesSamplerArg,
            "OTEL_PROPAGATORS" => Var::OtelPropagators,
            "OTEL_SDK_DISABLED" => Var::OtelSdkDisabled,
            "OTEL_SERVICE_NAME" => Var::OtelServiceName,
            "OTEL_CONFIG_FILE" | "OTEL_EXPERIMENTAL_CONFIG_FILE" => Var::OtelConfigFile,
            _ => return None,
        })
    }

    /// The variable for a Java system property name.
    pub fn from_property(name: &str) -> Option<Var> {
        Some(match name {
            "otel.traces.sampler" => Var::OtelTracesSampler,
            "otel.traces.sampler.arg" => Var::OtelTracesSamplerArg,
            "otel.propagators" => Var::OtelPropagators,
            "otel.sdk.disabled" => Var::OtelSdkDisabled,
            "otel.service.name" => Var::OtelServiceName,
            "otel.config.file" => Var::OtelConfigFile,
            _ => return None,
        })
    }
}

/// What a setting sets.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// A variable's text, after interpolation from the scanned files.
    Text {
        /// The text.
        text: String,
    },
    /// A variable whose value comes from variables the scanned files do not set.
    Unresolved {
        /// The variables, in order of use.
        variables: Vec<String>,
        /// The text as written.
        written: String,
    },
    /// A sampler tree (code, declarative file, Operator resource).
    Sampler {
        /// The tree.
        sampler: Sampler,
    },
    /// A probability (CPL `base_rate`, Jaeger `probabilistic` `param`), in [0, 1].
    Probability {
        /// The value.
        value: f64,
    },
    /// A collector `probabilistic_sampler` percentage, or a Jaeger `ratelimiting` rate.
    Number {
        /// The value.
        value: f64,
        /// What it counts (`percent`, `traces_per_second`).
        unit: String,
    },
    /// A list of propagator names (`spec.propagators`, declarative `composite`).
    Propagators {
        /// The names as written.
        names: Vec<String>,
    },
    /// A setting whose presence is the fact (a `tail_sampling` processor).
    Present,
}

/// One setting.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Setting {
    /// Where it is written.
    pub location: Location,
    /// Byte range in its file.
    #[serde(skip)]
    #[schemars(skip)]
    pub span: Range<usize>,
    /// The layer.
    pub layer: Layer,
    /// The key as written (`OTEL_TRACES_SAMPLER`, `-Dotel.traces.sampler`,
    /// `spec.sampler`, `tracer_provider.sampler`, `base_rate`...).
    pub key: String,
    /// The variable it sets, for env-like settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<Var>,
    /// What it sets.
    pub value: Value,
    /// The service it applies to; `None`: every service of its environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The environment; `None`: the base every environment inherits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The tenant of a tenant override file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The SDK language of a code setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::model::Language>,
    /// Within a layer, 1 for an override (Helm `envOverrides`), else 0.
    #[serde(skip)]
    #[schemars(skip)]
    pub priority: u8,
}

impl Setting {
    /// The value's text, when it is known text.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text { text } => Some(text),
            _ => None,
        }
    }

    /// `path:line:col`.
    pub fn at(&self) -> String {
        format!(
            "{}:{}:{}",
            self.location.path, self.location.line, self.location.column
        )
    }
}
