//! The page's contract: every JSON figure on it, names escaped and cut, tables capped.

use cpl_replay::fidelity::{Estimate, FidelityReport, FidelityRow};
use cpl_replay::replay::{
    BaseRateReport, BaseRateSource, CollectorReport, Counts, PolicyReport, RuleReport,
    ServiceReport, TenantBaseRateReport, TenantReport,
};
use cpl_replay::Report;

const HOSTILE: &str = "<script>alert(\"x\")</script>";

/// The page's text: what is between tags, entities left as they are.
fn text(page: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn rule(name: &str, tenant: Option<&str>, traces: u64, kept: u64) -> RuleReport {
    RuleReport {
        name: name.to_owned(),
        tenant: tenant.map(str::to_owned),
        action: "keep".to_owned(),
        rate: 0.25,
        traces,
        spans: traces * 7 + 1,
        traces_kept: kept,
        spans_kept: kept * 7 + 3,
        bytes_kept: kept * 1013,
        expected: 62.15,
    }
}

/// A report with a distinct figure in every member.
fn sample() -> Report {
    let mut report = Report {
        version: 2,
        complete: true,
        spans: Counts {
            total: 9454,
            kept: 2861,
        },
        traces: Counts {
            total: 1500,
            kept: 474,
        },
        bytes: Counts {
            total: 4_619_175,
            kept: 1_424_449,
        },
        keep_rate: 0.316,
        rules: vec![
            rule("server_errors", None, 28, 27),
            rule("tenant_rule", Some("acme"), 41, 11),
        ],
        base_rate: BaseRateReport {
            rate: 0.01,
            traces: 1036,
            spans: 6660,
            expected: 10.36,
            kept: 10,
        },
        tenants: vec![TenantReport {
            tenant: "acme".to_owned(),
            traces: 311,
            spans: 2177,
            kept: 44,
            base_rate: TenantBaseRateReport {
                rate: 0.05,
                source: BaseRateSource::Tenant,
                traces: 270,
                spans: 1890,
                expected: 13.5,
                kept: 12,
            },
        }],
        services: vec![ServiceReport {
            name: "gateway".to_owned(),
            spans: 4110,
            spans_kept: 1304,
            bytes: 2_020_001,
            bytes_kept: 652_602,
        }],
        errors: Counts {
            total: 29,
            kept: 26,
        },
        ..Report::default()
    };
    report.input.files = 3;
    report.input.documents = 168;
    report.input.skipped_non_trace = 5;
    report.input.errors = 0;
    report.input.duplicate_spans = 17;
    report.slow.threshold_ms = 1500.5;
    report.slow.traces = 38;
    report.slow.kept = 36;
    report.savings.price_per_gb = 0.37;
    report.savings.bytes_dropped = 3_194_726;
    report.savings.cost_total = 461.92;
    report.savings.cost_kept = 55.84;
    report.savings.cost_saved = 406.08;
    report.savings.per_tb.total = 370.0;
    report.savings.per_tb.kept = 114.11;
    report.savings.per_tb.saved = 255.89;
    report.durations.bounds_ms = vec![1.0, 2.0];
    report.durations.total[0] = 901;
    report.durations.total[1] = 533;
    report.durations.total[2] = 61;
    report.durations.kept[0] = 301;
    report.durations.kept[1] = 133;
    report.durations.kept[2] = 39;
    report.durations.untimed = Counts { total: 5, kept: 1 };
    report
}

/// Every number leaf of `value`, with the path to it.
fn numbers(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Number(n) => out.push((path.to_owned(), n.to_string())),
        serde_json::Value::Array(items) => {
            for (at, item) in items.iter().enumerate() {
                numbers(item, &format!("{path}[{at}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                numbers(item, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// The JSON's figures that the page does not show as numbers: the format's version and
/// the bucket bounds (shown as duration labels, `1ms`), and the empty buckets past
/// those of a hand-built histogram.
fn shown(path: &str) -> bool {
    !(path == ".version" || path.starts_with(".durations.bounds_ms"))
}

#[test]
fn every_figure_of_the_json_is_on_the_page() {
    let report = sample();
    let page = cpl_report::replay(
        "demo.yaml",
        &["shop.jsonl".to_owned()],
        std::slice::from_ref(&report),
    );
    let words: Vec<String> = text(&page)
        .split(|c: char| c.is_whitespace() || "(),:;$".contains(c))
        .map(str::to_owned)
        .collect();
    let mut figures = Vec::new();
    numbers(
        &serde_json::to_value(&report).expect("serialises"),
        "",
        &mut figures,
    );
    assert!(figures.len() > 60, "{} figures", figures.len());
    for (path, figure) in figures.iter().filter(|(path, _)| shown(path)) {
        assert!(
            words.iter().any(|word| word == figure),
            "{path} = {figure} is not on the page"
        );
    }
}

#[test]
fn names_with_markup_are_escaped_everywhere() {
    let mut report = sample();
    report.rules[0].name = HOSTILE.to_owned();
    report.rules[1].tenant = Some(HOSTILE.to_owned());
    report.tenants[0].tenant = HOSTILE.to_owned();
    report.services[0].name = HOSTILE.to_owned();
    report.fidelity = Some(FidelityReport {
        services: vec![FidelityRow {
            service: HOSTILE.to_owned(),
            ..FidelityRow::default()
        }],
        routes: vec![FidelityRow {
            service: "api".to_owned(),
            route: Some(HOSTILE.to_owned()),
            ..FidelityRow::default()
        }],
        ..FidelityReport::default()
    });
    let mut collector = sample();
    collector.collector = Some(CollectorReport {
        processor: HOSTILE.to_owned(),
        policies: vec![PolicyReport {
            name: HOSTILE.to_owned(),
            r#type: HOSTILE.to_owned(),
            ..PolicyReport::default()
        }],
        ..CollectorReport::default()
    });
    let inputs = [HOSTILE.to_owned()];
    let pages = [
        cpl_report::replay(HOSTILE, &inputs, &[report.clone(), collector]),
        cpl_report::diff(HOSTILE, HOSTILE, &inputs, (&report, &report)),
    ];
    for page in pages {
        let lower = page.to_lowercase();
        assert!(!lower.contains("<script"), "a raw <script> on the page");
        assert!(!lower.contains("alert(\"x\")"), "an unescaped quote");
        // Each place: policy, input, rule, tenant, service, processor, policy, route.
        assert!(
            page.matches("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
                .count()
                >= 6,
            "{page}"
        );
    }
}

#[test]
fn non_ascii_names_come_through_unchanged() {
    let mut report = sample();
    report.services[0].name = "支払いサービス".to_owned();
    report.rules[0].name = "règle_élevée".to_owned();
    let page = cpl_report::replay("politique.yaml", &["trazas-ñ.jsonl".to_owned()], &[report]);
    for name in ["支払いサービス", "règle_élevée", "trazas-ñ.jsonl"] {
        assert!(page.contains(name), "{name}");
    }
    assert!(page.contains(r#"<meta charset="utf-8">"#));
}

/// The stated bound (crate docs, README): a million distinct services, each with a
/// long name, still give a page under 400 kB.
#[test]
fn a_million_services_give_a_small_page() {
    let mut report = sample();
    let long = "ſ".repeat(10_000);
    report.services = (0..1_000_000)
        .map(|at| ServiceReport {
            name: if at < 100 {
                format!("{at}{long}")
            } else {
                format!("service-{at}")
            },
            spans: 1,
            ..ServiceReport::default()
        })
        .collect();
    report.rules = (0..5_000)
        .map(|at| rule(&format!("{at}{long}"), None, 1, 1))
        .collect();
    let fidelity_row = FidelityRow {
        service: long.clone(),
        route: Some(long.clone()),
        ..FidelityRow::default()
    };
    report.fidelity = Some(FidelityReport {
        services: vec![fidelity_row.clone(); 200],
        more_services: 999_800,
        routes: vec![fidelity_row; 200],
        more_routes: 1_000_000,
        ..FidelityReport::default()
    });
    let page = cpl_report::replay("p.yaml", &["t.jsonl".to_owned()], &[report]);
    assert!(page.len() < 400_000, "{} bytes", page.len());
    assert!(page.contains("… and 999950 more services not shown."));
    assert!(page.contains("… and 4950 more rules not shown."));
    assert!(page.contains("… and 999950 more services not shown."));
    assert!(page.contains("… and 1000150 more routes not shown."));
}

#[test]
fn the_fidelity_table_shows_truth_estimates_and_marks_large_errors() {
    let estimate = |truth: f64, weighted: f64, naive: f64| Estimate {
        truth: Some(truth),
        weighted: Some(weighted),
        naive: Some(naive),
        weighted_error: Some((weighted - truth) / truth),
        naive_error: Some((naive - truth) / truth),
    };
    let row = FidelityRow {
        service: "checkout".to_owned(),
        route: None,
        requests: estimate(1000.0, 1004.0, 120.0),
        error_rate: estimate(0.02, 0.0203, 0.25),
        latency_p50_ms: estimate(40.0, 41.0, 40.1),
        latency_p95_ms: Estimate::default(),
        latency_p99_ms: estimate(900.0, 880.0, 2400.0),
    };
    let mut report = sample();
    assert!(!cpl_report::replay("p", &[], &[report.clone()]).contains("id=\"fidelity\""));
    report.fidelity = Some(FidelityReport {
        overall: row.clone(),
        services: vec![row.clone()],
        more_services: 3,
        routes: vec![FidelityRow {
            route: Some("/api/pay".to_owned()),
            ..row
        }],
        more_routes: 0,
    });
    let page = cpl_report::replay("p", &[], &[report]);
    assert!(page.contains("id=\"fidelity\""));
    // The naive error rate is off by 11.5 times the truth: marked, not by colour alone.
    assert!(
        page.contains(r#"<td class="n err-high">⚠ 11.5 (+1150.0%)</td>"#),
        "{page}"
    );
    // 0.0203 vs 0.02: a 1.5% error, noted; 0.4% on requests, plain.
    assert!(page.contains(r#"<td class="n err-notable">△ "#));
    assert!(page.contains(r#"<td class="n">0.004 (+0.4%)</td>"#));
    for figure in [
        "1000.0", "1004.0", "120.0", "0.02", "0.0203", "0.25", "2400.0",
    ] {
        assert!(page.contains(&format!(">{figure}<")), "{figure}");
    }
    assert!(page.contains("checkout /api/pay"));
    assert!(page.contains("… and 3 more services not shown."));
    // No figure where the JSON has null.
    assert!(page.contains(r#"<td class="n">–</td>"#));
}

#[test]
fn an_empty_capture_and_nothing_kept_render() {
    let empty = Report::default();
    let page = cpl_report::replay("p", &["t".to_owned()], std::slice::from_ref(&empty));
    assert!(page.contains("Keeps <strong>0</strong> of 0 traces"));
    let mut none_kept = sample();
    none_kept.traces.kept = 0;
    none_kept.spans.kept = 0;
    let page = cpl_report::diff("a", "b", &[], (&empty, &none_kept));
    assert!(page.contains("</html>"));
}

#[test]
fn an_incomplete_report_says_so_at_the_top() {
    let mut report = sample();
    report.complete = false;
    let page = cpl_report::replay("p", &[], &[report]);
    assert!(page.contains("some input documents could not be read"));
}

#[test]
fn the_page_fetches_nothing() {
    let page = cpl_report::replay("p", &["t".to_owned()], &[sample()]);
    for fetch in ["src=", "href=\"http", "url(", "@import", "<script"] {
        assert!(!page.contains(fetch), "{fetch}");
    }
}
