//! One reader per kind of file; each turns a parsed file into [`Setting`]s
//! (crate::setting::Setting) with positions.

pub mod compose;
pub mod declarative;
pub mod dockerfile;
pub mod kube;
pub mod kustomize;
pub mod pipeline;
pub mod policy;

/// Joins `/`-separated relative paths, resolving `.` and `..` (never above the root).
pub fn join(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Whether a file name ends in `.ext` (ASCII case-insensitive).
pub fn has_extension(name: &str, extensions: &[&str]) -> bool {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The directory of a `/`-separated path (`""` at the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins() {
        assert_eq!(super::join("a/b", "./c/../d"), "a/b/d");
        assert_eq!(super::join("", "src/ad/Dockerfile"), "src/ad/Dockerfile");
        assert_eq!(super::join("a", "../../x"), "x");
        assert_eq!(super::parent("a/b/c.yaml"), "a/b");
    }
}
