//! The replay report as a table for people: the numbers a user needs before deploying
//! a policy, most important first.

use std::fmt::Write as _;

use cpl_replay::Report;

/// `12,345`
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.7%`, or `-` when there is nothing to divide.
#[allow(clippy::cast_precision_loss)]
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// `7.97 MB`
#[allow(clippy::cast_precision_loss)]
fn size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e9 {
        format!("{:.2} GB", bytes / 1e9)
    } else if bytes >= 1e6 {
        format!("{:.2} MB", bytes / 1e6)
    } else if bytes >= 1e3 {
        format!("{:.1} kB", bytes / 1e3)
    } else {
        format!("{bytes} B")
    }
}

pub(crate) fn render(report: &Report, policy: &str) -> String {
    let mut out = String::new();
    let input = &report.input;
    if !report.complete {
        let _ = writeln!(
            out,
            "WARNING: {} input document(s) could not be read and are not counted below.\n",
            input.errors
        );
    }
    let _ = writeln!(
        out,
        "Replay of {policy} over {} file(s), {} trace document(s){}",
        input.files,
        count(input.documents),
        if input.skipped_non_trace > 0 {
            format!(" ({} non-trace skipped)", count(input.skipped_non_trace))
        } else {
            String::new()
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<10} {:>14} {:>14} {:>8}",
        "", "total", "kept", "kept %"
    );
    for (label, counts, fmt) in [
        ("traces", report.traces, count as fn(u64) -> String),
        ("spans", report.spans, count),
        ("bytes", report.bytes, size),
    ] {
        let _ = writeln!(
            out,
            "  {label:<10} {:>14} {:>14} {:>8}",
            fmt(counts.total),
            fmt(counts.kept),
            percent(counts.kept, counts.total)
        );
    }

    let _ = writeln!(
        out,
        "\n  decided by              action   rate     traces      spans       kept"
    );
    for rule in &report.rules {
        let name = match &rule.tenant {
            Some(tenant) => format!("{} [{tenant}]", rule.name),
            None => rule.name.clone(),
        };
        let _ = writeln!(
            out,
            "  {name:<23} {:<7} {:>5} {:>10} {:>10} {:>10}",
            rule.action,
            rule.rate,
            count(rule.traces),
            count(rule.spans),
            count(rule.traces_kept)
        );
    }
    let base = &report.base_rate;
    let _ = writeln!(
        out,
        "  {:<23} {:<7} {:>5} {:>10} {:>10} {:>10}   (expected {:.1})",
        "base rate",
        "",
        base.rate,
        count(base.traces),
        "",
        count(base.kept),
        base.expected
    );

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  error traces: {} of {} kept ({})",
        count(report.errors.kept),
        count(report.errors.total),
        percent(report.errors.kept, report.errors.total)
    );
    let _ = writeln!(
        out,
        "  slow traces (> {} ms): {} of {} kept ({})",
        report.slow.threshold_ms,
        count(report.slow.kept),
        count(report.slow.traces),
        percent(report.slow.kept, report.slow.traces)
    );

    if !report.services.is_empty() {
        let _ = writeln!(
            out,
            "\n  service                       spans       kept      bytes       kept"
        );
        for service in &report.services {
            let _ = writeln!(
                out,
                "  {:<25} {:>9} {:>10} {:>10} {:>10}",
                service.name,
                count(service.spans),
                count(service.spans_kept),
                size(service.bytes),
                size(service.bytes_kept)
            );
        }
    }

    let savings = &report.savings;
    let _ = writeln!(
        out,
        "\n  at ${}/GB: ${:.4} of ${:.4} ingested, ${:.4} saved ({} of bytes dropped)",
        savings.price_per_gb,
        savings.cost_kept,
        savings.cost_total,
        savings.cost_saved,
        percent(savings.bytes_dropped, report.bytes.total)
    );
    out
}
