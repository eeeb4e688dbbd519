//! How each SDK reads `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`
//! (spec/scan.md, "Reading the env values per SDK"; research §3.7), and what a sampler
//! tree means for the traces a service starts.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Language, Ratio, Sampler};
use crate::read::declarative::default_sampler;

/// What went wrong reading the env values.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvProblem {
    /// The name is unknown to the SDK; `fails` when the SDK does not start (Java).
    UnknownName {
        /// Whether the SDK refuses to start.
        fails: bool,
    },
    /// The argument is not a number in [0, 1]; `fails` as above.
    InvalidArgument {
        /// Whether the SDK refuses to start.
        fails: bool,
    },
}

/// The sampler an SDK builds from the env values.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvSampler {
    /// The tree.
    pub sampler: Sampler,
    /// Problems, if any.
    pub problems: Vec<EnvProblem>,
}

/// Whether the SDK of `language` lowercases the sampler name (`None`: unknown SDK, read
/// as the spec says: case-insensitively).
fn lowercases(language: Option<Language>) -> bool {
    !matches!(
        language,
        Some(Language::Java | Language::JavaScript | Language::TypeScript)
    )
}

/// Whether the SDK knows the Jaeger remote and X-Ray names from env.
fn knows_remote(language: Option<Language>) -> bool {
    matches!(language, None | Some(Language::Java))
}

/// Whether a name is one the SDK of `language` knows (as written).
pub fn known_name(name: &str, language: Option<Language>) -> bool {
    let name = if lowercases(language) {
        name.trim().to_ascii_lowercase()
    } else {
        name.to_owned()
    };
    matches!(
        name.as_str(),
        "always_on"
            | "always_off"
            | "traceidratio"
            | "parentbased_always_on"
            | "parentbased_always_off"
            | "parentbased_traceidratio"
    ) || (knows_remote(language)
        && matches!(
            name.as_str(),
            "jaeger_remote" | "parentbased_jaeger_remote" | "xray"
        ))
}

/// The argument as a ratio: `None` when unset (1.0), `Err` when invalid.
fn argument(arg: Option<&str>) -> Result<f64, ()> {
    match arg {
        None => Ok(1.0),
        Some(text) => match text.trim().parse::<f64>() {
            Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
            _ => Err(()),
        },
    }
}

/// The sampler the SDK of `language` builds from `OTEL_TRACES_SAMPLER=name` and
/// `OTEL_TRACES_SAMPLER_ARG=arg`. `arg` is `Err(variable)` when unresolved.
pub fn from_env(
    name: &str,
    arg: Option<Result<&str, &str>>,
    language: Option<Language>,
) -> EnvSampler {
    let fails = language == Some(Language::Java);
    let mut problems = Vec::new();
    if !known_name(name, language) {
        problems.push(EnvProblem::UnknownName { fails });
        let sampler = if fails {
            Sampler::Other {
                name: format!("{name} (the Java SDK does not start)"),
            }
        } else {
            default_sampler()
        };
        return EnvSampler { sampler, problems };
    }
    let lower = name.trim().to_ascii_lowercase();
    let ratio = || match arg {
        Some(Err(variable)) => Ratio::Unresolved(variable.to_owned()),
        Some(Ok(text)) => match argument(Some(text)) {
            Ok(value) => Ratio::Value(value),
            Err(()) => Ratio::Invalid(text.to_owned()),
        },
        None => Ratio::Value(1.0),
    };
    let parent_based = |root: Sampler| Sampler::ParentBased {
        root: Box::new(root),
        remote_parent_sampled: None,
        remote_parent_not_sampled: None,
        local_parent_sampled: None,
        local_parent_not_sampled: None,
    };
    let mut ratio_sampler = || {
        let ratio = ratio();
        let ratio = if let Ratio::Invalid(_) = ratio {
            problems.push(EnvProblem::InvalidArgument { fails });
            if fails {
                return Sampler::Other {
                    name: format!("{name} (the Java SDK does not start)"),
                };
            }
            Ratio::Value(1.0)
        } else {
            ratio
        };
        Sampler::TraceIdRatio { ratio }
    };
    let sampler = match lower.as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => ratio_sampler(),
        "parentbased_always_on" => parent_based(Sampler::AlwaysOn),
        "parentbased_always_off" => parent_based(Sampler::AlwaysOff),
        "parentbased_traceidratio" => {
            let root = ratio_sampler();
            if matches!(root, Sampler::Other { .. }) {
                root
            } else {
                parent_based(root)
            }
        }
        "jaeger_remote" => Sampler::JaegerRemote,
        "parentbased_jaeger_remote" => parent_based(Sampler::JaegerRemote),
        _ => Sampler::XRay,
    };
    EnvSampler { sampler, problems }
}

/// The probability that a trace the service starts is sampled.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Probability {
    /// Known.
    Known {
        /// In [0, 1].
        value: f64,
    },
    /// Decided at run time (Jaeger remote, X-Ray).
    Dynamic {
        /// Why.
        reason: String,
    },
    /// Not known from the scanned files.
    Unknown {
        /// Why.
        reason: String,
    },
}

impl Probability {
    /// The value, when known.
    pub fn value(&self) -> Option<f64> {
        match self {
            Probability::Known { value } => Some(*value),
            _ => None,
        }
    }
}

/// The root probability of a sampler tree.
pub fn root_probability(sampler: &Sampler) -> Probability {
    match sampler {
        Sampler::AlwaysOn => Probability::Known { value: 1.0 },
        Sampler::AlwaysOff => Probability::Known { value: 0.0 },
        Sampler::TraceIdRatio { ratio } | Sampler::Probability { ratio } => match ratio {
            Ratio::Value(value) | Ratio::Default { value, .. } => Probability::Known {
                value: value.clamp(0.0, 1.0),
            },
            Ratio::Unresolved(variable) => Probability::Unknown {
                reason: format!("unresolved({variable})"),
            },
            Ratio::Dynamic(expression) => Probability::Unknown {
                reason: format!("dynamic({expression})"),
            },
            Ratio::Invalid(text) => Probability::Unknown {
                reason: format!("invalid({text})"),
            },
        },
        Sampler::ParentBased { root, .. } => root_probability(root),
        Sampler::JaegerRemote => Probability::Dynamic {
            reason: "Jaeger remote sampling".into(),
        },
        Sampler::XRay => Probability::Dynamic {
            reason: "X-Ray sampling rules".into(),
        },
        Sampler::Other { name } => Probability::Unknown {
            reason: format!("sampler `{name}`"),
        },
        Sampler::Dynamic { expression } => Probability::Unknown {
            reason: format!("dynamic({expression})"),
        },
    }
}

/// Whether the sampler follows the parent's decision.
pub fn is_parent_based(sampler: &Sampler) -> bool {
    matches!(sampler, Sampler::ParentBased { .. })
}

/// `ParentBased{root: TraceIdRatio(0.1)}`: the tree in one line.
pub fn describe(sampler: &Sampler) -> String {
    let ratio = |r: &Ratio| match r {
        Ratio::Value(v) => format!("{v}"),
        Ratio::Unresolved(v) => format!("unresolved({v})"),
        Ratio::Default { variable, value } => format!("{value}, the default of {variable}"),
        Ratio::Dynamic(e) => format!("dynamic({e})"),
        Ratio::Invalid(t) => format!("invalid({t})"),
    };
    match sampler {
        Sampler::AlwaysOn => "AlwaysOn".into(),
        Sampler::AlwaysOff => "AlwaysOff".into(),
        Sampler::TraceIdRatio { ratio: r } => format!("TraceIdRatio({})", ratio(r)),
        Sampler::Probability { ratio: r } => format!("Probability({})", ratio(r)),
        Sampler::ParentBased {
            root,
            remote_parent_sampled,
            remote_parent_not_sampled,
            local_parent_sampled,
            local_parent_not_sampled,
        } => {
            let mut parts = vec![format!("root: {}", describe(root))];
            for (name, child) in [
                ("remoteParentSampled", remote_parent_sampled),
                ("remoteParentNotSampled", remote_parent_not_sampled),
                ("localParentSampled", local_parent_sampled),
                ("localParentNotSampled", local_parent_not_sampled),
            ] {
                if let Some(child) = child {
                    parts.push(format!("{name}: {}", describe(child)));
                }
            }
            format!("ParentBased{{{}}}", parts.join(", "))
        }
        Sampler::JaegerRemote => "JaegerRemote".into(),
        Sampler::XRay => "XRay".into(),
        Sampler::Other { name } => format!("Other({name})"),
        Sampler::Dynamic { expression } => format!("Dynamic({expression})"),
    }
}

/// The index of a language in the cross-SDK table (JS and TS share one).
fn table_index(language: Language) -> usize {
    match language {
        Language::Go => 0,
        Language::Python => 1,
        Language::Java => 2,
        Language::CSharp => 3,
        Language::JavaScript | Language::TypeScript => 4,
    }
}

/// Research §3.2: of the traces an upstream root keeps at p = 0.1, the fraction a
/// non-parent-based `TraceIdRatioBased` child at 0.1 also keeps.
const AGREEMENT: [[f64; 5]; 5] = [
    [1.000, 1.000, 0.499, 0.101, 0.101],
    [1.000, 1.000, 0.499, 0.101, 0.101],
    [0.498, 0.498, 1.000, 0.100, 0.100],
    [0.102, 0.102, 0.100, 1.000, 0.101],
    [0.101, 0.101, 0.100, 0.101, 1.000],
];

/// The agreement of a child's ratio algorithm with an upstream's (p = 0.1).
pub fn agreement(upstream: Language, child: Language) -> f64 {
    AGREEMENT[table_index(upstream)][table_index(child)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_sdk() {
        let go = from_env(
            "ParentBased_TraceIdRatio",
            Some(Ok("0.3")),
            Some(Language::Go),
        );
        assert!(go.problems.is_empty());
        assert_eq!(
            root_probability(&go.sampler),
            Probability::Known { value: 0.3 }
        );
        let js = from_env(
            "ParentBased_TraceIdRatio",
            Some(Ok("0.3")),
            Some(Language::JavaScript),
        );
        assert_eq!(js.problems, vec![EnvProblem::UnknownName { fails: false }]);
        assert_eq!(
            root_probability(&js.sampler),
            Probability::Known { value: 1.0 }
        );
        let java = from_env("bogus", None, Some(Language::Java));
        assert_eq!(java.problems, vec![EnvProblem::UnknownName { fails: true }]);
        let remote = from_env("parentbased_jaeger_remote", None, Some(Language::Python));
        assert_eq!(
            remote.problems,
            vec![EnvProblem::UnknownName { fails: false }]
        );
    }

    #[test]
    fn arguments() {
        let ten = from_env("traceidratio", Some(Ok("10")), Some(Language::Go));
        assert_eq!(
            ten.problems,
            vec![EnvProblem::InvalidArgument { fails: false }]
        );
        assert_eq!(
            root_probability(&ten.sampler),
            Probability::Known { value: 1.0 }
        );
        let unset = from_env("parentbased_traceidratio", None, None);
        assert_eq!(
            root_probability(&unset.sampler),
            Probability::Known { value: 1.0 }
        );
        let unresolved = from_env("parentbased_traceidratio", Some(Err("RATE")), None);
        assert!(matches!(
            root_probability(&unresolved.sampler),
            Probability::Unknown { .. }
        ));
        assert_eq!(
            describe(&unresolved.sampler),
            "ParentBased{root: TraceIdRatio(unresolved(RATE))}"
        );
    }

    #[test]
    fn cross_sdk_table() {
        assert!((agreement(Language::Go, Language::Java) - 0.499).abs() < 1e-9);
        assert!((agreement(Language::Go, Language::Python) - 1.0).abs() < 1e-9);
    }
}
