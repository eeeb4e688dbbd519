//! `cpl scan`: every sampler setting in a codebase and its manifests, and what
//! each service really samples in each environment.
//!
//! Sampling is rarely configured in one file. It is spread over SDK code in
//! several languages, environment variables in Kubernetes manifests, Helm
//! values, kustomize overlays, compose and `.env` files, the OpenTelemetry
//! Operator's `Instrumentation` resources, declarative SDK config files,
//! collector configs, Jaeger strategies and CPL/clarvynn policies. This crate
//! finds them all, resolves precedence the way each SDK does, and reports
//! drift between environments and services (spec/scan.md;
//! `../shared/reference/sampler-settings-scan.md` is the research behind it).
//!
//! - [`model`]: the vocabulary every layer shares: positions, SDK languages,
//!   sampler trees and ratios;
//! - [`code`]: SDK code read with tree-sitter (Go, Python, Java,
//!   JavaScript/TypeScript, C#);
//! - [`walk`]: which files are read; [`envfile`]: `.env` and interpolation;
//!   [`read`]: one reader per kind of file; [`context`]: environments, tenants and
//!   the project file; [`sdk`]: how each SDK reads the env values; [`resolve`]:
//!   precedence; [`findings`]: the findings; [`report`]: the JSON report.
//!
//! Dependencies point one way: the CLI uses this crate; it reads no process
//! environment (values come only from the scanned files) and prints nothing.

pub mod code;
pub mod context;
pub mod envfile;
pub mod findings;
pub mod model;
pub mod read;
pub mod report;
pub mod resolve;
pub mod sdk;
pub mod setting;
pub mod source;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cpl_syntax::yaml::{self, YamlErrorKind};
use cpl_syntax::{codes, Diagnostic, Severity};
use rayon::prelude::*;

use crate::code::{CodeFinding, CodeFindingKind};
use crate::context::{canonical_service, Context, Vars};
use crate::envfile::parse_env_file;
use crate::findings::{Findings, ServiceView};
use crate::model::{Language, Location, Ratio, Sampler};
use crate::read::kustomize::{self, PatchRef};
use crate::read::{parent, pipeline};
use crate::report::{
    Environments, Finding, Report, Risk, Role, ServiceEnvironment, ServiceReport, Summary,
    REPORT_VERSION,
};
use crate::setting::{Layer, Setting, Value, Var};
use crate::source::{Read, SourceFile};
use crate::walk::{read_text, FileKind, Found, Skipped};

pub use crate::report::report_schema;

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The project file (`--project`); else `cpl.yaml` in the first path, if any.
    pub project: Option<PathBuf>,
}

/// A finished scan: the report, and the text of every file a finding points into.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The report.
    pub report: Report,
    /// File texts by report path, for rendering findings with their source.
    pub sources: BTreeMap<String, String>,
}

/// Why a scan could not run (exit status 2).
#[derive(Debug, Clone)]
pub enum ScanError {
    /// A path to scan does not exist or cannot be read.
    Path {
        /// The path as given.
        path: String,
        /// Why.
        message: String,
    },
    /// The project file cannot be read, or has errors.
    Project {
        /// Its path.
        path: String,
        /// Its text (empty when unreadable).
        source: String,
        /// The errors (empty when unreadable).
        diagnostics: Vec<Diagnostic>,
        /// Why, when it could not be read.
        message: Option<String>,
    },
}

/// Scans `paths` with the code scanner of [`code`].
pub fn scan(paths: &[PathBuf], options: &Options) -> Result<Scan, ScanError> {
    scan_with(paths, options, &code::scan_source)
}

/// The code scanner's signature. It runs on several threads at once (one file each).
pub type CodeScanner<'a> = dyn Fn(&str, Language, &[u8]) -> Vec<CodeFinding> + Sync + 'a;

/// Scans `paths`, reading SDK source with `code_scanner`.
pub fn scan_with(
    paths: &[PathBuf],
    options: &Options,
    code_scanner: &CodeScanner<'_>,
) -> Result<Scan, ScanError> {
    let mut skipped = Skipped::default();
    let context = project_context(paths, options)?;
    let mut found: Vec<Found> = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(ScanError::Path {
                path: path.display().to_string(),
                message: "no such file or directory".into(),
            });
        }
        let prefix = if paths.len() > 1 {
            path.display().to_string().trim_end_matches('/').to_owned()
        } else {
            String::new()
        };
        found.extend(walk::walk(path, &prefix, &mut skipped));
    }
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for file in &found {
        if let Some(text) = read_text(file, &mut skipped) {
            texts.insert(file.path.clone(), text);
        }
    }
    let mut scanner = Scanner {
        context,
        texts: &texts,
        settings: Vec::new(),
        homes: Vec::new(),
        findings: Findings::default(),
        skipped,
        patch_refs: BTreeMap::new(),
        assigned: BTreeMap::new(),
    };
    scanner.read_all(&found, code_scanner);
    let Scanner {
        context,
        mut settings,
        homes,
        mut findings,
        skipped,
        assigned,
        ..
    } = scanner;
    settle_code_defaults(&mut settings, &assigned);
    name_services(&mut settings, &homes);
    settings.sort_by(|a, b| a.location.cmp(&b.location).then_with(|| a.key.cmp(&b.key)));

    let (environment_names, environment_source) = environments(&context, &settings);
    let services = service_names(&settings);
    let mut views = Vec::new();
    for name in &services {
        let own: Vec<&Setting> = settings
            .iter()
            .filter(|s| s.service.as_deref() == Some(name))
            .collect();
        let Some(anchor) = own.first().copied() else {
            continue;
        };
        let everywhere = own
            .iter()
            .any(|s| s.environment.is_none() && s.tenant.is_none());
        let language = language_of(&own);
        let role = role(&context, name);
        let mut environments = Vec::new();
        let mut tenants = Vec::new();
        for environment in &environment_names {
            let present = everywhere
                || own
                    .iter()
                    .any(|s| s.environment.as_deref() == Some(environment));
            if !present {
                continue;
            }
            environments.push((
                environment.clone(),
                resolve::resolve(&settings, name, environment, None, language),
            ));
            let tenant_names: BTreeSet<&str> = settings
                .iter()
                .filter_map(|s| s.tenant.as_deref())
                .collect();
            for tenant in tenant_names {
                let applies = settings.iter().any(|s| {
                    s.tenant.as_deref() == Some(tenant)
                        && (s.environment.is_none()
                            || s.environment.as_deref() == Some(environment))
                        && (s.service.is_none() || s.service.as_deref() == Some(name))
                });
                if applies {
                    tenants.push((
                        tenant.to_owned(),
                        environment.clone(),
                        resolve::resolve(&settings, name, environment, Some(tenant), language),
                    ));
                }
            }
        }
        views.push(ServiceView {
            name: name.clone(),
            role,
            language,
            environments,
            tenants,
            anchor,
        });
    }
    let expected = context
        .project
        .as_ref()
        .map(|p| p.expected_tenants.clone())
        .unwrap_or_default();
    findings::service_findings(&views, &expected, &mut findings);
    let expected_at: Vec<(Location, std::ops::Range<usize>)> =
        match (&context.project, &context.project_file) {
            (Some(project), Some((path, text))) => {
                let lines = cpl_syntax::LineIndex::new(text);
                project
                    .expected_spans
                    .iter()
                    .map(|span| {
                        let (line, column) = lines.line_column(text, span.start);
                        (
                            Location {
                                path: path.clone(),
                                line: u32::try_from(line).unwrap_or(u32::MAX),
                                column: u32::try_from(column).unwrap_or(u32::MAX),
                            },
                            span.clone(),
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
    findings::missing_tenants(
        &settings,
        &environment_names,
        &expected,
        &expected_at,
        &mut findings,
    );
    findings::operator_findings(&settings, &mut findings);
    let findings = findings.into_sorted(&environment_names, environment_source != "none");

    let service_reports: Vec<ServiceReport> = views
        .iter()
        .map(|view| ServiceReport {
            name: view.name.clone(),
            role: view.role.0,
            role_reason: view.role.1.clone(),
            language: view.language,
            environments: view
                .environments
                .iter()
                .map(|(environment, r)| ServiceEnvironment {
                    environment: environment.clone(),
                    layers: r.layers(),
                    sampler: r.sampler.clone(),
                    sampler_text: sdk::describe(&r.sampler),
                    root_probability: r.probability.clone(),
                    decided_by: r.decider_record(),
                    propagators: r.propagators_record(),
                    shadowed: r.shadowed_records(),
                    sdk_disabled: r.disabled.is_some(),
                    jaeger_strategy: r.jaeger.map(|s| s.location.clone()),
                    base_rate: r.base_rate.and_then(|s| match s.value {
                        Value::Probability { value } => Some(value),
                        _ => None,
                    }),
                })
                .collect(),
        })
        .collect();
    let mut summary = Summary {
        services: service_reports.len(),
        settings: settings.len(),
        files_read: texts.len(),
        ..Summary::default()
    };
    for finding in &findings {
        *summary
            .findings_by_risk
            .entry(finding.risk.as_str().to_owned())
            .or_default() += 1;
        if finding.code == codes::SAMPLING_DRIFT.code {
            *summary
                .drift_by_risk
                .entry(finding.risk.as_str().to_owned())
                .or_default() += 1;
        }
    }
    let project_text = context
        .project_file
        .as_ref()
        .map(|(path, text)| (path.as_str(), text.as_str()));
    let sources = findings
        .iter()
        .filter_map(|f| {
            let text = texts
                .get(&f.location.path)
                .map(String::as_str)
                .or_else(|| {
                    project_text
                        .filter(|(path, _)| *path == f.location.path)
                        .map(|(_, text)| text)
                })?;
            Some((f.location.path.clone(), text.to_owned()))
        })
        .collect();
    let report = Report {
        version: REPORT_VERSION,
        roots: paths.iter().map(|p| p.display().to_string()).collect(),
        environments: Environments {
            names: environment_names,
            source: environment_source,
        },
        services: service_reports,
        settings,
        findings,
        skipped,
        summary,
    };
    Ok(Scan { report, sources })
}

/// Loads the project file, if any, and checks it with cpl-syntax's loader.
fn project_context(paths: &[PathBuf], options: &Options) -> Result<Context, ScanError> {
    let first = paths
        .first()
        .map_or_else(|| PathBuf::from("."), Clone::clone);
    let project_path = options.project.clone().or_else(|| {
        let candidate = first.join("cpl.yaml");
        (first.is_dir() && candidate.is_file()).then_some(candidate)
    });
    let Some(project_path) = project_path else {
        return Ok(Context::default());
    };
    let display = project_path.display().to_string();
    let source = std::fs::read_to_string(&project_path).map_err(|error| ScanError::Project {
        path: display.clone(),
        source: String::new(),
        diagnostics: Vec::new(),
        message: Some(error.to_string()),
    })?;
    let loaded = cpl_syntax::load_project(&source);
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(ScanError::Project {
            path: display,
            source,
            diagnostics: errors,
            message: None,
        });
    }
    let project = context::read_project(&source).map_err(|message| ScanError::Project {
        path: display.clone(),
        source: source.clone(),
        diagnostics: Vec::new(),
        message: Some(message),
    })?;
    let relative_to_first = |path: &Path| -> Option<String> {
        let path = path.canonicalize().ok()?;
        let root = first.canonicalize().ok()?;
        let relative = path.strip_prefix(root).ok()?;
        Some(
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
        )
    };
    let project_dir = project_path
        .parent()
        .and_then(relative_to_first)
        .unwrap_or_default();
    // Named as the walk names files under the first path, else as given.
    let report_path = relative_to_first(&project_path).map_or_else(
        || display.clone(),
        |relative| {
            if paths.len() > 1 {
                format!(
                    "{}/{relative}",
                    first.display().to_string().trim_end_matches('/')
                )
            } else {
                relative
            }
        },
    );
    Ok(Context {
        project: Some(project),
        project_dir,
        project_file: Some((report_path, source)),
    })
}

struct Scanner<'t> {
    context: Context,
    texts: &'t BTreeMap<String, String>,
    settings: Vec<Setting>,
    homes: Vec<(String, String)>,
    findings: Findings,
    skipped: Skipped,
    patch_refs: BTreeMap<String, Vec<PatchRef>>,
    /// Every environment variable the scanned files set: name -> values (`None`:
    /// unresolved).
    assigned: BTreeMap<String, Vec<Option<String>>>,
}

impl Scanner<'_> {
    fn source_file<'a>(&self, path: &'a str, text: &'a str) -> SourceFile<'a> {
        SourceFile::new(
            path,
            text,
            self.context.environment(path),
            self.context.tenant(path),
        )
    }

    fn read_all(&mut self, found: &[Found], code_scanner: &CodeScanner<'_>) {
        let texts = self.texts;
        // `.env` first: compose files interpolate from the one beside them.
        let mut vars_by_dir: BTreeMap<String, Vars> = BTreeMap::new();
        for file in found.iter().filter(|f| f.kind == FileKind::Dotenv) {
            let Some(text) = texts.get(&file.path) else {
                continue;
            };
            let source = self.source_file(&file.path, text);
            let lines = parse_env_file(text, &Vars::new());
            let mut read = Read::default();
            for line in &lines {
                read.settings.extend(source.env_settings(
                    &line.key,
                    &line.value,
                    &line.raw,
                    line.span.clone(),
                    Layer::Dotenv,
                    None,
                ));
            }
            if file.path.rsplit('/').next() == Some(".env") {
                vars_by_dir.insert(
                    parent(&file.path).to_owned(),
                    lines.into_iter().map(|l| (l.key, l.value.text)).collect(),
                );
            }
            self.absorb(&source, read);
        }
        // Kustomizations next: the patch files they name are read in their environment.
        let mut patch_refs: BTreeMap<String, Vec<PatchRef>> = BTreeMap::new();
        for file in found
            .iter()
            .filter(|f| f.kind == FileKind::Yaml && kustomize::is_kustomization(&f.path))
        {
            let Some(text) = texts.get(&file.path) else {
                continue;
            };
            let (root, _) = yaml::parse(text);
            let Some(root) = root else { continue };
            let environment = self.context.environment(&file.path);
            for patch in kustomize::patch_refs(&file.path, environment.as_deref(), &root) {
                let refs = patch_refs.entry(patch.file.clone()).or_default();
                if !refs.contains(&patch) {
                    refs.push(patch);
                }
            }
        }
        self.patch_refs = patch_refs;
        // SDK source is parsed on every core (tree-sitter is the costly step); the
        // results are taken in below in walk order, so the output does not depend on
        // the number of threads.
        let code_files: Vec<(&str, Language, &str)> = found
            .iter()
            .filter_map(|f| match f.kind {
                FileKind::Code(language) => texts
                    .get(&f.path)
                    .map(|t| (f.path.as_str(), language, t.as_str())),
                _ => None,
            })
            .collect();
        let mut parsed: BTreeMap<&str, Vec<CodeFinding>> = code_files
            .par_iter()
            .map(|(path, language, text)| (*path, code_scanner(path, *language, text.as_bytes())))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        for file in found {
            let Some(text) = texts.get(&file.path) else {
                continue;
            };
            match file.kind {
                FileKind::Dotenv => {}
                FileKind::Yaml => self.read_yaml(&file.path, text, &vars_by_dir),
                FileKind::Json(named) => {
                    let source = self.source_file(&file.path, text);
                    let mut read = Read::default();
                    pipeline::read_jaeger(&source, &mut read, named);
                    self.absorb(&source, read);
                }
                FileKind::Dockerfile => {
                    let source = self.source_file(&file.path, text);
                    let mut read = Read::default();
                    read::dockerfile::read(
                        &source,
                        &format!("dir:{}", parent(&file.path)),
                        &mut read,
                    );
                    self.absorb(&source, read);
                }
                FileKind::Code(_) => {
                    let findings = parsed.remove(file.path.as_str()).unwrap_or_default();
                    self.read_code(&file.path, text, findings);
                }
            }
        }
    }

    fn read_yaml(&mut self, path: &str, text: &str, vars_by_dir: &BTreeMap<String, Vars>) {
        if text.contains("{{") {
            self.skipped.templates += 1;
            return;
        }
        let source = self.source_file(path, text);
        let (mut documents, errors) = yaml::parse_documents(text);
        if documents.is_empty() && !errors.is_empty() {
            if let Some(repaired) = repair_flow_closers(text) {
                let (again, again_errors) = yaml::parse_documents(&repaired);
                if again_errors.is_empty() || !again.is_empty() {
                    documents = again;
                }
            }
        }
        let mut read = Read::default();
        if documents.is_empty() {
            if let Some(error) = errors
                .iter()
                .find(|e| !matches!(e.kind, YamlErrorKind::DuplicateKey { .. }))
            {
                let hostile = matches!(
                    error.kind,
                    YamlErrorKind::AliasLimit | YamlErrorKind::TooDeep
                );
                let name = path.rsplit('/').next().unwrap_or(path);
                let relevant = hostile
                    || read::kube::is_values(path)
                    || name.starts_with("compose")
                    || name.starts_with("docker-compose")
                    || name.starts_with("kustomization")
                    || text.contains("OTEL_")
                    || text.contains("sampler");
                if relevant {
                    read.diagnostics.push(Diagnostic::new(
                        &codes::SCAN_INVALID_YAML,
                        format!("the file cannot be read as YAML: {}", error.message),
                        error.span.clone(),
                        "here",
                    ));
                }
            }
            self.absorb(&source, read);
            return;
        }
        if let Some(refs) = self.patch_refs.get(path).cloned() {
            for patch in refs {
                let environment = source.environment.clone().or(patch.environment);
                let file = SourceFile::new(path, text, environment, source.tenant.clone());
                let mut read = Read::default();
                kustomize::read_patch(&file, &documents, patch.target.as_ref(), &mut read);
                self.absorb(&file, read);
            }
            return;
        }
        let first = &documents[0];
        if documents.len() == 1 && kustomize::is_kustomization(path) {
            kustomize::read_inline(&source, first, &mut read);
            self.absorb(&source, read);
            return;
        }
        if documents.len() == 1 && read::compose::is_compose(path, first) {
            let vars = vars_by_dir.get(parent(path)).cloned().unwrap_or_default();
            let texts = self.texts;
            let open = |p: &str| texts.get(p).cloned();
            let read = read::compose::read(&source, first, &vars, &open);
            self.absorb(&source, read);
            return;
        }
        for document in &documents {
            if read::kube::is_resource(document) {
                read::kube::read(&source, document, &mut read);
            } else if read::declarative::is_declarative(document) {
                read::declarative::read(&source, document, &mut read);
            } else if pipeline::is_collector(document) {
                pipeline::read_collector(&source, document, &mut read);
            } else if documents.len() == 1 && read::policy::is_policy(document) {
                read::policy::read(&source, &mut read);
            } else if read::kube::is_values(path) {
                read::kube::read_values(&source, document, &mut read);
            }
        }
        self.absorb(&source, read);
    }

    fn read_code(&mut self, path: &str, text: &str, findings: Vec<CodeFinding>) {
        let source = self.source_file(path, text);
        let placeholder = format!("dir:{}", parent(path));
        let mut read = Read::default();
        for finding in findings {
            let span = offset_of(text, finding.location.line, finding.location.column);
            let span = span..(span + 1).min(text.len());
            let (key, var, value) = match finding.kind {
                CodeFindingKind::SamplerInstalled { sampler } => {
                    ("sampler", None, Value::Sampler { sampler })
                }
                CodeFindingKind::TracerProviderWithoutSampler => {
                    ("tracer provider", None, Value::Present)
                }
                CodeFindingKind::PropagatorSet { propagators } => (
                    "propagator",
                    Some(Var::OtelPropagators),
                    Value::Text {
                        text: propagators.join(","),
                    },
                ),
                CodeFindingKind::ServiceName { name } => (
                    "service.name",
                    Some(Var::OtelServiceName),
                    Value::Text { text: name },
                ),
            };
            let mut setting =
                source.setting(span, Layer::Code, key, var, value, Some(&placeholder));
            setting.location = finding.location;
            setting.language = Some(finding.language);
            read.settings.push(setting);
        }
        self.absorb(&source, read);
    }

    /// Takes a file's settings and diagnostics in.
    fn absorb(&mut self, source: &SourceFile<'_>, read: Read) {
        for (name, value) in source.assigned.take() {
            self.assigned.entry(name).or_default().push(value);
        }
        self.settings.extend(read.settings);
        self.homes.extend(read.homes);
        for diagnostic in read.diagnostics {
            // A patch the scan cannot apply is a note (spec/scan.md, L615); the rest are
            // input errors.
            let risk = if diagnostic.code.code == codes::UNRESOLVED_SAMPLER_VALUE.code {
                Risk::Low
            } else {
                Risk::High
            };
            self.findings.push_finding(Finding {
                code: diagnostic.code.code.to_owned(),
                name: diagnostic.code.name.to_owned(),
                risk,
                severity: risk.severity().as_str().to_owned(),
                message: diagnostic.message.clone(),
                location: source.location(diagnostic.span.start),
                help: diagnostic.help.clone(),
                service: None,
                environment: source.environment.clone(),
                environments: source.environment.clone().into_iter().collect(),
                witnesses: Vec::new(),
                span: diagnostic.span.clone(),
            });
        }
    }
}

/// Go's YAML library (docker compose, kubectl) accepts a flow collection whose closing
/// bracket sits at the parent key's indentation (`command: [` ... `    ]`); YAML 1.2
/// parsers refuse it. The repair moves such a line's brackets to the end of the line
/// before it, keeping every other byte where it was (so positions stay exact).
/// `None` when there is nothing to repair.
fn repair_flow_closers(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let closers = !trimmed.is_empty() && trimmed.chars().all(|c| c == ']' || c == '}');
        let previous_ok = i > 0
            && !lines[i - 1].contains('#')
            && lines[i - 1].ends_with('\n')
            && !lines[i - 1].ends_with("\r\n");
        if closers && previous_ok && out.ends_with('\n') {
            out.pop();
            out.push_str(trimmed);
            out.push('\n');
            out.push_str(&content[..content.len() - trimmed.len()]);
            out.push_str(&line[content.len()..]);
            changed = true;
        } else {
            out.push_str(line);
        }
    }
    changed.then_some(out)
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or("");
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.len(), |(i, _)| i);
    (start + within).min(text.len())
}

/// A code ratio that is a variable's default (`os.getenv("X", "0.1")`) stays the
/// default when no scanned file sets the variable, or every one sets it to the same
/// number; otherwise it is `unresolved(X)` (spec/scan.md, "Variables").
fn settle_code_defaults(
    settings: &mut [Setting],
    assigned: &BTreeMap<String, Vec<Option<String>>>,
) {
    fn settle(sampler: &mut Sampler, assigned: &BTreeMap<String, Vec<Option<String>>>) {
        match sampler {
            Sampler::TraceIdRatio { ratio } | Sampler::Probability { ratio } => {
                if let Ratio::Default { variable, value } = ratio {
                    let differs = assigned.get(variable.as_str()).is_some_and(|values| {
                        values.iter().any(|v| {
                            v.as_deref()
                                .and_then(|t| t.trim().parse::<f64>().ok())
                                .is_none_or(|n| (n - *value).abs() > f64::EPSILON)
                        })
                    });
                    if differs {
                        *ratio = Ratio::Unresolved(variable.clone());
                    }
                }
            }
            Sampler::ParentBased {
                root,
                remote_parent_sampled,
                remote_parent_not_sampled,
                local_parent_sampled,
                local_parent_not_sampled,
            } => {
                settle(root, assigned);
                for s in [
                    remote_parent_sampled,
                    remote_parent_not_sampled,
                    local_parent_sampled,
                    local_parent_not_sampled,
                ]
                .into_iter()
                .flatten()
                {
                    settle(s, assigned);
                }
            }
            _ => {}
        }
    }
    for setting in settings.iter_mut().filter(|s| s.layer == Layer::Code) {
        if let Value::Sampler { sampler } = &mut setting.value {
            settle(sampler, assigned);
        }
    }
}

/// Gives every setting its service's one name: `OTEL_SERVICE_NAME` renames, directory
/// placeholders (`dir:src/ad`) of code and Dockerfiles become the service whose home
/// holds them, and names that differ only in case, `_`/`-` or a `-service` suffix merge.
fn name_services(settings: &mut [Setting], homes: &[(String, String)]) {
    // OTEL_SERVICE_NAME from code (per directory) and from deployments (per service).
    let mut dir_names: BTreeMap<String, String> = BTreeMap::new();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for setting in settings.iter() {
        let (Some(service), Some(Var::OtelServiceName), Some(name)) =
            (&setting.service, setting.var, setting.text())
        else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        if let Some(dir) = service.strip_prefix("dir:") {
            dir_names
                .entry(dir.to_owned())
                .or_insert_with(|| name.to_owned());
        } else if setting.layer.is_container_env() {
            renames
                .entry(canonical_service(service))
                .or_insert_with(|| name.to_owned());
        }
    }
    let known: BTreeSet<String> = settings
        .iter()
        .filter_map(|s| s.service.clone())
        .filter(|s| !s.starts_with("dir:"))
        .collect();
    let by_canonical: BTreeMap<String, String> = known
        .iter()
        .map(|name| (canonical_service(name), name.clone()))
        .collect();
    let place = |dir: &str| -> String {
        let mut d = dir;
        loop {
            if let Some(name) = dir_names.get(d) {
                return name.clone();
            }
            if d.is_empty() {
                break;
            }
            d = parent(d);
        }
        if let Some((service, _)) = homes
            .iter()
            .filter(|(_, home)| {
                !home.is_empty() && (dir == home || dir.starts_with(&format!("{home}/")))
            })
            .max_by_key(|(_, home)| home.len())
        {
            return service.clone();
        }
        let parts: Vec<&str> = dir.split('/').collect();
        let component = parts
            .iter()
            .position(|p| matches!(*p, "src" | "services" | "cmd" | "apps"))
            .and_then(|at| parts.get(at + 1))
            .or_else(|| parts.last())
            .copied()
            .filter(|c| !c.is_empty())
            .unwrap_or("(root)");
        by_canonical
            .get(&canonical_service(component))
            .cloned()
            .unwrap_or_else(|| component.to_owned())
    };
    for setting in settings.iter_mut() {
        let Some(service) = setting.service.clone() else {
            continue;
        };
        let named = service
            .strip_prefix("dir:")
            .map_or_else(|| service.clone(), &place);
        let final_name = renames
            .get(&canonical_service(&named))
            .cloned()
            .unwrap_or(named);
        setting.service = Some(final_name);
    }
    // One spelling per canonical name: the first in sorted order.
    let mut spelling: BTreeMap<String, String> = BTreeMap::new();
    let mut all: Vec<String> = settings.iter().filter_map(|s| s.service.clone()).collect();
    all.sort();
    for name in all {
        spelling.entry(canonical_service(&name)).or_insert(name);
    }
    for setting in settings.iter_mut() {
        if let Some(service) = &setting.service {
            if let Some(name) = spelling.get(&canonical_service(service)) {
                setting.service = Some(name.clone());
            }
        }
    }
}

/// Layers whose services are services of the application (not pipeline stages).
fn defines_service(layer: Layer) -> bool {
    !matches!(
        layer,
        Layer::JaegerStrategy | Layer::Collector | Layer::Dotenv
    )
}

fn service_names(settings: &[Setting]) -> Vec<String> {
    let set: BTreeSet<String> = settings
        .iter()
        .filter(|s| defines_service(s.layer) && s.tenant.is_none())
        .filter_map(|s| s.service.clone())
        .collect();
    set.into_iter().collect()
}

fn environments(context: &Context, settings: &[Setting]) -> (Vec<String>, String) {
    if context.from_project() {
        return (context.project_environments(), "project".into());
    }
    let set: BTreeSet<String> = settings
        .iter()
        .filter_map(|s| s.environment.clone())
        .collect();
    if set.is_empty() {
        (vec!["default".into()], "none".into())
    } else {
        (set.into_iter().collect(), "inferred".into())
    }
}

fn language_of(settings: &[&Setting]) -> Option<Language> {
    let mut counts: BTreeMap<Language, usize> = BTreeMap::new();
    for language in settings.iter().filter_map(|s| s.language) {
        *counts.entry(language).or_default() += 1;
    }
    if let Some((language, _)) = counts.into_iter().max_by_key(|(_, n)| *n) {
        return Some(language);
    }
    settings
        .iter()
        .any(|s| s.var == Some(Var::JavaAgent))
        .then_some(Language::Java)
}

const ENTRY_WORDS: &[&str] = &[
    "frontend",
    "gateway",
    "ingress",
    "proxy",
    "edge",
    "load-generator",
    "loadgen",
];

fn role(context: &Context, name: &str) -> (Role, String) {
    if let Some(entry_points) = context
        .project
        .as_ref()
        .and_then(|p| p.entry_points.as_ref())
    {
        let canonical = canonical_service(name);
        return if entry_points
            .iter()
            .any(|e| canonical_service(e) == canonical)
        {
            (
                Role::EntryPoint,
                "listed in the project's `scan.entry_points`".into(),
            )
        } else {
            (
                Role::Internal,
                "not listed in the project's `scan.entry_points`".into(),
            )
        };
    }
    let lower = name.to_ascii_lowercase();
    match ENTRY_WORDS.iter().find(|word| lower.contains(*word)) {
        Some(word) => (
            Role::EntryPoint,
            format!(
                "assumed: the name contains `{word}` (no `scan.entry_points` in a project file)"
            ),
        ),
        None => (
            Role::Internal,
            "assumed: no entry-point word in the name (no `scan.entry_points` in a project file)"
                .into(),
        ),
    }
}

/// Whether `path` is a directory holding a project file (for the CLI's messages).
pub fn has_project(path: &Path) -> bool {
    path.join("cpl.yaml").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_closers_at_the_parent_indentation_are_read_as_compose_reads_them() {
        let text = "services:\n  a:\n    command: [\n      \"start\"\n    ]\n    image: x\n";
        assert!(
            yaml::parse_documents(text).0.is_empty(),
            "saphyr refuses it"
        );
        let repaired = repair_flow_closers(text).expect("repaired");
        assert_eq!(repaired.len(), text.len());
        assert_eq!(repaired.find("image"), text.find("image"));
        let (documents, errors) = yaml::parse_documents(&repaired);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(documents.len(), 1);
    }

    #[test]
    fn code_positions_become_byte_offsets() {
        assert_eq!(offset_of("ab\ncé\nx", 2, 2), 4);
        assert_eq!(offset_of("ab\ncé\nx", 3, 1), 7);
        assert_eq!(offset_of("ab", 9, 9), 2);
    }
}
