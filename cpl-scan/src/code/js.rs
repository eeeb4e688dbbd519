//! JavaScript and TypeScript: `new NodeTracerProvider({ sampler })` (and
//! `BasicTracerProvider`, `WebTracerProvider`, `NodeSDK`), the sampler
//! classes (`AlwaysOnSampler`, `TraceIdRatioBasedSampler`, whose ratio
//! defaults to 0, `ParentBasedSampler({ root, ... })`), the propagator
//! (`propagation.setGlobalPropagator`, `textMapPropagator:` in the NodeSDK
//! config, `propagator:` in `provider.register(...)`), and `service.name` in
//! resource attributes or NodeSDK's `serviceName:`. Imports under another name
//! (`import { X as Y }`, `const { X: Y } = require(...)`) are read under their
//! real name.

use super::syntax::{
    descendants, has_child, is_service_name_key, number, returns_in, unquote, Arg, Call, Ctor,
    Defs, Eval, FuncDef, Lang, Src, View,
};
use super::{CodeFinding, CodeFindingKind};
use crate::model::Language;
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{Node, Query};

const QUERY: &str = "(new_expression) @anchor (call_expression) @anchor (pair) @anchor";

fn query(src: &Src<'_>) -> Option<&'static Query> {
    static JS: OnceLock<Option<Query>> = OnceLock::new();
    static TS: OnceLock<Option<Query>> = OnceLock::new();
    static TSX: OnceLock<Option<Query>> = OnceLock::new();
    let (cell, language): (_, tree_sitter::Language) = match src.language {
        Language::TypeScript if super::syntax::is_tsx(src.path) => {
            (&TSX, tree_sitter_typescript::LANGUAGE_TSX.into())
        }
        Language::TypeScript => (&TS, tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()),
        _ => (&JS, tree_sitter_javascript::LANGUAGE.into()),
    };
    cell.get_or_init(|| Query::new(&language, QUERY).ok())
        .as_ref()
}

struct JsLang {
    aliases: HashMap<String, String>,
}

impl JsLang {
    fn real(&self, name: &str) -> String {
        self.aliases
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }
}

/// The last name of a callee: `X`, `a.b.X`.
fn last_name(src: &Src<'_>, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "identifier" => Some(src.text(node)),
        "member_expression" => node.child_by_field_name("property").map(|p| src.text(p)),
        _ => None,
    }
}

/// `process.env.X`, `process.env["X"]`.
fn env_read(src: &Src<'_>, node: Node<'_>) -> Option<String> {
    let object = node.child_by_field_name("object")?;
    if src.text(object) != "process.env" {
        return None;
    }
    match node.kind() {
        "member_expression" => node.child_by_field_name("property").map(|p| src.text(p)),
        "subscript_expression" => unquote(&src.text(node.child_by_field_name("index")?)),
        _ => None,
    }
}

impl Lang for JsLang {
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        match node.kind() {
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "await_expression"
            | "type_assertion" => node.named_child(0).map_or(View::Other, View::Wrap),
            "identifier" | "shorthand_property_identifier" => {
                View::Name(self.real(&src.text(node)))
            }
            "number" => number(&src.text(node)).map_or(View::Other, View::Number),
            "string" | "template_string" => {
                let substituted = has_child(node, "template_substitution");
                if substituted {
                    View::Other
                } else {
                    unquote(&src.text(node)).map_or(View::Other, View::Str)
                }
            }
            "unary_expression" => match (
                node.child_by_field_name("operator"),
                node.child_by_field_name("argument"),
            ) {
                (Some(op), Some(arg)) if src.text(op) == "-" => View::Neg(arg),
                (Some(op), Some(arg)) if src.text(op) == "+" => View::Wrap(arg),
                _ => View::Other,
            },
            "member_expression" | "subscript_expression" => match env_read(src, node) {
                Some(var) => View::Env(var),
                None => match node.child_by_field_name("property") {
                    Some(p) => View::Member(src.text(p)),
                    None => View::Other,
                },
            },
            "array" => {
                let mut c = node.walk();
                View::Seq(
                    node.named_children(&mut c)
                        .filter(|n| n.kind() != "comment")
                        .collect(),
                )
            }
            "object" => {
                let mut c = node.walk();
                let entries = node
                    .named_children(&mut c)
                    .filter_map(|entry| match entry.kind() {
                        "pair" => {
                            let key = entry.child_by_field_name("key")?;
                            let value = entry.child_by_field_name("value")?;
                            Some((key_text(src, key), value))
                        }
                        "shorthand_property_identifier" => Some((src.text(entry), entry)),
                        _ => None,
                    })
                    .collect();
                View::Object(entries)
            }
            "new_expression" => {
                let constructor = node.child_by_field_name("constructor");
                let name = constructor
                    .and_then(|c| last_name(src, c))
                    .map(|n| self.real(&n));
                let Some(name) = name else {
                    return View::Other;
                };
                View::Call(Call {
                    node,
                    name,
                    qualifier: None,
                    receiver: None,
                    args: arguments(node),
                    is_new: true,
                })
            }
            "call_expression" => {
                let Some(function) = node.child_by_field_name("function") else {
                    return View::Other;
                };
                let (name, qualifier, receiver) = match function.kind() {
                    "identifier" => (self.real(&src.text(function)), None, None),
                    "member_expression" => {
                        let object = function.child_by_field_name("object");
                        let property = function
                            .child_by_field_name("property")
                            .map(|p| src.text(p))
                            .unwrap_or_default();
                        let qualifier = object
                            .filter(|o| {
                                matches!(o.kind(), "identifier" | "member_expression" | "this")
                            })
                            .map(|o| src.text(o));
                        (property, qualifier, object)
                    }
                    _ => return View::Other,
                };
                let args = arguments(node);
                if qualifier.is_none()
                    && matches!(name.as_str(), "parseFloat" | "Number")
                    && args.len() == 1
                {
                    return View::Wrap(args[0].value);
                }
                View::Call(Call {
                    node,
                    name,
                    qualifier,
                    receiver,
                    args,
                    is_new: false,
                })
            }
            _ => View::Other,
        }
    }

    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor> {
        if !call.is_new {
            // `@opentelemetry/sampler-composite` (OTEP 235, `th`-based).
            return match call.name.as_str() {
                "createCompositeSampler" => Some(Ctor::SameAsFirstArg),
                "createComposableProbabilitySampler" => Some(Ctor::Probability),
                "createComposableAlwaysOnSampler" => Some(Ctor::AlwaysOn),
                "createComposableAlwaysOffSampler" => Some(Ctor::AlwaysOff),
                _ => None,
            };
        }
        Some(match call.name.as_str() {
            "AlwaysOnSampler" => Ctor::AlwaysOn,
            "AlwaysOffSampler" => Ctor::AlwaysOff,
            // `new TraceIdRatioBasedSampler()` samples nothing (ratio = 0).
            "TraceIdRatioBasedSampler" => Ctor::TraceIdRatio { default: Some(0.0) },
            "ParentBasedSampler" => Ctor::ParentBased,
            "JaegerRemoteSampler" => Ctor::JaegerRemote,
            "AWSXRayRemoteSampler" => Ctor::XRay,
            _ => return None,
        })
    }
}

/// An object key as text: `a`, `'service.name'` unquoted, `[ATTR_SERVICE_NAME]` as written.
fn key_text(src: &Src<'_>, key: Node<'_>) -> String {
    match key.kind() {
        "string" => unquote(&src.text(key)).unwrap_or_else(|| src.text(key)),
        _ => src.text(key),
    }
}

fn arguments(node: Node<'_>) -> Vec<Arg<'_>> {
    node.child_by_field_name("arguments")
        .map(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .map(|value| Arg { name: None, value })
                .collect()
        })
        .unwrap_or_default()
}

fn aliases(src: &Src<'_>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "import_specifier" => {
                if let (Some(name), Some(alias)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("alias"),
                ) {
                    out.insert(src.text(alias), src.text(name));
                }
            }
            // `const { X: Y } = require(...)`
            "pair_pattern" => {
                if let (Some(key), Some(value)) = (
                    node.child_by_field_name("key"),
                    node.child_by_field_name("value"),
                ) {
                    if value.kind() == "identifier" {
                        out.insert(src.text(value), key_text(src, key));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn params<'t>(src: &Src<'t>, list: Node<'t>) -> Vec<String> {
    if list.kind() == "identifier" {
        return vec![src.text(list)];
    }
    let mut c = list.walk();
    list.named_children(&mut c)
        .map(|p| {
            let name = match p.kind() {
                "identifier" => Some(p),
                "assignment_pattern" => p.child_by_field_name("left"),
                "required_parameter" | "optional_parameter" => p.child_by_field_name("pattern"),
                _ => None,
            };
            name.map(|n| src.text(n)).unwrap_or_default()
        })
        .collect()
}

fn definitions<'t>(src: &Src<'t>) -> Defs<'t> {
    let mut defs = Defs::default();
    let is_function = |k: &str| {
        matches!(
            k,
            "function_declaration"
                | "function_expression"
                | "arrow_function"
                | "method_definition"
                | "class_body"
        )
    };
    let function_def = |node: Node<'t>| -> Option<FuncDef<'t>> {
        let body = node.child_by_field_name("body")?;
        let list = node
            .child_by_field_name("parameters")
            .or_else(|| node.child_by_field_name("parameter"));
        let params = list.map(|l| params(src, l)).unwrap_or_default();
        let returns = if body.kind() == "statement_block" {
            returns_in(body, "return_statement", is_function)
        } else {
            vec![body]
        };
        Some(FuncDef { params, returns })
    };
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "variable_declarator" => {
                let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if name.kind() != "identifier" {
                    continue;
                }
                if matches!(
                    value.kind(),
                    "arrow_function" | "function_expression" | "function"
                ) {
                    if let Some(def) = function_def(value) {
                        defs.func(src.text(name), def);
                    }
                } else {
                    defs.value(src.text(name), value);
                }
            }
            "assignment_expression" => {
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    if left.kind() == "identifier" {
                        defs.value(src.text(left), right);
                    }
                }
            }
            "function_declaration" | "method_definition" => {
                if let (Some(name), Some(def)) =
                    (node.child_by_field_name("name"), function_def(node))
                {
                    defs.func(src.text(name), def);
                }
            }
            _ => {}
        }
    }
    defs
}

fn is_provider(name: &str) -> bool {
    name == "NodeSDK" || (name.ends_with("TracerProvider") && name != "ProxyTracerProvider")
}

pub(crate) fn scan(src: &Src<'_>) -> Vec<CodeFinding> {
    let Some(query) = query(src) else {
        return Vec::new();
    };
    let lang = JsLang {
        aliases: aliases(src),
    };
    let defs = definitions(src);
    let eval = Eval::new(&lang, src, &defs);
    let mut out = Vec::new();
    for node in src.anchors(query) {
        if node.kind() == "pair" {
            let (Some(key), Some(value)) = (
                node.child_by_field_name("key"),
                node.child_by_field_name("value"),
            ) else {
                continue;
            };
            let key = key_text(src, key);
            let in_provider_config = node
                .parent()
                .and_then(|o| o.parent())
                .and_then(|args| args.parent())
                .is_some_and(|n| matches!(lang.view(src, n), View::Call(c) if c.name == "NodeSDK"));
            if is_service_name_key(&key) || (key == "serviceName" && in_provider_config) {
                if let Some(name) = eval.string(value) {
                    out.push(src.finding(node, CodeFindingKind::ServiceName { name }));
                }
            }
            continue;
        }
        let View::Call(call) = lang.view(src, node) else {
            continue;
        };
        if call.is_new && is_provider(&call.name) {
            provider(&lang, &eval, &call, &mut out);
        } else if !call.is_new && call.name == "setGlobalPropagator" {
            if let Some(arg) = call.args.first() {
                let propagators = eval.propagators(arg.value);
                out.push(src.finding(node, CodeFindingKind::PropagatorSet { propagators }));
            }
        } else if !call.is_new && call.name == "register" {
            // `provider.register({ propagator })`
            if let Some(View::Object(entries)) = call.args.first().map(|a| lang.view(src, a.value))
            {
                for (key, value) in entries {
                    if key == "propagator" {
                        let propagators = eval.propagators(value);
                        let at = value.parent().unwrap_or(value);
                        out.push(src.finding(at, CodeFindingKind::PropagatorSet { propagators }));
                    }
                }
            }
        }
    }
    out
}

fn provider<'t>(
    lang: &JsLang,
    eval: &Eval<'_, 't, JsLang>,
    call: &Call<'t>,
    out: &mut Vec<CodeFinding>,
) {
    let src = eval.src;
    let config = match call.args.first() {
        None => {
            out.push(src.finding(call.node, CodeFindingKind::TracerProviderWithoutSampler));
            return;
        }
        Some(arg) => arg.value,
    };
    // The config may be a variable holding the object literal.
    let mut config = config;
    for _ in 0..super::syntax::MAX_DEPTH {
        match lang.view(src, config) {
            View::Name(name) => match eval.defs.values.get(&name).and_then(|v| v.first()) {
                Some(value) => config = *value,
                None => return,
            },
            View::Wrap(inner) => config = inner,
            _ => break,
        }
    }
    let View::Object(entries) = lang.view(src, config) else {
        return;
    };
    let spread = has_child(config, "spread_element");
    let mut sampler_set = false;
    for (key, value) in entries {
        let at = if value.parent().is_some_and(|p| p.kind() == "pair") {
            value.parent().unwrap_or(value)
        } else {
            value
        };
        match key.as_str() {
            "sampler" => {
                sampler_set = true;
                let sampler = eval.sampler(value);
                out.push(src.finding(at, CodeFindingKind::SamplerInstalled { sampler }));
            }
            "textMapPropagator" => {
                let propagators = eval.propagators(value);
                out.push(src.finding(at, CodeFindingKind::PropagatorSet { propagators }));
            }
            _ => {}
        }
    }
    if !sampler_set && !spread {
        out.push(src.finding(call.node, CodeFindingKind::TracerProviderWithoutSampler));
    }
}
