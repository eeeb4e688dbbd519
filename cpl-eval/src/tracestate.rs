//! Reading one entry of a W3C `tracestate` header the way the OpenTelemetry Go API's
//! `trace.ParseTraceState` does (spec/fields.md, "Trace state and trace flags"): the
//! whole header must be valid, or no entry can be read. Allocation-free: a header has
//! at most 32 members, whose keys are checked for duplicates in place.

/// The value of entry `key` in `header`, `None` when the header is empty or invalid or
/// has no such entry.
pub(crate) fn entry<'h>(header: &'h str, key: &str) -> Option<&'h str> {
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

#[cfg(test)]
mod tests {
    use super::entry;

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
}
