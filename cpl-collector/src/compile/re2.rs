//! CPL's regular expressions (the Rust `regex` crate's syntax) rewritten in the syntax
//! of Go's `regexp` (RE2), which OTTL's `IsMatch` uses.
//!
//! The two syntaxes differ in meaning, not only in spelling: in Rust `\d`, `\w`, `\s`
//! and `\b` are Unicode-aware and in Go they are ASCII-only; Rust has class set
//! operations (`[a-z&&[^aeiou]]`), `(?x)`, `(?R)`, `\b{start}` and repetition counts
//! above 1000, Go has none of them. So the pattern is not copied: it is parsed with
//! `regex-syntax` (the parser the `regex` crate itself uses, with the same defaults)
//! into its high-level IR, where every class is an explicit list of code point ranges
//! and case folding is already applied, and that IR is printed with the plain subset
//! of syntax both engines read identically: literal characters, explicit ranges,
//! non-capturing groups, alternation, counted repetition, `\A`, `\z`, `(?m:^)`,
//! `(?m:$)` and the ASCII `\b` / `\B`.
//!
//! Both engines report a match when some substring of the value is in the pattern's
//! language (an unanchored search; CPL's `matches` and OTTL's `IsMatch` alike), so
//! printing the same language with the same assertions is exact. Greediness does not
//! change whether a match exists; it is kept anyway.
//!
//! What only approximates: Unicode word boundaries (`\b` in Unicode mode, `\b{start}`
//! and friends), which RE2 has only in ASCII form, and CRLF-aware anchors (`(?R)`),
//! which RE2 lacks.

use std::fmt::Write as _;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Something in a pattern that RE2 cannot express exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Issue {
    /// A Unicode word boundary or a word start/end assertion; approximated by the
    /// ASCII `\b` / `\B`.
    WordBoundary,
    /// A CRLF-aware line anchor (`(?R)` with `(?m)`); approximated by the LF anchors.
    Crlf,
    /// A byte-oriented class or literal outside ASCII (`(?-u:\xFF)`); no approximation.
    Bytes,
    /// A construct the compilation scheme has no exact form for yet (a trace-level
    /// part, `fnv_sample`, a trace-state entry, trace flags); no approximation. The
    /// text names the construct and says why.
    NotCompiled(&'static str, &'static str),
    /// A construct the collector cannot express exactly for the literal or salt
    /// written (a `trace_duration` bound inside a millisecond, a `span_count` bound
    /// beyond int32, an empty `fnv_sample` salt, too many trace-level parts); no
    /// approximation.
    Refused {
        /// What is refused, as the label says it.
        construct: &'static str,
        /// Why, as the message says it.
        why: String,
        /// What to write instead.
        help: String,
    },
    /// A `trace_duration` comparison: the collector's `latency` reads every span's
    /// times, CPL only spans that have a duration.
    TraceDuration,
}

/// The pattern in RE2 syntax, with what could not be expressed exactly (and was
/// approximated as [`Issue`] says). `None` when the pattern does not parse, which the
/// loader has already reported as E112.
pub(crate) fn translate(pattern: &str) -> Option<(String, Vec<Issue>)> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut printer = Printer::default();
    printer.hir(&hir);
    let mut issues = printer.issues;
    issues.dedup();
    Some((printer.out, issues))
}

/// RE2's largest repetition count.
const MAX_REPEAT: u32 = 1000;

#[derive(Default)]
struct Printer {
    out: String,
    issues: Vec<Issue>,
}

impl Printer {
    fn issue(&mut self, issue: Issue) {
        if !self.issues.contains(&issue) {
            self.issues.push(issue);
        }
    }

    fn hir(&mut self, hir: &Hir) {
        match hir.kind() {
            HirKind::Empty => self.out.push_str("(?:)"),
            HirKind::Literal(literal) => {
                if let Ok(text) = std::str::from_utf8(&literal.0) {
                    text.chars().for_each(|c| self.char(c));
                } else {
                    self.issue(Issue::Bytes);
                    for &byte in &*literal.0 {
                        self.char(char::from(byte));
                    }
                }
            }
            HirKind::Class(Class::Unicode(class)) => {
                let ranges: Vec<(u32, u32)> = class
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect();
                self.class(&ranges);
            }
            HirKind::Class(Class::Bytes(class)) => {
                if class.iter().any(|r| r.end() > 0x7f) {
                    self.issue(Issue::Bytes);
                }
                let ranges: Vec<(u32, u32)> = class
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect();
                self.class(&ranges);
            }
            HirKind::Look(look) => self.look(*look),
            HirKind::Repetition(rep) => self.repetition(&rep.sub, rep.min, rep.max, rep.greedy),
            // Captures do not change whether a match exists; Go's syntax for names
            // differs, so every group is printed as a plain one.
            HirKind::Capture(capture) => self.group(&capture.sub),
            HirKind::Concat(items) => {
                for item in items {
                    if matches!(item.kind(), HirKind::Alternation(_)) {
                        self.group(item);
                    } else {
                        self.hir(item);
                    }
                }
            }
            HirKind::Alternation(items) => {
                self.out.push_str("(?:");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.hir(item);
                }
                self.out.push(')');
            }
        }
    }

    fn group(&mut self, hir: &Hir) {
        match hir.kind() {
            HirKind::Capture(capture) => return self.group(&capture.sub),
            // An alternation prints its own group.
            HirKind::Alternation(_) => return self.hir(hir),
            _ => {}
        }
        self.out.push_str("(?:");
        self.hir(hir);
        self.out.push(')');
    }

    fn look(&mut self, look: Look) {
        let text = match look {
            Look::Start => r"\A",
            Look::End => r"\z",
            Look::StartLF => "(?m:^)",
            Look::EndLF => "(?m:$)",
            Look::StartCRLF => {
                self.issue(Issue::Crlf);
                "(?m:^)"
            }
            Look::EndCRLF => {
                self.issue(Issue::Crlf);
                "(?m:$)"
            }
            Look::WordAscii => r"\b",
            Look::WordAsciiNegate => r"\B",
            Look::WordUnicodeNegate => {
                self.issue(Issue::WordBoundary);
                r"\B"
            }
            // Unicode `\b`, and every start/end/half assertion (ASCII or not): RE2 has
            // only the plain ASCII word boundary.
            _ => {
                self.issue(Issue::WordBoundary);
                r"\b"
            }
        };
        self.out.push_str(text);
    }

    /// `sub{min,max}`, split into consecutive repetitions of at most 1000 (RE2's
    /// limit): `x{min,max}` and `x{1000}x{min-1000,max-1000}` have the same language.
    fn repetition(&mut self, sub: &Hir, mut min: u32, mut max: Option<u32>, greedy: bool) {
        while min > MAX_REPEAT || max.is_some_and(|max| max > MAX_REPEAT) {
            let take_min = min.min(MAX_REPEAT);
            self.quantified(sub, take_min, Some(MAX_REPEAT), greedy);
            min -= take_min;
            max = max.map(|max| max - MAX_REPEAT);
        }
        self.quantified(sub, min, max, greedy);
    }

    fn quantified(&mut self, sub: &Hir, min: u32, max: Option<u32>, greedy: bool) {
        let atomic = match sub.kind() {
            HirKind::Class(_) => true,
            HirKind::Literal(literal) => {
                std::str::from_utf8(&literal.0).is_ok_and(|text| text.chars().count() == 1)
            }
            _ => false,
        };
        if atomic {
            self.hir(sub);
        } else {
            self.group(sub);
        }
        match (min, max) {
            (0, None) => self.out.push('*'),
            (1, None) => self.out.push('+'),
            (0, Some(1)) => self.out.push('?'),
            (min, None) => {
                let _ = write!(self.out, "{{{min},}}");
            }
            (min, Some(max)) if min == max => {
                let _ = write!(self.out, "{{{min}}}");
            }
            (min, Some(max)) => {
                let _ = write!(self.out, "{{{min},{max}}}");
            }
        }
        if !greedy {
            self.out.push('?');
        }
    }

    fn char(&mut self, c: char) {
        if c.is_ascii_alphanumeric() || c == '_' || c == ' ' || c == '/' || c == '-' {
            self.out.push(c);
        } else if c.is_ascii_punctuation() {
            // Go reads a backslash before any ASCII punctuation as that character.
            self.out.push('\\');
            self.out.push(c);
        } else {
            let _ = write!(self.out, r"\x{{{:x}}}", u32::from(c));
        }
    }

    fn class_char(&mut self, c: u32) {
        match char::from_u32(c) {
            Some(c) if c.is_ascii_alphanumeric() => self.out.push(c),
            _ => {
                let _ = write!(self.out, r"\x{{{c:x}}}");
            }
        }
    }

    fn class(&mut self, ranges: &[(u32, u32)]) {
        if ranges.is_empty() {
            // A class that matches nothing: RE2 reads `[]` as an error.
            self.out.push_str(r"[^\x{0}-\x{10ffff}]");
            return;
        }
        self.out.push('[');
        for &(start, end) in ranges {
            self.class_char(start);
            if end != start {
                self.out.push('-');
                self.class_char(end);
            }
        }
        self.out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re2(pattern: &str) -> String {
        let (text, issues) = translate(pattern).expect("parses");
        assert!(issues.is_empty(), "{pattern}: {issues:?}");
        text
    }

    #[test]
    fn plain_syntax_passes_through() {
        assert_eq!(re2("^/api/v[0-9]+/"), r"\A/api/v[0-9]+/");
        assert_eq!(re2("a|bc"), "(?:a|bc)");
        assert_eq!(re2("(ab)*"), "(?:ab)*");
        assert_eq!(re2("x{2,5}?"), "x{2,5}?");
        assert_eq!(re2(r"\.json$"), r"\.json\z");
        assert_eq!(re2("(?m)^a$"), "(?m:^)a(?m:$)");
        assert_eq!(re2(r"(?-u:\b)x"), r"\bx");
    }

    #[test]
    fn unicode_classes_become_explicit_ranges() {
        // Rust's `\d` is every Unicode decimal digit; Go's is ASCII only.
        let digits = re2(r"\d");
        assert!(digits.starts_with("[0-9\\x{660}-\\x{669}"), "{digits}");
        // Case folding is applied by the parser, `K` includes the Kelvin sign.
        assert_eq!(re2("(?i)k"), r"[Kk\x{212a}]");
        // Class set operations do not exist in RE2.
        assert_eq!(re2("[a-z&&[^aeiou]]"), "[b-df-hj-np-tv-z]");
        assert_eq!(re2("."), r"[\x{0}-\x{9}\x{b}-\x{10ffff}]");
    }

    #[test]
    fn long_repetitions_are_split() {
        assert_eq!(re2("a{1500}"), "a{1000}a{500}");
        assert_eq!(re2("a{0,2500}"), "a{0,1000}a{0,1000}a{0,500}");
        assert_eq!(re2("(?:ab){1001,}"), "(?:ab){1000}(?:ab)+");
    }

    #[test]
    fn word_boundaries_and_crlf_are_issues() {
        let (text, issues) = translate(r"\bfoo\b").expect("parses");
        assert_eq!(text, r"\bfoo\b");
        assert_eq!(issues, vec![Issue::WordBoundary]);
        let (_, issues) = translate(r"(?Rm)^x$").expect("parses");
        assert_eq!(issues, vec![Issue::Crlf]);
    }

    #[test]
    fn literal_punctuation_is_escaped() {
        assert_eq!(re2(r"a\+b\(c\)\$"), r"a\+b\(c\)\$");
        assert_eq!(re2("é"), r"\x{e9}");
        assert_eq!(re2("\n"), r"\x{a}");
    }
}
