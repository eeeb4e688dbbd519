//! Parity between environments and tenants (spec/project.md, "Parity checks").
//!
//! Each environment's policy is compared with the reference environment's by meaning:
//! base rates, conditions (missing, or weaker as decided by the logic engine, with a
//! span that one keeps and the other drops), thresholds, tenant overrides, and latency
//! objectives. Every finding carries a risk level and says why in a reviewer's words.

use cpl_syntax::ast::{CompareOp, Expr, ExprKind, FieldKind, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{codes, Action, Condition, Diagnostic, Policy, Project, Severity};

use crate::logic::{Engine, Formula, Satisfiability, Verdict};

/// One environment's loaded policy.
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentPolicy<'a> {
    /// The environment's name (`prod`).
    pub name: &'a str,
    /// Its policy.
    pub policy: &'a Policy,
}

/// How bad a parity finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    /// Cosmetic or intended drift.
    Low,
    /// Worth a look.
    Medium,
    /// Likely to lose traces that matter.
    High,
    /// Loses the traces of the next incident.
    Critical,
}

impl Risk {
    /// `critical`, `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }

    fn severity(self) -> Severity {
        match self {
            Risk::Critical | Risk::High => Severity::Error,
            Risk::Medium | Risk::Low => Severity::Warning,
        }
    }
}

/// A parity finding, located in one environment's policy file.
#[derive(Debug, Clone)]
pub struct ParityFinding {
    /// The environment (index into the slice given to [`check_parity`]) whose file the
    /// diagnostic points into.
    pub environment: usize,
    /// How bad it is.
    pub risk: Risk,
    /// The finding; its message starts with the risk level.
    pub diagnostic: Diagnostic,
}

/// Compares every environment with the reference one, and checks each environment's
/// tenants and latency objectives.
pub fn check_parity(
    project: &Project,
    environments: &[EnvironmentPolicy<'_>],
) -> Vec<ParityFinding> {
    let mut findings = Vec::new();
    if environments.is_empty() {
        return findings;
    }
    let reference_index = project
        .reference
        .as_ref()
        .and_then(|r| environments.iter().position(|e| e.name == r.value))
        .unwrap_or(0);
    let reference = environments[reference_index];
    let ratio = project.base_rate_ratio.as_ref().map_or(2.0, |r| r.value);
    let engine = Engine::new().with_integer_status_codes(true);
    let mut push = |environment: usize, risk: Risk, diagnostic: Diagnostic| {
        let diagnostic = Diagnostic {
            severity: risk.severity(),
            message: format!("{}: {}", risk.as_str(), diagnostic.message),
            ..diagnostic
        };
        findings.push(ParityFinding {
            environment,
            risk,
            diagnostic,
        });
    };

    for (index, env) in environments.iter().enumerate() {
        if index != reference_index {
            base_rates(&reference, env, ratio, &mut |risk, d| push(index, risk, d));
            conditions(&engine, &reference, env, &mut |risk, d| {
                push(index, risk, d);
            });
        }
        tenants(
            project,
            &reference,
            env,
            index == reference_index,
            &mut |risk, d| push(index, risk, d),
        );
        slos(&engine, project, env, &mut |risk, d| push(index, risk, d));
    }
    findings
}

type Sink<'s> = dyn FnMut(Risk, Diagnostic) + 's;

fn base_rates(
    reference: &EnvironmentPolicy<'_>,
    env: &EnvironmentPolicy<'_>,
    allowed: f64,
    push: &mut Sink<'_>,
) {
    let (r, e) = (
        reference.policy.sampling.base_rate.value,
        env.policy.sampling.base_rate.value,
    );
    let (low, high) = (r.min(e), r.max(e));
    let drift = if low == 0.0 {
        high > 0.0
    } else {
        high / low > allowed
    };
    if !drift {
        return;
    }
    let risk = if e * 10.0 < r {
        Risk::Critical
    } else {
        Risk::High
    };
    let factor = if low == 0.0 {
        "infinitely".to_owned()
    } else {
        format!("{:.3}×", high / low).replace(".000×", "×")
    };
    let (more, less) = if e > r {
        (env.name, reference.name)
    } else {
        (reference.name, env.name)
    };
    let message = format!(
        "base rate drift: `{}` samples {e} of routine traffic, `{}` samples {r}; `{more}` keeps {factor} as much as `{less}`",
        env.name, reference.name
    );
    push(
        risk,
        Diagnostic::new(&codes::BASE_RATE_DRIFT, message, env.policy.sampling.base_rate.span.clone(), "differs from the reference")
            .with_help(format!("align the base rates, or allow this drift with `parity: {{base_rate_ratio: {}}}` in the project file", (high / low.max(f64::MIN_POSITIVE)).ceil())),
    );
}

/// The formula "this span is an error": status ERROR or an HTTP status of 500+.
fn error_formula() -> Formula {
    let parse = |text: &str| {
        cpl_syntax::parse_expression(text)
            .expr
            .map(|e| Formula::from_expr(&e))
    };
    parse("status == ERROR OR status_code >= 500").unwrap_or_else(|| Formula::constant(false))
}

fn is_about_errors_or_latency(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |node| {
        let (ExprKind::Compare { field, .. }
        | ExprKind::In { field, .. }
        | ExprKind::StringTest { field, .. }
        | ExprKind::Exists(field)) = &node.kind
        else {
            return;
        };
        if let FieldKind::Builtin(b) = field.kind {
            found |= matches!(
                b,
                BuiltinField::StatusCode
                    | BuiltinField::Status
                    | BuiltinField::Error
                    | BuiltinField::Duration
                    | BuiltinField::DurationMs
            );
        }
    });
    found
}

fn conditions(
    engine: &Engine,
    reference: &EnvironmentPolicy<'_>,
    env: &EnvironmentPolicy<'_>,
    push: &mut Sink<'_>,
) {
    let errors = error_formula();
    for wanted in reference
        .policy
        .sampling
        .conditions
        .iter()
        .filter(|c| c.is_enabled())
    {
        let counterpart = env
            .policy
            .sampling
            .conditions
            .iter()
            .find(|c| c.name.value == wanted.name.value);
        let wanted_formula = Formula::from_expr(&wanted.when.expr);
        let Some(found) = counterpart.filter(|c| c.is_enabled()) else {
            let keeps_errors = wanted.action() == Action::Keep
                && matches!(
                    engine.satisfiable(&Formula::and([wanted_formula.clone(), errors.clone()])),
                    Satisfiability::Yes(_)
                );
            let risk = if keeps_errors {
                Risk::Critical
            } else {
                Risk::High
            };
            let what = if counterpart.is_some() {
                "disabled"
            } else {
                "missing"
            };
            let example = match engine.satisfiable(&wanted_formula) {
                Satisfiability::Yes(witness) => format!(" (e.g. {{{witness}}})"),
                _ => String::new(),
            };
            let message =
                format!(
                "condition `{}` is {what} in `{}`: `{}` {} matching traces{example}; `{}` does not",
                wanted.name.value,
                env.name,
                reference.name,
                if wanted.action() == Action::Keep { "keeps" } else { "drops" },
                env.name
            );
            let span = counterpart
                .map_or_else(|| env.policy.sampling.span.clone(), |c| c.name.span.clone());
            push(
                risk,
                Diagnostic::new(
                    &codes::CONDITION_MISSING,
                    message,
                    span,
                    format!("no `{}` here", wanted.name.value),
                )
                .with_help(format!(
                    "copy `{}` from `{}`: `when: {}`",
                    wanted.name.value,
                    reference.name,
                    yaml_scalar(&wanted.when.source)
                )),
            );
            continue;
        };
        compare_condition(engine, reference, env, wanted, found, push);
    }
}

fn compare_condition(
    engine: &Engine,
    reference: &EnvironmentPolicy<'_>,
    env: &EnvironmentPolicy<'_>,
    wanted: &Condition,
    found: &Condition,
    push: &mut Sink<'_>,
) {
    let important = is_about_errors_or_latency(&wanted.when.expr);
    let label = format!("`{}` in `{}`", found.name.value, env.name);
    // Keep probability and action.
    if wanted.action() == Action::Keep
        && (found.action() == Action::Drop || found.keep_rate() < wanted.keep_rate())
    {
        let message = format!(
            "condition `{}` keeps less in `{}` ({} at rate {}) than in `{}` ({} at rate {})",
            found.name.value,
            env.name,
            found.action(),
            found.keep_rate(),
            reference.name,
            wanted.action(),
            wanted.keep_rate()
        );
        let span = found
            .rate
            .as_ref()
            .map(|r| r.span.clone())
            .or_else(|| found.action.as_ref().map(|a| a.span.clone()))
            .unwrap_or_else(|| found.name.span.clone());
        push(
            if important { Risk::High } else { Risk::Medium },
            Diagnostic::new(&codes::CONDITION_WEAKER, message, span, label.clone()),
        );
    }
    let (w, f) = (
        Formula::from_expr(&wanted.when.expr),
        Formula::from_expr(&found.when.expr),
    );
    let wanted_in_found = engine.implies(&w, &f);
    let found_in_wanted = engine.implies(&f, &w);
    let span = found.when.span.clone();
    match (wanted_in_found, found_in_wanted) {
        // Equivalent, or beyond what the engine decides.
        (Verdict::Yes, Verdict::Yes | Verdict::Unknown) | (Verdict::Unknown, _) => {}
        // The environment keeps every span the reference keeps, and more: drift only.
        (Verdict::Yes, Verdict::No(witness)) => {
            let message = format!(
                "threshold drift in `{}`: `{}` reads `{}` here and `{}` in `{}`; e.g. {{{witness}}} is kept here only",
                found.name.value, env.name, found.when.expr, wanted.when.expr, reference.name
            );
            push(
                Risk::Low,
                Diagnostic::new(
                    &codes::THRESHOLD_DRIFT,
                    message,
                    span,
                    format!("differs from `{}`", reference.name),
                ),
            );
        }
        // Some span the reference keeps is not kept here (fewer, or different, spans).
        (Verdict::No(witness), other) => {
            let how = if matches!(other, Verdict::Yes) {
                "weaker"
            } else {
                "different and misses spans"
            };
            let message = format!(
                "condition `{}` is {how} in `{}`: a span like {{{witness}}} is kept by `{}` but not by `{}`",
                found.name.value, env.name, reference.name, env.name
            );
            push(
                if important { Risk::High } else { Risk::Medium },
                Diagnostic::new(
                    &codes::CONDITION_WEAKER,
                    message,
                    span,
                    format!("keeps fewer spans than in `{}`", reference.name),
                )
                .with_help(format!("`{}` has `{}`", reference.name, wanted.when.expr)),
            );
        }
    }
}

fn tenants(
    project: &Project,
    reference: &EnvironmentPolicy<'_>,
    env: &EnvironmentPolicy<'_>,
    is_reference: bool,
    push: &mut Sink<'_>,
) {
    // Tenant lists can be long (100 000 tenants): sets, not scans.
    let overridden_here: std::collections::HashSet<&str> = env
        .policy
        .tenants
        .iter()
        .flat_map(|t| &t.overrides)
        .map(|o| o.tenant.value.as_str())
        .collect();
    let expected: std::collections::HashSet<&str> = project
        .expected_tenants
        .iter()
        .map(|t| t.value.as_str())
        .collect();
    let mut required: Vec<&str> = project
        .expected_tenants
        .iter()
        .map(|t| t.value.as_str())
        .collect();
    if !is_reference {
        for o in reference.policy.tenants.iter().flat_map(|t| &t.overrides) {
            if !expected.contains(o.tenant.value.as_str()) {
                required.push(o.tenant.value.as_str());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for tenant in required {
        if overridden_here.contains(tenant) || !seen.insert(tenant) {
            continue;
        }
        let why = if expected.contains(tenant) {
            "the project expects one".to_owned()
        } else {
            format!("`{}` has one", reference.name)
        };
        let span = env.policy.tenants.as_ref().map_or_else(
            || env.policy.sampling.span.clone(),
            |t| t.attribute.span.clone(),
        );
        push(
            Risk::High,
            Diagnostic::new(
                &codes::TENANT_OVERRIDE_MISSING,
                format!("tenant `{tenant}` has no override in `{}`; {why}", env.name),
                span,
                "no override for this tenant",
            )
            .with_help(format!("add `{tenant}:` under `tenants.overrides`")),
        );
    }
    let default = env.policy.sampling.base_rate.value;
    for o in env.policy.tenants.iter().flat_map(|t| &t.overrides) {
        if let Some(rate) = &o.base_rate {
            if rate.value < default {
                push(
                    Risk::Medium,
                    Diagnostic::new(
                        &codes::TENANT_OVERRIDE_LOOSER,
                        format!("tenant `{}` keeps less than the default in `{}`: base rate {} < {default}", o.tenant.value, env.name, rate.value),
                        rate.span.clone(),
                        "below the default base rate",
                    )
                    .with_help("check the tenant's contract; an override usually keeps more, not less"),
                );
            }
        }
    }
}

/// `duration > d` / `duration >= d` thresholds of a condition, with their literal.
fn slow_thresholds(expr: &Expr) -> Vec<(i128, cpl_syntax::ast::Literal)> {
    let mut out = Vec::new();
    expr.walk(&mut |node| {
        if let ExprKind::Compare {
            field,
            op: CompareOp::Gt | CompareOp::Ge,
            value,
        } = &node.kind
        {
            if matches!(
                field.kind,
                FieldKind::Builtin(BuiltinField::Duration | BuiltinField::DurationMs)
            ) {
                let nanos = match value.value {
                    Value::Duration(nanos, _) => Some(i128::from(nanos)),
                    Value::Int(ms) => Some(i128::from(ms) * 1_000_000),
                    #[allow(clippy::cast_possible_truncation)]
                    Value::Float(ms) if ms.is_finite() => Some((ms * 1e6) as i128),
                    _ => None,
                };
                if let Some(nanos) = nanos {
                    out.push((nanos, value.clone()));
                }
            }
        }
    });
    out
}

fn slos(engine: &Engine, project: &Project, env: &EnvironmentPolicy<'_>, push: &mut Sink<'_>) {
    for slo in &project.slos {
        let Some(latency) = &slo.latency_nanos else {
            continue;
        };
        let mut scope = Vec::new();
        if let Some(service) = &slo.service {
            scope.push(format!("service == {}", quote(&service.value)));
        }
        if let Some(route) = &slo.route {
            // spec/project.md: `route` is an `http.route` prefix.
            scope.push(format!("http.route starts_with {}", quote(&route.value)));
        }
        let scope_formula = if scope.is_empty() {
            Formula::constant(true)
        } else {
            match cpl_syntax::parse_expression(&scope.join(" AND ")).expr {
                Some(expr) => Formula::from_expr(&expr),
                None => continue,
            }
        };
        let name = slo.name.as_ref().map_or_else(
            || "a latency objective".to_owned(),
            |n| format!("the objective `{}`", n.value),
        );
        // The requests the objective cares about, and whether the policy keeps them all.
        let Some(breaking) = cpl_syntax::parse_expression(&format!(
            "kind == SERVER AND duration > {}",
            millis(latency.value)
        ))
        .expr
        .map(|e| Formula::and([scope_formula.clone(), Formula::from_expr(&e)])) else {
            continue;
        };
        let unkept = match engine.implies(&breaking, &kept_for_certain(env.policy)) {
            Verdict::Yes => continue,
            Verdict::No(witness) => format!("; e.g. {{{witness}}} is not kept"),
            Verdict::Unknown => String::new(),
        };
        for condition in env
            .policy
            .sampling
            .conditions
            .iter()
            .filter(|c| c.is_enabled() && c.action() == Action::Keep)
        {
            let applies = Formula::and([
                Formula::from_expr(&condition.when.expr),
                scope_formula.clone(),
            ]);
            if !matches!(engine.satisfiable(&applies), Satisfiability::Yes(_)) {
                continue;
            }
            for (nanos, literal) in slow_thresholds(&condition.when.expr) {
                if nanos > i128::from(latency.value) {
                    let message = format!(
                        "slow-request threshold above the SLO in `{}`: `{}` keeps requests slower than {literal}, but {name} is {}; requests between the two break the objective and are not all kept{unkept}",
                        env.name,
                        condition.name.value,
                        millis(latency.value)
                    );
                    push(
                        Risk::High,
                        Diagnostic::new(
                            &codes::SLOW_THRESHOLD_ABOVE_SLO,
                            message,
                            condition.when.file_span(literal.span),
                            "above the latency objective",
                        )
                        .with_help(format!(
                            "lower the threshold to the objective: `duration > {}`",
                            millis(latency.value)
                        )),
                    );
                }
            }
        }
    }
}

/// The spans a policy's own decision list keeps with certainty: those whose first
/// matching enabled condition is a `keep` with rate 1, and, at base rate 1, those no
/// condition matches. Drop rules and partial rates keep nothing for certain.
fn kept_for_certain(policy: &Policy) -> Formula {
    let mut earlier = Formula::constant(false);
    let mut kept = Vec::new();
    for condition in policy.sampling.conditions.iter().filter(|c| c.is_enabled()) {
        let formula = Formula::from_expr(&condition.when.expr);
        if condition.action() == Action::Keep && condition.keep_rate() >= 1.0 {
            kept.push(Formula::and([formula.clone(), earlier.not()]));
        }
        earlier = Formula::or([earlier, formula]);
    }
    if policy.sampling.base_rate.value >= 1.0 {
        kept.push(earlier.not());
    }
    Formula::or(kept)
}

/// `text` as a YAML flow scalar that reads back as `text`: double quotes when nothing
/// in it needs escaping, single quotes (`'` doubled) otherwise.
fn yaml_scalar(text: &str) -> String {
    let text = text.trim();
    if text.contains(['"', '\\']) || text.contains(char::is_control) {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        format!("\"{text}\"")
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn millis(nanos: i64) -> String {
    if nanos % 1_000_000 == 0 {
        format!("{}ms", nanos / 1_000_000)
    } else {
        format!("{nanos}ns")
    }
}
