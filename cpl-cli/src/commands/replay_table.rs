//! The replay report as a table for people: the numbers a user needs before deploying
//! a policy, most important first. Every column is as wide as its widest cell.

use std::fmt::Write as _;

use cpl_replay::fidelity::{Estimate, FidelityReport};
use cpl_replay::replay::{BaseRateSource, CollectorReport, Report, ERROR_SPAN};

use crate::render::table::{count, counted, decimal1, dollars, percent, size, Align, Table};

pub(crate) fn render(report: &Report, policy: &str) -> String {
    let mut out = String::new();
    let input = &report.input;
    if !report.complete {
        let _ = writeln!(
            out,
            "WARNING: {} could not be read and {} not counted below.\n",
            counted(input.errors, "input document", "input documents"),
            if input.errors == 1 { "is" } else { "are" }
        );
    }
    let mut notes = Vec::new();
    if input.skipped_non_trace > 0 {
        notes.push(format!(
            "{} skipped",
            counted(
                input.skipped_non_trace,
                "non-trace document",
                "non-trace documents"
            )
        ));
    }
    if input.duplicate_spans > 0 {
        notes.push(format!(
            "{} counted once",
            counted(input.duplicate_spans, "repeated span", "repeated spans")
        ));
    }
    let _ = writeln!(
        out,
        "Replay of {policy} over {}, {}{}",
        counted(input.files, "file", "files"),
        counted(input.documents, "trace document", "trace documents"),
        if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        }
    );
    out.push('\n');
    totals(&mut out, report);
    out.push('\n');
    match &report.collector {
        Some(collector) => policies(&mut out, collector),
        None => decided_by(&mut out, report),
    }
    if !report.tenants.is_empty() {
        out.push('\n');
        tenants(&mut out, report);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  error traces (a span with {ERROR_SPAN}): {} of {} kept ({})",
        count(report.errors.kept),
        count(report.errors.total),
        percent(report.errors.kept, report.errors.total)
    );
    let _ = writeln!(
        out,
        "  slow traces (whole trace longer than {}): {} of {} kept ({})",
        threshold(report.slow.threshold_ms),
        count(report.slow.kept),
        count(report.slow.traces),
        percent(report.slow.kept, report.slow.traces)
    );
    if !report.services.is_empty() {
        out.push('\n');
        services(&mut out, report);
    }
    out.push('\n');
    savings(&mut out, report);
    if let Some(report) = &report.fidelity {
        out.push('\n');
        fidelity(&mut out, report);
    }
    out
}

fn totals(out: &mut String, report: &Report) {
    let mut table = Table::new(&[
        ("", Align::Left),
        ("total", Align::Right),
        ("kept", Align::Right),
        ("kept %", Align::Right),
    ]);
    for (label, counts, format) in [
        ("traces", report.traces, count as fn(u64) -> String),
        ("spans", report.spans, count),
        ("bytes", report.bytes, size),
    ] {
        table.row(vec![
            label.to_owned(),
            format(counts.total),
            format(counts.kept),
            percent(counts.kept, counts.total),
        ]);
    }
    table.write(out, "  ");
}

/// Each trace is decided once: by a rule, the policy's base rate or a tenant's own.
fn decided_by(out: &mut String, report: &Report) {
    let mut table = Table::new(&[
        ("decided by", Align::Left),
        ("action", Align::Left),
        ("rate", Align::Right),
        ("traces", Align::Right),
        ("spans", Align::Right),
        ("traces kept", Align::Right),
        ("expected", Align::Right),
    ]);
    // The expected count says something only when the outcome is left to chance.
    let expected = |rate: f64, value: f64| {
        if rate > 0.0 && rate < 1.0 {
            decimal1(value)
        } else {
            String::new()
        }
    };
    for rule in &report.rules {
        let name = match &rule.tenant {
            Some(tenant) => format!("{} [{tenant}]", rule.name),
            None => rule.name.clone(),
        };
        table.row(vec![
            name,
            rule.action.clone(),
            rule.rate.to_string(),
            count(rule.traces),
            count(rule.spans),
            count(rule.traces_kept),
            expected(rule.rate, rule.expected),
        ]);
    }
    let base = &report.base_rate;
    table.row(vec![
        "base rate".to_owned(),
        String::new(),
        base.rate.to_string(),
        count(base.traces),
        count(base.spans),
        count(base.kept),
        expected(base.rate, base.expected),
    ]);
    for tenant in &report.tenants {
        let base = &tenant.base_rate;
        if base.source == BaseRateSource::Tenant {
            table.row(vec![
                format!("base rate [{}]", tenant.tenant),
                String::new(),
                base.rate.to_string(),
                count(base.traces),
                count(base.spans),
                count(base.kept),
                expected(base.rate, base.expected),
            ]);
        }
    }
    table.write(out, "  ");
}

/// What each `tail_sampling` policy said (a trace may be sampled by several), and why the
/// traces not kept were not.
fn policies(out: &mut String, collector: &CollectorReport) {
    let mut table = Table::new(&[
        ("policy", Align::Left),
        ("type", Align::Left),
        ("sampled", Align::Right),
        ("dropped", Align::Right),
        ("errors", Align::Right),
        ("not reproducible", Align::Right),
        ("first to sample", Align::Right),
    ]);
    for policy in &collector.policies {
        table.row(vec![
            policy.name.clone(),
            policy.r#type.clone(),
            count(policy.sampled),
            count(policy.dropped),
            count(policy.errors),
            count(policy.not_reproducible),
            count(policy.recorded),
        ]);
    }
    table.write(out, "  ");
    let _ = writeln!(
        out,
        "  not kept: {} vetoed by a drop policy, {} sampled by no policy",
        counted(collector.dropped, "trace", "traces"),
        counted(collector.not_sampled, "trace", "traces"),
    );
    if collector.not_reproducible > 0 {
        let _ = writeln!(
            out,
            "  not reproducible: {} depend on rate_limiting, bytes_limiting or composite (wall clock and arrival order) and are not counted as kept",
            counted(collector.not_reproducible, "trace", "traces"),
        );
    }
}

/// What each tenant override does: its traces, and the base rate its undecided traces get.
fn tenants(out: &mut String, report: &Report) {
    let mut table = Table::new(&[
        ("tenant", Align::Left),
        ("traces", Align::Right),
        ("kept", Align::Right),
        ("kept %", Align::Right),
        ("base rate", Align::Right),
        ("from", Align::Left),
        ("at base rate", Align::Right),
        ("kept", Align::Right),
        ("expected", Align::Right),
    ]);
    for tenant in &report.tenants {
        let base = &tenant.base_rate;
        table.row(vec![
            tenant.tenant.clone(),
            count(tenant.traces),
            count(tenant.kept),
            percent(tenant.kept, tenant.traces),
            base.rate.to_string(),
            match base.source {
                BaseRateSource::Tenant => "tenant",
                BaseRateSource::Policy => "policy",
            }
            .to_owned(),
            count(base.traces),
            count(base.kept),
            decimal1(base.expected),
        ]);
    }
    table.write(out, "  ");
}

fn services(out: &mut String, report: &Report) {
    let mut table = Table::new(&[
        ("service", Align::Left),
        ("spans", Align::Right),
        ("spans kept", Align::Right),
        ("bytes", Align::Right),
        ("bytes kept", Align::Right),
    ]);
    for service in &report.services {
        table.row(vec![
            service.name.clone(),
            count(service.spans),
            count(service.spans_kept),
            size(service.bytes),
            size(service.bytes_kept),
        ]);
    }
    table.write(out, "  ");
}

/// Money, in cents that add up; extrapolated to 1 TB, since a capture is small.
fn savings(out: &mut String, report: &Report) {
    let savings = &report.savings;
    let _ = writeln!(
        out,
        "  cost at {}/GB ingested; {} of the bytes (the inputs as recorded, decompressed) dropped:",
        dollars(savings.price_per_gb),
        percent(savings.bytes_dropped, report.bytes.total)
    );
    let mut table = Table::new(&[
        ("", Align::Left),
        ("ingested", Align::Right),
        ("kept", Align::Right),
        ("saved", Align::Right),
    ]);
    let tb = &savings.per_tb;
    table.row(vec![
        "per TB ingested".to_owned(),
        dollars(tb.total),
        dollars(tb.kept),
        dollars(tb.saved),
    ]);
    if savings.cost_total >= 0.01 {
        table.row(vec![
            "this capture".to_owned(),
            dollars(savings.cost_total),
            dollars(savings.cost_kept),
            dollars(savings.cost_saved),
        ]);
    }
    table.write(out, "    ");
}

/// A metric of the overall fidelity table: its label, figures and format.
type MetricRow<'r> = (&'static str, &'r Estimate, fn(f64) -> String);

/// Rows of each fidelity table; the JSON has more.
const FIDELITY_ROWS: usize = 10;

/// What sampling does to the figures dashboards compute from server spans: overall,
/// then the busiest services and routes.
fn fidelity(out: &mut String, fidelity: &FidelityReport) {
    let overall = &fidelity.overall;
    if overall.requests.truth.unwrap_or(0.0) == 0.0 {
        let _ = writeln!(
            out,
            "  fidelity: no server span (kind SERVER) to measure request, error and latency figures on"
        );
        return;
    }
    let _ = writeln!(
        out,
        "  fidelity of server-span figures, estimated from the kept traces (relative error):"
    );
    let mut table = Table::new(&[
        ("", Align::Left),
        ("truth", Align::Right),
        ("weighted by 1/p", Align::Right),
        ("naive", Align::Right),
    ]);
    let rows: [MetricRow<'_>; 5] = [
        ("requests", &overall.requests, whole),
        ("error rate", &overall.error_rate, rate),
        ("p50 latency", &overall.latency_p50_ms, latency),
        ("p95 latency", &overall.latency_p95_ms, latency),
        ("p99 latency", &overall.latency_p99_ms, latency),
    ];
    for (label, estimate, format) in rows {
        table.row(vec![
            label.to_owned(),
            figure(estimate.truth, format),
            with_error(estimate.weighted, estimate.weighted_error, format),
            with_error(estimate.naive, estimate.naive_error, format),
        ]);
    }
    table.write(out, "    ");
    for (kind, rows, more) in [
        ("service", &fidelity.services, fidelity.more_services),
        ("route", &fidelity.routes, fidelity.more_routes),
    ] {
        if rows.is_empty() {
            continue;
        }
        out.push('\n');
        let mut columns = vec![("service", Align::Left)];
        if kind == "route" {
            columns.push(("route", Align::Left));
        }
        columns.extend([
            ("requests", Align::Right),
            ("error rate", Align::Right),
            ("weighted", Align::Right),
            ("naive", Align::Right),
            ("p99 latency", Align::Right),
            ("weighted", Align::Right),
            ("naive", Align::Right),
        ]);
        let mut table = Table::new(&columns);
        for row in rows.iter().take(FIDELITY_ROWS) {
            let mut cells = vec![row.service.clone()];
            if let Some(route) = &row.route {
                cells.push(route.clone());
            }
            let (errors, p99) = (&row.error_rate, &row.latency_p99_ms);
            cells.extend([
                figure(row.requests.truth, whole),
                figure(errors.truth, rate),
                with_error(errors.weighted, errors.weighted_error, rate),
                with_error(errors.naive, errors.naive_error, rate),
                figure(p99.truth, latency),
                with_error(p99.weighted, p99.weighted_error, latency),
                with_error(p99.naive, p99.naive_error, latency),
            ]);
            table.row(cells);
        }
        table.write(out, "    ");
        let left_out = (rows.len().saturating_sub(FIDELITY_ROWS) as u64).saturating_add(more);
        if left_out > 0 {
            let (one, many) = if kind == "route" {
                ("route", "routes")
            } else {
                ("service", "services")
            };
            let _ = writeln!(
                out,
                "    and {} more {}{}",
                count(left_out),
                if left_out == 1 { one } else { many },
                if more > 0 {
                    format!(" ({} in --format json)", count(left_out - more))
                } else {
                    " (in --format json)".to_owned()
                }
            );
        }
    }
}

/// A figure, or `-` when there is none.
fn figure(value: Option<f64>, format: fn(f64) -> String) -> String {
    value.map_or_else(|| "-".to_owned(), format)
}

/// An estimate and its relative error: `0.87% (+2.1%)`.
fn with_error(value: Option<f64>, error: Option<f64>, format: fn(f64) -> String) -> String {
    match (value, error) {
        (Some(value), Some(error)) => {
            // Rounded to the digit shown first, so that no `-0.0%` appears.
            let error = (error * 1000.0).round() / 10.0 + 0.0;
            format!("{} ({error:+.1}%)", format(value))
        }
        (value, _) => figure(value, format),
    }
}

/// A request count, whole, with thousands separators.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ≥ 0, rounded
fn whole(value: f64) -> String {
    count(value.round().max(0.0) as u64)
}

/// An error rate as a percentage.
fn rate(value: f64) -> String {
    format!("{:.2}%", value * 100.0)
}

/// Milliseconds, to three significant digits below 100 ms.
fn latency(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{} ms", whole(ms))
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// `1s`, `1.5s`, `250ms`: the slow threshold as the user would write it.
fn threshold(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", ms / 1000.0)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use cpl_replay::replay::{
        BaseRateReport, Counts, RuleReport, ServiceReport, TenantBaseRateReport, TenantReport,
    };

    use super::*;

    /// Long names and nine-digit counts: each table's columns still line up.
    #[test]
    fn columns_stay_aligned_with_long_names_and_big_numbers() {
        let long = "a_rule_name_of_exactly_forty_characters_";
        assert_eq!(long.len(), 40);
        let big = 987_654_321;
        let report = Report {
            complete: true,
            traces: Counts {
                total: big,
                kept: big / 3,
            },
            spans: Counts {
                total: big * 9,
                kept: big,
            },
            bytes: Counts {
                total: big * 900,
                kept: big * 9,
            },
            rules: vec![
                RuleReport {
                    name: long.to_owned(),
                    action: "keep".into(),
                    rate: 0.333_333,
                    traces: big,
                    spans: big * 7,
                    traces_kept: big / 3,
                    expected: 329_218_107.0,
                    ..RuleReport::default()
                },
                RuleReport {
                    name: "x".into(),
                    tenant: Some("a_very_long_tenant_identifier_name".into()),
                    action: "drop".into(),
                    traces: 1,
                    spans: 1,
                    ..RuleReport::default()
                },
            ],
            base_rate: BaseRateReport {
                rate: 0.01,
                traces: 12,
                spans: 34,
                expected: 0.12,
                kept: 0,
            },
            tenants: vec![TenantReport {
                tenant: "a_very_long_tenant_identifier_name".into(),
                traces: big,
                spans: big,
                kept: 5,
                base_rate: TenantBaseRateReport {
                    rate: 0.1,
                    source: BaseRateSource::Tenant,
                    traces: big,
                    spans: big,
                    expected: 98_765_432.1,
                    kept: 5,
                },
            }],
            services: vec![ServiceReport {
                name: "a-service-with-a-name-longer-than-the-column-was".into(),
                spans: big,
                spans_kept: 1,
                bytes: big * 1000,
                bytes_kept: 2,
            }],
            ..Report::default()
        };
        let text = render(&report, "policy.yaml");
        assert!(!text.contains("-0.0"), "{text}");
        // Each block of indented lines is a table, its first line the header. Cells are
        // separated by two spaces or more; each cell starts where its header starts
        // (text) or ends where it ends (numbers).
        for block in text.split("\n\n") {
            let lines: Vec<&str> = block
                .lines()
                .filter(|line| line.starts_with("  ") && !line.contains(':'))
                .collect();
            let Some((header, rows)) = lines.split_first() else {
                continue;
            };
            let header = cells(header);
            for row in rows {
                let indent = row.len() - row.trim_start().len();
                for (start, end, cell) in cells(row) {
                    assert!(
                        start == indent || header.iter().any(|h| h.0 == start || h.1 == end),
                        "`{cell}` is out of line in\n{block}"
                    );
                }
            }
        }
        assert!(
            text.lines()
                .any(|line| line.starts_with(&format!("  {long}  "))
                    && line.contains("329,218,107.0")),
            "{text}"
        );
        assert!(
            text.contains("x [a_very_long_tenant_identifier_name]"),
            "{text}"
        );
        assert!(
            text.contains("base rate [a_very_long_tenant_identifier_name]"),
            "{text}"
        );
    }

    /// The cells of a table line: (first char, one past the last char, text).
    fn cells(line: &str) -> Vec<(usize, usize, String)> {
        let chars: Vec<char> = line.chars().collect();
        let mut cells = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            if chars[at] == ' ' {
                at += 1;
                continue;
            }
            let start = at;
            while at < chars.len()
                && !(chars[at] == ' ' && chars.get(at + 1).is_none_or(|&c| c == ' '))
            {
                at += 1;
            }
            cells.push((start, at, chars[start..at].iter().collect()));
        }
        cells
    }
}
