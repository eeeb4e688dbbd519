//! W3C `tracestate` parsing as OpenTelemetry Go's `trace.ParseTraceState`
//! does it, for `span.trace_state["key"]`: a value that does not parse reads
//! as nil, a missing key of one that does as `""`.

/// The members of a trace state, in order, or `Err` when it does not parse.
pub(crate) fn parse(raw: &str) -> Result<Vec<(String, String)>, ()> {
    const MAX_MEMBERS: usize = 32;
    let mut members: Vec<(String, String)> = Vec::new();
    for member in raw.split(',') {
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=').ok_or(())?;
        let key = key.trim_start_matches([' ', '\t']);
        let value = value.trim_end_matches([' ', '\t']);
        if !valid_key(key) || !valid_value(value) {
            return Err(());
        }
        if members.iter().any(|(k, _)| k == key) {
            return Err(());
        }
        members.push((key.to_owned(), value.to_owned()));
        if members.len() > MAX_MEMBERS {
            return Err(());
        }
    }
    Ok(members)
}

fn key_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'*' | b'/')
}

/// `[a-z][_0-9a-z\-\*\/]{0,255}` or
/// `[a-z0-9][_0-9a-z\-\*\/]{0,240}@[a-z][_0-9a-z\-\*\/]{0,13}`.
fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match key.split_once('@') {
        None => {
            !bytes.is_empty()
                && bytes.len() <= 256
                && bytes[0].is_ascii_lowercase()
                && bytes[1..].iter().all(|&b| key_char(b))
        }
        Some((tenant, system)) => {
            let (t, s) = (tenant.as_bytes(), system.as_bytes());
            !t.is_empty()
                && t.len() <= 241
                && (t[0].is_ascii_lowercase() || t[0].is_ascii_digit())
                && t[1..].iter().all(|&b| key_char(b))
                && !s.is_empty()
                && s.len() <= 14
                && s[0].is_ascii_lowercase()
                && s[1..].iter().all(|&b| key_char(b))
        }
    }
}

/// `[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]`.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let allowed = |b: u8| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=';
    !bytes.is_empty()
        && bytes.len() <= 256
        && bytes.iter().all(|&b| allowed(b))
        && bytes[bytes.len() - 1] != b' '
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_opentelemetry_go() {
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(
            parse("ot=th:8;rv:1234, vendor=x"),
            Ok(vec![
                ("ot".into(), "th:8;rv:1234".into()),
                ("vendor".into(), "x".into())
            ])
        );
        assert!(parse("Bad=1").is_err());
        assert!(parse("a=1,a=2").is_err());
        assert!(parse("novalue").is_err());
        assert!(parse("t@sys=v").is_ok());
        assert_eq!(parse("a=1,,b=2").map(|m| m.len()), Ok(2));
    }
}
