//! Environment files as docker compose reads them, and compose-style variable
//! interpolation, resolving only from variables the scanned files set (never from the
//! scanner's own environment: scans must be reproducible).
//!
//! Syntax (docs.docker.com/compose/env-file): `KEY=VALUE` lines, `export ` accepted,
//! `#` starts a comment at the start of a line or after whitespace in an unquoted
//! value, single-quoted values are literal, double-quoted and unquoted values are
//! interpolated (`${VAR}`, `$VAR`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`,
//! `${VAR:+r}`, `${VAR+r}`, `$$`).

use std::collections::BTreeMap;

/// A value after interpolation: its text, and the variables it needed that the scanned
/// files do not set (their place in the text is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolated {
    /// The text with every known variable substituted.
    pub text: String,
    /// Variables used and not set, in order of use.
    pub unresolved: Vec<String>,
}

/// One `KEY=VALUE` line of an environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvLine {
    /// The key.
    pub key: String,
    /// The value as written (quotes removed).
    pub raw: String,
    /// The value after interpolation from the lines above.
    pub value: Interpolated,
    /// Byte range of the value in the file (of the key when the value is empty).
    pub span: std::ops::Range<usize>,
}

/// Reads an environment file. `vars` holds the variables known before it (none for a
/// plain `.env`); lines read later see the values of lines above them.
pub fn parse_env_file(text: &str, vars: &BTreeMap<String, String>) -> Vec<EnvLine> {
    let mut known = vars.clone();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = content.len() - trimmed.len();
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let body_start = start + lead + (trimmed.len() - body.len());
        let Some(eq) = body.find('=') else {
            continue;
        };
        let key = body[..eq].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let after = &body[eq + 1..];
        let value_start = body_start + eq + 1 + (after.len() - after.trim_start().len());
        let after = after.trim_start();
        let (raw, literal, len) = if let Some(rest) = after.strip_prefix('\'') {
            let end = rest.find('\'').unwrap_or(rest.len());
            (rest[..end].to_owned(), true, end + 2)
        } else if let Some(rest) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = rest.char_indices();
            let mut end = rest.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, 't')) => value.push('\t'),
                        Some((_, other)) => value.push(other),
                        None => {}
                    },
                    other => value.push(other),
                }
            }
            (value, false, end + 2)
        } else {
            // An inline comment needs whitespace before `#`.
            let mut end = after.len();
            let bytes = after.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
                    end = i;
                    break;
                }
            }
            (after[..end].trim_end().to_owned(), false, end)
        };
        let value = if literal {
            Interpolated {
                text: raw.clone(),
                unresolved: Vec::new(),
            }
        } else {
            interpolate(&raw, &known)
        };
        known.insert(key.to_owned(), value.text.clone());
        let span = if len == 0 {
            body_start..body_start + key.len()
        } else {
            value_start..value_start + len.min(after.len())
        };
        out.push(EnvLine {
            key: key.to_owned(),
            raw,
            value,
            span,
        });
    }
    out
}

/// Compose's interpolation of `text` from `vars` (see the module documentation). An
/// unset variable without a default is recorded in `unresolved` and reads as empty.
pub fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> Interpolated {
    let mut out = Interpolated {
        text: String::new(),
        unresolved: Vec::new(),
    };
    interpolate_into(text, vars, &mut out, 0);
    out
}

fn interpolate_into(
    text: &str,
    vars: &BTreeMap<String, String>,
    out: &mut Interpolated,
    depth: usize,
) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let Some(rel) = text[i..].find('$') else {
            out.text.push_str(&text[i..]);
            return;
        };
        out.text.push_str(&text[i..i + rel]);
        i += rel;
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.text.push('$');
                i += 2;
            }
            Some(b'{') => {
                let Some(close) = matching_brace(text, i + 2) else {
                    out.text.push_str(&text[i..]);
                    return;
                };
                let inner = &text[i + 2..close];
                expand(inner, vars, out, depth);
                i = close + 1;
            }
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
                let end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |e| i + 1 + e);
                let name = &text[i + 1..end];
                lookup(name, vars, out);
                i = end;
            }
            _ => {
                out.text.push('$');
                i += 1;
            }
        }
    }
}

/// The index of the `}` that closes a `${` whose content starts at `from`.
fn matching_brace(text: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[from..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(from + i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn lookup(name: &str, vars: &BTreeMap<String, String>, out: &mut Interpolated) {
    match vars.get(name) {
        Some(value) => out.text.push_str(value),
        None => out.unresolved.push(name.to_owned()),
    }
}

/// `${...}` content: `NAME`, `env:NAME` (declarative config) and the operators.
fn expand(inner: &str, vars: &BTreeMap<String, String>, out: &mut Interpolated, depth: usize) {
    let inner = inner.strip_prefix("env:").unwrap_or(inner);
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    let value = vars.get(name);
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    // Nested interpolation in defaults is bounded: deep nesting reads as literal text.
    let nested = |text: &str, out: &mut Interpolated| {
        if depth < 8 {
            interpolate_into(text, vars, out, depth + 1);
        } else {
            out.text.push_str(text);
        }
    };
    if let Some(default) = rest.strip_prefix(":-") {
        if set_nonempty {
            out.text.push_str(value.map_or("", String::as_str));
        } else {
            nested(default, out);
        }
    } else if let Some(default) = rest.strip_prefix('-') {
        match value {
            Some(v) => out.text.push_str(v),
            None => nested(default, out),
        }
    } else if let Some(replacement) = rest.strip_prefix(":+") {
        if set_nonempty {
            nested(replacement, out);
        }
    } else if let Some(replacement) = rest.strip_prefix('+') {
        if value.is_some() {
            nested(replacement, out);
        }
    } else {
        // `${VAR}`, and `${VAR:?message}` / `${VAR?message}` (compose fails on unset).
        lookup(name, vars, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn compose_interpolation_forms() {
        let v = vars(&[("A", "1"), ("E", "")]);
        assert_eq!(interpolate("${A}", &v).text, "1");
        assert_eq!(interpolate("$A-x", &v).text, "1-x");
        assert_eq!(interpolate("${B:-0.5}", &v).text, "0.5");
        assert_eq!(interpolate("${E:-d}", &v).text, "d");
        assert_eq!(interpolate("${E-d}", &v).text, "");
        assert_eq!(interpolate("${A:+r}", &v).text, "r");
        assert_eq!(interpolate("$$A", &v).text, "$A");
        assert_eq!(interpolate("${B:-${A}}", &v).text, "1");
        assert_eq!(interpolate("${env:A}", &v).text, "1");
        let missing = interpolate("x${MISSING}", &v);
        assert_eq!(missing.unresolved, vec!["MISSING".to_owned()]);
    }

    #[test]
    fn env_file_quotes_comments_and_chains() {
        let text = "# c\nHOST=collector\nexport PORT=4317 # port\nURL=http://${HOST}:${PORT}\nLIT='${HOST}'\nQ=\"a # b\"\nbroken line\n";
        let lines = parse_env_file(text, &BTreeMap::new());
        let get = |k: &str| {
            lines
                .iter()
                .find(|l| l.key == k)
                .expect(k)
                .value
                .text
                .clone()
        };
        assert_eq!(get("PORT"), "4317");
        assert_eq!(get("URL"), "http://collector:4317");
        assert_eq!(get("LIT"), "${HOST}");
        assert_eq!(get("Q"), "a # b");
        assert_eq!(lines.len(), 5);
        let url = lines.iter().find(|l| l.key == "URL").expect("URL");
        assert_eq!(&text[url.span.clone()], "http://${HOST}:${PORT}");
    }

    #[test]
    fn host_environment_is_never_read() {
        // HOME is set in every test process; the scanned file does not set it.
        let out = interpolate("${HOME}", &BTreeMap::new());
        assert_eq!(out.text, "");
        assert_eq!(out.unresolved, vec!["HOME".to_owned()]);
    }
}
