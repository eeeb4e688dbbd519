//! The syntax tree the grammar builds: a superset of OTTL's boolean
//! expressions, checked against OTTL's exact shape by [`super::check`].
//!
//! The grammar accepts one expression language (`or`, `and`, `not`,
//! comparisons, `+ - * /`, atoms) so that an LR(1) parser can read what
//! participle reads with backtracking (`(x) == 1` against `(x == 1)`). Which
//! positions may hold a boolean, a value or a math operand is decided
//! afterwards, with positions to report.

use std::ops::Range;

/// A byte range in the condition text.
pub(crate) type Span = Range<usize>;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A math operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// One node with its span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) span: Span,
}

/// A key in brackets after a path segment or a converter call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawKey {
    /// The key as written: a string or an integer literal token, or any other
    /// expression (OTTL's newer expression keys, which CPL does not evaluate).
    pub(crate) node: Node,
}

/// One dotted segment of a path with its keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) keys: Vec<RawKey>,
}

/// One argument of a call, possibly named (`name = value`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawArg {
    pub(crate) name: Option<(String, Span)>,
    pub(crate) value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Compare(Box<Node>, CompareOp, Box<Node>),
    /// A chain of one precedence level: `first (op operand)*`.
    Math(Box<Node>, Vec<(MathOp, Node)>),
    Paren(Box<Node>),
    Nil,
    Bool(bool),
    /// Literal text, decoded by the checker (positions of bad literals).
    Int(String),
    Float(String),
    Str(String),
    Bytes(String),
    /// An uppercase word used as a value: an enum symbol.
    Enum(String),
    Path(Vec<Segment>),
    /// A converter (or editor) call: `Name(args)[keys]`.
    Call {
        name: String,
        name_span: Span,
        args: Vec<RawArg>,
        keys: Vec<RawKey>,
    },
    /// A function name passed as an argument, or a name that is not called.
    FunctionName(String),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// Where the parser recovered from an error.
    Error,
}
