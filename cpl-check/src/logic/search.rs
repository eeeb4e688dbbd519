//! The decision procedure: formulas in negation normal form, a backtracking search over
//! their disjunctions, and a solver per variable.
//!
//! Formulas are put in negation normal form over *literals* (an atom or its negation)
//! and hash-consed, with `AND`/`OR` children flattened, sorted and deduplicated, so
//! that two conditions that differ only in operand order, parentheses, double negation
//! or De Morgan's laws become the same node. Nothing else is normalised: `NOT x < 500`
//! stays the negation of the atom `x < 500`, which a missing `x` satisfies, and is never
//! confused with `x >= 500`.
//!
//! Satisfiability is a depth-first search that keeps a set of literals and branches on
//! one disjunction at a time (DPLL without learning). Each literal added to a variable
//! is checked against the others on that variable at once, so conflicting branches are
//! cut early; a complete branch is solved exactly, including the links between a
//! derived field and its source attributes (`path` and `http.route`), turned into a
//! concrete [`SpanModel`] and evaluated before it is believed. Every step costs budget;
//! when the budget runs out the answer is Unknown, so no input makes the search hang.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use cpl_syntax::ast::CompareOp;

use super::formula::{Atom, BuiltinKey, Formula, Lit, Node, Pred, Var, KINDS, STATUSES};
use super::num::{
    float_millis_set, greatest_int, int_set, intersect, least_int, next_up, order, round_in, Num,
    MAX_DURATION,
};
use super::span::{eval_atom, eval_pred, AttrValue, SpanModel, Val};
use super::strings::{self, Format};
use super::Solved;

pub(crate) const TRUE: u32 = 0;
pub(crate) const FALSE: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum NNode {
    True,
    False,
    Lit(u32, bool),
    And(Box<[u32]>),
    Or(Box<[u32]>),
}

/// Formulas of one query, in negation normal form, hash-consed.
pub(crate) struct Query {
    pub(crate) atoms: Vec<Atom>,
    atom_ids: HashMap<Atom, u32>,
    pub(crate) nodes: Vec<NNode>,
    node_ids: HashMap<NNode, u32>,
    memo: HashMap<(usize, bool), u32>,
}

impl Query {
    pub(crate) fn new() -> Self {
        let mut query = Self {
            atoms: Vec::new(),
            atom_ids: HashMap::new(),
            nodes: Vec::new(),
            node_ids: HashMap::new(),
            memo: HashMap::new(),
        };
        query.intern(NNode::True);
        query.intern(NNode::False);
        query
    }

    fn intern(&mut self, node: NNode) -> u32 {
        if let Some(&id) = self.node_ids.get(&node) {
            return id;
        }
        let id = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(node.clone());
        self.node_ids.insert(node, id);
        id
    }

    fn atom(&mut self, atom: &Atom) -> u32 {
        if let Some(&id) = self.atom_ids.get(atom) {
            return id;
        }
        let id = u32::try_from(self.atoms.len()).unwrap_or(u32::MAX);
        self.atoms.push(atom.clone());
        self.atom_ids.insert(atom.clone(), id);
        id
    }

    /// The node of `formula` (or of its negation when `positive` is false).
    pub(crate) fn build(&mut self, formula: &Formula, positive: bool) -> u32 {
        let key = (Arc::as_ptr(&formula.0) as usize, positive);
        if let Some(&id) = self.memo.get(&key) {
            return id;
        }
        let id = match &*formula.0 {
            Node::Const(value) => {
                if *value == positive {
                    TRUE
                } else {
                    FALSE
                }
            }
            Node::Atom(atom) => {
                let atom = self.atom(atom);
                self.intern(NNode::Lit(atom, positive))
            }
            Node::Not(inner) => self.build(inner, !positive),
            Node::Fields(inner, _) => self.build(inner, positive),
            Node::And(items) | Node::Or(items) => {
                let children: Vec<u32> = items
                    .iter()
                    .map(|item| self.build(item, positive))
                    .collect();
                let conjunction = matches!(&*formula.0, Node::And(_)) == positive;
                if conjunction {
                    self.and(children)
                } else {
                    self.or(children)
                }
            }
        };
        self.memo.insert(key, id);
        id
    }

    pub(crate) fn and(&mut self, children: Vec<u32>) -> u32 {
        self.junction(children, true)
    }

    pub(crate) fn or(&mut self, children: Vec<u32>) -> u32 {
        self.junction(children, false)
    }

    fn junction(&mut self, children: Vec<u32>, conjunction: bool) -> u32 {
        let (unit, zero) = if conjunction {
            (TRUE, FALSE)
        } else {
            (FALSE, TRUE)
        };
        let mut flat = Vec::with_capacity(children.len());
        for child in children {
            match &self.nodes[child as usize] {
                NNode::And(items) if conjunction => flat.extend_from_slice(items),
                NNode::Or(items) if !conjunction => flat.extend_from_slice(items),
                _ if child == unit => {}
                _ if child == zero => return zero,
                _ => flat.push(child),
            }
        }
        flat.sort_unstable();
        flat.dedup();
        // `x AND NOT x` is false, `x OR NOT x` is true.
        let mut lits: HashMap<u32, bool> = HashMap::new();
        for &child in &flat {
            if let NNode::Lit(atom, positive) = self.nodes[child as usize] {
                if lits
                    .insert(atom, positive)
                    .is_some_and(|other| other != positive)
                {
                    return zero;
                }
            }
        }
        match flat.len() {
            0 => unit,
            1 => flat[0],
            _ => self.intern(if conjunction {
                NNode::And(flat.into())
            } else {
                NNode::Or(flat.into())
            }),
        }
    }
}

/// A persistent stack of node ids (the search's agenda), shared between branches.
#[derive(Clone, Default)]
struct List(Option<Rc<(u32, List)>>);

impl List {
    fn push(&self, head: u32) -> List {
        List(Some(Rc::new((head, self.clone()))))
    }

    fn pop(&self) -> Option<(u32, List)> {
        self.0.as_ref().map(|cell| (cell.0, cell.1.clone()))
    }
}

struct Choice {
    node: u32,
    next: usize,
    deferred: List,
    trail_len: usize,
}

/// The sorts of values a variable can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Missing,
    Num,
    NaN,
    Str,
    Bool,
    Other,
    Dur,
    Kind,
    Status,
}

fn sorts(var: &Var, integer_status: bool) -> &'static [Sort] {
    match var {
        Var::Span(_) | Var::Resource(_) => &[
            Sort::Missing,
            Sort::Num,
            Sort::Str,
            Sort::Bool,
            Sort::NaN,
            Sort::Other,
        ],
        Var::Field(BuiltinKey::StatusCode) if integer_status => {
            &[Sort::Missing, Sort::Num, Sort::Other]
        }
        Var::Field(BuiltinKey::StatusCode) => &[Sort::Missing, Sort::Num, Sort::NaN, Sort::Other],
        Var::Field(
            BuiltinKey::Method | BuiltinKey::Path | BuiltinKey::UserId | BuiltinKey::Service,
        ) => &[Sort::Missing, Sort::Str, Sort::Other],
        Var::Field(BuiltinKey::Duration) => &[Sort::Dur, Sort::Missing],
        Var::Field(BuiltinKey::Name | BuiltinKey::TraceId | BuiltinKey::SpanId) => &[Sort::Str],
        Var::Field(BuiltinKey::ParentSpanId) => &[Sort::Missing, Sort::Str],
        Var::Field(BuiltinKey::Kind) => &[Sort::Kind],
        Var::Field(BuiltinKey::Status) => &[Sort::Status],
    }
}

fn format(var: &Var) -> Format {
    match var {
        Var::Field(BuiltinKey::TraceId) => Format::Hex(32),
        Var::Field(BuiltinKey::SpanId | BuiltinKey::ParentSpanId) => Format::Hex(16),
        _ => Format::Any,
    }
}

/// Which sorts a variable may take in one case of a derived-field split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Any,
    Missing,
    Present,
}

/// How a derived field sees the value of its deciding source.
fn view_sort(field: BuiltinKey, sort: Sort) -> Sort {
    match (field, sort) {
        (BuiltinKey::StatusCode, Sort::Num | Sort::NaN) => sort,
        (
            BuiltinKey::Method | BuiltinKey::Path | BuiltinKey::UserId | BuiltinKey::Service,
            Sort::Str,
        ) => Sort::Str,
        _ => Sort::Other,
    }
}

fn representative(sort: Sort) -> Vec<Val<'static>> {
    match sort {
        Sort::Missing => vec![Val::Missing],
        Sort::NaN => vec![Val::Num(Num::Float(f64::NAN))],
        Sort::Other => vec![Val::Other],
        Sort::Bool => vec![Val::Bool(true), Val::Bool(false)],
        Sort::Kind => (0..6).map(Val::Kind).collect(),
        Sort::Status => (0..3).map(Val::Status).collect(),
        Sort::Num | Sort::Str | Sort::Dur => Vec::new(),
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

/// Whether every literal holds on `value`; `None` when an opaque predicate decides.
fn all_hold(preds: &[(&Pred, bool)], value: &Val<'_>) -> Option<bool> {
    let mut unknown = false;
    for (pred, positive) in preds {
        match eval_pred(pred, value) {
            Some(v) if v == *positive => {}
            Some(_) => return Some(false),
            None => unknown = true,
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}

/// Decides the numeric literals on a number value (ints only when `ints`).
fn solve_num(preds: &[(&Pred, bool)], ints: bool) -> Solved<Num> {
    let mut lower: Option<(Num, bool)> = None;
    let mut upper: Option<(Num, bool)> = None;
    let mut eq: Option<Num> = None;
    let mut ne: Vec<Num> = Vec::new();
    for (pred, positive) in preds {
        let (op, c) = match pred {
            Pred::Exists if *positive => continue,
            Pred::Exists => return Solved::Unsat,
            Pred::Cmp(op, Lit::Int(c)) => (*op, Num::Int(*c)),
            Pred::Cmp(op, Lit::Float(c)) => (*op, Num::Float(*c)),
            Pred::Opaque(_) => return Solved::Unknown,
            // Every other predicate is false on a number.
            _ if *positive => return Solved::Unsat,
            _ => continue,
        };
        let op = if *positive { op } else { negate(op) };
        match op {
            CompareOp::Eq => {
                if eq.is_some_and(|e| order(e, c) != std::cmp::Ordering::Equal) {
                    return Solved::Unsat;
                }
                eq = Some(c);
            }
            CompareOp::Ne => ne.push(c),
            CompareOp::Lt | CompareOp::Le => {
                let strict = op == CompareOp::Lt;
                let tighter = upper.is_none_or(|(u, s)| match order(c, u) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Equal => strict && !s,
                    std::cmp::Ordering::Greater => false,
                });
                if tighter {
                    upper = Some((c, strict));
                }
            }
            CompareOp::Gt | CompareOp::Ge => {
                let strict = op == CompareOp::Gt;
                let tighter = lower.is_none_or(|(l, s)| match order(c, l) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Equal => strict && !s,
                    std::cmp::Ordering::Less => false,
                });
                if tighter {
                    lower = Some((c, strict));
                }
            }
        }
    }
    let admits = |x: Num| -> bool {
        if let Num::Float(f) = x {
            if f.is_nan() || (ints) {
                return false;
            }
        }
        let above = lower.is_none_or(|(l, strict)| {
            let o = order(x, l);
            o == std::cmp::Ordering::Greater || (!strict && o == std::cmp::Ordering::Equal)
        });
        let below = upper.is_none_or(|(u, strict)| {
            let o = order(x, u);
            o == std::cmp::Ordering::Less || (!strict && o == std::cmp::Ordering::Equal)
        });
        above
            && below
            && !ne.iter().any(|n| order(*n, x) == std::cmp::Ordering::Equal)
            && eq.is_none_or(|e| order(e, x) == std::cmp::Ordering::Equal)
    };
    if let Some(e) = eq {
        // An equal int represents the value whatever the literal's type.
        let as_int =
            least_int(e, false).filter(|i| order(Num::Int(*i), e) == std::cmp::Ordering::Equal);
        if let Some(i) = as_int {
            if admits(Num::Int(i)) {
                return Solved::Sat(Num::Int(i));
            }
        }
        return if !ints && admits(e) {
            Solved::Sat(e)
        } else {
            Solved::Unsat
        };
    }
    // Readable candidates first: the least int, zero, the greatest int, a midpoint.
    let mut candidates = Vec::new();
    if let Some((l, strict)) = lower {
        candidates.extend(least_int(l, strict).map(Num::Int));
    }
    candidates.push(Num::Int(0));
    if let Some((u, strict)) = upper {
        candidates.extend(greatest_int(u, strict).map(Num::Int));
    }
    if !ints {
        if let (Some((l, _)), Some((u, _))) = (lower, upper) {
            let mid = f64::midpoint(as_f64(l), as_f64(u));
            if mid.is_finite() {
                candidates.push(Num::Float(mid));
            }
        }
    }
    for candidate in candidates {
        if admits(candidate) {
            return Solved::Sat(candidate);
        }
    }
    // Ints above the lower bound, stepping over excluded points.
    if let Some(mut i) = lower.map_or(Some(0), |(l, strict)| least_int(l, strict)) {
        for _ in 0..=ne.len().min(64) {
            if admits(Num::Int(i)) {
                return Solved::Sat(Num::Int(i));
            }
            let Some(next) = i.checked_add(1) else { break };
            i = next;
        }
    }
    // Exhaustive: from the least admissible value, step over the excluded points.
    let mut x = match lower {
        None if ints => Some(Num::Int(i64::MIN)),
        None => Some(Num::Float(f64::NEG_INFINITY)),
        Some((l, strict)) => {
            if ints {
                least_int(l, strict).map(Num::Int)
            } else if strict {
                next_up(l, false)
            } else {
                Some(l)
            }
        }
    };
    for _ in 0..=ne.len() {
        let Some(value) = x else {
            return Solved::Unsat;
        };
        if let Some((u, strict)) = upper {
            let o = order(value, u);
            if o == std::cmp::Ordering::Greater || (strict && o == std::cmp::Ordering::Equal) {
                return Solved::Unsat;
            }
        }
        if admits(value) {
            return Solved::Sat(value);
        }
        x = next_up(value, ints);
    }
    Solved::Unsat
}

#[allow(clippy::cast_precision_loss)]
fn as_f64(x: Num) -> f64 {
    match x {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

/// Decides the literals on a duration value.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn solve_dur(preds: &[(&Pred, bool)]) -> Solved<u64> {
    let domain = (0, MAX_DURATION);
    let mut set = vec![domain];
    for (pred, positive) in preds {
        let allowed = match pred {
            Pred::Exists if *positive => continue,
            Pred::Exists => return Solved::Unsat,
            Pred::Cmp(op, Lit::Int(ms)) => int_set(*op, i128::from(*ms) * 1_000_000, domain),
            Pred::Cmp(op, Lit::Dur(nanos)) => int_set(*op, i128::from(*nanos), domain),
            Pred::Cmp(op, Lit::Float(ms)) => float_millis_set(*op, *ms),
            Pred::Opaque(_) => return Solved::Unknown,
            _ if *positive => return Solved::Unsat,
            _ => continue,
        };
        let allowed = if *positive {
            allowed
        } else {
            super::num::complement(&allowed, domain)
        };
        set = intersect(&set, &allowed);
        if set.is_empty() {
            return Solved::Unsat;
        }
    }
    let (lo, hi) = set[0];
    Solved::Sat(round_in(lo, hi) as u64)
}

/// The literals of a variable: its own, and those of a derived field seen through it.
struct VarProblem<'a> {
    var: &'a Var,
    own: Vec<(&'a Pred, bool)>,
    viewed: Option<(BuiltinKey, Vec<(&'a Pred, bool)>)>,
    presence: Presence,
}

fn solve_var(problem: &VarProblem<'_>, integer_status: bool) -> Solved<Val<'static>> {
    let ints_for = |view: Option<BuiltinKey>| {
        integer_status
            && (matches!(problem.var, Var::Field(BuiltinKey::StatusCode))
                || view == Some(BuiltinKey::StatusCode))
    };
    let view_field = problem.viewed.as_ref().map(|(field, _)| *field);
    let ints = ints_for(view_field);
    let mut unknown = false;
    for &sort in sorts(problem.var, integer_status) {
        match (problem.presence, sort) {
            (Presence::Missing, s) if s != Sort::Missing => continue,
            (Presence::Present, Sort::Missing) => continue,
            _ => {}
        }
        if ints && sort == Sort::NaN {
            continue;
        }
        // The viewed literals join the theory when the view keeps the sort; otherwise
        // they are decided on the view's constant.
        let (joined, constant): (Vec<(&Pred, bool)>, Option<Sort>) = match &problem.viewed {
            Some((field, preds)) => {
                let seen = view_sort(*field, sort);
                if seen == sort {
                    (preds.clone(), None)
                } else {
                    (Vec::new(), Some(seen))
                }
            }
            None => (Vec::new(), None),
        };
        if let (Some(seen), Some((_, preds))) = (constant, &problem.viewed) {
            let value = representative(seen)
                .into_iter()
                .next()
                .unwrap_or(Val::Other);
            match all_hold(preds, &value) {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    unknown = true;
                    continue;
                }
            }
        }
        let mut preds = problem.own.clone();
        preds.extend(joined);
        let result = match sort {
            Sort::Num => solve_num(&preds, ints).map(Val::Num),
            Sort::Dur => solve_dur(&preds).map(Val::Dur),
            Sort::Str => strings::solve(&preds, format(problem.var)).map(|s| Val::Str(s.into())),
            _ => {
                let mut found = Solved::Unsat;
                for value in representative(sort) {
                    match all_hold(&preds, &value) {
                        Some(true) => {
                            found = Solved::Sat(value);
                            break;
                        }
                        Some(false) => {}
                        None => found = Solved::Unknown,
                    }
                }
                found
            }
        };
        match result {
            Solved::Sat(value) => return Solved::Sat(value),
            Solved::Unsat => {}
            Solved::Unknown => unknown = true,
        }
    }
    if unknown {
        Solved::Unknown
    } else {
        Solved::Unsat
    }
}

fn can_be_missing(var: &Var) -> bool {
    !matches!(
        var,
        Var::Field(
            BuiltinKey::Name
                | BuiltinKey::Kind
                | BuiltinKey::Status
                | BuiltinKey::TraceId
                | BuiltinKey::SpanId
        )
    )
}

/// One satisfiability search over a [`Query`].
pub(crate) struct Search<'q> {
    query: &'q Query,
    integer_status: bool,
    vars: Vec<Var>,
    var_index: HashMap<Var, usize>,
    var_of_atom: Vec<usize>,
    assign: Vec<Option<bool>>,
    trail: Vec<u32>,
    var_lits: Vec<Vec<(u32, bool)>>,
    var_positive: Vec<u32>,
    budget: u64,
}

impl<'q> Search<'q> {
    pub(crate) fn new(query: &'q Query, integer_status: bool, budget: u64) -> Self {
        let mut vars = Vec::new();
        let mut var_index = HashMap::new();
        let mut var_of_atom = Vec::with_capacity(query.atoms.len());
        for atom in &query.atoms {
            let index = *var_index.entry(atom.var.clone()).or_insert_with(|| {
                vars.push(atom.var.clone());
                vars.len() - 1
            });
            var_of_atom.push(index);
        }
        let count = vars.len();
        Self {
            query,
            integer_status,
            vars,
            var_index,
            var_of_atom,
            assign: vec![None; query.atoms.len()],
            trail: Vec::new(),
            var_lits: vec![Vec::new(); count],
            var_positive: vec![0; count],
            budget,
        }
    }

    fn charge(&mut self, cost: u64) -> bool {
        if self.budget < cost {
            self.budget = 0;
            false
        } else {
            self.budget -= cost;
            true
        }
    }

    fn undo_to(&mut self, len: usize) {
        while self.trail.len() > len {
            let Some(atom) = self.trail.pop() else { break };
            let var = self.var_of_atom[atom as usize];
            if let Some((_, positive)) = self.var_lits[var].pop() {
                if positive {
                    self.var_positive[var] -= 1;
                }
            }
            self.assign[atom as usize] = None;
        }
    }

    /// Adds a literal; `false` on a conflict.
    fn add_lit(&mut self, atom: u32, positive: bool) -> Result<bool, ()> {
        if let Some(value) = self.assign[atom as usize] {
            return Ok(value == positive);
        }
        self.assign[atom as usize] = Some(positive);
        self.trail.push(atom);
        let var = self.var_of_atom[atom as usize];
        self.var_lits[var].push((atom, positive));
        if positive {
            self.var_positive[var] += 1;
        }
        // Only negative literals on a variable that may be missing: "missing" satisfies
        // them all, no check needed.
        if self.var_positive[var] == 0 && can_be_missing(&self.vars[var]) {
            return Ok(true);
        }
        let cost = self.var_lits[var].len() as u64;
        if !self.charge(cost) {
            return Err(());
        }
        let problem = VarProblem {
            var: &self.vars[var],
            own: self.var_lits[var]
                .iter()
                .map(|&(a, p)| (&self.query.atoms[a as usize].pred, p))
                .collect(),
            viewed: None,
            presence: Presence::Any,
        };
        Ok(!matches!(
            solve_var(&problem, self.integer_status),
            Solved::Unsat
        ))
    }

    fn or_satisfied(&self, node: u32) -> bool {
        let NNode::Or(items) = &self.query.nodes[node as usize] else {
            return false;
        };
        items.iter().any(|&item| {
            matches!(self.query.nodes[item as usize], NNode::Lit(atom, positive) if self.assign[atom as usize] == Some(positive))
        })
    }

    /// Adds everything on the agenda; `Ok(false)` on a conflict, `Err` when out of budget.
    fn propagate(&mut self, mut agenda: List, deferred: &mut List) -> Result<bool, ()> {
        while let Some((node, rest)) = agenda.pop() {
            agenda = rest;
            if !self.charge(1) {
                return Err(());
            }
            match &self.query.nodes[node as usize] {
                NNode::True => {}
                NNode::False => return Ok(false),
                NNode::Lit(atom, positive) => {
                    if !self.add_lit(*atom, *positive)? {
                        return Ok(false);
                    }
                }
                NNode::And(items) => {
                    for &item in items.iter().rev() {
                        agenda = agenda.push(item);
                    }
                }
                NNode::Or(_) => *deferred = deferred.push(node),
            }
        }
        Ok(true)
    }

    /// Searches for a span satisfying node `root`.
    pub(crate) fn run(&mut self, root: u32) -> Solved<SpanModel> {
        let mut unknown = false;
        let mut choices: Vec<Choice> = Vec::new();
        let mut agenda = List::default().push(root);
        let mut deferred = List::default();
        loop {
            match self.propagate(agenda, &mut deferred) {
                Err(()) => return Solved::Unknown,
                Ok(false) => {}
                // Branch on the next open disjunction, or solve the complete branch.
                Ok(true) => loop {
                    let Some((node, rest)) = deferred.pop() else {
                        match self.leaf() {
                            Solved::Sat(span) => return Solved::Sat(span),
                            Solved::Unsat => {}
                            Solved::Unknown => unknown = true,
                        }
                        break;
                    };
                    deferred = rest;
                    if !self.or_satisfied(node) {
                        choices.push(Choice {
                            node,
                            next: 0,
                            deferred: deferred.clone(),
                            trail_len: self.trail.len(),
                        });
                        break;
                    }
                },
            }
            // Take the next untried child of the innermost open disjunction.
            loop {
                let Some(choice) = choices.last_mut() else {
                    return if unknown {
                        Solved::Unknown
                    } else {
                        Solved::Unsat
                    };
                };
                let trail_len = choice.trail_len;
                let child = match &self.query.nodes[choice.node as usize] {
                    NNode::Or(items) if choice.next < items.len() => items[choice.next],
                    _ => {
                        choices.pop();
                        self.undo_to(trail_len);
                        continue;
                    }
                };
                choice.next += 1;
                deferred = choice.deferred.clone();
                self.undo_to(trail_len);
                agenda = List::default().push(child);
                break;
            }
            if !self.charge(1) {
                return Solved::Unknown;
            }
        }
    }

    /// Solves a complete branch exactly and checks the span it builds.
    fn leaf(&mut self) -> Solved<SpanModel> {
        // Derived fields whose sources are constrained too are split into cases: which
        // source is the first present one (or none).
        let mut splits: Vec<(usize, Vec<Option<usize>>)> = Vec::new();
        for (index, var) in self.vars.iter().enumerate() {
            if self.var_lits[index].is_empty() {
                continue;
            }
            if let Var::Field(field) = var {
                if field.is_derived() {
                    let sources: Vec<Option<usize>> = field
                        .sources()
                        .iter()
                        .map(|source| {
                            self.var_index
                                .get(source)
                                .copied()
                                .filter(|&s| !self.var_lits[s].is_empty())
                        })
                        .collect();
                    if sources.iter().any(Option::is_some) {
                        splits.push((index, sources));
                    }
                }
            }
        }
        let mut case = vec![0_usize; splits.len()];
        let mut unknown = false;
        loop {
            if !self.charge(8) {
                return Solved::Unknown;
            }
            match self.try_case(&splits, &case) {
                Solved::Sat(span) => return Solved::Sat(span),
                Solved::Unsat => {}
                Solved::Unknown => unknown = true,
            }
            // Next combination of cases (each split has sources.len() + 1 cases).
            let mut position = 0;
            loop {
                if position == case.len() {
                    return if unknown {
                        Solved::Unknown
                    } else {
                        Solved::Unsat
                    };
                }
                case[position] += 1;
                if case[position] <= splits[position].1.len() {
                    break;
                }
                case[position] = 0;
                position += 1;
            }
        }
    }

    fn lits_of(&self, var: usize) -> Vec<(&'q Pred, bool)> {
        self.var_lits[var]
            .iter()
            .map(|&(a, p)| (&self.query.atoms[a as usize].pred, p))
            .collect()
    }

    fn try_case(
        &self,
        splits: &[(usize, Vec<Option<usize>>)],
        case: &[usize],
    ) -> Solved<SpanModel> {
        let count = self.vars.len();
        let mut presence = vec![Presence::Any; count];
        let mut viewed: Vec<Option<(BuiltinKey, usize)>> = vec![None; count];
        let mut absorbed = vec![false; count];
        // Derived fields solved on their own and written to an unconstrained source:
        // (variable, the source attribute that decides).
        let mut routes: Vec<(usize, &'static str)> = Vec::new();
        for (split, &chosen) in splits.iter().zip(case) {
            let (derived, sources) = split;
            let Var::Field(field) = self.vars[*derived] else {
                continue;
            };
            if chosen == sources.len() {
                presence[*derived] = Presence::Missing;
                for source in sources.iter().flatten() {
                    presence[*source] = Presence::Missing;
                }
                continue;
            }
            for source in sources[..chosen].iter().flatten() {
                if presence[*source] == Presence::Present {
                    return Solved::Unsat;
                }
                presence[*source] = Presence::Missing;
            }
            let is_url = field == BuiltinKey::Path && chosen >= 3;
            match sources[chosen] {
                // The path is computed from a URL that is itself constrained: decided only
                // when the URL cannot be present at all.
                Some(source) if is_url => {
                    // Both the URL and the path it gives must be present.
                    for var in [source, *derived] {
                        let problem = VarProblem {
                            var: &self.vars[var],
                            own: self.lits_of(var),
                            viewed: None,
                            presence: Presence::Present,
                        };
                        if solve_var(&problem, self.integer_status) == Solved::Unsat {
                            return Solved::Unsat;
                        }
                    }
                    return Solved::Unknown;
                }
                Some(source) => {
                    if presence[source] == Presence::Missing {
                        return Solved::Unsat;
                    }
                    presence[source] = Presence::Present;
                    viewed[source] = Some((field, *derived));
                    absorbed[*derived] = true;
                }
                None => {
                    presence[*derived] = Presence::Present;
                    routes.push((*derived, source_key(field, chosen)));
                }
            }
        }
        let mut values: Vec<Option<Val<'static>>> = vec![None; count];
        let mut unknown = false;
        for var in 0..count {
            let forced = presence[var] != Presence::Any;
            if absorbed[var] || (self.var_lits[var].is_empty() && viewed[var].is_none() && !forced)
            {
                continue;
            }
            let problem = VarProblem {
                var: &self.vars[var],
                own: self.lits_of(var),
                viewed: viewed[var].map(|(field, derived)| (field, self.lits_of(derived))),
                presence: presence[var],
            };
            match solve_var(&problem, self.integer_status) {
                Solved::Sat(value) => values[var] = Some(value),
                Solved::Unsat => return Solved::Unsat,
                Solved::Unknown => unknown = true,
            }
        }
        if unknown {
            return Solved::Unknown;
        }
        let Some(span) = self.realise(&values, &routes) else {
            return Solved::Unknown;
        };
        // Believe nothing that the concrete evaluation does not confirm.
        let confirmed = (0..count).all(|var| {
            self.var_lits[var].iter().all(|&(atom, positive)| {
                eval_atom(&self.query.atoms[atom as usize], &span) == Some(positive)
            })
        });
        if confirmed {
            Solved::Sat(span)
        } else {
            debug_assert!(false, "unconfirmed witness {span:?}");
            Solved::Unknown
        }
    }

    fn realise(
        &self,
        values: &[Option<Val<'static>>],
        routed: &[(usize, &'static str)],
    ) -> Option<SpanModel> {
        let mut span = SpanModel::default();
        for (var, value) in self.vars.iter().zip(values) {
            let Some(value) = value else { continue };
            let index = self.var_index.get(var).copied();
            let routed_key = routed
                .iter()
                .find(|(v, _)| Some(*v) == index)
                .map(|(_, key)| *key);
            match var {
                Var::Span(key) => set_attr(&mut span.attributes, key, value),
                Var::Resource(key) => set_attr(&mut span.resource, key, value),
                Var::Field(field) => match field {
                    BuiltinKey::StatusCode
                    | BuiltinKey::Method
                    | BuiltinKey::Path
                    | BuiltinKey::UserId => {
                        if *value == Val::Missing {
                            continue;
                        }
                        let key = routed_key.unwrap_or_else(|| source_key(*field, 0));
                        let value = if matches!(key, "url.full" | "http.url") {
                            match value {
                                Val::Str(path) => Val::Str(url_for(path)?.into()),
                                other => other.clone(),
                            }
                        } else {
                            value.clone()
                        };
                        let raw = raw_for(*field, &value);
                        set_attr(&mut span.attributes, key, &raw);
                    }
                    BuiltinKey::Service => {
                        if *value != Val::Missing {
                            let raw = raw_for(*field, value);
                            set_attr(&mut span.resource, "service.name", &raw);
                        }
                    }
                    BuiltinKey::Duration => {
                        span.duration_nanos = match value {
                            Val::Dur(d) => Some(*d),
                            _ => None,
                        };
                    }
                    BuiltinKey::Name => span.name = text(value)?,
                    BuiltinKey::TraceId => span.trace_id = text(value)?,
                    BuiltinKey::SpanId => span.span_id = text(value)?,
                    BuiltinKey::ParentSpanId => {
                        span.parent_span_id = match value {
                            Val::Missing => None,
                            other => Some(text(other)?),
                        };
                    }
                    BuiltinKey::Kind => {
                        if let Val::Kind(i) = value {
                            span.kind = KINDS.get(usize::from(*i))?;
                        }
                    }
                    BuiltinKey::Status => {
                        if let Val::Status(i) = value {
                            span.status = STATUSES.get(usize::from(*i))?;
                        }
                    }
                },
            }
        }
        Some(span)
    }
}

fn source_key(field: BuiltinKey, index: usize) -> &'static str {
    let sources: &'static [&'static str] = match field {
        BuiltinKey::StatusCode => cpl_syntax::fields::BuiltinField::StatusCode.attribute_sources(),
        BuiltinKey::Method => cpl_syntax::fields::BuiltinField::Method.attribute_sources(),
        BuiltinKey::Path => cpl_syntax::fields::BuiltinField::Path.attribute_sources(),
        BuiltinKey::UserId => cpl_syntax::fields::BuiltinField::UserId.attribute_sources(),
        _ => &[],
    };
    sources.get(index).copied().unwrap_or("")
}

/// A URL whose path component is `path`, if there is one that is easy to write.
fn url_for(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("http://h".to_owned());
    }
    (path.starts_with('/') && !path.contains(['?', '#'])).then(|| format!("http://h{path}"))
}

fn text(value: &Val<'_>) -> Option<String> {
    match value {
        Val::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// The raw attribute value that makes a derived field read `value`.
fn raw_for(field: BuiltinKey, value: &Val<'_>) -> Val<'static> {
    match value {
        // A value of the wrong type: a string for `status_code`, an int for the others.
        Val::Other if field == BuiltinKey::StatusCode => Val::Str("x".into()),
        Val::Other => Val::Num(Num::Int(0)),
        other => to_static(other),
    }
}

fn to_static(value: &Val<'_>) -> Val<'static> {
    match value {
        Val::Str(s) => Val::Str(s.to_string().into()),
        Val::Missing => Val::Missing,
        Val::Num(n) => Val::Num(*n),
        Val::Bool(b) => Val::Bool(*b),
        Val::Other => Val::Other,
        Val::Dur(d) => Val::Dur(*d),
        Val::Kind(k) => Val::Kind(*k),
        Val::Status(s) => Val::Status(*s),
    }
}

fn set_attr(list: &mut Vec<(String, AttrValue)>, key: &str, value: &Val<'_>) {
    let raw = match value {
        Val::Missing | Val::Dur(_) | Val::Kind(_) | Val::Status(_) => return,
        Val::Num(Num::Int(i)) => AttrValue::Int(*i),
        Val::Num(Num::Float(f)) => AttrValue::Double(*f),
        Val::Str(s) => AttrValue::Str(s.to_string()),
        Val::Bool(b) => AttrValue::Bool(*b),
        Val::Other => AttrValue::Array,
    };
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = raw,
        None => list.push((key.to_owned(), raw)),
    }
}
