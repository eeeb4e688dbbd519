//! `cpl scan` on the fixture repositories of tests/fixtures/scan: one snapshot per
//! finding kind (each test fails when its finding is not reported), the inventory,
//! the JSON schema, and bad input.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cpl_scan::code::{CodeFinding, CodeFindingKind};
use cpl_scan::model::{Language, Location, Sampler};
use cpl_scan::report::Report;
use cpl_scan::{scan, scan_with, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/scan")
        .join(name)
}

fn shop() -> Report {
    scan(&[fixture("shop")], &Options::default())
        .expect("the fixture scans")
        .report
}

/// The findings of one code, as JSON, asserting there is at least one.
fn findings_of(report: &Report, code: &str) -> serde_json::Value {
    let found: Vec<_> = report.findings.iter().filter(|f| f.code == code).collect();
    assert!(
        !found.is_empty(),
        "no {code} finding; findings: {:#?}",
        report
            .findings
            .iter()
            .map(|f| format!("{} {}", f.code, f.message))
            .collect::<Vec<_>>()
    );
    serde_json::to_value(found).expect("serialises")
}

macro_rules! finding_snapshot {
    ($test:ident, $code:literal) => {
        #[test]
        fn $test() {
            let report = shop();
            insta::assert_json_snapshot!(findings_of(&report, $code));
        }
    };
}

finding_snapshot!(l601_sampling_drift, "L601");
finding_snapshot!(l602_non_parent_based_downstream, "L602");
finding_snapshot!(l604_mixed_propagators, "L604");
finding_snapshot!(l605_unknown_sampler_name, "L605");
finding_snapshot!(l606_invalid_sampler_argument, "L606");
finding_snapshot!(l607_unsupported_operator_sampler, "L607");
finding_snapshot!(l608_shadowed_setting, "L608");
finding_snapshot!(l609_tenant_override_missing, "L609");
finding_snapshot!(l610_tenant_override_looser, "L610");
finding_snapshot!(l611_tenant_override_stricter, "L611");
finding_snapshot!(l612_base_rate_behind_head_sampler, "L612");
finding_snapshot!(l613_sdk_default_sampler, "L613");
finding_snapshot!(l614_sdk_disabled, "L614");
finding_snapshot!(l615_unresolved_sampler_value, "L615");
finding_snapshot!(l616_non_string_env_value, "L616");

/// A code scanner standing in for the tree-sitter one: the Go payments service builds
/// a provider and never sets a propagator.
fn go_provider(path: &str, language: Language, _: &[u8]) -> Vec<CodeFinding> {
    if path != "src/payments/main.go" {
        return Vec::new();
    }
    vec![CodeFinding {
        location: Location {
            path: path.to_owned(),
            line: 3,
            column: 1,
        },
        language,
        kind: CodeFindingKind::TracerProviderWithoutSampler,
    }]
}

#[test]
fn l603_missing_propagator_from_code_findings() {
    let report = scan_with(&[fixture("shop")], &Options::default(), &go_provider)
        .expect("scans")
        .report;
    insta::assert_json_snapshot!(findings_of(&report, "L603"));
    let payments = report
        .services
        .iter()
        .find(|s| s.name == "payments")
        .expect("payments");
    assert_eq!(payments.language, Some(Language::Go));
}

#[test]
fn code_sampler_beats_env_and_is_merged_by_directory() {
    let installed = |path: &str, language: Language, _: &[u8]| {
        if path != "src/payments/main.go" {
            return Vec::new();
        }
        vec![CodeFinding {
            location: Location {
                path: path.to_owned(),
                line: 3,
                column: 1,
            },
            language,
            kind: CodeFindingKind::SamplerInstalled {
                sampler: Sampler::AlwaysOn,
            },
        }]
    };
    let report = scan_with(&[fixture("shop")], &Options::default(), &installed)
        .expect("scans")
        .report;
    let payments = report
        .services
        .iter()
        .find(|s| s.name == "payments")
        .expect("payments");
    for env in &payments.environments {
        assert_eq!(env.sampler, Sampler::AlwaysOn, "{}", env.environment);
        assert!(env.shadowed.iter().any(
            |s| s.key == "OTEL_TRACES_SAMPLER" && s.shadowed_by.path == "src/payments/main.go"
        ));
    }
}

#[test]
fn inventory_table() {
    let report = shop();
    let rows: Vec<String> = report
        .services
        .iter()
        .flat_map(|service| {
            service.environments.iter().map(move |env| {
                format!(
                    "{} {:?} {} {} p={:?} by={:?}",
                    service.name,
                    service.role,
                    env.environment,
                    env.sampler_text,
                    env.root_probability,
                    env.decided_by
                        .location
                        .as_ref()
                        .map(|l| format!("{}:{}:{}", l.path, l.line, l.column))
                )
            })
        })
        .collect();
    insta::assert_snapshot!(rows.join("\n"));
    assert_eq!(report.environments.source, "inferred");
    assert_eq!(report.environments.names, ["dev", "prod", "staging"]);
}

#[test]
fn nothing_from_comments_or_ini_files() {
    let report = shop();
    assert!(report
        .settings
        .iter()
        .all(|s| !s.location.path.ends_with("grafana.ini")));
    // The compose `.env` chain resolves (OTEL_EXPORTER_OTLP_ENDPOINT is not a sampler
    // setting, CHECKOUT_RATIO is).
    let ratio = report
        .settings
        .iter()
        .find(|s| s.location.path == "compose.yaml" && s.key == "OTEL_TRACES_SAMPLER_ARG")
        .expect("checkout ARG");
    assert_eq!(ratio.text(), Some("0.25"));
}

#[test]
fn java_agent_options_are_settings() {
    let report = shop();
    let sysprop = report
        .settings
        .iter()
        .find(|s| s.key == "-Dotel.traces.sampler")
        .expect("the system property");
    assert_eq!(sysprop.location.path, "src/ad/Dockerfile");
    assert_eq!(sysprop.service.as_deref(), Some("ad"));
    let ad = report.services.iter().find(|s| s.name == "ad").expect("ad");
    assert_eq!(ad.language, Some(Language::Java));
    assert_eq!(ad.environments[0].sampler, Sampler::AlwaysOn);
}

#[test]
fn the_report_validates_against_its_schema() {
    let report = shop();
    let schema: serde_json::Value =
        serde_json::from_str(&cpl_scan::report_schema()).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let instance = serde_json::to_value(&report).expect("serialises");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And a schema that is not vacuous: a report without `services` fails.
    let mut broken = instance.clone();
    broken.as_object_mut().expect("object").remove("services");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn the_report_is_stable() {
    let one = serde_json::to_string(&shop()).expect("json");
    let two = serde_json::to_string(&shop()).expect("json");
    assert_eq!(one, two);
}

#[test]
fn project_file_names_environments_and_entry_points() {
    let report = scan(&[fixture("project")], &Options::default())
        .expect("scans")
        .report;
    assert_eq!(report.environments.source, "project");
    assert_eq!(report.environments.names, ["prod", "staging"]);
    let api = report
        .services
        .iter()
        .find(|s| s.name == "api")
        .expect("api");
    assert_eq!(api.role, cpl_scan::report::Role::EntryPoint);
    assert!(api.role_reason.contains("scan.entry_points"));
    let worker = report
        .services
        .iter()
        .find(|s| s.name == "worker")
        .expect("worker");
    assert_eq!(worker.role, cpl_scan::report::Role::Internal);
    insta::assert_json_snapshot!("project_findings", report.findings);
}

#[test]
fn opentelemetry_demo() {
    let Some(demo) = cpl_tests::shared_path("corpus/scan/open-telemetry__opentelemetry-demo")
    else {
        return;
    };
    let report = scan(&[demo], &Options::default()).expect("scans").report;
    // No false positive from the commented Jaeger settings of grafana.ini.
    assert!(report
        .settings
        .iter()
        .all(|s| !s.location.path.contains("grafana")));
    // The declarative config, activated for product-catalog by compose.
    let catalog = report
        .services
        .iter()
        .find(|s| s.name == "product-catalog")
        .expect("product-catalog");
    let env = &catalog.environments[0];
    assert_eq!(
        env.decided_by.location.as_ref().map(|l| l.path.as_str()),
        Some("otel-config.yml"),
        "{env:#?}"
    );
    assert_eq!(env.sampler_text, "ParentBased{root: AlwaysOn}");
    // The Java agent options in JAVA_TOOL_OPTIONS.
    let agents: Vec<&str> = report
        .settings
        .iter()
        .filter(|s| s.key == "-javaagent")
        .map(|s| s.location.path.as_str())
        .collect();
    assert!(agents.contains(&"src/ad/Dockerfile"), "{agents:?}");
    assert!(
        agents.contains(&"src/fraud-detection/Dockerfile"),
        "{agents:?}"
    );
    let ad = report.services.iter().find(|s| s.name == "ad").expect("ad");
    assert_eq!(ad.language, Some(Language::Java));
    // Compose env with the `.env` chain: the bare passthrough resolves from `.env`.
    let endpoint = report
        .settings
        .iter()
        .find(|s| s.location.path == "compose.yaml" && s.key == "OTEL_CONFIG_FILE")
        .expect("OTEL_CONFIG_FILE in compose.yaml");
    assert_eq!(endpoint.location.line, 527);
    // Elsewhere nothing sets a sampler: the SDK default is concluded and said so.
    let defaults = report.findings.iter().filter(|f| f.code == "L613").count();
    assert!(defaults >= 10, "{defaults} services with the default");
    assert!(report
        .findings
        .iter()
        .filter(|f| f.code == "L613")
        .all(|f| f.message.contains("ParentBased(AlwaysOn)")));
    let summary: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f.code,
                f.location.path,
                f.location.line,
                f.service.as_deref().unwrap_or("")
            )
        })
        .collect();
    insta::assert_snapshot!("demo_findings", summary.join("\n"));
}

/// Bad input never panics, hangs or errors the scan: binary, not UTF-8, a symlink
/// loop, a YAML alias bomb, deep nesting.
#[test]
fn bad_input_is_counted_or_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("binary.yaml"), b"OTEL\0\x01\x02").expect("write");
    std::fs::write(root.join(".env"), b"OTEL_TRACES_SAMPLER=\xff\xfe\n").expect("write");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("b{}", i - 1)
        };
        let _ = writeln!(bomb, "b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]");
    }
    bomb.push_str("services: {}\n");
    std::fs::write(root.join("compose.yaml"), bomb).expect("write");
    let deep = format!(
        "OTEL_TRACES_SAMPLER: {}1{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    std::fs::write(root.join("deep.yaml"), deep).expect("write");
    std::fs::create_dir(root.join("loop")).expect("mkdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(root, root.join("loop/back")).expect("symlink");
    let report = scan(&[root.to_path_buf()], &Options::default())
        .expect("scans")
        .report;
    assert_eq!(report.skipped.binary, 1, "{:?}", report.skipped);
    assert_eq!(report.skipped.not_utf8, 1, "{:?}", report.skipped);
    let invalid: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code == "E600")
        .map(|f| f.location.path.as_str())
        .collect();
    assert_eq!(
        invalid,
        ["compose.yaml", "deep.yaml"],
        "{:#?}",
        report.findings
    );
}

#[test]
fn gitignored_files_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), "ignored/\n").expect("write");
    std::fs::create_dir(root.join("ignored")).expect("mkdir");
    std::fs::write(
        root.join("ignored/compose.yaml"),
        "services:\n  a:\n    image: a\n    environment:\n      OTEL_TRACES_SAMPLER: always_off\n",
    )
    .expect("write");
    let report = scan(&[root.to_path_buf()], &Options::default())
        .expect("scans")
        .report;
    assert!(report.settings.is_empty(), "{:#?}", report.settings);
}

#[test]
fn a_missing_path_is_an_error() {
    let error = scan(
        &[PathBuf::from("/nonexistent/cpl-scan")],
        &Options::default(),
    );
    assert!(matches!(error, Err(cpl_scan::ScanError::Path { .. })));
}

/// Each service's root probability per environment, and what decided it.
fn inventory(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    for service in &report.services {
        for env in &service.environments {
            let at = env
                .decided_by
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.path, l.line, l.column))
                .unwrap_or_default();
            let shadowed: Vec<String> = env
                .shadowed
                .iter()
                .map(|s| {
                    format!(
                        "{}={} at {}:{}:{} by {}:{}:{}",
                        s.key,
                        s.value,
                        s.location.path,
                        s.location.line,
                        s.location.column,
                        s.shadowed_by.path,
                        s.shadowed_by.line,
                        s.shadowed_by.column
                    )
                })
                .collect();
            lines.push(format!(
                "{} {} {} {:?} {at}; shadowed: [{}]",
                service.name,
                env.environment,
                env.sampler_text,
                env.root_probability.value(),
                shadowed.join(", ")
            ));
        }
    }
    lines
}

#[test]
fn kustomize_patches_override_the_base_in_their_environment() {
    let report = scan(&[fixture("kustomize")], &Options::default())
        .expect("scans")
        .report;
    let table = inventory(&report);
    let has = |service: &str, env: &str, p: f64| {
        table.iter().any(|l| {
            l.starts_with(&format!("{service} {env} ")) && l.contains(&format!("Some({p:?})"))
        })
    };
    assert!(
        has("web", "prod", 0.05),
        "inline strategic merge: {table:#?}"
    );
    assert!(
        has("orders", "prod", 0.2),
        "inline JSON 6902 `env/-`: {table:#?}"
    );
    assert!(
        has("web", "staging", 0.5),
        "patch file outside the overlay: {table:#?}"
    );
    assert!(
        has("orders", "staging", 0.3),
        "patchesJson6902 file: {table:#?}"
    );
    // The inline patch's setting is placed where it is written in the kustomization.
    let inline = report
        .settings
        .iter()
        .find(|s| {
            s.location.path.ends_with("prod/kustomization.yaml")
                && s.service.as_deref() == Some("web")
        })
        .expect("the inline patch's setting");
    assert_eq!((inline.location.line, inline.location.column), (15, 27));
    insta::assert_snapshot!(table.join("\n"));
    insta::assert_json_snapshot!(
        "kustomize_unapplied_operation",
        findings_of(&report, "L615")
    );
}

#[test]
fn l609_expected_tenant_without_any_override_file() {
    let scanned = scan(&[fixture("tenants-expected")], &Options::default()).expect("scans");
    let found: Vec<_> = scanned
        .report
        .findings
        .iter()
        .filter(|f| f.code == "L609")
        .collect();
    // Two tenants, two environments, no tenant file anywhere.
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().all(|f| f.location.path == "cpl.yaml"));
    assert!(
        scanned.sources.contains_key("cpl.yaml"),
        "rendered with its source"
    );
    insta::assert_json_snapshot!(findings_of(&scanned.report, "L609"));
}

#[test]
fn a_finding_names_every_environment_it_holds_in() {
    let report = shop();
    let l608: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == "L608")
        .collect();
    // The Operator's sampler is shadowed by the same container env everywhere: one
    // finding listing every environment.
    let operator = l608
        .iter()
        .find(|f| {
            f.location.path == "deploy/base/instrumentation.yaml"
                && f.service.as_deref() == Some("cart")
        })
        .expect("the Instrumentation is shadowed for cart");
    assert_eq!(operator.environments, ["dev", "prod", "staging"]);
    assert!(
        operator.message.ends_with("(in `dev`, `prod`, `staging`)"),
        "{}",
        operator.message
    );
    // frontend's base ratio loses to a different value in each overlay: one finding each,
    // each naming its own winner and environment.
    let base: Vec<_> = l608
        .iter()
        .filter(|f| f.location.path == "deploy/base/frontend.yaml" && f.location.line == 15)
        .collect();
    let environments: Vec<&[String]> = base.iter().map(|f| f.environments.as_slice()).collect();
    assert_eq!(environments, [["dev"], ["prod"]], "{base:#?}");
    assert!(
        base[0].message.contains("dev/frontend-patch.yaml") && !base[0].message.contains("`prod`")
    );
    assert!(
        base[1].message.contains("prod/frontend-patch.yaml") && !base[1].message.contains("`dev`")
    );
}

#[test]
fn code_env_defaults_hold_unless_a_scanned_file_sets_the_variable() {
    let report = scan(&[fixture("code-defaults")], &Options::default())
        .expect("scans")
        .report;
    let table = inventory(&report);
    insta::assert_snapshot!(table.join("\n"));
    let line = |service: &str| {
        table
            .iter()
            .find(|l| l.starts_with(&format!("{service} ")))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        line("api").contains("the default of API_RATIO") && line("api").contains("Some(0.1)"),
        "{table:#?}"
    );
    assert!(
        line("worker").contains("unresolved(WORKER_RATIO)") && line("worker").contains(" None "),
        "{table:#?}"
    );
}

/// SDK source is parsed on several threads; the report is the same on one.
#[test]
fn the_report_does_not_depend_on_the_number_of_threads() {
    let mut roots = vec![fixture("shop"), fixture("code-defaults")];
    if let Some(demo) = cpl_tests::shared_path("corpus/scan/open-telemetry__opentelemetry-demo") {
        roots.push(demo);
    }
    for root in roots {
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            let report = pool
                .install(|| scan(std::slice::from_ref(&root), &Options::default()))
                .expect("scans")
                .report;
            serde_json::to_string(&report).expect("serialises")
        };
        assert_eq!(on(1), on(4), "{}", root.display());
    }
}
