//! The conformance cases in `conformance/cases/<name>/` (layout: `conformance/README.md`).
//!
//! A case is a `tail_sampling` processor block, OTLP/JSON trace files, and the traces
//! the real collector keeps, as data, so that any engine (the reference collector via
//! [`crate::collector`], or CPL's own decision engine) can be checked against it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The directory name.
    pub name: String,
    /// The directory.
    pub dir: PathBuf,
    /// `tail_sampling.yaml`: the processor block (top-level key `tail_sampling`).
    pub tail_sampling: String,
    /// The request bodies: each JSON document of each `*.json`/`*.jsonl` file, files in
    /// name order, documents in file order.
    pub requests: Vec<String>,
    /// `feature-gates.txt` (one gate a line, `#` comments), plus
    /// [`crate::collector::RECORD_POLICY_GATE`] when `expected.txt` names policies.
    pub feature_gates: Vec<String>,
    /// `expected.txt`.
    pub expected: Expected,
}

/// What `expected.txt` says the collector does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// It keeps exactly these traces. The policy is the first policy that voted to
    /// sample (`tailsampling.policy`), given for every trace or for none.
    Kept(BTreeMap<String, Option<String>>),
    /// It refuses to start, with this text in its log.
    StartupError(String),
}

impl Expected {
    /// Whether the case names the deciding policy of each kept trace.
    pub fn names_policies(&self) -> bool {
        matches!(self, Expected::Kept(kept) if kept.values().any(Option::is_some))
    }
}

/// `conformance/cases` in the workspace.
pub fn cases_dir() -> PathBuf {
    crate::workspace_root().join("conformance").join("cases")
}

/// Every case, in name order.
pub fn load_cases() -> Result<Vec<Case>, String> {
    let dir = cases_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|error| format!("{}: {error}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|dir| load_case(dir)).collect()
}

/// One case directory.
pub fn load_case(dir: &Path) -> Result<Case, String> {
    let name = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let tail_sampling = read("tail_sampling.yaml")?;
    let expected =
        parse_expected(&read("expected.txt")?).map_err(|error| format!("{name}: {error}"))?;

    let mut trace_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| format!("{}: {error}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json" || extension == "jsonl")
        })
        .collect();
    trace_files.sort();
    let mut requests = Vec::new();
    for file in &trace_files {
        requests.extend(crate::collector::requests_from_file(file)?);
    }

    let mut feature_gates: Vec<String> =
        match std::fs::read_to_string(dir.join("feature-gates.txt")) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_string)
                .collect(),
            Err(_) => Vec::new(),
        };
    if expected.names_policies() {
        feature_gates.push(crate::collector::RECORD_POLICY_GATE.to_string());
    }
    Ok(Case {
        name,
        dir: dir.to_path_buf(),
        tail_sampling,
        requests,
        feature_gates,
        expected,
    })
}

/// Parses `expected.txt`: `#` comments and blank lines, then either one line
/// `startup-error: <text>` or trace ids (32 lowercase hex digits), sorted, one a line,
/// each optionally followed by the deciding policy's name.
pub fn parse_expected(text: &str) -> Result<Expected, String> {
    let mut kept = BTreeMap::new();
    let mut startup_error = None;
    let mut previous: Option<String> = None;
    let mut with_policy = None;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("expected.txt line {}", number + 1);
        if let Some(message) = line.strip_prefix("startup-error:") {
            startup_error = Some(message.trim().to_string());
            continue;
        }
        let mut words = line.split_whitespace();
        let id = words.next().unwrap_or_default().to_string();
        let policy = words.next().map(str::to_string);
        if words.next().is_some() {
            return Err(format!("{}: more than a trace id and a policy", at()));
        }
        if id.len() != 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!("{}: `{id}` is not 32 lowercase hex digits", at()));
        }
        if previous.as_ref().is_some_and(|previous| *previous >= id) {
            return Err(format!("{}: trace ids must be sorted and distinct", at()));
        }
        if *with_policy.get_or_insert(policy.is_some()) != policy.is_some() {
            return Err(format!(
                "{}: give a policy for every trace or for none",
                at()
            ));
        }
        previous = Some(id.clone());
        kept.insert(id, policy);
    }
    match startup_error {
        Some(_) if !kept.is_empty() => Err("startup-error with trace ids".to_string()),
        Some(message) => Ok(Expected::StartupError(message)),
        None => Ok(Expected::Kept(kept)),
    }
}

/// The differences between the traces a case expects kept and those an engine kept,
/// one line each (`missing`, `extra`, `policy`); empty when they agree trace for trace.
/// Policies are compared only where both sides name one.
pub fn differences(
    expected: &BTreeMap<String, Option<String>>,
    actual: &BTreeMap<String, Option<String>>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (id, policy) in expected {
        match actual.get(id) {
            None => lines.push(format!(
                "  missing {id} (expected kept{})",
                policy
                    .as_ref()
                    .map(|p| format!(" by {p}"))
                    .unwrap_or_default()
            )),
            Some(kept) => {
                if let (Some(want), Some(got)) = (policy, kept) {
                    if want != got {
                        lines.push(format!("  policy  {id}: expected {want}, got {got}"));
                    }
                }
            }
        }
    }
    for (id, policy) in actual {
        if !expected.contains_key(id) {
            lines.push(format!(
                "  extra   {id} (kept{}, not expected)",
                policy
                    .as_ref()
                    .map(|p| format!(" by {p}"))
                    .unwrap_or_default()
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_files_parse_strictly() {
        let id = "0123456789abcdef0123456789abcdef";
        let other = "1123456789abcdef0123456789abcdef";
        assert_eq!(
            parse_expected(&format!("# why\n{id} p\n{other} q\n")),
            Ok(Expected::Kept(BTreeMap::from([
                (id.to_string(), Some("p".to_string())),
                (other.to_string(), Some("q".to_string())),
            ])))
        );
        assert_eq!(
            parse_expected("# none kept\n"),
            Ok(Expected::Kept(BTreeMap::new()))
        );
        assert_eq!(
            parse_expected("startup-error: no such gate\n"),
            Ok(Expected::StartupError("no such gate".to_string()))
        );
        assert!(
            parse_expected(&format!("{other}\n{id}\n")).is_err(),
            "unsorted"
        );
        assert!(
            parse_expected(&format!("{id} p\n{other}\n")).is_err(),
            "mixed policies"
        );
        assert!(parse_expected("0123\n").is_err(), "short id");
        assert!(parse_expected(&id.to_uppercase()).is_err(), "upper case");
    }
}
