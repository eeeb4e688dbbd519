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
mod trace;
mod yaml;

use std::collections::HashMap;
use std::ops::Range;

use cpl_syntax::{codes, Action, Condition, Diagnostic, Policy};

use cond::Cond;
use re2::Issue;
use trace::{Atom, Lit, Tf};

pub use trace::TraceLeaf;
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

/// A `span_count`, `latency`, `probabilistic` or `trace_flags` policy (or
/// sub-policy).
#[derive(Debug, Clone, PartialEq)]
pub struct LeafPolicy {
    /// The policy's name.
    pub name: String,
    /// What it tests.
    pub leaf: TraceLeaf,
}

/// A sub-policy of an `and` policy.
#[derive(Debug, Clone, PartialEq)]
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
    /// A trace-level leaf sub-policy.
    Trace(LeafPolicy),
    /// A `not` sub-policy named `name`, wrapping a trace-level leaf.
    NotTrace {
        /// The `not` policy's name.
        name: String,
        /// The policy it negates.
        inner: LeafPolicy,
    },
}

/// What a top-level policy is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PolicyKind {
    /// `always_sample`: keeps every trace (a policy that keeps everything).
    AlwaysSample,
    /// A single `ottl_condition`.
    Ottl(Vec<String>),
    /// An `and` of sub-policies.
    And(Vec<SubPolicy>),
    /// A single trace-level leaf policy.
    Trace(TraceLeaf),
}

/// One top-level `tail_sampling` policy.
#[derive(Debug, Clone, PartialEq)]
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
        chain
            .emit(&conditions, &mut policies)
            .map_err(|refusal| vec![*refusal])?;
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

/// What every CPL condition says about a trace ("some span satisfies it"), by its
/// place in the policy.
#[derive(Debug, Default)]
struct Conditions {
    by_span: HashMap<Range<usize>, Tf>,
}

impl Conditions {
    fn translate(
        &mut self,
        condition: &Condition,
        options: CompileOptions,
        problems: &mut Vec<Diagnostic>,
    ) {
        let mut translator = expr::Translator::default();
        let expr = &condition.when.expr;
        let mixed = translator.mixed(expr);
        let tf = translator.some_span(mixed, expr.span);
        let mut conds = Vec::new();
        tf.exists_conds(&mut conds);
        if conds.iter().any(trace::mentions_sampled) {
            for span in std::mem::take(&mut translator.sampled) {
                translator.inexact.push(expr::Inexact {
                    issue: Issue::NotCompiled(
                        "`sampled`",
                        "it compiles to the collector's `trace_flags` policy, \"some span is sampled\", and here it is combined with other tests on the same span (OTTL's `span.flags` is outside CPL's OTTL subset)",
                    ),
                    span,
                });
            }
        }
        for inexact in translator.inexact {
            let span = condition.when.file_span(inexact.span);
            problems.push(refusal(inexact.issue, span, options.allow_approximate));
        }
        self.by_span.insert(condition.span.clone(), tf);
    }

    fn get(&self, condition: &Condition) -> &Tf {
        self.by_span
            .get(&condition.span)
            .unwrap_or(&Tf::Const(false))
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
        Issue::Refused {
            construct,
            why,
            help,
        } => Diagnostic::new(
            &codes::NOT_COMPILED,
            format!("{construct} cannot be compiled to tail_sampling: {why}"),
            span,
            construct,
        )
        .with_help(help),
        Issue::TraceDuration if allow_approximate => Diagnostic::new(
            &codes::APPROXIMATE_TRACE_DURATION,
            "`trace_duration` compiled as the collector's `latency`, which also reads spans without a duration",
            span,
            "`trace_duration`",
        )
        .with_help("traces whose spans all have both times set, the end not before the start, are decided exactly"),
        Issue::TraceDuration => Diagnostic::new(
            &codes::TRACE_DURATION,
            "the collector's `latency` policy does not compute `trace_duration` as CPL does",
            span,
            "`trace_duration`",
        )
        .with_help("pass `--allow-approximate` if every span of your traces has both times set, the end not before the start"),
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

/// The most top-level policies one rule (or the base rate) may expand into.
const MAX_CASES: usize = 64;

/// A rule's earlier rules, as their negations enter its policy.
#[derive(Default)]
struct Priors<'p> {
    /// Conditions that are "some span satisfies C": one `not` of their list.
    plain: Vec<String>,
    /// Every other earlier rule's formula, and its condition.
    general: Vec<(&'p Tf, &'p Condition)>,
}

impl<'p> Chain<'p> {
    fn emit(
        &self,
        conditions: &'p Conditions,
        out: &mut Vec<TailSamplingPolicy>,
    ) -> Result<(), Box<Diagnostic>> {
        let mut priors = Priors::default();
        for (index, condition) in self.conditions.iter().enumerate() {
            if !condition.is_enabled() {
                continue;
            }
            let tf = conditions.get(condition);
            if *tf == Tf::Const(false) {
                // Matches no trace: decides nothing, and rules out nothing after it.
                continue;
            }
            let name = format!("{}rule-{}-{}", self.prefix, index + 1, condition.name.value);
            if condition.action() == Action::Keep {
                match rate(condition.keep_rate()) {
                    Rate::Nothing => {}
                    rate => self
                        .policies(&name, Some(tf), &priors, &rate, out)
                        .ok_or_else(|| Box::new(too_large(condition)))?,
                }
            }
            if *tf == Tf::Const(true) {
                // Every trace has a span, so this rule decides every trace that
                // reaches it: later rules and the base rate never decide.
                return Ok(());
            }
            match tf {
                Tf::Atom(Atom::Exists(cond)) => priors.plain.push(cond.render()),
                tf => priors.general.push((tf, condition)),
            }
        }
        match rate(self.base_rate) {
            Rate::Nothing => {}
            rate => {
                let name = format!("{}base-rate", self.prefix);
                self.policies(&name, None, &priors, &rate, out)
                    .ok_or_else(|| {
                        priors
                            .general
                            .last()
                            .map_or_else(|| too_large_at(0..0), |(_, c)| too_large(c))
                    })
                    .map_err(Box::new)?;
            }
        }
        Ok(())
    }

    /// The policies for a rule (`matched` = what its condition says about a trace) or
    /// the base rate (`None`): one per conjunction of the rule's match, its earlier
    /// rules' negations and the rate. `None` past [`MAX_CASES`].
    fn policies(
        &self,
        name: &str,
        matched: Option<&Tf>,
        priors: &Priors<'_>,
        rate: &Rate,
        out: &mut Vec<TailSamplingPolicy>,
    ) -> Option<()> {
        let cases_of_match = match matched {
            Some(tf) => trace::dnf(tf, true, MAX_CASES)?,
            None => vec![Vec::new()],
        };
        let mut earlier = vec![Vec::new()];
        for (tf, _) in &priors.general {
            earlier = trace::product(&earlier, &trace::dnf(tf, false, MAX_CASES)?, MAX_CASES)?;
        }
        let mut cases = Vec::new();
        for m in &cases_of_match {
            for e in &earlier {
                if e.iter()
                    .any(|(p, atom)| m.iter().any(|(q, b)| atom == b && p != q))
                {
                    continue;
                }
                let e: Vec<Lit> = e.iter().filter(|lit| !m.contains(lit)).cloned().collect();
                cases.push((m, e));
                if cases.len() > MAX_CASES {
                    return None;
                }
            }
        }
        let several = cases.len() > 1;
        for (k, (m, e)) in cases.into_iter().enumerate() {
            let name = if several {
                format!("{name}/{}", k + 1)
            } else {
                name.to_owned()
            };
            out.push(self.policy(&name, m, &e, &priors.plain, rate));
        }
        Some(())
    }

    /// One policy: the chain's guards, the literals of a case of the match, "no
    /// earlier rule" and the rate.
    fn policy(
        &self,
        name: &str,
        matched: &[Lit],
        earlier: &[Lit],
        plain: &[String],
        rate: &Rate,
    ) -> TailSamplingPolicy {
        let mut subs = Vec::new();
        for (i, (negated, guard)) in self.guards.iter().enumerate() {
            let lit = (!negated, Atom::Exists(guard.clone()));
            subs.push(sub(name, &format!("tenant-{}", i + 1), &lit));
        }
        for (i, lit) in matched.iter().enumerate() {
            let role = if matched.len() == 1 {
                "match".to_owned()
            } else {
                format!("match-{}", i + 1)
            };
            subs.push(sub(name, &role, lit));
        }
        let mut no_earlier: Vec<String> = plain.to_vec();
        let mut others = Vec::new();
        for lit in earlier {
            match lit {
                (false, Atom::Exists(cond)) => {
                    let text = cond.render();
                    if !no_earlier.contains(&text) {
                        no_earlier.push(text);
                    }
                }
                lit => others.push(lit),
            }
        }
        if !no_earlier.is_empty() {
            subs.push(SubPolicy::Not {
                name: format!("{name}/no-earlier-rule"),
                inner: OttlPolicy {
                    name: format!("{name}/earlier-rules"),
                    span: no_earlier,
                },
            });
        }
        for (i, lit) in others.into_iter().enumerate() {
            subs.push(sub(name, &format!("earlier-{}", i + 1), lit));
        }
        if let Rate::AtLeast(t) = rate {
            subs.push(SubPolicy::Ottl(OttlPolicy {
                name: format!("{name}/rate"),
                span: vec![rate_condition(*t)],
            }));
        }
        let kind = match subs.as_slice() {
            [] => PolicyKind::AlwaysSample,
            [SubPolicy::Ottl(only)] => PolicyKind::Ottl(only.span.clone()),
            [SubPolicy::Trace(only)] => PolicyKind::Trace(only.leaf.clone()),
            _ => PolicyKind::And(subs),
        };
        TailSamplingPolicy {
            name: name.to_owned(),
            kind,
        }
    }
}

/// The sub-policy `<policy>/<role>` for a test, or `<policy>/not-<role>` around it for
/// its negation.
fn sub(policy: &str, role: &str, (positive, atom): &Lit) -> SubPolicy {
    let inner_name = format!("{policy}/{role}");
    let not_name = format!("{policy}/not-{role}");
    match (positive, atom) {
        (true, Atom::Exists(cond)) => SubPolicy::Ottl(OttlPolicy {
            name: inner_name,
            span: vec![cond.render()],
        }),
        (false, Atom::Exists(cond)) => SubPolicy::Not {
            name: not_name,
            inner: OttlPolicy {
                name: inner_name,
                span: vec![cond.render()],
            },
        },
        (true, Atom::Leaf(leaf)) => SubPolicy::Trace(LeafPolicy {
            name: inner_name,
            leaf: leaf.clone(),
        }),
        (false, Atom::Leaf(leaf)) => SubPolicy::NotTrace {
            name: not_name,
            inner: LeafPolicy {
                name: inner_name,
                leaf: leaf.clone(),
            },
        },
    }
}

fn too_large(condition: &Condition) -> Diagnostic {
    too_large_at(condition.when.file_span(condition.when.expr.span))
}

fn too_large_at(span: Range<usize>) -> Diagnostic {
    Diagnostic::new(
        &codes::NOT_COMPILED,
        format!(
            "the rule's trace-level parts cannot be compiled to tail_sampling: with the earlier rules they need more than {MAX_CASES} policies"
        ),
        span,
        "trace-level parts",
    )
    .with_help("move rules with trace-level parts later, or split them")
}

#[cfg(test)]
mod tests;
