//! The findings of spec/scan.md ("Findings"), from the resolved inventory: each with a
//! risk, a message naming its witnesses, and the role assumed where it matters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use cpl_syntax::{codes, Code};

use crate::model::{Language, Location};
use crate::read::kube::OPERATOR_SAMPLERS;
use crate::report::{Finding, Risk, Role, Witness};
use crate::resolve::{value_text, Resolved};
use crate::sdk::{agreement, is_parent_based, EnvProblem};
use crate::setting::{Layer, Setting, Value, Var};

/// A service as the findings see it.
pub struct ServiceView<'s> {
    /// Its name.
    pub name: String,
    /// Its role, and why.
    pub role: (Role, String),
    /// Its language.
    pub language: Option<Language>,
    /// Per environment, the resolution.
    pub environments: Vec<(String, Resolved<'s>)>,
    /// Per tenant and environment, the resolution with the tenant's overrides.
    pub tenants: Vec<(String, String, Resolved<'s>)>,
    /// The first setting of the service (where service-wide findings go).
    pub anchor: &'s Setting,
}

/// Collects findings, one per code and location and service: a finding that holds in
/// several environments is one finding listing them all (spec/scan.md, "Findings").
#[derive(Default)]
pub struct Findings {
    list: Vec<Finding>,
    seen: BTreeMap<(String, Location, Option<String>, String), usize>,
}

impl Findings {
    /// Adds a finding unless the same code, place and service has one already.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        code: &'static Code,
        risk: Risk,
        at: &Setting,
        message: String,
        help: Option<String>,
        service: Option<&str>,
        environment: Option<&str>,
        witnesses: Vec<Witness>,
    ) {
        self.push_at(
            code,
            risk,
            (&at.location, &at.span),
            message,
            help,
            service,
            environment,
            witnesses,
        );
    }

    /// [`Findings::push`] at a place that is not a setting (the project file).
    #[allow(clippy::too_many_arguments)]
    pub fn push_at(
        &mut self,
        code: &'static Code,
        risk: Risk,
        (location, span): (&Location, &std::ops::Range<usize>),
        message: String,
        help: Option<String>,
        service: Option<&str>,
        environment: Option<&str>,
        witnesses: Vec<Witness>,
    ) {
        // A missing tenant is missing per environment; other findings are reported
        // once per setting and service, whichever environments share it.
        let scope = if code.code == codes::SCAN_TENANT_OVERRIDE_MISSING.code {
            environment
        } else {
            service
        };
        // Environments that say the same thing at the same place share one finding.
        let key = (
            code.code.to_owned(),
            location.clone(),
            scope.map(str::to_owned),
            message.clone(),
        );
        if let Some(&at) = self.seen.get(&key) {
            let existing = &mut self.list[at];
            if let Some(environment) = environment {
                if !existing.environments.iter().any(|e| e == environment) {
                    existing.environments.push(environment.to_owned());
                }
            }
            if risk > existing.risk {
                existing.risk = risk;
                risk.severity().as_str().clone_into(&mut existing.severity);
            }
            for witness in witnesses {
                if !existing.witnesses.contains(&witness) {
                    existing.witnesses.push(witness);
                }
            }
            return;
        }
        self.seen.insert(key, self.list.len());
        self.list.push(Finding {
            code: code.code.to_owned(),
            name: code.name.to_owned(),
            risk,
            severity: risk.severity().as_str().to_owned(),
            message,
            location: location.clone(),
            help,
            service: service.map(str::to_owned),
            environment: environment.map(str::to_owned),
            environments: environment.map(str::to_owned).into_iter().collect(),
            witnesses,
            span: span.clone(),
        });
    }

    /// Adds a finding that is already built (reader diagnostics).
    pub fn push_finding(&mut self, finding: Finding) {
        self.list.push(finding);
    }

    /// The findings, sorted by file, line, column and code. `environments` is the
    /// scan's environments in order; when they are named (not the one `default`), a
    /// finding whose message does not name all of its environments says where it holds.
    pub fn into_sorted(mut self, environments: &[String], named: bool) -> Vec<Finding> {
        let rank = |e: &String| environments.iter().position(|x| x == e);
        for finding in &mut self.list {
            finding.environments.sort_by_key(rank);
            if named
                && !finding.environments.is_empty()
                && !finding
                    .environments
                    .iter()
                    .all(|e| finding.message.contains(&format!("`{e}`")))
            {
                let listed: Vec<String> = finding
                    .environments
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect();
                let _ = write!(finding.message, " (in {})", listed.join(", "));
            }
        }
        self.list.sort_by(|a, b| {
            a.location
                .cmp(&b.location)
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.service.cmp(&b.service))
        });
        self.list
    }
}

fn witness(setting: &Setting, what: impl Into<String>) -> Witness {
    Witness {
        location: setting.location.clone(),
        what: what.into(),
    }
}

/// The setting that decides a resolution's ratio: the winning ARG of a ratio sampler
/// from env, else the deciding setting.
fn ratio_setting<'s>(resolved: &Resolved<'s>) -> Option<&'s Setting> {
    resolved.arg.or(resolved.decider)
}

fn place(resolved: &Resolved<'_>) -> String {
    match ratio_setting(resolved) {
        Some(setting) => format!("{} at {}", setting.key, setting.at()),
        None => "the SDK default".to_owned(),
    }
}

/// Every finding about services.
pub fn service_findings(
    services: &[ServiceView<'_>],
    expected_tenants: &[String],
    findings: &mut Findings,
) {
    let entry_languages: BTreeSet<Language> = services
        .iter()
        .filter(|s| s.role.0 == Role::EntryPoint)
        .filter_map(|s| s.language)
        .collect();
    for service in services {
        drift(service, findings);
        for (environment, resolved) in &service.environments {
            env_values(service, environment, resolved, findings);
            non_parent_based(service, environment, resolved, &entry_languages, findings);
            behind_head(service, environment, resolved, findings);
        }
        defaults(service, findings);
        tenants(service, expected_tenants, findings);
        missing_propagator(service, findings);
    }
    mixed_propagators(services, findings);
}

fn drift(service: &ServiceView<'_>, findings: &mut Findings) {
    let known: Vec<(&str, f64, &Resolved<'_>)> = service
        .environments
        .iter()
        .filter_map(|(env, r)| Some((env.as_str(), r.probability.value()?, r)))
        .collect();
    let Some(low) = known.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
        return;
    };
    let Some(high) = known.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return;
    };
    if (high.1 - low.1).abs() < 1e-12 {
        return;
    }
    let all_parent_based = known.iter().all(|(_, _, r)| is_parent_based(&r.sampler));
    let risk = match service.role.0 {
        Role::EntryPoint if low.1 == 0.0 || high.1 / low.1 >= 10.0 => Risk::Critical,
        Role::Internal if all_parent_based => Risk::Medium,
        Role::EntryPoint | Role::Internal => Risk::High,
    };
    let (at_env, at) = match (ratio_setting(low.2), ratio_setting(high.2)) {
        (Some(setting), _) => (low.0, setting),
        (None, Some(setting)) => (high.0, setting),
        (None, None) => return,
    };
    let mut message = format!(
        "`{}` samples the traces it starts at {} in `{}` but at {} in `{}`",
        service.name, low.1, low.0, high.1, high.0
    );
    let _ = write!(
        message,
        " ({}: {}; under ParentBased only the traces it starts follow its own ratio)",
        match service.role.0 {
            Role::EntryPoint => "entry point",
            Role::Internal => "internal service",
        },
        service.role.1
    );
    let witnesses = known
        .iter()
        .map(|(env, p, r)| Witness {
            location: ratio_setting(r)
                .map_or_else(|| service.anchor.location.clone(), |s| s.location.clone()),
            what: format!("{env}: {p} from {}", place(r)),
        })
        .collect();
    findings.push(
        &codes::SAMPLING_DRIFT,
        risk,
        at,
        message.clone(),
        Some("make the environments agree, or name the service's role in the project's `scan.entry_points`".into()),
        Some(&service.name),
        Some(at_env),
        witnesses,
    );
    // The finding holds in every environment compared.
    for (env, _, _) in &known {
        findings.push(
            &codes::SAMPLING_DRIFT,
            risk,
            at,
            message.clone(),
            None,
            Some(&service.name),
            Some(env),
            Vec::new(),
        );
    }
}

fn env_values(
    service: &ServiceView<'_>,
    environment: &str,
    resolved: &Resolved<'_>,
    findings: &mut Findings,
) {
    let language = service
        .language
        .map_or_else(|| "unknown".to_owned(), |l| format!("{l:?}"));
    for (setting, problem) in &resolved.problems {
        let value = value_text(setting);
        match problem {
            EnvProblem::UnknownName { fails } => findings.push(
                &codes::UNKNOWN_SAMPLER_NAME,
                Risk::High,
                setting,
                if *fails {
                    format!("`{value}` is not a sampler the Java SDK knows: `{}` does not start", service.name)
                } else {
                    format!("`{value}` is not a sampler the {language} SDK of `{}` knows: it falls back to `parentbased_always_on`, sampling every trace it starts", service.name)
                },
                Some("use one of `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`".into()),
                Some(&service.name),
                Some(environment),
                vec![witness(setting, format!("{}={value}", setting.key))],
            ),
            EnvProblem::InvalidArgument { fails } => findings.push(
                &codes::INVALID_SAMPLER_ARGUMENT,
                Risk::High,
                setting,
                if *fails {
                    format!("`{value}` is not a ratio in [0, 1]: the Java SDK of `{}` does not start", service.name)
                } else {
                    format!("`{value}` is not a ratio in [0, 1]: the SDK of `{}` uses 1.0 and samples every trace it starts", service.name)
                },
                Some("write a ratio such as `0.1` (a percentage of 10% is `0.1`)".into()),
                Some(&service.name),
                Some(environment),
                vec![witness(setting, format!("{}={value}", setting.key))],
            ),
        }
    }
    for setting in &resolved.unresolved {
        findings.push(
            &codes::UNRESOLVED_SAMPLER_VALUE,
            Risk::Low,
            setting,
            format!("`{}` of `{}` is {}: no scanned file sets it, so the sampling probability is unknown", setting.key, service.name, value_text(setting)),
            Some("give the variable a default in the file (`${VAR:-0.1}`), or scan the file that sets it".into()),
            Some(&service.name),
            Some(environment),
            vec![witness(setting, value_text(setting))],
        );
    }
    for (loser, winner, reason) in &resolved.shadowed {
        if value_text(loser) == value_text(winner)
            || matches!(loser.value, Value::Unresolved { .. })
        {
            continue;
        }
        let risk = if loser.layer == Layer::OperatorCr {
            Risk::Medium
        } else {
            Risk::Low
        };
        findings.push(
            &codes::SHADOWED_SETTING,
            risk,
            loser,
            format!(
                "`{}={}` never takes effect for `{}`: `{}={}` at {} wins ({reason})",
                loser.key,
                value_text(loser),
                service.name,
                winner.key,
                value_text(winner),
                winner.at()
            ),
            Some("delete the dead setting, or move the value where it takes effect".into()),
            Some(&service.name),
            Some(environment),
            vec![witness(loser, "shadowed"), witness(winner, "wins")],
        );
    }
    if let Some(setting) = resolved.disabled {
        let risk = if environment == "prod" {
            Risk::Critical
        } else {
            Risk::Medium
        };
        findings.push(
            &codes::SDK_DISABLED,
            risk,
            setting,
            format!(
                "`{}` disables the SDK of `{}` in `{environment}`: it records no spans",
                setting.key, service.name
            ),
            Some("remove `OTEL_SDK_DISABLED`, or set it to `false`".into()),
            Some(&service.name),
            Some(environment),
            vec![witness(setting, value_text(setting))],
        );
    }
}

fn non_parent_based(
    service: &ServiceView<'_>,
    environment: &str,
    resolved: &Resolved<'_>,
    entry_languages: &BTreeSet<Language>,
    findings: &mut Findings,
) {
    if service.role.0 != Role::Internal || is_parent_based(&resolved.sampler) {
        return;
    }
    let Some(at) = resolved.decider else { return };
    if !matches!(
        resolved.sampler,
        crate::model::Sampler::TraceIdRatio { .. }
            | crate::model::Sampler::AlwaysOn
            | crate::model::Sampler::AlwaysOff
    ) {
        return;
    }
    let mut message = format!(
        "`{}` is an internal service ({}) whose sampler `{}` ignores the parent's decision: traces through it are incomplete or fragmented",
        service.name,
        service.role.1,
        crate::sdk::describe(&resolved.sampler)
    );
    if matches!(resolved.sampler, crate::model::Sampler::TraceIdRatio { .. }) {
        match service.language {
            Some(child) if !entry_languages.is_empty() => {
                let parts: Vec<String> = entry_languages
                    .iter()
                    .map(|up| format!("{up:?} entry point {:.3}", agreement(*up, child)))
                    .collect();
                let _ = write!(
                    message,
                    "; of the traces an entry point keeps at 0.1, this {child:?} child at 0.1 keeps: {}",
                    parts.join(", ")
                );
            }
            _ => message.push_str("; the SDKs' ratio algorithms differ (Go and Python agree; Java agrees on half; .NET and JavaScript agree with no other), so equal ratios do not keep the same traces"),
        }
    }
    findings.push(
        &codes::NON_PARENT_BASED_DOWNSTREAM,
        Risk::High,
        at,
        message,
        Some("wrap it in ParentBased (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`)".into()),
        Some(&service.name),
        Some(environment),
        vec![witness(
            at,
            format!("{environment}: {}", crate::sdk::describe(&resolved.sampler)),
        )],
    );
}

fn behind_head(
    service: &ServiceView<'_>,
    environment: &str,
    resolved: &Resolved<'_>,
    findings: &mut Findings,
) {
    let Some(policy) = resolved.base_rate else {
        return;
    };
    let Some(head) = resolved.probability.value() else {
        return;
    };
    if head >= 1.0 {
        return;
    }
    let Value::Probability { value: base } = policy.value else {
        return;
    };
    let mut witnesses = vec![witness(policy, format!("base_rate {base}"))];
    if let Some(decider) = resolved.decider {
        witnesses.push(witness(
            decider,
            format!("head sampler {}", crate::sdk::describe(&resolved.sampler)),
        ));
    }
    findings.push(
        &codes::BASE_RATE_BEHIND_HEAD_SAMPLER,
        Risk::High,
        policy,
        format!(
            "the policy of `{}` only sees the {head} of traces its head sampler ({}) keeps in `{environment}`: its conditions keep at most {head} of the errors they match, and its base rate {base} becomes {}",
            service.name,
            place(resolved),
            head * base
        ),
        Some("set the service's head sampler to `parentbased_always_on` and let the policy decide".into()),
        Some(&service.name),
        Some(environment),
        witnesses,
    );
}

fn defaults(service: &ServiceView<'_>, findings: &mut Findings) {
    let envs: Vec<&str> = service
        .environments
        .iter()
        .filter(|(_, r)| r.decider.is_none())
        .map(|(e, _)| e.as_str())
        .collect();
    if envs.is_empty() {
        return;
    }
    let message = format!(
        "nothing sets the sampler of `{}` in {}: the SDK default `ParentBased(AlwaysOn)` applies (every trace it starts is sampled)",
        service.name,
        envs.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
    );
    for environment in &envs {
        findings.push(
            &codes::SDK_DEFAULT_SAMPLER,
            Risk::Info,
            service.anchor,
            message.clone(),
            None,
            Some(&service.name),
            Some(environment),
            vec![witness(service.anchor, "the service is defined here")],
        );
    }
}

fn tenants(service: &ServiceView<'_>, expected: &[String], findings: &mut Findings) {
    for (tenant, environment, resolved) in &service.tenants {
        let Some(base) = service
            .environments
            .iter()
            .find(|(e, _)| e == environment)
            .map(|(_, r)| r)
        else {
            continue;
        };
        let overrides: Vec<&&Setting> = resolved
            .applicable
            .iter()
            .filter(|s| s.tenant.as_deref() == Some(tenant.as_str()))
            .collect();
        let Some(first) = overrides.first() else {
            continue;
        };
        let (Some(t), Some(b)) = (resolved.probability.value(), base.probability.value()) else {
            continue;
        };
        let at = ratio_setting(resolved)
            .filter(|d| d.tenant.is_some())
            .unwrap_or(first);
        let witnesses = vec![
            witness(at, format!("tenant `{tenant}`: {t}")),
            Witness {
                location: ratio_setting(base)
                    .map_or_else(|| service.anchor.location.clone(), |s| s.location.clone()),
                what: format!("base: {b}"),
            },
        ];
        if t < b {
            findings.push(
                &codes::SCAN_TENANT_OVERRIDE_LOOSER,
                Risk::Medium,
                at,
                format!("tenant `{tenant}` samples `{}` at {t} in `{environment}`, less than the base {b}", service.name),
                Some("check that the tenant is meant to keep fewer traces".into()),
                Some(&service.name),
                Some(environment),
                witnesses,
            );
        } else if t > b {
            findings.push(
                &codes::SCAN_TENANT_OVERRIDE_STRICTER,
                Risk::Info,
                at,
                format!("tenant `{tenant}` samples `{}` at {t} in `{environment}`, more than the base {b}", service.name),
                None,
                Some(&service.name),
                Some(environment),
                witnesses,
            );
        }
    }
    let _ = expected;
}

/// Tenants expected (project) or overridden somewhere, without an override file in an
/// environment. `expected_at` is where each expected tenant is written in the project
/// file (the place of the finding when the tenant has no override file at all).
pub fn missing_tenants(
    settings: &[Setting],
    environments: &[String],
    expected: &[String],
    expected_at: &[(Location, std::ops::Range<usize>)],
    findings: &mut Findings,
) {
    let mut by_tenant: BTreeMap<&str, Vec<&Setting>> = BTreeMap::new();
    for setting in settings {
        if let Some(tenant) = &setting.tenant {
            by_tenant.entry(tenant).or_default().push(setting);
        }
    }
    let mut tenants: BTreeSet<&str> = by_tenant.keys().copied().collect();
    tenants.extend(expected.iter().map(String::as_str));
    for tenant in tenants {
        let files = by_tenant.get(tenant).cloned().unwrap_or_default();
        let covers = |env: &str| {
            files
                .iter()
                .any(|s| s.environment.is_none() || s.environment.as_deref() == Some(env))
        };
        let listed = expected
            .iter()
            .position(|e| e == tenant)
            .and_then(|i| expected_at.get(i));
        for environment in environments {
            if covers(environment) {
                continue;
            }
            let is_expected = expected.iter().any(|e| e == tenant);
            let (at, why) = match (files.first(), listed) {
                (Some(file), _) if is_expected => (
                    (&file.location, &file.span),
                    "the project expects it".to_owned(),
                ),
                (Some(file), _) => (
                    (&file.location, &file.span),
                    format!("it has one at {}", file.at()),
                ),
                (None, Some((location, span))) => (
                    (location, span),
                    "the project expects it; it has no override file anywhere".to_owned(),
                ),
                (None, None) => continue,
            };
            findings.push_at(
                &codes::SCAN_TENANT_OVERRIDE_MISSING,
                Risk::High,
                at,
                format!("tenant `{tenant}` has no override in `{environment}` ({why}): its traffic samples at the base there"),
                Some(format!("add the tenant's override for `{environment}`, or drop it from `tenants.expected`")),
                None,
                Some(environment),
                vec![Witness {
                    location: at.0.clone(),
                    what: format!("tenant `{tenant}`"),
                }],
            );
        }
    }
}

fn missing_propagator(service: &ServiceView<'_>, findings: &mut Findings) {
    if service.language != Some(Language::Go) {
        return;
    }
    let Some((_, resolved)) = service.environments.first() else {
        return;
    };
    let provider = resolved.applicable.iter().find(|s| {
        s.layer == Layer::Code
            && s.language == Some(Language::Go)
            && (matches!(s.value, Value::Sampler { .. }) || s.key == "tracer provider")
    });
    let Some(provider) = provider else { return };
    let set = resolved
        .applicable
        .iter()
        .any(|s| s.layer == Layer::Code && s.var == Some(Var::OtelPropagators));
    let declarative = resolved.propagators.1 == "declarative file";
    if set || declarative {
        return;
    }
    findings.push(
        &codes::MISSING_PROPAGATOR,
        Risk::Critical,
        provider,
        format!(
            "the Go service `{}` builds a tracer provider but never calls `otel.SetTextMapPropagator`: Go's default propagator is a no-op, so incoming trace context is dropped and `{}` starts a new trace for every request",
            service.name, service.name
        ),
        Some("call `otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))` where the provider is built".into()),
        Some(&service.name),
        None,
        vec![witness(provider, "tracer provider")],
    );
}

fn mixed_propagators(services: &[ServiceView<'_>], findings: &mut Findings) {
    // Trace-context formats by their `OTEL_PROPAGATORS` names; a propagator the code
    // scanner could only show as an expression (`sdk.Propagator()`, built from a
    // declarative file) has an unknown format and proves no mismatch.
    const FORMATS: [&str; 6] = ["tracecontext", "b3", "b3multi", "jaeger", "xray", "ottrace"];
    let formats = |names: &[String]| -> BTreeSet<String> {
        if names
            .iter()
            .any(|n| !FORMATS.contains(&n.as_str()) && n != "baggage" && n != "none")
        {
            return BTreeSet::new();
        }
        names
            .iter()
            .filter(|n| FORMATS.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    let mut counts: BTreeMap<BTreeSet<String>, usize> = BTreeMap::new();
    let mut per_service = Vec::new();
    for service in services {
        for (environment, resolved) in &service.environments {
            let set = formats(&resolved.propagators.0);
            if let Some(setting) = resolved.propagators.2 {
                if resolved.propagators.0.iter().any(|n| n == "none") {
                    findings.push(
                        &codes::MIXED_PROPAGATORS,
                        Risk::High,
                        setting,
                        format!("`{}` propagates no trace context (`none`): every request starts a new trace", service.name),
                        Some("set `OTEL_PROPAGATORS=tracecontext,baggage`".into()),
                        Some(&service.name),
                        Some(environment),
                        vec![witness(setting, "none")],
                    );
                }
            }
            if !set.is_empty() {
                *counts.entry(set.clone()).or_default() += 1;
                per_service.push((service, environment, resolved, set));
            }
        }
    }
    let Some(common) = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(s, _)| s.clone())
    else {
        return;
    };
    for (service, environment, resolved, set) in per_service {
        if set.is_disjoint(&common) {
            let Some(setting) = resolved.propagators.2 else {
                continue;
            };
            findings.push(
                &codes::MIXED_PROPAGATORS,
                Risk::High,
                setting,
                format!(
                    "`{}` propagates {} while most services use {}: no format is shared, so the sampled flag does not cross between them",
                    service.name,
                    set.iter().cloned().collect::<Vec<_>>().join(","),
                    common.iter().cloned().collect::<Vec<_>>().join(",")
                ),
                Some("use one format everywhere, or list both (`tracecontext,baggage,b3`)".into()),
                Some(&service.name),
                Some(environment),
                vec![witness(setting, set.iter().cloned().collect::<Vec<_>>().join(","))],
            );
        }
    }
}

/// Operator `Instrumentation` sampler types outside the CRD's enum.
pub fn operator_findings(settings: &[Setting], findings: &mut Findings) {
    for setting in settings {
        if setting.layer != Layer::OperatorCr || setting.var != Some(Var::OtelTracesSampler) {
            continue;
        }
        let Some(kind) = setting.text() else { continue };
        if OPERATOR_SAMPLERS.contains(&kind) {
            continue;
        }
        let help = if kind == "parentbased_jaeger_remote" {
            "use `jaeger_remote`, or set `OTEL_TRACES_SAMPLER=parentbased_jaeger_remote` in the workload's env"
        } else {
            "use one of the CRD's values: `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`, `jaeger_remote`, `xray`"
        };
        findings.push(
            &codes::UNSUPPORTED_OPERATOR_SAMPLER,
            Risk::High,
            setting,
            format!("`{kind}` is not in the `Instrumentation` CRD's sampler enum: the API server rejects the resource and nothing is injected"),
            Some(help.into()),
            None,
            setting.environment.as_deref(),
            vec![witness(setting, kind)],
        );
    }
}
