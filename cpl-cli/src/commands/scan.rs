//! `cpl scan PATH...`: every sampler setting in a repository, what each service
//! samples in each environment, and the findings (spec/scan.md). The findings are
//! rendered by the renderers `cpl lint` uses.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cpl_scan::report::{Report, Risk};
use cpl_scan::{Options, Scan, ScanError};
use cpl_syntax::Severity;

use crate::render::{self, FileReport, HumanRenderer, Output};
use crate::ExitStatus;

/// Output formats of `cpl scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A table per service on stdout, rendered findings and a summary on stderr.
    Human,
    /// The audit report as one JSON document on stdout (schema: `cpl schema scan-report`).
    Json,
    /// The findings as a SARIF 2.1.0 log on stdout.
    Sarif,
    /// The findings as GitHub Actions workflow commands on stdout.
    Github,
}

/// Arguments of the subcommand (its help text is on `Command` in main.rs).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directories or files to scan (`.gitignore` is respected).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The project file naming environments, entry points and tenant files (default:
    /// `cpl.yaml` in the first PATH).
    #[arg(long, value_name = "FILE")]
    project: Option<PathBuf>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = render::ColorChoice::Auto)]
    color: render::ColorChoice,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let options = Options {
        project: args.project.clone(),
    };
    let scan = match cpl_scan::scan(&args.paths, &options) {
        Ok(scan) => scan,
        Err(error) => {
            render::write_stderr(&scan_error(&error, args.color.stderr()));
            return ExitStatus::Failure;
        }
    };
    let root = args.paths.first().filter(|_| args.paths.len() == 1);
    let output = match args.format {
        Format::Human => human(&scan, root.map(PathBuf::as_path), args.color.stderr()),
        Format::Json => Output {
            stdout: json(&scan.report),
            stderr: String::new(),
        },
        Format::Sarif => render::sarif(&file_reports(&scan, root.map(PathBuf::as_path)), &[]),
        Format::Github => render::github(&file_reports(&scan, root.map(PathBuf::as_path)), &[]),
    };
    if output.emit().is_err() {
        return ExitStatus::Failure;
    }
    if scan
        .report
        .findings
        .iter()
        .any(|f| f.risk.severity() == Severity::Error)
    {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

/// The report as JSON.
pub(crate) fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// The path a renderer shows: the report path under the scanned root.
fn display_path(root: Option<&Path>, path: &str) -> String {
    match root {
        Some(root) if root.is_dir() && root != Path::new(".") => {
            root.join(path).display().to_string()
        }
        _ => path.to_owned(),
    }
}

/// The findings grouped by file, for the renderers of `cpl lint`.
fn file_reports(scan: &Scan, root: Option<&Path>) -> Vec<FileReport> {
    let mut files: Vec<FileReport> = Vec::new();
    for finding in &scan.report.findings {
        let name = display_path(root, &finding.location.path);
        let diagnostic = finding.diagnostic();
        match files.iter_mut().find(|f| f.name == name) {
            Some(file) => file.diagnostics.push(diagnostic),
            None => files.push(FileReport {
                name,
                source: scan
                    .sources
                    .get(&finding.location.path)
                    .cloned()
                    .unwrap_or_default(),
                diagnostics: vec![diagnostic],
                suppressed: Vec::new(),
            }),
        }
    }
    files
}

/// The table a reviewer reads (stdout), then the findings and a summary (stderr).
fn human(scan: &Scan, root: Option<&Path>, colour: bool) -> Output {
    let report = &scan.report;
    let mut stdout = String::new();
    let _ = writeln!(
        stdout,
        "environments: {} ({})",
        report.environments.names.join(", "),
        match report.environments.source.as_str() {
            "project" => "from the project file",
            "inferred" => "inferred from path names",
            _ => "none named: one `default` environment",
        }
    );
    let mut rows = vec![[
        "service".to_owned(),
        "role".to_owned(),
        "env".to_owned(),
        "sampler".to_owned(),
        "root p".to_owned(),
        "decided by".to_owned(),
    ]];
    for service in &report.services {
        for env in &service.environments {
            let role = match service.role {
                cpl_scan::report::Role::EntryPoint => "entry point",
                cpl_scan::report::Role::Internal => "internal",
            };
            let probability = match &env.root_probability {
                cpl_scan::sdk::Probability::Known { value } if env.sdk_disabled => {
                    format!("{value} (SDK disabled)")
                }
                cpl_scan::sdk::Probability::Known { value } => format!("{value}"),
                cpl_scan::sdk::Probability::Dynamic { .. } => "dynamic".to_owned(),
                cpl_scan::sdk::Probability::Unknown { reason } => format!("? {reason}"),
            };
            let decided = match &env.decided_by.location {
                Some(location) => format!(
                    "{} {}:{}:{}",
                    env.decided_by.layer.map_or("", |l| l.as_str()),
                    location.path,
                    location.line,
                    location.column
                ),
                None => "SDK default".to_owned(),
            };
            rows.push([
                service.name.clone(),
                role.to_owned(),
                env.environment.clone(),
                env.sampler_text.clone(),
                probability,
                decided,
            ]);
        }
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        stdout.push_str(line.trim_end());
        stdout.push('\n');
    }
    let renderer = HumanRenderer::new(colour);
    let mut stderr = String::new();
    for file in file_reports(scan, root) {
        for diagnostic in &file.diagnostics {
            stderr.push_str(&renderer.render(&file.name, &file.source, diagnostic));
        }
    }
    let count = |risk: Risk| report.findings.iter().filter(|f| f.risk == risk).count();
    let skipped = report.skipped;
    let _ = writeln!(
        stderr,
        "scanned {} files: {} services, {} settings; findings: {} critical, {} high, {} medium, {} low, {} info",
        report.summary.files_read,
        report.summary.services,
        report.summary.settings,
        count(Risk::Critical),
        count(Risk::High),
        count(Risk::Medium),
        count(Risk::Low),
        count(Risk::Info)
    );
    let skipped_total = skipped.binary
        + skipped.not_utf8
        + skipped.too_large
        + skipped.templates
        + skipped.unreadable;
    if skipped_total > 0 {
        let _ = writeln!(
            stderr,
            "skipped {skipped_total} files: {} binary, {} not UTF-8, {} larger than 4 MiB, {} Helm templates, {} unreadable",
            skipped.binary, skipped.not_utf8, skipped.too_large, skipped.templates, skipped.unreadable
        );
    }
    Output { stdout, stderr }
}

fn scan_error(error: &ScanError, colour: bool) -> String {
    match error {
        ScanError::Path { path, message } => format!("error: cannot read `{path}`: {message}\n"),
        ScanError::Project {
            path,
            source,
            diagnostics,
            message,
        } => {
            let mut text = String::new();
            if let Some(message) = message {
                let _ = writeln!(
                    text,
                    "error: cannot read the project file `{path}`: {message}"
                );
            }
            let renderer = HumanRenderer::new(colour);
            for diagnostic in diagnostics {
                text.push_str(&renderer.render(path, source, diagnostic));
            }
            text
        }
    }
}
