//! C#: `.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(p)))`
//! (and `SetSampler<T>()`), the sampler classes of `OpenTelemetry.Trace`,
//! tracer providers built without a sampler (`Sdk.CreateTracerProviderBuilder()`
//! chains, `.WithTracing(b => ...)`), the default propagator
//! (`Sdk.SetDefaultTextMapPropagator`), and `service.name`
//! (`ResourceBuilder.AddService("x")`).

use super::syntax::{
    descendants, number, returns_in, unquote, Arg, Call, Ctor, Defs, Eval, FuncDef, Lang, Src, View,
};
use super::{CodeFinding, CodeFindingKind};
use crate::model::Sampler;
use std::sync::OnceLock;
use tree_sitter::{Node, Query};

fn query() -> Option<&'static Query> {
    static QUERY: OnceLock<Option<Query>> = OnceLock::new();
    QUERY
        .get_or_init(|| {
            Query::new(
                &tree_sitter_c_sharp::LANGUAGE.into(),
                "(invocation_expression arguments: (argument_list)) @anchor",
            )
            .ok()
        })
        .as_ref()
}

struct CsLang;

/// `T`, `A.B.T`, `T<U>`: the last identifier.
fn type_name(src: &Src<'_>, node: Node<'_>) -> String {
    match node.kind() {
        "identifier" => src.text(node),
        "generic_name" => node.named_child(0).map(|n| src.text(n)).unwrap_or_default(),
        "qualified_name" => node
            .child_by_field_name("name")
            .map_or_else(|| src.text(node), |n| type_name(src, n)),
        _ => src
            .text(node)
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

fn arguments<'t>(node: Node<'t>, src: &Src<'_>) -> Vec<Arg<'t>> {
    let Some(list) = node.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut c = list.walk();
    list.named_children(&mut c)
        .filter(|a| a.kind() == "argument")
        .filter_map(|a| {
            let name = a.child_by_field_name("name").map(|n| src.text(n));
            let mut ac = a.walk();
            let value = a
                .named_children(&mut ac)
                .filter(|n| Some(*n) != a.child_by_field_name("name"))
                .last()?;
            Some(Arg { name, value })
        })
        .collect()
}

impl Lang for CsLang {
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        match node.kind() {
            "parenthesized_expression" => node.named_child(0).map_or(View::Other, View::Wrap),
            "cast_expression" => node
                .child_by_field_name("value")
                .map_or(View::Other, View::Wrap),
            "identifier" => View::Name(src.text(node)),
            "real_literal" | "integer_literal" => {
                number(&src.text(node)).map_or(View::Other, View::Number)
            }
            "string_literal" | "verbatim_string_literal" | "raw_string_literal" => {
                unquote(&src.text(node)).map_or(View::Other, View::Str)
            }
            "prefix_unary_expression" => {
                let text = src.text(node);
                match node.named_child(0) {
                    Some(inner) if text.starts_with('-') => View::Neg(inner),
                    Some(inner) if text.starts_with('+') => View::Wrap(inner),
                    _ => View::Other,
                }
            }
            "member_access_expression" => node
                .child_by_field_name("name")
                .map_or(View::Other, |n| View::Member(type_name(src, n))),
            "array_creation_expression"
            | "implicit_array_creation_expression"
            | "initializer_expression"
            | "collection_expression" => {
                let init = if matches!(
                    node.kind(),
                    "initializer_expression" | "collection_expression"
                ) {
                    Some(node)
                } else {
                    let mut c = node.walk();
                    let found = node
                        .named_children(&mut c)
                        .find(|n| n.kind() == "initializer_expression");
                    found
                };
                init.map_or(View::Other, |i| {
                    let mut c = i.walk();
                    View::Seq(
                        i.named_children(&mut c)
                            .filter(|n| n.kind() != "comment")
                            .collect(),
                    )
                })
            }
            "object_creation_expression" => {
                let name = node
                    .child_by_field_name("type")
                    .map(|t| type_name(src, t))
                    .unwrap_or_default();
                View::Call(Call {
                    node,
                    name,
                    qualifier: None,
                    receiver: None,
                    args: arguments(node, src),
                    is_new: true,
                })
            }
            "invocation_expression" => {
                let Some(function) = node.child_by_field_name("function") else {
                    return View::Other;
                };
                let (name, qualifier, receiver) = match function.kind() {
                    "identifier" | "generic_name" => (type_name(src, function), None, None),
                    "member_access_expression" => {
                        let object = function.child_by_field_name("expression");
                        let name = function
                            .child_by_field_name("name")
                            .map(|n| type_name(src, n))
                            .unwrap_or_default();
                        let qualifier = object
                            .filter(|o| {
                                matches!(
                                    o.kind(),
                                    "identifier"
                                        | "member_access_expression"
                                        | "predefined_type"
                                        | "this"
                                )
                            })
                            .map(|o| src.text(o));
                        (name, qualifier, object)
                    }
                    _ => return View::Other,
                };
                let args = arguments(node, src);
                match (qualifier.as_deref(), name.as_str()) {
                    (Some("Environment" | "System.Environment"), "GetEnvironmentVariable") => {
                        return args
                            .first()
                            .and_then(|a| unquote(&src.text(a.value)))
                            .map_or(View::Other, View::Env);
                    }
                    (Some("double" | "Double" | "float" | "Convert"), "Parse" | "ToDouble")
                        if !args.is_empty() =>
                    {
                        return View::Wrap(args[0].value);
                    }
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
            _ => View::Other,
        }
    }

    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor> {
        if !call.is_new {
            return None;
        }
        Some(match call.name.as_str() {
            "AlwaysOnSampler" => Ctor::AlwaysOn,
            "AlwaysOffSampler" => Ctor::AlwaysOff,
            "TraceIdRatioBasedSampler" => Ctor::TraceIdRatio { default: None },
            "ParentBasedSampler" => Ctor::ParentBased,
            "JaegerRemoteSampler" => Ctor::JaegerRemote,
            "AWSXRayRemoteSampler" => Ctor::XRay,
            _ => return None,
        })
    }
}

fn definitions<'t>(src: &Src<'t>) -> Defs<'t> {
    let mut defs = Defs::default();
    let is_function = |k: &str| {
        matches!(
            k,
            "method_declaration" | "local_function_statement" | "lambda_expression"
        )
    };
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "variable_declarator" => {
                let Some(name) = node.child_by_field_name("name") else {
                    continue;
                };
                let mut c = node.walk();
                let value = node.named_children(&mut c).filter(|n| *n != name).last();
                if let Some(value) = value {
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
            "method_declaration" | "local_function_statement" => {
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
                        if let Some(n) = p.child_by_field_name("name") {
                            params.push(src.text(n));
                        }
                    }
                }
                let returns = if body.kind() == "arrow_expression_clause" {
                    body.named_child(0).into_iter().collect()
                } else {
                    returns_in(body, "return_statement", is_function)
                };
                defs.func(src.text(name), FuncDef { params, returns });
            }
            _ => {}
        }
    }
    defs
}

/// The invocations chained on `start` (`start.A().B()`), innermost first.
fn chain_above(start: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut current = start;
    while let Some(access) = current.parent() {
        if access.kind() != "member_access_expression"
            || access.child_by_field_name("expression") != Some(current)
        {
            break;
        }
        let Some(invocation) = access.parent() else {
            break;
        };
        if invocation.kind() != "invocation_expression" {
            break;
        }
        out.push(invocation);
        current = invocation;
    }
    out
}

fn invoked_name(src: &Src<'_>, invocation: Node<'_>) -> String {
    invocation
        .child_by_field_name("function")
        .and_then(|f| {
            if f.kind() == "member_access_expression" {
                f.child_by_field_name("name")
            } else {
                Some(f)
            }
        })
        .map(|n| type_name(src, n))
        .unwrap_or_default()
}

fn name_node(invocation: Node<'_>) -> Node<'_> {
    invocation
        .child_by_field_name("function")
        .and_then(|f| f.child_by_field_name("name"))
        .unwrap_or(invocation)
}

pub(crate) fn scan(src: &Src<'_>) -> Vec<CodeFinding> {
    let Some(query) = query() else {
        return Vec::new();
    };
    let lang = CsLang;
    let defs = definitions(src);
    let eval = Eval::new(&lang, src, &defs);
    let anchors = src.anchors(query);
    let file_sets_sampler = anchors
        .iter()
        .any(|n| invoked_name(src, *n) == "SetSampler");
    let mut out = Vec::new();
    for node in anchors {
        let View::Call(call) = lang.view(src, node) else {
            continue;
        };
        let at = name_node(node);
        match call.name.as_str() {
            "SetSampler" => {
                let sampler = if let Some(arg) = call.args.first() {
                    eval.sampler(arg.value)
                } else {
                    // `SetSampler<MySampler>()`
                    let generic = node
                        .child_by_field_name("function")
                        .and_then(|f| f.child_by_field_name("name").or(Some(f)))
                        .filter(|n| n.kind() == "generic_name")
                        .and_then(|g| g.named_child(1))
                        .and_then(|list| list.named_child(0));
                    match generic {
                        Some(t) => Sampler::Other {
                            name: type_name(src, t),
                        },
                        None => continue,
                    }
                };
                out.push(src.finding(at, CodeFindingKind::SamplerInstalled { sampler }));
            }
            "CreateTracerProviderBuilder" => {
                let names: Vec<String> = chain_above(node)
                    .iter()
                    .map(|n| invoked_name(src, *n))
                    .collect();
                let closed = names.iter().any(|n| n == "Build");
                if !names.iter().any(|n| n == "SetSampler") && (closed || !file_sets_sampler) {
                    out.push(src.finding(node, CodeFindingKind::TracerProviderWithoutSampler));
                }
            }
            "WithTracing" | "AddOpenTelemetryTracing" => {
                let sets_here = call.args.iter().any(|a| {
                    descendants(a.value, |_| false).into_iter().any(|n| {
                        n.kind() == "invocation_expression" && invoked_name(src, n) == "SetSampler"
                    })
                });
                if !sets_here && !file_sets_sampler {
                    out.push(src.finding(at, CodeFindingKind::TracerProviderWithoutSampler));
                }
            }
            "SetDefaultTextMapPropagator" => {
                if let Some(arg) = call.args.first() {
                    let propagators = eval.propagators(arg.value);
                    out.push(src.finding(at, CodeFindingKind::PropagatorSet { propagators }));
                }
            }
            "AddService" => {
                let arg = call
                    .args
                    .iter()
                    .find(|a| a.name.as_deref() == Some("serviceName"))
                    .or_else(|| call.args.first().filter(|a| a.name.is_none()));
                if let Some(name) = arg.and_then(|a| eval.string(a.value)) {
                    out.push(src.finding(at, CodeFindingKind::ServiceName { name }));
                }
            }
            _ => {}
        }
    }
    out
}
