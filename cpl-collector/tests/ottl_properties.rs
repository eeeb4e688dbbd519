//! Properties of the OTTL front end: parsing arbitrary text never panics and
//! every error span lies within the text on character boundaries; evaluation
//! of whatever parses never panics and is deterministic; printing what parses
//! gives text that parses back to the same tree.

use std::sync::Arc;

use cpl_collector::ottl::{Condition, OttlContext};
use cpl_otlp::{AnyValue, Event, KeyValue, Resource, Span, SpanId, TraceId};
use proptest::prelude::*;

fn span() -> Span {
    Span {
        trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap_or_default(),
        span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap_or_default(),
        parent_span_id: SpanId::from_hex("1111111111111111"),
        name: "GET /é".to_owned(),
        kind: cpl_otlp::SpanKind::Client,
        start_time_unix_nano: u64::MAX,
        end_time_unix_nano: 0,
        status: cpl_otlp::StatusCode::Ok,
        attributes: vec![
            KeyValue {
                key: "a".into(),
                value: AnyValue::Int(i64::MIN),
            },
            KeyValue {
                key: "b".into(),
                value: AnyValue::Double(f64::NAN),
            },
            KeyValue {
                key: "c".into(),
                value: AnyValue::Array(vec![AnyValue::Empty]),
            },
            KeyValue {
                key: "d".into(),
                value: AnyValue::String("é".into()),
            },
        ],
        resource: Arc::new(Resource::default()),
        encoded_len: 0,
        detail: None,
    }
}

/// Pieces of OTTL, so that generated text often parses.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("attributes[\"a\"]".to_owned()),
        Just("attributes[\"c\"][0]".to_owned()),
        Just("span.name".to_owned()),
        Just("span.start_time_unix_nano".to_owned()),
        Just("Substring(attributes[\"d\"], 0, 1)".to_owned()),
        Just("Int(attributes[\"b\"])".to_owned()),
        Just("IsMatch(name, \"\\\\d\")".to_owned()),
        Just("Len(attributes[\"c\"])".to_owned()),
        Just("nil".to_owned()),
        Just("-1".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("0.5".to_owned()),
        Just("\"é\"".to_owned()),
        Just(" == ".to_owned()),
        Just(" != ".to_owned()),
        Just(" < ".to_owned()),
        Just(" + ".to_owned()),
        Just(" * ".to_owned()),
        Just(" / ".to_owned()),
        Just(" - ".to_owned()),
        Just(" and ".to_owned()),
        Just(" or ".to_owned()),
        Just("not ".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        "[ -~]{0,3}",
        "\\PC{0,2}",
    ]
}

fn check(text: &str) {
    let event = Event::default();
    for context in [OttlContext::Span, OttlContext::SpanEvent] {
        match Condition::parse(text, context) {
            Ok(condition) => {
                let first = match context {
                    OttlContext::Span => condition.eval_span(&span()),
                    OttlContext::SpanEvent => condition.eval_span_event(&span(), &event),
                };
                let second = match context {
                    OttlContext::Span => condition.eval_span(&span()),
                    OttlContext::SpanEvent => condition.eval_span_event(&span(), &event),
                };
                assert_eq!(first, second, "{text}");
                let printed = condition.expr().to_string();
                let again = Condition::parse(&printed, context)
                    .unwrap_or_else(|errors| panic!("`{text}` prints as `{printed}`: {errors:?}"));
                assert_eq!(
                    again.expr(),
                    condition.expr(),
                    "`{text}` prints as `{printed}`"
                );
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for error in errors {
                    assert!(error.span.start <= error.span.end, "{text}: {error:?}");
                    assert!(error.span.end <= text.len(), "{text}: {error:?}");
                    assert!(text.is_char_boundary(error.span.start), "{text}: {error:?}");
                    assert!(text.is_char_boundary(error.span.end), "{text}: {error:?}");
                }
            }
        }
    }
}

/// Conditions that parse: comparisons of OTTL values combined with `and`, `or`
/// and `not`, so that evaluation and the printer are exercised, not only errors.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("attributes[\"a\"]".to_owned()),
        Just("attributes[\"d\"]".to_owned()),
        Just("attributes[\"missing\"]".to_owned()),
        Just("span.start_time_unix_nano".to_owned()),
        Just("Len(span.name)".to_owned()),
        Just("Int(attributes[\"b\"])".to_owned()),
        Just("Substring(attributes[\"d\"], 0, 1)".to_owned()),
        any::<i64>().prop_map(|i| i.to_string()),
        (-1000.0f64..1000.0).prop_map(|f| format!("{f:?}")),
    ];
    // Strings, nil and enums cannot be math operands, so they are values only.
    let math = leaf.prop_recursive(3, 8, 2, |inner| {
        (
            inner.clone(),
            prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")],
            inner,
        )
            .prop_map(|(a, op, b)| format!("({a}) {op} ({b})"))
    });
    prop_oneof![
        4 => math,
        1 => "[a-zé\\\\\"]{0,4}".prop_map(|s| format!("{s:?}")),
        1 => Just("nil".to_owned()),
        1 => Just("SPAN_KIND_SERVER".to_owned()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let comparison = (
        value(),
        prop_oneof![
            Just("=="),
            Just("!="),
            Just("<"),
            Just("<="),
            Just(">"),
            Just(">=")
        ],
        value(),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    comparison.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or {b}")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        check(&text);
    }

    #[test]
    fn generated_conditions_parse_evaluate_and_print(text in condition()) {
        prop_assert!(Condition::parse(&text, OttlContext::Span).is_ok(), "{}", text);
        check(&text);
    }

    #[test]
    fn ottl_shaped_text_never_panics(parts in proptest::collection::vec(fragment(), 0..14)) {
        check(&parts.concat());
    }
}
