//! `IsMatch` patterns: Go's `regexp` (RE2 syntax) on Rust's `regex` crate.
//!
//! The two engines share RE2's syntax and guarantees but differ in places, and
//! each difference is settled here rather than left to chance:
//!
//! - `\d`, `\w`, `\s` and `\b`/`\B` are ASCII-only in Go and Unicode-aware in
//!   Rust: they are rewritten to their ASCII forms (`[0-9]`, `[0-9A-Za-z_]`,
//!   `[\t\n\f\r ]`, `(?-u:\b)`).
//! - Inside a bracket class, Go reads `[`, `&&`, `--` and `~~` literally while
//!   Rust nests classes and applies set operations: such patterns are refused.
//! - Go rejects what Rust accepts: repetition counts above 1000, nested
//!   repetitions (`a**`), the flags `x`, `u` and `R`, `\u`/`\U` escapes,
//!   `\b{start}`, `\<`, `\>`, and `\p{name=value}` classes: refused.
//! - Go accepts what Rust rejects (`\Q...\E`, octal escapes `\123`): refused,
//!   since CPL could not evaluate them.
//!
//! Matching runs on bytes, so a string cut inside a UTF-8 sequence (Go
//! strings are bytes) is still searched; like Go, `.` matches no invalid byte
//! sequence only in how Go decodes it (each bad byte as U+FFFD): a pattern
//! would have to target such bytes to see the difference.

use regex_syntax::ast::{self, Ast};

/// A compiled `IsMatch` pattern.
#[derive(Debug, Clone)]
pub struct GoRegex {
    pattern: String,
    regex: regex::bytes::Regex,
}

impl PartialEq for GoRegex {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl GoRegex {
    /// The pattern as the condition wrote it (after string unquoting).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The pattern CPL evaluates (Rust `regex` syntax, Go's meaning): what `cpl
    /// import` writes as a `matches` pattern.
    pub fn rust_pattern(&self) -> &str {
        self.regex.as_str()
    }

    /// Unanchored search, as Go's `MatchString`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.regex.is_match(haystack)
    }

    /// Whether the pattern has a named capture group (`ExtractPatterns` needs one).
    pub fn has_named_group(&self) -> bool {
        self.regex.capture_names().any(|name| name.is_some())
    }

    /// The named groups of the leftmost-first match, as Go's `FindStringSubmatch`
    /// with `SubexpNames`: `None` without a match; a group that took no part is `""`.
    pub fn named_captures(&self, haystack: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
        let captures = self.regex.captures(haystack)?;
        Some(
            self.regex
                .capture_names()
                .enumerate()
                .filter_map(|(index, name)| {
                    let text = captures.get(index).map_or(&[][..], |m| m.as_bytes());
                    name.map(|name| (name.to_owned(), text.to_vec()))
                })
                .collect(),
        )
    }
}

/// Why a pattern was refused, with the byte range within the pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RegexProblem {
    pub(crate) message: String,
    pub(crate) span: std::ops::Range<usize>,
}

/// Compiles `pattern` with Go's meaning, or says why not.
pub(crate) fn compile(pattern: &str) -> Result<GoRegex, RegexProblem> {
    let parsed = ast::parse::ParserBuilder::new()
        .nest_limit(200)
        .build()
        .parse(pattern)
        .map_err(|error| RegexProblem {
            message: format!("{}", error.kind()),
            span: error.span().start.offset..error.span().end.offset,
        })?;
    let mut edits = Vec::new();
    walk(&parsed, false, &mut edits)?;
    edits.sort_by_key(|(range, _)| range.start);
    let mut rewritten = String::with_capacity(pattern.len() + 16);
    let mut at = 0;
    for (range, replacement) in edits {
        rewritten.push_str(&pattern[at..range.start]);
        rewritten.push_str(replacement);
        at = range.end;
    }
    rewritten.push_str(&pattern[at..]);
    let regex = regex::bytes::RegexBuilder::new(&rewritten)
        .size_limit(1 << 24)
        .build()
        .map_err(|error| RegexProblem {
            message: error.to_string(),
            span: 0..pattern.len(),
        })?;
    Ok(GoRegex {
        pattern: pattern.to_owned(),
        regex,
    })
}

type Edits = Vec<(std::ops::Range<usize>, &'static str)>;

fn refuse(span: &ast::Span, message: &str) -> RegexProblem {
    RegexProblem {
        message: message.to_owned(),
        span: span.start.offset..span.end.offset,
    }
}

fn perl(class: &ast::ClassPerl) -> &'static str {
    match (class.kind.clone(), class.negated) {
        (ast::ClassPerlKind::Digit, false) => "[0-9]",
        (ast::ClassPerlKind::Digit, true) => "[^0-9]",
        (ast::ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
        (ast::ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
        (ast::ClassPerlKind::Space, false) => r"[\t\n\x0C\r ]",
        (ast::ClassPerlKind::Space, true) => r"[^\t\n\x0C\r ]",
    }
}

fn check_literal(literal: &ast::Literal) -> Result<(), RegexProblem> {
    match &literal.kind {
        ast::LiteralKind::HexFixed(
            ast::HexLiteralKind::UnicodeShort | ast::HexLiteralKind::UnicodeLong,
        )
        | ast::LiteralKind::HexBrace(
            ast::HexLiteralKind::UnicodeShort | ast::HexLiteralKind::UnicodeLong,
        ) => Err(refuse(
            &literal.span,
            "Go's regexp has no `\\u` or `\\U` escape",
        )),
        ast::LiteralKind::Octal => Err(refuse(&literal.span, "CPL cannot evaluate octal escapes")),
        _ => Ok(()),
    }
}

fn check_unicode(class: &ast::ClassUnicode) -> Result<(), RegexProblem> {
    match &class.kind {
        ast::ClassUnicodeKind::NamedValue { .. } => Err(refuse(
            &class.span,
            "Go's regexp has no `\\p{name=value}` classes",
        )),
        _ => Ok(()),
    }
}

fn check_flags(flags: &ast::Flags) -> Result<(), RegexProblem> {
    for item in &flags.items {
        if let ast::FlagsItemKind::Flag(
            ast::Flag::IgnoreWhitespace | ast::Flag::Unicode | ast::Flag::CRLF,
        ) = item.kind
        {
            return Err(refuse(
                &item.span,
                "Go's regexp knows only the flags `i`, `m`, `s` and `U`",
            ));
        }
    }
    Ok(())
}

fn walk_class_item(item: &ast::ClassSetItem, edits: &mut Edits) -> Result<(), RegexProblem> {
    match item {
        ast::ClassSetItem::Perl(class) => {
            edits.push((class.span.start.offset..class.span.end.offset, perl(class)));
            Ok(())
        }
        ast::ClassSetItem::Bracketed(class) => Err(refuse(
            &class.span,
            "Go's regexp reads `[` inside a class as a literal; Rust nests classes",
        )),
        ast::ClassSetItem::Union(union) => {
            for item in &union.items {
                walk_class_item(item, edits)?;
            }
            Ok(())
        }
        ast::ClassSetItem::Unicode(class) => check_unicode(class),
        ast::ClassSetItem::Literal(literal) => check_literal(literal),
        ast::ClassSetItem::Range(range) => {
            check_literal(&range.start)?;
            check_literal(&range.end)
        }
        ast::ClassSetItem::Empty(_) | ast::ClassSetItem::Ascii(_) => Ok(()),
    }
}

fn walk_class_set(set: &ast::ClassSet, edits: &mut Edits) -> Result<(), RegexProblem> {
    match set {
        ast::ClassSet::Item(item) => walk_class_item(item, edits),
        ast::ClassSet::BinaryOp(op) => Err(refuse(
            &op.span,
            "Go's regexp reads `&&`, `--` and `~~` inside a class literally; Rust applies set operations",
        )),
    }
}

fn walk(node: &Ast, in_repetition: bool, edits: &mut Edits) -> Result<(), RegexProblem> {
    match node {
        Ast::ClassPerl(class) => {
            edits.push((class.span.start.offset..class.span.end.offset, perl(class)));
            Ok(())
        }
        Ast::ClassBracketed(class) => walk_class_set(&class.kind, edits),
        Ast::ClassUnicode(class) => check_unicode(class),
        Ast::Literal(literal) => check_literal(literal),
        Ast::Assertion(assertion) => {
            let span = assertion.span.start.offset..assertion.span.end.offset;
            match assertion.kind {
                ast::AssertionKind::WordBoundary => edits.push((span, r"(?-u:\b)")),
                ast::AssertionKind::NotWordBoundary => edits.push((span, r"(?-u:\B)")),
                ast::AssertionKind::StartLine
                | ast::AssertionKind::EndLine
                | ast::AssertionKind::StartText
                | ast::AssertionKind::EndText => {}
                _ => {
                    return Err(refuse(
                        &assertion.span,
                        "Go's regexp has no `\\b{...}`, `\\<` or `\\>` assertions",
                    ))
                }
            }
            Ok(())
        }
        Ast::Flags(flags) => check_flags(&flags.flags),
        Ast::Repetition(repetition) => {
            if let ast::RepetitionKind::Range(range) = &repetition.op.kind {
                let (ast::RepetitionRange::Exactly(n)
                | ast::RepetitionRange::AtLeast(n)
                | ast::RepetitionRange::Bounded(_, n)) = *range;
                let low = match *range {
                    ast::RepetitionRange::Bounded(m, _) => m,
                    _ => n,
                };
                if n > 1000 || low > 1000 {
                    return Err(refuse(
                        &repetition.op.span,
                        "Go's regexp allows repetition counts up to 1000",
                    ));
                }
            }
            if in_repetition || matches!(*repetition.ast, Ast::Repetition(_)) {
                return Err(refuse(
                    &repetition.op.span,
                    "Go's regexp rejects nested repetition operators",
                ));
            }
            walk(&repetition.ast, false, edits)
        }
        Ast::Group(group) => {
            if let ast::GroupKind::NonCapturing(flags) = &group.kind {
                check_flags(flags)?;
            }
            walk(&group.ast, false, edits)
        }
        Ast::Alternation(alternation) => {
            for item in &alternation.asts {
                walk(item, false, edits)?;
            }
            Ok(())
        }
        Ast::Concat(concat) => {
            for item in &concat.asts {
                walk(item, false, edits)?;
            }
            Ok(())
        }
        Ast::Empty(_) | Ast::Dot(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, haystack: &str) -> bool {
        compile(pattern)
            .expect("compiles")
            .is_match(haystack.as_bytes())
    }

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        assert!(!matches(r"^\d$", "٣"));
        assert!(matches(r"^\d+$", "123"));
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"^[\w-]+$", "a-b_1"));
        assert!(!matches(r"^\s$", "\u{a0}"));
        assert!(!matches(r"^\s$", "\u{b}"));
        assert!(matches(r"\bfoo\b", "a foo b"));
        // `é` is no ASCII word character, so there is no boundary after it.
        assert!(!matches(r"é\b", "é"));
    }

    #[test]
    fn unanchored_like_match_string() {
        assert!(matches("abc", "xabcx"));
        assert!(!matches("^abc$", "xabcx"));
    }

    #[test]
    fn refuses_what_reads_differently() {
        for pattern in [
            "[a&&b]",
            "[a[bc]]",
            "a{1001}",
            "a**",
            "(?x)a b",
            r"\u0041",
            r"\b{start}",
            r"\<a",
            r"\p{scx=Greek}",
            r"\Qa.b\E",
            r"\101",
            "(",
        ] {
            assert!(compile(pattern).is_err(), "{pattern}");
        }
        assert!(compile("a{1000}").is_ok());
        assert!(compile("(?i)abc").is_ok());
        assert!(compile(r"\pL\p{Greek}").is_ok());
    }
}
