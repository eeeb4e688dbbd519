//! The replay report as a table for people: the numbers a user needs before deploying
//! a policy, most important first. Every column is as wide as its widest cell.

use std::fmt::Write as _;

use cpl_replay::replay::{BaseRateSource, Report, ERROR_SPAN};

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
    decided_by(&mut out, report);
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
        "  cost at {}/GB ingested; {} of the bytes (OTLP/JSON text as recorded) dropped:",
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

/// `1s`, `1.5s`, `250ms`: the slow threshold as the user would write it.
fn threshold(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", ms / 1000.0)
    } else {
        format!("{ms}ms")
    }
}
