//! Unit tests of the compilation scheme: the exact OTTL emitted for every mapping of
//! the reference's §3.3 and every construct of the language, and the policies emitted
//! for rules, rates, drop rules, tenants and refusals.

use std::fmt::Write as _;

use super::*;

/// The policy of `yaml`, which must load.
fn load(yaml: &str) -> Policy {
    let loaded = cpl_syntax::load_policy(yaml);
    loaded.policy.expect("the policy loads")
}

/// `text` as a YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn compiled(yaml: &str) -> Compiled {
    compile(&load(yaml), &CompileOptions::default()).expect("compiles")
}

/// The OTTL condition compiled for a lone `when:` (rule 1, base rate 0); `false`
/// when the condition matches no span.
fn ottl(when: &str) -> String {
    let yaml = format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: r\n      when: {}\n",
        quoted(when)
    );
    let compiled = compiled(&yaml);
    match &compiled.policies[..] {
        [TailSamplingPolicy {
            name,
            kind: PolicyKind::Ottl(span),
        }] if span.len() == 1 && name == "cpl-rule-1-r" => span[0].clone(),
        [TailSamplingPolicy { name, .. }] if name == KEEP_NOTHING => "false".to_owned(),
        other => panic!("unexpected policies {other:?}"),
    }
}

const STATUS: &str = r#"span.attributes["http.response.status_code"]"#;
const OLD_STATUS: &str = r#"span.attributes["http.status_code"]"#;
const X: &str = r#"span.attributes["x"]"#;
const PRESENT: &str = "(span.end_time_unix_nano >= span.start_time_unix_nano and \
    (span.start_time_unix_nano > 0 or span.end_time_unix_nano < 0) or \
    span.start_time_unix_nano > 0 and span.end_time_unix_nano < 0)";
const D: &str = "span.end_time_unix_nano - span.start_time_unix_nano";

/// §3.3 "status_code >= 500": the first present source decides. `>=` is false on nil
/// and on strings in OTTL as in CPL, and 500 is exact for ints and doubles alike.
#[test]
fn status_code_reads_its_sources_in_order() {
    assert_eq!(
        ottl("status_code >= 500"),
        format!("{STATUS} >= 500 or {STATUS} == nil and {OLD_STATUS} >= 500")
    );
    // A string or a bool literal never compares with `status_code`.
    assert_eq!(ottl("status_code == '500'"), "false");
    assert_eq!(ottl("status_code contains '50'"), "false");
    // `!=` needs a number: OTTL's `!=` is true on nil and on strings.
    assert_eq!(
        ottl("status_code != 500.5"),
        format!(
            "IsInt({STATUS}) or IsDouble({STATUS}) and {STATUS} != 500.5 or \
             {STATUS} == nil and (IsInt({OLD_STATUS}) or IsDouble({OLD_STATUS}) and {OLD_STATUS} != 500.5)"
        )
    );
}

/// Numbers: one comparison when the literal is an integer within ±2^53, else split
/// by type so that OTTL's int-to-float64 conversion never rounds.
#[test]
fn numbers_compare_exactly() {
    assert_eq!(ottl(r#"attributes["x"] >= 500"#), format!("{X} >= 500"));
    assert_eq!(ottl(r#"attributes["x"] >= -0.0"#), format!("{X} >= 0"));
    assert_eq!(
        ottl(r#"attributes["x"] != 500"#),
        format!("(IsInt({X}) or IsDouble({X})) and {X} != 500")
    );
    // Ints above 2.5 are those above 2.
    assert_eq!(
        ottl(r#"attributes["x"] > 2.5"#),
        format!("IsInt({X}) and {X} > 2 or IsDouble({X}) and {X} > 2.5")
    );
    // No double equals 2^53 + 1; OTTL would compare it as 2^53.
    assert_eq!(
        ottl(r#"attributes["x"] == 9007199254740993"#),
        format!("IsInt({X}) and {X} == 9007199254740993")
    );
    // Infinity has no OTTL literal: `< +inf` is every int and `<= MAX` for doubles.
    assert_eq!(
        ottl(r#"attributes["x"] < 1e999"#),
        format!("IsInt({X}) or IsDouble({X}) and {X} <= 1.7976931348623157e308")
    );
}

/// §3.3 status, kind, error: constants, `==`/`!=` only; orderings are false in CPL.
#[test]
fn status_kind_and_error_are_constants() {
    assert_eq!(
        ottl("status == ERROR"),
        "span.status.code == STATUS_CODE_ERROR"
    );
    assert_eq!(ottl("status != OK"), "span.status.code != STATUS_CODE_OK");
    assert_eq!(
        ottl("error == true"),
        "span.status.code == STATUS_CODE_ERROR"
    );
    assert_eq!(
        ottl("error == false"),
        "span.status.code != STATUS_CODE_ERROR"
    );
    assert_eq!(
        ottl("error != true"),
        "span.status.code != STATUS_CODE_ERROR"
    );
    assert_eq!(ottl("kind == SERVER"), "span.kind == SPAN_KIND_SERVER");
    assert_eq!(
        ottl("kind in [SERVER, CLIENT]"),
        "span.kind == SPAN_KIND_SERVER or span.kind == SPAN_KIND_CLIENT"
    );
    // `kind` always has a value, so `not in` needs no presence test.
    assert_eq!(
        ottl("kind not in [SERVER]"),
        "span.kind != SPAN_KIND_SERVER"
    );
    assert_eq!(ottl("kind < SERVER"), "false");
}

/// §3.3 span duration: unsigned nanoseconds, exactly, on the wrapped int64 difference.
#[test]
fn durations_are_exact_nanoseconds() {
    assert_eq!(
        ottl("duration > 1s"),
        format!("{PRESENT} and ({D} < 0 or {D} >= 1000000001)")
    );
    // A float literal is milliseconds compared as the nearest double of d / 10^6.
    assert_eq!(
        ottl("duration_ms <= 0.3"),
        format!("{PRESENT} and {D} >= 0 and {D} <= 300000")
    );
    assert_eq!(
        ottl("duration != 5ms"),
        format!("{PRESENT} and ({D} >= 0 and {D} <= 4999999 or {D} < 0 or {D} >= 5000001)")
    );
    assert_eq!(
        ottl("exists(duration)"),
        PRESENT.trim_start_matches('(').trim_end_matches(')')
    );
}

/// §3.3 `in`, resource attributes, AND / OR / NOT.
#[test]
fn lists_resources_and_logic() {
    assert_eq!(
        ottl("http.route in ['/health', '/ready']"),
        r#"span.attributes["http.route"] == "/health" or span.attributes["http.route"] == "/ready""#
    );
    assert_eq!(
        ottl("resource.service.name == 'payments'"),
        r#"resource.attributes["service.name"] == "payments""#
    );
    assert_eq!(
        ottl("service != 'payments'"),
        r#"IsString(resource.attributes["service.name"]) and resource.attributes["service.name"] != "payments""#
    );
    assert_eq!(
        ottl(r#"resource["k8s pod"] != 'x'"#),
        r#"IsString(resource.attributes["k8s pod"]) and resource.attributes["k8s pod"] != "x""#
    );
    // NOT is plain negation: true on a span without `x`.
    assert_eq!(
        ottl(r#"NOT attributes["x"] < 500"#),
        format!("not ({X} < 500)")
    );
    assert_eq!(
        ottl("status_code >= 500 AND method == 'POST' OR duration > 2s"),
        format!(
            "({STATUS} >= 500 or {STATUS} == nil and {OLD_STATUS} >= 500) and \
             (span.attributes[\"http.request.method\"] == \"POST\" or \
             span.attributes[\"http.request.method\"] == nil and span.attributes[\"http.method\"] == \"POST\") or \
             {PRESENT} and ({D} < 0 or {D} >= 2000000001)"
        )
    );
    // `not in` needs a value and one of the same type for every item: a value
    // cannot be both a number and a string, so this matches nothing, as in CPL.
    assert_eq!(
        ottl("x not in [1, 'a']"),
        format!(
            "{X} != nil and (IsInt({X}) or IsDouble({X})) and {X} != 1 and IsString({X}) and {X} != \"a\""
        )
    );
}

/// Missing values: `exists`, and the ids that are missing on a root span.
#[test]
fn exists_and_ids() {
    assert_eq!(
        ottl("exists(http.route)"),
        r#"span.attributes["http.route"] != nil"#
    );
    assert_eq!(
        ottl("NOT exists(user_id)"),
        r#"not (span.attributes["user.id"] != nil or span.attributes["enduser.id"] != nil or span.attributes["user_id"] != nil)"#
    );
    assert_eq!(ottl("exists(parent_span_id)"), "not IsRootSpan()");
    assert_eq!(
        ottl("parent_span_id == 'b7ad6b7169203331'"),
        r#"not IsRootSpan() and span.parent_span_id.string == "b7ad6b7169203331""#
    );
    assert_eq!(
        ottl("trace_id == '4bf92f3577b34da6a3ce929d0e0e4736'"),
        r#"span.trace_id.string == "4bf92f3577b34da6a3ce929d0e0e4736""#
    );
    // `name` always has a value: `exists(name)` is true, and so the rule matches
    // every trace (see `a_rule_true_on_every_span_ends_the_chain`).
}

/// String tests: `IsString` first (IsMatch would read 500 as "500"), the needle
/// escaped, anchored with `\A` / `\z` (RE2's `$` is also end of text, `\z` says it).
#[test]
fn string_tests() {
    assert_eq!(
        ottl("name starts_with 'GET '"),
        r#"IsMatch(span.name, "\\AGET ")"#
    );
    assert_eq!(
        ottl("name not ends_with '.css'"),
        r#"not IsMatch(span.name, "\\.css\\z")"#
    );
    assert_eq!(
        ottl("http.route contains ''"),
        r#"IsString(span.attributes["http.route"])"#
    );
    assert_eq!(ottl("http.route not contains ''"), "false");
    assert_eq!(
        ottl("http.route matches '^/api/(v1|v2)/'"),
        r#"IsString(span.attributes["http.route"]) and IsMatch(span.attributes["http.route"], "\\A/api/(?:v1|v2)/")"#
    );
    assert_eq!(
        ottl("http.route not matches '(?i)health'"),
        r#"IsString(span.attributes["http.route"]) and not IsMatch(span.attributes["http.route"], "[Hh][Ee][Aa][Ll][Tt][Hh]")"#
    );
    assert_eq!(
        ottl("method != 'GET'"),
        r#"IsString(span.attributes["http.request.method"]) and span.attributes["http.request.method"] != "GET" or span.attributes["http.request.method"] == nil and IsString(span.attributes["http.method"]) and span.attributes["http.method"] != "GET""#
    );
}

/// `path`: the first present of five sources; the last two are URLs whose path
/// component `ExtractPatterns` takes, behind `IsString`.
#[test]
fn path_takes_url_paths() {
    let url = |key: &str| {
        format!(
            r#"IsString(span.attributes["{key}"]) and ExtractPatterns(span.attributes["{key}"], "^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?(?P<path>[^?#]*)")["path"] == "/x""#
        )
    };
    let none = |keys: &[&str]| -> String {
        keys.iter().fold(String::new(), |mut out, k| {
            let _ = write!(out, r#"span.attributes["{k}"] == nil and "#);
            out
        })
    };
    assert_eq!(
        ottl("path == '/x'"),
        format!(
            r#"span.attributes["http.route"] == "/x" or {}span.attributes["url.path"] == "/x" or {}span.attributes["http.target"] == "/x" or {}{} or {}{}"#,
            none(&["http.route"]),
            none(&["http.route", "url.path"]),
            none(&["http.route", "url.path", "http.target"]),
            url("url.full"),
            none(&["http.route", "url.path", "http.target", "url.full"]),
            url("http.url"),
        )
    );
}

/// Booleans: OTTL orders them, CPL does not; `!=` needs a bool.
#[test]
fn booleans() {
    assert_eq!(
        ottl(r#"attributes["flag"] == true"#),
        r#"span.attributes["flag"] == true"#
    );
    assert_eq!(
        ottl(r#"attributes["flag"] != false"#),
        r#"IsBool(span.attributes["flag"]) and span.attributes["flag"] != false"#
    );
    assert_eq!(ottl(r#"attributes["flag"] < true"#), "false");
}

/// Keys and values are Go string literals: `"` and `\` escaped, control characters
/// as `\xNN` (a raw line break is an error in Go's `strconv.Unquote`).
#[test]
fn strings_are_escaped() {
    assert_eq!(
        ottl(r#"attributes['a"b'] == 'x\ny'"#),
        r#"span.attributes["a\"b"] == "x\x0ay""#
    );
}

fn names(compiled: &Compiled) -> Vec<&str> {
    compiled.policies.iter().map(|p| p.name.as_str()).collect()
}

/// The scheme of §3.2: rule j = match ∧ ¬(earlier rules) ∧ rate; drop rules only
/// in priors; a rule with rate 0 decides (drops) but emits nothing; the base rate last.
#[test]
fn rules_rates_and_drops() {
    let c = compiled(
        "sampling:\n  base_rate: 0.01\n  conditions:\n\
         \x20 - {name: health, when: \"http.route == '/health'\", action: drop}\n\
         \x20 - {name: errors, when: \"status == ERROR\", rate: 0.1}\n\
         \x20 - {name: never, when: \"kind == SERVER\", rate: 0}\n\
         \x20 - {name: off, when: \"kind == CLIENT\", enabled: false}\n",
    );
    assert_eq!(names(&c), ["cpl-rule-2-errors", "cpl-base-rate"], "{c:#?}");
    let health = r#"span.attributes["http.route"] == "/health""#.to_owned();
    let PolicyKind::And(subs) = &c.policies[0].kind else {
        panic!("{c:#?}")
    };
    assert_eq!(
        subs,
        &[
            SubPolicy::Ottl(OttlPolicy {
                name: "cpl-rule-2-errors/match".into(),
                span: vec!["span.status.code == STATUS_CODE_ERROR".into()],
            }),
            SubPolicy::Not {
                name: "cpl-rule-2-errors/no-earlier-rule".into(),
                inner: OttlPolicy {
                    name: "cpl-rule-2-errors/earlier-rules".into(),
                    span: vec![health.clone()],
                },
            },
            // T(0.1) is CPL's own threshold, not OTel Go's e6666666666666.
            SubPolicy::Ottl(OttlPolicy {
                name: "cpl-rule-2-errors/rate".into(),
                span: vec![r#"Substring(span.trace_id.string, 18, 14) >= "e6666666666668""#.into()],
            }),
        ]
    );
    let PolicyKind::And(subs) = &c.policies[1].kind else {
        panic!("{c:#?}")
    };
    let SubPolicy::Not { inner, .. } = &subs[0] else {
        panic!("{subs:#?}")
    };
    // The rate-0 rule still decides the traces it matches; the disabled one does not.
    assert_eq!(
        inner.span,
        vec![
            health,
            "span.status.code == STATUS_CODE_ERROR".to_owned(),
            "span.kind == SPAN_KIND_SERVER".to_owned()
        ]
    );
    assert_eq!(
        subs[1],
        SubPolicy::Ottl(OttlPolicy {
            name: "cpl-base-rate/rate".into(),
            span: vec![r#"Substring(span.trace_id.string, 18, 14) >= "fd70a3d70a3d70""#.into()],
        })
    );
}

#[test]
fn a_rule_true_on_every_span_ends_the_chain() {
    let c = compiled(
        "sampling:\n  base_rate: 1\n  conditions:\n\
         \x20 - {name: errors, when: \"status == ERROR\"}\n\
         \x20 - {name: all, when: \"exists(name)\", rate: 0.5}\n\
         \x20 - {name: later, when: \"kind == SERVER\"}\n",
    );
    assert_eq!(names(&c), ["cpl-rule-1-errors", "cpl-rule-2-all"]);
    let PolicyKind::And(subs) = &c.policies[1].kind else {
        panic!("{c:#?}")
    };
    // "Some span satisfies `true`" holds for every trace: no `match` sub-policy.
    assert!(matches!(&subs[0], SubPolicy::Not { name, .. } if name.ends_with("/no-earlier-rule")));
    assert_eq!(subs.len(), 2);
}

#[test]
fn keep_everything_and_keep_nothing() {
    let c = compiled("sampling:\n  base_rate: 1\n");
    assert_eq!(c.policies[0].kind, PolicyKind::AlwaysSample);
    let c = compiled(
        "sampling:\n  base_rate: 0\n  conditions:\n  - {name: d, when: \"kind == SERVER\", action: drop}\n",
    );
    assert_eq!(names(&c), [KEEP_NOTHING]);
    assert_eq!(c.policies[0].kind, PolicyKind::Ottl(vec!["false".into()]));
    // A rate of at most 2^-54 has T = 2^56: it keeps nothing.
    let c = compiled("sampling:\n  base_rate: 1e-17\n");
    assert_eq!(names(&c), [KEEP_NOTHING]);
}

/// Tenants: per overridden tenant a root chain and an any-span chain; the default
/// chains cover no tenant and every gap between the overridden ids.
#[test]
fn tenants_are_guarded_chains() {
    let c = compiled(
        "sampling:\n  base_rate: 0\n  conditions:\n  - {name: errors, when: \"status == ERROR\"}\n\
         tenants:\n  attribute: resource.tenant.id\n  overrides:\n\
         \x20   acme: {base_rate: 0.25}\n\
         \x20   \"123\": {base_rate: 1}\n\
         \x20   unchanged: {}\n",
    );
    assert_eq!(
        names(&c),
        [
            "cpl-tenant-123-root-rule-1-errors",
            "cpl-tenant-123-root-base-rate",
            "cpl-tenant-123-any-rule-1-errors",
            "cpl-tenant-123-any-base-rate",
            "cpl-tenant-acme-root-rule-1-errors",
            "cpl-tenant-acme-root-base-rate",
            "cpl-tenant-acme-any-rule-1-errors",
            "cpl-tenant-acme-any-base-rate",
            "cpl-default-none-rule-1-errors",
            "cpl-default-root-0-rule-1-errors",
            "cpl-default-any-0-rule-1-errors",
            "cpl-default-root-1-rule-1-errors",
            "cpl-default-any-1-rule-1-errors",
            "cpl-default-root-2-rule-1-errors",
            "cpl-default-any-2-rule-1-errors",
        ]
    );
    let a = r#"resource.attributes["tenant.id"]"#;
    let guards = |policy: &TailSamplingPolicy| -> Vec<(bool, Vec<String>)> {
        let PolicyKind::And(subs) = &policy.kind else {
            panic!("{policy:#?}")
        };
        subs.iter()
            .map(|s| match s {
                SubPolicy::Ottl(p) => (false, p.span.clone()),
                SubPolicy::Not { inner, .. } => (true, inner.span.clone()),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let rate = |t: &str| format!(r#"Substring(span.trace_id.string, 18, 14) >= "{t}""#);
    // Tenant 123 from root spans: some root span carries "123" (the string, or the
    // int 123), and no root span carries a smaller id (an int by its decimal text).
    assert_eq!(
        guards(&c.policies[1]),
        [
            (
                false,
                vec![format!(
                    r#"IsRootSpan() and ({a} == "123" or IsInt({a}) and {a} == 123)"#
                )]
            ),
            (
                true,
                vec![format!(
                    r#"IsRootSpan() and ({a} < "123" or IsInt({a}) and String({a}) < "123")"#
                )]
            ),
            // Then no earlier rule, and tenant 123's base rate 1 keeps everything.
            (
                true,
                vec!["span.status.code == STATUS_CODE_ERROR".to_owned()]
            ),
        ]
    );
    // Tenant acme from any span: no root span carries an id, some span carries
    // "acme", none carries a smaller one; then acme's base rate 0.25.
    assert_eq!(
        guards(&c.policies[7]),
        [
            (
                true,
                vec![format!("IsRootSpan() and (IsString({a}) or IsInt({a}))")]
            ),
            (false, vec![format!(r#"{a} == "acme""#)]),
            (
                true,
                vec![format!(
                    r#"{a} < "acme" or IsInt({a}) and String({a}) < "acme""#
                )]
            ),
            (
                true,
                vec!["span.status.code == STATUS_CODE_ERROR".to_owned()]
            ),
            (false, vec![rate("c0000000000000")]),
        ]
    );
    // The default chain between "123" and "acme", from root spans.
    assert_eq!(
        guards(&c.policies[11])[..2],
        [
            (
                false,
                vec![format!(
                    r#"IsRootSpan() and ({a} < "acme" or IsInt({a}) and String({a}) < "acme")"#
                )]
            ),
            (
                true,
                vec![format!(
                    r#"IsRootSpan() and ({a} <= "123" or IsInt({a}) and String({a}) <= "123")"#
                )]
            ),
        ]
    );
}

/// Refusals: positioned at the pattern, E500 without `--allow-approximate`, W500 with.
#[test]
fn word_boundaries_are_refused_or_approximated() {
    let yaml = "sampling:\n  base_rate: 0\n  conditions:\n    - name: r\n      when: 'name matches r\"\\bretry\\b\"'\n";
    let policy = load(yaml);
    let refusals = compile(&policy, &CompileOptions::default()).expect_err("refused");
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].code.code, "E500");
    assert_eq!(&yaml[refusals[0].span.clone()], r#"r"\bretry\b""#);
    let compiled = compile(&policy, &CompileOptions::new(true)).expect("approximated");
    assert_eq!(compiled.warnings.len(), 1);
    assert_eq!(compiled.warnings[0].code.code, "W500");
    assert_eq!(
        compiled.policies[0].kind,
        PolicyKind::Ottl(vec![r#"IsMatch(span.name, "\\bretry\\b")"#.into()])
    );
}

/// What the collector cannot say exactly is refused at the construct (E503, or E504
/// for `trace_duration`), never compiled as a silent `false`.
#[test]
fn inexact_trace_level_parts_are_refused_where_written() {
    for (when, construct, code, approximated) in [
        ("trace_duration > 1s", "trace_duration", "E503", false),
        ("trace_duration <= 1000", "trace_duration", "E503", false),
        ("trace_duration == 5ms", "trace_duration", "E503", false),
        ("trace_duration >= 1.5", "trace_duration", "E503", false),
        ("trace_duration >= 1001ms", "trace_duration", "E504", true),
        ("span_count >= 3000000000", "span_count", "E503", false),
        ("span_count <= 2147483648", "span_count", "E503", false),
        (
            r#"fnv_sample(10, "")"#,
            r#"fnv_sample(10, "")"#,
            "E503",
            false,
        ),
        (
            "sampled == true AND kind == SERVER",
            "sampled",
            "E503",
            false,
        ),
        ("any(sampled == false)", "sampled", "E503", false),
        ("NOT sampled == true", "sampled", "E503", false),
    ] {
        let yaml = format!(
            "sampling:\n  base_rate: 0\n  conditions:\n    - name: r\n      when: '{when}'\n"
        );
        let policy = load(&yaml);
        let refusals = compile(&policy, &CompileOptions::default()).expect_err(when);
        assert_eq!(refusals.len(), 1, "{when}");
        assert_eq!(refusals[0].code.code, code, "{when}");
        assert_eq!(&yaml[refusals[0].span.clone()], construct, "{when}");
        let allowed = compile(&policy, &CompileOptions::new(true));
        assert_eq!(allowed.is_ok(), approximated, "{when}");
    }
}

/// A condition with more trace-level parts than the cases allow is refused as a whole.
#[test]
fn too_many_trace_level_parts_are_refused() {
    let when = (1..=9)
        .map(|i| format!("any(x == {i})"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let yaml = format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: r\n      when: 'y == 1 AND ({when})'\n"
    );
    let refusals = compile(&load(&yaml), &CompileOptions::default()).expect_err("refused");
    assert_eq!(refusals[0].code.code, "E503");
}

/// The YAML a policy with trace-level parts compiles to.
fn emitted(when: &str, allow_approximate: bool) -> String {
    let yaml = format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: r\n      when: {}\n",
        quoted(when)
    );
    let compiled =
        compile(&load(&yaml), &CompileOptions::new(allow_approximate)).expect("compiles");
    let text = to_yaml(&compiled, Output::Processor, &[]).expect("emits");
    format!("when: {when}\n{text}")
}

/// Each trace-level construct, alone: the policy it maps to.
#[test]
fn trace_level_constructs_map_to_their_policies() {
    let mut out = String::new();
    for when in [
        "span_count >= 10",
        "span_count > 2.5",
        "span_count <= 3",
        "span_count < 1",
        "span_count == 4",
        "span_count != 1",
        "span_count != 4",
        "span_count >= 0",
        "exists(span_count)",
        "span_count in [2, 3]",
        "fnv_sample(12.5, 'salt')",
        "fnv_sample(10)",
        "fnv_sample(100, '')",
        "fnv_sample(1e16)",
        "any(sampled == true)",
        "sampled != false",
        "NOT any(sampled == true)",
        "trace_state['ot'] == 'th:8'",
        "trace_state['ot'] == ''",
        "trace_state['ot'] != 'th:8'",
        "trace_state['ot'] starts_with 'th'",
        "exists(trace_state['ot'])",
        "exists(trace_duration)",
        "NOT exists(trace_duration)",
        "any(status == ERROR)",
        "NOT any(status == ERROR)",
        "any(status == ERROR) AND any(kind == SERVER)",
        "kind == SERVER AND NOT any(status == ERROR)",
        "any(any(x == 1) AND y == 2)",
        "span_count > 3 OR status == ERROR",
    ] {
        out.push_str(&emitted(when, false));
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// `trace_duration` under `--allow-approximate`: whole-millisecond bounds as `latency`.
#[test]
fn trace_duration_maps_to_latency_when_approximate() {
    let mut out = String::new();
    for when in [
        "trace_duration >= 1001ms",
        "trace_duration >= 1s",
        "trace_duration < 100",
        "trace_duration >= 0ms",
        "trace_duration >= 500ms AND trace_duration < 1s",
        "NOT (trace_duration < 5ms)",
    ] {
        out.push_str(&emitted(when, true));
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// Earlier rules with trace-level parts enter later rules as cases of their negation.
#[test]
fn trace_level_priors_become_cases() {
    let yaml = "sampling:\n  base_rate: 0.5\n  conditions:\n    - name: big\n      when: 'span_count > 5'\n      action: drop\n    - name: errors\n      when: 'status == ERROR AND any(kind == SERVER)'\n    - name: hashed\n      when: 'fnv_sample(10)'\n      rate: 0.5\n";
    let compiled = compile(&load(yaml), &CompileOptions::default()).expect("compiles");
    let text = to_yaml(&compiled, Output::Processor, &[]).expect("emits");
    insta::assert_snapshot!(text);
}

/// Type tests compile exactly to OTTL's type converters; `is not` needs a value.
#[test]
fn type_tests_compile_to_type_converters() {
    let yaml = "sampling:\n  base_rate: 0\n  conditions:\n    - name: a\n      when: 'retries is int'\n    - name: b\n      when: 'resource.k is not string'\n";
    let compiled = compile(&load(yaml), &CompileOptions::default()).expect("compiles");
    let text = format!("{:?}", compiled.policies);
    assert!(
        text.contains(r#"IsInt(span.attributes[\"retries\"])"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"resource.attributes[\"k\"] != nil and not IsString(resource.attributes[\"k\"])"#
        ),
        "{text}"
    );
}
