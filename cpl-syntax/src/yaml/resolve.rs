//! The YAML 1.2 core schema: what a scalar means.
//!
//! Only plain, untagged scalars are resolved by their text; quoted and block scalars are
//! strings. The core tags `!!null`, `!!bool`, `!!int`, `!!float` ask for their type
//! (falling back to a string when the text is not one), `!!str` and any other tag give
//! a string. Written by hand rather than with regexes: the patterns are tiny and this
//! runs for every scalar of every document.

use super::{Resolved, Scalar, ScalarStyle};

/// See [`Scalar::resolve`].
pub(super) fn resolve(scalar: &Scalar) -> Resolved<'_> {
    let text = scalar.text.as_str();
    let string = Resolved::String(text);
    match scalar.tag.as_deref() {
        None if scalar.style == ScalarStyle::Plain => null(text)
            .or_else(|| bool(text))
            .or_else(|| int(text))
            .or_else(|| float(text)),
        Some("!!null") => null(text),
        Some("!!bool") => bool(text),
        Some("!!int") => int(text),
        Some("!!float") => float(text).or_else(|| match int(text) {
            // `!!float 0x10` is still a number.
            #[allow(clippy::cast_precision_loss)]
            Some(Resolved::Int(value)) => Some(Resolved::Float(value as f64)),
            other => other,
        }),
        _ => None,
    }
    .unwrap_or(string)
}

fn null(text: &str) -> Option<Resolved<'static>> {
    matches!(text, "" | "~" | "null" | "Null" | "NULL").then_some(Resolved::Null)
}

fn bool(text: &str) -> Option<Resolved<'static>> {
    match text {
        "true" | "True" | "TRUE" => Some(Resolved::Bool(true)),
        "false" | "False" | "FALSE" => Some(Resolved::Bool(false)),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; too big for an `i64`, a float.
fn int(text: &str) -> Option<Resolved<'static>> {
    let (radix, digits, negative) = if let Some(octal) = text.strip_prefix("0o") {
        (8, octal, false)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (16, hex, false)
    } else {
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        (10, digits, negative)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Parse with the sign so that i64::MIN fits.
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits.to_owned()
    };
    if let Ok(value) = i64::from_str_radix(&signed, radix) {
        return Some(Resolved::Int(value));
    }
    // Out of range: the nearest float.
    let magnitude = if radix == 10 {
        digits.parse::<f64>().ok()
    } else {
        #[allow(clippy::cast_precision_loss)]
        u128::from_str_radix(digits, radix)
            .ok()
            .map(|value| value as f64)
    }
    .unwrap_or_else(|| {
        digits.chars().fold(0.0, |acc, c| {
            acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
        })
    });
    Some(Resolved::Float(if negative {
        -magnitude
    } else {
        magnitude
    }))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf` (any of the three
/// spellings), `.nan`.
fn float(text: &str) -> Option<Resolved<'static>> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(Resolved::Float(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Resolved::Float(f64::NAN));
    }
    if !is_decimal_float(unsigned) {
        return None;
    }
    // The pattern is a subset of what Rust's float parser accepts.
    text.parse::<f64>().ok().map(Resolved::Float)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_decimal_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let integer = digits(0);
    let mut pos = integer;
    if bytes.get(pos) == Some(&b'.') {
        let fraction = digits(pos + 1);
        if integer == 0 && fraction == 0 {
            return false;
        }
        pos += 1 + fraction;
    } else if integer == 0 {
        return false;
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'-' | b'+')) {
            pos += 1;
        }
        let exponent = digits(pos);
        if exponent == 0 {
            return false;
        }
        pos += exponent;
    }
    pos == bytes.len()
}
