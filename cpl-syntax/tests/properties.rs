//! Properties of the expression parser, checked on generated input:
//! nothing panics on arbitrary text; spans nest and stay inside the source;
//! printing a tree and parsing the text gives the same tree back.

#![allow(clippy::format_push_string, clippy::unwrap_used)]

use cpl_syntax::ast::{CompareOp, DurationUnit, Field, FieldKind, Literal, StringOp, Value};
use cpl_syntax::fields::BUILTIN_FIELDS;
use cpl_syntax::{parse_expression, Expr, ExprKind, Span};
use proptest::prelude::*;

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
        ".{0,12}".prop_map(Value::String),
        // Regex-like text, which prints as a raw string.
        r#"[\\a-z.+*?()\[\]{}^$|'"]{0,12}"#.prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just("SERVER"), Just("ERROR"), Just("OK")]
            .prop_map(|s| Value::Name(s.to_owned())),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    value().prop_map(|value| Literal {
        value,
        span: Span::default(),
    })
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
    prop_oneof![
        (field(), compare_op, literal()).prop_map(|(field, op, value)| ExprKind::Compare {
            field,
            op,
            value
        }),
        (field(), string_op, any::<bool>(), literal()).prop_map(|(field, op, negated, value)| {
            ExprKind::StringTest {
                field,
                op,
                negated,
                value,
            }
        }),
        (
            field(),
            any::<bool>(),
            prop::collection::vec(literal(), 0..4)
        )
            .prop_map(|(field, negated, values)| ExprKind::In {
                field,
                negated,
                values
            }),
        field().prop_map(ExprKind::Exists),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = predicate().prop_map(|kind| Expr {
        kind,
        span: Span::default(),
    });
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|items| Expr {
                kind: ExprKind::And(items),
                span: Span::default()
            }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|items| Expr {
                kind: ExprKind::Or(items),
                span: Span::default()
            }),
            inner.prop_map(|e| Expr {
                kind: ExprKind::Not(Box::new(e)),
                span: Span::default()
            }),
        ]
    })
}

/// Checks that every node's span lies inside its parent's and inside the source.
fn check_spans(expr: &Expr, outer: Span, len: u32) {
    assert!(
        expr.span.start <= expr.span.end && expr.span.end <= len,
        "{expr:?}"
    );
    assert!(
        outer.start <= expr.span.start && expr.span.end <= outer.end,
        "{expr:?} outside {outer:?}"
    );
    let inside = |span: Span| {
        assert!(
            expr.span.start <= span.start && span.end <= expr.span.end && span.start <= span.end
        );
    };
    match &expr.kind {
        ExprKind::And(items) | ExprKind::Or(items) => items
            .iter()
            .for_each(|item| check_spans(item, expr.span, len)),
        ExprKind::Not(inner) => check_spans(inner, expr.span, len),
        ExprKind::Compare { field, value, .. } | ExprKind::StringTest { field, value, .. } => {
            inside(field.span);
            inside(value.span);
        }
        ExprKind::In { field, values, .. } => {
            inside(field.span);
            for value in values {
                inside(value.span);
            }
        }
        ExprKind::Exists(field) => inside(field.span),
        _ => {}
    }
}

/// Fragments of CPL, so that random text often gets deep into the grammar.
fn cpl_soup() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("status_code"),
        Just("http.route"),
        Just(" AND "),
        Just(" OR "),
        Just("NOT "),
        Just("("),
        Just(")"),
        Just(" >= "),
        Just(" == "),
        Just("!="),
        Just(" contains "),
        Just(" in ["),
        Just("]"),
        Just(","),
        Just("'x'"),
        Just("\"y\\\""),
        Just("500"),
        Just("1.5s"),
        Just("exists("),
        Just("attributes["),
        Just("'"),
        Just("1e"),
        Just("&&"),
        Just("="),
        Just(" "),
        Just("\n"),
        Just("é"),
        Just("\0"),
        Just("kind == SERVER"),
        Just(" matches "),
        Just("r'"),
        Just("r\""),
        Just("r'\\d+'"),
        Just("r\"\\\""),
        Just("\\"),
        Just("r"),
        Just("R"),
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        let parsed = parse_expression(&source);
        for error in &parsed.errors {
            prop_assert!(error.span().end as usize <= source.len());
            prop_assert!(source.is_char_boundary(error.span().start as usize));
        }
    }

    #[test]
    fn cpl_like_text_never_panics_and_spans_nest(source in cpl_soup()) {
        let parsed = parse_expression(&source);
        let len = u32::try_from(source.len()).expect("small");
        if let Some(expr) = &parsed.expr {
            check_spans(expr, Span { start: 0, end: len }, len);
        }
        for error in &parsed.errors {
            prop_assert!(error.span().start <= error.span().end && error.span().end <= len);
        }
        prop_assert!(parsed.expr.is_some() || !parsed.errors.is_empty());
    }

    #[test]
    fn print_then_parse_gives_the_same_tree(tree in expr()) {
        let text = tree.to_string();
        let parsed = parse_expression(&text);
        prop_assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
        let reparsed = parsed.expr.expect("tree");
        check_spans(&reparsed, Span { start: 0, end: u32::try_from(text.len()).expect("small") }, u32::try_from(text.len()).expect("small"));
        prop_assert_eq!(reparsed.without_spans(), tree.without_spans(), "{}", text);
        prop_assert_eq!(reparsed.to_string(), text);
    }
}
