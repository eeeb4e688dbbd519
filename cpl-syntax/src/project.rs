//! Project files (`cpl.yaml`, spec/project.md): environments, tenants, objectives
//! and lint configuration, loaded with the same positions and checks as policies.
//!
//! Loading does no IO: whether each environment's file exists is the caller's
//! business (the CLI reports it at the path's position in the project file).

use std::ops::Range;

use crate::diagnostic::{codes, did_you_mean, Code, Diagnostic};
use crate::load::{scalar, scalar_str, yaml_diagnostic, Loader};
use crate::policy::Spanned;
use crate::yaml::{self, Node, NodeValue, Resolved};

/// A loaded project file.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// `version`, normalised to `"1"`.
    pub version: Option<Spanned<String>>,
    /// Environments in file order: name and policy path (relative to the project file).
    pub environments: Vec<Environment>,
    /// The environment the others are compared with (default: the first).
    pub reference: Option<Spanned<String>>,
    /// `tenants.expected`: tenants that must have an override in every environment.
    pub expected_tenants: Vec<Spanned<String>>,
    /// `parity.base_rate_ratio` (default 2).
    pub base_rate_ratio: Option<Spanned<f64>>,
    /// Service level objectives.
    pub slos: Vec<Slo>,
    /// `lint.severity`: severity overrides per code.
    pub severity: Vec<SeverityOverride>,
    /// `lint.suppress`: accepted findings.
    pub suppress: Vec<ProjectSuppression>,
}

/// One environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Its name (`prod`).
    pub name: Spanned<String>,
    /// Its policy file, as written.
    pub path: Spanned<String>,
}

/// A service level objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// A name for reports.
    pub name: Option<Spanned<String>>,
    /// The service it covers (`resource.service.name`), if limited to one.
    pub service: Option<Spanned<String>>,
    /// The route prefix it covers (`http.route`), if limited.
    pub route: Option<Spanned<String>>,
    /// The latency objective, in nanoseconds.
    pub latency_nanos: Option<Spanned<i64>>,
    /// The error-rate objective, in [0, 1].
    pub error_rate: Option<Spanned<f64>>,
    /// The whole entry.
    pub span: Range<usize>,
}

/// What `lint.severity` may set a code to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Do not report.
    Off,
}

/// One `lint.severity` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityOverride {
    /// The code.
    pub code: &'static Code,
    /// The level.
    pub level: Spanned<Level>,
}

/// One `lint.suppress` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSuppression {
    /// The code it accepts.
    pub code: &'static Code,
    /// Only in this environment's policy.
    pub environment: Option<Spanned<String>>,
    /// Only for the condition of this name.
    pub condition: Option<Spanned<String>>,
    /// Why.
    pub reason: Spanned<String>,
    /// The whole entry.
    pub span: Range<usize>,
}

/// The result of loading a project file.
#[derive(Debug, Clone)]
pub struct LoadedProject {
    /// The project, when the file had no errors.
    pub project: Option<Project>,
    /// Every finding, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

const TOP_KEYS: &[&str] = &[
    "version",
    "environments",
    "reference",
    "tenants",
    "parity",
    "slos",
    "lint",
    "scan",
];
const TENANTS_KEYS: &[&str] = &["expected"];
const PARITY_KEYS: &[&str] = &["base_rate_ratio"];
const SLO_KEYS: &[&str] = &["name", "service", "route", "latency", "error_rate"];
const LINT_KEYS: &[&str] = &["severity", "suppress"];
const SUPPRESS_KEYS: &[&str] = &["code", "environment", "condition", "reason"];

/// Loads a project file from YAML text.
pub fn load_project(source: &str) -> LoadedProject {
    let mut loader = Loader {
        diagnostics: Vec::new(),
    };
    let project = project(&mut loader, source);
    let mut diagnostics = loader.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let failed = diagnostics
        .iter()
        .any(|d| d.severity == crate::Severity::Error);
    LoadedProject {
        project: if failed { None } else { project },
        diagnostics,
    }
}

fn project(loader: &mut Loader, source: &str) -> Option<Project> {
    let (root, errors) = yaml::parse(source);
    for error in errors {
        loader.report(yaml_diagnostic(error, source));
    }
    let Some(root) = root else {
        if loader.diagnostics.is_empty() {
            loader.report(
                Diagnostic::new(
                    &codes::EMPTY_DOCUMENT,
                    "project file is empty",
                    0..source.len().min(1),
                    "empty document",
                )
                .with_help("start with `environments:` naming each environment's policy file"),
            );
        }
        return None;
    };
    let top = loader.mapping(&root, "project", TOP_KEYS, root.span.start..root.span.start)?;
    let version = top.get("version").and_then(|node| loader.version(node));
    let environments = if let Some(node) = top.get("environments") {
        environments(loader, node)
    } else if top.get("scan").is_some() {
        // A project file for `cpl scan` only (spec/scan.md): `scan:` is read by cpl-scan.
        Vec::new()
    } else {
        loader.report(
            Diagnostic::new(&codes::MISSING_KEY, "project file has no `environments`", top.anchor.clone(), "`environments` expected here")
                .with_help("add `environments:` mapping each environment to its policy file, e.g. `prod: policies/prod.yaml`"),
        );
        Vec::new()
    };
    let names: Vec<&str> = environments.iter().map(|e| e.name.value.as_str()).collect();
    let reference = top
        .get("reference")
        .and_then(|node| loader.string(node, "reference"));
    if let Some(reference) = &reference {
        check_environment(loader, &names, reference, "reference");
    }
    let expected_tenants = top
        .get("tenants")
        .and_then(|node| loader.mapping(node, "tenants", TENANTS_KEYS, node.span.clone()))
        .and_then(|entries| entries.get("expected"))
        .map(|node| string_list(loader, node, "expected"))
        .unwrap_or_default();
    let base_rate_ratio = top
        .get("parity")
        .and_then(|node| loader.mapping(node, "parity", PARITY_KEYS, node.span.clone()))
        .and_then(|entries| entries.get("base_rate_ratio"))
        .and_then(|node| ratio(loader, node));
    let slos = top
        .get("slos")
        .map(|node| slos(loader, node))
        .unwrap_or_default();
    let (severity, suppress) = match top.get("lint") {
        Some(node) => lint(loader, node, &names),
        None => (Vec::new(), Vec::new()),
    };
    Some(Project {
        version,
        environments,
        reference,
        expected_tenants,
        base_rate_ratio,
        slos,
        severity,
        suppress,
    })
}

fn check_environment(loader: &mut Loader, names: &[&str], name: &Spanned<String>, key: &str) {
    if !names.contains(&name.value.as_str()) {
        let help = did_you_mean(&name.value, names.iter().copied()).map_or_else(
            || format!("name one of the environments: {}", names.join(", ")),
            |c| format!("did you mean `{c}`?"),
        );
        loader.report(
            Diagnostic::new(
                &codes::INVALID_VALUE,
                format!("`{key}` names an unknown environment `{}`", name.value),
                name.span.clone(),
                "not an environment",
            )
            .with_help(help),
        );
    }
}

fn environments(loader: &mut Loader, node: &Node) -> Vec<Environment> {
    let NodeValue::Mapping(pairs) = &node.value else {
        loader.wrong_type(
            node,
            "environments",
            "a mapping from environment name to policy file",
            None,
        );
        return Vec::new();
    };
    if pairs.is_empty() {
        loader.report(
            Diagnostic::new(
                &codes::INVALID_VALUE,
                "`environments` is empty",
                node.span.clone(),
                "no environment",
            )
            .with_help("name at least one environment"),
        );
    }
    let mut environments = Vec::new();
    for (key, value) in pairs {
        let Some(name) = scalar_str(key) else {
            loader.wrong_type(key, "an environment name", "a string", None);
            continue;
        };
        let Some(path) = loader.string(value, "an environment's policy file") else {
            continue;
        };
        environments.push(Environment {
            name: Spanned::new(name.to_owned(), key.span.clone()),
            path,
        });
    }
    environments
}

fn string_list(loader: &mut Loader, node: &Node, key: &str) -> Vec<Spanned<String>> {
    let NodeValue::Sequence(items) = &node.value else {
        loader.wrong_type(node, key, "a list of strings", None);
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| loader.string(item, key))
        .collect()
}

fn ratio(loader: &mut Loader, node: &Node) -> Option<Spanned<f64>> {
    #[allow(clippy::cast_precision_loss)]
    let value = match scalar(node).map(crate::yaml::Scalar::resolve) {
        Some(Resolved::Int(value)) => value as f64,
        Some(Resolved::Float(value)) => value,
        _ => {
            loader.wrong_type(node, "base_rate_ratio", "a number of at least 1", None);
            return None;
        }
    };
    if !(value >= 1.0 && value.is_finite()) {
        loader.report(
            Diagnostic::new(
                &codes::INVALID_VALUE,
                "`base_rate_ratio` must be at least 1",
                node.span.clone(),
                "below 1",
            )
            .with_help(
                "a ratio of 2 allows one environment to sample up to twice as much as another",
            ),
        );
        return None;
    }
    Some(Spanned::new(value, node.span.clone()))
}

fn slos(loader: &mut Loader, node: &Node) -> Vec<Slo> {
    let NodeValue::Sequence(items) = &node.value else {
        loader.wrong_type(node, "slos", "a list", None);
        return Vec::new();
    };
    let mut slos = Vec::new();
    for item in items {
        let Some(entries) = loader.mapping(item, "slo", SLO_KEYS, item.span.clone()) else {
            continue;
        };
        let name = entries.get("name").and_then(|n| loader.string(n, "name"));
        let service = entries
            .get("service")
            .and_then(|n| loader.string(n, "service"));
        let route = entries.get("route").and_then(|n| loader.string(n, "route"));
        let latency_nanos = entries.get("latency").and_then(|n| latency(loader, n));
        let error_rate = entries
            .get("error_rate")
            .and_then(|n| loader.rate(n, "error_rate"));
        if latency_nanos.is_none()
            && error_rate.is_none()
            && entries.get("latency").is_none()
            && entries.get("error_rate").is_none()
        {
            loader.report(
                Diagnostic::new(
                    &codes::MISSING_KEY,
                    "an SLO needs `latency` or `error_rate`",
                    item.span.start..item.span.start + 1,
                    "in this objective",
                )
                .with_help("add `latency: 800ms` or `error_rate: 0.001`"),
            );
        }
        slos.push(Slo {
            name,
            service,
            route,
            latency_nanos,
            error_rate,
            span: item.span.clone(),
        });
    }
    slos
}

/// A duration literal (`800ms`) or a number of milliseconds.
fn latency(loader: &mut Loader, node: &Node) -> Option<Spanned<i64>> {
    let nanos = match scalar(node).map(crate::yaml::Scalar::resolve) {
        Some(Resolved::Int(ms)) => ms.checked_mul(1_000_000),
        Some(Resolved::String(text)) => {
            match crate::Lexer::new(text).collect::<Vec<_>>().as_slice() {
                [(_, crate::Token::Duration((nanos, _)), _)] => Some(*nanos),
                _ => None,
            }
        }
        _ => None,
    };
    match nanos {
        Some(nanos) if nanos > 0 => Some(Spanned::new(nanos, node.span.clone())),
        _ => {
            loader.wrong_type(
                node,
                "latency",
                "a positive duration such as `800ms` or `1.5s`",
                None,
            );
            None
        }
    }
}

type LintConfig = (Vec<SeverityOverride>, Vec<ProjectSuppression>);

fn lint(loader: &mut Loader, node: &Node, environments: &[&str]) -> LintConfig {
    let Some(entries) = loader.mapping(node, "lint", LINT_KEYS, node.span.clone()) else {
        return (Vec::new(), Vec::new());
    };
    let mut severity = Vec::new();
    if let Some(node) = entries.get("severity") {
        if let NodeValue::Mapping(pairs) = &node.value {
            for (key, value) in pairs {
                let Some(code) = code(loader, key) else {
                    continue;
                };
                let level = match scalar_str(value) {
                    Some("error") => Level::Error,
                    Some("warning") => Level::Warning,
                    Some("off") => Level::Off,
                    _ => {
                        loader.report(
                            Diagnostic::new(
                                &codes::INVALID_VALUE,
                                "a severity must be `error`, `warning` or `off`",
                                value.span.clone(),
                                "unknown severity",
                            )
                            .with_help("write e.g. `L324: off`"),
                        );
                        continue;
                    }
                };
                severity.push(SeverityOverride {
                    code,
                    level: Spanned::new(level, value.span.clone()),
                });
            }
        } else {
            loader.wrong_type(
                node,
                "severity",
                "a mapping from code to `error`, `warning` or `off`",
                None,
            );
        }
    }
    let mut suppress = Vec::new();
    if let Some(node) = entries.get("suppress") {
        if let NodeValue::Sequence(items) = &node.value {
            for item in items {
                let Some(fields) =
                    loader.mapping(item, "suppression", SUPPRESS_KEYS, item.span.clone())
                else {
                    continue;
                };
                let code = if let Some(key) = fields.get("code") {
                    code(loader, key)
                } else {
                    loader.report(Diagnostic::new(
                        &codes::MISSING_KEY,
                        "a suppression needs a `code`",
                        item.span.start..item.span.start + 1,
                        "in this entry",
                    ));
                    None
                };
                let environment = fields
                    .get("environment")
                    .and_then(|n| loader.string(n, "environment"));
                if let Some(environment) = &environment {
                    check_environment(loader, environments, environment, "environment");
                }
                let condition = fields
                    .get("condition")
                    .and_then(|n| loader.string(n, "condition"));
                let reason = match fields
                    .get("reason")
                    .and_then(|n| loader.string(n, "reason"))
                {
                    Some(reason) if !reason.value.trim().is_empty() => Some(reason),
                    _ => {
                        loader.report(
                            Diagnostic::new(
                                &codes::MISSING_KEY,
                                "a suppression needs a `reason`",
                                item.span.start..item.span.start + 1,
                                "in this entry",
                            )
                            .with_help("say why the finding is acceptable; reviewers read it"),
                        );
                        None
                    }
                };
                if let (Some(code), Some(reason)) = (code, reason) {
                    suppress.push(ProjectSuppression {
                        code,
                        environment,
                        condition,
                        reason,
                        span: item.span.clone(),
                    });
                }
            }
        } else {
            loader.wrong_type(node, "suppress", "a list of `{code, reason}` entries", None);
        }
    }
    (severity, suppress)
}

fn code(loader: &mut Loader, node: &Node) -> Option<&'static Code> {
    let written = scalar_str(node)?;
    if let Some(code) = crate::find_code(written) {
        return Some(code);
    }
    let names = crate::REGISTRY
        .iter()
        .flat_map(|code| [code.code, code.name]);
    let help = did_you_mean(written, names).map_or_else(
        || "use a code from `cpl explain --list`".to_owned(),
        |c| format!("did you mean `{c}`?"),
    );
    loader.report(
        Diagnostic::new(
            &codes::INVALID_VALUE,
            format!("unknown diagnostic code `{written}`"),
            node.span.clone(),
            "not a code",
        )
        .with_help(help),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_project_loads() {
        let loaded = load_project(
            "version: 1\nenvironments:\n  prod: prod.yaml\n  staging: staging.yaml\nreference: staging\ntenants:\n  expected: [acme, globex]\nparity:\n  base_rate_ratio: 3\nslos:\n  - name: checkout\n    service: payments\n    latency: 800ms\n    error_rate: 0.001\nlint:\n  severity:\n    W114: off\n  suppress:\n    - code: unknown-field\n      environment: prod\n      reason: legacy\n",
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let project = loaded.project.expect("project");
        assert_eq!(project.environments.len(), 2);
        assert_eq!(
            project.slos[0].latency_nanos.as_ref().map(|l| l.value),
            Some(800_000_000)
        );
        assert_eq!(project.severity[0].level.value, Level::Off);
        assert_eq!(project.suppress[0].code.code, "E113");
    }

    #[test]
    fn mistakes_are_located() {
        let loaded = load_project("environments:\n  prod: prod.yaml\nreferense: prod\nlint:\n  suppress:\n    - code: L999\n      environment: stagin\n");
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.code).collect();
        assert_eq!(
            codes,
            ["E202", "E204", "E209", "E209"],
            "{:?}",
            loaded.diagnostics
        );
    }
}
