//! The policy printer and the construction API (spec/policy.md, "Canonical form"):
//! every construct prints and loads back as the same policy, printing is stable, and
//! the constructors refuse what the loader refuses.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use cpl_syntax::ast::{CompareOp, DurationUnit, Field, FieldKind, Literal, StringOp, Value};
use cpl_syntax::fields::BUILTIN_FIELDS;
use cpl_syntax::{
    codes, load_policy, print_policy, Action, BuildError, Condition, Expr, ExprKind, Policy,
    Service, Span, TenantOverride, Tenants, When,
};
use proptest::prelude::*;

/// Prints `policy`, loads the text, and checks the round trip: the same policy up to
/// positions, and the same text when printed again. Returns the text.
fn round_trip(policy: &Policy) -> String {
    let text = print_policy(policy);
    let loaded = load_policy(&text);
    let errors: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == cpl_syntax::Severity::Error)
        .map(|d| format!("{} {} at {:?}", d.code.code, d.message, d.span))
        .collect();
    assert!(
        errors.is_empty(),
        "printed policy does not load: {errors:?}\n{text}"
    );
    let again = loaded.policy.expect("a policy");
    assert_eq!(
        again.without_positions(),
        policy.without_positions(),
        "\n{text}"
    );
    assert_eq!(print_policy(&again), text, "printing is not stable");
    text
}

fn when(text: &str) -> When {
    When::parse(text).unwrap_or_else(|d| panic!("{text}: {d:?}"))
}

fn keep(name: &str, text: &str) -> Condition {
    Condition::new(name, when(text)).unwrap()
}

#[test]
fn a_minimal_policy() {
    let policy = Policy::new(0.01).unwrap();
    assert_eq!(
        round_trip(&policy),
        "version: 1\nsampling:\n  base_rate: 0.01\n"
    );
}

#[test]
fn rates_print_as_the_shortest_float_that_reads_back() {
    for (rate, text) in [
        (0.0, "0.0"),
        (-0.0, "0.0"),
        (1.0, "1.0"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        (1e-7, "1e-7"),
        (0.333_333_333_333_333_3, "0.3333333333333333"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (5e-324, "5e-324"),
    ] {
        let policy = Policy::new(rate).unwrap();
        let printed = round_trip(&policy);
        assert!(
            printed.contains(&format!("base_rate: {text}\n")),
            "{printed}"
        );
    }
}

#[test]
fn rates_outside_zero_to_one_are_refused() {
    for rate in [
        -0.1,
        1.000_000_1,
        f64::NAN,
        f64::INFINITY,
        -f64::INFINITY,
        2.0,
    ] {
        assert!(matches!(
            Policy::new(rate),
            Err(BuildError::RateOutOfRange {
                key: "base_rate",
                ..
            })
        ));
        assert!(matches!(
            keep("a", "error == true").with_rate(rate),
            Err(BuildError::RateOutOfRange { key: "rate", .. })
        ));
        assert!(TenantOverride::new("acme").with_base_rate(rate).is_err());
    }
}

#[test]
fn each_condition_key_prints_in_spec_order() {
    let condition = keep("sampled", "http.route == '/search'")
        .with_rate(0.25)
        .unwrap()
        .with_action(Action::Keep)
        .unwrap()
        .with_enabled(false)
        .with_suppression(&codes::DISABLED_CONDITION, "kept for the record")
        .unwrap()
        .with_suppression(&codes::IMPLICIT_EXISTS, "the route is always set")
        .unwrap();
    let policy = Policy::new(0.1).unwrap().with_condition(condition).unwrap();
    insta::assert_snapshot!(round_trip(&policy), @r#"
    version: 1
    sampling:
      base_rate: 0.1
      conditions:
        - name: sampled
          when: 'http.route == "/search"'
          enabled: false
          rate: 0.25
          action: keep
          suppress:
            L335: kept for the record
            L341: the route is always set
    "#);
}

#[test]
fn drop_rules_have_no_rate() {
    let drop = keep("noise", "http.route == '/health'")
        .with_action(Action::Drop)
        .unwrap();
    assert_eq!(
        drop.clone().with_rate(0.5).unwrap_err(),
        BuildError::RateWithDrop
    );
    let sampled = keep("noise", "http.route == '/health'")
        .with_rate(0.5)
        .unwrap();
    assert_eq!(
        sampled.with_action(Action::Drop).unwrap_err(),
        BuildError::RateWithDrop
    );
    let policy = Policy::new(0.1).unwrap().with_condition(drop).unwrap();
    assert!(round_trip(&policy).contains("      action: drop\n"));
}

#[test]
fn names_must_be_present_and_unique() {
    assert_eq!(
        Condition::new(" \t", when("error == true")).unwrap_err(),
        BuildError::EmptyName
    );
    let policy = Policy::new(0.1)
        .unwrap()
        .with_condition(keep("errors", "status_code >= 500"))
        .unwrap();
    assert_eq!(
        policy
            .with_condition(keep("errors", "error == true"))
            .unwrap_err(),
        BuildError::DuplicateName("errors".to_owned())
    );
    assert!(TenantOverride::new("acme")
        .with_condition(keep("a", "error == true"))
        .unwrap()
        .with_condition(keep("a", "error == false"))
        .is_err());
}

#[test]
fn suppressions_need_a_reason_and_one_per_code() {
    let condition = keep("a", "error == true");
    assert_eq!(
        condition
            .clone()
            .with_suppression(&codes::DROP_BEFORE_KEEP, "  ")
            .unwrap_err(),
        BuildError::EmptyReason("L334")
    );
    let once = condition
        .with_suppression(&codes::DROP_BEFORE_KEEP, "fine")
        .unwrap();
    assert_eq!(
        once.with_suppression(&codes::DROP_BEFORE_KEEP, "again")
            .unwrap_err(),
        BuildError::DuplicateSuppression("L334")
    );
}

#[test]
fn service_in_both_forms() {
    let short = Policy::new(0.1)
        .unwrap()
        .with_service(Service::short("checkout"));
    assert!(round_trip(&short).contains("\nservice: checkout\n"));
    let full = Policy::new(0.1).unwrap().with_service(
        Service::new("checkout")
            .with_namespace("production")
            .with_version("1.0")
            .with_environment("prod"),
    );
    insta::assert_snapshot!(round_trip(&full), @r#"
    version: 1
    service:
      name: checkout
      namespace: production
      version: '1.0'
      environment: prod
    sampling:
      base_rate: 0.1
    "#);
    // Names YAML would read as numbers, booleans or null stay strings.
    for name in ["123", "true", "null", "~", "", "1e3", "0x10", ".inf", "yes"] {
        let policy = Policy::new(0.1).unwrap().with_service(Service::short(name));
        round_trip(&policy);
        let policy = Policy::new(0.1)
            .unwrap()
            .with_service(Service::new(name).with_version(name));
        round_trip(&policy);
    }
}

#[test]
fn tenants_and_their_overrides() {
    let tenants = Tenants::new("resource.tenant.id")
        .unwrap()
        .with_override(TenantOverride::new("acme").with_base_rate(0.2).unwrap())
        .unwrap()
        .with_override(
            TenantOverride::new("123")
                .with_condition(keep("errors", "status_code >= 500").with_enabled(false))
                .unwrap(),
        )
        .unwrap()
        .with_override(TenantOverride::new("empty"))
        .unwrap();
    let policy = Policy::new(0.01)
        .unwrap()
        .with_condition(keep("errors", "status_code >= 500"))
        .unwrap()
        .with_tenants(tenants);
    insta::assert_snapshot!(round_trip(&policy), @r#"
    version: 1
    sampling:
      base_rate: 0.01
      conditions:
        - name: errors
          when: status_code >= 500
    tenants:
      attribute: resource.tenant.id
      overrides:
        acme:
          base_rate: 0.2
        '123':
          conditions:
            - name: errors
              when: status_code >= 500
              enabled: false
        empty: {}
    "#);
    let span_attribute = Policy::new(0.01)
        .unwrap()
        .with_tenants(Tenants::new("tenant.id").unwrap());
    assert!(round_trip(&span_attribute).contains("  attribute: tenant.id\n"));
    assert_eq!(
        Tenants::new(" ").unwrap_err(),
        BuildError::EmptyTenantAttribute
    );
    assert_eq!(
        Tenants::new("t")
            .unwrap()
            .with_override(TenantOverride::new("a"))
            .unwrap()
            .with_override(TenantOverride::new("a"))
            .unwrap_err(),
        BuildError::DuplicateTenant("a".to_owned())
    );
}

/// Expression texts that stress YAML quoting: each prints in a style that reads back.
#[test]
fn every_expression_text_is_quoted_so_that_it_reads_back() {
    let cases = [
        ("status_code >= 500", "status_code >= 500"),
        ("path contains '/api'", r#"'path contains "/api"'"#),
        (r#"path contains "it's""#, r#"'path contains "it''s"'"#),
        (
            r#"name matches r"^GET /api/v\d+""#,
            r#"'name matches r"^GET /api/v\d+"'"#,
        ),
        (r"path == 'a\\b'", r#"'path == r"a\b"'"#),
        (r#"path == "tab\there""#, r#"'path == "tab\there"'"#),
        (r#"path == "line\nbreak""#, r#"'path == "line\nbreak"'"#),
        ("path == 'ü → ✓'", r#"'path == "ü → ✓"'"#),
        (
            "path == '#not a comment'",
            r##"'path == "#not a comment"'"##,
        ),
        ("path == 'a: b'", r#"'path == "a: b"'"#),
        ("path contains ' #x'", r#"'path contains " #x"'"#),
        ("attributes['- x'] == 1", r#"'attributes["- x"] == 1'"#),
        (
            "exists(resource['k8s pod'])",
            r#"'exists(resource["k8s pod"])'"#,
        ),
        ("kind == SERVER", "kind == SERVER"),
        ("x.y in []", "'x.y in []'"),
        ("NOT (a.b == 1 OR c.d == 2)", "NOT (a.b == 1 OR c.d == 2)"),
        ("path == '\u{1}'", "\"path == \\\"\\u0001\\\"\""),
        ("path == '\u{85}x'", "\"path == \\\"\u{85}x\\\"\""),
        ("path == '\u{2028}'", "\"path == \\\"\u{2028}\\\"\""),
    ];
    for (input, written) in cases {
        let condition = keep("c", input);
        let policy = Policy::new(0.5).unwrap().with_condition(condition).unwrap();
        let text = round_trip(&policy);
        let line = text
            .lines()
            .find_map(|line| line.trim_start().strip_prefix("when: "))
            .unwrap();
        assert_eq!(line, written, "{input}");
    }
}

/// Names, reasons and tenant ids with every kind of special character.
#[test]
fn every_string_is_quoted_so_that_it_reads_back() {
    let strings = [
        "plain",
        "with space",
        " leading",
        "trailing ",
        "a: b",
        "#hash",
        "a #b",
        "- dash",
        "? q",
        ": colon",
        "'single'",
        "\"double\"",
        "both ' and \"",
        "back\\slash",
        "line\nbreak",
        "tab\there",
        "\r",
        "ü",
        "—",
        "𝄞",
        "@at",
        "`tick",
        "!tag",
        "&anchor",
        "*alias",
        "%directive",
        "|block",
        ">folded",
        "[flow]",
        "{flow}",
        "a,b",
        "---",
        "...",
        "true",
        "False",
        "null",
        "~",
        "1",
        "-1",
        "1.5",
        ".5",
        "1e3",
        "0o7",
        "0x1f",
        ".nan",
        "-.inf",
        "\u{feff}bom",
        "\u{a0}nbsp",
        "\u{85}nel",
        "\u{7f}del",
    ];
    for s in strings {
        let condition = Condition::new(format!("n{s}"), when("error == true"))
            .unwrap()
            .with_suppression(&codes::ALWAYS_TRUE_CONDITION, format!("r{s}"))
            .unwrap();
        let policy = Policy::new(0.5)
            .unwrap()
            .with_service(Service::new(s).with_namespace(s).with_version(s))
            .with_condition(condition)
            .unwrap()
            .with_tenants(
                Tenants::new(&format!("t{s}"))
                    .unwrap()
                    .with_override(TenantOverride::new(s))
                    .unwrap(),
            );
        round_trip(&policy);
    }
}

#[test]
fn when_from_a_tree_is_its_canonical_text_checked() {
    let expr = cpl_syntax::parse_expression("500 <= status_code AND (method == 'GET')")
        .expr
        .unwrap();
    let built = When::from_expr(&expr).unwrap();
    assert_eq!(built.source, r#"status_code >= 500 AND method == "GET""#);
    // A tree the loader would refuse is refused: a bare word against a string field.
    let bare = cpl_syntax::parse_expression("method == GET").expr.unwrap();
    let errors = When::from_expr(&bare).unwrap_err();
    assert_eq!(errors[0].code.code, "E115");
    // An undotted attribute key that is near a built-in field prints in its quoted form,
    // which loads without E113.
    let near = cpl_syntax::parse_expression("attributes['duraton'] > 5")
        .expr
        .unwrap();
    assert_eq!(
        When::from_expr(&near).unwrap().source,
        r#"attributes["duraton"] > 5"#
    );
}

#[test]
fn when_parse_reports_every_error_with_spans_into_the_text() {
    let errors = When::parse("status_code >>= 500 AND kind == SERVR").unwrap_err();
    assert!(!errors.is_empty());
    assert_eq!(errors[0].code.code, "E101");
    assert!(errors.iter().all(|d| d.span.end <= 37));
    assert_eq!(When::parse("").unwrap_err()[0].code.code, "E100");
    assert_eq!(
        When::parse("path matches '('").unwrap_err()[0].code.code,
        "E112"
    );
}

/// The shipped policies and every clean policy example of the spec print, load back as
/// the same policy, and print again identically; the printed corpus is snapshotted.
#[test]
fn corpus_policies_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/policies");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 4,
        "corpus policies not found in {}",
        dir.display()
    );
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let policy = load_policy(&text).policy.expect("corpus policies load");
        let printed = round_trip(&policy);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("corpus_{name}"), printed);
    }
}

// ---- generated policies ----

fn field() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        (0..BUILTIN_FIELDS.len()).prop_map(|i| FieldKind::Builtin(BUILTIN_FIELDS[i].0)),
        "[a-z][a-z0-9_]{0,6}(\\.[a-z0-9_]{1,6}){1,2}".prop_map(FieldKind::SpanAttribute),
        "[a-z][a-z_]{0,6}(\\.[a-z]{1,6}){0,2}".prop_map(FieldKind::ResourceAttribute),
        ".{0,8}".prop_map(FieldKind::SpanAttribute),
        ".{0,8}".prop_map(FieldKind::ResourceAttribute),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let units = prop_oneof![
        Just(DurationUnit::Nanoseconds),
        Just(DurationUnit::Microseconds),
        Just(DurationUnit::Milliseconds),
        Just(DurationUnit::Seconds),
        Just(DurationUnit::Minutes),
        Just(DurationUnit::Hours),
    ];
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("literals are never NaN", |f| !f.is_nan())
            .prop_map(Value::Float),
        (0..1_000_000i64, units)
            .prop_map(|(n, unit)| Value::Duration(n * unit.nanos() / 1000, unit)),
        any::<String>().prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
        r#"[\\a-z.+*?()\[\]{}^$|'" #:\-]{0,12}"#.prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn literal(value: impl Strategy<Value = Value>) -> impl Strategy<Value = Literal> {
    value.prop_map(|value| Literal {
        value,
        span: Span::default(),
    })
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn predicate() -> impl Strategy<Value = ExprKind> {
    let field = || {
        field().prop_map(|kind| Field {
            kind,
            span: Span::default(),
        })
    };
    let compare_op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
    ];
    let string_op = prop_oneof![
        Just(StringOp::Contains),
        Just(StringOp::StartsWith),
        Just(StringOp::EndsWith),
        Just(StringOp::Matches),
    ];
    let constant = prop_oneof![
        (
            Just(cpl_syntax::fields::BuiltinField::Kind),
            prop::sample::select(&cpl_syntax::SpanKind::CONSTANTS[..])
        ),
        (
            Just(cpl_syntax::fields::BuiltinField::Status),
            prop::sample::select(&cpl_syntax::StatusCode::CONSTANTS[..])
        ),
    ];
    prop_oneof![
        (field(), compare_op.clone(), literal(value()))
            .prop_map(|(field, op, value)| ExprKind::Compare { field, op, value }),
        (field(), string_op, any::<bool>(), literal(value())).prop_map(
            |(field, op, negated, value)| ExprKind::StringTest {
                field,
                op,
                negated,
                value,
            }
        ),
        (
            field(),
            any::<bool>(),
            prop::collection::vec(literal(value()), 0..4)
        )
            .prop_map(|(field, negated, values)| ExprKind::In {
                field,
                negated,
                values
            }),
        field().prop_map(ExprKind::Exists),
        (constant, compare_op).prop_map(|((field, name), op)| ExprKind::Compare {
            field: Field {
                kind: FieldKind::Builtin(field),
                span: Span::default()
            },
            op,
            value: Literal {
                value: Value::Name(name.to_owned()),
                span: Span::default()
            },
        }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    predicate()
        .prop_map(node)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|items| node(ExprKind::And(items))),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|items| node(ExprKind::Or(items))),
                inner.prop_map(|e| node(ExprKind::Not(Box::new(e)))),
            ]
        })
}

/// A `when:` from a generated tree; trees the loader refuses (an invalid regex, a
/// misspelt field) are replaced by a simple one, so that few cases are rejected.
fn when_strategy() -> impl Strategy<Value = When> {
    expr().prop_map(|tree| When::from_expr(&tree).unwrap_or_else(|_| when("error == true")))
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        any::<String>().prop_filter("names are not blank", |s| !s.trim().is_empty()),
    ]
}

fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        0.0..=1.0f64,
        (0u32..=100).prop_map(|n| f64::from(n) / 100.0)
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    (
        name(),
        when_strategy(),
        prop::option::of(any::<bool>()),
        prop::option::of(rate()),
        prop::option::of(prop_oneof![Just(Action::Keep), Just(Action::Drop)]),
        prop::collection::vec((prop::sample::select(cpl_syntax::REGISTRY), name()), 0..3),
    )
        .prop_map(|(name, when, enabled, rate, action, suppress)| {
            let mut condition = Condition::new(name, when).unwrap();
            if let Some(enabled) = enabled {
                condition = condition.with_enabled(enabled);
            }
            if let Some(rate) = rate {
                condition = condition.with_rate(rate).unwrap();
            }
            if let Some(action) = action {
                condition = condition.clone().with_action(action).unwrap_or(condition);
            }
            for (code, reason) in suppress {
                condition = condition
                    .clone()
                    .with_suppression(code, reason)
                    .unwrap_or(condition);
            }
            condition
        })
}

fn conditions() -> impl Strategy<Value = Vec<Condition>> {
    prop::collection::vec(condition(), 0..4)
}

fn add_all<T>(
    mut into: T,
    conditions: Vec<Condition>,
    add: impl Fn(T, Condition) -> Result<T, BuildError>,
    clone: impl Fn(&T) -> T,
) -> T {
    for condition in conditions {
        into = add(clone(&into), condition).unwrap_or(into);
    }
    into
}

fn tenants() -> impl Strategy<Value = Tenants> {
    (
        prop_oneof![
            "[a-z]{1,8}(\\.[a-z]{1,8})?",
            "resource\\.[a-z.]{0,8}",
            name()
        ],
        prop::collection::vec(
            (any::<String>(), prop::option::of(rate()), conditions()),
            0..4,
        ),
    )
        .prop_map(|(attribute, overrides)| {
            let mut tenants = Tenants::new(&attribute).unwrap();
            for (tenant, base_rate, conditions) in overrides {
                let mut o = TenantOverride::new(tenant);
                if let Some(rate) = base_rate {
                    o = o.with_base_rate(rate).unwrap();
                }
                let o = add_all(o, conditions, TenantOverride::with_condition, Clone::clone);
                tenants = tenants.clone().with_override(o).unwrap_or(tenants);
            }
            tenants
        })
}

fn service() -> impl Strategy<Value = Service> {
    (
        any::<String>(),
        any::<bool>(),
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
        prop::option::of(any::<String>()),
    )
        .prop_map(|(name, short, namespace, version, environment)| {
            let mut service = if short {
                Service::short(name)
            } else {
                Service::new(name)
            };
            if let Some(v) = namespace {
                service = service.with_namespace(v);
            }
            if let Some(v) = version {
                service = service.with_version(v);
            }
            if let Some(v) = environment {
                service = service.with_environment(v);
            }
            service
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        rate(),
        prop::option::of(service()),
        conditions(),
        prop::option::of(tenants()),
    )
        .prop_map(|(base_rate, service, conditions, tenants)| {
            let mut policy = Policy::new(base_rate).unwrap();
            if let Some(service) = service {
                policy = policy.with_service(service);
            }
            let mut policy = add_all(policy, conditions, Policy::with_condition, Clone::clone);
            if let Some(tenants) = tenants {
                policy = policy.with_tenants(tenants);
            }
            policy
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_policies_round_trip(policy in policy()) {
        round_trip(&policy);
    }
}

/// A span attribute whose key has no dot prints as `attributes["key"]`: bare, it would
/// read the built-in field of that name (`status`), be E113 (close to one), or W114
/// (undotted-attribute). The printed policy loads with no diagnostic at all, and reads
/// the span attribute again.
#[test]
fn undotted_attribute_keys_print_quoted_and_load_clean() {
    let mut keys: Vec<String> = BUILTIN_FIELDS
        .iter()
        .flat_map(|(_, name)| [(*name).to_owned(), name.to_ascii_uppercase()])
        .collect();
    keys.extend(
        [
            "foo",
            "tenant",
            "http_route",
            "stauts_code",
            "x",
            "in",
            "any",
        ]
        .map(String::from),
    );
    for key in keys {
        let field = FieldKind::SpanAttribute(key.clone());
        let expr = Expr {
            kind: ExprKind::Compare {
                field: Field {
                    kind: field.clone(),
                    span: Span::default(),
                },
                op: CompareOp::Eq,
                value: Literal {
                    value: Value::String("v".into()),
                    span: Span::default(),
                },
            },
            span: Span::default(),
        };
        let when = When::from_expr(&expr).unwrap_or_else(|d| panic!("{key}: {d:?}"));
        assert_eq!(
            format!("{:#}", when.expr),
            format!("attributes[\"{key}\"] == \"v\""),
            "{key}"
        );
        let policy = Policy::new(0.0)
            .unwrap()
            .with_condition(Condition::new("c", when).unwrap())
            .unwrap();
        let text = round_trip(&policy);
        let loaded = load_policy(&text);
        assert!(
            loaded.diagnostics.is_empty(),
            "{key}: {:?}\n{text}",
            loaded.diagnostics
        );
        let ExprKind::Compare { field: read, .. } =
            &loaded.policy.unwrap().sampling.conditions[0].when.expr.kind
        else {
            panic!("{key}: not a comparison");
        };
        assert_eq!(read.kind, field, "{key}");
    }
    // A dotted key still prints bare.
    assert_eq!(
        when("attributes[\"http.route\"] == 'x'").expr.to_string(),
        "http.route == \"x\""
    );
}
