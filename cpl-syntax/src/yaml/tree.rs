//! Building the positioned tree from saphyr's event stream.
//!
//! The events are consumed in one loop with an explicit stack of open collections, so
//! nothing here recurses on the input's nesting; the stack is bounded by [`MAX_DEPTH`].
//!
//! Aliases are where hostile input bites (billion laughs). While building, nodes are
//! reference-counted ([`Built`]): an anchor keeps a handle on its node, and an alias is
//! another handle with the alias's span, so neither defining an anchor nor using it
//! copies anything. Each node knows how many nodes it expands to and how deep it nests,
//! so an alias is checked against [`MAX_EXPANDED_NODES`] and [`MAX_DEPTH`] *before* it is
//! used. Only at the end is the tree turned into owned [`Node`]s, copying a shared node
//! for each use but the last; by then the total is known to be within budget, and the
//! tree within [`MAX_DEPTH`] levels, which bounds the recursion of that conversion.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScanError, Tag};

use super::decode::decode;
use super::positions::Positions;
use super::{
    Node, NodeValue, Scalar, ScalarStyle, YamlError, YamlErrorKind, MAX_DEPTH, MAX_EXPANDED_NODES,
};

/// A node under construction: a shared body and this occurrence's span.
struct Built {
    body: Rc<Body>,
    span: Range<usize>,
}

struct Body {
    value: BodyValue,
    /// How many nodes this one expands to, itself included.
    count: usize,
    /// How many collections deep it nests (0 for a scalar).
    height: usize,
}

enum BodyValue {
    Scalar(Scalar),
    Sequence(Vec<Built>),
    Mapping(Vec<(Built, Built)>),
}

/// An open collection.
struct Frame {
    kind: FrameKind,
    /// Span of the start event (properties and `[`/`{`, or where the first entry is).
    start: Range<usize>,
    /// Whether the collection is written in flow style and so ends at its `]`/`}`.
    flow: bool,
    anchor: usize,
    count: usize,
    height: usize,
}

enum FrameKind {
    Sequence(Vec<Built>),
    Mapping {
        entries: Vec<(Built, Built)>,
        /// A key waiting for its value.
        key: Option<Built>,
        /// Span of the first occurrence of each scalar key.
        seen: HashMap<String, Range<usize>>,
    },
}

/// How building ended.
enum Stop {
    /// The stream ended (or a second document started): the tree is usable.
    Done,
    /// A fatal error: no tree.
    Fatal(YamlError),
}

/// See [`super::parse`].
pub(super) fn parse(source: &str) -> (Option<Node>, Vec<YamlError>) {
    let mut builder = Builder::new(source, false);
    match builder.run() {
        Stop::Done => {}
        Stop::Fatal(error) => {
            builder.errors.push(error);
            return (None, builder.errors);
        }
    }
    let Builder {
        root,
        anchors,
        mut errors,
        ..
    } = builder;
    // Release the anchors' handles so unshared nodes move instead of being copied.
    drop(anchors);
    let root = root.filter(|root| !is_empty_document(root)).map(into_node);
    errors.sort_by_key(|error| error.span.start);
    (root, errors)
}

/// See [`super::parse_documents`].
pub(super) fn parse_documents(source: &str) -> (Vec<Node>, Vec<YamlError>) {
    let mut builder = Builder::new(source, true);
    if let Stop::Fatal(error) = builder.run() {
        builder.errors.push(error);
        return (Vec::new(), builder.errors);
    }
    builder.finish_document();
    let Builder {
        documents,
        anchors,
        mut errors,
        ..
    } = builder;
    drop(anchors);
    let documents = documents
        .into_iter()
        .filter(|root| !is_empty_document(root))
        .map(into_node)
        .collect();
    errors.sort_by_key(|error| error.span.start);
    (documents, errors)
}

struct Builder<'a> {
    /// Whether a stream of several documents is accepted ([`parse_documents`]).
    multi: bool,
    /// The documents finished so far (multi-document streams only).
    documents: Vec<Built>,
    source: &'a str,
    positions: Positions<'a>,
    stack: Vec<Frame>,
    /// saphyr's anchor ids to the nodes they name.
    anchors: HashMap<usize, Rc<Body>>,
    /// Nodes produced so far, alias expansions included.
    expanded: usize,
    root: Option<Built>,
    errors: Vec<YamlError>,
    /// Where the previous event ended.
    previous: usize,
}

impl<'a> Builder<'a> {
    fn new(source: &'a str, multi: bool) -> Self {
        Builder {
            multi,
            documents: Vec::new(),
            source,
            positions: Positions::new(source),
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            root: None,
            errors: Vec::new(),
            previous: 0,
        }
    }

    /// Files the current document (multi-document streams): anchors do not cross
    /// documents, and each document gets its own expansion budget.
    fn finish_document(&mut self) {
        if let Some(root) = self.root.take() {
            self.documents.push(root);
        }
        self.anchors.clear();
        self.expanded = 0;
    }

    fn run(&mut self) -> Stop {
        let mut parser = Parser::new_from_str(self.source);
        let mut documents = 0;
        loop {
            let (event, span) = match parser.next_event() {
                None => return Stop::Done,
                Some(Ok(next)) => next,
                Some(Err(error)) => return Stop::Fatal(self.syntax_error(&error)),
            };
            let span = self.positions.span(span);
            // An implicit document start spans the document's first token.
            let previous = std::mem::replace(&mut self.previous, span.end);
            let previous = if previous <= span.start { previous } else { 0 };
            match event {
                Event::StreamEnd => return Stop::Done,
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
                Event::DocumentStart(_) => {
                    documents += 1;
                    if self.multi {
                        self.finish_document();
                    } else if documents > 1 {
                        self.errors.push(YamlError {
                            kind: YamlErrorKind::MultipleDocuments,
                            message: "a file holds one YAML document; found a second one".into(),
                            span: self.widen(span),
                        });
                        return Stop::Done;
                    }
                }
                Event::Alias(id) => {
                    if let Err(error) = self.alias(id, span) {
                        return Stop::Fatal(error);
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let style = match style {
                        saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
                        saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                        saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                        saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
                        saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
                    };
                    let decoded = decode(self.source, span, previous, style, &text);
                    let scalar = Scalar {
                        text: text.into_owned(),
                        style,
                        tag: tag.map(|tag| render_tag(&tag)),
                        map: decoded.map,
                    };
                    self.expanded += 1;
                    let body = Body {
                        value: BodyValue::Scalar(scalar),
                        count: 1,
                        height: 0,
                    };
                    self.complete(Rc::new(body), decoded.span, anchor);
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    if self.stack.len() >= MAX_DEPTH {
                        return Stop::Fatal(YamlError {
                            kind: YamlErrorKind::TooDeep,
                            message: format!("collections nest deeper than {MAX_DEPTH} levels"),
                            span: self.widen(span),
                        });
                    }
                    let kind = if matches!(event, Event::SequenceStart(..)) {
                        FrameKind::Sequence(Vec::new())
                    } else {
                        FrameKind::Mapping {
                            entries: Vec::new(),
                            key: None,
                            seen: HashMap::new(),
                        }
                    };
                    self.expanded += 1;
                    self.stack.push(Frame {
                        kind,
                        flow: self.is_flow(&span),
                        start: span,
                        anchor,
                        count: 1,
                        height: 1,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        continue;
                    };
                    self.close(frame, &span);
                }
            }
        }
    }

    /// Whether the collection whose start event spans `span` is a flow collection.
    fn is_flow(&self, span: &Range<usize>) -> bool {
        let raw = self.source.as_bytes().get(span.clone()).unwrap_or_default();
        // After any properties, the last thing in the span is `[` or `{` for flow style.
        matches!(raw.last(), Some(b'[' | b'{'))
    }

    /// Closes `frame`, whose end event spans `end`.
    fn close(&mut self, frame: Frame, end: &Range<usize>) {
        let Frame {
            kind,
            start,
            flow,
            anchor,
            count,
            height,
        } = frame;
        let (value, last_end) = match kind {
            FrameKind::Sequence(items) => {
                let last = items.last().map(|item| item.span.end);
                (BodyValue::Sequence(items), last)
            }
            FrameKind::Mapping {
                mut entries, key, ..
            } => {
                if let Some(key) = key {
                    // saphyr always sends a value; never lose a key if it did not.
                    let span = key.span.end..key.span.end;
                    entries.push((key, empty_scalar(span)));
                }
                let last = entries.last().map(|(_, value)| value.span.end);
                (BodyValue::Mapping(entries), last)
            }
        };
        let span_end = if flow {
            end.end
        } else {
            last_end.unwrap_or(start.end).max(start.end)
        };
        let body = Body {
            value,
            count,
            height,
        };
        self.complete(Rc::new(body), start.start..span_end, anchor);
    }

    /// Replaces an alias by the node its anchor names, within the budgets.
    fn alias(&mut self, id: usize, span: Range<usize>) -> Result<(), YamlError> {
        let Some(body) = self.anchors.get(&id).cloned() else {
            return Err(YamlError {
                kind: YamlErrorKind::Syntax,
                message: "alias to an unknown anchor".into(),
                span: self.widen(span),
            });
        };
        if self.stack.len() + body.height > MAX_DEPTH {
            return Err(YamlError {
                kind: YamlErrorKind::TooDeep,
                message: format!(
                    "alias expands to collections nested deeper than {MAX_DEPTH} levels"
                ),
                span: self.widen(span),
            });
        }
        if self.expanded + body.count > MAX_EXPANDED_NODES {
            return Err(YamlError {
                kind: YamlErrorKind::AliasLimit,
                message: format!("aliases expand to more than {MAX_EXPANDED_NODES} nodes"),
                span: self.widen(span),
            });
        }
        self.expanded += body.count;
        // A use of an anchor does not redefine it.
        self.complete(body, span, 0);
        Ok(())
    }

    /// Files a finished node: under its anchor, then into the open collection (or as the
    /// root).
    fn complete(&mut self, body: Rc<Body>, span: Range<usize>, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, Rc::clone(&body));
        }
        let node = Built { body, span };
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        frame.count += node.body.count;
        frame.height = frame.height.max(node.body.height + 1);
        match &mut frame.kind {
            FrameKind::Sequence(items) => items.push(node),
            FrameKind::Mapping { entries, key, seen } => {
                if let Some(key) = key.take() {
                    entries.push((key, node));
                    return;
                }
                if let BodyValue::Scalar(scalar) = &node.body.value {
                    if let Some(first) = seen.get(&scalar.text) {
                        self.errors.push(YamlError {
                            kind: YamlErrorKind::DuplicateKey {
                                first: first.clone(),
                            },
                            message: format!("duplicate key `{}`", shorten(&scalar.text)),
                            span: node.span.clone(),
                        });
                    } else {
                        seen.insert(scalar.text.clone(), node.span.clone());
                    }
                }
                *key = Some(node);
            }
        }
    }

    fn syntax_error(&mut self, error: &ScanError) -> YamlError {
        let at = self.positions.byte(error.marker().index());
        // saphyr's own cap on flow nesting (255 levels), hit while it looks ahead before
        // we see the collection that crosses MAX_DEPTH: too deep all the same.
        if error.info() == "recursion limit exceeded" {
            return YamlError {
                kind: YamlErrorKind::TooDeep,
                message: format!("collections nest deeper than {MAX_DEPTH} levels"),
                span: self.widen(at..at),
            };
        }
        if error.info().ends_with("found unknown escape character") {
            if let Some(found) = unknown_escape(self.source, at) {
                return found;
            }
        }
        let mut message = error.info().to_owned();
        if let Some(first) = message.get(..1) {
            let lower = first.to_ascii_lowercase();
            message.replace_range(..1, &lower);
        }
        YamlError {
            kind: YamlErrorKind::Syntax,
            message,
            span: self.widen(at..at),
        }
    }

    /// An error span: `span`, or the character at its start when it is empty, so the
    /// error has something to underline (an empty span at the end of the file stays).
    fn widen(&self, span: Range<usize>) -> Range<usize> {
        if !span.is_empty() {
            return span;
        }
        let width = self
            .source
            .get(span.start..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        span.start..span.start + width
    }
}

/// The first escape YAML does not know in the double-quoted scalar that opens at byte
/// `open` (saphyr reports the scalar's start, not the escape).
fn unknown_escape(source: &str, open: usize) -> Option<YamlError> {
    let rest = source.get(open..)?.strip_prefix('"')?;
    let mut unknown: Option<(usize, char)> = None;
    let mut close = None;
    let mut chars = rest.char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => {
                close = Some(offset);
                break;
            }
            '\n' if unknown.is_some() => break,
            '\\' => {
                let Some((_, escaped)) = chars.next() else {
                    break;
                };
                // Keep in sync with saphyr's `resolve_flow_scalar_escape_sequence`.
                let known = matches!(
                    escaped,
                    '0' | 'a'
                        | 'b'
                        | 't'
                        | '\t'
                        | 'n'
                        | 'v'
                        | 'f'
                        | 'r'
                        | 'e'
                        | ' '
                        | '"'
                        | '/'
                        | '\\'
                        | 'N'
                        | '_'
                        | 'L'
                        | 'P'
                        | 'x'
                        | 'u'
                        | 'U'
                        | '\n'
                        | '\r'
                );
                if !known && unknown.is_none() {
                    unknown = Some((offset, escaped));
                }
            }
            _ => {}
        }
    }
    let (offset, escaped) = unknown?;
    let start = open + 1 + offset;
    Some(YamlError {
        kind: YamlErrorKind::UnknownEscape {
            escape: format!("\\{escaped}"),
            scalar: close.map_or(open..open, |close| open..open + 1 + close + 1),
        },
        message: format!("`\\{escaped}` is not an escape in a double-quoted string"),
        span: start..start + 1 + escaped.len_utf8(),
    })
}

/// `text`, cut to a length fit for a message.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An empty plain scalar spanning `span`.
fn empty_scalar(span: Range<usize>) -> Built {
    let scalar = Scalar {
        text: String::new(),
        style: ScalarStyle::Plain,
        tag: None,
        map: super::SourceMap::flat(0, span.start, span.start),
    };
    Built {
        body: Rc::new(Body {
            value: BodyValue::Scalar(scalar),
            count: 1,
            height: 0,
        }),
        span,
    }
}

/// A document with nothing in it (`---` alone): an untagged empty plain scalar.
fn is_empty_document(root: &Built) -> bool {
    matches!(
        &root.body.value,
        BodyValue::Scalar(Scalar { text, style: ScalarStyle::Plain, tag: None, .. }) if text.is_empty()
    )
}

/// The tag as written: `!!str` for the core schema's, `!local`, or the full tag.
fn render_tag(tag: &Tag) -> String {
    const CORE: &str = "tag:yaml.org,2002:";
    let full = format!("{}{}", tag.handle, tag.suffix);
    if let Some(core) = full.strip_prefix(CORE) {
        format!("!!{core}")
    } else if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        full
    }
}

/// The owned tree: moves nodes used once, copies shared ones.
fn into_node(built: Built) -> Node {
    let Built { body, span } = built;
    let value = match Rc::try_unwrap(body) {
        Ok(body) => match body.value {
            BodyValue::Scalar(scalar) => NodeValue::Scalar(scalar),
            BodyValue::Sequence(items) => {
                NodeValue::Sequence(items.into_iter().map(into_node).collect())
            }
            BodyValue::Mapping(entries) => NodeValue::Mapping(
                entries
                    .into_iter()
                    .map(|(key, value)| (into_node(key), into_node(value)))
                    .collect(),
            ),
        },
        Err(shared) => copy_value(&shared.value),
    };
    Node { value, span }
}

/// A copy of a shared node's value.
fn copy_value(value: &BodyValue) -> NodeValue {
    let copy = |built: &Built| Node {
        value: copy_value(&built.body.value),
        span: built.span.clone(),
    };
    match value {
        BodyValue::Scalar(scalar) => NodeValue::Scalar(scalar.clone()),
        BodyValue::Sequence(items) => NodeValue::Sequence(items.iter().map(copy).collect()),
        BodyValue::Mapping(entries) => NodeValue::Mapping(
            entries
                .iter()
                .map(|(key, value)| (copy(key), copy(value)))
                .collect(),
        ),
    }
}
