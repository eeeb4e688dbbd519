//! Loading a YAML policy document into a typed [`Policy`], with diagnostics.
//!
//! The loader walks the positioned YAML tree against the schema of spec/policy.md. It
//! never stops at the first problem: every unknown key, wrong type, out-of-range rate
//! and every syntax error of every `when:` is reported in one run. A [`Policy`] is
//! returned only when no error was found (warnings allowed), so every consumer of a
//! `Policy` can rely on it being well-formed.

use std::ops::Range;

use crate::ast::{Expr, ExprKind, FieldKind, Value};
use crate::diagnostic::{codes, did_you_mean, Diagnostic};
use crate::fields::{resolve_name, FieldType, BUILTIN_FIELDS};
use crate::parser::parse_expression;
use crate::policy::{
    Action, Condition, Policy, Sampling, Service, ServiceForm, Spanned, Suppression,
    TenantOverride, Tenants, When,
};
use crate::yaml::{self, Node, NodeValue, Resolved, Scalar, ScalarStyle, YamlErrorKind};

/// The result of loading a policy.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The policy, when the document had no errors.
    pub policy: Option<Policy>,
    /// Every finding, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings accepted by a condition's `suppress`, with the reason given.
    pub suppressed: Vec<(Diagnostic, String)>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }
}

/// Loads a policy from raw bytes: invalid UTF-8 is a diagnostic, not a failure.
pub fn load_policy_bytes(bytes: &[u8]) -> Loaded {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_policy(text),
        Err(error) => {
            let at = error.valid_up_to();
            let bad = at..(at + error.error_len().unwrap_or(1)).min(bytes.len());
            Loaded {
                policy: None,
                suppressed: Vec::new(),
                diagnostics: vec![Diagnostic::new(
                    &codes::INVALID_UTF8,
                    "file is not valid UTF-8",
                    bad,
                    "invalid byte sequence",
                )
                .with_help("save the policy as UTF-8")],
            }
        }
    }
}

/// Loads a policy from YAML text.
pub fn load_policy(source: &str) -> Loaded {
    let mut loader = Loader {
        diagnostics: Vec::new(),
    };
    let policy = loader.document(source);
    let mut diagnostics = loader.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == crate::Severity::Error);
    let policy = if has_errors { None } else { policy };
    let mut suppressed = Vec::new();
    if let Some(policy) = &policy {
        let (accepted, kept): (Vec<Diagnostic>, Vec<Diagnostic>) = diagnostics
            .into_iter()
            .partition(|d| policy.suppression_for(d).is_some());
        for diagnostic in accepted {
            let reason = policy
                .suppression_for(&diagnostic)
                .map(|s| s.reason.value.clone())
                .unwrap_or_default();
            suppressed.push((diagnostic, reason));
        }
        diagnostics = kept;
    }
    Loaded {
        policy,
        diagnostics,
        suppressed,
    }
}

pub(crate) const TOP_KEYS: &[&str] = &["version", "service", "sampling", "tenants"];
pub(crate) const SERVICE_KEYS: &[&str] = &["name", "namespace", "version", "environment"];
pub(crate) const SAMPLING_KEYS: &[&str] = &["base_rate", "conditions"];
pub(crate) const CONDITION_KEYS: &[&str] =
    &["name", "when", "enabled", "rate", "action", "suppress"];
pub(crate) const TENANTS_KEYS: &[&str] = &["attribute", "overrides"];
pub(crate) const OVERRIDE_KEYS: &[&str] = &["base_rate", "conditions"];

pub(crate) struct Loader {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The entries of a mapping, looked up by key after unknown keys were reported.
pub(crate) struct Entries<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// Where to point when a required key is missing.
    pub(crate) anchor: Range<usize>,
}

impl<'n> Entries<'n> {
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, _, value)| *value)
    }

    pub(crate) fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(name, _, _)| *name == key)
            .map(|(_, key, _)| key.span.clone())
    }
}

fn type_name(node: &Node) -> &'static str {
    match &node.value {
        NodeValue::Sequence(_) => "a list",
        NodeValue::Mapping(_) => "a mapping",
        NodeValue::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => "null",
            Resolved::Bool(_) => "a boolean",
            Resolved::Int(_) => "an integer",
            Resolved::Float(_) => "a float",
            Resolved::String(_) => "a string",
        },
    }
}

impl Loader {
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn wrong_type(
        &mut self,
        node: &Node,
        key: &str,
        expected: &str,
        help: Option<String>,
    ) {
        self.report(
            Diagnostic::new(
                &codes::WRONG_TYPE,
                format!("`{key}` must be {expected}, not {}", type_name(node)),
                node.span.clone(),
                format!("{} here", type_name(node)),
            )
            .with_optional_help(help),
        );
    }

    fn document(&mut self, source: &str) -> Option<Policy> {
        let (root, errors) = yaml::parse(source);
        for error in errors {
            self.report(yaml_diagnostic(error, source));
        }
        let Some(root) = root else {
            if self.diagnostics.is_empty() {
                self.report(
                    Diagnostic::new(
                        &codes::EMPTY_DOCUMENT,
                        "file holds no policy",
                        0..source.len().min(1),
                        "empty document",
                    )
                    .with_help("start from `sampling:` with a `base_rate` and `conditions`"),
                );
            }
            return None;
        };
        let top = self.mapping(&root, "policy", TOP_KEYS, root.span.start..root.span.start)?;
        let version = top.get("version").and_then(|node| self.version(node));
        let service = top
            .get("service")
            .and_then(|node| self.service(node, top.key_span("service").unwrap_or_default()));
        let sampling = if let Some(node) = top.get("sampling") {
            self.sampling(node, top.key_span("sampling").unwrap_or_default())
        } else {
            self.report(
                Diagnostic::new(
                    &codes::MISSING_KEY,
                    "policy has no `sampling` section",
                    top.anchor.clone(),
                    "`sampling` expected in this mapping",
                )
                .with_help("add `sampling:` with a `base_rate` and `conditions`"),
            );
            None
        };
        let tenants = top.get("tenants").and_then(|node| self.tenants(node));
        Some(Policy {
            version,
            service,
            sampling: sampling?,
            tenants,
        })
    }

    /// Checks that `node` is a mapping with string keys from `allowed`; reports the rest.
    pub(crate) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        anchor: Range<usize>,
    ) -> Option<Entries<'n>> {
        let NodeValue::Mapping(pairs) = &node.value else {
            self.wrong_type(node, what, "a mapping", None);
            return None;
        };
        let anchor = if anchor.is_empty() && anchor.start == node.span.start {
            node.span.start..node.span.start + 1
        } else {
            anchor
        };
        let mut entries = Vec::new();
        for (key, value) in pairs {
            let Some(name) = scalar_str(key) else {
                self.wrong_type(key, &format!("a key of `{what}`"), "a string", None);
                continue;
            };
            if allowed.contains(&name) {
                entries.push((name, key, value));
            } else {
                let suggestion = did_you_mean(name, allowed.iter().copied());
                let help = match suggestion {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => format!("`{what}` allows {}", list_keys(allowed)),
                };
                self.report(
                    Diagnostic::new(
                        &codes::UNKNOWN_KEY,
                        format!("unknown key `{name}` in `{what}`"),
                        key.span.clone(),
                        "not part of the policy schema",
                    )
                    .with_help(help),
                );
            }
        }
        Some(Entries { entries, anchor })
    }

    pub(crate) fn version(&mut self, node: &Node) -> Option<Spanned<String>> {
        let text = match scalar(node).map(Scalar::resolve) {
            Some(Resolved::Int(1) | Resolved::String("1" | "1.0")) => "1".to_owned(),
            Some(Resolved::Float(v)) if v.to_bits() == 1.0f64.to_bits() => "1".to_owned(),
            Some(Resolved::Int(_) | Resolved::Float(_) | Resolved::String(_)) => {
                self.report(
                    Diagnostic::new(
                        &codes::INVALID_VALUE,
                        "unsupported policy `version`",
                        node.span.clone(),
                        "this version is not supported",
                    )
                    .with_help("write `version: 1`, the only schema version so far"),
                );
                return None;
            }
            _ => {
                self.wrong_type(node, "version", "a number or a string", None);
                return None;
            }
        };
        Some(Spanned::new(text, node.span.clone()))
    }

    /// `service`: a string, or a mapping with `name`, `namespace` and `version`.
    fn service(&mut self, node: &Node, key: Range<usize>) -> Option<Service> {
        if let NodeValue::Mapping(_) = &node.value {
            let entries = self.mapping(node, "service", SERVICE_KEYS, key)?;
            let namespace = entries
                .get("namespace")
                .and_then(|n| self.string(n, "service.namespace"));
            let version = entries.get("version").and_then(|n| self.app_version(n));
            let environment = entries
                .get("environment")
                .and_then(|n| self.string(n, "service.environment"));
            let Some(name) = entries.get("name") else {
                self.report(
                    Diagnostic::new(
                        &codes::MISSING_KEY,
                        "`service` has no `name`",
                        entries.anchor.clone(),
                        "`name` expected in this mapping",
                    )
                    .with_help("add `name: <the service's name>` to `service`"),
                );
                return None;
            };
            let Some(Resolved::String(text)) = scalar(name).map(Scalar::resolve) else {
                let help = quote_help(name, "name");
                self.wrong_type(name, "service.name", "a string", help);
                return None;
            };
            let name = Spanned::new(text.to_owned(), name.span.clone());
            return Some(Service {
                name,
                namespace,
                version,
                environment,
                form: ServiceForm::Mapping,
                span: node.span.clone(),
            });
        }
        if let Some(Resolved::String(text)) = scalar(node).map(Scalar::resolve) {
            return Some(Service {
                name: Spanned::new(text.to_owned(), node.span.clone()),
                namespace: None,
                version: None,
                environment: None,
                form: ServiceForm::String,
                span: node.span.clone(),
            });
        }
        let help = quote_help(node, "service")
            .unwrap_or_else(|| "write `service: {name: <the service's name>}`".to_owned());
        self.wrong_type(node, "service", "a string or a mapping", Some(help));
        None
    }

    /// `service.version`: the application's version as written, a string or a number.
    fn app_version(&mut self, node: &Node) -> Option<Spanned<String>> {
        if let Some((s, Resolved::String(_) | Resolved::Int(_) | Resolved::Float(_))) =
            scalar(node).map(|s| (s, s.resolve()))
        {
            return Some(Spanned::new(s.text.clone(), node.span.clone()));
        }
        self.wrong_type(node, "service.version", "a string or a number", None);
        None
    }

    pub(crate) fn string(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        if let Some(Resolved::String(text)) = scalar(node).map(Scalar::resolve) {
            Some(Spanned::new(text.to_owned(), node.span.clone()))
        } else {
            self.wrong_type(node, key, "a string", None);
            None
        }
    }

    pub(crate) fn rate(&mut self, node: &Node, key: &str) -> Option<Spanned<f64>> {
        #[allow(clippy::cast_precision_loss)] // only 0 and 1 are in range
        let value = match scalar(node).map(Scalar::resolve) {
            Some(Resolved::Float(value)) => value,
            Some(Resolved::Int(value)) => value as f64,
            Some(Resolved::String(text)) => {
                let percent = text.ends_with('%');
                let help = text
                    .trim_end_matches('%')
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|number| {
                        if percent {
                            format!("write the rate as a fraction: `{key}: {}`", number / 100.0)
                        } else {
                            format!("write the number without quotes: `{key}: {number}`")
                        }
                    });
                self.wrong_type(node, key, "a number between 0 and 1", help);
                return None;
            }
            _ => {
                self.wrong_type(node, key, "a number between 0 and 1", None);
                return None;
            }
        };
        if !(0.0..=1.0).contains(&value) {
            self.report(
                Diagnostic::new(
                    &codes::RATE_OUT_OF_RANGE,
                    format!("`{key}` must be between 0 and 1"),
                    node.span.clone(),
                    format!("{value} is outside [0, 1]"),
                )
                .with_help(if (2.0..=100.0).contains(&value) {
                    format!(
                        "rates are fractions: {}% is `{key}: {}`",
                        value,
                        value / 100.0
                    )
                } else {
                    "use a probability: 0 keeps nothing, 1 keeps everything".to_owned()
                }),
            );
            return None;
        }
        Some(Spanned::new(value, node.span.clone()))
    }

    fn sampling(&mut self, node: &Node, key_span: Range<usize>) -> Option<Sampling> {
        let entries = self.mapping(node, "sampling", SAMPLING_KEYS, key_span.clone())?;
        let base_rate = if let Some(node) = entries.get("base_rate") {
            self.rate(node, "base_rate")
        } else {
            self.report(
                Diagnostic::new(
                    &codes::MISSING_KEY,
                    "`sampling` has no `base_rate`",
                    entries.anchor.clone(),
                    "`base_rate` expected in this section",
                )
                .with_help("add `base_rate: 0.01` (keep 1% of the traces no condition decides)"),
            );
            None
        };
        let conditions = entries
            .get("conditions")
            .map(|node| self.conditions(node))
            .unwrap_or_default();
        Some(Sampling {
            base_rate: base_rate?,
            conditions,
            span: key_span,
        })
    }

    fn conditions(&mut self, node: &Node) -> Vec<Condition> {
        if matches!(scalar(node).map(Scalar::resolve), Some(Resolved::Null)) {
            return Vec::new();
        }
        let NodeValue::Sequence(items) = &node.value else {
            self.wrong_type(
                node,
                "conditions",
                "a list",
                Some("write each condition as a `- name: ...` item".to_owned()),
            );
            return Vec::new();
        };
        let conditions: Vec<Condition> = items
            .iter()
            .filter_map(|item| self.condition(item))
            .collect();
        self.check_unique_names(&conditions);
        conditions
    }

    /// Names identify rules in reports and tenant overrides: each list needs unique ones.
    fn check_unique_names(&mut self, conditions: &[Condition]) {
        let mut seen: std::collections::HashMap<&str, &Range<usize>> =
            std::collections::HashMap::new();
        for condition in conditions {
            let name = &condition.name;
            if let Some(first) = seen.get(name.value.as_str()) {
                self.report(
                    Diagnostic::new(
                        &codes::INVALID_VALUE,
                        format!("condition name `{}` is used twice", name.value),
                        name.span.clone(),
                        "second use",
                    )
                    .with_secondary((*first).clone(), "first use")
                    .with_help("give each condition a unique name; reports and tenant overrides refer to it"),
                );
            } else {
                seen.insert(&name.value, &name.span);
            }
        }
    }

    fn condition(&mut self, node: &Node) -> Option<Condition> {
        let entries = self.mapping(
            node,
            "condition",
            CONDITION_KEYS,
            node.span.start..node.span.start,
        )?;
        let anchor = node.span.start..node.span.start + 1;
        let name = if let Some(node) = entries.get("name") {
            self.string(node, "name").and_then(|name| {
                if name.value.trim().is_empty() {
                    self.report(
                        Diagnostic::new(
                            &codes::INVALID_VALUE,
                            "condition name is empty",
                            name.span.clone(),
                            "empty name",
                        )
                        .with_help("name the condition after what it keeps, e.g. `server_errors`"),
                    );
                    return None;
                }
                Some(name)
            })
        } else {
            self.missing(
                &anchor,
                "condition has no `name`",
                "add `name: <a unique name>`",
            );
            None
        };
        let when = if let Some(node) = entries.get("when") {
            self.when(node)
        } else {
            self.missing(
                &anchor,
                "condition has no `when`",
                "add `when: \"<expression>\"`, e.g. `when: \"status_code >= 500\"`",
            );
            None
        };
        let enabled = entries
            .get("enabled")
            .and_then(|node| self.boolean(node, "enabled"));
        let rate = entries.get("rate").and_then(|node| self.rate(node, "rate"));
        let action = entries.get("action").and_then(|node| self.action(node));
        let suppress = entries
            .get("suppress")
            .map(|node| self.suppressions(node))
            .unwrap_or_default();
        if let (
            Some(rate),
            Some(Spanned {
                value: Action::Drop,
                ..
            }),
        ) = (&rate, &action)
        {
            self.report(
                Diagnostic::new(
                    &codes::INVALID_VALUE,
                    "`rate` has no meaning with `action: drop`",
                    rate.span.clone(),
                    "a drop rule drops every match",
                )
                .with_help("remove `rate`, or use `action: keep` with a `rate` to keep a share of the matches"),
            );
        }
        Some(Condition {
            name: name?,
            when: when?,
            enabled,
            rate,
            action,
            suppress,
            span: node.span.clone(),
        })
    }

    /// `suppress: {CODE: reason, ...}`; codes by code or name, every one with a reason.
    fn suppressions(&mut self, node: &Node) -> Vec<Suppression> {
        let NodeValue::Mapping(pairs) = &node.value else {
            self.wrong_type(
                node,
                "suppress",
                "a mapping from code to reason",
                Some("write `suppress: {L334: <why this is fine>}`".to_owned()),
            );
            return Vec::new();
        };
        let mut suppressions = Vec::new();
        for (key, value) in pairs {
            let Some(written) = scalar_str(key) else {
                self.wrong_type(key, "a suppressed code", "a string", None);
                continue;
            };
            let Some(code) = crate::find_code(written) else {
                let names = crate::REGISTRY
                    .iter()
                    .flat_map(|code| [code.code, code.name]);
                let help = did_you_mean(written, names).map_or_else(
                    || "use a code from `cpl explain --list`".to_owned(),
                    |candidate| format!("did you mean `{candidate}`?"),
                );
                self.report(
                    Diagnostic::new(
                        &codes::INVALID_VALUE,
                        format!("unknown diagnostic code `{written}`"),
                        key.span.clone(),
                        "not a code",
                    )
                    .with_help(help),
                );
                continue;
            };
            match self.string(value, "a suppression reason") {
                Some(reason) if !reason.value.trim().is_empty() => suppressions.push(Suppression {
                    code,
                    span: key.span.clone(),
                    reason,
                }),
                Some(reason) => self.report(
                    Diagnostic::new(
                        &codes::INVALID_VALUE,
                        "a suppression needs a reason",
                        reason.span,
                        "empty reason",
                    )
                    .with_help("say why the finding is acceptable; reviewers read it"),
                ),
                None => {}
            }
        }
        suppressions
    }

    fn missing(&mut self, anchor: &Range<usize>, message: &str, help: &str) {
        self.report(
            Diagnostic::new(
                &codes::MISSING_KEY,
                message,
                anchor.clone(),
                "in this condition",
            )
            .with_help(help),
        );
    }

    pub(crate) fn boolean(&mut self, node: &Node, key: &str) -> Option<Spanned<bool>> {
        let value = if let Some(scalar) = scalar(node) {
            match scalar.resolve() {
                Resolved::Bool(value) => value,
                // YAML 1.1 booleans, as clarvynn's PyYAML reads them.
                Resolved::String(text) if scalar.style == ScalarStyle::Plain => {
                    match text.to_ascii_lowercase().as_str() {
                        "yes" | "on" | "y" => true,
                        "no" | "off" | "n" => false,
                        _ => {
                            self.wrong_type(node, key, "`true` or `false`", None);
                            return None;
                        }
                    }
                }
                Resolved::String(text @ ("true" | "false" | "yes" | "no")) => {
                    let help = format!("remove the quotes: `{key}: {text}`");
                    self.wrong_type(node, key, "`true` or `false`", Some(help));
                    return None;
                }
                _ => {
                    self.wrong_type(node, key, "`true` or `false`", None);
                    return None;
                }
            }
        } else {
            self.wrong_type(node, key, "`true` or `false`", None);
            return None;
        };
        Some(Spanned::new(value, node.span.clone()))
    }

    fn action(&mut self, node: &Node) -> Option<Spanned<Action>> {
        let text = self.string(node, "action")?;
        let action = match text.value.as_str() {
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            other => {
                let help = match did_you_mean(other, ["keep", "drop"]) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => "write `action: keep` or `action: drop`".to_owned(),
                };
                self.report(
                    Diagnostic::new(
                        &codes::INVALID_VALUE,
                        format!("unknown action `{other}`"),
                        node.span.clone(),
                        "expected `keep` or `drop`",
                    )
                    .with_help(help),
                );
                return None;
            }
        };
        Some(Spanned::new(action, text.span))
    }

    pub(crate) fn when(&mut self, node: &Node) -> Option<When> {
        let Some(scalar @ Scalar { .. }) = scalar(node) else {
            self.wrong_type(node, "when", "a string", None);
            return None;
        };
        if !matches!(scalar.resolve(), Resolved::String(_) | Resolved::Null) {
            let help = format!("quote the expression: `when: \"{}\"`", scalar.text);
            self.wrong_type(node, "when", "a string holding an expression", Some(help));
            return None;
        }
        let text = &scalar.text;
        let parsed = parse_expression(text);
        let map_span = |span: crate::Span| {
            let start = scalar.file_offset(span.start as usize);
            start..scalar.file_offset(span.end as usize).max(start)
        };
        for error in &parsed.errors {
            let mut span = map_span(error.span());
            if span.is_empty() && matches!(error, crate::SyntaxError::Empty { .. }) {
                span = node.span.clone();
            }
            self.report(
                Diagnostic::new(error.code(), error.to_string(), span, error.label())
                    .with_optional_help(error.help(text)),
            );
        }
        let expr = parsed.expr?;
        let before = self.diagnostics.len();
        self.check_expression(&expr, text, &map_span);
        if !parsed.errors.is_empty()
            || self.diagnostics[before..]
                .iter()
                .any(|d| d.severity == crate::Severity::Error)
        {
            return None;
        }
        Some(When::new(
            text.clone(),
            expr,
            node.span.clone(),
            scalar.style,
            scalar.map.clone(),
        ))
    }

    /// The load-time checks of an expression that need no type inference: field names,
    /// bare words, enum constants and regular expressions.
    fn check_expression(
        &mut self,
        expr: &Expr,
        text: &str,
        map_span: &dyn Fn(crate::Span) -> Range<usize>,
    ) {
        expr.walk(&mut |node| {
            let (field, values): (_, Vec<&crate::ast::Literal>) = match &node.kind {
                ExprKind::Compare { field, value, .. } => (field, vec![value]),
                ExprKind::StringTest {
                    field, op, value, ..
                } => {
                    if *op == crate::ast::StringOp::Matches {
                        if let Value::String(pattern) = &value.value {
                            self.check_regex(pattern, map_span(value.span));
                        }
                    }
                    (field, vec![value])
                }
                ExprKind::In { field, values, .. } => (field, values.iter().collect()),
                ExprKind::Exists(field) => (field, Vec::new()),
                ExprKind::TypeTest {
                    field, type_name, ..
                } => {
                    self.check_type_test(field, type_name, map_span);
                    (field, Vec::new())
                }
                _ => return,
            };
            let written = text.get(field.span.range()).unwrap_or("");
            self.check_field(field, written, map_span(field.span));
            for value in values {
                if let Value::Name(name) = &value.value {
                    self.check_name_value(field, name, map_span(value.span));
                }
            }
        });
    }

    fn check_field(&mut self, field: &crate::ast::Field, written: &str, span: Range<usize>) {
        let FieldKind::SpanAttribute(key) = &field.kind else {
            return;
        };
        // `attributes["key"]` says outright that a span attribute is meant.
        if key.contains('.') || written != key {
            return;
        }
        let names = BUILTIN_FIELDS.iter().map(|(_, name)| *name);
        if let Some(candidate) = did_you_mean(key, names) {
            self.report(
                Diagnostic::new(
                    &codes::UNKNOWN_FIELD,
                    format!("unknown field `{key}`"),
                    span,
                    "not a built-in field",
                )
                .with_help(format!(
                    "did you mean `{candidate}`? (for a span attribute with this exact key, write `attributes[\"{key}\"]`)"
                )),
            );
        } else {
            self.report(
                Diagnostic::new(
                    &codes::UNDOTTED_ATTRIBUTE,
                    format!("`{key}` is not a built-in field; it reads the span attribute `{key}`"),
                    span,
                    "span attribute",
                )
                .with_help(format!(
                    "write `attributes[\"{key}\"]` to say so, or use a built-in field (spec/fields.md)"
                )),
            );
        }
    }

    fn check_name_value(&mut self, field: &crate::ast::Field, name: &str, span: Range<usize>) {
        let constants: &[&str] = match &field.kind {
            FieldKind::Builtin(builtin) => match builtin.field_type() {
                FieldType::SpanKind => &crate::SpanKind::CONSTANTS,
                FieldType::SpanStatus => &crate::StatusCode::CONSTANTS,
                _ => &[],
            },
            _ => &[],
        };
        if constants.is_empty() {
            // A bare word against a field that has no constants: a missing quote, or a
            // field name on the right-hand side.
            let help = if let FieldKind::Builtin(_) = resolve_name(name) {
                "compare a field with a literal value; fields cannot be compared with each other"
                    .to_owned()
            } else {
                format!("quote the value: `'{name}'`")
            };
            self.report(
                Diagnostic::new(
                    &codes::BARE_WORD_VALUE,
                    format!("bare word `{name}` is not a value"),
                    span,
                    "expected a string, number, duration or boolean",
                )
                .with_help(help),
            );
        } else if !constants.contains(&name) {
            let help = match constants.iter().find(|c| c.eq_ignore_ascii_case(name)) {
                Some(exact) => format!("constants are upper case: `{exact}`"),
                None => match did_you_mean(name, constants.iter().copied()) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => format!("use one of {}", list_keys(constants)),
                },
            };
            self.report(
                Diagnostic::new(
                    &codes::UNKNOWN_ENUM_VALUE,
                    format!("`{name}` is not a value of `{}`", field.kind),
                    span,
                    "unknown constant",
                )
                .with_help(help),
            );
        }
    }

    /// E117 for a type name that is not one, E118 for a type test on a built-in field.
    fn check_type_test(
        &mut self,
        field: &crate::ast::Field,
        type_name: &crate::ast::Literal,
        map_span: &dyn Fn(crate::Span) -> Range<usize>,
    ) {
        const TYPES: [&str; 4] = ["int", "float", "string", "bool"];
        let name = match &type_name.value {
            Value::Name(name) => name.as_str(),
            _ => "",
        };
        if crate::ast::ValueType::from_name(name).is_none() {
            let help = match TYPES.iter().find(|t| t.eq_ignore_ascii_case(name)) {
                Some(exact) => format!("type names are lower case: `{exact}`"),
                None => match did_you_mean(name, TYPES.iter().copied()) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => format!("use one of {}", list_keys(&TYPES)),
                },
            };
            self.report(
                Diagnostic::new(
                    &codes::UNKNOWN_TYPE_NAME,
                    format!("`{name}` is not a type name"),
                    map_span(type_name.span),
                    "unknown type",
                )
                .with_help(help),
            );
        }
        if let FieldKind::TraceState(_) = &field.kind {
            self.report(
                Diagnostic::new(
                    &codes::TYPE_TEST_ON_BUILTIN,
                    format!("`{}` is always a string", field.kind),
                    map_span(field.span),
                    "trace-state entry",
                )
                .with_help("test whether it is there with `exists(…)` instead"),
            );
        }
        if let FieldKind::Builtin(builtin) = &field.kind {
            let sources = builtin.attribute_sources();
            let help = match sources.first() {
                Some(key) => format!(
                    "test the attribute it reads instead, e.g. `attributes[\"{key}\"] is {name}`"
                ),
                None => "the catalog fixes its type; compare it with a literal instead".to_owned(),
            };
            self.report(
                Diagnostic::new(
                    &codes::TYPE_TEST_ON_BUILTIN,
                    format!("`{}` is a built-in field; its type is fixed", field.kind),
                    map_span(field.span),
                    "built-in field",
                )
                .with_help(help),
            );
        }
    }

    fn check_regex(&mut self, pattern: &str, span: Range<usize>) {
        if let Err(error) = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
        {
            let detail = match &error {
                regex::Error::Syntax(text) => text
                    .lines()
                    .rev()
                    .find(|line| line.starts_with("error:"))
                    .map_or_else(
                        || "invalid syntax".to_owned(),
                        |line| line.trim_start_matches("error: ").to_owned(),
                    ),
                regex::Error::CompiledTooBig(_) => {
                    "the compiled pattern is larger than 1 MiB".to_owned()
                }
                _ => error.to_string(),
            };
            self.report(
                Diagnostic::new(
                    &codes::INVALID_REGEX,
                    "invalid regular expression",
                    span,
                    detail,
                )
                .with_help(
                    "`matches` takes Rust `regex` syntax (no look-around or backreferences)",
                ),
            );
        }
    }

    fn tenants(&mut self, node: &Node) -> Option<Tenants> {
        let entries = self.mapping(
            node,
            "tenants",
            TENANTS_KEYS,
            node.span.start..node.span.start,
        )?;
        let attribute = if let Some(node) = entries.get("attribute") {
            self.string(node, "attribute").and_then(|text| {
            if text.value.trim().is_empty() {
                self.report(Diagnostic::new(
                    &codes::INVALID_VALUE,
                    "tenant `attribute` is empty",
                    text.span.clone(),
                    "empty attribute key",
                ).with_help("name the attribute that holds the tenant id, e.g. `attribute: tenant.id`"));
                return None;
            }
            let kind = match text.value.strip_prefix("resource.") {
                Some(key) => FieldKind::ResourceAttribute(key.to_owned()),
                None => FieldKind::SpanAttribute(text.value.clone()),
            };
            Some(Spanned::new(kind, text.span))
        })
        } else {
            self.report(
                Diagnostic::new(
                    &codes::MISSING_KEY,
                    "`tenants` has no `attribute`",
                    entries.anchor.clone(),
                    "in this section",
                )
                .with_help("add `attribute: tenant.id` (the attribute that holds the tenant id)"),
            );
            None
        };
        let mut overrides = Vec::new();
        if let Some(node) = entries.get("overrides") {
            if let NodeValue::Mapping(pairs) = &node.value {
                for (key, value) in pairs {
                    let Some(tenant) = scalar_text(key) else {
                        self.wrong_type(key, "a tenant id", "a string", None);
                        continue;
                    };
                    let Some(fields) =
                        self.mapping(value, "tenant override", OVERRIDE_KEYS, key.span.clone())
                    else {
                        continue;
                    };
                    let base_rate = fields
                        .get("base_rate")
                        .and_then(|node| self.rate(node, "base_rate"));
                    let conditions = fields
                        .get("conditions")
                        .map(|node| self.conditions(node))
                        .unwrap_or_default();
                    overrides.push(TenantOverride {
                        tenant: Spanned::new(tenant.to_owned(), key.span.clone()),
                        base_rate,
                        conditions,
                    });
                }
            } else if !matches!(scalar(node).map(Scalar::resolve), Some(Resolved::Null)) {
                self.wrong_type(
                    node,
                    "overrides",
                    "a mapping from tenant id to overrides",
                    None,
                );
            }
        }
        Some(Tenants {
            attribute: attribute?,
            overrides,
        })
    }
}

pub(crate) fn scalar(node: &Node) -> Option<&Scalar> {
    match &node.value {
        NodeValue::Scalar(scalar) => Some(scalar),
        _ => None,
    }
}

/// For a name YAML read as a number or a boolean: the help that quotes it.
fn quote_help(node: &Node, key: &str) -> Option<String> {
    match scalar(node).map(|s| (s, s.resolve())) {
        // A plain scalar that resolved to a number or a boolean holds no quote or
        // backslash, so it can be quoted as is.
        Some((s, Resolved::Int(_) | Resolved::Float(_) | Resolved::Bool(_))) => {
            Some(format!("quote it: `{key}: \"{}\"`", s.text))
        }
        _ => None,
    }
}

/// A mapping key read as a string (plain keys like `500` are still names).
pub(crate) fn scalar_str(node: &Node) -> Option<&str> {
    scalar(node).map(|scalar| scalar.text.as_str())
}

fn scalar_text(node: &Node) -> Option<&str> {
    scalar_str(node)
}

fn list_keys(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn yaml_diagnostic(error: yaml::YamlError, source: &str) -> Diagnostic {
    match error.kind {
        YamlErrorKind::UnknownEscape { escape, scalar } => {
            let help = match single_quoted(source, scalar) {
                Some(value) => format!(
                    "write the value as `{value}`: YAML single quotes keep backslashes, and a CPL raw string `r\"...\"` keeps them for the regex"
                ),
                None => format!(
                    "YAML double quotes have no `{escape}` escape: write `\\{escape}` for a backslash, or quote the value with single quotes, which keep backslashes"
                ),
            };
            Diagnostic::new(
                &codes::YAML_SYNTAX,
                format!("invalid YAML: {}", error.message),
                error.span,
                "unknown escape",
            )
            .with_help(help)
        }
        YamlErrorKind::Syntax => Diagnostic::new(
            &codes::YAML_SYNTAX,
            format!("invalid YAML: {}", error.message),
            error.span,
            "here",
        )
        .with_help("check the indentation and quoting around this point"),
        YamlErrorKind::DuplicateKey { first } => Diagnostic::new(
            &codes::DUPLICATE_KEY,
            error.message,
            error.span,
            "written again here",
        )
        .with_secondary(first, "first written here")
        .with_help("remove one of the two; YAML keeps neither reliably"),
        YamlErrorKind::AliasLimit => Diagnostic::new(
            &codes::YAML_ALIAS_LIMIT,
            format!(
                "YAML aliases expand to more than {} nodes",
                yaml::MAX_EXPANDED_NODES
            ),
            error.span,
            "expansion crosses the limit here",
        )
        .with_help("write the values out instead of nesting aliases"),
        YamlErrorKind::TooDeep => Diagnostic::new(
            &codes::YAML_TOO_DEEP,
            format!("YAML nests deeper than {} levels", yaml::MAX_DEPTH),
            error.span,
            "too deep",
        )
        .with_help("a policy needs only a few levels of nesting"),
        YamlErrorKind::MultipleDocuments => Diagnostic::new(
            &codes::MULTIPLE_DOCUMENTS,
            "file holds more than one YAML document",
            error.span,
            "a second document starts here",
        )
        .with_help("put each policy in its own file"),
    }
}

/// The double-quoted scalar at `scalar` (a `when:` whose backslashes YAML rejected)
/// rewritten in YAML single quotes, with each CPL string that holds a backslash as a
/// raw string, so that every backslash reaches the regex as written; `None` when the
/// rewrite could change what was meant (other backslashes, escaped quotes, a line break).
fn single_quoted(source: &str, scalar: Range<usize>) -> Option<String> {
    let content = source.get(scalar.start + 1..scalar.end.checked_sub(1)?)?;
    if content.contains(['\n', '\r']) {
        return None;
    }
    let mut rewritten = String::with_capacity(content.len() + 4);
    let mut copied = 0;
    let mut strings = 0;
    for (start, token, end) in crate::Lexer::new(content) {
        let text = &content[start..end];
        if !text.contains('\\') {
            continue;
        }
        let body = match token {
            crate::Token::String(_) if !text.starts_with('r') => &text[1..text.len() - 1],
            crate::Token::String(_) => continue,
            _ => return None,
        };
        if ["\\\\", "\\'", "\\\""]
            .iter()
            .any(|escape| body.contains(escape))
        {
            return None;
        }
        let quote = ['"', '\''].into_iter().find(|q| !body.contains(*q))?;
        rewritten.push_str(&content[copied..start]);
        rewritten.push('r');
        rewritten.push(quote);
        rewritten.push_str(body);
        rewritten.push(quote);
        copied = end;
        strings += 1;
    }
    if strings == 0 {
        return None;
    }
    rewritten.push_str(&content[copied..]);
    Some(format!("'{}'", rewritten.replace('\'', "''")))
}
