//! The compiled policy: its rule table, its decision plans, and the public API.
//!
//! A policy has one condition list, and each tenant override may change it. Instead of
//! merging lists per span, compilation flattens every condition that can take part
//! into one rule table, and gives the policy and each override a **plan**: the indices
//! of its enabled rules in decision order, plus its base rate. Deciding is then
//! "the first rule of the plan that matched", whether the matches come from one span
//! ([`Evaluator::decide_span`]) or from all spans of a trace ([`Evaluator::add_matches`]
//! and [`Evaluator::decide_trace`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use cpl_syntax::{Action, Condition, Policy};

use crate::compile::{CompileError, Compiler, Node, Program};
use crate::decision::{Decision, Reason, RuleSet};
use crate::eval::{Ctx, Trace};
use crate::tenant::TenantId;
use crate::threshold::Rate;
use crate::view::{KeySet, SpanView};

/// A policy compiled for evaluation. Build it once with [`Evaluator::compile`] and
/// share it (it is `Send + Sync`); evaluation takes `&self` and allocates nothing.
#[derive(Debug)]
pub struct Evaluator {
    program: Program,
    rules: Vec<Rule>,
    base_rate: Rate,
    plan: Box<[u32]>,
    /// The field slot of the tenant attribute.
    tenant: Option<u32>,
    /// Sorted by tenant id.
    overrides: Vec<Override>,
}

/// One condition in the rule table.
#[derive(Debug)]
pub struct Rule {
    name: Box<str>,
    action: Action,
    rate: Rate,
    tenant: Option<Box<str>>,
    span: Range<usize>,
    node: Node,
}

impl Rule {
    /// The condition's `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The condition's `action`.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The probability of keeping a trace the rule decides: `rate` (default 1) for
    /// `action: keep`, 0 for `action: drop`.
    pub fn rate(&self) -> f64 {
        self.rate.p
    }

    /// The tenant whose override defines this condition; `None` for the policy's own
    /// `sampling.conditions`.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The byte range of the condition in the policy file.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

#[derive(Debug)]
struct Override {
    tenant: Box<str>,
    base_rate: Option<Rate>,
    plan: Box<[u32]>,
}

/// The cache sizes `Ctx` is instantiated with: the smallest that holds every
/// attribute-derived field of the policy (fields beyond 64 are not cached).
macro_rules! with_ctx {
    ($self:ident, $span:expr, |$ctx:ident| $body:expr) => {
        with_ctx!($self, $span, None, |$ctx| $body)
    };
    ($self:ident, $span:expr, $trace:expr, |$ctx:ident| $body:expr) => {
        match $self.program.sources.len() {
            0..=4 => {
                let mut $ctx = Ctx::<_, 4>::with_trace(&$self.program, $span, $trace);
                $body
            }
            5..=16 => {
                let mut $ctx = Ctx::<_, 16>::with_trace(&$self.program, $span, $trace);
                $body
            }
            _ => {
                let mut $ctx = Ctx::<_, 64>::with_trace(&$self.program, $span, $trace);
                $body
            }
        }
    };
}

impl Evaluator {
    /// Compiles a loaded policy.
    ///
    /// Every enabled condition of `sampling.conditions`, and every enabled condition of
    /// a tenant override, becomes one [`Rule`], in that order. Disabled conditions never
    /// match and are left out.
    pub fn compile(policy: &Policy) -> Result<Self, CompileError> {
        let mut compiler = Compiler::default();
        let mut rules = Vec::new();
        // Each condition of the document becomes one rule, however many plans use it.
        let mut seen: HashMap<*const Condition, u32> = HashMap::new();
        let mut rule_for = |condition: &Condition, tenant: Option<&str>, rules: &mut Vec<Rule>| {
            if let Some(index) = seen.get(&std::ptr::from_ref(condition)) {
                return Ok(*index);
            }
            let action = condition.action();
            rules.push(Rule {
                name: condition.name.value.as_str().into(),
                action,
                rate: Rate::new(if action == Action::Drop {
                    0.0
                } else {
                    condition.keep_rate()
                }),
                tenant: tenant.map(Into::into),
                span: condition.span.clone(),
                node: compiler.condition(condition)?,
            });
            let index = u32::try_from(rules.len() - 1).unwrap_or(u32::MAX);
            seen.insert(condition, index);
            Ok::<u32, CompileError>(index)
        };

        let mut plan = Vec::new();
        for condition in &policy.sampling.conditions {
            if condition.is_enabled() {
                plan.push(rule_for(condition, None, &mut rules)?);
            }
        }

        let mut overrides = Vec::new();
        let mut tenant = None;
        if let Some(tenants) = &policy.tenants {
            let mut tenant_ids = HashSet::new();
            for written in &tenants.overrides {
                let tenant = written.tenant.value.as_str();
                // The first override of a tenant is the one that applies.
                if !tenant_ids.insert(tenant) {
                    continue;
                }
                let mut tenant_plan = Vec::new();
                for condition in policy.conditions_for(Some(tenant)) {
                    if condition.is_enabled() {
                        tenant_plan.push(rule_for(condition, Some(tenant), &mut rules)?);
                    }
                }
                overrides.push(Override {
                    tenant: tenant.into(),
                    base_rate: written.base_rate.as_ref().map(|rate| Rate::new(rate.value)),
                    plan: tenant_plan.into_boxed_slice(),
                });
            }
            tenant = Some(
                compiler.tenant_slot(&tenants.attribute.value, tenants.attribute.span.clone())?,
            );
        }
        overrides.sort_by(|a, b| a.tenant.cmp(&b.tenant));

        Ok(Self {
            program: compiler.program,
            rules,
            base_rate: Rate::new(policy.sampling.base_rate.value),
            plan: plan.into_boxed_slice(),
            tenant,
            overrides,
        })
    }

    /// The rule table: every enabled condition of the policy, then those of the tenant
    /// overrides. [`Reason::Rule`] and [`RuleSet`] refer to rules by their index here.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The policy's `sampling.base_rate`.
    pub fn base_rate(&self) -> f64 {
        self.base_rate.p
    }

    /// The tenant overrides, by tenant id: each tenant and its own `base_rate`, if it
    /// sets one (its traces that no condition decides use the policy's otherwise).
    pub fn tenant_overrides(&self) -> impl ExactSizeIterator<Item = (&str, Option<f64>)> + '_ {
        self.overrides
            .iter()
            .map(|o| (&*o.tenant, o.base_rate.map(|rate| rate.p)))
    }

    /// The span's tenant id, if the policy has tenants and the span carries one: the
    /// tenant attribute's string value, or its int value in decimal (spec/sampling.md).
    pub fn tenant_of<'s, S: SpanView + ?Sized>(&self, span: &'s S) -> Option<TenantId<'s>> {
        let slot = self.tenant?;
        Ctx::<S, 0>::new(&self.program, span).tenant(slot)
    }

    /// Adds to `matched` every rule that `span` matches. Call it for each span of a
    /// trace with the same set, then [`Evaluator::decide_trace`]. Rules already in the
    /// set are not evaluated again. Trace-level parts read `span` as a trace of its own;
    /// for a policy that [reads traces](Evaluator::reads_trace), use
    /// [`Evaluator::add_trace_matches`].
    pub fn add_matches<S: SpanView + ?Sized>(&self, span: &S, matched: &mut RuleSet) {
        with_ctx!(self, span, |ctx| {
            for (index, rule) in self.rules.iter().enumerate() {
                if !matched.contains(index) && ctx.eval(&rule.node) {
                    matched.insert(index);
                }
            }
        });
    }

    /// Whether some condition has a trace-level part (`any(…)`, `trace_duration`,
    /// `span_count`): such a policy must see every span of a trace at once, through
    /// [`Evaluator::add_trace_matches`], to mean what it says (spec/sampling.md,
    /// "Deciding one span").
    pub fn reads_trace(&self) -> bool {
        self.program.trace_level
    }

    /// The span attribute keys and the resource attribute keys that the policy's
    /// conditions (and its tenant attribute) read, each list sorted and without
    /// repeats. Evaluating a span reads no other attribute, so a reader may leave
    /// the others out (`cpl_otlp::AttributeKeys`).
    pub fn attribute_keys(&self) -> (Vec<&str>, Vec<&str>) {
        let mut span = Vec::new();
        let mut resource = Vec::new();
        for (scope, key) in &self.program.keys.keys {
            match scope {
                crate::compile::Scope::Span => span.push(&**key),
                crate::compile::Scope::Resource => resource.push(&**key),
            }
        }
        span.extend(self.program.key_sets.iter().flat_map(KeySet::iter));
        for list in [&mut span, &mut resource] {
            list.sort_unstable();
            list.dedup();
        }
        (span, resource)
    }

    /// Whether some condition reads a span's trace state or trace flags
    /// (`trace_state["key"]`, `sampled`): a reader must keep them
    /// ([`SpanView::trace_state`], [`SpanView::flags`]).
    pub fn reads_span_detail(&self) -> bool {
        self.program.span_detail
    }

    /// Adds to `matched` every rule that some span of the trace made of `spans`
    /// matches, with the trace-level parts of the conditions evaluated over all of
    /// them. For a policy without trace-level parts this is [`Evaluator::add_matches`]
    /// on each span. Rules already in the set are not evaluated again.
    pub fn add_trace_matches<S: SpanView>(&self, spans: &[S], matched: &mut RuleSet) {
        if !self.program.trace_level {
            for span in spans {
                self.add_matches(span, matched);
            }
            return;
        }
        let trace = Trace::of(&self.program, spans);
        for span in spans {
            with_ctx!(self, span, Some(&trace), |ctx| {
                for (index, rule) in self.rules.iter().enumerate() {
                    if !matched.contains(index) && ctx.eval(&rule.node) {
                        matched.insert(index);
                    }
                }
            });
        }
    }

    /// The rules that `span` matches.
    pub fn matches<S: SpanView + ?Sized>(&self, span: &S) -> RuleSet {
        let mut matched = RuleSet::new();
        self.add_matches(span, &mut matched);
        matched
    }

    /// Decides a trace from the rules its spans matched and its tenant id
    /// ([`TraceTenant`](crate::TraceTenant) finds it).
    pub fn decide_trace(
        &self,
        trace_id: [u8; 16],
        matched: &RuleSet,
        tenant: Option<&str>,
    ) -> Decision<'_> {
        let tenant = tenant.and_then(|tenant| self.override_for(tenant));
        let plan = tenant.map_or(&*self.plan, |o| &*o.plan);
        match plan.iter().find(|&&index| matched.contains(index as usize)) {
            Some(&index) => self.rule_decision(index, trace_id),
            None => self.base_decision(tenant, trace_id),
        }
    }

    /// Decides one span on its own, as a trace of that single span: the embedding
    /// case, where a span must be decided when it ends (spec/sampling.md, "Deciding one
    /// span"). Conditions are evaluated in decision order and the first match stops.
    pub fn decide_span<S: SpanView + ?Sized>(&self, span: &S) -> Decision<'_> {
        with_ctx!(self, span, |ctx| {
            let tenant = match self.tenant {
                Some(slot) => ctx
                    .tenant(slot)
                    .and_then(|id| self.override_for(id.as_str(&mut [0; 20]))),
                None => None,
            };
            let plan = tenant.map_or(&*self.plan, |o| &*o.plan);
            for &index in plan {
                if let Some(rule) = self.rules.get(index as usize) {
                    if ctx.eval(&rule.node) {
                        return self.rule_decision(index, ctx.span().trace_id());
                    }
                }
            }
            self.base_decision(tenant, ctx.span().trace_id())
        })
    }

    fn override_for(&self, tenant: &str) -> Option<&Override> {
        self.overrides
            .binary_search_by(|o| (*o.tenant).cmp(tenant))
            .ok()
            .and_then(|at| self.overrides.get(at))
    }

    fn rule_decision(&self, index: u32, trace_id: [u8; 16]) -> Decision<'_> {
        let index = index as usize;
        let rule = &self.rules[index];
        Decision {
            keep: rule.action == Action::Keep && rule.rate.keeps(trace_id),
            reason: Reason::Rule {
                index,
                name: &rule.name,
                action: rule.action,
                rate: rule.rate.p,
            },
        }
    }

    fn base_decision<'e>(
        &'e self,
        tenant: Option<&'e Override>,
        trace_id: [u8; 16],
    ) -> Decision<'e> {
        match tenant.and_then(|o| o.base_rate.map(|rate| (&*o.tenant, rate))) {
            Some((tenant, rate)) => Decision {
                keep: rate.keeps(trace_id),
                reason: Reason::TenantBaseRate {
                    tenant,
                    rate: rate.p,
                },
            },
            None => Decision {
                keep: self.base_rate.keeps(trace_id),
                reason: Reason::BaseRate {
                    rate: self.base_rate.p,
                },
            },
        }
    }
}
