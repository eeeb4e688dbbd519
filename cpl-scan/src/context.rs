//! Which environment and tenant a file belongs to: from the project file's `scan:`
//! section when there is one, else inferred from path words (spec/scan.md,
//! "Environments").

use std::collections::BTreeMap;

use cpl_syntax::yaml::{self, Node, NodeValue};

/// The `scan:` section of a project file, plus `tenants.expected`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanProject {
    /// Environment name -> path prefixes (relative to the project file, `/`-separated).
    pub environments: Vec<(String, Vec<String>)>,
    /// Services that start traces.
    pub entry_points: Option<Vec<String>>,
    /// Tenant -> path prefixes.
    pub tenants: Vec<(String, Vec<String>)>,
    /// `tenants.expected`.
    pub expected_tenants: Vec<String>,
    /// Where each of `expected_tenants` is written in the project file.
    pub expected_spans: Vec<std::ops::Range<usize>>,
}

/// Reads the `scan:` section and `tenants.expected` of a project file. The whole file
/// is checked by `cpl_syntax::load_project` first; this only picks the values.
pub fn read_project(source: &str) -> Result<ScanProject, String> {
    let (root, errors) = yaml::parse(source);
    if let Some(error) = errors.first() {
        return Err(error.message.clone());
    }
    let mut project = ScanProject::default();
    let Some(root) = root else {
        return Ok(project);
    };
    if let Some(expected) = get(&root, "tenants").and_then(|t| get(t, "expected")) {
        let names: Vec<&Node> = match &expected.value {
            NodeValue::Sequence(items) => items.iter().collect(),
            _ => vec![expected],
        };
        for node in names {
            if let NodeValue::Scalar(scalar) = &node.value {
                project.expected_tenants.push(scalar.text.clone());
                project
                    .expected_spans
                    .push(scalar.file_offset(0)..scalar.file_offset(scalar.text.len()));
            }
        }
    }
    let Some(scan) = get(&root, "scan") else {
        return Ok(project);
    };
    if let Some(NodeValue::Mapping(entries)) = get(scan, "environments").map(|n| &n.value) {
        for (key, value) in entries {
            if let Some(name) = text(key) {
                project.environments.push((name.to_owned(), strings(value)));
            }
        }
    }
    if let Some(entry_points) = get(scan, "entry_points") {
        project.entry_points = Some(strings(entry_points));
    }
    if let Some(NodeValue::Mapping(entries)) = get(scan, "tenants").map(|n| &n.value) {
        for (key, value) in entries {
            if let Some(name) = text(key) {
                project.tenants.push((name.to_owned(), strings(value)));
            }
        }
    }
    Ok(project)
}

fn text(node: &Node) -> Option<&str> {
    match &node.value {
        NodeValue::Scalar(s) => Some(s.text.as_str()),
        _ => None,
    }
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    yaml::merged_entries(node)?
        .into_iter()
        .find(|(k, _)| text(k) == Some(key))
        .map(|(_, v)| v)
}

fn strings(node: &Node) -> Vec<String> {
    match &node.value {
        NodeValue::Scalar(s) => vec![s.text.clone()],
        NodeValue::Sequence(items) => items.iter().filter_map(text).map(str::to_owned).collect(),
        NodeValue::Mapping(_) => Vec::new(),
    }
}

/// The environment word of a path word, normalised (`production` -> `prod`).
pub fn environment_word(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "prod" | "production" | "prd" => "prod",
        "staging" | "stage" | "stg" => "staging",
        "dev" | "development" => "dev",
        "qa" => "qa",
        "uat" => "uat",
        _ => return None,
    })
}

/// How environments and tenants are assigned to files.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The project's `scan:` section, when there is a project file.
    pub project: Option<ScanProject>,
    /// The project file's directory relative to the scan root (`""` at the root).
    pub project_dir: String,
    /// The project file's path as findings name it, and its text.
    pub project_file: Option<(String, String)>,
}

/// Whether `path` is `prefix` or below it (both `/`-separated, relative).
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_start_matches("./").trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Context {
    fn project_relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.project_dir.is_empty() {
            return Some(path);
        }
        path.strip_prefix(self.project_dir.as_str())?
            .strip_prefix('/')
    }

    /// The environment of the file at `path` (relative to the scan root); `None`: base.
    pub fn environment(&self, path: &str) -> Option<String> {
        if let Some(project) = self.project.as_ref().filter(|p| !p.environments.is_empty()) {
            let relative = self.project_relative(path)?;
            return project
                .environments
                .iter()
                .find(|(_, prefixes)| prefixes.iter().any(|p| under(relative, p)))
                .map(|(name, _)| name.clone());
        }
        infer_environment(path).map(str::to_owned)
    }

    /// The tenant of a tenant override file.
    pub fn tenant(&self, path: &str) -> Option<String> {
        if let Some(project) = self.project.as_ref().filter(|p| !p.tenants.is_empty()) {
            let relative = self.project_relative(path)?;
            return project
                .tenants
                .iter()
                .find(|(_, prefixes)| prefixes.iter().any(|p| under(relative, p)))
                .map(|(name, _)| name.clone());
        }
        let parts: Vec<&str> = path.split('/').collect();
        let at = parts.iter().position(|part| *part == "tenants")?;
        let next = parts.get(at + 1)?;
        let stem = next.split('.').next().unwrap_or(next);
        // `tenants/prod/acme.yaml`: the environment word is not the tenant.
        if environment_word(stem).is_some() {
            let after = parts.get(at + 2)?;
            return Some(after.split('.').next().unwrap_or(after).to_owned());
        }
        Some(stem.to_owned())
    }

    /// Whether environments come from the project file.
    pub fn from_project(&self) -> bool {
        self.project
            .as_ref()
            .is_some_and(|p| !p.environments.is_empty())
    }

    /// The project's environment names, in order.
    pub fn project_environments(&self) -> Vec<String> {
        self.project
            .as_ref()
            .map(|p| p.environments.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default()
    }
}

/// The environment a path's words name, if any: a directory name, or a `.`/`-`/`_`
/// separated word of any component (`values-prod.yaml`, `.env.staging`).
pub fn infer_environment(path: &str) -> Option<&'static str> {
    let mut found = None;
    for component in path.split('/') {
        for word in component.split(['.', '-', '_']) {
            if let Some(env) = environment_word(word) {
                found = Some(env);
            }
        }
    }
    found
}

/// Canonical form of a service name for matching (`Payment_Service` -> `payment`).
pub fn canonical_service(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase().replace('_', "-");
    for suffix in ["-service", "service", "-svc"] {
        if let Some(stripped) = lower.strip_suffix(suffix) {
            if !stripped.is_empty() {
                return stripped.trim_end_matches('-').to_owned();
            }
        }
    }
    lower
}

/// Stable map type used across the crate.
pub type Vars = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_inferred_from_path_words() {
        assert_eq!(
            infer_environment("deploy/overlays/prod/patch.yaml"),
            Some("prod")
        );
        assert_eq!(
            infer_environment("helm/values-staging.yaml"),
            Some("staging")
        );
        assert_eq!(infer_environment(".env.production"), Some("prod"));
        assert_eq!(infer_environment("src/devices/main.go"), None);
        assert_eq!(infer_environment("compose.yaml"), None);
    }

    #[test]
    fn tenants_come_from_tenant_directories() {
        let context = Context::default();
        assert_eq!(context.tenant("tenants/acme.yaml").as_deref(), Some("acme"));
        assert_eq!(
            context.tenant("deploy/tenants/prod/globex.env").as_deref(),
            Some("globex")
        );
        assert_eq!(context.tenant("deploy/base/app.yaml"), None);
    }

    #[test]
    fn project_scan_section() {
        let project = read_project(
            "scan:\n  environments:\n    prod: [deploy/prod, values-prod.yaml]\n  entry_points: [web]\n  tenants:\n    acme: tenants/acme\ntenants:\n  expected: [acme, globex]\n",
        )
        .expect("reads");
        assert_eq!(
            project.environments[0].1,
            vec!["deploy/prod", "values-prod.yaml"]
        );
        assert_eq!(project.entry_points, Some(vec!["web".to_owned()]));
        assert_eq!(project.expected_tenants, vec!["acme", "globex"]);
        let context = Context {
            project: Some(project),
            ..Context::default()
        };
        assert_eq!(
            context.environment("deploy/prod/x.yaml").as_deref(),
            Some("prod")
        );
        assert_eq!(context.environment("deploy/production/x.yaml"), None);
        assert_eq!(
            context.tenant("tenants/acme/v.yaml").as_deref(),
            Some("acme")
        );
    }

    #[test]
    fn service_names_match_loosely() {
        assert_eq!(canonical_service("Payment_Service"), "payment");
        assert_eq!(canonical_service("checkoutservice"), "checkout");
        assert_eq!(canonical_service("frontend"), "frontend");
    }
}
