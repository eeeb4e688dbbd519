//! The OpenTelemetry semantic-conventions attribute registry (spec/fields.md,
//! "Semantic conventions").
//!
//! `data/semconv-attributes.tsv` is generated from the semantic-conventions model by
//! `data/semconv-attributes.py`; its first line names the commit. It is compiled into
//! the crate and parsed once, on first use. The lints read it to tell a misspelt key
//! (`http.rout`) from a key users own (`tenant.id`), to report deprecated keys with
//! their replacement, and to type the attributes the conventions type.

use std::sync::LazyLock;

use crate::diagnostic::edit_distance;
use crate::fields::FieldType;

// Keep in sync with data/semconv-attributes.py, which writes it.
const TABLE: &str = include_str!("../data/semconv-attributes.tsv");

/// How the conventions deprecate a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deprecation {
    /// Renamed: the same value under another key.
    RenamedTo(&'static str),
    /// Removed without a single replacement (`http.target`, split into `url.path` and `url.query`).
    Obsoleted,
    /// Deprecated for another reason, the replacement given only in prose.
    Deprecated,
}

/// One attribute of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The key (`http.route`); for a template, the prefix (`http.request.header`).
    pub key: &'static str,
    /// The type as the model writes it: `string`, `int`, `double`, `boolean`, `enum`,
    /// `any`, `string[]`..., or `template[T]` for a family of keys `key.<name>`.
    pub value_type: &'static str,
    /// `stable`, `release_candidate`, `development`...
    pub stability: &'static str,
    /// Whether, and how, the conventions deprecate the key.
    pub deprecation: Option<Deprecation>,
}

impl Attribute {
    /// Whether this is a template: `http.request.header` stands for every key
    /// `http.request.header.<name>`.
    pub fn is_template(&self) -> bool {
        self.value_type.starts_with("template[")
    }

    /// The type of the attribute's values for the type lints, when the conventions fix
    /// one: `string`, `int`, `double`, `boolean` and the arrays. Enums (whose members
    /// are strings or ints) and `any` have none.
    pub fn field_type(&self) -> Option<FieldType> {
        let value_type = self
            .value_type
            .strip_prefix("template[")
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(self.value_type);
        match value_type {
            "string" => Some(FieldType::String),
            "int" => Some(FieldType::Int),
            "double" => Some(FieldType::Float),
            "boolean" => Some(FieldType::Bool),
            t if t.ends_with("[]") => Some(FieldType::Array),
            _ => None,
        }
    }
}

/// The registry, sorted by key.
static REGISTRY: LazyLock<Vec<Attribute>> = LazyLock::new(|| parse(TABLE));

/// The header line of the embedded table: which conventions, at which commit.
pub fn source() -> &'static str {
    TABLE
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("# "))
        .unwrap_or("")
}

/// Every registered attribute, sorted by key.
pub fn attributes() -> &'static [Attribute] {
    &REGISTRY
}

/// The registry entry of `key`: the attribute with exactly that key, or the template
/// it belongs to (`http.request.header.x-debug` belongs to `http.request.header`).
pub fn attribute(key: &str) -> Option<&'static Attribute> {
    let registry = attributes();
    if let Ok(index) = registry.binary_search_by(|a| a.key.cmp(key)) {
        return registry.get(index);
    }
    registry
        .iter()
        .filter(|a| a.is_template())
        .filter(|a| {
            key.strip_prefix(a.key)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|name| !name.is_empty())
        })
        .max_by_key(|a| a.key.len())
}

/// The registered attribute `key` is probably a misspelling of, if `key` is not itself
/// registered (spec/fields.md, "Semantic conventions"): the closest key by edit distance
/// (letters compared case-insensitively, an adjacent swap counts as one edit), within
/// 1 edit for keys shorter than 16 characters and 2 for longer ones. A template key
/// (`http.request.header`) is a candidate for its own spelling only. Among equally
/// close keys the one not deprecated wins, then the first in key order.
pub fn near_miss(key: &str) -> Option<&'static Attribute> {
    if attribute(key).is_some() {
        return None;
    }
    let length = key.chars().count();
    if length < 4 {
        return None;
    }
    let limit = if length < 16 { 1 } else { 2 };
    // A key far longer than every registered key is near none (and is not compared).
    let longest = attributes().iter().map(|a| a.key.len()).max().unwrap_or(0);
    if length > longest + limit {
        return None;
    }
    let lower = key.to_ascii_lowercase();
    attributes()
        .iter()
        .map(|a| (edit_distance(&lower, &a.key.to_ascii_lowercase()), a))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, a)| (*distance, a.deprecation.is_some()))
        .map(|(_, a)| a)
}

fn parse(table: &'static str) -> Vec<Attribute> {
    let mut attributes: Vec<Attribute> = table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .skip(1) // the column names
        .filter_map(|line| {
            let mut columns = line.split('\t');
            let key = columns.next()?;
            let value_type = columns.next()?;
            let stability = columns.next()?;
            let deprecation = match columns.next().unwrap_or("") {
                "" => None,
                "obsoleted" => Some(Deprecation::Obsoleted),
                other => Some(
                    other
                        .strip_prefix("renamed_to:")
                        .map_or(Deprecation::Deprecated, Deprecation::RenamedTo),
                ),
            };
            Some(Attribute {
                key,
                value_type,
                stability,
                deprecation,
            })
        })
        .collect();
    attributes.sort_by(|a, b| a.key.cmp(b.key));
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_loads_sorted_with_its_source() {
        let registry = attributes();
        assert!(registry.len() > 900, "{}", registry.len());
        assert!(registry.windows(2).all(|w| w[0].key < w[1].key));
        assert!(source().contains("open-telemetry/semantic-conventions"));
        assert!(source().contains("at commit "));
    }

    #[test]
    fn keys_types_and_deprecations() {
        let status = attribute("http.response.status_code").map(Attribute::field_type);
        assert_eq!(status, Some(Some(FieldType::Int)));
        assert_eq!(
            attribute("http.status_code").and_then(|a| a.deprecation),
            Some(Deprecation::RenamedTo("http.response.status_code"))
        );
        assert_eq!(
            attribute("db.system").and_then(|a| a.deprecation),
            Some(Deprecation::RenamedTo("db.system.name"))
        );
        assert_eq!(
            attribute("http.target").and_then(|a| a.deprecation),
            Some(Deprecation::Obsoleted)
        );
        assert_eq!(
            attribute("http.request.method")
                .expect("registered")
                .field_type(),
            None
        );
        assert_eq!(attribute("tenant.id"), None);
    }

    #[test]
    fn template_keys_belong_to_their_template() {
        let header = attribute("http.request.header.x-debug").expect("a template key");
        assert_eq!(header.key, "http.request.header");
        assert_eq!(header.field_type(), Some(FieldType::Array));
        assert_eq!(attribute("http.request.header."), None);
        assert_eq!(attribute("http.request.headers"), None);
    }

    // The six typos of the new-user review (finding 2), each one edit from its key.
    #[test]
    fn typos_are_near_their_key() {
        for (typo, meant) in [
            ("http.reponse.status_code", "http.response.status_code"),
            ("http.rout", "http.route"),
            ("http.request.methd", "http.request.method"),
            ("db.sytem", "db.system"),
            ("service.nmae", "service.name"),
            ("url.pth", "url.path"),
            ("Http.Route", "http.route"),
            ("http.response.staus_cod", "http.response.status_code"),
        ] {
            assert_eq!(near_miss(typo).map(|a| a.key), Some(meant), "{typo}");
        }
    }

    #[test]
    fn odd_keys_are_near_nothing() {
        let long = "h".repeat(1 << 20);
        for key in ["", ".", "..", "a.", "ürl.päth", long.as_str(), "\u{0}\n"] {
            assert_eq!(near_miss(key), None, "{key:?}");
        }
    }

    #[test]
    fn keys_users_own_are_not_near() {
        for key in [
            "app.tenant",
            "tenant.id",
            "tenant",
            "x-debug",
            "myco.feature_flag",
            "customer.tier",
            "customer.id",
            "app.version",
            "app.region",
            "team.name",
            "order.id",
            "cart.size",
            "payment.provider",
            "feature.flag",
            "env",
            "region",
            "k8s pod",
            "shop.checkout.step",
            "debug",
            "internal.canary",
            "http.route",
            "http.request.header.x-tenant",
            "user.tier",
            "build.sha",
        ] {
            assert_eq!(near_miss(key).map(|a| a.key), None, "{key}");
        }
    }
}
