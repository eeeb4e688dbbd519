//! Policy unit tests (spec/testing.md): what `cpl test` runs.
//!
//! A tests file lists cases, each a span or a trace written with CPL's own field names
//! and the decision the policy must make. Cases are turned into the crate's own
//! [`Span`]s, so they are decided by exactly the code that decides replayed traces.

use std::ops::Range;
use std::sync::Arc;

use cpl_syntax::ast::{FieldKind, Value as Literal};
use cpl_syntax::yaml::{self, Node, NodeValue, Resolved, Scalar};
use cpl_syntax::{codes, did_you_mean, Diagnostic, Policy, Spanned};

use cpl_eval::{Evaluator, Reason, RuleSet, TraceTenant};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};

/// A loaded tests file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The cases, in file order.
    pub cases: Vec<TestCase>,
}

/// One case.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// Its unique name.
    pub name: Spanned<String>,
    /// The spans of the trace (one for a `span:` case).
    pub spans: Vec<Span>,
    /// The trace id (all zeros unless given).
    pub trace_id: [u8; 16],
    /// Whether the case gave its `trace_id` (the default's randomness is 0).
    pub trace_id_given: bool,
    /// Whether the trace must be kept.
    pub expect_keep: bool,
    /// The rule that must decide (`base_rate` for the base rate).
    pub rule: Option<Spanned<String>>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Whether the decision was the expected one.
    pub passed: bool,
    /// `keep` or `drop`.
    pub expected: &'static str,
    /// `keep` or `drop`.
    pub actual: &'static str,
    /// The rule the case expects to decide, if it names one.
    pub expected_rule: Option<String>,
    /// The rule that decided (`base_rate` for the base rate).
    pub rule: String,
    /// The decision in words, e.g. `keep (rule server_errors)`.
    pub decision: String,
    /// What explains a failure that a case's defaults caused (spec/testing.md, "Results").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const FILE_KEYS: &[&str] = &["cases"];
const CASE_KEYS: &[&str] = &[
    "name", "span", "trace", "trace_id", "tenant", "expect", "rule",
];
/// The base rate's name in `rule:`.
pub const BASE_RATE_RULE: &str = "base_rate";

/// Loads a tests file for `policy` (whose rule names and tenant attribute it needs).
pub fn load_tests(source: &str, policy: &Policy) -> (Option<TestFile>, Vec<Diagnostic>) {
    let mut loader = Loader {
        policy,
        diagnostics: Vec::new(),
    };
    let file = loader.file(source);
    let failed = !loader.diagnostics.is_empty();
    (if failed { None } else { file }, loader.diagnostics)
}

/// Runs every case.
pub fn run_tests(evaluator: &Evaluator, file: &TestFile) -> Vec<CaseResult> {
    file.cases
        .iter()
        .map(|case| run_case(evaluator, case))
        .collect()
}

fn run_case(evaluator: &Evaluator, case: &TestCase) -> CaseResult {
    let mut matched = RuleSet::new();
    let mut tenant = TraceTenant::new();
    evaluator.add_trace_matches(&case.spans, &mut matched);
    for span in &case.spans {
        if let Some(id) = evaluator.tenant_of(span) {
            tenant.observe(span.parent_span_id.is_none(), id);
        }
    }
    let decision = evaluator.decide_trace(case.trace_id, &matched, tenant.get());
    let (rule, rate) = match decision.reason {
        Reason::Rule { name, rate, .. } => (name.to_owned(), rate),
        Reason::BaseRate { rate } | Reason::TenantBaseRate { rate, .. } => {
            (BASE_RATE_RULE.to_owned(), rate)
        }
    };
    let verdict = |keep: bool| if keep { "keep" } else { "drop" };
    let expected_rule = case.rule.as_ref().map(|rule| rule.value.clone());
    let passed = decision.keep == case.expect_keep
        && expected_rule
            .as_ref()
            .is_none_or(|expected| *expected == rule);
    // A rate between 0 and 1 decided a case with the default trace id: its randomness
    // is 0, so it was dropped whatever the rate, which is rarely what the author meant.
    let decided_by_a_rate = rate > 0.0 && rate < 1.0;
    let note = (!passed && decided_by_a_rate && !case.trace_id_given).then(|| {
        format!(
            "the rate {rate} decided, and the default trace id (all zeros) has randomness 0, \
             which only rate 1 keeps; give the case a `trace_id` to sample it as production would"
        )
    });
    CaseResult {
        name: case.name.value.clone(),
        passed,
        expected: verdict(case.expect_keep),
        actual: verdict(decision.keep),
        expected_rule,
        rule,
        decision: decision.to_string(),
        note,
    }
}

struct Loader<'p> {
    policy: &'p Policy,
    diagnostics: Vec<Diagnostic>,
}

fn scalar(node: &Node) -> Option<&Scalar> {
    match &node.value {
        NodeValue::Scalar(scalar) => Some(scalar),
        _ => None,
    }
}

impl Loader<'_> {
    fn error(
        &mut self,
        code: &'static cpl_syntax::Code,
        message: String,
        span: Range<usize>,
        label: &str,
        help: Option<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(code, message, span, label).with_optional_help(help));
    }

    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
    ) -> Option<Vec<(&'n str, &'n Node, &'n Node)>> {
        let NodeValue::Mapping(pairs) = &node.value else {
            self.error(
                &codes::WRONG_TYPE,
                format!("`{what}` must be a mapping"),
                node.span.clone(),
                "not a mapping",
                None,
            );
            return None;
        };
        let mut entries = Vec::new();
        for (key, value) in pairs {
            let Some(name) = scalar(key).map(|s| s.text.as_str()) else {
                self.error(
                    &codes::WRONG_TYPE,
                    "keys must be strings".to_owned(),
                    key.span.clone(),
                    "not a string",
                    None,
                );
                continue;
            };
            if allowed.is_empty() || allowed.contains(&name) {
                entries.push((name, key, value));
            } else {
                let help = did_you_mean(name, allowed.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"));
                self.error(
                    &codes::UNKNOWN_KEY,
                    format!("unknown key `{name}` in `{what}`"),
                    key.span.clone(),
                    "not part of a tests file",
                    help,
                );
            }
        }
        Some(entries)
    }

    fn file(&mut self, source: &str) -> Option<TestFile> {
        let (root, errors) = yaml::parse(source);
        for error in errors {
            self.error(
                &codes::YAML_SYNTAX,
                format!("invalid YAML: {}", error.message),
                error.span,
                "here",
                None,
            );
        }
        let Some(root) = root else {
            if self.diagnostics.is_empty() {
                self.error(
                    &codes::EMPTY_DOCUMENT,
                    "tests file holds no cases".to_owned(),
                    0..0,
                    "empty",
                    Some("start with `cases:`".to_owned()),
                );
            }
            return None;
        };
        let entries = self.mapping(&root, "tests file", FILE_KEYS)?;
        let Some((_, _, cases)) = entries.iter().find(|(name, _, _)| *name == "cases") else {
            self.error(
                &codes::MISSING_KEY,
                "tests file has no `cases`".to_owned(),
                root.span.start..root.span.start,
                "here",
                Some("add `cases:` with a list of cases".to_owned()),
            );
            return None;
        };
        let NodeValue::Sequence(items) = &cases.value else {
            self.error(
                &codes::WRONG_TYPE,
                "`cases` must be a list".to_owned(),
                cases.span.clone(),
                "not a list",
                None,
            );
            return None;
        };
        let cases: Vec<TestCase> = items.iter().filter_map(|item| self.case(item)).collect();
        let mut names: Vec<&str> = Vec::new();
        for case in &cases {
            if names.contains(&case.name.value.as_str()) {
                let message = format!("case name `{}` is used twice", case.name.value);
                self.error(
                    &codes::INVALID_VALUE,
                    message,
                    case.name.span.clone(),
                    "second use",
                    None,
                );
            }
            names.push(&case.name.value);
        }
        Some(TestFile { cases })
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        match scalar(node) {
            Some(s) if !matches!(s.resolve(), Resolved::Null) => {
                Some(Spanned::new(s.text.clone(), node.span.clone()))
            }
            _ => {
                self.error(
                    &codes::WRONG_TYPE,
                    format!("`{key}` must be a string"),
                    node.span.clone(),
                    "not a string",
                    None,
                );
                None
            }
        }
    }

    fn case(&mut self, node: &Node) -> Option<TestCase> {
        let entries = self.mapping(node, "case", CASE_KEYS)?;
        let get = |key: &str| {
            entries
                .iter()
                .find(|(name, _, _)| *name == key)
                .map(|(_, _, value)| *value)
        };
        let anchor = node.span.start..node.span.start + 1;
        let name = if let Some(value) = get("name") {
            self.string(value, "name")
        } else {
            self.error(
                &codes::MISSING_KEY,
                "case has no `name`".to_owned(),
                anchor.clone(),
                "in this case",
                None,
            );
            None
        };
        let expect_keep = match get("expect").map(|value| (value, self.string(value, "expect"))) {
            Some((_, Some(text))) if text.value == "keep" => Some(true),
            Some((_, Some(text))) if text.value == "drop" => Some(false),
            Some((value, Some(text))) => {
                let message = format!("`expect` must be `keep` or `drop`, not `{}`", text.value);
                self.error(
                    &codes::INVALID_VALUE,
                    message,
                    value.span.clone(),
                    "unknown decision",
                    None,
                );
                None
            }
            Some((_, None)) => None,
            None => {
                self.error(
                    &codes::MISSING_KEY,
                    "case has no `expect`".to_owned(),
                    anchor.clone(),
                    "in this case",
                    Some("add `expect: keep` or `expect: drop`".to_owned()),
                );
                None
            }
        };
        let rule = get("rule")
            .and_then(|value| self.string(value, "rule"))
            .and_then(|rule| self.known_rule(rule));
        let trace_id_given = get("trace_id").is_some();
        let trace_id = match get("trace_id") {
            Some(value) => {
                let text = self.string(value, "trace_id")?;
                if let Some(id) = TraceId::from_hex(&text.value) {
                    id.0
                } else {
                    self.error(
                        &codes::INVALID_VALUE,
                        "`trace_id` must be 32 hex digits".to_owned(),
                        value.span.clone(),
                        "not a trace id",
                        None,
                    );
                    return None;
                }
            }
            None => [0; 16],
        };
        let tenant = get("tenant").and_then(|value| self.string(value, "tenant"));
        let mappings: Vec<&Node> = match (get("span"), get("trace")) {
            (Some(span), None) => vec![span],
            (None, Some(trace)) => match &trace.value {
                NodeValue::Sequence(items) if !items.is_empty() => items.iter().collect(),
                _ => {
                    self.error(
                        &codes::WRONG_TYPE,
                        "`trace` must be a non-empty list of spans".to_owned(),
                        trace.span.clone(),
                        "not a list of spans",
                        None,
                    );
                    return None;
                }
            },
            _ => {
                self.error(
                    &codes::MISSING_KEY,
                    "a case needs exactly one of `span` and `trace`".to_owned(),
                    anchor,
                    "in this case",
                    None,
                );
                return None;
            }
        };
        let mut spans = Vec::new();
        for (index, mapping) in mappings.into_iter().enumerate() {
            spans.push(self.span(mapping, index, trace_id, tenant.as_ref())?);
        }
        Some(TestCase {
            name: name?,
            spans,
            trace_id,
            trace_id_given,
            expect_keep: expect_keep?,
            rule,
        })
    }

    fn known_rule(&mut self, rule: Spanned<String>) -> Option<Spanned<String>> {
        let policy = self.policy;
        let mut names: Vec<&str> = policy
            .sampling
            .conditions
            .iter()
            .map(|c| c.name.value.as_str())
            .collect();
        if let Some(tenants) = &policy.tenants {
            for overrides in &tenants.overrides {
                names.extend(overrides.conditions.iter().map(|c| c.name.value.as_str()));
            }
        }
        names.push(BASE_RATE_RULE);
        if names.contains(&rule.value.as_str()) {
            return Some(rule);
        }
        let help = did_you_mean(&rule.value, names.iter().copied())
            .map(|c| format!("did you mean `{c}`?"));
        self.error(
            &codes::INVALID_VALUE,
            format!("the policy has no condition `{}`", rule.value),
            rule.span.clone(),
            "unknown rule",
            help,
        );
        None
    }

    fn span(
        &mut self,
        node: &Node,
        index: usize,
        trace_id: [u8; 16],
        tenant: Option<&Spanned<String>>,
    ) -> Option<Span> {
        let entries = self.mapping(node, "span", &[])?;
        let mut span = Span {
            trace_id: TraceId(trace_id),
            span_id: SpanId(u64::try_from(index + 1).unwrap_or(u64::MAX).to_be_bytes()),
            parent_span_id: None,
            name: String::new(),
            kind: SpanKind::Unspecified,
            start_time_unix_nano: 1_000_000,
            end_time_unix_nano: 1_000_000,
            status: StatusCode::Unset,
            attributes: Vec::new(),
            resource: Arc::new(Resource::default()),
            encoded_len: 0,
            detail: None,
        };
        let mut resource = Vec::new();
        if let (Some(tenant), Some(tenants)) = (tenant, &self.policy.tenants) {
            let value = AnyValue::String(tenant.value.clone());
            match &tenants.attribute.value {
                FieldKind::ResourceAttribute(key) => resource.push(KeyValue {
                    key: key.clone(),
                    value,
                }),
                FieldKind::SpanAttribute(key) => span.attributes.push(KeyValue {
                    key: key.clone(),
                    value,
                }),
                FieldKind::Builtin(_) | FieldKind::TraceState(_) => {}
            }
        }
        for (key, key_node, value) in entries {
            let Some(text) = scalar(value) else {
                self.error(
                    &codes::WRONG_TYPE,
                    format!("`{key}` must be a scalar value"),
                    value.span.clone(),
                    "not a scalar",
                    None,
                );
                continue;
            };
            let attribute = |key: &str| KeyValue {
                key: key.to_owned(),
                value: any_value(text),
            };
            match key {
                "status_code" => span.attributes.push(attribute("http.response.status_code")),
                "method" => span.attributes.push(attribute("http.request.method")),
                "path" => span.attributes.push(attribute("http.route")),
                "user_id" => span.attributes.push(attribute("user.id")),
                "service" => resource.push(attribute("service.name")),
                "name" => span.name.clone_from(&text.text),
                "duration" | "duration_ms" => match duration_nanos(text) {
                    Some(nanos) => {
                        span.end_time_unix_nano = span.start_time_unix_nano.saturating_add(nanos);
                    }
                    None => self.error(
                        &codes::INVALID_VALUE,
                        format!("`{key}` must be a duration (`1.5s`) or a number of milliseconds"),
                        value.span.clone(),
                        "not a duration",
                        None,
                    ),
                },
                "kind" => match SpanKind::from_constant(&text.text) {
                    Some(kind) => span.kind = kind,
                    None => self.error(
                        &codes::UNKNOWN_ENUM_VALUE,
                        format!("`{}` is not a span kind", text.text),
                        value.span.clone(),
                        "unknown kind",
                        Some(
                            "use SERVER, CLIENT, INTERNAL, PRODUCER, CONSUMER or UNSPECIFIED"
                                .to_owned(),
                        ),
                    ),
                },
                "status" => match StatusCode::from_constant(&text.text) {
                    Some(status) => span.status = status,
                    None => self.error(
                        &codes::UNKNOWN_ENUM_VALUE,
                        format!("`{}` is not a span status", text.text),
                        value.span.clone(),
                        "unknown status",
                        Some("use UNSET, OK or ERROR".to_owned()),
                    ),
                },
                "error" => match text.resolve() {
                    Resolved::Bool(true) => span.status = StatusCode::Error,
                    Resolved::Bool(false) => {}
                    _ => self.error(
                        &codes::WRONG_TYPE,
                        "`error` must be `true` or `false`".to_owned(),
                        value.span.clone(),
                        "not a boolean",
                        None,
                    ),
                },
                "span_id" | "parent_span_id" => match SpanId::from_hex(&text.text) {
                    Some(id) if key == "span_id" => span.span_id = id,
                    Some(id) => span.parent_span_id = Some(id),
                    None => self.error(
                        &codes::INVALID_VALUE,
                        format!("`{key}` must be 16 hex digits"),
                        value.span.clone(),
                        "not a span id",
                        None,
                    ),
                },
                other => {
                    if let Some(resource_key) = other.strip_prefix("resource.") {
                        resource.push(attribute(resource_key));
                    } else if let Some(attribute_key) = quoted_attribute(other) {
                        span.attributes.push(attribute(attribute_key));
                    } else if let Some(field) = misspelt_span_key(other) {
                        self.error(
                            &codes::UNKNOWN_FIELD,
                            format!("unknown span key `{other}`"),
                            key_node.span.clone(),
                            "not a field of a test span",
                            Some(format!(
                                "did you mean `{field}`? (write `attributes[\"{other}\"]` for an attribute with this key)"
                            )),
                        );
                    } else {
                        span.attributes.push(attribute(other));
                    }
                }
            }
        }
        span.resource = Arc::new(Resource {
            attributes: resource,
        });
        Some(span)
    }
}

/// The keys a test span gives meaning to (spec/testing.md, "Span mappings").
const SPAN_KEYS: [&str; 13] = [
    "status_code",
    "method",
    "path",
    "user_id",
    "service",
    "name",
    "duration",
    "duration_ms",
    "kind",
    "status",
    "error",
    "span_id",
    "parent_span_id",
];

/// The span key `key` is a typo of: undotted, not one itself, and within the edit
/// distance of [`did_you_mean`].
fn misspelt_span_key(key: &str) -> Option<&'static str> {
    if key.contains('.') || SPAN_KEYS.contains(&key) {
        return None;
    }
    did_you_mean(key, SPAN_KEYS.iter().copied())
}

/// `attributes["key"]`: an attribute whose key is given explicitly.
fn quoted_attribute(key: &str) -> Option<&str> {
    key.strip_prefix("attributes[\"")?.strip_suffix("\"]")
}

/// A YAML scalar as an attribute value: ints, floats and booleans keep their type.
fn any_value(scalar: &Scalar) -> AnyValue {
    match scalar.resolve() {
        Resolved::Int(value) => AnyValue::Int(value),
        Resolved::Float(value) => AnyValue::Double(value),
        Resolved::Bool(value) => AnyValue::Bool(value),
        Resolved::Null => AnyValue::Empty,
        Resolved::String(text) => AnyValue::String(text.to_owned()),
    }
}

/// A duration: a CPL duration literal (`1.5s`), or a number of milliseconds.
fn duration_nanos(scalar: &Scalar) -> Option<u64> {
    match scalar.resolve() {
        Resolved::Int(ms) => u64::try_from(ms).ok()?.checked_mul(1_000_000),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Resolved::Float(ms) if ms.is_finite() && ms >= 0.0 => Some((ms * 1e6).round() as u64),
        Resolved::String(text) => {
            let parsed = cpl_syntax::parse_expression(&format!("duration == {text}"));
            let expr = parsed.ok()?;
            match &expr.kind {
                cpl_syntax::ExprKind::Compare { value, .. } => match value.value {
                    Literal::Duration(nanos, _) => u64::try_from(nanos).ok(),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}
