//! How numbers and names are written: every figure exactly as the JSON report writes
//! it, so the page and `--format json` can be compared by eye or by a test.

use std::borrow::Cow;

/// A count, as JSON writes it (no thousands separators: the text must contain the
/// JSON's figure).
pub(crate) fn int(n: u64) -> String {
    n.to_string()
}

/// A float, as `serde_json` (and so `--format json`) writes it: the shortest decimal
/// that reads back as the same double, `1.0` for one.
pub(crate) fn float(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| "null".to_owned())
}

/// An optional float: `–` where the JSON has `null`.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), float)
}

/// `part` as a share of `whole`, one decimal: a reading aid beside the exact figures.
#[allow(clippy::cast_precision_loss)] // a display figure
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The longest name shown in full, in characters; longer ones are cut with `…`, which
/// bounds the page's size whatever the input's names.
pub(crate) const NAME_CHARS: usize = 120;

/// `name`, cut to `limit` characters (not bytes: non-ASCII names stay valid).
pub(crate) fn name(name: &str, limit: usize) -> Cow<'_, str> {
    match name.char_indices().nth(limit) {
        None => Cow::Borrowed(name),
        Some((at, _)) => Cow::Owned(format!("{}…", &name[..at])),
    }
}

/// A duration bound in milliseconds as a short label: `1ms`, `500ms`, `1s`, `100s`.
pub(crate) fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", ms / 1000.0)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_json_writes_them() {
        for x in [0.0, 1.0, 0.316, 62.15, 0.1 + 0.2, 1e-7, 123_456_789.5] {
            assert_eq!(float(x), serde_json::json!(x).to_string());
        }
        assert_eq!(float(1.0), "1.0");
        assert_eq!(opt(None), "–");
    }

    #[test]
    fn names_are_cut_by_characters() {
        assert_eq!(name("日本語のサービス", 3), "日本語…");
        assert_eq!(name("short", 10), "short");
        assert_eq!(name("abc", 3), "abc");
    }

    #[test]
    fn bounds_read_as_durations() {
        assert_eq!(millis(1.0), "1ms");
        assert_eq!(millis(500.0), "500ms");
        assert_eq!(millis(2000.0), "2s");
        assert_eq!(millis(100_000.0), "100s");
    }
}
