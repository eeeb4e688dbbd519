//! Building a [`Policy`] in code.
//!
//! `cpl import` translates other systems' configurations into CPL, and tests generate
//! policies; both need a `Policy` exactly as well-formed as one [`load_policy`] returns,
//! because every later phase relies on that. So each constructor here checks what the
//! loader checks (spec/policy.md) and returns a [`BuildError`] where the loader would
//! report a diagnostic: a rate outside [0, 1], an empty or repeated condition name, a
//! `rate` on a drop rule, a suppression without a reason, a repeated tenant. A `when:`
//! expression is parsed and checked as the loader checks one ([`When::parse`]).
//!
//! Values built here have no position in any file: their spans are `0..0`.
//! [`print_policy`](crate::print_policy) writes the result as CPL YAML.
//!
//! ```
//! use cpl_syntax::{load_policy, print_policy, Action, Condition, Policy, When};
//!
//! let policy = Policy::new(0.01)?
//!     .with_condition(Condition::new("errors", When::parse("status_code >= 500").unwrap())?)?
//!     .with_condition(
//!         Condition::new("health", When::parse("http.route == '/health'").unwrap())?
//!             .with_action(Action::Drop)?,
//!     )?;
//! let text = print_policy(&policy);
//! let loaded = load_policy(&text).policy.unwrap();
//! assert_eq!(loaded.without_positions(), policy.without_positions());
//! # Ok::<(), cpl_syntax::BuildError>(())
//! ```
//!
//! [`load_policy`]: crate::load_policy

use crate::ast::{Expr, FieldKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::Loader;
use crate::policy::{
    Action, Condition, Policy, Sampling, Service, ServiceForm, Spanned, Suppression,
    TenantOverride, Tenants, When,
};
use crate::yaml::{Node, NodeValue, Scalar, SourceMap};

/// Why a part of a policy could not be built: the loader would reject it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A rate outside [0, 1], or NaN (E205 when loaded).
    #[error("`{key}` must be between 0 and 1, not {value}")]
    RateOutOfRange {
        /// `base_rate` or `rate`.
        key: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A condition name that is empty or only whitespace (E209).
    #[error("a condition name must not be empty")]
    EmptyName,
    /// Two conditions of one list with the same name (E209).
    #[error("condition name `{0}` is used twice")]
    DuplicateName(String),
    /// `rate` together with `action: drop` (E209).
    #[error("`rate` has no meaning with `action: drop`")]
    RateWithDrop,
    /// A suppression whose reason is empty or only whitespace (E209).
    #[error("the suppression of `{0}` needs a reason")]
    EmptyReason(&'static str),
    /// The same code suppressed twice on one condition.
    #[error("`{0}` is suppressed twice on one condition")]
    DuplicateSuppression(&'static str),
    /// A tenant attribute that is empty or only whitespace (E209).
    #[error("the tenant attribute must not be empty")]
    EmptyTenantAttribute,
    /// Two overrides for one tenant (E201 when printed).
    #[error("tenant `{0}` has two overrides")]
    DuplicateTenant(String),
}

/// The span of a value built in code.
const NOWHERE: std::ops::Range<usize> = 0..0;

fn built<T>(value: T) -> Spanned<T> {
    Spanned::new(value, NOWHERE)
}

/// A rate in [0, 1]; negative zero becomes zero, so that it prints as `0.0`.
fn rate(key: &'static str, value: f64) -> Result<Spanned<f64>, BuildError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(BuildError::RateOutOfRange { key, value });
    }
    Ok(built(if value == 0.0 { 0.0 } else { value }))
}

/// Appends `condition` unless its name is taken.
fn push_unique(conditions: &mut Vec<Condition>, condition: Condition) -> Result<(), BuildError> {
    if conditions
        .iter()
        .any(|c| c.name.value == condition.name.value)
    {
        return Err(BuildError::DuplicateName(condition.name.value));
    }
    conditions.push(condition);
    Ok(())
}

impl Policy {
    /// A policy of schema `version: 1` that keeps `base_rate` of the traces, with no
    /// conditions, no `service` and no tenants.
    pub fn new(base_rate: f64) -> Result<Policy, BuildError> {
        Ok(Policy {
            version: Some(built("1".to_owned())),
            service: None,
            sampling: Sampling {
                base_rate: rate("base_rate", base_rate)?,
                conditions: Vec::new(),
                span: NOWHERE,
            },
            tenants: None,
        })
    }

    /// Sets `service`.
    #[must_use]
    pub fn with_service(mut self, service: Service) -> Policy {
        self.service = Some(service);
        self
    }

    /// Appends a condition to `sampling.conditions`; its name must be new in the list.
    pub fn with_condition(mut self, condition: Condition) -> Result<Policy, BuildError> {
        push_unique(&mut self.sampling.conditions, condition)?;
        Ok(self)
    }

    /// Sets `tenants`.
    #[must_use]
    pub fn with_tenants(mut self, tenants: Tenants) -> Policy {
        self.tenants = Some(tenants);
        self
    }
}

impl Service {
    /// `service: {name: ...}`, the form both CPL and clarvynn read.
    pub fn new(name: impl Into<String>) -> Service {
        Service {
            name: built(name.into()),
            namespace: None,
            version: None,
            environment: None,
            form: ServiceForm::Mapping,
            span: NOWHERE,
        }
    }

    /// `service: name`, the short form (clarvynn 0.3.1 cannot load it). Adding a
    /// namespace, version or environment turns it into the mapping form.
    pub fn short(name: impl Into<String>) -> Service {
        Service {
            form: ServiceForm::String,
            ..Service::new(name)
        }
    }

    /// Sets `namespace`, the environment the policy is written for.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Service {
        self.namespace = Some(built(namespace.into()));
        self.form = ServiceForm::Mapping;
        self
    }

    /// Sets `version`, the application's version as text (`1.0.0`).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Service {
        self.version = Some(built(version.into()));
        self.form = ServiceForm::Mapping;
        self
    }

    /// Sets `environment` (informational; clarvynn reads it).
    #[must_use]
    pub fn with_environment(mut self, environment: impl Into<String>) -> Service {
        self.environment = Some(built(environment.into()));
        self.form = ServiceForm::Mapping;
        self
    }
}

impl Condition {
    /// A condition that keeps every trace `when` matches (no `rate`, `action` or
    /// `enabled` written). The name must not be empty or only whitespace.
    pub fn new(name: impl Into<String>, when: When) -> Result<Condition, BuildError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(BuildError::EmptyName);
        }
        Ok(Condition {
            name: built(name),
            when,
            enabled: None,
            rate: None,
            action: None,
            suppress: Vec::new(),
            span: NOWHERE,
        })
    }

    /// Sets `rate`, in [0, 1]; a drop rule has none.
    pub fn with_rate(mut self, keep: f64) -> Result<Condition, BuildError> {
        if self.action() == Action::Drop {
            return Err(BuildError::RateWithDrop);
        }
        self.rate = Some(rate("rate", keep)?);
        Ok(self)
    }

    /// Sets `action`; `drop` is refused once a `rate` is set.
    pub fn with_action(mut self, action: Action) -> Result<Condition, BuildError> {
        if action == Action::Drop && self.rate.is_some() {
            return Err(BuildError::RateWithDrop);
        }
        self.action = Some(built(action));
        Ok(self)
    }

    /// Sets `enabled`.
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Condition {
        self.enabled = Some(built(enabled));
        self
    }

    /// Accepts the findings of `code` on this condition, for `reason` (not empty).
    pub fn with_suppression(
        mut self,
        code: &'static Code,
        reason: impl Into<String>,
    ) -> Result<Condition, BuildError> {
        let reason = reason.into();
        if reason.trim().is_empty() {
            return Err(BuildError::EmptyReason(code.code));
        }
        if self.suppress.iter().any(|s| s.code.code == code.code) {
            return Err(BuildError::DuplicateSuppression(code.code));
        }
        self.suppress.push(Suppression {
            code,
            span: NOWHERE,
            reason: built(reason),
        });
        Ok(self)
    }
}

impl When {
    /// Parses and checks `text` as the loader checks a `when:` value: syntax, field
    /// names, bare words, enum constants and regular expressions. On failure, every
    /// diagnostic, with spans into `text`. Warnings (W114) do not stop a `when:` from
    /// loading, so they are not returned; they are reported wherever the policy is loaded.
    ///
    /// ```
    /// use cpl_syntax::When;
    ///
    /// let when = When::parse("http.route == '/health'").unwrap();
    /// assert_eq!(when.expr.to_string(), r#"http.route == "/health""#);
    ///
    /// let errors = When::parse("stauts_code >= 500").unwrap_err();
    /// assert_eq!(errors[0].code.code, "E113");
    /// ```
    pub fn parse(text: &str) -> Result<When, Vec<Diagnostic>> {
        // The text is its own file: a double-quoted scalar whose bytes map to themselves.
        let node = Node {
            value: NodeValue::Scalar(Scalar {
                text: text.to_owned(),
                style: crate::yaml::ScalarStyle::DoubleQuoted,
                tag: None,
                map: SourceMap::identity(text.len()),
            }),
            span: 0..text.len(),
        };
        let mut loader = Loader {
            diagnostics: Vec::new(),
        };
        let when = loader.when(&node);
        let Some(when) = when else {
            let mut diagnostics = loader.diagnostics;
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            return Err(diagnostics);
        };
        let style = crate::print::when_style(&when.expr.to_string());
        Ok(When::new(
            when.source,
            when.expr,
            NOWHERE,
            style,
            SourceMap::identity(text.len()),
        ))
    }

    /// A `when:` for a tree built in code: its canonical text (spec/expressions.md),
    /// parsed and checked as [`When::parse`] does. A tree with an
    /// [`ExprKind::Error`](crate::ExprKind::Error) node is refused.
    ///
    /// ```
    /// use cpl_syntax::{parse_expression, When};
    ///
    /// let expr = parse_expression("500 <= status_code").expr.unwrap();
    /// assert_eq!(When::from_expr(&expr).unwrap().source, "status_code >= 500");
    /// ```
    pub fn from_expr(expr: &Expr) -> Result<When, Vec<Diagnostic>> {
        When::parse(&expr.to_string())
    }
}

impl Tenants {
    /// Tenants whose id is read from `attribute`: a key starting with `resource.` names
    /// the resource attribute with the rest of the key, any other key the span attribute
    /// with exactly that key (spec/policy.md, `tenants`). No overrides yet.
    pub fn new(attribute: &str) -> Result<Tenants, BuildError> {
        if attribute.trim().is_empty() {
            return Err(BuildError::EmptyTenantAttribute);
        }
        let kind = match attribute.strip_prefix("resource.") {
            Some(key) => FieldKind::ResourceAttribute(key.to_owned()),
            None => FieldKind::SpanAttribute(attribute.to_owned()),
        };
        Ok(Tenants {
            attribute: built(kind),
            overrides: Vec::new(),
        })
    }

    /// Appends the overrides of one tenant; each tenant has at most one.
    pub fn with_override(mut self, overrides: TenantOverride) -> Result<Tenants, BuildError> {
        if self
            .overrides
            .iter()
            .any(|o| o.tenant.value == overrides.tenant.value)
        {
            return Err(BuildError::DuplicateTenant(overrides.tenant.value));
        }
        self.overrides.push(overrides);
        Ok(self)
    }
}

impl TenantOverride {
    /// No overrides yet for `tenant`.
    pub fn new(tenant: impl Into<String>) -> TenantOverride {
        TenantOverride {
            tenant: built(tenant.into()),
            base_rate: None,
            conditions: Vec::new(),
        }
    }

    /// Replaces the policy's `base_rate` for this tenant; in [0, 1].
    pub fn with_base_rate(mut self, base_rate: f64) -> Result<TenantOverride, BuildError> {
        self.base_rate = Some(rate("base_rate", base_rate)?);
        Ok(self)
    }

    /// Appends a condition, merged by name into the policy's (spec/policy.md); its name
    /// must be new in this override.
    pub fn with_condition(mut self, condition: Condition) -> Result<TenantOverride, BuildError> {
        push_unique(&mut self.conditions, condition)?;
        Ok(self)
    }
}
