//! A positioned YAML tree, built from saphyr-parser's event stream.
//!
//! serde-level YAML crates hand back values; CPL needs, for every value, where it is in
//! the file and, for scalars, how the decoded text maps back to file bytes (a `when:`
//! written as a double-quoted string with escapes, or a folded block, must still get
//! diagnostics at the right line and column). So this module builds its own small
//! tree: [`Node`]s with byte spans, and [`Scalar`]s that keep their style and a
//! [`SourceMap`] from decoded offsets to file offsets.
//!
//! Hostile input is bounded here: alias expansion has a budget (billion laughs),
//! collections nest at most [`MAX_DEPTH`] deep, and only one document is accepted.
//!
//! The tree is public so that other CPL documents (`cpl test` case files, the
//! `cpl.yaml` project file) get the same positions and limits as policies.

use std::ops::Range;

mod decode;
mod positions;
mod resolve;
mod source_map;
mod tree;

#[cfg(test)]
mod tests;

/// The deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// The most nodes a document may expand to through aliases.
pub const MAX_EXPANDED_NODES: usize = 100_000;

/// A YAML node and where it is in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// Byte range in the file. For an alias, the span of the alias (`*name`).
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
/// The three kinds of YAML node (aliases are expanded).
pub enum NodeValue {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence, items in file order.
    Sequence(Vec<Node>),
    /// Entries in file order. Duplicate keys are reported as errors; all entries are kept.
    Mapping(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How a scalar was written.
pub enum ScalarStyle {
    /// `text`
    Plain,
    /// `'text'`
    SingleQuoted,
    /// `"text"`
    DoubleQuoted,
    /// `|` block
    Literal,
    /// `>` block
    Folded,
}

/// A scalar: its decoded text, its style, its tag and its source map.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The decoded text.
    pub text: String,
    /// The style it was written in.
    pub style: ScalarStyle,
    /// The tag as written, e.g. `!!str`, if any.
    pub tag: Option<String>,
    /// Where each byte of `text` came from in the file.
    pub map: SourceMap,
}

/// What a scalar means under the YAML 1.2 core schema (quoted scalars are strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// `~`, `null`, empty.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A float (and integers too large for `i64`).
    Float(f64),
    /// Anything else, and every quoted or block scalar.
    String(&'a str),
}

impl Scalar {
    /// The core-schema reading: plain `~`/`null`/empty -> Null, `true`/`false` (and
    /// `True`, `TRUE`...) -> Bool, decimal/`0o`/`0x` ints, floats incl. `1e-3`, `.inf`,
    /// `.nan`; anything quoted, block, or tagged `!!str` -> String.
    pub fn resolve(&self) -> Resolved<'_> {
        resolve::resolve(self)
    }

    /// The file byte offset of byte `offset` of `self.text` (`offset == text.len()`
    /// maps to the end of the scalar's content).
    pub fn file_offset(&self, offset: usize) -> usize {
        self.map.file_offset(offset)
    }
}

/// Maps byte offsets in a scalar's decoded text to byte offsets in the file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceMap {
    /// Sorted by decoded offset; see [`source_map`] for the representation.
    runs: Vec<source_map::Run>,
    /// Length of the decoded text.
    len: usize,
    /// Where `offset >= len` points: the end of the scalar's content.
    end: usize,
}

impl SourceMap {
    /// The file byte offset of decoded byte `offset`; offsets at or past the end of the
    /// text give the end of the scalar's content. Logarithmic in the number of runs.
    pub fn file_offset(&self, offset: usize) -> usize {
        self.lookup(offset)
    }
}

/// A problem with the YAML itself.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// What went wrong.
    pub kind: YamlErrorKind,
    /// A short lowercase message, e.g. "did not find expected key".
    pub message: String,
    /// Byte range in the file.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
/// The kinds of YAML problem.
pub enum YamlErrorKind {
    /// Not well-formed YAML (saphyr's scan/parse errors).
    Syntax,
    /// A backslash escape that YAML double quotes do not have (`"\\d"`); the error's span
    /// is the escape.
    UnknownEscape {
        /// The escape as written, e.g. `\\d`.
        escape: String,
        /// The double-quoted scalar, quotes included, when it closes on the escape's
        /// line; empty otherwise.
        scalar: Range<usize>,
    },
    /// The same key twice in a mapping; `first` is the span of the first occurrence.
    DuplicateKey {
        /// The span of the first occurrence.
        first: Range<usize>,
    },
    /// Alias expansion beyond [`MAX_EXPANDED_NODES`].
    AliasLimit,
    /// Nesting beyond [`MAX_DEPTH`].
    TooDeep,
    /// A second document (`---`).
    MultipleDocuments,
}

/// Parses one YAML document. `Ok(None)` when the stream has no document or an empty
/// one. On a syntax error, alias-limit or depth error there is no tree; duplicate keys
/// are reported alongside the tree.
pub fn parse(source: &str) -> (Option<Node>, Vec<YamlError>) {
    tree::parse(source)
}

/// Parses a stream of YAML documents (Kubernetes manifests, `---`-separated), with the
/// same limits as [`parse`] per document: empty documents are left out. On a syntax,
/// alias-limit or depth error there are no documents.
pub fn parse_documents(source: &str) -> (Vec<Node>, Vec<YamlError>) {
    tree::parse_documents(source)
}

/// Whether `key` is a YAML merge key (`<<`, plain, untagged or tagged `!!merge`).
pub fn is_merge_key(key: &Node) -> bool {
    matches!(&key.value, NodeValue::Scalar(s) if s.text == "<<"
        && s.style == ScalarStyle::Plain
        && s.tag.as_deref().is_none_or(|tag| tag == "!!merge"))
}

/// A mapping's entries with merge keys (`<<: *base`, `<<: [*a, *b]`) applied, as Go's
/// `yaml.v3` and docker compose apply them: an explicit key wins over a merged one, and
/// among merged mappings the first that has the key wins. `None` when `node` is not a
/// mapping. Merge values that are not mappings are ignored. Nesting is bounded by the
/// tree's depth limit.
pub fn merged_entries(node: &Node) -> Option<Vec<(&Node, &Node)>> {
    let NodeValue::Mapping(entries) = &node.value else {
        return None;
    };
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return Some(entries.iter().map(|(k, v)| (k, v)).collect());
    }
    let key_text = |node: &Node| match &node.value {
        NodeValue::Scalar(s) => Some(s.text.clone()),
        _ => None,
    };
    let mut out: Vec<(&Node, &Node)> = entries
        .iter()
        .filter(|(k, _)| !is_merge_key(k))
        .map(|(k, v)| (k, v))
        .collect();
    for (_, value) in entries.iter().filter(|(k, _)| is_merge_key(k)) {
        let sources: Vec<&Node> = match &value.value {
            NodeValue::Sequence(items) => items.iter().collect(),
            _ => vec![value],
        };
        for source in sources {
            for (k, v) in merged_entries(source).unwrap_or_default() {
                let text = key_text(k);
                if text.is_none() || !out.iter().any(|(seen, _)| key_text(seen) == text) {
                    out.push((k, v));
                }
            }
        }
    }
    Some(out)
}
