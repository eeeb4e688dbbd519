//! The value semantics both the evaluator and the checker rely on (spec/types.md,
//! spec/fields.md): exact int/float order, comparison operators on an ordering, float
//! milliseconds of a duration, and the path of a URL.
//!
//! cpl-eval decides spans with these and cpl-check reasons about conditions with them;
//! they live here, below both, so that the two can never disagree.

use std::cmp::Ordering;

use crate::ast::CompareOp;

/// A number: the value of an int or double attribute, or a numeric literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An `i64`.
    Int(i64),
    /// A binary64 double.
    Float(f64),
}

/// Whether `op` holds for an ordering; `None` (a NaN operand) makes only `!=` true.
#[inline]
pub fn holds(op: CompareOp, ordering: Option<Ordering>) -> bool {
    match ordering {
        None => op == CompareOp::Ne,
        Some(ordering) => match op {
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ne => ordering != Ordering::Equal,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Ge => ordering != Ordering::Less,
        },
    }
}

/// 2^63 as an exact double: the first double above every `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// The exact order of an int and a double; `None` when the double is NaN.
#[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
pub fn cmp_int_float(int: i64, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    if float >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if float < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    // -2^63 <= float < 2^63, so its integer part fits an i64 exactly.
    let whole = float.trunc();
    Some(int.cmp(&(whole as i64)).then_with(|| {
        // Same integer part: the fraction decides.
        if float > whole {
            Ordering::Less
        } else if float < whole {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

/// The exact order of two numbers; `None` when one is NaN.
#[inline]
pub fn cmp_num(value: Num, literal: Num) -> Option<Ordering> {
    match (value, literal) {
        (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
        (Num::Int(a), Num::Float(b)) => cmp_int_float(a, b),
        (Num::Float(a), Num::Int(b)) => cmp_int_float(b, a).map(Ordering::reverse),
        (Num::Float(a), Num::Float(b)) => a.partial_cmp(&b),
    }
}

/// The binary64 number nearest to `nanos / 10^6`: a duration in float milliseconds.
#[allow(clippy::cast_precision_loss)]
pub fn nanos_to_millis(nanos: u64) -> f64 {
    // Up to 2^53 the integer converts exactly and one IEEE division rounds correctly.
    if nanos <= 1 << 53 {
        return nanos as f64 / 1e6;
    }
    // Beyond, `as f64` would round a first time. Parsing the exact decimal rounds once.
    let mut buf = [0u8; 32];
    let mut len = 0;
    let mut digits = [0u8; 20];
    let mut count = 0;
    let mut rest = nanos;
    while rest > 0 {
        digits[count] = b'0' + (rest % 10) as u8;
        rest /= 10;
        count += 1;
    }
    // nanos > 2^53 has at least 16 digits, so the point goes after digit count - 6.
    for (i, digit) in digits[..count].iter().rev().enumerate() {
        if i == count - 6 {
            buf[len] = b'.';
            len += 1;
        }
        buf[len] = *digit;
        len += 1;
    }
    std::str::from_utf8(&buf[..len])
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(nanos as f64 / 1e6)
}

/// The path component of a URL (RFC 3986, section 3.3): without scheme, authority,
/// query and fragment, percent-encoding left as is.
pub fn url_path(url: &str) -> &str {
    let bytes = url.as_bytes();
    let mut rest = url;
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    if bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        let end = bytes
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
        if let Some(colon) = end.filter(|&i| bytes[i] == b':') {
            rest = &url[colon + 1..];
        }
    }
    // The delimiters are ASCII, so byte positions are character boundaries; a byte
    // search is a fifth of the instructions of `str::find` with a `char` set
    // (callgrind: 540 a call before, on the full URLs of a real capture).
    if let Some(after) = rest.strip_prefix("//") {
        let end = after
            .bytes()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'?' | b'#'))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn url_path_is_the_rfc_3986_path() {
        for (url, path) in [
            ("https://h:8443/api/payment/1?q=2#f", "/api/payment/1"),
            ("http://host", ""),
            ("http://hôst/p", "/p"),
            ("//host/p?q", "/p"),
            ("/p/é?q#f", "/p/é"),
            ("/p#f?q", "/p"),
            ("mailto:a@b?subject=x", "a@b"),
            ("é://h/p", "é://h/p"),
            ("1http://h/p", "1http://h/p"),
            ("", ""),
        ] {
            assert_eq!(url_path(url), path, "{url}");
        }
    }

    proptest::proptest! {
        /// The byte search agrees with the plain `str` reading of the RFC on any text,
        /// multi-byte characters included.
        #[test]
        fn url_path_agrees_with_a_char_search(url in "[a-z+.:/?#é%0-9]{0,24}") {
            let mut rest = url.as_str();
            if let Some(colon) = url.find(':') {
                let scheme = &url[..colon];
                if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                {
                    rest = &url[colon + 1..];
                }
            }
            if let Some(after) = rest.strip_prefix("//") {
                rest = &after[after.find(['/', '?', '#']).unwrap_or(after.len())..];
            }
            let expected = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
            proptest::prop_assert_eq!(url_path(&url), expected);
        }
    }

    #[test]
    fn ints_and_floats_compare_exactly() {
        let two53 = 9_007_199_254_740_992_i64;
        assert_eq!(
            cmp_int_float(two53 + 1, 9_007_199_254_740_992.0),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp_int_float(two53, 9_007_199_254_740_992.0),
            Some(Ordering::Equal)
        );
        assert_eq!(cmp_int_float(500, 500.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(500, 500.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-500, -500.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(0, -0.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(i64::MAX, TWO_POW_63), Some(Ordering::Less));
        assert_eq!(cmp_int_float(i64::MIN, -TWO_POW_63), Some(Ordering::Equal));
        assert_eq!(
            cmp_int_float(i64::MIN, f64::NEG_INFINITY),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_int_float(i64::MAX, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(cmp_int_float(1, f64::NAN), None);
        assert_eq!(cmp_int_float(0, 1e-300), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-1, -1e-300), Some(Ordering::Less));
    }

    #[test]
    fn nan_makes_only_not_equal_true() {
        for op in [
            CompareOp::Eq,
            CompareOp::Lt,
            CompareOp::Le,
            CompareOp::Gt,
            CompareOp::Ge,
        ] {
            assert!(!holds(op, None));
        }
        assert!(holds(CompareOp::Ne, None));
    }

    #[test]
    fn float_milliseconds_round_once() {
        assert_eq!(nanos_to_millis(300_000), 0.3);
        assert_eq!(nanos_to_millis(1_500_000_000), 1500.0);
        // Above 2^53 the exact decimal decides; compare with an independent parse.
        for nanos in [
            (1 << 53) + 1,
            (1 << 60) + 12_345,
            u64::MAX,
            1_700_000_000_000_000_001,
        ] {
            let expected: f64 = format!("{}.{:06}", nanos / 1_000_000, nanos % 1_000_000)
                .parse()
                .unwrap_or_default();
            assert_eq!(nanos_to_millis(nanos), expected, "{nanos}");
        }
    }
}
