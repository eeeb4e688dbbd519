//! Python: `opentelemetry.sdk.trace` (`TracerProvider(sampler=...)`, the
//! samplers and constants of `opentelemetry.sdk.trace.sampling`), the global
//! propagator (`set_global_textmap`), and `service.name` in resource
//! dictionaries. Names imported under another name (`from ... import
//! TraceIdRatioBased as Ratio`) are read under their real name.

use super::syntax::{
    descendants, has_child, is_service_name_key, number, returns_in, unquote, Arg, Call, Ctor,
    Defs, Eval, FuncDef, Lang, Src, View,
};
use super::{CodeFinding, CodeFindingKind};
use crate::model::Sampler;
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{Node, Query};

fn query() -> Option<&'static Query> {
    static QUERY: OnceLock<Option<Query>> = OnceLock::new();
    QUERY
        .get_or_init(|| {
            Query::new(
                &tree_sitter_python::LANGUAGE.into(),
                "(call arguments: (argument_list)) @anchor (pair) @anchor",
            )
            .ok()
        })
        .as_ref()
}

/// `alias -> real name` from `from m import a as b`.
struct PyLang {
    aliases: HashMap<String, String>,
}

impl PyLang {
    fn real<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }
}

fn parent_based(name: &str) -> Option<Sampler> {
    let on = Box::new(Sampler::AlwaysOn);
    let off = Box::new(Sampler::AlwaysOff);
    let root = match name {
        "DEFAULT_ON" | "_DEFAULT_ON" => on,
        "DEFAULT_OFF" | "_DEFAULT_OFF" => off,
        _ => return None,
    };
    Some(Sampler::ParentBased {
        root,
        remote_parent_sampled: None,
        remote_parent_not_sampled: None,
        local_parent_sampled: None,
        local_parent_not_sampled: None,
    })
}

impl Lang for PyLang {
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        match node.kind() {
            "parenthesized_expression" => node.named_child(0).map_or(View::Other, View::Wrap),
            "identifier" => View::Name(self.real(&src.text(node)).to_owned()),
            "float" | "integer" => number(&src.text(node)).map_or(View::Other, View::Number),
            "string" => {
                let interpolated = has_child(node, "interpolation");
                if interpolated {
                    View::Other
                } else {
                    unquote(&src.text(node)).map_or(View::Other, View::Str)
                }
            }
            "unary_operator" => match (
                node.child_by_field_name("operator"),
                node.child_by_field_name("argument"),
            ) {
                (Some(op), Some(arg)) if src.text(op) == "-" => View::Neg(arg),
                (Some(op), Some(arg)) if src.text(op) == "+" => View::Wrap(arg),
                _ => View::Other,
            },
            "attribute" => node
                .child_by_field_name("attribute")
                .map_or(View::Other, |a| View::Member(src.text(a))),
            // `os.environ["X"]`
            "subscript" => match (
                node.child_by_field_name("value"),
                node.child_by_field_name("subscript"),
            ) {
                (Some(value), Some(key)) if src.text(value) == "os.environ" => {
                    unquote(&src.text(key)).map_or(View::Other, View::Env)
                }
                _ => View::Other,
            },
            "list" | "tuple" => {
                let mut c = node.walk();
                View::Seq(
                    node.named_children(&mut c)
                        .filter(|n| n.kind() != "comment")
                        .collect(),
                )
            }
            "dictionary" => {
                let mut c = node.walk();
                let entries = node
                    .named_children(&mut c)
                    .filter(|n| n.kind() == "pair")
                    .filter_map(|pair| {
                        let key = pair.child_by_field_name("key")?;
                        let value = pair.child_by_field_name("value")?;
                        Some((
                            unquote(&src.text(key)).unwrap_or_else(|| src.text(key)),
                            value,
                        ))
                    })
                    .collect();
                View::Object(entries)
            }
            "call" => self.call(src, node),
            _ => View::Other,
        }
    }

    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor> {
        Some(match call.name.as_str() {
            "TraceIdRatioBased" => Ctor::TraceIdRatio { default: None },
            "ParentBased" => Ctor::ParentBased,
            "ParentBasedTraceIdRatio" => Ctor::ParentBasedRatio,
            // `composite_sampler`: `opentelemetry.sdk.trace._sampling_experimental`
            // (OTEP 235, `th`-based), as are the `composable_` ones.
            "AlwaysRecordSampler" | "composite_sampler" => Ctor::SameAsFirstArg,
            "composable_traceid_ratio_based" => Ctor::Probability,
            "composable_always_on" => Ctor::AlwaysOn,
            "composable_always_off" => Ctor::AlwaysOff,
            _ => return None,
        })
    }

    fn sampler_constant(&self, name: &str) -> Option<Sampler> {
        match self.real(name) {
            "ALWAYS_ON" => Some(Sampler::AlwaysOn),
            "ALWAYS_OFF" => Some(Sampler::AlwaysOff),
            other => parent_based(other),
        }
    }
}

impl PyLang {
    fn call<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        let Some(function) = node.child_by_field_name("function") else {
            return View::Other;
        };
        let mut args = Vec::new();
        if let Some(list) = node.child_by_field_name("arguments") {
            let mut c = list.walk();
            for a in list.named_children(&mut c) {
                match a.kind() {
                    "keyword_argument" => {
                        if let (Some(name), Some(value)) = (
                            a.child_by_field_name("name"),
                            a.child_by_field_name("value"),
                        ) {
                            args.push(Arg {
                                name: Some(src.text(name)),
                                value,
                            });
                        }
                    }
                    "comment" | "list_splat" | "dictionary_splat" => {}
                    _ => args.push(Arg {
                        name: None,
                        value: a,
                    }),
                }
            }
        }
        let (name, qualifier, receiver) = match function.kind() {
            "identifier" => (self.real(&src.text(function)).to_owned(), None, None),
            "attribute" => {
                let object = function.child_by_field_name("object");
                let attr = function
                    .child_by_field_name("attribute")
                    .map(|a| src.text(a))
                    .unwrap_or_default();
                let qualifier = object
                    .filter(|o| matches!(o.kind(), "identifier" | "attribute"))
                    .map(|o| src.text(o));
                (attr, qualifier, object)
            }
            _ => return View::Other,
        };
        match (qualifier.as_deref(), name.as_str()) {
            (Some("os"), "getenv") | (Some("os.environ"), "get") => {
                let Some(var) = args.first().and_then(|a| unquote(&src.text(a.value))) else {
                    return View::Other;
                };
                // `os.getenv(key, default=None)`, `os.environ.get(key, default=None)`.
                let default = args
                    .iter()
                    .skip(1)
                    .find(|a| a.name.as_deref().is_none_or(|n| n == "default"))
                    .map(|a| a.value);
                return match default {
                    Some(default) if src.text(default) != "None" => View::EnvDefault(var, default),
                    _ => View::Env(var),
                };
            }
            (None, "float" | "Decimal") if args.len() == 1 => return View::Wrap(args[0].value),
            _ => {}
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
}

fn aliases(src: &Src<'_>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for node in descendants(src.tree.root_node(), |_| false) {
        if node.kind() == "aliased_import"
            && node
                .parent()
                .is_some_and(|p| p.kind() == "import_from_statement")
        {
            if let (Some(name), Some(alias)) = (
                node.child_by_field_name("name"),
                node.child_by_field_name("alias"),
            ) {
                out.insert(src.text(alias), src.text(name));
            }
        }
    }
    out
}

fn definitions<'t>(src: &Src<'t>) -> Defs<'t> {
    let mut defs = Defs::default();
    let is_function = |k: &str| matches!(k, "function_definition" | "lambda" | "class_definition");
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "assignment" => {
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    if left.kind() == "identifier" {
                        defs.value(src.text(left), right);
                    }
                }
            }
            "function_definition" => {
                let (Some(name), Some(body)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("body"),
                ) else {
                    continue;
                };
                let mut params = Vec::new();
                if let Some(list) = node.child_by_field_name("parameters") {
                    let mut c = list.walk();
                    for p in list.named_children(&mut c) {
                        let name = match p.kind() {
                            "identifier" => Some(p),
                            "default_parameter" | "typed_default_parameter" => {
                                p.child_by_field_name("name")
                            }
                            "typed_parameter" => p.named_child(0),
                            _ => None,
                        };
                        let name = name.map(|n| src.text(n)).unwrap_or_default();
                        if name != "self" && name != "cls" {
                            params.push(name);
                        }
                    }
                }
                let returns = returns_in(body, "return_statement", is_function);
                defs.func(src.text(name), FuncDef { params, returns });
            }
            _ => {}
        }
    }
    defs
}

pub(crate) fn scan(src: &Src<'_>) -> Vec<CodeFinding> {
    let Some(query) = query() else {
        return Vec::new();
    };
    let lang = PyLang {
        aliases: aliases(src),
    };
    let defs = definitions(src);
    let eval = Eval::new(&lang, src, &defs);
    let mut out = Vec::new();
    for node in src.anchors(query) {
        if node.kind() == "pair" {
            if let (Some(key), Some(value)) = (
                node.child_by_field_name("key"),
                node.child_by_field_name("value"),
            ) {
                let key = unquote(&src.text(key)).unwrap_or_else(|| src.text(key));
                if is_service_name_key(&key) {
                    if let Some(name) = eval.string(value) {
                        out.push(src.finding(node, CodeFindingKind::ServiceName { name }));
                    }
                }
            }
            continue;
        }
        let View::Call(call) = lang.view(src, node) else {
            continue;
        };
        match call.name.as_str() {
            "TracerProvider" => {
                let sampler = call
                    .args
                    .iter()
                    .find(|a| a.name.as_deref() == Some("sampler"))
                    .or_else(|| call.args.first().filter(|a| a.name.is_none()));
                let splat = node
                    .child_by_field_name("arguments")
                    .is_some_and(|list| has_child(list, "dictionary_splat"));
                match sampler {
                    Some(arg) => {
                        let sampler = eval.sampler(arg.value);
                        let at = arg
                            .value
                            .parent()
                            .filter(|p| p.kind() == "keyword_argument")
                            .unwrap_or(arg.value);
                        out.push(src.finding(at, CodeFindingKind::SamplerInstalled { sampler }));
                    }
                    None if !splat => {
                        out.push(src.finding(node, CodeFindingKind::TracerProviderWithoutSampler));
                    }
                    None => {}
                }
            }
            "set_global_textmap" => {
                if let Some(arg) = call.args.first() {
                    let propagators = eval.propagators(arg.value);
                    out.push(src.finding(node, CodeFindingKind::PropagatorSet { propagators }));
                }
            }
            _ => {}
        }
    }
    out
}
