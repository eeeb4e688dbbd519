//! Java: `SdkTracerProvider.builder()...setSampler(...)`, the samplers of
//! `io.opentelemetry.sdk.trace.samplers.Sampler` (`alwaysOn()`,
//! `traceIdRatioBased(p)`, `parentBased(root)`,
//! `parentBasedBuilder(root).setRemoteParentSampled(...).build()`),
//! `JaegerRemoteSampler.builder()...build()`, the propagators of
//! `OpenTelemetrySdk.builder().setPropagators(...)`, and `service.name` in
//! resource attributes. A helper method of the same class (`static Sampler
//! parentBasedSampler(Sampler root)`) is followed with its arguments bound.

use super::syntax::{
    descendants, is_service_name_key, number, returns_in, unquote, Arg, Call, Ctor, Defs, Eval,
    FuncDef, Lang, Src, View,
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
                &tree_sitter_java::LANGUAGE.into(),
                "(method_invocation name: (identifier) arguments: (argument_list)) @anchor",
            )
            .ok()
        })
        .as_ref()
}

struct JavaLang;

impl Lang for JavaLang {
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        match node.kind() {
            "parenthesized_expression" => node.named_child(0).map_or(View::Other, View::Wrap),
            "cast_expression" => node
                .child_by_field_name("value")
                .map_or(View::Other, View::Wrap),
            "identifier" => View::Name(src.text(node)),
            "decimal_floating_point_literal" | "decimal_integer_literal" => {
                number(&src.text(node)).map_or(View::Other, View::Number)
            }
            "string_literal" => unquote(&src.text(node)).map_or(View::Other, View::Str),
            "unary_expression" => match (
                node.child_by_field_name("operator"),
                node.child_by_field_name("operand"),
            ) {
                (Some(op), Some(operand)) if src.text(op) == "-" => View::Neg(operand),
                (Some(op), Some(operand)) if src.text(op) == "+" => View::Wrap(operand),
                _ => View::Other,
            },
            "field_access" => node
                .child_by_field_name("field")
                .map_or(View::Other, |f| View::Member(src.text(f))),
            "array_creation_expression" | "array_initializer" => {
                let init = if node.kind() == "array_initializer" {
                    Some(node)
                } else {
                    node.child_by_field_name("value")
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
                    .map(|t| {
                        let text = src.text(t);
                        text.rsplit('.').next().unwrap_or_default().to_owned()
                    })
                    .unwrap_or_default();
                View::Call(Call {
                    node,
                    name,
                    qualifier: None,
                    receiver: None,
                    args: arguments(node),
                    is_new: true,
                })
            }
            "method_invocation" => call(src, node),
            _ => View::Other,
        }
    }

    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor> {
        let q = call.qualifier.as_deref();
        if q.is_none_or(|q| q == "Sampler" || q.ends_with(".Sampler")) {
            let ctor = match call.name.as_str() {
                "alwaysOn" => Some(Ctor::AlwaysOn),
                "alwaysOff" => Some(Ctor::AlwaysOff),
                "traceIdRatioBased" => Some(Ctor::TraceIdRatio { default: None }),
                "parentBased" => Some(Ctor::ParentBased),
                "parentBasedBuilder" => Some(Ctor::ParentBasedBuilder),
                _ => None,
            };
            if ctor.is_some() {
                return ctor;
            }
        }
        match (q, call.name.as_str()) {
            (Some("JaegerRemoteSampler"), "builder") => Some(Ctor::JaegerRemote),
            (Some("AwsXrayRemoteSampler"), "builder" | "newBuilder") => Some(Ctor::XRay),
            _ => None,
        }
    }
}

fn arguments(node: Node<'_>) -> Vec<Arg<'_>> {
    node.child_by_field_name("arguments")
        .map(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .filter(|n| !matches!(n.kind(), "line_comment" | "block_comment"))
                .map(|value| Arg { name: None, value })
                .collect()
        })
        .unwrap_or_default()
}

fn call<'t>(src: &Src<'t>, node: Node<'t>) -> View<'t> {
    let name = node
        .child_by_field_name("name")
        .map(|n| src.text(n))
        .unwrap_or_default();
    let receiver = node.child_by_field_name("object");
    let qualifier = receiver
        .filter(|o| matches!(o.kind(), "identifier" | "field_access" | "this"))
        .map(|o| src.text(o));
    let args = arguments(node);
    match (qualifier.as_deref(), name.as_str()) {
        (Some("System"), "getenv") => {
            return args
                .first()
                .and_then(|a| unquote(&src.text(a.value)))
                .map_or(View::Other, View::Env);
        }
        (Some("Double" | "Float"), "parseDouble" | "parseFloat" | "valueOf") if args.len() == 1 => {
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

fn definitions<'t>(src: &Src<'t>) -> Defs<'t> {
    let mut defs = Defs::default();
    let is_function =
        |k: &str| matches!(k, "method_declaration" | "lambda_expression" | "class_body");
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "variable_declarator" => {
                if let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) {
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
            "method_declaration" => {
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
                let returns = returns_in(body, "return_statement", is_function);
                defs.func(src.text(name), FuncDef { params, returns });
            }
            _ => {}
        }
    }
    defs
}

/// The sampler an autoconfigure `addSamplerCustomizer((fallback, config) -> ...)`
/// returns, which replaces the one configured from the environment. `None` when it
/// returns its first parameter unchanged (the environment's sampler stands); the
/// parameter itself, wherever the result uses it, is dynamic. A customizer that is
/// not a lambda (a method reference, a variable) is dynamic as a whole.
fn customizer<'t>(src: &Src<'t>, eval: &Eval<'_, 't, JavaLang>, node: Node<'t>) -> Option<Sampler> {
    if node.kind() != "lambda_expression" {
        return Some(Sampler::Dynamic {
            expression: src.expression(node),
        });
    }
    let fallback = node.child_by_field_name("parameters").and_then(|p| {
        if p.kind() == "identifier" {
            return Some(src.text(p));
        }
        let mut c = p.walk();
        let first = p.named_children(&mut c).next()?;
        let name = if first.kind() == "identifier" {
            first
        } else {
            first.child_by_field_name("name")?
        };
        Some(src.text(name))
    });
    let body = node.child_by_field_name("body")?;
    let result = if body.kind() == "block" {
        let returns = returns_in(body, "return_statement", |k| {
            matches!(k, "lambda_expression" | "class_body")
        });
        match returns.as_slice() {
            [one] => *one,
            _ => {
                return Some(Sampler::Dynamic {
                    expression: src.expression(node),
                })
            }
        }
    } else {
        body
    };
    if fallback.as_deref() == Some(src.text(result).trim()) {
        return None;
    }
    Some(eval.sampler(result))
}

/// The method invocations chained on `start` (`start.a().b()`), outermost last.
fn chain_above(start: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut current = start;
    while let Some(parent) = current.parent() {
        if parent.kind() != "method_invocation"
            || parent.child_by_field_name("object") != Some(current)
        {
            break;
        }
        out.push(parent);
        current = parent;
    }
    out
}

pub(crate) fn scan(src: &Src<'_>) -> Vec<CodeFinding> {
    let Some(query) = query() else {
        return Vec::new();
    };
    let lang = JavaLang;
    let defs = definitions(src);
    let eval = Eval::new(&lang, src, &defs);
    let anchors = src.anchors(query);
    let name_of = |n: Node<'_>| {
        n.child_by_field_name("name")
            .map(|n| src.text(n))
            .unwrap_or_default()
    };
    let file_sets_sampler = anchors.iter().any(|n| name_of(*n) == "setSampler");
    let mut out = Vec::new();
    for node in anchors {
        let View::Call(call) = lang.view(src, node) else {
            continue;
        };
        let at = node.child_by_field_name("name").unwrap_or(node);
        match (call.qualifier.as_deref(), call.name.as_str()) {
            (_, "setSampler") => {
                if let Some(arg) = call.args.first() {
                    let sampler = eval.sampler(arg.value);
                    out.push(src.finding(at, CodeFindingKind::SamplerInstalled { sampler }));
                }
            }
            (Some("SdkTracerProvider"), "builder") => {
                let chain = chain_above(node);
                let names: Vec<String> = chain.iter().map(|n| name_of(*n)).collect();
                let closed = names.iter().any(|n| n == "build");
                if !names.iter().any(|n| n == "setSampler") && (closed || !file_sets_sampler) {
                    out.push(src.finding(node, CodeFindingKind::TracerProviderWithoutSampler));
                }
            }
            (_, "addSamplerCustomizer") => {
                if let Some(sampler) = call
                    .args
                    .first()
                    .and_then(|a| customizer(src, &eval, a.value))
                {
                    out.push(src.finding(at, CodeFindingKind::SamplerInstalled { sampler }));
                }
            }
            (_, "setPropagators") => {
                if let Some(arg) = call.args.first() {
                    let propagators = eval.propagators(arg.value);
                    out.push(src.finding(at, CodeFindingKind::PropagatorSet { propagators }));
                }
            }
            _ => {
                // `Attributes.of(SERVICE_NAME, "x")`, `.put(SERVICE_NAME, "x")`,
                // `AttributeKey.stringKey("service.name")` pairs.
                if matches!(call.name.as_str(), "of" | "put" | "create") {
                    for pair in call.args.chunks(2) {
                        let [key, value] = pair else { continue };
                        let key_text = match lang.view(src, key.value) {
                            View::Call(k) if k.name == "stringKey" => {
                                k.args.first().and_then(|a| eval.string(a.value))
                            }
                            _ => eval.string(key.value),
                        }
                        .unwrap_or_else(|| src.text(key.value));
                        if is_service_name_key(&key_text) {
                            if let Some(name) = eval.string(value.value) {
                                out.push(
                                    src.finding(key.value, CodeFindingKind::ServiceName { name }),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
