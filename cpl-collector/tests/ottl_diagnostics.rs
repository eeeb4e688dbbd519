//! The diagnostics of refused OTTL conditions, as a reader sees them: code,
//! message, the text under the span, and the help.

use std::fmt::Write as _;

use cpl_collector::ottl::{Condition, OttlContext};

fn render(text: &str, context: OttlContext) -> String {
    match Condition::parse(text, context) {
        Ok(_) => format!("{text}\n  ok\n"),
        Err(errors) => {
            let mut out = format!("{text}\n");
            for error in errors {
                let under = text
                    .get(error.span.clone())
                    .unwrap_or("<not a char boundary>");
                let _ = writeln!(
                    out,
                    "  {} {}: {} at {:?} `{under}`",
                    error.code.code, error.code.name, error.message, error.span
                );
                if let Some(help) = error.help {
                    let _ = writeln!(out, "    help: {help}");
                }
            }
            out
        }
    }
}

#[test]
fn diagnostics() {
    let cases = [
        "",
        r#"attributes["a"] == 'b'"#,
        r#"attributes["a"] == "b"#,
        r#"attributes["retry"]"#,
        "not not true",
        "x == 1 == 2",
        "span.end_time_unix_nano -1 > 0",
        r#"name == "\q""#,
        "0x123 == nil",
        "010 == 8",
        r#"Split(name, ",")[0] == "a""#,
        "span.start_time > 0",
        "span.foo == 1",
        "span.name.foo == 1",
        r#"name["x"] == 1"#,
        r#"IsMatches(name, "x")"#,
        "IsMatch(name)",
        "TraceID(0x01) == span.trace_id",
        r#"IsMatch(name, "a{1001}")"#,
        r#"IsMatch(name, "[a&&b]")"#,
        "span.kind == SPAN_KIND_SERVERS",
        "span.foo == 1 and span.kind == BOGUS and Foo()",
    ];
    let mut out = String::new();
    for case in cases {
        out.push_str(&render(case, OttlContext::Span));
    }
    out.push_str(&render("IsRootSpan()", OttlContext::SpanEvent));
    insta::assert_snapshot!(out);
}
