//! What a decision says, and the set of rules a trace matched.
//!
//! A keep/drop bit is not enough for a user who must trust a policy: every
//! [`Decision`] carries its [`Reason`] (the deciding rule, the base rate or the tenant's
//! base rate), and replay reports are sums of reasons. [`RuleSet`] is the small bit set
//! through which per-span matching (`Evaluator::add_matches`) feeds a per-trace decision
//! (`Evaluator::decide_trace`).

use std::fmt;

use cpl_syntax::Action;

/// Whether a trace (or span) is kept, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision<'e> {
    /// Keep (`true`) or drop.
    pub keep: bool,
    /// What decided it.
    pub reason: Reason<'e>,
}

/// What decided a trace (spec/sampling.md, "Reporting a decision").
///
/// Exhaustive on purpose: a report that sums decisions must account for every reason,
/// so a new one is a breaking change that its matches have to handle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason<'e> {
    /// A condition matched first.
    Rule {
        /// The rule's position in [`Evaluator::rules`](crate::Evaluator::rules).
        index: usize,
        /// The condition's name.
        name: &'e str,
        /// What the condition does with what it matches.
        action: Action,
        /// The probability of keeping a matching trace (0 for `action: drop`).
        rate: f64,
    },
    /// No condition matched; the policy's base rate decided.
    BaseRate {
        /// `sampling.base_rate`.
        rate: f64,
    },
    /// No condition matched; the base rate of the trace's tenant decided.
    TenantBaseRate {
        /// The tenant id.
        tenant: &'e str,
        /// The tenant override's `base_rate`.
        rate: f64,
    },
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Rule { name, .. } => write!(f, "rule {name}"),
            Reason::BaseRate { rate } => write!(f, "base rate {rate}"),
            Reason::TenantBaseRate { tenant, rate } => {
                write!(f, "tenant {tenant} base rate {rate}")
            }
        }
    }
}

/// `keep (rule server_errors)`, `drop (base rate 0.01)`,
/// `keep (tenant acme base rate 0.25)`.
impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.keep { "keep" } else { "drop" };
        write!(f, "{verdict} ({})", self.reason)
    }
}

/// A set of rule indices: the rules some spans matched.
///
/// The first 64 rules live inline, so a set never allocates for policies of up to 64
/// rules; larger indices spill into a vector that is reused after [`RuleSet::clear`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    inline: u64,
    spill: Vec<u64>,
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds rule `index`.
    pub fn insert(&mut self, index: usize) {
        if index < 64 {
            self.inline |= 1 << index;
        } else {
            let (word, bit) = ((index - 64) / 64, index % 64);
            if self.spill.len() <= word {
                self.spill.resize(word + 1, 0);
            }
            self.spill[word] |= 1 << bit;
        }
    }

    /// Whether rule `index` is in the set.
    #[inline]
    pub fn contains(&self, index: usize) -> bool {
        if index < 64 {
            self.inline & (1 << index) != 0
        } else {
            let (word, bit) = ((index - 64) / 64, index % 64);
            self.spill.get(word).is_some_and(|w| w & (1 << bit) != 0)
        }
    }

    /// Adds every rule of `other`: how the matches of a trace's spans are combined.
    pub fn union_with(&mut self, other: &RuleSet) {
        self.inline |= other.inline;
        if self.spill.len() < other.spill.len() {
            self.spill.resize(other.spill.len(), 0);
        }
        for (mine, theirs) in self.spill.iter_mut().zip(&other.spill) {
            *mine |= theirs;
        }
    }

    /// Whether no rule is in the set.
    pub fn is_empty(&self) -> bool {
        self.inline == 0 && self.spill.iter().all(|w| *w == 0)
    }

    /// The number of rules in the set.
    pub fn len(&self) -> usize {
        let count =
            self.inline.count_ones() + self.spill.iter().map(|w| w.count_ones()).sum::<u32>();
        count as usize
    }

    /// Removes every rule, keeping any spilled storage for reuse.
    pub fn clear(&mut self) {
        self.inline = 0;
        // `fill` on an empty vector still calls `memset`, which costs more than the rest
        // of a small policy's evaluation.
        if !self.spill.is_empty() {
            self.spill.fill(0);
        }
    }

    /// The rule indices in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.inline)
            .chain(self.spill.iter().copied())
            .enumerate()
            .flat_map(|(word, bits)| {
                (0..64)
                    .filter(move |bit| bits & (1u64 << bit) != 0)
                    .map(move |bit| word * 64 + bit)
            })
    }
}

impl FromIterator<usize> for RuleSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        let mut set = RuleSet::new();
        iter.into_iter().for_each(|index| set.insert(index));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sets_stay_inline() {
        let mut set = RuleSet::new();
        set.insert(0);
        set.insert(63);
        assert!(set.contains(0) && set.contains(63) && !set.contains(1));
        assert_eq!(set.spill.capacity(), 0);
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 63]);
    }

    #[test]
    fn large_indices_spill() {
        let mut a: RuleSet = [1, 64, 200].into_iter().collect();
        let b: RuleSet = [2, 65, 500].into_iter().collect();
        a.union_with(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 2, 64, 65, 200, 500]);
        assert_eq!(a.len(), 6);
        assert!(!a.contains(501) && !a.contains(10_000));
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.len(), 0);
    }

    #[test]
    fn decisions_print_their_reason() {
        let rule = Decision {
            keep: true,
            reason: Reason::Rule {
                index: 0,
                name: "server_errors",
                action: Action::Keep,
                rate: 1.0,
            },
        };
        assert_eq!(rule.to_string(), "keep (rule server_errors)");
        let base = Decision {
            keep: false,
            reason: Reason::BaseRate { rate: 0.01 },
        };
        assert_eq!(base.to_string(), "drop (base rate 0.01)");
        let tenant = Decision {
            keep: true,
            reason: Reason::TenantBaseRate {
                tenant: "acme",
                rate: 1.0,
            },
        };
        assert_eq!(tenant.to_string(), "keep (tenant acme base rate 1)");
    }
}
