//! Reading one entry of a W3C `tracestate` header the way the OpenTelemetry Go API's
//! `trace.ParseTraceState` does (spec/fields.md, "Trace state and trace flags"): the
//! whole header must be valid, or no entry can be read. Allocation-free: a header has
//! at most 32 members, whose keys are checked for duplicates in place.
//!
//! It is also the one home of OpenTelemetry's own entry, `ot`, and its OTEP 235
//! sampling sub-keys `th` and `rv` (spec/runtime.md, "Upstream thresholds"): read
//! ([`ot_sampling`]), encoded ([`ThresholdHex`]) and rewritten
//! ([`ot_value_with_threshold`]), as the OpenTelemetry specification says.

/// The value of entry `key` in `header`, `None` when the header is empty or invalid or
/// has no such entry: what `trace_state["key"]` reads.
///
/// ```
/// assert_eq!(cpl_eval::tracestate_entry("ot=th:8,vendor=x", "ot"), Some("th:8"));
/// assert_eq!(cpl_eval::tracestate_entry("ot=th:8,oops", "ot"), None);
/// ```
pub fn entry<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    const MAX_MEMBERS: usize = 32;
    let mut keys: [&str; MAX_MEMBERS] = [""; MAX_MEMBERS];
    let mut count = 0;
    let mut found = None;
    for member in header.split(',') {
        if member.is_empty() {
            continue;
        }
        let (k, v) = member.split_once('=')?;
        let k = k.trim_start_matches([' ', '\t']);
        let v = v.trim_end_matches([' ', '\t']);
        if !valid_key(k) || !valid_value(v) || keys[..count].contains(&k) {
            return None;
        }
        // A 33rd member makes the header invalid.
        *keys.get_mut(count)? = k;
        count += 1;
        if k == key {
            found = Some(v);
        }
    }
    found
}

fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some((&last, rest)) = bytes.split_last() else {
        return false;
    };
    let allowed = |b: u8| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=';
    bytes.len() <= 256 && rest.iter().all(|&b| allowed(b)) && allowed(last) && last != b' '
}

fn valid_key(key: &str) -> bool {
    match key.split_once('@') {
        Some((tenant, system)) => part(tenant, 240, true) && part(system, 13, false),
        None => part(key, 255, false),
    }
}

/// A simple key, tenant or system id: a first byte `a`–`z` (or a digit for a tenant),
/// then at most `max` bytes of characters whose code point's low byte is `a`–`z` or
/// `0`–`9`, or that are `_`, `-`, `*`, `/` (Go tests `byte(rune)`).
fn part(text: &str, max: usize, digit_first: bool) -> bool {
    let Some(&first) = text.as_bytes().first() else {
        return false;
    };
    let first_ok = first.is_ascii_lowercase() || (digit_first && first.is_ascii_digit());
    let Some(rest) = text.get(1..) else {
        return false;
    };
    first_ok
        && rest.len() <= max
        && rest.chars().all(|c| {
            #[allow(clippy::cast_possible_truncation)] // the truncation is Go's
            let low = (u32::from(c) & 0xff) as u8;
            low.is_ascii_lowercase() || low.is_ascii_digit() || matches!(c, '_' | '-' | '*' | '/')
        })
}

/// The longest `ot` value the specification allows.
const MAX_OT_VALUE: usize = 256;

/// The OTEP 235 sampling sub-keys of a `tracestate` header's `ot` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OtSampling {
    /// The rejection threshold of a valid `th` (1 to 14 lowercase hex digits, right-padded
    /// with zeros to 56 bits), `None` when absent or invalid.
    pub threshold: Option<u64>,
    /// The explicit randomness of a valid `rv` (exactly 14 lowercase hex digits), `None`
    /// when absent or invalid.
    pub randomness: Option<u64>,
    /// Whether something was ignored as malformed: the `ot` value as a whole, or its
    /// `th` or `rv`.
    pub malformed: bool,
}

/// Reads the `th` and `rv` sub-keys of the `ot` entry of a W3C `tracestate` header.
///
/// The header must be valid ([`tracestate_entry`](crate::tracestate_entry)); the `ot`
/// value must be a `;`-separated list of `key:value` members with unique keys `[a-z][a-z0-9]*`,
/// values of letters, digits, `.`, `_` and `-`, at most 256 characters long, or it is
/// ignored as a whole. Malformed input is never an error: what is malformed is
/// ignored and reported in [`OtSampling::malformed`].
///
/// ```
/// let ot = cpl_eval::ot_sampling("ot=th:8;rv:0123456789abcd,congo=t61rcWkgMzE");
/// assert_eq!(ot.threshold, Some(1 << 55));
/// assert_eq!(ot.randomness, Some(0x01_2345_6789_abcd));
/// // clarvynn's 15-digit `th` is not a threshold.
/// let ot = cpl_eval::ot_sampling("ot=th:100000000000000");
/// assert_eq!(ot.threshold, None);
/// assert!(ot.malformed);
/// ```
pub fn ot_sampling(header: &str) -> OtSampling {
    entry(header, "ot").map_or_else(OtSampling::default, OtSampling::parse_value)
}

impl OtSampling {
    /// Reads the value of an `ot` entry (`th:8;rv:…`), taken from a header already
    /// known to be valid (an SDK's parsed trace state): the rules of [`ot_sampling`].
    ///
    /// ```
    /// let ot = cpl_eval::OtSampling::parse_value("th:c;vendor:x");
    /// assert_eq!(ot.threshold, Some(0xc << 52));
    /// ```
    pub fn parse_value(value: &str) -> OtSampling {
        let mut out = OtSampling::default();
        if !valid_ot_value(value) {
            out.malformed = true;
            return out;
        }
        for member in value.split(';') {
            let Some((key, value)) = member.split_once(':') else {
                continue;
            };
            match key {
                "th" => {
                    out.threshold = parse_threshold(value);
                    out.malformed |= out.threshold.is_none();
                }
                "rv" => {
                    out.randomness = (value.len() == 14).then(|| parse_hex56(value)).flatten();
                    out.malformed |= out.randomness.is_none();
                }
                _ => {}
            }
        }
        out
    }
}

/// Whether `value` is a well-formed `ot` entry value with unique keys.
fn valid_ot_value(value: &str) -> bool {
    if value.is_empty() || value.len() > MAX_OT_VALUE {
        return false;
    }
    let members = || value.split(';');
    let well_formed = members().all(|member| {
        let Some((key, value)) = member.split_once(':') else {
            return false;
        };
        let mut key_bytes = key.bytes();
        key_bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && key_bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    // At most 128 members fit in 256 bytes; a quadratic check of keys stays small.
    well_formed
        && members().enumerate().all(|(i, member)| {
            let key = member.split_once(':').map_or(member, |(key, _)| key);
            members()
                .take(i)
                .all(|earlier| earlier.split_once(':').map_or(earlier, |(k, _)| k) != key)
        })
}

/// A `th` value: 1 to 14 lowercase hex digits, right-padded with zeros.
fn parse_threshold(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 14 {
        return None;
    }
    let digits = parse_hex56(value)?;
    let padding = 4 * (14 - u32::try_from(value.len()).ok()?);
    Some(digits << padding)
}

/// Lowercase hex digits (at most 14) as an integer.
fn parse_hex56(value: &str) -> Option<u64> {
    if value.len() > 14 {
        return None;
    }
    value.bytes().try_fold(0u64, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u64::from(digit))
    })
}

/// A threshold written as OpenTelemetry's `th` value: 14 hex digits, left-padded with
/// zeros, trailing zeros removed, `0` for zero. Built without allocating.
///
/// ```
/// use cpl_eval::{threshold, ThresholdHex};
/// assert_eq!(ThresholdHex::new(threshold(0.01).unwrap()).as_str(), "fd70a3d70a3d7");
/// assert_eq!(ThresholdHex::new(threshold(0.5).unwrap()).as_str(), "8");
/// assert_eq!(ThresholdHex::new(threshold(0.999).unwrap()).as_str(), "004189374bc6a8");
/// assert_eq!(ThresholdHex::new(0).as_str(), "0");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ThresholdHex {
    digits: [u8; 14],
    len: u8,
}

impl ThresholdHex {
    /// Encodes the low 56 bits of `threshold` (a threshold is below 2^56).
    pub fn new(threshold: u64) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [b'0'; 14];
        for (i, digit) in digits.iter_mut().enumerate() {
            let shift = 4 * (13 - i);
            *digit = HEX[usize::try_from((threshold >> shift) & 0xf).unwrap_or(0)];
        }
        let len = digits
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(1, |last| last + 1);
        Self {
            digits,
            len: u8::try_from(len).unwrap_or(14),
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or("0")
    }
}

impl std::fmt::Display for ThresholdHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for ThresholdHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThresholdHex({})", self.as_str())
    }
}

/// The new value of the `ot` entry when a sampler sets `th` (`Some`) or removes it
/// (`None`): `th` first, then the other members of the old value in order. A malformed
/// old value is replaced as a whole. `None` when nothing would be left.
///
/// ```
/// use cpl_eval::{ot_value_with_threshold, ThresholdHex};
/// let th = Some(ThresholdHex::new(1 << 55));
/// assert_eq!(ot_value_with_threshold(Some("rv:0123456789abcd;th:c"), th).as_deref(),
///            Some("th:8;rv:0123456789abcd"));
/// assert_eq!(ot_value_with_threshold(Some("th:c"), None), None);
/// assert_eq!(ot_value_with_threshold(Some("th:C"), th).as_deref(), Some("th:8"));
/// ```
pub fn ot_value_with_threshold(
    old: Option<&str>,
    threshold: Option<ThresholdHex>,
) -> Option<String> {
    let mut out = String::new();
    if let Some(th) = threshold {
        out.push_str("th:");
        out.push_str(th.as_str());
    }
    if let Some(old) = old.filter(|old| valid_ot_value(old)) {
        for member in old.split(';').filter(|m| !m.starts_with("th:")) {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(member);
        }
    }
    // Keeping the other members must not make the value too long: drop them then.
    if out.len() > MAX_OT_VALUE {
        out.truncate(0);
        if let Some(th) = threshold {
            out.push_str("th:");
            out.push_str(th.as_str());
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_of_valid_headers() {
        let header = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
        assert_eq!(entry(header, "congo"), Some("t61rcWkgMzE"));
        assert_eq!(entry(header, "rojo"), Some("00f067aa0ba902b7"));
        assert_eq!(entry(header, "blue"), None);
        assert_eq!(entry("", "congo"), None);
        assert_eq!(entry(",,a=1,,", "a"), Some("1"));
        assert_eq!(entry("\t a=1 \t", "a"), Some("1"));
        assert_eq!(entry("a= 1", "a"), Some(" 1"));
        assert_eq!(entry("ot=th:8;rv:ab", "ot"), Some("th:8;rv:ab"));
        assert_eq!(entry("7tenant@sys=x", "7tenant@sys"), Some("x"));
        // Go tests the low byte of each character: U+0161 reads as `a`.
        assert_eq!(entry("a\u{161}=x", "a\u{161}"), Some("x"));
    }

    #[test]
    fn an_invalid_header_has_no_entries() {
        for header in [
            "a=1,oops",
            "a=1,a=2",
            "A=1",
            "1a=1",
            "a=",
            "a=x=y",
            "a=1 ,b",
            "a=\u{e9}",
            "a@=1",
            "@a=1",
            "a b=1",
            "a=1\u{7f}",
        ] {
            assert_eq!(entry(header, "a"), None, "{header:?}");
        }
        let members: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(entry(&members.join(","), "k0"), None);
        assert_eq!(entry(&members[..32].join(","), "k0"), Some("v"));
        let long_value = "v".repeat(256);
        assert_eq!(entry(&format!("a={long_value}"), "a"), Some(&*long_value));
        assert_eq!(entry(&format!("a={long_value}v"), "a"), None);
        let long_key = format!("a{}", "b".repeat(255));
        assert_eq!(entry(&format!("{long_key}=1"), &long_key), Some("1"));
        assert_eq!(entry(&format!("{long_key}b=1"), "a"), None);
        let system = format!("t@a{}", "s".repeat(13));
        assert_eq!(entry(&format!("{system}=1"), &system), Some("1"));
        let system = format!("t@a{}", "s".repeat(14));
        assert_eq!(entry(&format!("{system}=1"), &system), None);
    }

    #[test]
    fn reads_otep_235_sub_keys() {
        let read = |h: &str| ot_sampling(h);
        assert_eq!(read("ot=th:0").threshold, Some(0));
        assert_eq!(read("ot=th:8").threshold, Some(1 << 55));
        assert_eq!(read("ot=th:c").threshold, Some(0xc << 52));
        assert_eq!(
            read("ot=th:fd70a3d70a3d7").threshold,
            Some(0x00fd_70a3_d70a_3d70)
        );
        assert_eq!(
            read("ot=rv:ce929d0e0e4736;th:8").randomness,
            Some(0x00ce_929d_0e0e_4736)
        );
        assert_eq!(read("ot=rv:ce929d0e0e4736;th:8").threshold, Some(1 << 55));
        assert_eq!(read("a=1,ot=x:y;th:1").threshold, Some(1 << 52));
        assert_eq!(
            read("ot=th:8;rv:ab"),
            OtSampling {
                threshold: Some(1 << 55),
                randomness: None,
                malformed: true
            }
        );
        assert_eq!(read(""), OtSampling::default());
        assert_eq!(read("vendor=1"), OtSampling::default());
        for malformed in [
            "ot=th:100000000000000",
            "ot=th:C",
            "ot=th:",
            "ot=th:8;th:8",
            "ot=th8",
            "ot=Th:8",
            "ot=th:8;",
            "ot=th:8;;rv:00000000000000",
            "ot=th:g",
            "ot=th:8;x:a:b",
            "ot=th:8;rv:ce929d0e0e473",
            "ot=th:8;rv:CE929D0E0E4736",
        ] {
            let ot = read(malformed);
            assert!(ot.malformed, "{malformed}");
            assert!(
                !(ot.threshold.is_some() && ot.randomness.is_some()),
                "{malformed}"
            );
        }
        assert_eq!(read("ot=th:C").threshold, None);
        // An invalid header has no `ot` entry at all: nothing to call malformed.
        assert_eq!(read("ot=th:8,oops"), OtSampling::default());
        // Longer than 256: no valid header holds it, an SDK's parsed state might.
        let long = format!("th:8;x:{}", "a".repeat(250));
        assert!(OtSampling::parse_value(&long).malformed);
        assert_eq!(read(&format!("ot={long}")), OtSampling::default());
    }

    #[test]
    fn encodes_thresholds_as_the_specification_says() {
        for (t, text) in [
            (0, "0"),
            (1 << 55, "8"),
            (0x00c0_0000_0000_0000, "c"),
            (0x00fd_70a3_d70a_3d70, "fd70a3d70a3d7"),
            (0x0000_4189_374b_c6a8, "004189374bc6a8"),
            (8, "00000000000008"),
            ((1 << 56) - 1, "ffffffffffffff"),
        ] {
            let hex = ThresholdHex::new(t);
            assert_eq!(hex.as_str(), text);
            assert_eq!(
                parse_threshold(hex.as_str()),
                Some(t),
                "round trip of {text}"
            );
        }
    }

    #[test]
    fn rewrites_ot_values() {
        let th = Some(ThresholdHex::new(0));
        assert_eq!(ot_value_with_threshold(None, th).as_deref(), Some("th:0"));
        assert_eq!(
            ot_value_with_threshold(Some("th:8;x:1"), th).as_deref(),
            Some("th:0;x:1")
        );
        assert_eq!(
            ot_value_with_threshold(Some("x:1"), None).as_deref(),
            Some("x:1")
        );
        assert_eq!(
            ot_value_with_threshold(Some("bad value"), th).as_deref(),
            Some("th:0")
        );
        assert_eq!(ot_value_with_threshold(None, None), None);
        let long = format!("x:{}", "a".repeat(250));
        assert_eq!(
            ot_value_with_threshold(Some(&long), Some(ThresholdHex::new(1 << 55))).as_deref(),
            Some("th:8")
        );
    }
}
