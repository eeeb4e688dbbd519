//! The typed policy model (spec/policy.md).
//!
//! A [`Policy`] is what a YAML policy file means once loaded: every value carries the
//! byte span it came from, so later phases (cpl-check's lints, `cpl diff`, replay
//! reports) can point back into the file without seeing YAML again.

use std::fmt;
use std::ops::Range;

use crate::ast::{Expr, Span};
use crate::yaml::{ScalarStyle, SourceMap};

/// A value and the byte range of the file it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Byte range in the file.
    pub span: Range<usize>,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Range<usize>) -> Self {
        Self { value, span }
    }
}

/// A loaded policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `version`, normalised to `"1"`.
    pub version: Option<Spanned<String>>,
    /// `service`: the service the policy is written for (informational; clarvynn's
    /// runtime requires it, as a mapping).
    pub service: Option<Service>,
    /// The `sampling` section.
    pub sampling: Sampling,
    /// The `tenants` section.
    pub tenants: Option<Tenants>,
}

/// The `service` section: a plain name, or the mapping `clarvynn init` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// `name` (or the string itself).
    pub name: Spanned<String>,
    /// `namespace`: the environment the policy is written for.
    pub namespace: Option<Spanned<String>>,
    /// `version`: the application's version, as written (`1.0.0`).
    pub version: Option<Spanned<String>>,
    /// `environment`: a key clarvynn's runtime reads and does not use; kept, informational.
    pub environment: Option<Spanned<String>>,
    /// How `service` was written.
    pub form: ServiceForm,
    /// The span of the `service` value.
    pub span: Range<usize>,
}

/// How a policy wrote its `service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceForm {
    /// `service: checkout`: CPL reads it, clarvynn 0.3.1 cannot load it.
    String,
    /// `service: {name: checkout, ...}`: the form both read.
    Mapping,
}

/// The `sampling` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    /// Probability of keeping a trace no condition decides, in `[0, 1]`.
    pub base_rate: Spanned<f64>,
    /// Conditions in policy order: the first that matches decides.
    pub conditions: Vec<Condition>,
    /// The span of the `sampling` key.
    pub span: Range<usize>,
}

/// One entry of `conditions`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `name`: unique within the policy, used in reports and by tenant overrides.
    pub name: Spanned<String>,
    /// `when`: the parsed expression.
    pub when: When,
    /// `enabled`; a disabled condition never matches. `None` when not written (enabled).
    pub enabled: Option<Spanned<bool>>,
    /// `rate`: the probability of keeping a matching trace; `None` when not written (1.0).
    pub rate: Option<Spanned<f64>>,
    /// `action`; `None` when not written (keep).
    pub action: Option<Spanned<Action>>,
    /// `suppress`: findings accepted for this condition, each with its reason.
    pub suppress: Vec<Suppression>,
    /// The span of the whole list item.
    pub span: Range<usize>,
}

impl Condition {
    /// Whether the condition takes part in decisions.
    pub fn is_enabled(&self) -> bool {
        self.enabled.as_ref().is_none_or(|enabled| enabled.value)
    }

    /// The keep probability for matches (1.0 unless `rate` says otherwise).
    pub fn keep_rate(&self) -> f64 {
        self.rate.as_ref().map_or(1.0, |rate| rate.value)
    }

    /// The action (keep unless `action` says otherwise).
    pub fn action(&self) -> Action {
        self.action
            .as_ref()
            .map_or(Action::Keep, |action| action.value)
    }
}

/// A finding accepted on purpose: `suppress: {L334: "health checks never fail"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// The registry entry it suppresses.
    pub code: &'static crate::Code,
    /// Where the code is written.
    pub span: Range<usize>,
    /// Why the finding is accepted.
    pub reason: Spanned<String>,
}

/// What a matching condition does with the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Keep the trace with probability `rate`.
    Keep,
    /// Drop the trace.
    Drop,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Keep => "keep",
            Action::Drop => "drop",
        })
    }
}

/// A `when:` expression together with the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    /// The decoded expression text (what the YAML scalar means).
    pub source: String,
    /// The parsed expression; spans are offsets into `source`.
    pub expr: Expr,
    /// The byte range of the scalar in the file.
    pub span: Range<usize>,
    /// How the scalar is quoted in the file, so that a help can suggest text that pastes
    /// into it.
    pub style: ScalarStyle,
    map: SourceMap,
}

impl When {
    pub(crate) fn new(
        source: String,
        expr: Expr,
        span: Range<usize>,
        style: ScalarStyle,
        map: SourceMap,
    ) -> Self {
        Self {
            source,
            expr,
            span,
            style,
            map,
        }
    }

    /// Maps a span of the expression to the byte range of the file it was written at,
    /// whatever quoting style the YAML used.
    pub fn file_span(&self, span: Span) -> Range<usize> {
        let start = self.map.file_offset(span.start as usize);
        let end = self.map.file_offset(span.end as usize).max(start);
        start..end
    }
}

/// The `tenants` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenants {
    /// Where a span's tenant id is read from (`tenant.id`, or `resource.tenant.id`).
    pub attribute: Spanned<crate::ast::FieldKind>,
    /// Per-tenant overrides, in file order.
    pub overrides: Vec<TenantOverride>,
}

/// The overrides for one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantOverride {
    /// The tenant id.
    pub tenant: Spanned<String>,
    /// Replaces the policy's `base_rate` for this tenant's traces.
    pub base_rate: Option<Spanned<f64>>,
    /// Merged with the policy's conditions by name: same name replaces in place, new
    /// names are appended.
    pub conditions: Vec<Condition>,
}

impl Policy {
    /// The environment the policy names for itself: its `service.namespace`
    /// (spec/policy.md, "The policy's environment"). A project file's name for the
    /// policy takes precedence; callers that know one use it instead.
    pub fn namespace(&self) -> Option<&str> {
        let namespace = self.service.as_ref()?.namespace.as_ref()?;
        Some(namespace.value.as_str())
    }

    /// The conditions that apply to `tenant`'s traces, in decision order.
    pub fn conditions_for(&self, tenant: Option<&str>) -> Vec<&Condition> {
        let mut merged: Vec<&Condition> = self.sampling.conditions.iter().collect();
        let Some(overrides) = tenant.and_then(|tenant| self.tenant_override(tenant)) else {
            return merged;
        };
        for condition in &overrides.conditions {
            match merged
                .iter()
                .position(|existing| existing.name.value == condition.name.value)
            {
                Some(index) => merged[index] = condition,
                None => merged.push(condition),
            }
        }
        merged
    }

    /// The base rate that applies to `tenant`'s traces.
    pub fn base_rate_for(&self, tenant: Option<&str>) -> f64 {
        tenant
            .and_then(|tenant| self.tenant_override(tenant))
            .and_then(|overrides| overrides.base_rate.as_ref())
            .map_or(self.sampling.base_rate.value, |rate| rate.value)
    }

    /// The inline suppression that accepts `diagnostic`: one written on the condition
    /// (policy-wide or in a tenant override) whose span holds the finding's span.
    pub fn suppression_for(&self, diagnostic: &crate::Diagnostic) -> Option<&Suppression> {
        let overrides = self.tenants.iter().flat_map(|tenants| &tenants.overrides);
        self.sampling
            .conditions
            .iter()
            .chain(overrides.flat_map(|o| &o.conditions))
            .filter(|c| c.span.start <= diagnostic.span.start && diagnostic.span.end <= c.span.end)
            .flat_map(|c| &c.suppress)
            .find(|s| s.code.code == diagnostic.code.code)
    }

    /// The overrides written for `tenant`, if any.
    pub fn tenant_override(&self, tenant: &str) -> Option<&TenantOverride> {
        self.tenants
            .as_ref()?
            .overrides
            .iter()
            .find(|overrides| overrides.tenant.value == tenant)
    }
}
