//! A CPL policy compiled to `tail_sampling` policies that keep exactly the traces CPL
//! keeps (spec/targets/otel-collector.md, section 4).
//!
//! `tail_sampling` keeps a trace when some policy votes "sampled" (and no drop policy
//! vetoes); CPL decides by the first matching condition. The scheme turns first-match
//! into an OR of mutually exclusive policies: rule *j* of a chain is
//!
//! ```text
//! and: [ guards…,                                     # the tenant the chain is for
//!        ottl_condition(span: [cond_j]),              # some span matches rule j
//!        not(ottl_condition(span: [cond_1 … cond_{j-1}])),  # no span matches an earlier rule
//!        ottl_condition(span: [R >= T(rate_j)]) ]     # the consistent threshold
//! ```
//!
//! An `ottl_condition` list is true when some span satisfies some condition of the
//! list, so its negation is "no earlier rule matched". Drop rules produce no policy;
//! they only appear in later rules' negated priors. The base rate is one more policy:
//! no rule matched, and R >= T(base). At most one of a chain's policies can vote for
//! a trace, and it votes exactly when CPL's decision is keep. Tenants get one chain
//! per way the trace's tenant can be found (see `tenants`).
//!
//! ```
//! use cpl_collector::compile::{compile, to_yaml, CompileOptions, Output, PolicyKind};
//!
//! let policy = cpl_syntax::load_policy("sampling:\n  base_rate: 0.5\n")
//!     .policy
//!     .expect("the policy loads");
//! let compiled = compile(&policy, &CompileOptions::default()).expect("compiles exactly");
//! assert_eq!(compiled.policies[0].name, "cpl-base-rate");
//! // T(0.5) = 2^55: the trace id's low 56 bits are at least 0x80000000000000.
//! assert_eq!(
//!     compiled.policies[0].kind,
//!     PolicyKind::Ottl(vec![
//!         r#"Substring(span.trace_id.string, 18, 14) >= "80000000000000""#.to_owned()
//!     ])
//! );
//! let yaml = to_yaml(&compiled, Output::Processor, &[]).expect("emits");
//! assert!(yaml.starts_with("---\ntail_sampling:\n  policies:\n"));
//! ```

mod cond;
mod expr;
mod numeric;
mod re2;
mod tenants;
mod yaml;

use std::collections::HashMap;
use std::ops::Range;

use cpl_syntax::{codes, Action, Condition, Diagnostic, Policy};

use cond::Cond;
use re2::Issue;

pub use yaml::{to_yaml, Output};

/// How to compile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Compile what maps only approximately, reporting it as warnings (W5xx) instead
    /// of refusing it (E5xx).
    pub allow_approximate: bool,
}

impl CompileOptions {
    /// Options that refuse every approximation, or allow them.
    pub fn new(allow_approximate: bool) -> Self {
        Self { allow_approximate }
    }
}

/// An `ottl_condition` policy (or sub-policy): some span satisfies one of `span`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OttlPolicy {
    /// The policy's name.
    pub name: String,
    /// The conditions of its `span:` list, as OTTL text.
    pub span: Vec<String>,
}

/// A sub-policy of an `and` policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubPolicy {
    /// An `ottl_condition` sub-policy.
    Ottl(OttlPolicy),
    /// A `not` sub-policy named `name`, wrapping an `ottl_condition`.
    Not {
        /// The `not` policy's name.
        name: String,
        /// The policy it negates.
        inner: OttlPolicy,
    },
}

/// What a top-level policy is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyKind {
    /// `always_sample`: keeps every trace (a policy that keeps everything).
    AlwaysSample,
    /// A single `ottl_condition`.
    Ottl(Vec<String>),
    /// An `and` of sub-policies.
    And(Vec<SubPolicy>),
}

/// One top-level `tail_sampling` policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSamplingPolicy {
    /// Its name (`cpl-rule-2-server_errors`, `cpl-base-rate`, ...).
    pub name: String,
    /// What it is.
    pub kind: PolicyKind,
}

/// The compiled policy: the `policies:` list of a `tail_sampling` processor, and what
/// was approximated.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The policies, in output order (any order decides the same).
    pub policies: Vec<TailSamplingPolicy>,
    /// The approximations made under `--allow-approximate` (W5xx), in file order.
    pub warnings: Vec<Diagnostic>,
}

/// A policy that keeps nothing when no other policy exists: the collector wants at
/// least one policy.
const KEEP_NOTHING: &str = "cpl-keep-nothing";

/// Compiles `policy` to `tail_sampling` policies. `Err` holds the refusals (E5xx):
/// every construct that maps only approximately when `allow_approximate` is off.
pub fn compile(policy: &Policy, options: &CompileOptions) -> Result<Compiled, Vec<Diagnostic>> {
    let mut conditions = Conditions::default();
    let mut problems = Vec::new();
    for condition in all_conditions(policy) {
        conditions.translate(condition, *options, &mut problems);
    }
    problems.sort_by_key(|d: &Diagnostic| (d.span.start, d.code.code));
    problems.dedup_by(|a, b| a.span == b.span && a.code.code == b.code.code);
    if problems
        .iter()
        .any(|d| d.severity == cpl_syntax::Severity::Error)
    {
        return Err(problems);
    }
    let mut policies = Vec::new();
    for chain in tenants::chains(policy) {
        chain.emit(&conditions, &mut policies);
    }
    if policies.is_empty() {
        policies.push(TailSamplingPolicy {
            name: KEEP_NOTHING.to_owned(),
            kind: PolicyKind::Ottl(vec!["false".to_owned()]),
        });
    }
    Ok(Compiled {
        policies,
        warnings: problems,
    })
}

/// Every condition of the policy, tenants' included, in file order.
fn all_conditions(policy: &Policy) -> impl Iterator<Item = &Condition> {
    let overrides = policy.tenants.iter().flat_map(|t| &t.overrides);
    policy
        .sampling
        .conditions
        .iter()
        .chain(overrides.flat_map(|o| &o.conditions))
}

/// The OTTL condition of every CPL condition, by its place in the policy.
#[derive(Debug, Default)]
struct Conditions {
    by_span: HashMap<Range<usize>, Cond>,
}

impl Conditions {
    fn translate(
        &mut self,
        condition: &Condition,
        options: CompileOptions,
        problems: &mut Vec<Diagnostic>,
    ) {
        let mut translator = expr::Translator::default();
        let cond = translator.expr(&condition.when.expr);
        for inexact in translator.inexact {
            let span = condition.when.file_span(inexact.span);
            problems.push(refusal(inexact.issue, span, options.allow_approximate));
        }
        self.by_span.insert(condition.span.clone(), cond);
    }

    fn get(&self, condition: &Condition) -> &Cond {
        self.by_span
            .get(&condition.span)
            .unwrap_or(&Cond::Const(false))
    }
}

/// The diagnostic for something that maps only approximately (or not at all).
fn refusal(issue: Issue, span: Range<usize>, allow_approximate: bool) -> Diagnostic {
    match issue {
        Issue::WordBoundary if allow_approximate => Diagnostic::new(
            &codes::APPROXIMATE_WORD_BOUNDARY,
            "word boundary compiled as RE2's ASCII `\\b`",
            span,
            "Unicode word boundary",
        )
        .with_help("a word character outside ASCII (`é`, `ß`) no longer counts as part of a word"),
        Issue::WordBoundary => Diagnostic::new(
            &codes::REGEX_WORD_BOUNDARY,
            "the collector's regex engine (RE2) has no Unicode word boundary",
            span,
            "Unicode word boundary or word start/end assertion",
        )
        .with_help("write `(?-u:\\b)` for an ASCII word boundary, or pass `--allow-approximate`"),
        Issue::Crlf if allow_approximate => Diagnostic::new(
            &codes::APPROXIMATE_CRLF_ANCHOR,
            "CRLF-aware line anchors compiled as RE2's LF-only `(?m:^)` and `(?m:$)`",
            span,
            "`(?R)` line anchors",
        )
        .with_help("a `\\r` before a line break is now part of the line"),
        Issue::Crlf => Diagnostic::new(
            &codes::REGEX_CRLF_ANCHOR,
            "the collector's regex engine (RE2) has no CRLF-aware line anchors",
            span,
            "`(?R)` line anchors",
        )
        .with_help("drop the `R` flag to anchor at `\\n` only, or pass `--allow-approximate`"),
        Issue::Bytes => Diagnostic::new(
            &codes::REGEX_BYTES,
            "the pattern matches bytes outside ASCII, which RE2 reads as UTF-8 text",
            span,
            "byte-oriented pattern",
        )
        .with_help("match the characters as Unicode text instead of `(?-u)` bytes"),
        Issue::NotCompiled(construct, why) => Diagnostic::new(
            &codes::NOT_COMPILED,
            format!("{construct} cannot be compiled to tail_sampling: {why}"),
            span,
            construct,
        )
        .with_help("keep this condition in a CPL runtime (clarvynn, cpl-eval), or rewrite it without the construct"),
    }
}

/// One chain of rules: the rules and base rate that apply to one set of traces,
/// selected by `guards`.
#[derive(Debug)]
pub(crate) struct Chain<'p> {
    /// The prefix of every policy name of the chain (`cpl-`, `cpl-tenant-acme-root-`).
    pub(crate) prefix: String,
    /// Trace-level guards: an `ottl_condition` (or its negation, `true`) each.
    pub(crate) guards: Vec<(bool, Cond)>,
    /// The conditions in decision order.
    pub(crate) conditions: Vec<&'p Condition>,
    /// The base rate.
    pub(crate) base_rate: f64,
}

/// `Substring(span.trace_id.string, 18, 14) >= "<T>"`: the trace id's low 56 bits
/// (its last 14 hex digits; OTTL writes ids in lowercase hex) are at least `T`.
/// Equal-length lowercase hex strings compare as their numbers do.
pub(crate) fn rate_condition(threshold: u64) -> String {
    format!("Substring(span.trace_id.string, 18, 14) >= \"{threshold:014x}\"")
}

/// How a rate keeps traces: everything, nothing, or those with R >= T. T is CPL's own
/// threshold (spec/sampling.md), computed by `cpl-eval`, the same as replay's.
enum Rate {
    All,
    Nothing,
    AtLeast(u64),
}

fn rate(p: f64) -> Rate {
    if p >= 1.0 {
        return Rate::All;
    }
    match cpl_eval::threshold(p) {
        // T = 2^56 (rates up to 2^-54) is above every R: nothing is kept.
        Some(t) if t < 1 << 56 => Rate::AtLeast(t),
        _ => Rate::Nothing,
    }
}

impl Chain<'_> {
    fn emit(&self, conditions: &Conditions, out: &mut Vec<TailSamplingPolicy>) {
        let mut priors: Vec<String> = Vec::new();
        for (index, condition) in self.conditions.iter().enumerate() {
            if !condition.is_enabled() {
                continue;
            }
            let cond = conditions.get(condition);
            if *cond == Cond::Const(false) {
                // Matches no span: decides nothing, and rules out nothing after it.
                continue;
            }
            let text = cond.render();
            let name = format!("{}rule-{}-{}", self.prefix, index + 1, condition.name.value);
            if condition.action() == Action::Keep {
                match rate(condition.keep_rate()) {
                    Rate::Nothing => {}
                    rate => out.push(self.policy(&name, Some(&text), &priors, &rate)),
                }
            }
            if *cond == Cond::Const(true) {
                // Every trace has a span, so this rule decides every trace that
                // reaches it: later rules and the base rate never decide.
                return;
            }
            priors.push(text);
        }
        match rate(self.base_rate) {
            Rate::Nothing => {}
            rate => {
                let name = format!("{}base-rate", self.prefix);
                out.push(self.policy(&name, None, &priors, &rate));
            }
        }
    }

    /// The policy for a rule (`matched` = its condition) or the base rate (`None`).
    fn policy(
        &self,
        name: &str,
        matched: Option<&str>,
        priors: &[String],
        rate: &Rate,
    ) -> TailSamplingPolicy {
        let leaf = |suffix: &str, span: Vec<String>| OttlPolicy {
            name: format!("{name}/{suffix}"),
            span,
        };
        let mut subs = Vec::new();
        for (i, (negated, guard)) in self.guards.iter().enumerate() {
            let inner = leaf(&format!("tenant-{}", i + 1), vec![guard.render()]);
            subs.push(if *negated {
                SubPolicy::Not {
                    name: format!("{name}/not-tenant-{}", i + 1),
                    inner,
                }
            } else {
                SubPolicy::Ottl(inner)
            });
        }
        if let Some(text) = matched {
            subs.push(SubPolicy::Ottl(leaf("match", vec![text.to_owned()])));
        }
        if !priors.is_empty() {
            subs.push(SubPolicy::Not {
                name: format!("{name}/no-earlier-rule"),
                inner: leaf("earlier-rules", priors.to_vec()),
            });
        }
        if let Rate::AtLeast(t) = rate {
            subs.push(SubPolicy::Ottl(leaf("rate", vec![rate_condition(*t)])));
        }
        let kind = match subs.as_slice() {
            [] => PolicyKind::AlwaysSample,
            [SubPolicy::Ottl(only)] => PolicyKind::Ottl(only.span.clone()),
            _ => PolicyKind::And(subs),
        };
        TailSamplingPolicy {
            name: name.to_owned(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests;
