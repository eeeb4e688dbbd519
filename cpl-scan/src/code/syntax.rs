//! The part of the code scanner every language shares: a parsed file, a
//! language-neutral view of expression nodes, the file's definitions
//! (variables, constants, helper functions), and the evaluator that turns an
//! expression into a [`Sampler`], a [`Ratio`], a string or a propagator list
//! by following definitions within the file.
//!
//! Each language module says what its nodes mean ([`Lang::view`]) and which
//! calls build samplers ([`Lang::sampler_ctor`]); everything else is here, so
//! the five languages follow indirection the same way.
//!
//! Bounds: the evaluator recurses at most [`MAX_DEPTH`] levels (a deeper
//! expression, or a definition cycle, becomes dynamic), and every walk over the
//! tree is iterative, so no input can exhaust the stack.

use super::{CodeFinding, CodeFindingKind};
use crate::model::{Language, Location, Ratio, Sampler};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use streaming_iterator::StreamingIterator as _;
use tree_sitter::{Node, Query, QueryCursor, Tree};

/// How many definitions, helper calls and nested constructors the evaluator
/// follows before it calls an expression dynamic.
pub(crate) const MAX_DEPTH: usize = 24;

/// The longest expression text kept in a dynamic value (longer texts are cut
/// at a character boundary and end in `…`).
const MAX_EXPRESSION_CHARS: usize = 160;

/// How many query matches one file may produce before the scan of that file
/// stops (a bound against pathological inputs; real files have hundreds).
const MAX_MATCHES: usize = 100_000;

/// A parsed source file.
pub(crate) struct Src<'t> {
    pub(crate) path: &'t str,
    pub(crate) bytes: &'t [u8],
    pub(crate) language: Language,
    pub(crate) tree: &'t Tree,
}

impl<'t> Src<'t> {
    /// The node's text (lossy for bytes that are not UTF-8).
    pub(crate) fn text(&self, node: Node<'_>) -> String {
        let range = node.byte_range();
        self.bytes
            .get(range)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// The node's text, cut to [`MAX_EXPRESSION_CHARS`] with whitespace runs
    /// collapsed, for dynamic values.
    pub(crate) fn expression(&self, node: Node<'_>) -> String {
        let text = self.text(node);
        let mut out = String::new();
        let mut chars = 0;
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            for c in word.chars() {
                if chars == MAX_EXPRESSION_CHARS {
                    out.push('…');
                    return out;
                }
                out.push(c);
                chars += 1;
            }
        }
        out
    }

    /// Where the node starts: 1-based line and column (in characters).
    pub(crate) fn location(&self, node: Node<'_>) -> Location {
        let start = node.start_byte().min(self.bytes.len());
        let line_start = self.bytes[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self.bytes[line_start..start]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        Location {
            path: self.path.to_owned(),
            line: u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn finding(&self, node: Node<'_>, kind: CodeFindingKind) -> CodeFinding {
        CodeFinding {
            location: self.location(node),
            language: self.language,
            kind,
        }
    }

    /// The nodes captured as `@anchor` by `query`, in document order. The match
    /// count is bounded by [`MAX_MATCHES`].
    pub(crate) fn anchors(&self, query: &Query) -> Vec<Node<'t>> {
        let Some(index) = query.capture_index_for_name("anchor") else {
            return Vec::new();
        };
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(4096);
        let mut matches = cursor.matches(query, self.tree.root_node(), self.bytes);
        let mut out = Vec::new();
        while let Some(m) = matches.next() {
            out.extend(m.nodes_for_capture_index(index));
            if out.len() >= MAX_MATCHES {
                break;
            }
        }
        out.sort_by_key(Node::start_byte);
        out.dedup();
        out
    }
}

/// Every node under `root` (itself included) in document order, without
/// recursion. `skip` prunes subtrees (their root is still yielded).
pub(crate) fn descendants<'t>(
    root: Node<'t>,
    mut skip: impl FnMut(Node<'t>) -> bool,
) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        out.push(node);
        let descend = node == root || !skip(node);
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == root {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// A call or constructor, as every language's view presents it.
#[derive(Debug, Clone)]
pub(crate) struct Call<'t> {
    pub(crate) node: Node<'t>,
    /// The callee's last name (`TraceIDRatioBased` in `sdktrace.TraceIDRatioBased`),
    /// after the file's import aliases.
    pub(crate) name: String,
    /// The receiver or package text when it is a plain (dotted) name
    /// (`sdktrace`, `Sampler`, `opentelemetry.sdk.trace.sampling`).
    pub(crate) qualifier: Option<String>,
    /// The receiver expression (a builder chain's previous call).
    pub(crate) receiver: Option<Node<'t>>,
    pub(crate) args: Vec<Arg<'t>>,
    /// `new T(...)`, a Go composite literal `T{...}`.
    pub(crate) is_new: bool,
}

/// One argument: named (Python keyword, C# `name:`) or positional.
#[derive(Debug, Clone)]
pub(crate) struct Arg<'t> {
    pub(crate) name: Option<String>,
    pub(crate) value: Node<'t>,
}

/// What an expression node is, language-neutrally.
#[derive(Debug, Clone)]
pub(crate) enum View<'t> {
    Call(Call<'t>),
    /// A plain identifier (a variable, constant or parameter).
    Name(String),
    /// `object.name` that is not called (Python `sampling.ALWAYS_ON`).
    Member(String),
    Number(f64),
    Str(String),
    /// An environment variable read (`os.Getenv("X")`, `process.env.X`, ...).
    Env(String),
    /// An environment variable read with a default written in code (Python's
    /// `os.getenv("X", "0.1")`, `os.environ.get("X", "0.1")`): the name and the
    /// default's expression.
    EnvDefault(String, Node<'t>),
    /// A list or array literal's elements.
    Seq(Vec<Node<'t>>),
    /// An object or dictionary literal's entries (key text, value).
    Object(Vec<(String, Node<'t>)>),
    /// Means the same as the inner expression (parentheses, a cast, a
    /// conversion such as `float(x)` or `strconv.ParseFloat(x, 64)`).
    Wrap(Node<'t>),
    /// `-x`.
    Neg(Node<'t>),
    Other,
}

/// What a recognised sampler constructor builds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ctor {
    AlwaysOn,
    AlwaysOff,
    /// `TraceIdRatioBased(p)`; `default` is the ratio when the argument is
    /// absent (JavaScript's `new TraceIdRatioBasedSampler()` is 0).
    TraceIdRatio {
        default: Option<f64>,
    },
    /// `ParentBased(root, ...)` with named, positional, option or object
    /// arguments for the four parent cases.
    ParentBased,
    /// Python's `ParentBasedTraceIdRatio(rate)`.
    ParentBasedRatio,
    /// Java's `Sampler.parentBasedBuilder(root)`: completed by `.build()`.
    ParentBasedBuilder,
    /// Go's `AlwaysRecord(root)`: records what the root drops, samples as it does.
    SameAsFirstArg,
    JaegerRemote,
    XRay,
    Probability,
}

/// What a language module tells the shared evaluator.
pub(crate) trait Lang {
    /// The language-neutral view of an expression node.
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t>;
    /// The sampler a call builds, if it is one of the SDK's constructors.
    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor>;
    /// A sampler named by a bare constant (Python's `ALWAYS_ON`).
    fn sampler_constant(&self, _name: &str) -> Option<Sampler> {
        None
    }
    /// A builder's terminal call (`build` in Java).
    fn is_build(&self, name: &str) -> bool {
        name == "build" || name == "Build"
    }
}

/// A helper function defined in the file.
#[derive(Debug, Clone)]
pub(crate) struct FuncDef<'t> {
    pub(crate) params: Vec<String>,
    /// Every returned expression (an arrow function's body counts as one).
    pub(crate) returns: Vec<Node<'t>>,
}

/// The file's definitions: values bound to names and helper functions. Scopes
/// are not modelled: a name used at byte `b` means the nearest definition
/// before `b`, or the first one after it (a constant declared lower down).
#[derive(Debug, Default)]
pub(crate) struct Defs<'t> {
    pub(crate) values: HashMap<String, Vec<Node<'t>>>,
    pub(crate) funcs: HashMap<String, Vec<FuncDef<'t>>>,
}

impl<'t> Defs<'t> {
    pub(crate) fn value(&mut self, name: String, value: Node<'t>) {
        self.values.entry(name).or_default().push(value);
    }

    pub(crate) fn func(&mut self, name: String, def: FuncDef<'t>) {
        self.funcs.entry(name).or_default().push(def);
    }

    fn lookup_value(&self, name: &str, at: usize) -> Option<Node<'t>> {
        let nodes = self.values.get(name)?;
        nodes
            .iter()
            .filter(|n| n.start_byte() < at)
            .max_by_key(|n| n.start_byte())
            .or_else(|| nodes.iter().min_by_key(|n| n.start_byte()))
            .copied()
    }
}

/// Collects the expressions of `return` statements under a function body,
/// not descending into nested functions.
pub(crate) fn returns_in<'t>(
    body: Node<'t>,
    is_return: &str,
    is_function: impl Fn(&str) -> bool,
) -> Vec<Node<'t>> {
    descendants(body, |n| is_function(n.kind()))
        .into_iter()
        .filter(|n| n.kind() == is_return)
        .filter_map(|n| n.named_child(0))
        .collect()
}

/// Parameter bindings of the helper calls being followed.
#[derive(Debug, Default)]
pub(crate) struct Scope<'t> {
    bindings: Vec<(String, Node<'t>, Rc<Scope<'t>>)>,
}

impl<'t> Scope<'t> {
    fn lookup(&self, name: &str) -> Option<(Node<'t>, Rc<Scope<'t>>)> {
        self.bindings
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, node, scope)| (*node, Rc::clone(scope)))
    }
}

/// How many expression nodes one evaluation (one sampler, ratio, string or
/// propagator list) may visit, and one file in total: definitions can share
/// sub-expressions (`b := ParentBased(a, WithRemoteParentSampled(a))` repeated),
/// so the depth bound alone would allow exponential work.
const STEPS_PER_EVALUATION: usize = 2_000;
const STEPS_PER_FILE: usize = 200_000;

/// The evaluator: a language, a parsed file and its definitions.
pub(crate) struct Eval<'a, 't, L: Lang> {
    pub(crate) lang: &'a L,
    pub(crate) src: &'a Src<'t>,
    pub(crate) defs: &'a Defs<'t>,
    /// Steps left for the current evaluation, and for the file.
    steps: Cell<(usize, usize)>,
}

/// Where a name leads: a bound argument, a definition, or nowhere.
enum Resolved<'t> {
    Node(Node<'t>, Rc<Scope<'t>>),
    Unknown,
}

/// The four parent cases of `ParentBased`, in the positional order Python's and
/// .NET's constructors take them after `root`.
const PARENT_SLOTS: [&str; 4] = [
    "remoteparentsampled",
    "remoteparentnotsampled",
    "localparentsampled",
    "localparentnotsampled",
];

/// `remote_parent_sampled`, `remoteParentSampled`, `WithRemoteParentSampled`,
/// `setRemoteParentSampled` -> `remoteparentsampled`.
fn slot_name(name: &str) -> String {
    let lower: String = name
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    for prefix in ["with", "set"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            if PARENT_SLOTS.contains(&rest) {
                return rest.to_owned();
            }
        }
    }
    lower
}

impl<'a, 't, L: Lang> Eval<'a, 't, L> {
    pub(crate) fn new(lang: &'a L, src: &'a Src<'t>, defs: &'a Defs<'t>) -> Self {
        Eval {
            lang,
            src,
            defs,
            steps: Cell::new((STEPS_PER_EVALUATION, STEPS_PER_FILE)),
        }
    }

    /// Starts a new evaluation's budget (the file's keeps running down).
    fn start(&self) {
        let (_, file) = self.steps.get();
        self.steps.set((STEPS_PER_EVALUATION.min(file), file));
    }

    /// Takes one step; `false` when the budget is spent.
    fn step(&self) -> bool {
        match self.steps.get() {
            (0, _) | (_, 0) => false,
            (evaluation, file) => {
                self.steps.set((evaluation - 1, file - 1));
                true
            }
        }
    }

    fn resolve_name(&self, name: &str, at: Node<'t>, scope: &Rc<Scope<'t>>) -> Resolved<'t> {
        if let Some((node, scope)) = scope.lookup(name) {
            return Resolved::Node(node, scope);
        }
        match self.defs.lookup_value(name, at.start_byte()) {
            // A definition whose value contains the use (`x = f(x)`) would loop.
            Some(node) if node.byte_range().contains(&at.start_byte()) => Resolved::Unknown,
            Some(node) => Resolved::Node(node, Rc::new(Scope::default())),
            None => Resolved::Unknown,
        }
    }

    /// The helper function `call` invokes, with its parameters bound to the
    /// call's arguments; `None` unless exactly one function of that name is
    /// defined in the file and the call names it plainly (no receiver, or
    /// `this`/`self`/a class-like name).
    fn helper(
        &self,
        call: &Call<'t>,
        scope: &Rc<Scope<'t>>,
    ) -> Option<(Vec<Node<'t>>, Rc<Scope<'t>>)> {
        if call.is_new {
            return None;
        }
        let defs = self.defs.funcs.get(&call.name)?;
        let [def] = defs.as_slice() else {
            return None;
        };
        if def.returns.is_empty() {
            return None;
        }
        let bindings = def
            .params
            .iter()
            .zip(&call.args)
            .map(|(param, arg)| (param.clone(), arg.value, Rc::clone(scope)))
            .collect();
        Some((def.returns.clone(), Rc::new(Scope { bindings })))
    }

    /// The sampler an expression builds.
    pub(crate) fn sampler(&self, node: Node<'t>) -> Sampler {
        self.start();
        self.sampler_in(node, &Rc::new(Scope::default()), 0)
    }

    fn dynamic(&self, node: Node<'t>) -> Sampler {
        Sampler::Dynamic {
            expression: self.src.expression(node),
        }
    }

    fn sampler_in(&self, node: Node<'t>, scope: &Rc<Scope<'t>>, depth: usize) -> Sampler {
        if depth > MAX_DEPTH || !self.step() {
            return self.dynamic(node);
        }
        match self.lang.view(self.src, node) {
            View::Wrap(inner) => self.sampler_in(inner, scope, depth + 1),
            View::Name(name) => match self.resolve_name(&name, node, scope) {
                Resolved::Node(value, scope) => self.sampler_in(value, &scope, depth + 1),
                Resolved::Unknown => self
                    .lang
                    .sampler_constant(&name)
                    .unwrap_or_else(|| self.dynamic(node)),
            },
            View::Member(name) => self
                .lang
                .sampler_constant(&name)
                .unwrap_or_else(|| self.dynamic(node)),
            View::Call(call) => self.sampler_call(node, &call, scope, depth),
            _ => self.dynamic(node),
        }
    }

    fn sampler_call(
        &self,
        node: Node<'t>,
        call: &Call<'t>,
        scope: &Rc<Scope<'t>>,
        depth: usize,
    ) -> Sampler {
        if let Some(ctor) = self.lang.sampler_ctor(call) {
            return self.construct(node, &ctor, call, scope, depth);
        }
        if self.lang.is_build(&call.name) {
            if let Some(sampler) = self.builder_chain(call, scope, depth) {
                return sampler;
            }
        }
        if let Some((returns, inner)) = self.helper(call, scope) {
            return self.one_of(node, &returns, &inner, depth, Self::sampler_in);
        }
        if call.is_new {
            return Sampler::Other {
                name: call.name.clone(),
            };
        }
        self.dynamic(node)
    }

    /// All returned expressions evaluate to the same value, or the call is dynamic.
    fn one_of<T: PartialEq + From<DynamicOf>>(
        &self,
        node: Node<'t>,
        returns: &[Node<'t>],
        scope: &Rc<Scope<'t>>,
        depth: usize,
        eval: impl Fn(&Self, Node<'t>, &Rc<Scope<'t>>, usize) -> T,
    ) -> T {
        let mut values = returns.iter().map(|r| eval(self, *r, scope, depth + 1));
        let Some(first) = values.next() else {
            return T::from(DynamicOf(self.src.expression(node)));
        };
        if values.all(|v| v == first) {
            first
        } else {
            T::from(DynamicOf(self.src.expression(node)))
        }
    }

    /// `X.builder().setY(..).build()`: the chain under `.build()`, innermost
    /// call first. `None` when the chain does not start at a sampler builder.
    fn builder_chain(
        &self,
        build: &Call<'t>,
        scope: &Rc<Scope<'t>>,
        depth: usize,
    ) -> Option<Sampler> {
        let mut setters: Vec<(String, Node<'t>)> = Vec::new();
        let mut receiver = build.receiver?;
        for _ in 0..MAX_DEPTH {
            let View::Call(call) = self.lang.view(self.src, receiver) else {
                return None;
            };
            match self.lang.sampler_ctor(&call) {
                Some(Ctor::ParentBasedBuilder) => {
                    let root = call.args.first().map_or_else(
                        || Sampler::Dynamic {
                            expression: self.src.expression(receiver),
                        },
                        |a| self.sampler_in(a.value, scope, depth + 1),
                    );
                    // The last setter of a slot wins; `setters` runs outermost first.
                    setters.reverse();
                    let slots = setters
                        .into_iter()
                        .map(|(slot, value)| (slot, value, Rc::clone(scope)));
                    return Some(self.parent_based(root, slots, depth));
                }
                Some(Ctor::JaegerRemote) => return Some(Sampler::JaegerRemote),
                Some(Ctor::XRay) => return Some(Sampler::XRay),
                Some(_) => return None,
                None => {}
            }
            let slot = slot_name(&call.name);
            if PARENT_SLOTS.contains(&slot.as_str()) {
                if let Some(arg) = call.args.first() {
                    setters.push((slot, arg.value));
                }
            }
            receiver = call.receiver?;
        }
        None
    }

    fn parent_based(
        &self,
        root: Sampler,
        slots: impl Iterator<Item = (String, Node<'t>, Rc<Scope<'t>>)>,
        depth: usize,
    ) -> Sampler {
        let mut cases: [Option<Box<Sampler>>; 4] = Default::default();
        for (slot, value, scope) in slots {
            if let Some(i) = PARENT_SLOTS.iter().position(|s| *s == slot) {
                cases[i] = Some(Box::new(self.sampler_in(value, &scope, depth + 1)));
            }
        }
        let [remote_parent_sampled, remote_parent_not_sampled, local_parent_sampled, local_parent_not_sampled] =
            cases;
        Sampler::ParentBased {
            root: Box::new(root),
            remote_parent_sampled,
            remote_parent_not_sampled,
            local_parent_sampled,
            local_parent_not_sampled,
        }
    }

    fn construct(
        &self,
        node: Node<'t>,
        ctor: &Ctor,
        call: &Call<'t>,
        scope: &Rc<Scope<'t>>,
        depth: usize,
    ) -> Sampler {
        let first = call.args.first().map(|a| a.value);
        let ratio_of = |default: Option<f64>| match first {
            Some(arg) => self.ratio_in(arg, scope, depth + 1),
            None => default.map_or_else(|| Ratio::Dynamic(self.src.expression(node)), Ratio::Value),
        };
        match ctor {
            Ctor::AlwaysOn => Sampler::AlwaysOn,
            Ctor::AlwaysOff => Sampler::AlwaysOff,
            Ctor::JaegerRemote => Sampler::JaegerRemote,
            Ctor::XRay => Sampler::XRay,
            Ctor::TraceIdRatio { default } => Sampler::TraceIdRatio {
                ratio: ratio_of(*default),
            },
            Ctor::Probability => Sampler::Probability {
                ratio: ratio_of(None),
            },
            Ctor::ParentBasedRatio => Sampler::ParentBased {
                root: Box::new(Sampler::TraceIdRatio {
                    ratio: ratio_of(None),
                }),
                remote_parent_sampled: None,
                remote_parent_not_sampled: None,
                local_parent_sampled: None,
                local_parent_not_sampled: None,
            },
            Ctor::SameAsFirstArg => first.map_or_else(
                || self.dynamic(node),
                |a| self.sampler_in(a, scope, depth + 1),
            ),
            Ctor::ParentBasedBuilder => self.dynamic(node),
            Ctor::ParentBased => self.parent_based_args(node, call, scope, depth),
        }
    }

    /// `ParentBased`'s arguments in any of the SDKs' forms: Go's
    /// `ParentBased(root, WithRemoteParentSampled(s))`, Python's keywords or
    /// positions, JavaScript's `{ root, remoteParentSampled }`, .NET's
    /// positions or `name:` arguments.
    fn parent_based_args(
        &self,
        node: Node<'t>,
        call: &Call<'t>,
        scope: &Rc<Scope<'t>>,
        depth: usize,
    ) -> Sampler {
        let mut root = None;
        let mut slots = Vec::new();
        let mut position = 0;
        for arg in &call.args {
            if let Some(name) = &arg.name {
                if name == "root" {
                    root = Some(arg.value);
                } else {
                    slots.push((slot_name(name), arg.value));
                }
                continue;
            }
            match self.lang.view(self.src, arg.value) {
                View::Object(entries) => {
                    for (key, value) in entries {
                        if key == "root" {
                            root = Some(value);
                        } else {
                            slots.push((slot_name(&key), value));
                        }
                    }
                    continue;
                }
                View::Call(option)
                    if PARENT_SLOTS.contains(&slot_name(&option.name).as_str()) && position > 0 =>
                {
                    if let Some(a) = option.args.first() {
                        slots.push((slot_name(&option.name), a.value));
                    }
                    continue;
                }
                _ => {}
            }
            if position == 0 {
                root = Some(arg.value);
            } else if let Some(slot) = PARENT_SLOTS.get(position - 1) {
                slots.push(((*slot).to_owned(), arg.value));
            }
            position += 1;
        }
        let root = root.map_or_else(
            || Sampler::Dynamic {
                expression: self.src.expression(node),
            },
            |r| self.sampler_in(r, scope, depth + 1),
        );
        let slots = slots.into_iter().map(|(s, v)| (s, v, Rc::clone(scope)));
        self.parent_based(root, slots, depth)
    }

    /// The ratio an expression gives.
    pub(crate) fn ratio_in(&self, node: Node<'t>, scope: &Rc<Scope<'t>>, depth: usize) -> Ratio {
        if depth > MAX_DEPTH || !self.step() {
            return Ratio::Dynamic(self.src.expression(node));
        }
        match self.lang.view(self.src, node) {
            View::Number(x) => Ratio::Value(x),
            View::Neg(inner) => match self.ratio_in(inner, scope, depth + 1) {
                Ratio::Value(x) => Ratio::Value(-x),
                _ => Ratio::Dynamic(self.src.expression(node)),
            },
            View::Wrap(inner) => self.ratio_in(inner, scope, depth + 1),
            View::Env(var) => Ratio::Unresolved(var),
            // The default is the value unless a scanned file sets the variable
            // (decided when the files are joined: cpl-scan's `lib.rs`).
            View::EnvDefault(variable, default) => match self.ratio_in(default, scope, depth + 1) {
                Ratio::Value(value) => Ratio::Default { variable, value },
                _ => Ratio::Unresolved(variable),
            },
            View::Str(text) => text
                .trim()
                .parse::<f64>()
                .map_or(Ratio::Invalid(text), Ratio::Value),
            View::Name(name) => match self.resolve_name(&name, node, scope) {
                Resolved::Node(value, scope) => self.ratio_in(value, &scope, depth + 1),
                Resolved::Unknown => Ratio::Dynamic(self.src.expression(node)),
            },
            View::Call(call) => match self.helper(&call, scope) {
                Some((returns, inner)) => {
                    self.one_of(node, &returns, &inner, depth, Self::ratio_in)
                }
                None => Ratio::Dynamic(self.src.expression(node)),
            },
            _ => Ratio::Dynamic(self.src.expression(node)),
        }
    }

    /// The string an expression is, when the file says which.
    pub(crate) fn string(&self, node: Node<'t>) -> Option<String> {
        self.start();
        self.string_in(node, &Rc::new(Scope::default()), 0)
    }

    fn string_in(&self, node: Node<'t>, scope: &Rc<Scope<'t>>, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH || !self.step() {
            return None;
        }
        match self.lang.view(self.src, node) {
            View::Str(s) => Some(s),
            View::Wrap(inner) => self.string_in(inner, scope, depth + 1),
            View::Name(name) => match self.resolve_name(&name, node, scope) {
                Resolved::Node(value, scope) => self.string_in(value, &scope, depth + 1),
                Resolved::Unknown => None,
            },
            _ => None,
        }
    }

    /// The propagation formats an expression installs: OTEL_PROPAGATORS'
    /// names for the ones the scanner knows, and the expression as written
    /// for anything else (set by code the scanner does not follow).
    pub(crate) fn propagators(&self, node: Node<'t>) -> Vec<String> {
        self.start();
        let mut out = Vec::new();
        self.propagators_in(node, &Rc::new(Scope::default()), 0, &mut out);
        out
    }

    fn propagators_in(
        &self,
        node: Node<'t>,
        scope: &Rc<Scope<'t>>,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        if depth > MAX_DEPTH || !self.step() {
            out.push(self.src.expression(node));
            return;
        }
        match self.lang.view(self.src, node) {
            View::Wrap(inner) => self.propagators_in(inner, scope, depth + 1, out),
            View::Seq(items) => {
                for item in items {
                    self.propagators_in(item, scope, depth + 1, out);
                }
            }
            View::Object(entries) => {
                for (key, value) in entries {
                    if key == "propagators" {
                        self.propagators_in(value, scope, depth + 1, out);
                    }
                }
            }
            View::Name(name) => match self.resolve_name(&name, node, scope) {
                Resolved::Node(value, scope) => self.propagators_in(value, &scope, depth + 1, out),
                Resolved::Unknown => out.push(self.src.expression(node)),
            },
            View::Call(call) => {
                if let Some(format) = propagator_format(&call) {
                    out.push(format.to_owned());
                } else if is_composite_propagator(&call) {
                    for arg in &call.args {
                        self.propagators_in(arg.value, scope, depth + 1, out);
                    }
                } else if call.name == "getInstance" || call.name == "Instance" {
                    // Java's `W3CTraceContextPropagator.getInstance()`.
                    match call.qualifier.as_deref().and_then(propagator_class) {
                        Some(format) => out.push(format.to_owned()),
                        None => out.push(self.src.expression(node)),
                    }
                } else if let Some((returns, inner)) = self.helper(&call, scope) {
                    let mut first: Option<Vec<String>> = None;
                    let mut same = true;
                    for r in returns {
                        let mut v = Vec::new();
                        self.propagators_in(r, &inner, depth + 1, &mut v);
                        match &first {
                            None => first = Some(v),
                            Some(f) => same &= *f == v,
                        }
                    }
                    match first {
                        Some(v) if same => out.extend(v),
                        _ => out.push(self.src.expression(node)),
                    }
                } else {
                    out.push(self.src.expression(node));
                }
            }
            View::Member(name) => match propagator_class(&name) {
                Some(format) => out.push(format.to_owned()),
                None => out.push(self.src.expression(node)),
            },
            _ => out.push(self.src.expression(node)),
        }
    }
}

/// A dynamic value for [`Eval::one_of`]: samplers and ratios both have one.
pub(crate) struct DynamicOf(String);

impl From<DynamicOf> for Sampler {
    fn from(d: DynamicOf) -> Self {
        Sampler::Dynamic { expression: d.0 }
    }
}

impl From<DynamicOf> for Ratio {
    fn from(d: DynamicOf) -> Self {
        Ratio::Dynamic(d.0)
    }
}

/// The `OTEL_PROPAGATORS` name of a propagator class or Go type, in any SDK.
fn propagator_class(name: &str) -> Option<&'static str> {
    Some(match name {
        // Go `propagation.TraceContext{}`, Python, JS/Java, .NET.
        "TraceContext"
        | "TraceContextTextMapPropagator"
        | "W3CTraceContextPropagator"
        | "TraceContextPropagator" => "tracecontext",
        "Baggage" | "W3CBaggagePropagator" | "BaggagePropagator" => "baggage",
        "B3Format" | "B3SingleFormat" | "B3Propagator" => "b3",
        "B3MultiFormat" => "b3multi",
        "Jaeger" | "JaegerPropagator" => "jaeger",
        "AwsXRayPropagator" | "AWSXRayPropagator" | "AwsXrayPropagator" => "xray",
        "OT" | "OtTracePropagator" | "OTTracePropagator" => "ottrace",
        _ => return None,
    })
}

fn propagator_format(call: &Call<'_>) -> Option<&'static str> {
    if let Some(format) = propagator_class(&call.name) {
        return Some(format);
    }
    // Go: `b3.New()`, `xray.Propagator{}`.
    match (call.qualifier.as_deref(), call.name.as_str()) {
        (Some("b3"), "New") => Some("b3"),
        (Some("xray"), "Propagator") => Some("xray"),
        _ => None,
    }
}

fn is_composite_propagator(call: &Call<'_>) -> bool {
    matches!(
        call.name.as_str(),
        "NewCompositeTextMapPropagator"
            | "CompositePropagator"
            | "CompositeTextMapPropagator"
            | "composite"
            | "create"
    ) && (call.name != "create" || call.qualifier.as_deref() == Some("ContextPropagators"))
}

/// A literal's text without its quotes and prefixes (`r"…"`, `@"…"`, `` `…` ``),
/// with the common backslash escapes decoded; `None` for interpolated strings.
pub(crate) fn unquote(text: &str) -> Option<String> {
    let body = text.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '@');
    let raw = text.len() != body.len() && (text.starts_with(['r', 'R', '@']));
    if text.starts_with(['f', 'F', '$']) {
        return None;
    }
    for quote in ["\"\"\"", "'''", "\"", "'", "`"] {
        if body.len() >= 2 * quote.len() && body.starts_with(quote) && body.ends_with(quote) {
            let inner = &body[quote.len()..body.len() - quote.len()];
            if quote == "`" && inner.contains("${") {
                return None;
            }
            if raw || quote == "`" {
                return Some(inner.to_owned());
            }
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            return Some(out);
        }
    }
    None
}

/// A numeric literal's value: separators (`_`) and type suffixes (`0.5f`,
/// `1d`, `0.1m`, `1L`) removed.
pub(crate) fn number(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let trimmed = if cleaned.starts_with("0x") || cleaned.starts_with("0X") {
        return None;
    } else {
        cleaned.trim_end_matches(['f', 'F', 'd', 'D', 'm', 'M', 'l', 'L', 'u', 'U', 'n'])
    };
    trimmed.parse::<f64>().ok()
}

/// Whether a key (string, identifier or computed name) names `service.name`.
pub(crate) fn is_service_name_key(key: &str) -> bool {
    let key = key.trim_matches(|c| c == '[' || c == ']');
    let last = key.rsplit('.').next().unwrap_or(key);
    key == "service.name"
        || matches!(
            last,
            "SERVICE_NAME"
                | "ATTR_SERVICE_NAME"
                | "SEMRESATTRS_SERVICE_NAME"
                | "ServiceNameKey"
                | "AttributeServiceName"
        )
}

/// Whether one of the node's named children is of `kind`.
pub(crate) fn has_child(node: Node<'_>, kind: &str) -> bool {
    let mut cursor = node.walk();
    let found = node.named_children(&mut cursor).any(|n| n.kind() == kind);
    found
}

/// Whether a path is a TSX file (TypeScript with JSX: its own grammar).
pub(crate) fn is_tsx(path: &str) -> bool {
    std::path::Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsx"))
}
