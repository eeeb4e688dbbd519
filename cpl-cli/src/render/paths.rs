//! File names as CI systems want them. GitHub matches a finding to a file by its path
//! relative to the repository root, so a path under the working directory (the
//! checkout, when `cpl` runs in CI) is made relative to it, with forward slashes.

use std::fmt::Write as _;
use std::path::Path;

/// How SARIF locates an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ArtifactUri {
    /// A URI reference: a relative path, or a `file:` URI.
    pub(super) uri: String,
    /// `%SRCROOT%` for relative paths: the root the paths are relative to.
    pub(super) base: Option<&'static str>,
}

/// `name` relative to `cwd` when it is an absolute path under it, without leading
/// `./`, with `/` separators.
pub(super) fn repo_path(name: &str, cwd: Option<&Path>) -> String {
    let path = Path::new(name);
    let relative = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let mut text = relative.to_string_lossy().into_owned();
    if std::path::MAIN_SEPARATOR == '\\' {
        text = text.replace('\\', "/");
    }
    while let Some(rest) = text.strip_prefix("./") {
        text = rest.to_owned();
    }
    text
}

/// The SARIF `artifactLocation` of `name`: relative to `%SRCROOT%` when possible,
/// else an absolute `file:` URI.
pub(super) fn artifact_uri(name: &str, cwd: Option<&Path>) -> ArtifactUri {
    let path = repo_path(name, cwd);
    if path.starts_with('/') {
        ArtifactUri {
            uri: format!("file://{}", percent_encode(&path)),
            base: None,
        }
    } else {
        ArtifactUri {
            uri: percent_encode(&path),
            base: Some("%SRCROOT%"),
        }
    }
}

/// Percent-encodes every byte that may not appear as itself in a URI path (RFC 3986
/// `pchar` and `/`). `:` is encoded too, so a relative path is never read as a scheme.
fn percent_encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
                    | b'/'
            );
        if keep {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_working_directory() {
        let cwd = Path::new("/repo");
        assert_eq!(
            repo_path("/repo/policies/a.yaml", Some(cwd)),
            "policies/a.yaml"
        );
        assert_eq!(repo_path("./policies/a.yaml", Some(cwd)), "policies/a.yaml");
        assert_eq!(
            repo_path("/elsewhere/a.yaml", Some(cwd)),
            "/elsewhere/a.yaml"
        );
        assert_eq!(repo_path("../a.yaml", Some(cwd)), "../a.yaml");
    }

    #[test]
    fn uris_are_encoded() {
        let cwd = Path::new("/repo");
        assert_eq!(
            artifact_uri("policies/my policy:é.yaml", Some(cwd)),
            ArtifactUri {
                uri: "policies/my%20policy%3A%C3%A9.yaml".to_owned(),
                base: Some("%SRCROOT%"),
            }
        );
        assert_eq!(
            artifact_uri("/tmp/x#1.yaml", Some(cwd)),
            ArtifactUri {
                uri: "file:///tmp/x%231.yaml".to_owned(),
                base: None,
            }
        );
        assert_eq!(artifact_uri("<stdin>", Some(cwd)).uri, "%3Cstdin%3E");
    }
}
