//! Unit tests of conditions end to end: parse, check, evaluate.

use std::sync::Arc;

use cpl_otlp::{AnyValue, Event, KeyValue, Resource, Scope, Span, SpanDetail, SpanId, TraceId};

use super::{Condition, OttlContext};

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value,
    }
}

fn span() -> Span {
    Span {
        trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex"),
        span_id: SpanId::from_hex("00f067aa0ba902b7").expect("hex"),
        parent_span_id: None,
        name: "GET /checkout".to_owned(),
        kind: cpl_otlp::SpanKind::Server,
        start_time_unix_nano: 1_000_000_000,
        end_time_unix_nano: 2_500_000_000,
        status: cpl_otlp::StatusCode::Error,
        attributes: vec![
            kv("http.route", AnyValue::String("/checkout".into())),
            kv("http.response.status_code", AnyValue::Int(503)),
            kv("ratio", AnyValue::Double(0.5)),
            kv("code_text", AnyValue::String("500".into())),
            kv(
                "tags",
                AnyValue::Array(vec![AnyValue::String("a".into()), AnyValue::Int(2)]),
            ),
            kv(
                "nested",
                AnyValue::KvList(vec![kv("inner", AnyValue::Bool(true))]),
            ),
            kv("empty", AnyValue::Empty),
        ],
        resource: Arc::new(Resource {
            attributes: vec![kv("service.name", AnyValue::String("shop".into()))],
        }),
        encoded_len: 0,
        detail: Some(Box::new(SpanDetail {
            scope: Arc::new(Scope {
                name: "io.opentelemetry.http".into(),
                version: "1.2".into(),
                ..Scope::default()
            }),
            trace_state: "ot=th:8;rv:abc,vendor=x".into(),
            status_message: "boom".into(),
            ..SpanDetail::default()
        })),
    }
}

fn eval(text: &str) -> Result<bool, String> {
    let condition = Condition::parse(text, OttlContext::Span)
        .map_err(|errors| format!("parse: {}", errors[0]))?;
    condition
        .eval_span(&span())
        .map_err(|e| format!("eval: {e}"))
}

fn code(text: &str, context: OttlContext) -> &'static str {
    match Condition::parse(text, context) {
        Ok(_) => "ok",
        Err(errors) => errors[0].code.code,
    }
}

#[test]
fn paths_of_the_span_context() {
    for (text, expected) in [
        (r#"attributes["http.route"] == "/checkout""#, true),
        (r#"span.attributes["http.route"] == "/checkout""#, true),
        (r#"resource.attributes["service.name"] == "shop""#, true),
        (r#"scope.name == "io.opentelemetry.http""#, true),
        (r#"instrumentation_scope.version == "1.2""#, true),
        ("span.status.code == STATUS_CODE_ERROR", true),
        ("status.code == 2", true),
        (r#"span.status.message == "boom""#, true),
        ("span.kind == SPAN_KIND_SERVER", true),
        (r#"span.kind.string == "Server""#, true),
        (r#"span.kind.deprecated_string == "SPAN_KIND_SERVER""#, true),
        (r#"name == "GET /checkout""#, true),
        (
            r#"span.trace_id.string == "4bf92f3577b34da6a3ce929d0e0e4736""#,
            true,
        ),
        (r#"span.parent_span_id.string == "0000000000000000""#, true),
        (
            "span.trace_id == TraceID(0x4bf92f3577b34da6a3ce929d0e0e4736)",
            true,
        ),
        ("span.span_id == SpanID(0x00f067aa0ba902b7)", true),
        (r#"span.trace_state["vendor"] == "x""#, true),
        (r#"span.trace_state["missing"] == """#, true),
        (r#"span.trace_state == "ot=th:8;rv:abc,vendor=x""#, true),
        (
            "span.end_time_unix_nano - span.start_time_unix_nano > 1000000000",
            true,
        ),
        (
            "span.end_time_unix_nano - span.start_time_unix_nano > 1500000000",
            false,
        ),
        (r#"attributes["nested"]["inner"] == true"#, true),
        (r#"attributes["tags"][1] == 2"#, true),
        (r#"attributes["missing"] == nil"#, true),
        (r#"attributes["empty"] == nil"#, true),
        ("IsRootSpan()", true),
        ("not IsRootSpan()", false),
    ] {
        assert_eq!(eval(text), Ok(expected), "{text}");
    }
}

#[test]
fn comparison_rules_for_missing_values() {
    assert_eq!(eval(r#"attributes["missing"] == "x""#), Ok(false));
    assert_eq!(eval(r#"attributes["missing"] != "x""#), Ok(true));
    assert_eq!(eval(r#"attributes["missing"] > 1"#), Ok(false));
    assert_eq!(eval(r#"attributes["missing"] <= nil"#), Ok(true));
    assert_eq!(eval(r#"attributes["code_text"] == 500"#), Ok(false));
    assert_eq!(eval(r#"Int(attributes["code_text"]) >= 500"#), Ok(true));
    assert_eq!(
        eval(r#"attributes["http.response.status_code"] >= 500.0"#),
        Ok(true)
    );
    assert_eq!(eval(r#"attributes["ratio"] == 0.5"#), Ok(true));
}

#[test]
fn converters() {
    for (text, expected) in [
        (r#"IsMatch(attributes["http.route"], "check")"#, true),
        (r#"IsMatch(attributes["http.route"], "^check")"#, false),
        (r#"IsMatch(attributes["missing"], ".*")"#, false),
        (
            r#"IsMatch(attributes["http.response.status_code"], "^5\\d\\d$")"#,
            true,
        ),
        (
            r#"Substring(span.trace_id.string, 18, 14) == "ce929d0e0e4736""#,
            true,
        ),
        (
            r#"Substring(span.trace_id.string, 18, 14) >= "ce929d0e0e4736""#,
            true,
        ),
        (
            r#"Substring(span.trace_id.string, 18, 14) >= "ce929d0e0e4737""#,
            false,
        ),
        (r#"Double(attributes["code_text"]) == 500"#, true),
        (
            r#"String(attributes["http.response.status_code"]) == "503""#,
            true,
        ),
        (r#"Len(attributes["http.route"]) == 9"#, true),
        (r#"Len(attributes["tags"]) == 2"#, true),
        (
            r#"Concat([name, attributes["missing"]], "|") == "GET /checkout|<nil>""#,
            true,
        ),
        (r#"ToLowerCase(name) == "get /checkout""#, true),
        (
            r#"ToUpperCase(resource.attributes["service.name"]) == "SHOP""#,
            true,
        ),
        (r#"HasPrefix(name, "GET ")"#, true),
        (r#"HasSuffix(name, "out")"#, true),
        (
            r#"IsString(name) and IsInt(attributes["http.response.status_code"])"#,
            true,
        ),
        (
            r#"IsDouble(attributes["ratio"]) and IsList(attributes["tags"]) and IsMap(attributes["nested"])"#,
            true,
        ),
        (r#"IsBool(attributes["nested"]["inner"])"#, true),
        (
            r#"ContainsValue(["/health", "/checkout"], attributes["http.route"])"#,
            true,
        ),
        (r#"ContainsValue(attributes["tags"], 2)"#, true),
        (r#"ContainsValue(attributes["tags"], "2")"#, false),
        ("1 + 2 * 3 == 7", true),
        ("(1 + 2) * 3 == 9", true),
        ("7 / 2 == 3", true),
        ("1 + 0.5 == 1.5", true),
    ] {
        assert_eq!(eval(text), Ok(expected), "{text}");
    }
}

#[test]
fn runtime_errors() {
    for text in [
        r#"Substring(attributes["missing"], 0, 1) == "a""#,
        r#"Substring(name, 10, 10) == "a""#,
        r#"Substring(name, -1, 1) == "a""#,
        r#"Substring(name, 0, 0) == "a""#,
        "1 / 0 == 1",
        r#"attributes["missing"] + 1 > 0"#,
        "Double(name) > 1",
        r#"HasPrefix(attributes["missing"], "x")"#,
        r#"attributes["http.route"]["x"] == nil"#,
        r#"attributes["tags"][5] == nil"#,
        "Int(1)",
        r#"Len(attributes["missing"]) == 0"#,
    ] {
        let result = eval(text);
        assert!(
            matches!(&result, Err(message) if message.starts_with("eval:")),
            "{text}: {result:?}"
        );
    }
}

#[test]
fn short_circuit_hides_errors_as_in_go() {
    assert_eq!(
        eval(r#"false and Substring(name, 99, 1) == "x""#),
        Ok(false)
    );
    assert_eq!(eval(r#"true or Substring(name, 99, 1) == "x""#), Ok(true));
}

#[test]
fn diagnostics_codes() {
    use OttlContext::{Span as S, SpanEvent as E};
    for (text, context, expected) in [
        (r#"attributes["a"] == "b""#, S, "ok"),
        ("", S, "E450"),
        (r#"attributes["a"] == 'b'"#, S, "E450"),
        (r#"attributes["a"] == "b"#, S, "E450"),
        ("attributes[\"a\"]", S, "E450"),
        ("not not true", S, "E450"),
        ("x == 1 == 2", S, "E450"),
        ("span.end_time_unix_nano -1 > 0", S, "E450"),
        (r#""a" + "b" == "ab""#, S, "E450"),
        (r#"attributes["a"] == "\q""#, S, "E450"),
        ("0x123 == nil", S, "E450"),
        ("9223372036854775808 == 1", S, "E450"),
        ("010 == 8", S, "E451"),
        ("Split(name, \",\")[0] == \"a\"", S, "E451"),
        ("span.start_time > 0", S, "E451"),
        ("{\"a\": 1} == nil", S, "E451"),
        ("cache[\"x\"] == nil", S, "E451"),
        ("span.foo == 1", S, "E452"),
        ("span.name.foo == 1", S, "E452"),
        ("name[\"x\"] == 1", S, "E452"),
        ("spanevent.name == \"x\"", S, "E452"),
        ("span.status.foo == 1", S, "E452"),
        ("Foo(name)", S, "E453"),
        ("isMatch(name, \"x\")", S, "E450"),
        ("IsRootSpan()", E, "E453"),
        ("IsMatch(name)", S, "E454"),
        ("TraceID(0x01) == nil", S, "E454"),
        ("HasPrefix(name, name)", S, "E454"),
        ("IsMatch(name, \"(\")", S, "E455"),
        ("IsMatch(name, \"[a&&b]\")", S, "E455"),
        ("span.kind == SPAN_KIND_BOGUS", S, "E456"),
        (r#"name == "x" and spanevent.name == "y""#, E, "ok"),
        (r#"attributes["k"] == 1 and span.name == "x""#, E, "ok"),
    ] {
        assert_eq!(code(text, context), expected, "{text}");
    }
    let deep = format!("{}true{}", "(".repeat(300), ")".repeat(300));
    assert_eq!(code(&deep, S), "E457");
}

#[test]
fn positions_point_into_the_condition() {
    let errors = Condition::parse(
        r#"span.foo == 1 and IsMatch(name, "a(")"#,
        OttlContext::Span,
    )
    .expect_err("two errors");
    let spans: Vec<_> = errors
        .iter()
        .map(|e| (e.code.code, e.span.clone()))
        .collect();
    assert_eq!(spans[0], ("E452", 5..8));
    assert_eq!(spans[1].0, "E455");
}

#[test]
fn span_event_context() {
    let condition = Condition::parse(
        r#"name == "exception" and attributes["exception.type"] == "Timeout" and span.name == "GET /checkout""#,
        OttlContext::SpanEvent,
    )
    .expect("parses");
    let event = Event {
        name: "exception".into(),
        attributes: vec![kv("exception.type", AnyValue::String("Timeout".into()))],
        ..Event::default()
    };
    assert_eq!(condition.eval_span_event(&span(), &event), Ok(true));
    let other = Event {
        name: "log".into(),
        ..Event::default()
    };
    assert_eq!(condition.eval_span_event(&span(), &other), Ok(false));
}

#[test]
fn a_span_without_detail_reads_empty() {
    let mut bare = span();
    bare.detail = None;
    let check = |text: &str| {
        Condition::parse(text, OttlContext::Span)
            .expect("parses")
            .eval_span(&bare)
    };
    assert_eq!(check(r#"scope.name == """#), Ok(true));
    assert_eq!(check(r#"span.trace_state["ot"] == """#), Ok(true));
    assert_eq!(check("span.dropped_events_count == 0"), Ok(true));
}

#[test]
fn a_long_flat_condition_parses() {
    let text = vec![r#"attributes["a"] == "b""#; 5000].join(" or ");
    assert_eq!(code(&text, OttlContext::Span), "ok");
}

#[test]
fn nesting_up_to_the_limit_evaluates() {
    let text = format!("{}true{}", "(".repeat(MAX), ")".repeat(MAX));
    assert_eq!(eval(&text), Ok(true));
    let math = format!("{}1{} == 1", "(".repeat(MAX), ")".repeat(MAX));
    assert_eq!(eval(&math), Ok(true));
}

const MAX: usize = super::MAX_NESTING;

#[test]
fn float_literals_read_as_go_reads_them() {
    assert_eq!(eval("+.5 == 0.5"), Ok(true));
    assert_eq!(eval("-.5e1 == -5"), Ok(true));
    assert_eq!(eval("1.5E+3 == 1500"), Ok(true));
    assert_eq!(code("1e400 == 1", OttlContext::Span), "E450");
    assert_eq!(code("1.0e400 == 1", OttlContext::Span), "E450");
}

#[test]
fn errors_become_file_diagnostics() {
    let errors = Condition::parse("span.foo == 1", OttlContext::Span).expect_err("invalid");
    let diagnostic = errors[0].to_diagnostic(|offset| offset + 100);
    assert_eq!(diagnostic.code.code, "E452");
    assert_eq!(diagnostic.span, 105..108);
    assert_eq!(diagnostic.label, "no such path in this context");
    assert!(diagnostic.help.is_some());
}

#[test]
fn printing_is_canonical_and_round_trips() {
    for (text, printed) in [
        (
            r#"attributes["a"] == "b""#,
            r#"span.attributes["a"] == "b""#,
        ),
        ("status.code == STATUS_CODE_ERROR", "span.status.code == 2"),
        (
            r#"not (name == "x" or IsRootSpan()) and kind >= 2"#,
            r#"not (span.name == "x" or IsRootSpan()) and span.kind >= 2"#,
        ),
        ("1 + 2 * 3 - -4 == .5e1", "1 + (2 * 3) - -4 == 5.0"),
        (
            r#"IsMatch(resource.attributes["k"], "^a\\.b\n")"#,
            r#"IsMatch(resource.attributes["k"], "^a\\.b\n")"#,
        ),
        (
            r#"Concat([name, "\x01"], "|") == "a""#,
            r#"Concat([span.name, "\x01"], "|") == "a""#,
        ),
        (
            "span.trace_id == TraceID(0x4bf92f3577b34da6a3ce929d0e0e4736)",
            "span.trace_id == TraceID(0x4bf92f3577b34da6a3ce929d0e0e4736)",
        ),
        ("0.0000001 < 1.0", "1.0e-7 < 1.0"),
    ] {
        let condition = Condition::parse(text, OttlContext::Span).expect("parses");
        let shown = condition.expr().to_string();
        assert_eq!(shown, printed);
        let again = Condition::parse(&shown, OttlContext::Span)
            .unwrap_or_else(|e| panic!("{shown}: {e:?}"));
        assert_eq!(again.expr(), condition.expr(), "{shown}");
    }
}

#[test]
fn trailing_commas_are_refused_as_in_ottl() {
    assert_eq!(code(r#"IsMatch(name, "x",)"#, OttlContext::Span), "E450");
    assert_eq!(
        code(r#"ContainsValue(["a",], name)"#, OttlContext::Span),
        "E450"
    );
    assert_eq!(code("ContainsValue([], name)", OttlContext::Span), "ok");
}

#[test]
fn escape_errors_cover_whole_characters() {
    let text = r#"name == "\é""#;
    let errors = Condition::parse(text, OttlContext::Span).expect_err("bad escape");
    assert_eq!(&text[errors[0].span.clone()], r"\é");
}
