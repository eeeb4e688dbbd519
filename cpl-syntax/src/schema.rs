//! JSON Schemas of the two documents CPL reads: policy files and the `cpl.yaml` project
//! file, for editors (a YAML language server completes keys and flags mistakes as you
//! type) and for `cpl schema`.
//!
//! The loaders (`load.rs`, `project.rs`) stay the authority: they read YAML into
//! positioned types and report located diagnostics. The types here only describe the
//! *shape* of the documents, and the schemas are generated from them with `schemars`,
//! so doc comments become descriptions. Keep in sync with the loaders' key lists: the
//! tests below compare them, and validate the shipped corpus against the schema.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

/// The JSON Schema (draft-07) of a policy file, pretty-printed.
///
/// Optional keys may be absent but never null (the loaders reject null), so optional
/// fields carry `#[schemars(with = "T")]` rather than `Option<T>`'s nullable schema;
/// the few keys that accept null say so with `nullable`.
pub fn policy_schema() -> String {
    render::<PolicyDocument>()
}

/// The JSON Schema (draft-07) of a `cpl.yaml` project file, pretty-printed.
pub fn project_schema() -> String {
    render::<ProjectDocument>()
}

fn render<T: JsonSchema>() -> String {
    // Draft-07: the draft YAML language servers support best.
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    tidy(&mut schema);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Removes what schemars adds for Rust rather than for editors: `"default": null` on
/// optional keys (an editor would offer to insert it, and the loaders reject null),
/// Rust number formats (`double`, `uint64`) that no JSON Schema draft defines, and
/// the line breaks of wrapped doc comments.
fn tidy(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            if object
                .get("default")
                .is_some_and(serde_json::Value::is_null)
            {
                object.remove("default");
            }
            let rust_format = object
                .get("format")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|format| {
                    format == "double"
                        || format == "float"
                        || format.starts_with("int")
                        || format.starts_with("uint")
                });
            if rust_format {
                object.remove("format");
            }
            if let Some(serde_json::Value::String(text)) = object.get_mut("description") {
                *text = unwrap_lines(text);
            }
            object.values_mut().for_each(tidy);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

/// Joins the lines of each paragraph with a space; paragraphs stay apart.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A CPL sampling policy: which traces to keep (spec/policy.md).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "CPL sampling policy")]
#[non_exhaustive]
pub struct PolicyDocument {
    /// The policy schema version: `1` (also `1.0`, `"1"`, `"1.0"`); absent means 1.
    #[serde(default)]
    #[schemars(with = "Version")]
    pub version: Option<Version>,
    /// The service the policy is written for: its name, or the mapping `clarvynn init`
    /// writes (`name`, `namespace`, `version`), the only form clarvynn 0.3.1 loads. It
    /// does not limit which spans the policy applies to.
    #[serde(default)]
    #[schemars(with = "Service")]
    pub service: Option<Service>,
    /// How traces are sampled: a base rate and conditions tried in order.
    pub sampling: Sampling,
    /// Per-tenant base rates and conditions.
    #[serde(default)]
    #[schemars(with = "Tenants")]
    pub tenants: Option<Tenants>,
}

/// `service`: a name, or a mapping.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Service {
    /// The service's name.
    Name(String),
    /// The form `clarvynn init` writes.
    Mapping(ServiceMapping),
}

/// The `service` mapping.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServiceMapping {
    /// The service's name.
    pub name: String,
    /// The environment the policy is written for (`production`, `staging`), where a
    /// project file does not name it.
    #[serde(default)]
    #[schemars(with = "String")]
    pub namespace: Option<String>,
    /// The application's version, as written (`1.0.0`). Informational.
    #[serde(default)]
    #[schemars(with = "AppVersion")]
    pub version: Option<AppVersion>,
    /// Read by clarvynn's runtime into a context nothing uses. Informational; the
    /// policy's environment is `namespace`.
    #[serde(default)]
    #[schemars(with = "String")]
    pub environment: Option<String>,
}

/// An application version: a string, or a number YAML read as one.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum AppVersion {
    /// Written as a string (`1.0.0`).
    Text(String),
    /// Written as a number (`2`).
    Number(f64),
}

/// The schema version of a document: `1`, `1.0`, `"1"` or `"1.0"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Version {
    /// Written as a number.
    Number(f64),
    /// Written as a string.
    Text(String),
}

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // JSON Schema compares numbers by value, so `1` also admits `1.0`.
        json_schema!({
            "description": "The schema version: 1, the only version so far.",
            "enum": [1, "1", "1.0"]
        })
    }
}

/// `sampling`: the base rate and the conditions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Sampling {
    /// Probability, in [0, 1], of keeping a trace that no condition decides.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub base_rate: f64,
    /// Conditions, tried in order: the first that matches decides. Absent, null and an
    /// empty list all mean none.
    #[serde(default)]
    #[schemars(schema_with = "nullable::<Vec<Condition>>")]
    pub conditions: Option<Vec<Condition>>,
}

/// A condition: a named rule that keeps or drops the traces its expression selects.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("not" = {
    "description": "`rate` has no meaning with `action: drop`.",
    "required": ["action", "rate"],
    "properties": { "action": { "const": "drop" } }
}))]
#[non_exhaustive]
pub struct Condition {
    /// The rule's name in reports, decisions and tenant overrides; unique in its list.
    #[schemars(regex(pattern = r"\S"))]
    pub name: String,
    /// The expression that selects traces, e.g. `status_code >= 500 OR duration > 2s`
    /// (spec/expressions.md).
    #[schemars(regex(pattern = r"\S"))]
    pub when: String,
    /// `false` switches the condition off: it never matches. Default `true`.
    #[serde(default)]
    #[schemars(with = "Enabled")]
    pub enabled: Option<Enabled>,
    /// Probability, in [0, 1], of keeping a matching trace (with `action: keep`).
    /// Default 1.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0), with = "f64")]
    pub rate: Option<f64>,
    /// What a match does with the trace. Default `keep`.
    #[serde(default)]
    #[schemars(with = "Action")]
    pub action: Option<Action>,
    /// Findings accepted for this condition: a diagnostic code or name, and the reason
    /// it is fine, e.g. `L334: health checks never carry errors here`.
    #[serde(default)]
    #[schemars(schema_with = "code_map::<Reason>")]
    pub suppress: Option<BTreeMap<String, String>>,
}

/// `enabled`: a boolean. For clarvynn compatibility the plain YAML 1.1 words `yes`,
/// `no`, `on`, `off`, `y` and `n` count as booleans too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Enabled {
    /// `true` or `false`.
    Bool(bool),
    /// A YAML 1.1 boolean word.
    Word(String),
}

impl JsonSchema for Enabled {
    fn schema_name() -> Cow<'static, str> {
        "Enabled".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "boolean" },
                {
                    "description": "A YAML 1.1 boolean word, unquoted (clarvynn compatibility).",
                    "type": "string",
                    "pattern": "^([yY]|[yY][eE][sS]|[nN]|[nN][oO]|[oO][nN]|[oO][fF][fF])$"
                }
            ]
        })
    }
}

/// What a matching condition does with the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// Keep the trace with probability `rate`.
    Keep,
    /// Drop the trace.
    Drop,
}

/// Per-tenant settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Tenants {
    /// The attribute key that holds a trace's tenant id, e.g. `tenant.id`; a key that
    /// starts with `resource.` names a resource attribute.
    #[schemars(regex(pattern = r"\S"))]
    pub attribute: String,
    /// Each tenant id and its override. Null is the same as none.
    #[serde(default)]
    #[schemars(schema_with = "nullable::<BTreeMap<String, TenantOverride>>")]
    pub overrides: Option<BTreeMap<String, TenantOverride>>,
}

/// One tenant's settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TenantOverride {
    /// Replaces `sampling.base_rate` for this tenant; in [0, 1].
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0), with = "f64")]
    pub base_rate: Option<f64>,
    /// Merged into `sampling.conditions`: a condition with the name of a policy
    /// condition replaces it in place, a new name is appended.
    #[serde(default)]
    #[schemars(schema_with = "nullable::<Vec<Condition>>")]
    pub conditions: Option<Vec<Condition>>,
}

/// A `cpl.yaml` project file: the environments, tenants and objectives `cpl lint`
/// compares policies with (spec/project.md).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "CPL project file")]
// `environments` is required unless the file is for `cpl scan` only (a `scan:`
// section), as the loader has it (spec/scan.md, "Environments").
#[schemars(extend("anyOf" = [{"required": ["environments"]}, {"required": ["scan"]}]))]
#[non_exhaustive]
pub struct ProjectDocument {
    /// The project file schema version: `1`.
    #[serde(default)]
    #[schemars(with = "Version")]
    pub version: Option<Version>,
    /// Each environment's name and its policy file, relative to `cpl.yaml`, e.g.
    /// `prod: policies/prod.yaml`. Required unless the file has a `scan:` section.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>", extend("minProperties" = 1))]
    pub environments: Option<BTreeMap<String, String>>,
    /// The environment the others are compared with. Default: the first one listed.
    #[serde(default)]
    #[schemars(with = "String")]
    pub reference: Option<String>,
    /// The tenants every environment must give an override.
    #[serde(default)]
    #[schemars(with = "ProjectTenants")]
    pub tenants: Option<ProjectTenants>,
    /// Parity thresholds.
    #[serde(default)]
    #[schemars(with = "Parity")]
    pub parity: Option<Parity>,
    /// Service level objectives: latency and error-rate targets per service or route.
    #[serde(default)]
    #[schemars(with = "Vec<Slo>")]
    pub slos: Option<Vec<Slo>>,
    /// How findings are reported: severity overrides and suppressions.
    #[serde(default)]
    #[schemars(with = "Lint")]
    pub lint: Option<Lint>,
    /// What `cpl scan` needs (spec/scan.md): environments as paths, entry-point
    /// services, tenant override files.
    #[serde(default)]
    #[schemars(with = "ScanSection")]
    pub scan: Option<ScanSection>,
}

/// `scan` of a project file (spec/scan.md, "Environments").
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ScanSection {
    /// Each environment's name and the paths (files or directories, relative to
    /// `cpl.yaml`) whose settings belong to it, e.g. `prod: [deploy/overlays/prod]`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub environments: Option<BTreeMap<String, Vec<String>>>,
    /// Services that start traces (their root sampler decides every trace).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub entry_points: Option<Vec<String>>,
    /// Each tenant's override files or directories, e.g. `acme: [tenants/acme]`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub tenants: Option<BTreeMap<String, Vec<String>>>,
}

/// `tenants` of a project file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectTenants {
    /// Tenant ids that must have an override in every environment.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub expected: Option<Vec<String>>,
}

/// `parity`: how far environments may differ.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Parity {
    /// Base rates may differ by at most this factor, at least 1. Default 2.
    #[serde(default)]
    #[schemars(range(min = 1.0), with = "f64")]
    pub base_rate_ratio: Option<f64>,
}

/// A service level objective.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    { "required": ["latency"] },
    { "required": ["error_rate"] }
]))]
#[non_exhaustive]
pub struct Slo {
    /// A name for reports, e.g. `checkout latency`.
    #[serde(default)]
    #[schemars(with = "String")]
    pub name: Option<String>,
    /// The resource `service.name` the objective concerns.
    #[serde(default)]
    #[schemars(with = "String")]
    pub service: Option<String>,
    /// The `http.route` prefix the objective concerns.
    #[serde(default)]
    #[schemars(with = "String")]
    pub route: Option<String>,
    /// The latency objective: a duration such as `800ms` or `1.5s`, or a number of
    /// milliseconds.
    #[serde(default)]
    #[schemars(with = "Latency")]
    pub latency: Option<Latency>,
    /// The error-rate objective, in [0, 1].
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0), with = "f64")]
    pub error_rate: Option<f64>,
}

/// A latency: a duration literal or whole milliseconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Latency {
    /// Whole milliseconds.
    Milliseconds(u64),
    /// A duration literal, e.g. `800ms`.
    Duration(String),
}

impl JsonSchema for Latency {
    fn schema_name() -> Cow<'static, str> {
        "Latency".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "description": "Whole milliseconds.", "type": "integer", "minimum": 1 },
                {
                    "description": "A duration literal: digits, an optional fraction and a unit (ns, us, µs, ms, s, m, h).",
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)$"
                }
            ]
        })
    }
}

/// `lint` of a project file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Lint {
    /// A diagnostic code or name and its severity: `error`, `warning`, or `off` to
    /// remove it.
    #[serde(default)]
    #[schemars(schema_with = "code_map::<Level>")]
    pub severity: Option<BTreeMap<String, Level>>,
    /// Findings accepted on purpose, each with the reason.
    #[serde(default)]
    #[schemars(with = "Vec<ProjectSuppression>")]
    pub suppress: Option<Vec<ProjectSuppression>>,
}

/// A severity set by the project file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Level {
    /// Fails `cpl lint`.
    Error,
    /// Reported; fails `cpl lint` only with `--deny warnings`.
    Warning,
    /// Not reported.
    Off,
}

/// A finding accepted on purpose.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectSuppression {
    /// The diagnostic code or name, e.g. `L334` or `unknown-field`.
    #[schemars(schema_with = "code")]
    pub code: String,
    /// Only in this environment's policy.
    #[serde(default)]
    #[schemars(with = "String")]
    pub environment: Option<String>,
    /// Only for the condition with this name.
    #[serde(default)]
    #[schemars(with = "String")]
    pub condition: Option<String>,
    /// Why the finding is acceptable; reviewers read it.
    #[schemars(regex(pattern = r"\S"))]
    pub reason: String,
}

/// A suppression reason: a non-empty sentence.
struct Reason;

impl JsonSchema for Reason {
    fn schema_name() -> Cow<'static, str> {
        "Reason".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Why the finding is acceptable.",
            "type": "string",
            "pattern": "\\S"
        })
    }
}

/// `T`'s schema, or null.
fn nullable<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let inner = generator.subschema_for::<T>();
    json_schema!({ "anyOf": [inner, { "type": "null" }] })
}

/// Every diagnostic code and name of the registry, so editors complete them.
fn code(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = crate::REGISTRY
        .iter()
        .flat_map(|code| [code.code, code.name])
        .collect();
    json_schema!({ "type": "string", "enum": names })
}

/// A mapping from diagnostic code or name to `V`.
fn code_map<V: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let keys = code(generator);
    let values = generator.subschema_for::<V>();
    json_schema!({
        "type": "object",
        "propertyNames": keys,
        "additionalProperties": values
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, NodeValue, Resolved};
    use serde_json::Value;

    fn schema(text: &str) -> Value {
        serde_json::from_str(text).expect("the schema is JSON")
    }

    /// The property names of definition `name` (the root when `name` is empty).
    fn properties(schema: &Value, name: &str) -> Vec<String> {
        let object = if name.is_empty() {
            schema
        } else {
            &schema["definitions"][name]
        };
        let mut keys: Vec<String> = object["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("`{name}` has properties"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|&key| key.to_owned()).collect();
        keys.sort();
        keys
    }

    /// A YAML document as JSON, the way a YAML language server sees it: core-schema
    /// scalars, mapping keys as text.
    fn yaml_to_json(source: &str) -> Value {
        let (root, errors) = yaml::parse(source);
        assert!(errors.is_empty(), "{errors:?}");
        convert(&root.expect("a document"))
    }

    fn convert(node: &yaml::Node) -> Value {
        match &node.value {
            NodeValue::Scalar(scalar) => match scalar.resolve() {
                Resolved::Null => Value::Null,
                Resolved::Bool(value) => Value::Bool(value),
                Resolved::Int(value) => Value::from(value),
                Resolved::Float(value) => Value::from(value),
                Resolved::String(text) => Value::from(text),
            },
            NodeValue::Sequence(items) => items.iter().map(convert).collect(),
            NodeValue::Mapping(entries) => entries
                .iter()
                .map(|(key, value)| {
                    let NodeValue::Scalar(key) = &key.value else {
                        panic!("a scalar key");
                    };
                    (key.text.clone(), convert(value))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    fn validator(schema: &Value) -> jsonschema::Validator {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .expect("a valid schema")
    }

    fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
        validator
            .iter_errors(instance)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect()
    }

    #[test]
    fn policy_keys_are_the_keys_the_loader_accepts() {
        use crate::load::{
            CONDITION_KEYS, OVERRIDE_KEYS, SAMPLING_KEYS, SERVICE_KEYS, TENANTS_KEYS, TOP_KEYS,
        };
        let schema = schema(&policy_schema());
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(properties(&schema, ""), sorted(TOP_KEYS));
        assert_eq!(properties(&schema, "Sampling"), sorted(SAMPLING_KEYS));
        assert_eq!(properties(&schema, "Condition"), sorted(CONDITION_KEYS));
        assert_eq!(properties(&schema, "Tenants"), sorted(TENANTS_KEYS));
        assert_eq!(properties(&schema, "TenantOverride"), sorted(OVERRIDE_KEYS));
        assert_eq!(properties(&schema, "ServiceMapping"), sorted(SERVICE_KEYS));
        for name in [
            "",
            "Sampling",
            "Condition",
            "Tenants",
            "TenantOverride",
            "ServiceMapping",
        ] {
            let object = if name.is_empty() {
                &schema
            } else {
                &schema["definitions"][name]
            };
            assert_eq!(object["additionalProperties"], false, "{name}");
        }
    }

    /// The keys the project loader accepts in the mapping reached by `path`, read from
    /// its unknown-key help (which lists them when nothing is close).
    fn project_loader_keys(document: &str) -> Vec<String> {
        let loaded = crate::load_project(document);
        let unknown = loaded
            .diagnostics
            .iter()
            .find(|d| d.code.code == "E202")
            .unwrap_or_else(|| panic!("no E202 for {document:?}: {:?}", loaded.diagnostics));
        let help = unknown.help.as_deref().expect("help");
        let mut keys: Vec<String> = help
            .split('`')
            .skip(3) // "`<what>` allows `key`, `key`"
            .step_by(2)
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn project_keys_are_the_keys_the_loader_accepts() {
        let schema = schema(&project_schema());
        let base = "environments:\n  prod: prod.yaml\n";
        let cases = [
            ("", format!("{base}zzzzzzzzzz: 1\n")),
            (
                "ProjectTenants",
                format!("{base}tenants:\n  zzzzzzzzzz: 1\n"),
            ),
            ("Parity", format!("{base}parity:\n  zzzzzzzzzz: 1\n")),
            ("Slo", format!("{base}slos:\n  - zzzzzzzzzz: 1\n")),
            ("Lint", format!("{base}lint:\n  zzzzzzzzzz: 1\n")),
            (
                "ProjectSuppression",
                format!("{base}lint:\n  suppress:\n    - zzzzzzzzzz: 1\n"),
            ),
        ];
        for (definition, document) in cases {
            assert_eq!(
                properties(&schema, definition),
                project_loader_keys(&document),
                "{definition}"
            );
        }
    }

    #[test]
    fn the_corpus_policies_validate_and_deserialize() {
        let schema = schema(&policy_schema());
        let validator = validator(&schema);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/policies");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).expect("corpus/policies") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|ext| ext != "yaml") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("read");
            let document = yaml_to_json(&source);
            assert_eq!(
                errors(&validator, &document),
                Vec::<String>::new(),
                "{path:?}"
            );
            serde_json::from_value::<PolicyDocument>(document)
                .unwrap_or_else(|error| panic!("{path:?}: {error}"));
            checked += 1;
        }
        assert!(checked >= 4, "{checked} policies");
    }

    #[test]
    fn the_schema_rejects_what_the_loader_rejects() {
        let validator = validator(&schema(&policy_schema()));
        for ok in [
            "service: checkout\nsampling:\n  base_rate: 0.1\n",
            "version: \"1.0\"\nservice:\n  name: my-service\n  namespace: production\n  version: 1.0.0\nsampling:\n  base_rate: 0.1\n",
            "service:\n  name: a\n  version: 2\nsampling:\n  base_rate: 0.1\n",
        ] {
            assert_eq!(errors(&validator, &yaml_to_json(ok)), Vec::<String>::new());
            assert!(crate::load_policy(ok).diagnostics.is_empty(), "{ok}");
        }
        let ok = "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"x.y == 1\"\n      enabled: no\n      suppress:\n        W114: fine\ntenants:\n  attribute: tenant.id\n  overrides:\n    acme:\n      base_rate: 1\n";
        assert_eq!(errors(&validator, &yaml_to_json(ok)), Vec::<String>::new());
        for (bad, why) in [
            ("sampling:\n  bse_rate: 0.1\n", "unknown key"),
            ("sampling:\n  base_rate: 10\n", "rate out of range"),
            ("sampling:\n  base_rate: \"0.1\"\n", "a string rate"),
            ("version: 2\nsampling:\n  base_rate: 0.1\n", "version"),
            ("service: checkout\n", "no sampling"),
            (
                "service: [a, b]\nsampling:\n  base_rate: 0.1\n",
                "a list service",
            ),
            (
                "service:\n  namespace: prod\nsampling:\n  base_rate: 0.1\n",
                "a service mapping without name",
            ),
            (
                "service:\n  name: 1\nsampling:\n  base_rate: 0.1\n",
                "a number name",
            ),
            (
                "service:\n  name: a\n  env: prod\nsampling:\n  base_rate: 0.1\n",
                "an unknown service key",
            ),
            (
                "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"x.y == 1\"\n      action: ignore\n",
                "action",
            ),
            (
                "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"x.y == 1\"\n      action: drop\n      rate: 0.5\n",
                "rate with drop",
            ),
            (
                "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"   \"\n",
                "empty when",
            ),
            (
                "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"x.y == 1\"\n      enabled: \"maybe\"\n",
                "enabled",
            ),
            (
                "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: \"x.y == 1\"\n      suppress:\n        E999: why\n",
                "unknown code",
            ),
        ] {
            assert!(
                !errors(&validator, &yaml_to_json(bad)).is_empty(),
                "{why}: {bad}"
            );
        }
    }

    /// Checks that `source` loads without diagnostics, validates against the project
    /// schema and deserializes into its type; returns the schema's validator.
    fn project_validates_and_loads(source: &str) -> jsonschema::Validator {
        let loaded = crate::load_project(source);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let validator = validator(&schema(&project_schema()));
        let document = yaml_to_json(source);
        assert_eq!(errors(&validator, &document), Vec::<String>::new());
        serde_json::from_value::<ProjectDocument>(document).expect("deserializes");
        validator
    }

    #[test]
    fn a_full_project_validates_and_loads() {
        let source = "version: 1\nenvironments:\n  prod: policies/prod.yaml\n  staging: policies/staging.yaml\nreference: staging\ntenants:\n  expected: [acme, globex]\nparity:\n  base_rate_ratio: 2\nslos:\n  - name: checkout latency\n    service: payments\n    route: /api/payment\n    latency: 800ms\n    error_rate: 0.001\n  - latency: 250\nlint:\n  severity:\n    W114: off\n    unknown-field: warning\n  suppress:\n    - code: W114\n      environment: prod\n      condition: health_checks\n      reason: health checks carry no dotted attributes\n";
        let validator = project_validates_and_loads(source);
        for bad in [
            "environments: {}\n",
            "environments:\n  prod: p.yaml\nparity:\n  base_rate_ratio: 0.5\n",
            "environments:\n  prod: p.yaml\nslos:\n  - name: no objective\n",
            "environments:\n  prod: p.yaml\nslos:\n  - latency: 800 ms\n",
            "environments:\n  prod: p.yaml\nlint:\n  severity:\n    W114: loud\n",
            "environments:\n  prod: p.yaml\nlint:\n  suppress:\n    - code: W114\n",
        ] {
            assert!(!errors(&validator, &yaml_to_json(bad)).is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_scan_only_project_validates_and_loads() {
        let source = "version: 1\ntenants:\n  expected: [acme]\nscan:\n  environments:\n    prod: [deploy/overlays/prod]\n  entry_points: [frontend]\n";
        let validator = project_validates_and_loads(source);
        // Neither `environments` nor `scan`: the loader and the schema both refuse it.
        let neither = "version: 1\ntenants:\n  expected: [acme]\n";
        assert!(!crate::load_project(neither).diagnostics.is_empty());
        assert!(!errors(&validator, &yaml_to_json(neither)).is_empty());
    }

    #[test]
    fn descriptions_come_from_doc_comments() {
        let schema = schema(&policy_schema());
        let description = schema["definitions"]["Sampling"]["properties"]["base_rate"]
            ["description"]
            .as_str()
            .expect("a description");
        assert!(description.starts_with("Probability"), "{description}");
        let text = policy_schema();
        for rust_only in ["\"default\": null", "\"double\"", "\\n"] {
            assert!(!text.contains(rust_only), "{rust_only}");
        }
        assert_eq!(schema["title"], "CPL sampling policy");
    }
}
