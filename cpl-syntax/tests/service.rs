//! `service` in both forms (spec/policy.md, "`service`"): the string, and the mapping
//! `clarvynn init` writes. Odd shapes get a positioned E2xx diagnostic, never a panic.

#![allow(clippy::unwrap_used)]

use cpl_syntax::{load_policy, LineIndex, ServiceForm};

const SAMPLING: &str = "sampling:\n  base_rate: 0.1\n";

/// `(code, line, column, message, help)` of every diagnostic of `service: ...` + sampling.
fn diagnostics(service: &str) -> Vec<(&'static str, usize, usize, String, Option<String>)> {
    let source = format!("{service}{SAMPLING}");
    let loaded = load_policy(&source);
    assert_eq!(loaded.policy.is_some(), !loaded.has_errors(), "{source}");
    let index = LineIndex::new(&source);
    loaded
        .diagnostics
        .iter()
        .map(|d| {
            let (line, column) = index.line_column(&source, d.span.start);
            (d.code.code, line, column, d.message.clone(), d.help.clone())
        })
        .collect()
}

#[test]
fn the_string_form_is_the_name() {
    let policy = load_policy(&format!("service: checkout\n{SAMPLING}"))
        .policy
        .unwrap();
    let service = policy.service.unwrap();
    assert_eq!(service.name.value, "checkout");
    assert_eq!(service.form, ServiceForm::String);
    assert_eq!((service.namespace, service.version), (None, None));
    assert_eq!(service.span, 9..17);
}

#[test]
fn the_mapping_form_keeps_name_namespace_and_version() {
    let source = format!(
        "service:\n  name: my-service\n  namespace: production\n  version: 1.0.0\n{SAMPLING}"
    );
    let loaded = load_policy(&source);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let policy = loaded.policy.unwrap();
    assert_eq!(policy.namespace(), Some("production"));
    let service = policy.service.unwrap();
    assert_eq!(service.form, ServiceForm::Mapping);
    assert_eq!(service.name.value, "my-service");
    assert_eq!(&source[service.name.span.clone()], "my-service");
    assert_eq!(service.version.unwrap().value, "1.0.0");
    // Only `name` is required; a numeric version is kept as written.
    let policy = load_policy(&format!("service: {{name: a, version: 2.10}}\n{SAMPLING}"))
        .policy
        .unwrap();
    assert_eq!(policy.namespace(), None);
    assert_eq!(policy.service.unwrap().version.unwrap().value, "2.10");
}

#[test]
fn the_template_clarvynn_init_writes_loads() {
    let source = include_str!("../../tests/fixtures/clarvynn/clarvynn-init.yaml");
    let loaded = load_policy(source);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let policy = loaded.policy.unwrap();
    assert_eq!(policy.namespace(), Some("production"));
    assert_eq!(policy.version.unwrap().value, "1");
    assert_eq!(policy.service.unwrap().name.value, "my-service");
    assert_eq!(policy.sampling.conditions.len(), 2);
}

#[test]
fn odd_service_shapes_are_located_diagnostics() {
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        // (document head, code, line, column, message)
        (
            "service: [a, b]\n",
            "E203",
            1,
            10,
            "`service` must be a string or a mapping, not a list",
        ),
        (
            "service: 123\n",
            "E203",
            1,
            10,
            "`service` must be a string or a mapping, not an integer",
        ),
        (
            "service: 1.5\n",
            "E203",
            1,
            10,
            "`service` must be a string or a mapping, not a float",
        ),
        (
            "service: true\n",
            "E203",
            1,
            10,
            "`service` must be a string or a mapping, not a boolean",
        ),
        (
            "service:\n",
            "E203",
            1,
            8,
            "`service` must be a string or a mapping, not null",
        ),
        (
            "service:\n  name: 42\n",
            "E203",
            2,
            9,
            "`service.name` must be a string, not an integer",
        ),
        (
            "service:\n  name: {first: a}\n",
            "E203",
            2,
            9,
            "`service.name` must be a string, not a mapping",
        ),
        (
            "service:\n  name: [a]\n",
            "E203",
            2,
            9,
            "`service.name` must be a string, not a list",
        ),
        (
            "service:\n  name: a\n  namespace: 7\n",
            "E203",
            3,
            14,
            "`service.namespace` must be a string, not an integer",
        ),
        (
            "service:\n  name: a\n  version: [1]\n",
            "E203",
            3,
            12,
            "`service.version` must be a string or a number, not a list",
        ),
        (
            "service:\n  name: a\n  environment: [prod]\n",
            "E203",
            3,
            16,
            "`service.environment` must be a string, not a list",
        ),
        (
            "service:\n  name: a\n  env: prod\n",
            "E202",
            3,
            3,
            "unknown key `env` in `service`",
        ),
        (
            "service:\n  namespace: production\n",
            "E204",
            1,
            1,
            "`service` has no `name`",
        ),
        ("service: {}\n", "E204", 1, 1, "`service` has no `name`"),
        ("service:\n  name: a\n  name: b\n", "E201", 3, 3, ""),
        (
            "service:\n  1: a\n  name: b\n",
            "E202",
            2,
            3,
            "unknown key `1` in `service`",
        ),
    ];
    for (head, code, line, column, message) in cases {
        let found = diagnostics(head);
        let first = found
            .iter()
            .find(|d| d.0 == *code)
            .unwrap_or_else(|| panic!("{head:?}: no {code} in {found:?}"));
        assert_eq!((first.1, first.2), (*line, *column), "{head:?}: {found:?}");
        if !message.is_empty() {
            assert_eq!(first.3, *message, "{head:?}");
        }
    }
}

#[test]
fn helps_for_odd_names_are_pasteable() {
    let help = |head: &str| diagnostics(head)[0].4.clone().unwrap();
    assert_eq!(help("service: 123\n"), "quote it: `service: \"123\"`");
    assert_eq!(help("service:\n  name: 42\n"), "quote it: `name: \"42\"`");
    assert_eq!(
        help("service: [a]\n"),
        "write `service: {name: <the service's name>}`"
    );
    for pasted in ["service: \"123\"\n", "service:\n  name: \"42\"\n"] {
        assert_eq!(diagnostics(pasted), [], "{pasted}");
    }
}
