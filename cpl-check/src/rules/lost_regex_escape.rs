//! ## L325 lost-regex-escape (warning)
//!
//! **What it finds.** A `matches` pattern written as an ordinary string in which a
//! backslash escape lost its backslash and so changed the regular expression: `\d`,
//! `\w`, `\s`, `\b` and the other class letters, and `\.`, `\(`, `\[`, `\{`, `\+`,
//! `\*`, `\?`, `\|`, `\^`, `\$` and the other regex metacharacters. In
//! `path matches '^/api/v\d+/'` the regex engine sees `^/api/vd+/`.
//!
//! **Why it matters.** An ordinary CPL string decodes its escapes before the regex
//! engine sees the pattern, as clarvynn does: `\t`, `\n`, `\r`, `\f` and `\0` are control
//! characters and any other `\X` is `X` itself (spec/lexical.md, "String literals"). So
//! `\d` becomes the letter `d`, and `\.` becomes `.`, which matches any character. The
//! pattern is still valid, the policy loads, and the condition silently matches other
//! spans than the ones it was written for, usually none.
//!
//! **How to fix it.** Write the pattern as a raw string, which keeps every backslash:
//! `r'^/api/v\d+/'` (spec/lexical.md, "Raw string literals"), or double each backslash
//! in the ordinary string: `'^/api/v\\d+/'`. The help writes both for the literal at
//! hand, quoted for the YAML style of the `when:` (inside YAML double quotes each
//! backslash is doubled once more). Escapes that mean the same in both places (`\t`,
//! `\n`, `\'`, `\/`) are not reported.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: versioned_api
//!       when: 'path matches "^/api/v\d+/"'   # L325: the regex sees `^/api/vd+/`
//! ```

use cpl_syntax::ast::{Span, StringOp, Value};
use cpl_syntax::{codes, Diagnostic, When};

use super::{at, predicates, written, yaml_text, Context, Test};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let Test::String(StringOp::Matches, _, literal) = predicate.test else {
                continue;
            };
            let Value::String(kept) = &literal.value else {
                continue;
            };
            let text = written(when, literal.span);
            if let Some(diagnostic) = lost_escapes(when, literal.span, text, kept) {
                out.push(diagnostic);
            }
        }
    }
}

/// What one ordinary string literal, written as `text`, means as a pattern.
struct Reading {
    /// Byte offsets (in `text`) of the escapes that lost a backslash the regex needed.
    lost: Vec<usize>,
    /// The pattern the writer meant: every lost escape keeps its backslash. Written for a
    /// raw string: control characters as regex escapes.
    meant: String,
}

/// Whether the escape `\c` of an ordinary string gives the regex engine something else
/// than the regex escape `\c` would: a metacharacter that was meant literally, or a
/// letter or digit that was meant as a class, anchor or escape.
fn changes_regex(c: char) -> bool {
    if matches!(c, 't' | 'n' | 'r' | 'f' | '0' | '\\') || !c.is_ascii() {
        return false;
    }
    regex_syntax::is_meta_character(c) || !regex_syntax::is_escapeable_character(c)
}

/// Reads an ordinary string literal (`'...'` or `"..."`, quotes included).
fn read(text: &str) -> Option<Reading> {
    let body = text.get(1..text.len().checked_sub(1)?)?;
    let mut reading = Reading {
        lost: Vec::new(),
        meant: String::with_capacity(body.len()),
    };
    let mut chars = body.char_indices();
    while let Some((offset, c)) = chars.next() {
        if c != '\\' {
            reading.meant.push(c);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            break;
        };
        match escaped {
            // The regex reads these escapes as the characters the string escape makes.
            't' | 'n' | 'r' | 'f' => {
                reading.meant.push('\\');
                reading.meant.push(escaped);
            }
            '0' => reading.meant.push_str(r"\x00"),
            // `\\` is one backslash, which the regex reads as the start of an escape.
            '\\' => reading.meant.push('\\'),
            c if changes_regex(c) => {
                reading.lost.push(offset + 1);
                reading.meant.push('\\');
                reading.meant.push(c);
            }
            c => reading.meant.push(c),
        }
    }
    Some(reading)
}

fn lost_escapes(when: &When, span: Span, text: &str, kept: &str) -> Option<Diagnostic> {
    let quote = text.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let reading = read(text)?;
    let first = *reading.lost.first()?;
    let escape = |offset: usize| text.get(offset..=offset + 1).unwrap_or("");
    let mut escapes: Vec<String> = reading
        .lost
        .iter()
        .map(|&offset| format!("`{}`", escape(offset)))
        .collect();
    escapes.dedup();
    let shown = escapes.join(", ");
    let message = if reading.lost.len() == 1 {
        format!("{shown} in this pattern loses its backslash: the regex is `{kept}`")
    } else {
        format!("{shown} in this pattern lose their backslash: the regex is `{kept}`")
    };
    let start = span.start as usize + first;
    let label = format!("the regex sees `{}`", &escape(first)[1..]);
    let doubled = yaml_text(when.style, &doubled(&reading.meant, quote));
    let help = match raw(&reading.meant, quote) {
        Some(raw) => format!(
            "write the pattern as a raw string, `{}`, or double each backslash: `{doubled}`",
            yaml_text(when.style, &raw)
        ),
        None => format!("double each backslash: `{doubled}`"),
    };
    Some(
        Diagnostic::new(
            &codes::LOST_REGEX_ESCAPE,
            message,
            at(when, Span::new(start, start + 2)),
            label,
        )
        .with_help(help),
    )
}

/// `pattern` as a raw string, in `quote` if it can, else in the other quote.
fn raw(pattern: &str, quote: char) -> Option<String> {
    let other = if quote == '\'' { '"' } else { '\'' };
    let quote = [quote, other].into_iter().find(|q| !pattern.contains(*q))?;
    Some(format!("r{quote}{pattern}{quote}"))
}

/// `pattern` as an ordinary string in `quote` whose decoded value is `pattern`.
fn doubled(pattern: &str, quote: char) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push(quote);
    for c in pattern.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpl_syntax::yaml::ScalarStyle;

    #[test]
    fn only_escapes_that_change_the_regex_are_lost() {
        let lost = |text: &str| read(text).map(|r| r.lost.len()).unwrap_or_default();
        assert_eq!(lost(r"'^/api/v\d+/'"), 1);
        assert_eq!(lost(r"'\.\b\s\w\(\[\{\+\*\?\|\^\$\D\W\S\B'"), 17);
        assert_eq!(lost(r"'\\d\t\n\r\f\0\/\'\%'"), 0);
        assert_eq!(lost(r#""a\"b""#), 0);
    }

    #[test]
    fn the_meant_pattern_keeps_the_lost_backslashes() {
        let meant = |text: &str| read(text).map(|r| r.meant).unwrap_or_default();
        assert_eq!(meant(r"'^/api/v\d+/'"), r"^/api/v\d+/");
        assert_eq!(meant(r"'\\.\d\t\0'"), r"\.\d\t\x00");
        assert_eq!(meant(r"'it\'s\.'"), r"it's\.");
    }

    #[test]
    fn suggestions_paste_into_the_yaml_style() {
        assert_eq!(raw(r"\d", '\''), Some(r"r'\d'".to_owned()));
        assert_eq!(raw(r"it's\d", '\''), Some(r#"r"it's\d""#.to_owned()));
        assert_eq!(raw(r#"'"\d"#, '\''), None);
        assert_eq!(doubled(r"it's\d", '\''), r"'it\'s\\d'");
        assert_eq!(yaml_text(ScalarStyle::SingleQuoted, r"r'\d'"), r"r''\d''");
        assert_eq!(
            yaml_text(ScalarStyle::DoubleQuoted, r#"r"\d""#),
            r#"r\"\\d\""#
        );
        assert_eq!(yaml_text(ScalarStyle::Plain, r"r'\d'"), r"r'\d'");
    }
}
