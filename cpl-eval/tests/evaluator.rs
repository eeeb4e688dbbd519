//! The compiled evaluator, operator by operator and field by field, against the rules
//! of spec/types.md, spec/fields.md, spec/missing-values.md and spec/sampling.md.

mod common;

use common::{evaluator, one_condition, span, trace_with_randomness, SpanExt};
use cpl_eval::{
    Action, CompileError, Evaluator, Reason, RuleSet, SpanKind, StatusCode, TraceTenant,
};
use cpl_otlp::{AnyValue, Span};

/// Whether `span` matches the expression `when`.
fn m(when: &str, span: &Span) -> bool {
    let evaluator = one_condition(when);
    let by_span = evaluator.decide_span(span).keep;
    let by_trace = !evaluator.matches(span).is_empty();
    assert_eq!(
        by_span, by_trace,
        "decide_span and matches disagree on `{when}`"
    );
    by_span
}

/// Asserts `when` is true exactly for the spans marked true.
fn check(when: &str, cases: &[(&Span, bool)]) {
    for (i, (span, expected)) in cases.iter().enumerate() {
        assert_eq!(m(when, span), *expected, "`{when}` on case {i}: {span:?}");
    }
}

#[test]
fn numbers_compare_exactly_with_ints_and_floats() {
    let s500 = span().int("http.response.status_code", 500);
    let d500 = span().double("http.response.status_code", 500.0);
    let big = span().int("x", 9_007_199_254_740_993);
    for (when, expected) in [
        ("status_code == 500", true),
        ("status_code == 500.0", true),
        ("status_code != 500", false),
        ("status_code < 500", false),
        ("status_code <= 500", true),
        ("status_code > 499.5", true),
        ("status_code >= 500.5", false),
        ("status_code >= 1e999", false),
        ("status_code > -1e999", true),
    ] {
        check(
            when,
            &[(&s500, expected), (&d500, expected), (&span(), false)],
        );
    }
    check("x == 9007199254740992.0", &[(&big, false)]);
    check("x > 9007199254740992.0", &[(&big, true)]);
    check("x == 9007199254740993", &[(&big, true)]);
    check("x != 9007199254740992", &[(&big, true)]);
    let small = span().int("x", 9_007_199_254_740_992);
    check("x < 9007199254740993", &[(&small, true)]);
    let point3 = span().double("x", 0.300_000_000_000_000_04);
    check("x == 0.3", &[(&point3, false)]);
    check("x > 0.3", &[(&point3, true)]);
    check("x == 7", &[(&span().int("x", 7), true)]);
    check("x == 007", &[(&span().int("x", 7), true)]);
    check(
        "x == -5",
        &[
            (&span().int("x", -5), true),
            (&span().double("x", -5.0), true),
        ],
    );
    let extremes = span().int("x", i64::MIN).int("y", i64::MAX);
    check("x == -9223372036854775808", &[(&extremes, true)]);
    check("x < -9223372036854775807", &[(&extremes, true)]);
    check("y == 9223372036854775807", &[(&extremes, true)]);
    check("y < 9223372036854775808", &[(&extremes, true)]);
    check("y == 9223372036854775808", &[(&extremes, false)]);
}

#[test]
fn nan_and_infinity_from_data() {
    let nan = span().double("x", f64::NAN);
    for op in ["==", "<", "<=", ">", ">="] {
        check(&format!("x {op} 1"), &[(&nan, false)]);
        check(&format!("x {op} 1.5"), &[(&nan, false)]);
    }
    check("x != 1", &[(&nan, true)]);
    check("x in [1, 2.5]", &[(&nan, false)]);
    check("x not in [1, 2.5]", &[(&nan, true)]);
    check("exists(x)", &[(&nan, true)]);
    let inf = span().double("x", f64::INFINITY);
    check("x > 9223372036854775807", &[(&inf, true)]);
    check("x == 1e999", &[(&inf, true)]);
    check("x > 1e308", &[(&inf, true)]);
    let ninf = span().double("x", f64::NEG_INFINITY);
    check("x < -9223372036854775808", &[(&ninf, true)]);
}

#[test]
fn values_of_other_types_match_nothing_but_exists() {
    let string = span().str("http.response.status_code", "500");
    check("status_code >= 500", &[(&string, false)]);
    check("status_code != 500", &[(&string, false)]);
    check("status_code == '500'", &[(&string, false)]);
    check("exists(status_code)", &[(&string, true)]);
    check("NOT status_code != 500", &[(&string, true)]);
    let post = span().str("http.request.method", "POST");
    check("method == 5", &[(&post, false)]);
    check("method != 5", &[(&post, false)]);
    check("NOT method != 5", &[(&post, true)]);
    let array = span().with("x", AnyValue::Array(vec![AnyValue::String("a".into())]));
    for when in [
        "x == 'a'",
        "x != 'a'",
        "x contains 'a'",
        "x not contains 'a'",
        "x in ['a']",
        "x not in ['a']",
    ] {
        check(when, &[(&array, false)]);
    }
    check("exists(x)", &[(&array, true)]);
    let bytes = span()
        .with("x", AnyValue::Bytes(vec![1]))
        .with("y", AnyValue::KvList(vec![]));
    check("exists(x) AND exists(y)", &[(&bytes, true)]);
    check("x == 1 OR y == 1", &[(&bytes, false)]);
    let int = span().int("x", 500);
    check("x contains '50'", &[(&int, false)]);
    check("x not contains '50'", &[(&int, false)]);
    check("x == '500'", &[(&int, false)]);
    check("x == true", &[(&int, false)]);
    check("x > 1s", &[(&int, false)]);
    let flag = span().boolean("x", true);
    check("x == true", &[(&flag, true)]);
    check("x != false", &[(&flag, true)]);
    check("x == 1", &[(&flag, false)]);
    check("x > false", &[(&flag, false)]);
    check("error == 1", &[(&span().status(StatusCode::Error), false)]);
}

#[test]
fn the_missing_value_table() {
    // spec/missing-values.md: x = 200, x = 500, x missing.
    let x200 = span().int("x", 200);
    let x500 = span().int("x", 500);
    let none = span();
    for (when, at200, at500, missing) in [
        ("x < 500", true, false, false),
        ("x >= 500", false, true, false),
        ("NOT x < 500", false, true, true),
        ("NOT x >= 500", true, false, true),
        ("x != 500", true, false, false),
        ("NOT x == 500", true, false, true),
        ("x in [500, 503]", false, true, false),
        ("x not in [500, 503]", true, false, false),
        ("NOT x in [500, 503]", true, false, true),
        ("exists(x)", true, true, false),
        ("NOT exists(x)", false, false, true),
        ("NOT exists(x) OR x < 500", true, false, true),
    ] {
        check(when, &[(&x200, at200), (&x500, at500), (&none, missing)]);
    }
    let api = span().str("http.route", "/api/x");
    let health = span().str("http.route", "/health");
    for (when, at_api, at_health, missing) in [
        ("path contains '/health'", false, true, false),
        ("path not contains '/health'", true, false, false),
        ("NOT path contains '/health'", true, false, true),
        ("path == ''", false, false, false),
        ("path != '/health'", true, false, false),
        ("path contains ''", true, true, false),
        ("path starts_with '/'", true, true, false),
    ] {
        check(
            when,
            &[(&api, at_api), (&health, at_health), (&none, missing)],
        );
    }
}

#[test]
fn strings_compare_by_code_point() {
    let z = span().str("http.request.method", "Z");
    check("method < 'a'", &[(&z, true)]);
    check("method >= 'Z'", &[(&z, true)]);
    check("method == 'z'", &[(&z, false)]);
    let e = span().str("x", "\u{e9}");
    check("x == 'e\u{301}'", &[(&e, false)]);
    check("x > 'e\u{301}'", &[(&e, true)]);
    check("x == 'é'", &[(&e, true)]);
}

#[test]
fn string_tests() {
    let s = span().str("http.route", "/api/payment/{id}");
    for (when, expected) in [
        ("path contains '/payment'", true),
        ("path contains '/PAYMENT'", false),
        ("path not contains '/payment'", false),
        ("path starts_with '/api'", true),
        ("path not starts_with '/api'", false),
        ("path ends_with '{id}'", true),
        ("path not ends_with '.css'", true),
        ("path matches '^/api/[a-z]+/'", true),
        ("path matches 'payment/\\\\{id\\\\}$'", true),
        ("path matches '^/payment'", false),
        ("path not matches '(?i)PAYMENT'", false),
        ("path not matches '^/health'", true),
        ("path contains 5", false),
        ("path not contains 5", false),
    ] {
        check(when, &[(&s, expected), (&span(), false)]);
    }
    // Tests on fields that are never strings are false in both forms.
    let d = span().int("http.response.status_code", 500);
    check("status_code contains '50'", &[(&d, false)]);
    check("status_code not contains '50'", &[(&d, false)]);
    check("kind not starts_with 'S'", &[(&d, false)]);
    check("duration not matches '.'", &[(&d, false)]);
}

#[test]
fn lists() {
    let s = span().str("http.request.method", "GET").int("x", 2);
    check("method in ['GET', 'HEAD']", &[(&s, true), (&span(), false)]);
    check("method in ['HEAD', 'POST', 'PUT']", &[(&s, false)]);
    check(
        "method not in ['HEAD', 'POST', 'PUT']",
        &[(&s, true), (&span(), false)],
    );
    check("method not in ['GET', 'HEAD']", &[(&s, false)]);
    check("method in []", &[(&s, false)]);
    check("method not in []", &[(&s, true), (&span(), false)]);
    check("x in [1, 2.0, 'a']", &[(&s, true)]);
    // `x != 'a'` is false for an int, so the whole `not in` is false.
    check("x not in [1, 'a']", &[(&s, false)]);
    check("x not in [1, 3.5]", &[(&s, true)]);
    check("x not in [1, 2]", &[(&s, false)]);
    let server = span().kind(SpanKind::Server);
    check(
        "kind in [SERVER, CONSUMER]",
        &[(&server, true), (&span(), false)],
    );
    check(
        "kind not in [SERVER, CONSUMER]",
        &[(&server, false), (&span(), true)],
    );
    check("kind in ['SERVER']", &[(&server, false)]);
    check(
        "kind not in [CLIENT, 'SERVER']",
        &[(&server, false), (&span(), false)],
    );
    check(
        "status in [OK, ERROR]",
        &[(&span().status(StatusCode::Ok), true), (&span(), false)],
    );
    check(
        "status not in [UNSET]",
        &[(&span().status(StatusCode::Ok), true), (&span(), false)],
    );
    check(
        "name in ['a', 'b']",
        &[(&span().name("b"), true), (&span().name("c"), false)],
    );
    check(
        "name not in ['a', 'b']",
        &[(&span().name("b"), false), (&span().name("c"), true)],
    );
}

#[test]
fn status_code_sources() {
    let stable = span()
        .int("http.response.status_code", 503)
        .int("http.status_code", 200);
    check("status_code == 503", &[(&stable, true)]);
    let old = span().int("http.status_code", 404);
    check("status_code == 404", &[(&old, true)]);
    // The first present source decides, even when its value is of another type.
    let shadowed = span()
        .str("http.response.status_code", "oops")
        .int("http.status_code", 500);
    check("status_code >= 500", &[(&shadowed, false)]);
    check("exists(status_code)", &[(&shadowed, true)]);
    // A source with no value set is not present.
    let empty = span()
        .with("http.response.status_code", AnyValue::Empty)
        .int("http.status_code", 500);
    check("status_code >= 500", &[(&empty, true)]);
    // A duplicated key: the first occurrence counts.
    let dup = span()
        .int("http.status_code", 500)
        .int("http.status_code", 200);
    check("status_code == 500", &[(&dup, true)]);
    check("status_code == 200", &[(&dup, false)]);
    let dup_empty = span().with("x", AnyValue::Empty).int("x", 1);
    check("exists(x)", &[(&dup_empty, false)]);
    // An attribute called status_code does not change the built-in field.
    let named = span().int("status_code", 503);
    check("status_code == 503", &[(&named, false)]);
    check("attributes[\"status_code\"] == 503", &[(&named, true)]);
    // Span status is not status_code.
    check(
        "status_code == 2",
        &[(&span().status(StatusCode::Error), false)],
    );
}

#[test]
fn method_and_user_id_sources() {
    check(
        "method == 'POST'",
        &[
            (
                &span()
                    .str("http.request.method", "POST")
                    .str("http.method", "GET"),
                true,
            ),
            (&span().str("http.method", "POST"), true),
            (
                &span()
                    .int("http.request.method", 1)
                    .str("http.method", "POST"),
                false,
            ),
        ],
    );
    check(
        "user_id == 'u-1'",
        &[
            (&span().str("user.id", "u-1").str("enduser.id", "x"), true),
            (&span().str("enduser.id", "u-1").str("user_id", "x"), true),
            (&span().str("user_id", "u-1"), true),
            (&span().str("enduser.id", "x").str("user_id", "u-1"), false),
        ],
    );
}

#[test]
fn path_sources() {
    let all = span()
        .str("http.url", "https://h/e")
        .str("url.full", "https://h/d")
        .str("http.target", "/c?x=1")
        .str("url.path", "/b")
        .str("http.route", "/a");
    check("path == '/a'", &[(&all, true)]);
    let no_route = span().str("url.path", "/b").str("http.target", "/c");
    check("path == '/b'", &[(&no_route, true)]);
    check(
        "path == '/c?x=1'",
        &[(
            &span()
                .str("http.target", "/c?x=1")
                .str("url.full", "https://h/d"),
            true,
        )],
    );
    check(
        "path == '/d'",
        &[(
            &span()
                .str("url.full", "https://h/d?q#f")
                .str("http.url", "https://h/e"),
            true,
        )],
    );
    check(
        "path == '/api/payment/1'",
        &[(
            &span().str("http.url", "https://h:8443/api/payment/1?q=2#f"),
            true,
        )],
    );
    check(
        "path == ''",
        &[(&span().str("http.url", "https://h"), true)],
    );
    check(
        "path == '/a%20b'",
        &[(&span().str("url.full", "http://h/a%20b"), true)],
    );
    // A URL source of another type is present and matches nothing.
    let bad_url = span().int("url.full", 1).str("http.url", "https://h/e");
    check("path == '/e'", &[(&bad_url, false)]);
    check("exists(path)", &[(&bad_url, true)]);
    check("exists(path)", &[(&span(), false)]);
    check("path == 5", &[(&span().int("http.route", 5), false)]);
}

#[test]
fn durations() {
    let ms1500 = span().duration_nanos(1_500_000_000);
    let ms1000 = span().duration_nanos(1_000_000_000);
    for (when, at1500, at1000) in [
        ("duration_ms > 1000", true, false),
        ("duration > 1000", true, false),
        ("duration_ms >= 1000", true, true),
        ("duration_ms > 1s", true, false),
        ("duration > 1.5s", false, false),
        ("duration >= 1500ms", true, false),
        ("duration >= 1500000us", true, false),
        ("duration == 1500000000ns", true, false),
        ("duration > 999.9999", true, true),
        ("duration == 1000.0", false, true),
        ("duration != 1000", true, false),
        ("duration < 0.026m", true, true),
        ("duration == 0.025m", true, false),
        ("duration in [1000, 1500]", true, true),
        ("duration not in [1000]", true, false),
        ("exists(duration)", true, true),
        ("duration == '1500'", false, false),
    ] {
        check(when, &[(&ms1500, at1500), (&ms1000, at1000)]);
    }
    // Float milliseconds are the rounded quotient, as clarvynn computes it.
    let tiny = span().duration_nanos(300_000);
    check("duration_ms <= 0.3", &[(&tiny, true)]);
    check("duration_ms == 0.3", &[(&tiny, true)]);
    check("duration_ms < 0.3", &[(&tiny, false)]);
    let zero = span().duration_nanos(0);
    check("duration == 0", &[(&zero, true)]);
    // Missing when a time is unset or the end is before the start.
    for broken in [
        span().times(0, 5),
        span().times(5, 0),
        span().times(10, 5),
        span().times(0, 0),
    ] {
        check("exists(duration)", &[(&broken, false)]);
        check("duration >= 0", &[(&broken, false)]);
        check("duration != 5", &[(&broken, false)]);
        check("NOT duration >= 0", &[(&broken, true)]);
    }
    // Above 2^53 ns the quotient is rounded once (clarvynn's `(end - start) / 1e6`
    // rounds twice and gives 1173122633160.8997 here).
    let long = span().duration_nanos(1_173_122_633_160_899_524);
    check("duration_ms == 1173122633160.8994", &[(&long, true)]);
    check("duration_ms < 1173122633160.8997", &[(&long, true)]);
    // Durations beyond i64 are still exact.
    let huge = span().times(1, u64::MAX);
    check("duration > 9223372036854775807ns", &[(&huge, true)]);
    check("duration > 18446744073709", &[(&huge, true)]);
    check("duration > 18446744073710", &[(&huge, false)]);
    check("duration > 1e300", &[(&huge, false)]);
}

#[test]
fn span_fields() {
    let s = span()
        .name("GET /api/users")
        .kind(SpanKind::Server)
        .status(StatusCode::Error)
        .trace("0AF7651916CD43DD8448EB211C80319C")
        .parent("B7AD6B7169203331")
        .with_resource("service.name", AnyValue::String("checkout".into()));
    for (when, expected) in [
        ("name == 'GET /api/users'", true),
        ("name starts_with 'GET'", true),
        ("kind == SERVER", true),
        ("kind != CLIENT", true),
        ("kind < SERVER", false),
        ("kind == 'SERVER'", false),
        ("kind != 'SERVER'", false),
        ("status == ERROR", true),
        ("status != OK", true),
        ("error == true", true),
        ("error != false", true),
        ("error < true", false),
        ("error == 'true'", false),
        ("trace_id == '0af7651916cd43dd8448eb211c80319c'", true),
        ("trace_id == '0AF7651916CD43DD8448EB211C80319C'", false),
        ("trace_id starts_with '0af7'", true),
        ("trace_id > '0'", true),
        ("span_id == '00f067aa0ba902b7'", true),
        ("parent_span_id == 'b7ad6b7169203331'", true),
        ("exists(parent_span_id)", true),
        ("service == 'checkout'", true),
        ("resource.service.name == 'checkout'", true),
        ("service.name == 'checkout'", false),
        (
            "exists(name) AND exists(kind) AND exists(status) AND exists(error)",
            true,
        ),
        ("exists(trace_id) AND exists(span_id)", true),
    ] {
        check(when, &[(&s, expected)]);
    }
    let bare = span();
    for (when, expected) in [
        ("name == ''", true),
        ("kind == UNSPECIFIED", true),
        ("status == UNSET", true),
        ("error == false", true),
        ("exists(parent_span_id)", false),
        ("parent_span_id != 'x'", false),
        ("exists(service)", false),
        ("service != 'x'", false),
    ] {
        check(when, &[(&bare, expected)]);
    }
    let numeric_service = span().with_resource("service.name", AnyValue::Int(1));
    check("exists(service)", &[(&numeric_service, true)]);
    check("service == '1'", &[(&numeric_service, false)]);
    check("resource.service.name == 1", &[(&numeric_service, true)]);
}

#[test]
fn attribute_keys_are_exact() {
    let s = span()
        .str("http.route", "/x")
        .str("odd key", "v")
        .with_resource("k8s pod", AnyValue::String("p".into()))
        .with_resource("http.route", AnyValue::String("/resource".into()));
    check("http.route == '/x'", &[(&s, true)]);
    check("Http.Route == '/x'", &[(&s, false)]);
    check("attributes['odd key'] == 'v'", &[(&s, true)]);
    check("resource['k8s pod'] == 'p'", &[(&s, true)]);
    check("resource.http.route == '/resource'", &[(&s, true)]);
    check("attributes['k8s pod'] == 'p'", &[(&s, false)]);
    check(
        "exists(attributes[''])",
        &[(&s, false), (&span().str("", "e"), true)],
    );
}

#[test]
fn the_demo_policy() {
    let evaluator = evaluator(include_str!("../../corpus/policies/demo.yaml"));
    let names: Vec<&str> = evaluator.rules().iter().map(cpl_eval::Rule::name).collect();
    assert_eq!(
        names,
        [
            "server_errors",
            "client_errors",
            "slow_requests",
            "critical_payment_apis"
        ]
    );
    // R = 0 is below every threshold: only conditions keep.
    let trace = trace_with_randomness(0);
    let routine = span()
        .trace(&trace)
        .kind(SpanKind::Server)
        .str("http.request.method", "GET")
        .str("http.route", "/api/users/:id")
        .int("http.response.status_code", 200);
    let decide = |s: &Span| evaluator.decide_span(s).to_string();
    assert_eq!(decide(&routine), "drop (base rate 0.01)");
    assert_eq!(
        decide(
            &routine
                .clone()
                .trace(&trace_with_randomness(0x00fd_70a3_d70a_3d70))
        ),
        "keep (base rate 0.01)"
    );
    assert_eq!(
        decide(&span().trace(&trace).int("http.status_code", 500)),
        "keep (rule server_errors)"
    );
    assert_eq!(
        decide(&span().trace(&trace).int("http.response.status_code", 503)),
        "keep (rule server_errors)"
    );
    assert_eq!(
        decide(&span().trace(&trace).int("http.status_code", 404)),
        "keep (rule client_errors)"
    );
    assert_eq!(
        decide(&span().trace(&trace).int("http.status_code", 399)),
        "drop (base rate 0.01)"
    );
    assert_eq!(
        decide(&span().trace(&trace).str("http.status_code", "500")),
        "drop (base rate 0.01)"
    );
    assert_eq!(
        decide(&span().trace(&trace).status(StatusCode::Error)),
        "drop (base rate 0.01)"
    );
    assert_eq!(
        decide(&span().trace(&trace).duration_nanos(1_500_000_000)),
        "keep (rule slow_requests)"
    );
    assert_eq!(
        decide(&span().trace(&trace).duration_nanos(1_000_000_000)),
        "drop (base rate 0.01)"
    );
    assert_eq!(
        decide(
            &span()
                .trace(&trace)
                .str("http.route", "/api/payment/{id}")
                .str("http.target", "/api/users")
        ),
        "keep (rule critical_payment_apis)"
    );
    assert_eq!(
        decide(
            &span()
                .trace(&trace)
                .str("http.target", "/api/payment/123?x=1")
        ),
        "keep (rule critical_payment_apis)"
    );
    assert_eq!(
        decide(
            &span()
                .trace(&trace)
                .str("url.full", "https://h:8443/api/payment/1?q=2#f")
        ),
        "keep (rule critical_payment_apis)"
    );
    assert_eq!(
        decide(&span().trace(&trace).name("GET /api/payment")),
        "drop (base rate 0.01)"
    );
    // Several matches: the first condition in policy order decides.
    let both = span()
        .trace(&trace)
        .int("http.status_code", 404)
        .duration_nanos(2_000_000_000);
    assert_eq!(decide(&both), "keep (rule client_errors)");
}

#[test]
fn traces_are_decided_by_any_span() {
    let evaluator = evaluator(include_str!("../../corpus/policies/demo.yaml"));
    let trace = trace_with_randomness(0);
    let root = span().trace(&trace).int("http.response.status_code", 200);
    let slow = span()
        .trace(&trace)
        .parent("00f067aa0ba902b7")
        .duration_nanos(3_000_000_000);
    let error = span()
        .trace(&trace)
        .parent("00f067aa0ba902b7")
        .int("http.status_code", 500);
    let mut matched = RuleSet::new();
    evaluator.add_matches(&root, &mut matched);
    assert!(matched.is_empty());
    evaluator.add_matches(&slow, &mut matched);
    let d = evaluator.decide_trace(root.trace_id.0, &matched, None);
    assert_eq!(d.to_string(), "keep (rule slow_requests)");
    evaluator.add_matches(&error, &mut matched);
    assert_eq!(matched.iter().collect::<Vec<_>>(), [0, 2]);
    let d = evaluator.decide_trace(root.trace_id.0, &matched, None);
    assert_eq!(d.to_string(), "keep (rule server_errors)");
    assert!(matches!(
        d.reason,
        Reason::Rule {
            index: 0,
            name: "server_errors",
            action: Action::Keep,
            ..
        }
    ));
    // Union of per-span sets is the same as adding spans to one set.
    let mut union = evaluator.matches(&error);
    union.union_with(&evaluator.matches(&slow));
    assert_eq!(union, matched);
}

const TENANT_POLICY: &str = r#"
sampling:
  base_rate: 0.01
  conditions:
    - name: errors
      when: "status_code >= 500"
    - name: slow
      when: "duration > 2s"
    - name: noise
      when: "http.route == '/health'"
      action: drop
tenants:
  attribute: resource.tenant.id
  overrides:
    acme:
      base_rate: 0.2
      conditions:
        - name: slow
          when: "duration > 1s"
        - name: acme_checkout
          when: "http.route starts_with '/checkout'"
    "123":
      conditions:
        - name: errors
          when: "status_code >= 500"
          enabled: false
    zeta:
      conditions:
        - name: noise
          when: "http.route == '/health'"
          rate: 0.5
"#;

#[test]
#[allow(clippy::float_cmp)]
fn tenant_overrides_merge_by_name() {
    let evaluator = evaluator(TENANT_POLICY);
    let table: Vec<(&str, Option<&str>)> = evaluator
        .rules()
        .iter()
        .map(|r| (r.name(), r.tenant()))
        .collect();
    assert_eq!(
        table,
        [
            ("errors", None),
            ("slow", None),
            ("noise", None),
            ("slow", Some("acme")),
            ("acme_checkout", Some("acme")),
            ("noise", Some("zeta")),
        ]
    );
    assert_eq!(evaluator.rules()[2].action(), Action::Drop);
    assert!(evaluator.rules()[2].rate() == 0.0 && evaluator.rules()[5].rate() == 0.5);
    let r0 = trace_with_randomness(0);
    let tenant = |s: Span, t: &str| s.with_resource("tenant.id", AnyValue::String(t.into()));
    let decide = |s: &Span| evaluator.decide_span(s).to_string();

    let slow15 = span().trace(&r0).duration_nanos(1_500_000_000);
    assert_eq!(decide(&slow15), "drop (base rate 0.01)");
    assert_eq!(decide(&tenant(slow15.clone(), "acme")), "keep (rule slow)");
    assert_eq!(
        decide(&tenant(slow15.clone(), "other")),
        "drop (base rate 0.01)"
    );
    // acme's `slow` replaces the policy's in place: `errors` still comes first.
    let both = tenant(
        span()
            .trace(&r0)
            .duration_nanos(1_500_000_000)
            .int("http.status_code", 500),
        "acme",
    );
    assert_eq!(decide(&both), "keep (rule errors)");
    // Appended conditions come after the policy's, including the drop rule.
    let checkout = tenant(span().trace(&r0).str("http.route", "/checkout/1"), "acme");
    assert_eq!(decide(&checkout), "keep (rule acme_checkout)");
    // acme's base rate: R = T(0.2) is kept, R = T(0.2) - 1 is not.
    let t02 = cpl_eval::threshold(0.2).unwrap_or_default();
    let at = |r: u64| tenant(span().trace(&trace_with_randomness(r)), "acme");
    assert_eq!(decide(&at(t02)), "keep (tenant acme base rate 0.2)");
    assert_eq!(decide(&at(t02 - 1)), "drop (tenant acme base rate 0.2)");
    // Tenant "123" disables `errors`; an int attribute selects it.
    let error123 = span()
        .trace(&r0)
        .int("http.status_code", 503)
        .with_resource("tenant.id", AnyValue::Int(123));
    assert_eq!(decide(&error123), "drop (base rate 0.01)");
    let error_double = span()
        .trace(&r0)
        .int("http.status_code", 503)
        .with_resource("tenant.id", AnyValue::Double(123.0));
    assert_eq!(decide(&error_double), "keep (rule errors)");
    // zeta's `noise` keeps half instead of dropping.
    let health = |r: u64| {
        tenant(
            span()
                .trace(&trace_with_randomness(r))
                .str("http.route", "/health"),
            "zeta",
        )
    };
    assert_eq!(decide(&health(1 << 55)), "keep (rule noise)");
    assert_eq!(decide(&health((1 << 55) - 1)), "drop (rule noise)");
    assert!(matches!(
        evaluator.decide_span(&health(0)).reason,
        Reason::Rule {
            index: 5,
            action: Action::Keep,
            ..
        }
    ));
    // The tenant attribute is read as a resource attribute, not a span attribute.
    let span_attr = span()
        .trace(&r0)
        .duration_nanos(1_500_000_000)
        .str("tenant.id", "acme");
    assert_eq!(decide(&span_attr), "drop (base rate 0.01)");
}

#[test]
fn trace_tenant_prefers_roots_then_the_smallest_id() {
    let evaluator = evaluator(TENANT_POLICY);
    let r0 = trace_with_randomness(0);
    let root = span()
        .trace(&r0)
        .with_resource("tenant.id", AnyValue::String("zeta".into()));
    let child = span()
        .trace(&r0)
        .parent("00f067aa0ba902b7")
        .duration_nanos(1_500_000_000)
        .with_resource("tenant.id", AnyValue::String("acme".into()));
    for spans in [[&root, &child], [&child, &root]] {
        let mut matched = RuleSet::new();
        let mut tenant = TraceTenant::new();
        for s in spans {
            evaluator.add_matches(s, &mut matched);
            if let Some(id) = evaluator.tenant_of(s) {
                tenant.observe(s.parent_span_id.is_none(), id);
            }
        }
        assert_eq!(tenant.get(), Some("zeta"));
        // zeta has no `slow` override: the policy's `slow` (> 2s) does not match.
        let decision = evaluator.decide_trace(root.trace_id.0, &matched, tenant.get());
        assert_eq!(decision.to_string(), "drop (base rate 0.01)");
        // Under acme the child's 1.5 s would have matched acme's `slow`.
        let decision = evaluator.decide_trace(root.trace_id.0, &matched, Some("acme"));
        assert_eq!(decision.to_string(), "keep (rule slow)");
    }
    assert!(evaluator.tenant_of(&span()).is_none());
    assert!(evaluator
        .tenant_of(&span().with_resource("tenant.id", AnyValue::Bool(true)))
        .is_none());
}

#[test]
fn rates_on_rules_use_the_trace_threshold() {
    let evaluator = evaluator(
        "sampling:\n  base_rate: 1\n  conditions:\n    - name: half\n      when: \"exists(x)\"\n      rate: 0.5\n    - name: none\n      when: \"exists(y)\"\n      rate: 0\n",
    );
    let half = |r: u64| span().trace(&trace_with_randomness(r)).int("x", 1);
    assert_eq!(
        evaluator.decide_span(&half(1 << 55)).to_string(),
        "keep (rule half)"
    );
    assert_eq!(
        evaluator.decide_span(&half((1 << 55) - 1)).to_string(),
        "drop (rule half)"
    );
    let none = span()
        .trace(&trace_with_randomness((1 << 56) - 1))
        .int("y", 1);
    assert_eq!(evaluator.decide_span(&none).to_string(), "drop (rule none)");
    assert_eq!(
        evaluator.decide_span(&span()).to_string(),
        "keep (base rate 1)"
    );
}

#[test]
fn disabled_conditions_are_not_rules() {
    let evaluator = evaluator(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: off\n      when: \"exists(x)\"\n      enabled: false\n    - name: on\n      when: \"exists(x)\"\n",
    );
    assert_eq!(evaluator.rules().len(), 1);
    assert_eq!(
        evaluator.decide_span(&span().int("x", 1)).to_string(),
        "keep (rule on)"
    );
}

#[test]
fn many_rules_spill_past_64() {
    use std::fmt::Write as _;
    let mut yaml = String::from("sampling:\n  base_rate: 0\n  conditions:\n");
    for i in 0..150 {
        let _ = write!(
            yaml,
            "    - name: r{i}\n      when: \"attributes['k{i}'] == {i}\"\n"
        );
    }
    let evaluator = evaluator(&yaml);
    assert_eq!(evaluator.rules().len(), 150);
    let s = span().int("k140", 140).int("k70", 70).int("k3", 4);
    assert_eq!(evaluator.matches(&s).iter().collect::<Vec<_>>(), [70, 140]);
    assert_eq!(evaluator.decide_span(&s).to_string(), "keep (rule r70)");
    let only = span().int("k149", 149);
    assert_eq!(evaluator.decide_span(&only).to_string(), "keep (rule r149)");
}

#[test]
fn regexes_are_checked_again_at_compile_time() {
    let loaded = cpl_syntax::load_policy(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: re\n      when: \"path matches 'a'\"\n",
    );
    let mut policy = loaded.policy.expect("loads");
    // Break the pattern behind the loader's back.
    let cpl_syntax::ExprKind::StringTest { value, .. } =
        &mut policy.sampling.conditions[0].when.expr.kind
    else {
        panic!("a string test");
    };
    value.value = cpl_syntax::ast::Value::String("(".into());
    let error = Evaluator::compile(&policy).expect_err("invalid regex");
    assert!(
        matches!(&error, CompileError::InvalidRegex { rule, .. } if rule == "re"),
        "{error:?}"
    );
    assert!(error.to_string().contains("`re`"));
    let cpl_syntax::ExprKind::StringTest { value, .. } =
        &mut policy.sampling.conditions[0].when.expr.kind
    else {
        panic!("a string test");
    };
    value.value = cpl_syntax::ast::Value::Name("SERVER".into());
    assert!(matches!(
        Evaluator::compile(&policy),
        Err(CompileError::InvalidConstant { .. })
    ));
    policy.sampling.conditions[0].when.expr.kind = cpl_syntax::ExprKind::Error;
    assert!(matches!(
        Evaluator::compile(&policy),
        Err(CompileError::Unparsed { .. })
    ));
}

#[test]
fn evaluators_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Evaluator>();
}
