//! Go RE2 regular expressions, compiled with Rust's `regex` crate.
//!
//! The two engines share their syntax and guarantees (no look-around, no
//! backreferences, linear time) and `MatchString` / `is_match` are both unanchored
//! searches. They differ where Rust's Perl classes and word boundaries are Unicode-aware
//! and Go's are ASCII-only: Go's `\d` is `[0-9]`, Rust's also matches `٣`. So each
//! `\d`, `\w`, `\s`, `\b` (and their negations) outside a bracket class is rewritten to
//! its ASCII form before compiling, and `\d`, `\w`, `\s` inside one too. What remains
//! different (spec/targets/otel-collector.md §1.3): Go accepts `\Q...\E` literal text and
//! `\C`, which Rust refuses (so such a pattern is reported as invalid though the
//! collector accepts it), and Rust's ASCII `\s` includes the vertical tab, Go's does not.

/// Compiles a `string_attribute` pattern with Go's meaning; the error is Rust's
/// message, first line.
pub fn compile_go_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&ascii_classes(pattern))
        .size_limit(1 << 24)
        .build()
        .map_err(|error| {
            let text = error.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            last.trim().trim_start_matches("error: ").to_owned()
        })
}

/// `pattern` with Perl classes and word boundaries made ASCII-only, as Go has them.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Depth of bracket classes (`[[:alpha:]]` nests one level in the text).
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(next) = chars.next() else {
                out.push(c);
                break;
            };
            let replacement = if in_class {
                match next {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some("\\t\\n\\f\\r "),
                    _ => None,
                }
            } else {
                match next {
                    'd' => Some("[0-9]"),
                    'D' => Some("[^0-9]"),
                    'w' => Some("[0-9A-Za-z_]"),
                    'W' => Some("[^0-9A-Za-z_]"),
                    's' => Some("[\\t\\n\\f\\r ]"),
                    'S' => Some("[^\\t\\n\\f\\r ]"),
                    'b' => Some("(?-u:\\b)"),
                    'B' => Some("(?-u:\\B)"),
                    _ => None,
                }
            };
            if let Some(text) = replacement {
                out.push_str(text);
            } else {
                out.push('\\');
                out.push(next);
            }
            class_start = false;
            continue;
        }
        if in_class {
            if c == '[' && chars.peek() == Some(&':') {
                // A POSIX class `[:alpha:]`: copy through its closing `:]`.
                out.push(c);
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == ':' && chars.peek() == Some(&']') {
                        out.push(']');
                        chars.next();
                        break;
                    }
                }
                class_start = false;
                continue;
            }
            if c == ']' && !class_start {
                in_class = false;
            }
            if !(c == '^' && class_start) {
                class_start = false;
            }
            out.push(c);
            continue;
        }
        if c == '[' {
            in_class = true;
            class_start = true;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let digit = compile_go_regex(r"^\d+$").expect("compiles");
        assert!(digit.is_match("123"));
        assert!(
            !digit.is_match("١٢٣"),
            "Arabic-Indic digits are not \\d in Go"
        );
        let word = compile_go_regex(r"^\w+$").expect("compiles");
        assert!(!word.is_match("héllo"));
        let class = compile_go_regex(r"^[\d.]+$").expect("compiles");
        assert!(class.is_match("1.5") && !class.is_match("١"));
        let boundary = compile_go_regex(r"\bapi\b").expect("compiles");
        // `é` is no ASCII word character, so Go sees a boundary before `api`.
        assert!(boundary.is_match("/api/v1") && boundary.is_match("éapi"));
        assert!(!boundary.is_match("xapi"));
        let posix = compile_go_regex(r"^[[:alpha:]\d]+$").expect("compiles");
        assert!(posix.is_match("a1") && !posix.is_match("a-"));
        let negated = compile_go_regex(r"^[^\s]+$").expect("compiles");
        assert!(negated.is_match("ab") && !negated.is_match("a b"));
    }

    #[test]
    fn matching_is_unanchored() {
        let regex = compile_go_regex("abc").expect("compiles");
        assert!(regex.is_match("xabcx"));
    }

    #[test]
    fn what_go_refuses_rust_refuses() {
        for bad in ["(", "a(?=b)", r"(a)\1", "[z-a]", "a{2,1}"] {
            assert!(compile_go_regex(bad).is_err(), "{bad}");
        }
    }
}
