//! Precedence: for each service and environment, which setting wins, the effective
//! sampler tree and root probability, and the shadowed settings (spec/scan.md,
//! "Precedence").

use std::collections::BTreeSet;

use crate::model::{Language, Sampler};
use crate::read::declarative::default_sampler;
use crate::report::{Decider, Propagators, Shadowed};
use crate::sdk::{self, root_probability, EnvProblem, Probability};
use crate::setting::{Layer, Setting, Value, Var};

/// Everything decided for one service in one environment (and tenant).
#[derive(Debug, Clone)]
pub struct Resolved<'s> {
    /// The settings that apply.
    pub applicable: Vec<&'s Setting>,
    /// The effective sampler.
    pub sampler: Sampler,
    /// Its root probability (0 when the SDK is disabled).
    pub probability: Probability,
    /// The deciding setting (`None`: the SDK default).
    pub decider: Option<&'s Setting>,
    /// In words.
    pub decider_reason: String,
    /// The winning `OTEL_TRACES_SAMPLER_ARG`, when the env decided a ratio sampler: the
    /// setting that gives the ratio (where drift is usually written).
    pub arg: Option<&'s Setting>,
    /// Problems reading the winning env values, at the setting they concern.
    pub problems: Vec<(&'s Setting, EnvProblem)>,
    /// Winning settings whose value is unresolved.
    pub unresolved: Vec<&'s Setting>,
    /// Shadowed settings: (loser, winner, reason).
    pub shadowed: Vec<(&'s Setting, &'s Setting, String)>,
    /// The winning `OTEL_SDK_DISABLED=true`, when the SDK reads it.
    pub disabled: Option<&'s Setting>,
    /// Propagators in effect: names, source, setting.
    pub propagators: (Vec<String>, String, Option<&'s Setting>),
    /// A CPL policy `base_rate` for the service.
    pub base_rate: Option<&'s Setting>,
    /// A Jaeger strategy for the service (or the default one).
    pub jaeger: Option<&'s Setting>,
}

/// Layers whose service-less settings apply to every service of their environment.
fn applies_to_all(layer: Layer) -> bool {
    matches!(
        layer,
        Layer::OperatorCr | Layer::HelmValues | Layer::Kubernetes | Layer::Kustomize
    )
}

/// The rank of an env-like setting: higher wins.
fn rank(setting: &Setting) -> (u8, bool, bool, u8) {
    let tier = match setting.layer {
        Layer::Sysprop => 6,
        Layer::Compose | Layer::Kubernetes | Layer::Kustomize | Layer::HelmValues => 5,
        Layer::EnvFile => 4,
        Layer::Dockerfile => 3,
        Layer::OperatorCr => 2,
        _ => 0,
    };
    (
        tier,
        setting.tenant.is_some(),
        setting.environment.is_some(),
        setting.priority,
    )
}

/// The value of a setting in words.
pub fn value_text(setting: &Setting) -> String {
    match &setting.value {
        Value::Text { text } => text.clone(),
        Value::Unresolved { variables, .. } => format!("unresolved({})", variables.join(", ")),
        Value::Sampler { sampler } => sdk::describe(sampler),
        Value::Probability { value } => format!("{value}"),
        Value::Number { value, unit } => format!("{value} {unit}"),
        Value::Propagators { names } => names.join(","),
        Value::Present => "present".into(),
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Resolves one service in one environment. `tenant` layers that tenant's override
/// settings over the base.
pub fn resolve<'s>(
    settings: &'s [Setting],
    service: &str,
    environment: &str,
    tenant: Option<&str>,
    language: Option<Language>,
) -> Resolved<'s> {
    // An Operator resource and Helm's `default.env` reach only services deployed to
    // Kubernetes.
    let kube = settings.iter().any(|s| {
        s.service.as_deref() == Some(service)
            && matches!(
                s.layer,
                Layer::Kubernetes | Layer::Kustomize | Layer::HelmValues
            )
    });
    let applicable: Vec<&Setting> = settings
        .iter()
        .filter(|s| s.tenant.is_none() || s.tenant.as_deref() == tenant)
        .filter(|s| s.environment.is_none() || s.environment.as_deref() == Some(environment))
        .filter(|s| match &s.service {
            Some(name) => name == service,
            None => kube && applies_to_all(s.layer),
        })
        .collect();
    let mut shadowed = Vec::new();
    let winner = |var: Var, shadowed: &mut Vec<(&'s Setting, &'s Setting, String)>| {
        let mut candidates: Vec<&Setting> = applicable
            .iter()
            .copied()
            .filter(|s| {
                s.var == Some(var) && s.layer != Layer::Code && s.layer != Layer::DeclarativeFile
            })
            .collect();
        candidates.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.location.cmp(&b.location))
        });
        let win = candidates.pop()?;
        for loser in candidates {
            let reason = if loser.layer == Layer::OperatorCr {
                "a container's own env beats the Operator's `Instrumentation`".to_owned()
            } else if win.layer == Layer::Sysprop {
                "Java system properties beat environment variables".to_owned()
            } else if win.environment.is_some() && loser.environment.is_none() {
                format!(
                    "the `{}` overlay beats the base",
                    win.environment.as_deref().unwrap_or("")
                )
            } else if loser.layer == Layer::EnvFile {
                "compose `environment` beats `env_file`".to_owned()
            } else {
                format!("{} beats {}", win.layer.as_str(), loser.layer.as_str())
            };
            shadowed.push((loser, win, reason));
        }
        Some(win)
    };
    let sampler_env = winner(Var::OtelTracesSampler, &mut shadowed);
    let arg_env = winner(Var::OtelTracesSamplerArg, &mut shadowed);
    let disabled_env = winner(Var::OtelSdkDisabled, &mut shadowed);
    let propagators_env = winner(Var::OtelPropagators, &mut shadowed);
    let config_file = winner(Var::OtelConfigFile, &mut shadowed);
    let java_agent = applicable
        .iter()
        .copied()
        .find(|s| s.var == Some(Var::JavaAgent));
    let language = language.or(java_agent.map(|_| Language::Java));

    let code_sampler = applicable
        .iter()
        .copied()
        .find(|s| s.layer == Layer::Code && matches!(s.value, Value::Sampler { .. }));
    let declarative = config_file.and_then(Setting::text).and_then(|path| {
        let wanted = file_name(path);
        settings
            .iter()
            .filter(|s| s.layer == Layer::DeclarativeFile && file_name(&s.location.path) == wanted)
            .collect::<Vec<_>>()
            .into_iter()
            .reduce(|a, b| {
                if a.location.path <= b.location.path {
                    a
                } else {
                    b
                }
            })
            .map(|first| {
                settings
                    .iter()
                    .filter(|s| {
                        s.layer == Layer::DeclarativeFile && s.location.path == first.location.path
                    })
                    .collect::<Vec<_>>()
            })
    });
    let declarative_sampler = declarative.as_ref().and_then(|all| {
        all.iter()
            .copied()
            .find(|s| matches!(s.value, Value::Sampler { .. }))
    });

    let mut problems = Vec::new();
    let mut unresolved = Vec::new();
    let (sampler, decider, reason) = if let Some(code) = code_sampler {
        for env in [sampler_env, arg_env].into_iter().flatten() {
            shadowed.push((
                env,
                code,
                "a sampler installed in code beats `OTEL_TRACES_SAMPLER`".into(),
            ));
        }
        let Value::Sampler { sampler } = &code.value else {
            unreachable!("filtered")
        };
        (sampler.clone(), Some(code), "installed in code".to_owned())
    } else if let Some(file) = declarative_sampler {
        for env in [sampler_env, arg_env].into_iter().flatten() {
            shadowed.push((
                env,
                file,
                "`OTEL_CONFIG_FILE` makes the SDK ignore the other variables".into(),
            ));
        }
        let Value::Sampler { sampler } = &file.value else {
            unreachable!("filtered")
        };
        (
            sampler.clone(),
            Some(file),
            "declarative config file (`OTEL_CONFIG_FILE`)".to_owned(),
        )
    } else if let Some(env) = sampler_env {
        if let Value::Text { text } = &env.value {
            let arg = arg_env.map(|a| match &a.value {
                Value::Text { text } => Ok(text.as_str()),
                Value::Unresolved { variables, .. } => {
                    Err(variables.first().map_or("", String::as_str))
                }
                _ => Ok(""),
            });
            if let Some(a) = arg_env.filter(|a| matches!(a.value, Value::Unresolved { .. })) {
                unresolved.push(a);
            }
            let built = sdk::from_env(text, arg, language);
            for problem in built.problems {
                let at = match problem {
                    EnvProblem::InvalidArgument { .. } => arg_env.unwrap_or(env),
                    EnvProblem::UnknownName { .. } => env,
                };
                problems.push((at, problem));
            }
            (
                built.sampler,
                Some(env),
                format!("`{}` ({})", env.key, env.layer.as_str()),
            )
        } else {
            unresolved.push(env);
            let variables = match &env.value {
                Value::Unresolved { variables, .. } => variables.join(", "),
                _ => String::new(),
            };
            (
                Sampler::Other {
                    name: format!("unresolved({variables})"),
                },
                Some(env),
                format!(
                    "`{}` ({}), from a variable no scanned file sets",
                    env.key,
                    env.layer.as_str()
                ),
            )
        }
    } else {
        (
            default_sampler(),
            None,
            "SDK default: nothing sets the sampler".to_owned(),
        )
    };
    let disabled = disabled_env.filter(|s| {
        language != Some(Language::Go)
            && s.text()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
    });
    let probability = if disabled.is_some() {
        Probability::Known { value: 0.0 }
    } else {
        root_probability(&sampler)
    };
    let code_propagator = applicable
        .iter()
        .copied()
        .find(|s| s.layer == Layer::Code && s.var == Some(Var::OtelPropagators));
    let declarative_propagator = declarative.as_ref().and_then(|all| {
        all.iter()
            .copied()
            .find(|s| s.var == Some(Var::OtelPropagators))
    });
    let names = |s: &Setting| -> Vec<String> {
        s.text()
            .unwrap_or("")
            .split(',')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect()
    };
    let propagators = if let Some(code) = code_propagator {
        (names(code), "code".to_owned(), Some(code))
    } else if let Some(file) = declarative_propagator {
        (names(file), "declarative file".to_owned(), Some(file))
    } else if let Some(env) = propagators_env.filter(|_| language != Some(Language::Go)) {
        (names(env), format!("`{}`", env.key), Some(env))
    } else if language == Some(Language::Go) {
        (
            Vec::new(),
            "SDK default (Go: a no-op until `otel.SetTextMapPropagator`)".to_owned(),
            None,
        )
    } else {
        (
            vec!["tracecontext".to_owned(), "baggage".to_owned()],
            "SDK default".to_owned(),
            None,
        )
    };
    let base_rate = applicable
        .iter()
        .copied()
        .find(|s| s.layer == Layer::CplPolicy);
    let jaeger = if contains_jaeger(&sampler) {
        settings
            .iter()
            .filter(|s| s.layer == Layer::JaegerStrategy)
            .find(|s| s.service.as_deref() == Some(service))
            .or_else(|| {
                settings
                    .iter()
                    .find(|s| s.layer == Layer::JaegerStrategy && s.service.is_none())
            })
    } else {
        None
    };
    // A setting shadowed twice (by env and by code) is listed once, by what wins.
    let mut seen = BTreeSet::new();
    shadowed.reverse();
    shadowed.retain(|(loser, _, _)| seen.insert(loser.location.clone()));
    shadowed.sort_by(|a, b| a.0.location.cmp(&b.0.location));
    let arg = arg_env.filter(|_| {
        decider.is_some_and(|d| d.var == Some(Var::OtelTracesSampler))
            && root_probability(&sampler).value().is_some()
            && !matches!(
                sampler_root(&sampler),
                Sampler::AlwaysOn | Sampler::AlwaysOff
            )
    });
    Resolved {
        applicable,
        sampler,
        probability,
        decider,
        decider_reason: reason,
        arg,
        problems,
        unresolved,
        shadowed,
        disabled,
        propagators,
        base_rate,
        jaeger,
    }
}

fn sampler_root(sampler: &Sampler) -> &Sampler {
    match sampler {
        Sampler::ParentBased { root, .. } => sampler_root(root),
        other => other,
    }
}

fn contains_jaeger(sampler: &Sampler) -> bool {
    match sampler {
        Sampler::JaegerRemote => true,
        Sampler::ParentBased { root, .. } => contains_jaeger(root),
        _ => false,
    }
}

impl Resolved<'_> {
    /// The report's record of what decided.
    pub fn decider_record(&self) -> Decider {
        Decider {
            layer: self.decider.map(|s| s.layer),
            location: self.decider.map(|s| s.location.clone()),
            reason: self.decider_reason.clone(),
        }
    }

    /// The report's record of the propagators.
    pub fn propagators_record(&self) -> Propagators {
        Propagators {
            names: self.propagators.0.clone(),
            source: self.propagators.1.clone(),
            location: self.propagators.2.map(|s| s.location.clone()),
        }
    }

    /// The report's record of the shadowed settings.
    pub fn shadowed_records(&self) -> Vec<Shadowed> {
        self.shadowed
            .iter()
            .map(|(loser, winner, reason)| Shadowed {
                location: loser.location.clone(),
                key: loser.key.clone(),
                value: value_text(loser),
                shadowed_by: winner.location.clone(),
                reason: reason.clone(),
            })
            .collect()
    }

    /// The layers present.
    pub fn layers(&self) -> Vec<Layer> {
        let set: BTreeSet<Layer> = self.applicable.iter().map(|s| s.layer).collect();
        set.into_iter().collect()
    }
}
