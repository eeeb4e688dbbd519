//! Trace-level formulas: what a rule's match, its "no earlier rule" and its guards say
//! about a whole trace, and their expansion into the `and` policies v0.161 can hold.
//!
//! A CPL condition is true or false per span, with its trace-level parts (`any(…)`,
//! `trace_duration`, `span_count`, `fnv_sample`) one value for the whole trace. It
//! matches a trace when some span satisfies it. The collector's policies that fit under
//! `and` (and singly under `not`) are each one trace-level test: "some span satisfies
//! an OTTL condition" (`ottl_condition`), `span_count`, `latency`, `probabilistic`,
//! `trace_flags`. So a condition with trace-level parts `T1 … Tk` is expanded by cases
//! (Shannon): "some span satisfies `C`" is the OR over the assignments `a` of the `Ti` of
//! `(T = a) AND some span satisfies C[T := a]`, exact because each `Ti` has one value
//! on every span. The policy of a rule is then an AND of such formulas and their
//! negations, written in disjunctive normal form: one top-level `and` policy per
//! conjunction of tests and negated tests, the OR of which is the rule's vote.

use super::cond::{self, Cond};

/// One collector policy that fits under `and` and `not`, other than `ottl_condition`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TraceLeaf {
    /// `span_count`: the trace has at least `min_spans` spans and, when `max_spans`
    /// is not 0, at most `max_spans`.
    SpanCount {
        /// The inclusive lower bound.
        min_spans: i32,
        /// The inclusive upper bound; 0 is none.
        max_spans: i32,
    },
    /// `latency` without an upper bound: the trace lasts more than `threshold_ms`
    /// whole milliseconds.
    Latency {
        /// The exclusive lower bound, in whole milliseconds.
        threshold_ms: i64,
    },
    /// `probabilistic`: FNV-1a of the salt and the trace id at most the threshold of
    /// the percentage.
    Probabilistic {
        /// The percentage, as CPL read the literal.
        sampling_percentage: f64,
        /// The salt (never empty: the collector replaces `""` with its default).
        hash_salt: String,
    },
    /// `trace_flags`: some span has the W3C sampled flag.
    TraceFlags,
}

/// A trace-level test: some span satisfies an OTTL condition, or a leaf policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom {
    Exists(Cond),
    Leaf(TraceLeaf),
}

/// A boolean formula over trace-level tests.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tf {
    Const(bool),
    Atom(Atom),
    And(Vec<Tf>),
    Or(Vec<Tf>),
    Not(Box<Tf>),
}

pub(crate) fn leaf(leaf: TraceLeaf) -> Tf {
    Tf::Atom(Atom::Leaf(leaf))
}

/// Some span satisfies `cond`: every trace has a span, so `true` stays `true`.
pub(crate) fn exists(cond: Cond) -> Tf {
    match cond {
        Cond::Const(value) => Tf::Const(value),
        cond if cond == sampled() => leaf(TraceLeaf::TraceFlags),
        cond => Tf::Atom(Atom::Exists(cond)),
    }
}

pub(crate) fn and(items: impl IntoIterator<Item = Tf>) -> Tf {
    let mut kept = Vec::new();
    for item in items {
        match item {
            Tf::Const(false) => return Tf::Const(false),
            Tf::Const(true) => {}
            Tf::And(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Tf::Const(true),
        1 => kept.pop().unwrap_or(Tf::Const(true)),
        _ => Tf::And(kept),
    }
}

pub(crate) fn or(items: impl IntoIterator<Item = Tf>) -> Tf {
    let mut kept = Vec::new();
    for item in items {
        match item {
            Tf::Const(true) => return Tf::Const(true),
            Tf::Const(false) => {}
            Tf::Or(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Tf::Const(false),
        1 => kept.pop().unwrap_or(Tf::Const(false)),
        _ => Tf::Or(kept),
    }
}

pub(crate) fn not(item: Tf) -> Tf {
    match item {
        Tf::Const(value) => Tf::Const(!value),
        Tf::Not(inner) => *inner,
        other => Tf::Not(Box::new(other)),
    }
}

/// The span-level marker of the W3C sampled flag. OTTL reads `span.flags` at v0.161,
/// but CPL's OTTL subset (spec/targets/otel-collector.md §2.6) does not, so a
/// compiled config that used it could not be replayed or linted by `cpl`: the flag
/// compiles only where it is a whole trace-level test, "some span is sampled", which
/// is the `trace_flags` policy. A condition that still holds the marker is refused.
pub(crate) fn sampled() -> Cond {
    cond::call("span.flags.sampled".to_owned())
}

/// Whether `cond` still reads the sampled flag at span level.
pub(crate) fn mentions_sampled(cond: &Cond) -> bool {
    match cond {
        Cond::Const(_) => false,
        atom @ Cond::Atom { .. } => *atom == sampled(),
        Cond::And(items) | Cond::Or(items) => items.iter().any(mentions_sampled),
        Cond::Not(inner) => mentions_sampled(inner),
    }
}

impl Tf {
    /// Every `Exists` condition of the formula.
    pub(crate) fn exists_conds(&self, out: &mut Vec<Cond>) {
        match self {
            Tf::Const(_) | Tf::Atom(Atom::Leaf(_)) => {}
            Tf::Atom(Atom::Exists(cond)) => out.push(cond.clone()),
            Tf::And(items) | Tf::Or(items) => {
                for item in items {
                    item.exists_conds(out);
                }
            }
            Tf::Not(inner) => inner.exists_conds(out),
        }
    }
}

/// A span-level formula with trace-level parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mixed {
    Span(Cond),
    Trace(Tf),
    And(Vec<Mixed>),
    Or(Vec<Mixed>),
    Not(Box<Mixed>),
}

impl Mixed {
    /// The formula with constants folded and span-only parts merged into one `Cond`.
    pub(crate) fn fold(self) -> Mixed {
        match self {
            Mixed::Trace(Tf::Const(value)) => Mixed::Span(Cond::Const(value)),
            Mixed::Span(_) | Mixed::Trace(_) => self,
            Mixed::Not(inner) => match inner.fold() {
                Mixed::Span(cond) => Mixed::Span(cond::not(cond)),
                Mixed::Trace(tf) => Mixed::Trace(not(tf)),
                other => Mixed::Not(Box::new(other)),
            },
            Mixed::And(items) => Self::fold_list(items, true),
            Mixed::Or(items) => Self::fold_list(items, false),
        }
    }

    fn fold_list(items: Vec<Mixed>, conjunction: bool) -> Mixed {
        let mut spans = Vec::new();
        let mut rest = Vec::new();
        for item in items {
            match item.fold() {
                Mixed::Span(cond) => spans.push(cond),
                other => rest.push(other),
            }
        }
        let span = if conjunction {
            cond::and(spans)
        } else {
            cond::or(spans)
        };
        match span {
            Cond::Const(value) if value != conjunction => return Mixed::Span(span),
            Cond::Const(_) => {}
            span => rest.insert(0, Mixed::Span(span)),
        }
        match rest.len() {
            0 => Mixed::Span(Cond::Const(conjunction)),
            1 => rest.pop().unwrap_or(Mixed::Span(Cond::Const(conjunction))),
            _ if conjunction => Mixed::And(rest),
            _ => Mixed::Or(rest),
        }
    }

    fn first_trace_part(&self) -> Option<&Tf> {
        match self {
            Mixed::Span(_) => None,
            Mixed::Trace(tf) => Some(tf),
            Mixed::And(items) | Mixed::Or(items) => items.iter().find_map(Mixed::first_trace_part),
            Mixed::Not(inner) => inner.first_trace_part(),
        }
    }

    fn assign(self, part: &Tf, value: bool) -> Mixed {
        match self {
            Mixed::Trace(tf) if tf == *part => Mixed::Span(Cond::Const(value)),
            Mixed::Span(_) | Mixed::Trace(_) => self,
            Mixed::And(items) => {
                Mixed::And(items.into_iter().map(|i| i.assign(part, value)).collect())
            }
            Mixed::Or(items) => {
                Mixed::Or(items.into_iter().map(|i| i.assign(part, value)).collect())
            }
            Mixed::Not(inner) => Mixed::Not(Box::new(inner.assign(part, value))),
        }
    }
}

/// The most trace-level parts one `any(…)` or condition may expand over (2^k cases).
pub(crate) const MAX_PARTS: usize = 8;

/// "Some span satisfies `mixed`" as a trace-level formula, by cases over its
/// trace-level parts. `None` when it has more than [`MAX_PARTS`] of them.
pub(crate) fn some_span(mixed: Mixed) -> Option<Tf> {
    some_span_within(mixed.fold(), MAX_PARTS)
}

fn some_span_within(mixed: Mixed, budget: usize) -> Option<Tf> {
    let Some(part) = mixed.first_trace_part().cloned() else {
        return match mixed {
            Mixed::Span(cond) => Some(exists(cond)),
            // Folding leaves no composite without a trace-level part.
            _ => None,
        };
    };
    let budget = budget.checked_sub(1)?;
    let when_true = some_span_within(mixed.clone().assign(&part, true).fold(), budget)?;
    let when_false = some_span_within(mixed.assign(&part, false).fold(), budget)?;
    // (T and X) or (not T and Y), simplified where X or Y is a constant or X = Y.
    Some(match (&when_true, &when_false) {
        _ if when_true == when_false => when_true,
        (Tf::Const(true), _) => or([part, when_false]),
        (_, Tf::Const(true)) => or([not(part), when_true]),
        _ => or([and([part.clone(), when_true]), and([not(part), when_false])]),
    })
}

/// A test or its negation.
pub(crate) type Lit = (bool, Atom);

/// The formula (or its negation, `positive == false`) in disjunctive normal form: an
/// OR of ANDs of tests. Contradictory conjunctions are left out and repeated tests
/// written once. `None` past `limit` conjunctions.
pub(crate) fn dnf(tf: &Tf, positive: bool, limit: usize) -> Option<Vec<Vec<Lit>>> {
    match tf {
        Tf::Const(value) => Some(if *value == positive {
            vec![Vec::new()]
        } else {
            Vec::new()
        }),
        Tf::Atom(atom) => Some(vec![vec![(positive, atom.clone())]]),
        Tf::Not(inner) => dnf(inner, !positive, limit),
        Tf::And(items) | Tf::Or(items) => {
            let conjunction = matches!(tf, Tf::And(_)) == positive;
            if conjunction {
                let mut terms = vec![Vec::new()];
                for item in items {
                    terms = product(&terms, &dnf(item, positive, limit)?, limit)?;
                }
                Some(terms)
            } else {
                let mut terms = Vec::new();
                for item in items {
                    terms.extend(dnf(item, positive, limit)?);
                    if terms.len() > limit {
                        return None;
                    }
                }
                Some(terms)
            }
        }
    }
}

/// The conjunctions of one term of `left` and one of `right`.
pub(crate) fn product(
    left: &[Vec<Lit>],
    right: &[Vec<Lit>],
    limit: usize,
) -> Option<Vec<Vec<Lit>>> {
    let mut out = Vec::new();
    for a in left {
        'term: for b in right {
            let mut term = a.clone();
            for lit in b {
                if term.iter().any(|(p, atom)| atom == &lit.1 && *p != lit.0) {
                    continue 'term;
                }
                if !term.contains(lit) {
                    term.push(lit.clone());
                }
            }
            out.push(term);
            if out.len() > limit {
                return None;
            }
        }
    }
    Some(out)
}
