//! Dockerfiles: `ENV KEY=VALUE ...` and `ENV KEY VALUE`, with line continuations.
//! The service is the Dockerfile's directory, matched to a service later.

use crate::envfile::Interpolated;
use crate::setting::Layer;
use crate::source::{Read, SourceFile};

/// Whether a file name is a Dockerfile.
pub fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
}

/// Reads the `ENV` instructions; `service` is the placeholder for the directory.
pub fn read(file: &SourceFile<'_>, service: &str, read: &mut Read) {
    let mut offset = 0;
    let mut lines = file.text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        if !trimmed
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("ENV "))
        {
            continue;
        }
        // Join continuation lines; offsets are kept for the first line only.
        let mut logical = line.trim_end().to_owned();
        while logical.ends_with('\\') {
            logical.pop();
            let Some(next) = lines.next() else { break };
            offset += next.len();
            logical.push(' ');
            logical.push_str(next.trim());
        }
        let lead = line.len() - trimmed.len();
        let body_start = start + lead + 4;
        let body = &logical[lead + 4..];
        for (key, value, at) in env_pairs(body) {
            let resolved = Interpolated {
                text: value.clone(),
                unresolved: Vec::new(),
            };
            let position = (body_start + at).min(file.text.len());
            read.settings.extend(file.env_settings(
                &key,
                &resolved,
                &value,
                position..position + key.len(),
                Layer::Dockerfile,
                Some(service),
            ));
        }
    }
}

/// `KEY=VALUE KEY2="a b"` or `KEY VALUE`: key, unquoted value, key offset.
fn env_pairs(body: &str) -> Vec<(String, String, usize)> {
    let trimmed = body.trim_start();
    let base = body.len() - trimmed.len();
    let first = trimmed.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let value = trimmed[first.len()..].trim();
        return vec![(first.to_owned(), unquote(value), base)];
    }
    let mut out = Vec::new();
    let bytes = trimmed.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            break;
        }
        let key = &trimmed[key_start..i];
        i += 1;
        let value_start = i;
        let mut quote = None;
        while i < bytes.len() {
            match (quote, bytes[i]) {
                (None, b'"' | b'\'') => quote = Some(bytes[i]),
                (Some(q), b) if b == q => quote = None,
                (None, b) if b.is_ascii_whitespace() => break,
                _ => {}
            }
            i += 1;
        }
        out.push((
            key.to_owned(),
            unquote(&trimmed[value_start..i]),
            base + key_start,
        ));
    }
    out
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn env_forms() {
        let pairs = super::env_pairs(
            r#"JAVA_TOOL_OPTIONS="-javaagent:/a.jar -Dotel.traces.sampler=always_on" X=1"#,
        );
        assert_eq!(
            pairs[0].1,
            "-javaagent:/a.jar -Dotel.traces.sampler=always_on"
        );
        assert_eq!(pairs[1].0, "X");
        let legacy = super::env_pairs("OTEL_TRACES_SAMPLER always_off");
        assert_eq!(legacy[0].1, "always_off");
    }
}
