//! `cpl diff A B`: what differs between two policies by meaning (spec/diff.md).
//!
//! Either side may be a collector config (recognised by content): it is imported into
//! CPL and compared as a policy, and an import that is not exact is said, never hidden
//! (spec/targets/otel-collector.md §7.2).

use std::fmt::Write as _;
use std::path::PathBuf;

use cpl_check::diff::{
    diff_policies, Aspect, Comparison, PolicyDiff, RateChange, RuleChange, RuleDiff, TenantDiff,
};
use cpl_collector::config::ConfigFile;
use cpl_eval::Evaluator;
use cpl_replay::{Decider, Replay, ReplayOptions, Report};
use cpl_syntax::Severity;

use crate::render::table::count;
use crate::render::{write_stderr, write_stdout};
use crate::ExitStatus;

/// Output formats of `cpl diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The changes, for people.
    Human,
    /// The JSON of spec/diff.md.
    Json,
    /// A SARIF 2.1.0 log: each difference a finding located in the policy files.
    Sarif,
    /// GitHub Actions annotations, one per difference.
    Github,
}

/// Compare two policies by meaning.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The policy before (A): a CPL policy or a collector config with a `tail_sampling`
    /// processor, told apart by content.
    before: PathBuf,
    /// The policy after (B): a CPL policy or a collector config.
    after: PathBuf,
    /// With collector configs of several processors: compare the processor
    /// `tail_sampling/NAME` (give `NAME` or the whole id) of each.
    #[arg(long, value_name = "NAME")]
    processor: Option<String>,
    /// Replay both policies over this OTLP/JSON trace file (repeatable) and show the measured change.
    #[arg(long, value_name = "FILE")]
    traces: Vec<PathBuf>,
    /// With --traces: read only OTLP/JSON as the specification writes it (see `cpl replay --strict`).
    #[arg(long, requires = "traces")]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// With --traces: also write the measured change as one self-contained HTML page
    /// (charts inline, works offline) to FILE, replaced whole once complete.
    #[arg(long, value_name = "FILE", requires = "traces")]
    html: Option<PathBuf>,
}

/// One side of the diff: a CPL policy, or a collector config's processor imported.
struct Side {
    policy: cpl_syntax::Policy,
    /// For a collector config: the file read and the index of the processor compared.
    collector: Option<(ConfigFile, usize)>,
    /// For a collector config: what its import could not say exactly (E530, E531, W530).
    inexact: Vec<cpl_syntax::Diagnostic>,
}

impl Side {
    fn processor(&self) -> Option<&cpl_collector::policy::Processor> {
        self.collector
            .as_ref()
            .map(|(file, i)| &file.processors[*i])
    }

    /// The name of the collector policy a diagnostic of its import is about.
    fn policy_at(&self, span: &std::ops::Range<usize>) -> String {
        self.processor()
            .and_then(|p| {
                p.policies
                    .iter()
                    .find(|policy| policy.span.start <= span.start && span.end <= policy.span.end)
            })
            .map_or_else(String::new, |policy| policy.name.clone())
    }

    /// The file span of the collector policy a rule of the imported policy is named after.
    fn rule_span(&self, name: &str) -> Option<std::ops::Range<usize>> {
        self.processor()?
            .policies
            .iter()
            .find(|policy| policy.name == name)
            .map(|policy| policy.span.clone())
    }
}

/// The policy at `path`, or the processor of the collector config at `path` imported
/// into CPL; `None` after reporting why not (an exit-2 condition).
fn load_side(path: &std::path::Path, processor: Option<&str>) -> Option<Side> {
    let bytes = crate::policy_file::read(path)?;
    let name = path.display().to_string();
    let Some(source) = std::str::from_utf8(&bytes)
        .ok()
        .filter(|text| cpl_collector::config::recognise(text).is_some())
    else {
        let policy = crate::policy_file::load(path)?;
        return Some(Side {
            policy,
            collector: None,
            inexact: Vec::new(),
        });
    };
    let file = cpl_collector::config::read(source);
    let renderer = crate::render::HumanRenderer::new(crate::render::stderr_colour());
    for diagnostic in &file.diagnostics {
        if diagnostic.severity == Severity::Error {
            write_stderr(&renderer.render(&name, source, diagnostic));
        }
    }
    if file.has_errors() {
        write_stderr(&format!(
            "error: `{name}` is a collector config with errors; the collector would not start with it\n"
        ));
        return None;
    }
    let index = match (processor, file.processors.len()) {
        (Some(id), _) => file
            .processors
            .iter()
            .position(|p| p.id == id || p.id.strip_prefix("tail_sampling/") == Some(id)),
        (None, 1) => Some(0),
        (None, _) => None,
    };
    let Some(index) = index else {
        let ids: Vec<String> = file
            .processors
            .iter()
            .map(|p| format!("`{}`", p.id))
            .collect();
        match processor {
            Some(id) => write_stderr(&format!(
                "error: `{name}` has no processor `{id}`; it has {}\n",
                ids.join(", ")
            )),
            None => write_stderr(&format!(
                "error: `{name}` has several tail_sampling processors ({}); choose one with `--processor`\n",
                ids.join(", ")
            )),
        }
        return None;
    };
    let imported = cpl_collector::import::import(&file.processors[index]);
    let Some(policy) = imported.policy else {
        write_stderr(&format!("error: `{name}` cannot be imported into CPL\n"));
        return None;
    };
    Some(Side {
        policy,
        collector: Some((file, index)),
        inexact: imported.diagnostics,
    })
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let (Some(a_side), Some(b_side)) = (
        load_side(&args.before, args.processor.as_deref()),
        load_side(&args.after, args.processor.as_deref()),
    ) else {
        return ExitStatus::Failure;
    };
    let (a, b) = (&a_side.policy, &b_side.policy);
    if let (Some(va), Some(vb)) = (&a.version, &b.version) {
        if va.value != vb.value {
            write_stderr(&format!(
                "error: the policies have different schema versions ({} and {})\n",
                va.value, vb.value
            ));
            return ExitStatus::Failure;
        }
    }
    let diff = diff_policies(a, b);
    let impact = if args.traces.is_empty() {
        None
    } else {
        let reading = super::replay::Reading {
            leniency: super::replay::leniency(args.strict),
            style: if args.format == Format::Json {
                super::input_report::Style::Json
            } else {
                super::input_report::Style::Human
            },
            jobs: None,
        };
        match measure(&a_side, &b_side, &args.traces, &reading) {
            Ok(reports) => Some(reports),
            Err(message) => {
                write_stderr(&format!("error: {message}\n"));
                return ExitStatus::Failure;
            }
        }
    };
    let (name_a, name_b) = (
        args.before.display().to_string(),
        args.after.display().to_string(),
    );
    let inexact: Vec<(String, String, &cpl_syntax::Diagnostic)> =
        [(&name_a, &a_side), (&name_b, &b_side)]
            .into_iter()
            .flat_map(|(name, side)| {
                side.inexact
                    .iter()
                    .map(move |d| (name.clone(), side.policy_at(&d.span), d))
            })
            .collect();
    // An inexact import proves nothing about the whole config.
    let equivalent = diff.is_equivalent() && inexact.is_empty();
    if let (Some(path), Some((before, after))) = (&args.html, &impact) {
        let inputs = super::replay::input_names(&args.traces);
        let page = cpl_report::diff(&name_a, &name_b, &inputs, (before, after));
        if let Err(message) = super::replay::write_html(path, &page) {
            write_stderr(&format!("error: {message}\n"));
            return ExitStatus::Failure;
        }
    }
    let text = match args.format {
        Format::Json => {
            let mut document = serde_json::json!({
                "version": 1,
                "before": name_a,
                "after": name_b,
                "equivalent": if inexact.is_empty() { serde_json::json!(diff.is_equivalent()) } else { serde_json::Value::Null },
            });
            if let (Some(map), Ok(serde_json::Value::Object(fields))) =
                (document.as_object_mut(), serde_json::to_value(&diff))
            {
                map.extend(fields);
                if a_side.collector.is_some() || b_side.collector.is_some() {
                    map.insert("exact".to_owned(), serde_json::json!(inexact.is_empty()));
                    let list: Vec<serde_json::Value> = inexact
                        .iter()
                        .map(|(file, policy, d)| {
                            serde_json::json!({"file": file, "policy": policy, "code": d.code.code, "message": d.message})
                        })
                        .collect();
                    map.insert("inexact".to_owned(), serde_json::Value::Array(list));
                }
                if let Some((before, after)) = &impact {
                    map.insert("impact".to_owned(), impact_json(before, after));
                }
            }
            format!("{document:#}\n")
        }
        Format::Human => {
            let mut text = human(&diff, &name_a, &name_b, impact.as_ref(), inexact.is_empty());
            inexact_note(&mut text, &inexact, diff.is_equivalent());
            text
        }
        Format::Sarif | Format::Github => {
            let files = findings(&diff, (&args.before, &a_side), (&args.after, &b_side));
            let mut output = if args.format == Format::Sarif {
                crate::render::sarif(&files, &[])
            } else {
                crate::render::github(&files, &[])
            };
            output.stderr = ci_summary(&diff, &files, &name_a, &name_b, inexact.is_empty());
            return match output.emit() {
                Ok(()) if equivalent => ExitStatus::Clean,
                Ok(()) => ExitStatus::Findings,
                Err(_) => ExitStatus::Failure,
            };
        }
    };
    if write_stdout(&text).is_err() {
        return ExitStatus::Failure;
    }
    if equivalent {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}

/// What the imports of collector configs could not say exactly, and what that means for
/// the verdict.
fn inexact_note(
    out: &mut String,
    inexact: &[(String, String, &cpl_syntax::Diagnostic)],
    imported_parts_equivalent: bool,
) {
    if inexact.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nnot proven: the collector configs are not imported exactly:"
    );
    for (file, _, diagnostic) in inexact {
        let _ = writeln!(
            out,
            "  {file}: {} {}: {}",
            diagnostic.code.code,
            if diagnostic.severity == Severity::Error {
                "left out"
            } else {
                "approximate"
            },
            diagnostic.message
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if imported_parts_equivalent {
            "the imported parts decide every trace alike; the policies listed may still make a difference"
        } else {
            "the changes above are between the imported parts; the policies listed may add to them or cancel them"
        }
    );
}

/// Replays both sides over the traces, each with its own decider (a collector config's
/// processor as the collector decides, a policy as CPL does), reading and decoding each
/// document once.
fn measure(
    a: &Side,
    b: &Side,
    traces: &[PathBuf],
    reading: &super::replay::Reading,
) -> Result<(Report, Report), String> {
    let compile = |side: &Side| -> Result<Option<Evaluator>, String> {
        if side.collector.is_some() {
            return Ok(None);
        }
        Evaluator::compile(&side.policy)
            .map(Some)
            .map_err(|e| format!("cannot compile a policy: {e}"))
    };
    let (ea, eb) = (compile(a)?, compile(b)?);
    let (Some(ra), Some(rb)) = (replay_of(a, ea.as_ref()), replay_of(b, eb.as_ref())) else {
        return Err("nothing to replay".to_owned());
    };
    let mut replays = [ra, rb];
    super::replay::replay_inputs(traces, &mut replays, reading)?;
    let [ra, rb] = replays;
    let (ra, rb) = (ra.finish(), rb.finish());
    if let Some(message) = super::replay::nothing_read(&rb) {
        // The errors, if any, are above; a table of zeros would only hide them.
        return Err(message);
    }
    Ok((ra, rb))
}

/// The replay of one side: its processor's, or its compiled policy's.
fn replay_of<'e>(side: &'e Side, evaluator: Option<&'e Evaluator>) -> Option<Replay<'e>> {
    match (side.processor(), evaluator) {
        (Some(processor), _) => Some(Replay::with_decider(
            Decider::Collector(processor),
            ReplayOptions::default(),
        )),
        (None, Some(evaluator)) => Some(Replay::new(evaluator, ReplayOptions::default())),
        (None, None) => None,
    }
}

fn impact_json(before: &Report, after: &Report) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = after
        .rules
        .iter()
        .map(|rule| {
            let old = before
                .rules
                .iter()
                .find(|r| r.name == rule.name && r.tenant == rule.tenant);
            serde_json::json!({
                "name": rule.name,
                "tenant": rule.tenant,
                "traces_kept": {"before": old.map(|r| r.traces_kept), "after": rule.traces_kept},
                "spans_kept": {"before": old.map(|r| r.spans_kept), "after": rule.spans_kept},
                "bytes_kept": {"before": old.map(|r| r.bytes_kept), "after": rule.bytes_kept},
            })
        })
        .collect();
    serde_json::json!({
        "complete": before.complete && after.complete,
        "traces_kept": {"before": before.traces.kept, "after": after.traces.kept, "total": after.traces.total},
        "spans_kept": {"before": before.spans.kept, "after": after.spans.kept, "total": after.spans.total},
        "bytes_kept": {"before": before.bytes.kept, "after": after.bytes.kept, "total": after.bytes.total},
        "errors_kept": {"before": before.errors.kept, "after": after.errors.kept, "total": after.errors.total},
        "rules": rules,
    })
}

/// The differences as findings located in A (removed conditions) or B (the rest),
/// for the CI formats.
fn findings(
    diff: &PolicyDiff,
    (path_a, side_a): (&std::path::Path, &Side),
    (path_b, side_b): (&std::path::Path, &Side),
) -> Vec<crate::render::FileReport> {
    use cpl_syntax::{codes, Diagnostic};
    let (a, b) = (&side_a.policy, &side_b.policy);
    let source = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    let mut in_a = Vec::new();
    let mut in_b = Vec::new();
    // A collector side's rules are its policies: position at the policy; what has no
    // policy (the base rate) at the processor.
    let base_rate_span = side_b
        .processor()
        .map_or_else(|| b.sampling.base_rate.span.clone(), |p| p.span.clone());
    if let Some(change) = &diff.base_rate {
        in_b.push(Diagnostic::new(
            &codes::BASE_RATE_CHANGED,
            format!("base_rate changed: {}", ratio(change)),
            base_rate_span,
            "changed",
        ));
    }
    let mut rule_findings = |rules: &[RuleDiff], tenant: Option<&str>| {
        for rule in rules {
            let (code, target, side) = match rule.change {
                RuleChange::Added { .. } => (&codes::RULE_ADDED, &mut in_b, side_b),
                RuleChange::Removed { .. } => (&codes::RULE_REMOVED, &mut in_a, side_a),
                RuleChange::Renamed { .. } | RuleChange::Changed { .. } => {
                    (&codes::RULE_CHANGED, &mut in_b, side_b)
                }
            };
            let span = match side.processor() {
                Some(processor) => side
                    .rule_span(&rule.name)
                    .unwrap_or_else(|| processor.span.clone()),
                None => rule.span.clone(),
            };
            target.push(Diagnostic::new(
                code,
                plain_message(rule, tenant),
                span,
                format!("`{}`", rule.name),
            ));
        }
    };
    rule_findings(&diff.rules, None);
    for tenant in &diff.tenants {
        let span = b
            .tenants
            .as_ref()
            .map_or_else(|| b.sampling.span.clone(), |t| t.attribute.span.clone());
        let message = match tenant {
            TenantDiff::Attribute { before, after } => {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
                format!(
                    "tenant attribute changed: {} → {}",
                    show(before),
                    show(after)
                )
            }
            TenantDiff::Added { tenant } => format!("tenant `{tenant}`: override added"),
            TenantDiff::Removed { tenant } => format!("tenant `{tenant}`: override removed"),
            TenantDiff::Changed {
                tenant,
                base_rate,
                rules,
            } => {
                let mut text = format!("tenant `{tenant}` changed");
                if let Some(change) = base_rate {
                    let _ = write!(text, "\nbase_rate: {}", ratio(change));
                }
                for rule in rules {
                    let _ = write!(text, "\n{}", plain_message(rule, None));
                }
                text
            }
        };
        in_b.push(Diagnostic::new(
            &codes::TENANTS_CHANGED,
            message,
            span,
            "tenants",
        ));
    }
    let _ = a;
    let source = |path: &std::path::Path| source(path);
    let report = |path: &std::path::Path, diagnostics: Vec<Diagnostic>| crate::render::FileReport {
        name: path.display().to_string(),
        source: source(path),
        diagnostics,
        suppressed: Vec::new(),
    };
    vec![report(path_a, in_a), report(path_b, in_b)]
}

fn ratio(change: &RateChange) -> String {
    let ratio = change.ratio();
    if ratio.is_infinite() {
        format!("{} → {}", change.before, change.after)
    } else {
        format!(
            "{} → {} (×{})",
            change.before,
            change.after,
            (ratio * 1000.0).round() / 1000.0
        )
    }
}

fn human(
    diff: &PolicyDiff,
    a: &str,
    b: &str,
    impact: Option<&(Report, Report)>,
    exact: bool,
) -> String {
    let mut out = String::new();
    if diff.is_empty() && !exact {
        let _ = writeln!(
            out,
            "{a} → {b}: no difference between the imported policies"
        );
    } else if diff.is_empty() {
        let _ = writeln!(
            out,
            "{a} and {b} are equivalent: they decide every trace the same way"
        );
    } else {
        let _ = writeln!(out, "{a} → {b}\n");
        if let Some(change) = &diff.base_rate {
            let _ = writeln!(out, "  base_rate: {}", ratio(change));
        }
        rules(&mut out, &diff.rules, "  ");
        for tenant in &diff.tenants {
            match tenant {
                TenantDiff::Attribute { before, after } => {
                    let show =
                        |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
                    let _ = writeln!(
                        out,
                        "  tenant attribute: {} → {}",
                        show(before),
                        show(after)
                    );
                }
                TenantDiff::Added { tenant } => {
                    let _ = writeln!(out, "+ tenant {tenant}: override added");
                }
                TenantDiff::Removed { tenant } => {
                    let _ = writeln!(out, "- tenant {tenant}: override removed");
                }
                TenantDiff::Changed {
                    tenant,
                    base_rate,
                    rules: changes,
                } => {
                    let _ = writeln!(out, "~ tenant {tenant}:");
                    if let Some(change) = base_rate {
                        let _ = writeln!(out, "    base_rate: {}", ratio(change));
                    }
                    rules(&mut out, changes, "    ");
                }
            }
        }
    }
    if exact && diff.is_equivalent() && !diff.is_empty() {
        let _ = writeln!(
            out,
            "\n{a} and {b} are equivalent: the changes above decide every trace the same way"
        );
    }
    if let Some((before, after)) = impact {
        measured_table(&mut out, before, after);
    }
    out
}

/// The measured change: totals, then one row per rule of A or B whose count changed,
/// rules only in A included, tenant rules labelled, drop rules counted as dropped.
fn measured_table(out: &mut String, before: &Report, after: &Report) {
    let mut rows: Vec<(String, u64, u64)> = vec![
        (
            "traces kept".to_owned(),
            before.traces.kept,
            after.traces.kept,
        ),
        ("spans kept".to_owned(), before.spans.kept, after.spans.kept),
        ("bytes kept".to_owned(), before.bytes.kept, after.bytes.kept),
        (
            "error traces kept".to_owned(),
            before.errors.kept,
            after.errors.kept,
        ),
    ];
    // Each rule once, keyed by (name, tenant, action): B's order, then A's leftovers.
    let key =
        |r: &cpl_replay::replay::RuleReport| (r.name.clone(), r.tenant.clone(), r.action.clone());
    let mut keys: Vec<(String, Option<String>, String)> = Vec::new();
    for rule in after.rules.iter().chain(&before.rules) {
        if !keys.contains(&key(rule)) {
            keys.push(key(rule));
        }
    }
    // A collector report has no rules (its policies are in `collector`): per-rule rows
    // would compare a rule with nothing.
    if before.collector.is_some() || after.collector.is_some() {
        keys.clear();
    }
    for k in keys {
        let find = |report: &Report| report.rules.iter().find(|r| key(r) == k).cloned();
        let decided = |rule: Option<cpl_replay::replay::RuleReport>| {
            rule.map_or(0, |r| {
                if r.action == "drop" {
                    r.traces
                } else {
                    r.traces_kept
                }
            })
        };
        let (x, y) = (decided(find(before)), decided(find(after)));
        if x == y {
            continue;
        }
        let (name, tenant, action) = k;
        let verb = if action == "drop" { "dropped" } else { "kept" };
        let label = match tenant {
            Some(tenant) => format!("traces {verb} by {name} [{tenant}]"),
            None => format!("traces {verb} by {name}"),
        };
        rows.push((label, x, y));
    }
    let cells: Vec<(String, String, String, String)> = rows
        .into_iter()
        .map(|(label, x, y)| {
            let delta = i128::from(y) - i128::from(x);
            let sign = if delta < 0 { "-" } else { "+" };
            (
                label,
                count(x),
                count(y),
                format!(
                    "{sign}{}",
                    count(delta.unsigned_abs().try_into().unwrap_or(u64::MAX))
                ),
            )
        })
        .collect();
    let label_width = cells.iter().map(|c| c.0.chars().count()).max().unwrap_or(0);
    let width = |pick: fn(&(String, String, String, String)) -> &String, header: &str| {
        cells
            .iter()
            .map(|c| pick(c).len())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let (before_width, after_width) = (width(|c| &c.1, "before"), width(|c| &c.2, "after"));
    let _ = writeln!(out, "\n  measured on {} traces:", count(after.traces.total));
    let _ = writeln!(
        out,
        "    {:<label_width$}  {:>before_width$}  {:>after_width$}",
        "", "before", "after"
    );
    for (label, x, y, delta) in cells {
        let _ = writeln!(
            out,
            "    {label:<label_width$}  {x:>before_width$}  {y:>after_width$}  {delta}"
        );
    }
    let unknown = |report: &Report| report.collector.as_ref().map_or(0, |c| c.not_reproducible);
    if unknown(before) + unknown(after) > 0 {
        let _ = writeln!(
            out,
            "  (not counted as kept: traces whose fate depends on a time-based policy, {} before and {} after)",
            count(unknown(before)),
            count(unknown(after))
        );
    }
    if !(before.complete && after.complete) {
        let _ = writeln!(
            out,
            "  (some trace documents could not be read; see the errors above)"
        );
    }
}

/// A rule change for the CI formats: what changed, then one line per aspect, without
/// the human format's markers and indentation.
fn plain_message(rule: &RuleDiff, tenant: Option<&str>) -> String {
    let who = match tenant {
        Some(tenant) => format!("rule `{}` of tenant `{tenant}`", rule.name),
        None => format!("rule `{}`", rule.name),
    };
    match &rule.change {
        RuleChange::Added { enabled: false, .. } => format!("{who} added, disabled"),
        RuleChange::Removed { enabled: false, .. } => format!("{who} removed, was disabled"),
        RuleChange::Added {
            when, action, rate, ..
        } => {
            format!("{who} added\n{}: {when}", effect_text(action, *rate))
        }
        RuleChange::Removed {
            when, action, rate, ..
        } => {
            format!("{who} removed\n{}: {when}", effect_text(action, *rate))
        }
        RuleChange::Renamed { from, .. } => {
            format!("rule `{from}` renamed to `{}`, same meaning", rule.name)
        }
        RuleChange::Changed { aspects } => {
            let mut text = format!("{who} changed");
            for aspect in aspects {
                let mut lines = String::new();
                aspect_line(&mut lines, aspect, "");
                for line in lines.lines() {
                    let _ = write!(text, "\n{}", line.trim());
                }
            }
            text
        }
    }
}

/// `keep`, `keep at rate 0.5`, `drop`.
fn effect_text(action: &str, rate: f64) -> String {
    if action == "keep" && rate < 1.0 {
        format!("keep at rate {rate}")
    } else {
        action.to_owned()
    }
}

/// The stderr line of the CI formats: `` `a` → `b`: 3 changes; … ``.
fn ci_summary(
    diff: &PolicyDiff,
    files: &[crate::render::FileReport],
    a: &str,
    b: &str,
    exact: bool,
) -> String {
    let changes: usize = files.iter().map(|f| f.diagnostics.len()).sum();
    let verdict = if !exact {
        "not proven equivalent: a collector config is not imported exactly"
    } else if diff.is_equivalent() {
        "every trace is decided alike"
    } else {
        "traces are decided differently"
    };
    format!(
        "`{a}` → `{b}`: {changes} change{}; {verdict}\n",
        if changes == 1 { "" } else { "s" }
    )
}

pub(super) fn rules(out: &mut String, rules: &[RuleDiff], indent: &str) {
    for rule in rules {
        match &rule.change {
            RuleChange::Added { enabled: false, .. } => {
                let _ = writeln!(
                    out,
                    "{}+ {} (disabled)",
                    &indent[..indent.len() - 2],
                    rule.name
                );
            }
            RuleChange::Removed { enabled: false, .. } => {
                let _ = writeln!(
                    out,
                    "{}- {} (disabled)",
                    &indent[..indent.len() - 2],
                    rule.name
                );
            }
            RuleChange::Added {
                when, action, rate, ..
            } => {
                let _ = writeln!(
                    out,
                    "{}+ {} ({}): {when}",
                    &indent[..indent.len() - 2],
                    rule.name,
                    effect_text(action, *rate)
                );
            }
            RuleChange::Removed {
                when, action, rate, ..
            } => {
                let _ = writeln!(
                    out,
                    "{}- {} ({}): {when}",
                    &indent[..indent.len() - 2],
                    rule.name,
                    effect_text(action, *rate)
                );
            }
            RuleChange::Renamed { from, .. } => {
                let _ = writeln!(
                    out,
                    "{}~ renamed {from} → {} (same meaning)",
                    &indent[..indent.len() - 2],
                    rule.name
                );
            }
            RuleChange::Changed { aspects } => {
                let _ = writeln!(out, "{}~ {}:", &indent[..indent.len() - 2], rule.name);
                for aspect in aspects {
                    aspect_line(out, aspect, indent);
                }
            }
        }
    }
}

fn aspect_line(out: &mut String, aspect: &Aspect, indent: &str) {
    match aspect {
        Aspect::Condition {
            before,
            after,
            comparison,
        } => {
            let _ = writeln!(
                out,
                "{indent}  condition: {before}\n{indent}           → {after}"
            );
            let verdict = match comparison {
                Comparison::MatchesMore { witness } => {
                    format!("matches more spans, e.g. {{{witness}}} now matches")
                }
                Comparison::MatchesFewer { witness } => {
                    format!("matches fewer spans, e.g. {{{witness}}} no longer matches")
                }
                Comparison::Incomparable {
                    only_after,
                    only_before,
                } => format!(
                    "incomparable: {{{only_after}}} now matches, {{{only_before}}} no longer does"
                ),
                Comparison::Unknown => "differs (the engine cannot decide how)".to_owned(),
            };
            let _ = writeln!(out, "{indent}  {verdict}");
        }
        Aspect::Action { before, after } => {
            let _ = writeln!(out, "{indent}  action: {before} → {after}");
        }
        Aspect::Rate(change) => {
            let _ = writeln!(out, "{indent}  rate: {}", ratio(change));
        }
        Aspect::Enabled { before, after } => {
            let _ = writeln!(out, "{indent}  enabled: {before} → {after}");
        }
        Aspect::Position { other, witness } => {
            let _ = writeln!(
                out,
                "{indent}  now decides before `{other}`: a span like {{{witness}}} matches both and is now decided by this rule"
            );
        }
    }
}
