//! Satisfiability of string constraints on one value.
//!
//! Equalities are decided exactly by evaluating every other constraint on the one
//! candidate. Without an equality the engine builds candidates from the prefixes,
//! suffixes, substrings and regex samples and checks each one concretely; when none
//! fits it answers "unsatisfiable" only for the conflicts it can prove (incompatible
//! prefixes, a forbidden substring inside a required one, an empty range, …) and
//! "unknown" otherwise. Regular expressions are opaque: they are only ever *run*.

use std::cmp::Ordering;

use cpl_syntax::ast::{CompareOp, StringOp};

use super::formula::{Lit, Pred};
use super::span::{eval_pred, str_order, Val};
use super::Solved;

/// The shape a string variable's values always have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Any,
    /// Exactly this many lowercase hex digits (trace and span ids).
    Hex(usize),
}

impl Format {
    fn admits(self, text: &str) -> bool {
        match self {
            Format::Any => true,
            Format::Hex(len) => {
                text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        }
    }

    fn admits_piece(self, text: &str) -> bool {
        match self {
            Format::Any => true,
            Format::Hex(len) => {
                text.len() <= len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        }
    }
}

/// Decides `preds` (each with its polarity) on a string value of the given format.
pub(crate) fn solve(preds: &[(&Pred, bool)], format: Format) -> Solved<String> {
    let check = |text: &str| -> Option<bool> {
        if !format.admits(text) {
            return Some(false);
        }
        let value = Val::Str(text.into());
        let mut all = true;
        for (pred, positive) in preds {
            match eval_pred(pred, &value) {
                Some(v) if v == *positive => {}
                Some(_) => all = false,
                None => return None,
            }
        }
        Some(all)
    };
    let mut facts = Facts::default();
    for (pred, positive) in preds {
        facts.add(pred, *positive);
    }
    if let Some(first) = facts.eq.first() {
        return match check(first) {
            Some(true) => Solved::Sat((*first).to_owned()),
            Some(false) => Solved::Unsat,
            None => Solved::Unknown,
        };
    }
    if facts.proves_unsat(format) {
        return Solved::Unsat;
    }
    for candidate in facts.candidates(format) {
        if check(&candidate) == Some(true) {
            return Solved::Sat(candidate);
        }
    }
    Solved::Unknown
}

#[derive(Default)]
struct Facts<'p> {
    eq: Vec<&'p str>,
    ne: Vec<&'p str>,
    lower: Option<(&'p str, bool)>,
    upper: Option<(&'p str, bool)>,
    prefixes: Vec<&'p str>,
    not_prefixes: Vec<&'p str>,
    suffixes: Vec<&'p str>,
    not_suffixes: Vec<&'p str>,
    contains: Vec<&'p str>,
    not_contains: Vec<&'p str>,
    samples: Vec<&'p str>,
    /// A constraint that can never hold on a string.
    impossible: bool,
}

impl<'p> Facts<'p> {
    fn add(&mut self, pred: &'p Pred, positive: bool) {
        match pred {
            Pred::Exists => {
                if !positive {
                    self.impossible = true;
                }
            }
            Pred::Cmp(op, Lit::Str(c)) => {
                let op = if positive { *op } else { negate(*op) };
                let c: &str = c;
                match op {
                    CompareOp::Eq => self.eq.push(c),
                    CompareOp::Ne => self.ne.push(c),
                    CompareOp::Lt => self.tighten_upper(c, true),
                    CompareOp::Le => self.tighten_upper(c, false),
                    CompareOp::Gt => self.tighten_lower(c, true),
                    CompareOp::Ge => self.tighten_lower(c, false),
                }
            }
            // Any other literal never compares with a string: false, so a positive
            // occurrence cannot hold.
            Pred::Cmp(..) => {
                if positive {
                    self.impossible = true;
                }
            }
            Pred::Test(op, negated, text) => {
                let holds = positive != *negated;
                let text: &str = text;
                match (op, holds) {
                    (StringOp::StartsWith, true) => self.prefixes.push(text),
                    (StringOp::StartsWith, false) => self.not_prefixes.push(text),
                    (StringOp::EndsWith, true) => self.suffixes.push(text),
                    (StringOp::EndsWith, false) => self.not_suffixes.push(text),
                    (StringOp::Contains, true) => self.contains.push(text),
                    (StringOp::Contains, false) => self.not_contains.push(text),
                    (StringOp::Matches, _) => {}
                }
            }
            Pred::Matches(pattern, negated) => {
                if positive != *negated {
                    self.samples
                        .extend(pattern.samples.iter().map(String::as_str));
                }
            }
            Pred::Opaque(_) => {}
        }
    }

    fn tighten_upper(&mut self, c: &'p str, strict: bool) {
        let tighter = match self.upper {
            None => true,
            Some((u, s)) => match str_order(c, u) {
                Ordering::Less => true,
                Ordering::Equal => strict && !s,
                Ordering::Greater => false,
            },
        };
        if tighter {
            self.upper = Some((c, strict));
        }
    }

    fn tighten_lower(&mut self, c: &'p str, strict: bool) {
        let tighter = match self.lower {
            None => true,
            Some((l, s)) => match str_order(c, l) {
                Ordering::Greater => true,
                Ordering::Equal => strict && !s,
                Ordering::Less => false,
            },
        };
        if tighter {
            self.lower = Some((c, strict));
        }
    }

    fn longest(items: &[&'p str]) -> &'p str {
        items.iter().copied().max_by_key(|s| s.len()).unwrap_or("")
    }

    /// Conflicts that hold for every string, so "no candidate fits" is a proof.
    fn proves_unsat(&self, format: Format) -> bool {
        if self.impossible {
            return true;
        }
        let prefix = Self::longest(&self.prefixes);
        let suffix = Self::longest(&self.suffixes);
        if self.prefixes.iter().any(|p| !prefix.starts_with(p))
            || self.suffixes.iter().any(|s| !suffix.ends_with(s))
        {
            return true;
        }
        if self.not_prefixes.iter().any(|q| prefix.starts_with(q))
            || self.not_suffixes.iter().any(|q| suffix.ends_with(q))
        {
            return true;
        }
        let required = [prefix, suffix]
            .into_iter()
            .chain(self.contains.iter().copied());
        for piece in required {
            if self.not_contains.iter().any(|c| piece.contains(c)) {
                return true;
            }
        }
        // Every string contains "", starts and ends with "".
        if self.not_contains.contains(&"") {
            return true;
        }
        // An empty or inverted range.
        if let (Some((lo, lo_strict)), Some((hi, hi_strict))) = (self.lower, self.upper) {
            match str_order(lo, hi) {
                Ordering::Greater => return true,
                Ordering::Equal if lo_strict || hi_strict => return true,
                _ => {}
            }
        }
        // Nothing is below "".
        if self.upper == Some(("", true)) {
            return true;
        }
        if let Format::Hex(len) = format {
            let (min, max) = ("0".repeat(len), "f".repeat(len));
            if let Some((hi, strict)) = self.upper {
                let order = str_order(hi, &min);
                if order == Ordering::Less || (order == Ordering::Equal && strict) {
                    return true;
                }
            }
            if let Some((lo, strict)) = self.lower {
                let order = str_order(lo, &max);
                if order == Ordering::Greater || (order == Ordering::Equal && strict) {
                    return true;
                }
            }
        }
        // Every string with the prefix P lies in [P, P…]: a bound beyond that range
        // excludes them all.
        if !prefix.is_empty() {
            if let Some((hi, strict)) = self.upper {
                let order = str_order(hi, prefix);
                if order == Ordering::Less || (order == Ordering::Equal && strict) {
                    return true;
                }
            }
            if let Some((lo, _)) = self.lower {
                if !lo.starts_with(prefix) && str_order(lo, prefix) == Ordering::Greater {
                    return true;
                }
            }
        }
        if let Format::Hex(len) = format {
            let pieces = [prefix, suffix]
                .into_iter()
                .chain(self.contains.iter().copied());
            for piece in pieces {
                if !format.admits_piece(piece) {
                    return true;
                }
            }
            if prefix.len() > len || suffix.len() > len {
                return true;
            }
        }
        false
    }

    fn candidates(&self, format: Format) -> Vec<String> {
        let prefix = Self::longest(&self.prefixes);
        let suffix = Self::longest(&self.suffixes);
        let joined: String = self.contains.concat();
        let mut middles: Vec<String> = vec![String::new(), joined.clone()];
        for sample in &self.samples {
            middles.push((*sample).to_owned());
            middles.push(format!("{joined}{sample}"));
        }
        for filler in ["a", "x", "0", "zz", "\u{0}", "/"] {
            middles.push(format!("{joined}{filler}"));
        }
        let mut out = Vec::new();
        let mut push = |s: String| {
            if !out.contains(&s) {
                out.push(s);
            }
        };
        for middle in &middles {
            push(format!("{prefix}{middle}{suffix}"));
            // Overlapping prefix and suffix: "ab" + "bc" as "abc".
            let head = format!("{prefix}{middle}");
            for k in (1..=suffix.len().min(head.len())).rev() {
                if suffix.is_char_boundary(k) && head.ends_with(&suffix[..k]) {
                    push(format!("{head}{}", &suffix[k..]));
                    break;
                }
            }
            if let Format::Hex(len) = format {
                let used = prefix.len() + middle.len() + suffix.len();
                if used <= len {
                    push(format!(
                        "{prefix}{middle}{}{suffix}",
                        "0".repeat(len - used)
                    ));
                }
            }
        }
        for sample in &self.samples {
            push((*sample).to_owned());
        }
        if let Format::Hex(len) = format {
            push("0".repeat(len));
            push("f".repeat(len));
        }
        if let Some((lo, strict)) = self.lower {
            if !strict {
                push(lo.to_owned());
            }
            push(format!("{lo}\u{0}"));
            push(format!("{lo}a"));
            push(format!("{lo}{joined}{suffix}"));
        }
        if let Some((hi, strict)) = self.upper {
            if !strict {
                push(hi.to_owned());
            }
            // The string just below `hi` sharing its prefix: drop its last character.
            if let Some((cut, _)) = hi.char_indices().last() {
                push(hi[..cut].to_owned());
            }
        }
        // Exclusions: vary the main candidate until one is not excluded.
        for i in 0..=self.ne.len().min(64) {
            push(format!("{prefix}{joined}{i}{suffix}"));
        }
        out
    }
}

fn negate(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Eq => CompareOp::Ne,
        CompareOp::Ne => CompareOp::Eq,
        CompareOp::Lt => CompareOp::Ge,
        CompareOp::Le => CompareOp::Gt,
        CompareOp::Gt => CompareOp::Le,
        CompareOp::Ge => CompareOp::Lt,
    }
}

/// Strings the pattern probably matches (checked by the caller), built from its
/// syntax tree: the first alternative, the minimal repetition and the first class
/// member; then the last alternative, one more repetition and another member.
pub(crate) fn samples(pattern: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::ParserBuilder::new()
        .nest_limit(256)
        .build()
        .parse(pattern)
    else {
        return Vec::new();
    };
    [false, true]
        .into_iter()
        .filter_map(|varied| sample(&hir, varied))
        .collect()
}

fn sample(hir: &regex_syntax::hir::Hir, varied: bool) -> Option<String> {
    use regex_syntax::hir::{Class, HirKind};
    let mut out = String::new();
    let mut stack = vec![hir];
    while let Some(node) = stack.pop() {
        if out.len() > 4096 {
            return None;
        }
        match node.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
            HirKind::Class(Class::Unicode(class)) => {
                let ranges = class.ranges();
                let first = ranges.first()?;
                let pick = if ranges.iter().any(|r| r.start() <= 'a' && 'a' <= r.end()) {
                    'a'
                } else if varied && first.end() > first.start() {
                    char::from_u32(u32::from(first.start()) + 1).unwrap_or(first.start())
                } else {
                    first.start()
                };
                out.push(pick);
            }
            HirKind::Class(Class::Bytes(class)) => {
                let byte = class.ranges().first()?.start();
                if !byte.is_ascii() {
                    return None;
                }
                out.push(char::from(byte));
            }
            HirKind::Repetition(repetition) => {
                let mut count = repetition.min;
                if varied && repetition.max.is_none_or(|max| max > count) {
                    count += 1;
                }
                if count > 64 {
                    return None;
                }
                for _ in 0..count {
                    stack.push(&repetition.sub);
                }
            }
            HirKind::Capture(capture) => stack.push(&capture.sub),
            HirKind::Concat(items) => stack.extend(items.iter().rev()),
            HirKind::Alternation(items) => {
                stack.push(if varied {
                    items.last()?
                } else {
                    items.first()?
                });
            }
        }
    }
    Some(out)
}
