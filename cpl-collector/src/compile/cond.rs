//! A small boolean tree over OTTL text, so that constants fold and the printed
//! condition has only the parentheses OTTL's precedence (`not` > `and` > `or`) needs.
//!
//! Every leaf is an OTTL comparison or converter call that is already exact for the
//! values it can meet; the tree only combines them. OTTL evaluates `and` and `or`
//! left to right and stops at the first deciding operand (`andFuncs` / `orFuncs` in
//! `pkg/ottl/boolean_value.go`), which the guards rely on: a type guard written before
//! a converter keeps the converter from ever seeing a value it would reject.

use std::fmt::Write as _;

/// A boolean OTTL expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    /// `true` or `false`.
    Const(bool),
    /// A comparison (`a == b`) or a converter call (`IsString(x)`), as OTTL text.
    Atom {
        /// The text.
        text: String,
        /// Whether it is a comparison, which reads better in parentheses after `not`.
        comparison: bool,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

/// `left op right`, an OTTL comparison.
pub(crate) fn cmp(left: &str, op: &str, right: &str) -> Cond {
    Cond::Atom {
        text: format!("{left} {op} {right}"),
        comparison: true,
    }
}

/// A converter call that returns a boolean (`IsString(x)`, `IsRootSpan()`).
pub(crate) fn call(text: String) -> Cond {
    Cond::Atom {
        text,
        comparison: false,
    }
}

/// An AND with constants folded and nested ANDs flattened.
pub(crate) fn and(items: impl IntoIterator<Item = Cond>) -> Cond {
    let mut kept = Vec::new();
    for item in items {
        match item {
            Cond::Const(false) => return Cond::Const(false),
            Cond::Const(true) => {}
            Cond::And(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Cond::Const(true),
        1 => kept.pop().unwrap_or(Cond::Const(true)),
        _ => Cond::And(kept),
    }
}

/// An OR with constants folded and nested ORs flattened.
pub(crate) fn or(items: impl IntoIterator<Item = Cond>) -> Cond {
    let mut kept = Vec::new();
    for item in items {
        match item {
            Cond::Const(true) => return Cond::Const(true),
            Cond::Const(false) => {}
            Cond::Or(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Cond::Const(false),
        1 => kept.pop().unwrap_or(Cond::Const(false)),
        _ => Cond::Or(kept),
    }
}

/// Boolean negation, folding constants and double negation.
pub(crate) fn not(item: Cond) -> Cond {
    match item {
        Cond::Const(value) => Cond::Const(!value),
        Cond::Not(inner) => *inner,
        other => Cond::Not(Box::new(other)),
    }
}

impl Cond {
    /// The OTTL text.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Cond::Const(value) => out.push_str(if *value { "true" } else { "false" }),
            Cond::Atom { text, .. } => out.push_str(text),
            Cond::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" or ");
                    }
                    // An OR never holds an OR (flattened): AND, NOT and atoms bind tighter.
                    item.write(out);
                }
            }
            Cond::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" and ");
                    }
                    if matches!(item, Cond::Or(_)) {
                        out.push('(');
                        item.write(out);
                        out.push(')');
                    } else {
                        item.write(out);
                    }
                }
            }
            Cond::Not(inner) => {
                out.push_str("not ");
                match &**inner {
                    Cond::Atom {
                        comparison: false,
                        text,
                    } => out.push_str(text),
                    other => {
                        out.push('(');
                        other.write(out);
                        out.push(')');
                    }
                }
            }
        }
    }
}

/// `text` as an OTTL string literal.
///
/// OTTL reads string literals with Go's `strconv.Unquote` (participle's `Unquote`), which
/// rejects a raw line break and knows Go's escapes. So `"` and `\` are escaped, every
/// control character is written as `\xNN` (a byte, which for ASCII is the character),
/// and everything else, non-ASCII included, is written as itself in UTF-8.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A double as an OTTL float literal that Go's `strconv.ParseFloat` reads back as the
/// same double (finite values only).
///
/// OTTL's `Float` token is `[-+]?\d*\.\d+([eE][-+]?\d+)?`: it needs a point with a
/// digit after it, also before an exponent. Rust's shortest round-trip form (`{:?}`)
/// is made to fit: `1e16` becomes `1.0e16`.
pub(crate) fn float(x: f64) -> String {
    let text = format!("{x:?}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => {
            format!("{mantissa}.0e{exponent}")
        }
        Some(_) => text,
        None if text.contains('.') => text,
        None => format!("{text}.0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(text: &str) -> Cond {
        call(text.to_owned())
    }

    #[test]
    fn constants_fold() {
        assert_eq!(and([Cond::Const(true), atom("A()")]), atom("A()"));
        assert_eq!(and([Cond::Const(false), atom("A()")]), Cond::Const(false));
        assert_eq!(or([Cond::Const(true), atom("A()")]), Cond::Const(true));
        assert_eq!(or([Cond::Const(false), atom("A()")]), atom("A()"));
        assert_eq!(and([]), Cond::Const(true));
        assert_eq!(or([]), Cond::Const(false));
        assert_eq!(not(not(atom("A()"))), atom("A()"));
        assert_eq!(not(Cond::Const(true)), Cond::Const(false));
    }

    #[test]
    fn parentheses_follow_ottl_precedence() {
        let c = and([
            or([atom("A()"), atom("B()")]),
            not(cmp("x", "==", "1")),
            not(atom("C()")),
            not(and([atom("D()"), atom("E()")])),
        ]);
        assert_eq!(
            c.render(),
            "(A() or B()) and not (x == 1) and not C() and not (D() and E())"
        );
        let c = or([and([atom("A()"), atom("B()")]), atom("C()")]);
        assert_eq!(c.render(), "A() and B() or C()");
        assert_eq!(Cond::Const(false).render(), "false");
    }

    #[test]
    fn strings_are_go_quoted() {
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            string("line\nbreak\ttab\u{7f}"),
            r#""line\x0abreak\x09tab\x7f""#
        );
        assert_eq!(string("é ✓"), "\"é ✓\"");
        assert_eq!(string(""), "\"\"");
    }

    #[test]
    fn floats_always_have_a_point() {
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(500.0), "500.0");
        assert_eq!(float(1e16), "1.0e16");
        assert_eq!(float(5e-324), "5.0e-324");
        assert_eq!(float(-2.5e-7), "-2.5e-7");
        assert_eq!(float(f64::MAX), "1.7976931348623157e308");
        for x in [0.1, 1e16, 5e-324, -2.5e-7, f64::MAX, 123.456] {
            assert_eq!(float(x).parse::<f64>().ok(), Some(x));
        }
    }
}
