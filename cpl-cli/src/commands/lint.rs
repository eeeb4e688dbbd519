//! `cpl lint PATH...`: every mistake in the policies, before deploy.
//!
//! Each policy is loaded (syntax and schema), then checked by cpl-check (types, field
//! names, thresholds, logic, missing values, portability). With a project file
//! (`--project`, or a `cpl.yaml` in a linted directory, spec/project.md) the
//! environments' policies are also compared with each other (parity), and the project's
//! severity overrides and suppressions apply.
//!
//! A collector config (recognised by content, spec/targets/otel-collector.md §1.1) is
//! read as the collector would read it and linted with `cpl_collector::lint` (§7).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use cpl_check::parity::{check_parity, EnvironmentPolicy};
use cpl_check::{check_policy, CheckOptions, Target};
use cpl_syntax::{
    codes, load_policy_bytes, load_project, Diagnostic, Level, Policy, Project, Severity,
};

use cpl_syntax::yaml::NodeValue;

use crate::input::{read_yaml_inputs, InputError, STDIN_NAME};
use crate::render::{self, Counts, FileReport, Summary};
use crate::ExitStatus;

/// Output formats of `cpl lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Rendered diagnostics with source excerpts, on stderr.
    Human,
    /// One line per finding on stdout, `path:line:col: CODE message`.
    Concise,
    /// One JSON document on stdout.
    Json,
    /// A SARIF 2.1.0 log on stdout, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands on stdout: annotations on the pull request.
    Github,
}

/// What `--deny` turns into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Deny {
    /// Warnings fail the run (exit status 1) like errors.
    Warnings,
}

/// The runtime the policies are checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TargetArg {
    /// CPL's own evaluator.
    Cpl,
    /// clarvynn 0.3.1: also report what it rejects or evaluates differently.
    Clarvynn,
}

/// Find every mistake in policies before deploy: syntax, schema, types, field names,
/// thresholds, logic (unsatisfiable, always-true, shadowed and drop-before-keep rules),
/// missing values and, with a project file, environment and tenant parity.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Policy files or directories; `-` reads stdin. Directories are searched for the
    /// *.yaml and *.yml files that are policies, respecting .gitignore (spec/lint.md).
    /// Optional with `--project`, whose environments are linted anyway.
    #[arg(required_unless_present = "project", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Skip files in searched directories that match this gitignore-style glob
    /// (repeatable), e.g. `--exclude 'charts/**'`.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = render::ColorChoice::Auto, value_name = "WHEN")]
    color: render::ColorChoice,
    /// Make findings of this kind fail the run: `--deny warnings`.
    #[arg(long, value_enum, value_name = "KIND")]
    deny: Vec<Deny>,
    /// The runtime the policies are for.
    #[arg(long, value_enum, default_value_t = TargetArg::Cpl)]
    target: TargetArg,
    /// The project file (default: `cpl.yaml` in a linted directory).
    #[arg(long, value_name = "FILE")]
    project: Option<PathBuf>,
    /// With collector configs: lint only the processor `tail_sampling/NAME` (give `NAME`
    /// or the whole id); by default every `tail_sampling` processor is linted.
    #[arg(long, value_name = "NAME")]
    processor: Option<String>,
}

/// A linted file: what is shown, and what parity and suppression need.
struct Linted {
    report: FileReport,
    path: Option<PathBuf>,
    policy: Option<Policy>,
    environment: Option<String>,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let options = CheckOptions::for_target(match args.target {
        TargetArg::Cpl => Target::Cpl,
        TargetArg::Clarvynn => Target::Clarvynn,
    });
    let (inputs, mut read_errors) = read_yaml_inputs(&args.paths, &args.exclude);
    // The project: `--project`, else every `cpl.yaml` project file found in a linted
    // directory (spec/lint.md).
    let project_paths: Vec<PathBuf> = match &args.project {
        Some(project) => vec![project.clone()],
        None => inputs
            .iter()
            .filter(|input| {
                !input.explicit
                    && Path::new(&input.name).file_name() == Some(OsStr::new("cpl.yaml"))
                    && classify(&input.bytes) == YamlKind::Project
            })
            .map(|input| PathBuf::from(&input.name))
            .collect(),
    };
    let mut skipped = 0;
    let mut files: Vec<Linted> = Vec::new();
    for input in inputs {
        let is_project = project_paths
            .iter()
            .any(|project| same_file(Path::new(&input.name), project));
        if is_project {
            continue;
        }
        let kind = classify(&input.bytes);
        if kind == YamlKind::Collector {
            match lint_collector(&input.name, &input.bytes, args.processor.as_deref()) {
                // Found in a directory, and no `tail_sampling` in it: not ours.
                Ok((_, false)) if !input.explicit => skipped += 1,
                Ok((report, _)) => files.push(Linted {
                    report,
                    path: None,
                    policy: None,
                    environment: None,
                }),
                Err(error) => read_errors.push(error),
            }
            continue;
        }
        if !input.explicit && kind != YamlKind::Policy {
            skipped += 1;
            continue;
        }
        let path = (input.name != STDIN_NAME).then(|| PathBuf::from(&input.name));
        files.push(lint_policy(input.name, path, &input.bytes, &options));
    }

    for project_path in &project_paths {
        lint_project(project_path, &mut files, &mut read_errors, &options);
    }

    let reports: Vec<FileReport> = files.into_iter().map(|file| file.report).collect();
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let summary = Summary {
        files: reports.len(),
        counts: Counts::of(&reports),
        skipped,
        unreadable: read_errors.len(),
        deny_warnings,
    };
    let output = match args.format {
        Format::Human => render::human(&reports, &read_errors, &summary, args.color.stderr()),
        Format::Concise => render::concise(&reports, &read_errors, &summary),
        Format::Json => render::json(&reports, &read_errors),
        Format::Sarif => render::sarif(&reports, &read_errors),
        Format::Github => render::github(&reports, &read_errors),
    };
    if output.emit().is_err() {
        return ExitStatus::Failure;
    }

    let counts = summary.counts;
    if !read_errors.is_empty() {
        ExitStatus::Failure
    } else if counts.errors > 0 || (deny_warnings && counts.warnings > 0) {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

/// What a YAML file found in a directory is (spec/lint.md, "Which files are linted").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YamlKind {
    /// A policy: top-level `sampling` or `tenants`.
    Policy,
    /// A project file: top-level `environments`.
    Project,
    /// A collector config (spec/targets/otel-collector.md §1.1).
    Collector,
    /// A policy tests file (top-level `cases`), or YAML that is something else.
    Other,
}

/// Reads only the top-level keys; a file that is not YAML is a policy only when a line
/// starts with `sampling:` (then its E200 is worth reporting).
fn classify(bytes: &[u8]) -> YamlKind {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return YamlKind::Other;
    };
    if cpl_collector::config::recognise(text).is_some() {
        return YamlKind::Collector;
    }
    let (root, errors) = cpl_syntax::yaml::parse(text);
    let keys: Vec<&str> = match root.as_ref().map(|root| &root.value) {
        Some(NodeValue::Mapping(entries)) => entries
            .iter()
            .filter_map(|(key, _)| match &key.value {
                NodeValue::Scalar(scalar) => Some(scalar.text.as_str()),
                _ => None,
            })
            .collect(),
        _ if !errors.is_empty() => {
            let looks_like_policy = text
                .lines()
                .any(|line| line.trim_end().starts_with("sampling:"));
            return if looks_like_policy {
                YamlKind::Policy
            } else {
                YamlKind::Other
            };
        }
        _ => Vec::new(),
    };
    if keys.contains(&"environments") {
        YamlKind::Project
    } else if keys.contains(&"cases") {
        YamlKind::Other
    } else if keys
        .iter()
        .any(|key| matches!(*key, "sampling" | "tenants"))
    {
        YamlKind::Policy
    } else {
        YamlKind::Other
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Reads and lints one collector config: the collector's load-time checks, then the
/// lints of every processor (or of `--processor`), and whether the file has a
/// `tail_sampling` processor at all (a file found in a directory without one is not
/// ours); an error when `--processor` names no processor of the file.
fn lint_collector(
    name: &str,
    bytes: &[u8],
    processor: Option<&str>,
) -> Result<(FileReport, bool), InputError> {
    // `classify` recognised the file, so it is UTF-8.
    let source = String::from_utf8_lossy(bytes).into_owned();
    let file = cpl_collector::config::read(&source);
    if let Some(id) = processor {
        if !file.processors.is_empty() && file.processor(id).is_none() {
            let ids: Vec<String> = file
                .processors
                .iter()
                .map(|p| format!("`{}`", p.id))
                .collect();
            return Err(InputError {
                name: name.to_owned(),
                message: format!("no processor `{id}` here; it has {}", ids.join(", ")),
            });
        }
    }
    let found = !file.processors.is_empty();
    let mut diagnostics = file.diagnostics.clone();
    diagnostics.extend(cpl_collector::lint::lint_file(&source, &file, processor));
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let report = FileReport {
        name: name.to_owned(),
        source,
        diagnostics,
        suppressed: Vec::new(),
    };
    Ok((report, found))
}

/// Loads and checks one policy; inline suppressions apply to every finding.
fn lint_policy(
    name: String,
    path: Option<PathBuf>,
    bytes: &[u8],
    options: &CheckOptions,
) -> Linted {
    let loaded = load_policy_bytes(bytes);
    let mut diagnostics = loaded.diagnostics;
    let mut suppressed = loaded.suppressed;
    if let Some(policy) = &loaded.policy {
        for diagnostic in check_policy(policy, options) {
            match policy.suppression_for(&diagnostic) {
                Some(suppression) => {
                    suppressed.push((diagnostic, suppression.reason.value.clone()));
                }
                None => diagnostics.push(diagnostic),
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Linted {
        report: FileReport {
            name,
            // Invalid UTF-8 is reported by the loader; render against a lossy copy.
            source: String::from_utf8_lossy(bytes).into_owned(),
            diagnostics,
            suppressed,
        },
        path,
        // The project's name for the policy replaces this when it lists the file.
        environment: loaded
            .policy
            .as_ref()
            .and_then(Policy::namespace)
            .map(str::to_owned),
        policy: loaded.policy,
    }
}

/// Loads the project, lints every environment's policy, and adds parity findings.
fn lint_project(
    project_path: &Path,
    files: &mut Vec<Linted>,
    read_errors: &mut Vec<InputError>,
    options: &CheckOptions,
) {
    let name = project_path.display().to_string();
    let source = match std::fs::read(project_path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => {
            read_errors.push(InputError {
                name,
                message: error.to_string(),
            });
            return;
        }
    };
    let loaded = load_project(&source);
    let mut project_diagnostics = loaded.diagnostics;
    let base = project_path.parent().unwrap_or_else(|| Path::new("."));
    let mut environments: Vec<(usize, String)> = Vec::new();
    if let Some(project) = &loaded.project {
        for environment in &project.environments {
            let path = base.join(&environment.path.value);
            if same_file(&path, project_path) {
                project_diagnostics.push(
                    Diagnostic::new(
                        &codes::PROJECT_NAMES_ITSELF,
                        format!(
                            "environment `{}` names the project file itself",
                            environment.name.value
                        ),
                        environment.path.span.clone(),
                        "the project file",
                    )
                    .with_help("name the environment's policy file"),
                );
                continue;
            }
            let index = match files
                .iter()
                .position(|f| f.path.as_deref().is_some_and(|p| same_file(p, &path)))
            {
                Some(index) => index,
                None => match std::fs::read(&path) {
                    Ok(bytes) => {
                        files.push(lint_policy(
                            path.display().to_string(),
                            Some(path.clone()),
                            &bytes,
                            options,
                        ));
                        files.len() - 1
                    }
                    Err(error) => {
                        project_diagnostics.push(
                            Diagnostic::new(
                                &codes::MISSING_ENVIRONMENT_FILE,
                                format!(
                                    "cannot read the policy of environment `{}`: {}",
                                    environment.name.value,
                                    describe(&error)
                                ),
                                environment.path.span.clone(),
                                format!("`{}` from the project's folder", path.display()),
                            )
                            .with_help("paths are relative to the project file"),
                        );
                        continue;
                    }
                },
            };
            files[index].environment = Some(environment.name.value.clone());
            environments.push((index, environment.name.value.clone()));
        }
        parity(project, files, &environments);
    }
    project_diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    files.insert(
        0,
        Linted {
            report: FileReport {
                name,
                source,
                diagnostics: project_diagnostics,
                suppressed: Vec::new(),
            },
            path: Some(project_path.to_path_buf()),
            policy: None,
            environment: None,
        },
    );
    if let Some(project) = &loaded.project {
        apply_project_config(project, files);
    }
}

fn describe(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => error.to_string(),
    }
}

/// Adds parity findings to the environments' files. Environments whose policy has
/// errors are left out of the comparison (their errors are reported already).
fn parity(project: &Project, files: &mut [Linted], environments: &[(usize, String)]) {
    let usable: Vec<(usize, &str)> = environments
        .iter()
        .filter(|(index, _)| files[*index].policy.is_some())
        .map(|(index, name)| (*index, name.as_str()))
        .collect();
    let findings = {
        let policies: Vec<EnvironmentPolicy<'_>> = usable
            .iter()
            .filter_map(|(index, name)| {
                files[*index]
                    .policy
                    .as_ref()
                    .map(|policy| EnvironmentPolicy { name, policy })
            })
            .collect();
        check_parity(project, &policies)
    };
    for finding in findings {
        let index = usable[finding.environment].0;
        let file = &mut files[index];
        let suppressed = file
            .policy
            .as_ref()
            .is_some_and(|p| p.suppression_for(&finding.diagnostic).is_some());
        if !suppressed {
            file.report.diagnostics.push(finding.diagnostic);
        }
    }
    for (index, _) in &usable {
        files[*index]
            .report
            .diagnostics
            .sort_by_key(|d| (d.span.start, d.span.end));
    }
}

/// `lint.severity` and `lint.suppress` of the project, on every policy file.
fn apply_project_config(project: &Project, files: &mut [Linted]) {
    for file in files.iter_mut() {
        let Some(policy) = &file.policy else { continue };
        let environment = file.environment.as_deref();
        let mut accepted = Vec::new();
        file.report.diagnostics.retain_mut(|diagnostic| {
            let suppression = project.suppress.iter().find(|s| {
                s.code.code == diagnostic.code.code
                    && s.environment
                        .as_ref()
                        .is_none_or(|e| Some(e.value.as_str()) == environment)
                    && s.condition
                        .as_ref()
                        .is_none_or(|c| condition_holds(policy, &c.value, diagnostic))
            });
            if let Some(suppression) = suppression {
                accepted.push((diagnostic.clone(), suppression.reason.value.clone()));
                return false;
            }
            match project
                .severity
                .iter()
                .find(|o| o.code.code == diagnostic.code.code)
                .map(|o| o.level.value)
            {
                Some(Level::Off) => false,
                Some(Level::Error) => {
                    diagnostic.severity = Severity::Error;
                    true
                }
                Some(Level::Warning) => {
                    diagnostic.severity = Severity::Warning;
                    true
                }
                None => true,
            }
        });
        file.report.suppressed.extend(accepted);
    }
}

/// Whether `diagnostic` lies inside the condition named `name`.
fn condition_holds(policy: &Policy, name: &str, diagnostic: &Diagnostic) -> bool {
    let overrides = policy
        .tenants
        .iter()
        .flat_map(|t| &t.overrides)
        .flat_map(|o| &o.conditions);
    policy
        .sampling
        .conditions
        .iter()
        .chain(overrides)
        .filter(|c| c.name.value == name)
        .any(|c| c.span.start <= diagnostic.span.start && diagnostic.span.end <= c.span.end)
}
