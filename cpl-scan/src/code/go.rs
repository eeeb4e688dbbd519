//! Go: `go.opentelemetry.io/otel/sdk/trace` under whatever name the file
//! imports it as (`sdktrace`, `tracesdk`, the bare `trace`, ...), the global
//! propagator (`otel.SetTextMapPropagator`), and `service.name` set through
//! `semconv.ServiceName` or `attribute.String("service.name", ...)`.
//!
//! Only calls qualified by the SDK's import name count, so a package of the
//! same name from elsewhere (`go.opentelemetry.io/otel/trace`, the API) does
//! not match.

use super::syntax::{
    descendants, number, returns_in, unquote, Arg, Call, Ctor, Defs, Eval, FuncDef, Lang, Src, View,
};
use super::{CodeFinding, CodeFindingKind};
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{Node, Query};

const SDK_TRACE: &str = "go.opentelemetry.io/otel/sdk/trace";
const OTEL: &str = "go.opentelemetry.io/otel";

fn query() -> Option<&'static Query> {
    static QUERY: OnceLock<Option<Query>> = OnceLock::new();
    QUERY
        .get_or_init(|| {
            Query::new(
                &tree_sitter_go::LANGUAGE.into(),
                "(call_expression function: (selector_expression) arguments: (argument_list)) @anchor",
            )
            .ok()
        })
        .as_ref()
}

/// The file's import names: package path -> the name the file uses for it.
struct GoLang {
    imports: HashMap<String, String>,
}

impl GoLang {
    fn alias(&self, path: &str) -> Option<&str> {
        self.imports.get(path).map(String::as_str)
    }

    fn is_sdk(&self, qualifier: Option<&str>) -> bool {
        qualifier.is_some() && qualifier == self.alias(SDK_TRACE)
    }

    fn qualifier_path(&self, qualifier: Option<&str>) -> Option<&str> {
        let q = qualifier?;
        self.imports
            .iter()
            .find(|(_, name)| *name == q)
            .map(|(path, _)| path.as_str())
    }
}

fn imports(src: &Src<'_>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let root = src.tree.root_node();
    for node in descendants(root, |n| {
        !matches!(
            n.kind(),
            "source_file" | "import_declaration" | "import_spec_list" | "ERROR"
        )
    }) {
        if node.kind() != "import_spec" {
            continue;
        }
        let Some(path) = node
            .child_by_field_name("path")
            .and_then(|p| unquote(&src.text(p)))
        else {
            continue;
        };
        let name = match node.child_by_field_name("name") {
            Some(n) if n.kind() == "package_identifier" => src.text(n),
            Some(_) => continue,
            // The default name is the last path element, without a major-version suffix.
            None => {
                let mut parts = path.rsplit('/');
                let last = parts.next().unwrap_or_default();
                let last = if last.len() > 1
                    && last.starts_with('v')
                    && last[1..].bytes().all(|b| b.is_ascii_digit())
                {
                    parts.next().unwrap_or(last)
                } else {
                    last
                };
                last.to_owned()
            }
        };
        out.insert(path, name);
    }
    out
}

impl Lang for GoLang {
    fn view<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        match node.kind() {
            "parenthesized_expression" => node.named_child(0).map_or(View::Other, View::Wrap),
            "identifier" => View::Name(src.text(node)),
            "float_literal" | "int_literal" => {
                number(&src.text(node)).map_or(View::Other, View::Number)
            }
            "interpreted_string_literal" | "raw_string_literal" => {
                unquote(&src.text(node)).map_or(View::Other, View::Str)
            }
            "unary_expression" => match (
                node.child_by_field_name("operator"),
                node.child_by_field_name("operand"),
            ) {
                (Some(op), Some(operand)) if src.text(op) == "-" => View::Neg(operand),
                (Some(op), Some(operand)) if matches!(src.text(op).as_str(), "+" | "&") => {
                    View::Wrap(operand)
                }
                _ => View::Other,
            },
            "composite_literal" => composite(src, node),
            "call_expression" => self.call(src, node),
            "selector_expression" => node
                .child_by_field_name("field")
                .map_or(View::Other, |f| View::Member(src.text(f))),
            _ => View::Other,
        }
    }

    fn sampler_ctor(&self, call: &Call<'_>) -> Option<Ctor> {
        let q = call.qualifier.as_deref();
        if self.is_sdk(q) {
            return Some(match call.name.as_str() {
                "AlwaysSample" => Ctor::AlwaysOn,
                "NeverSample" => Ctor::AlwaysOff,
                "TraceIDRatioBased" => Ctor::TraceIdRatio { default: None },
                "ParentBased" => Ctor::ParentBased,
                "AlwaysRecord" => Ctor::SameAsFirstArg,
                _ => return None,
            });
        }
        let path = self.qualifier_path(q)?;
        match call.name.as_str() {
            // go.opentelemetry.io/contrib/samplers/probability/consistent (p-values in
            // the trace state; its parent-based form takes sdktrace's options).
            "ProbabilityBased" if path.ends_with("/samplers/probability/consistent") => {
                Some(Ctor::Probability)
            }
            "ParentProbabilityBased" if path.ends_with("/samplers/probability/consistent") => {
                Some(Ctor::ParentBased)
            }
            "New" if path.ends_with("/samplers/jaegerremote") => Some(Ctor::JaegerRemote),
            "NewRemoteSampler" if path.ends_with("/samplers/aws/xray") => Some(Ctor::XRay),
            _ => None,
        }
    }
}

impl GoLang {
    fn call<'t>(&self, src: &Src<'t>, node: Node<'t>) -> View<'t> {
        let Some(function) = node.child_by_field_name("function") else {
            return View::Other;
        };
        let args: Vec<Arg<'t>> = node
            .child_by_field_name("arguments")
            .map(|a| {
                let mut c = a.walk();
                a.named_children(&mut c)
                    .filter(|n| n.kind() != "comment")
                    .map(|value| Arg { name: None, value })
                    .collect()
            })
            .unwrap_or_default();
        let (name, qualifier, receiver) = match function.kind() {
            "identifier" => (src.text(function), None, None),
            "selector_expression" => {
                let operand = function.child_by_field_name("operand");
                let field = function
                    .child_by_field_name("field")
                    .map(|f| src.text(f))
                    .unwrap_or_default();
                let qualifier = operand
                    .filter(|o| o.kind() == "identifier")
                    .map(|o| src.text(o));
                (field, qualifier, operand)
            }
            _ => return View::Other,
        };
        let path = self.qualifier_path(qualifier.as_deref());
        // Values that mean their first argument for a scanner: conversions and env reads.
        match (path, name.as_str()) {
            (Some("os"), "Getenv" | "LookupEnv") => {
                return args
                    .first()
                    .and_then(|a| unquote(&src.text(a.value)))
                    .map_or(View::Other, View::Env);
            }
            (Some("strconv"), "ParseFloat" | "Atoi" | "ParseInt") => {
                return args.first().map_or(View::Other, |a| View::Wrap(a.value));
            }
            (None, "float64" | "float32") if qualifier.is_none() && args.len() == 1 => {
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
}

/// `propagation.TraceContext{}`: a value of a named type, viewed as a constructor.
fn composite<'t>(src: &Src<'t>, node: Node<'t>) -> View<'t> {
    let Some(ty) = node.child_by_field_name("type") else {
        return View::Other;
    };
    let (name, qualifier) = match ty.kind() {
        "qualified_type" => (
            ty.child_by_field_name("name")
                .map(|n| src.text(n))
                .unwrap_or_default(),
            ty.child_by_field_name("package").map(|p| src.text(p)),
        ),
        "type_identifier" => (src.text(ty), None),
        "slice_type" | "array_type" | "implicit_length_array_type" => {
            let items = node
                .child_by_field_name("body")
                .map(|b| {
                    let mut c = b.walk();
                    b.named_children(&mut c)
                        .filter(|e| e.kind() == "literal_element")
                        .filter_map(|e| e.named_child(0))
                        .collect()
                })
                .unwrap_or_default();
            return View::Seq(items);
        }
        _ => return View::Other,
    };
    View::Call(Call {
        node,
        name,
        qualifier,
        receiver: None,
        args: Vec::new(),
        is_new: true,
    })
}

fn definitions<'t>(src: &Src<'t>) -> Defs<'t> {
    let mut defs = Defs::default();
    let is_function = |k: &str| {
        matches!(
            k,
            "function_declaration" | "method_declaration" | "func_literal"
        )
    };
    for node in descendants(src.tree.root_node(), |_| false) {
        match node.kind() {
            "short_var_declaration" | "assignment_statement" => {
                let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let mut lc = left.walk();
                let mut rc = right.walk();
                let values: Vec<Node<'t>> = right.named_children(&mut rc).collect();
                for (i, name) in left.named_children(&mut lc).enumerate() {
                    // `r, err := strconv.ParseFloat(...)`: the first name gets the call.
                    let value = if values.len() == 1 && i == 0 {
                        values.first()
                    } else {
                        values.get(i)
                    };
                    if let (true, Some(value)) = (name.kind() == "identifier", value) {
                        defs.value(src.text(name), *value);
                    }
                }
            }
            "var_spec" | "const_spec" => {
                let Some(value) = node.child_by_field_name("value") else {
                    continue;
                };
                let mut vc = value.walk();
                let values: Vec<Node<'t>> = value.named_children(&mut vc).collect();
                let mut nc = node.walk();
                let names: Vec<Node<'t>> = node
                    .children_by_field_name("name", &mut nc)
                    .filter(|n| n.kind() == "identifier")
                    .collect();
                for (i, name) in names.into_iter().enumerate() {
                    let value = if values.len() == 1 && i == 0 {
                        values.first()
                    } else {
                        values.get(i)
                    };
                    if let Some(value) = value {
                        defs.value(src.text(name), *value);
                    }
                }
            }
            "function_declaration" | "method_declaration" => {
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
                        let mut pc = p.walk();
                        params.extend(
                            p.children_by_field_name("name", &mut pc)
                                .map(|n| src.text(n)),
                        );
                    }
                }
                let returns = returns_in(body, "return_statement", is_function)
                    .into_iter()
                    .filter_map(|list| {
                        if list.kind() == "expression_list" {
                            list.named_child(0)
                        } else {
                            Some(list)
                        }
                    })
                    .collect();
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
    let lang = GoLang {
        imports: imports(src),
    };
    let defs = definitions(src);
    let eval = Eval::new(&lang, src, &defs);
    let calls: Vec<Call<'_>> = src
        .anchors(query)
        .into_iter()
        .filter_map(|n| match lang.view(src, n) {
            View::Call(call) => Some(call),
            _ => None,
        })
        .collect();
    let is_with_sampler =
        |c: &Call<'_>| lang.is_sdk(c.qualifier.as_deref()) && c.name == "WithSampler";
    let file_sets_sampler = calls.iter().any(is_with_sampler);
    let otel = lang.alias(OTEL);
    let mut out = Vec::new();
    for call in &calls {
        let q = call.qualifier.as_deref();
        if is_with_sampler(call) {
            if let Some(arg) = call.args.first() {
                let sampler = eval.sampler(arg.value);
                out.push(src.finding(call.node, CodeFindingKind::SamplerInstalled { sampler }));
            }
        } else if lang.is_sdk(q) && call.name == "NewTracerProvider" {
            let explicit = call
                .args
                .iter()
                .any(|a| matches!(lang.view(src, a.value), View::Call(c) if is_with_sampler(&c)));
            // `opts...` or a variable may carry a `WithSampler` from elsewhere in the file.
            let self_contained = call
                .args
                .iter()
                .all(|a| matches!(lang.view(src, a.value), View::Call(_)));
            if !explicit && (self_contained || !file_sets_sampler) {
                out.push(src.finding(call.node, CodeFindingKind::TracerProviderWithoutSampler));
            }
        } else if q.is_some() && q == otel && call.name == "SetTextMapPropagator" {
            if let Some(arg) = call.args.first() {
                let propagators = eval.propagators(arg.value);
                out.push(src.finding(call.node, CodeFindingKind::PropagatorSet { propagators }));
            }
        } else if let Some(name) = service_name(&lang, &eval, call) {
            out.push(src.finding(call.node, CodeFindingKind::ServiceName { name }));
        }
    }
    out
}

/// `semconv.ServiceName("x")`, `semconv.ServiceNameKey.String("x")`,
/// `attribute.String("service.name", "x")`.
fn service_name(lang: &GoLang, eval: &Eval<'_, '_, GoLang>, call: &Call<'_>) -> Option<String> {
    let path = lang.qualifier_path(call.qualifier.as_deref());
    let is_semconv = path.is_some_and(|p| p.starts_with("go.opentelemetry.io/otel/semconv"));
    match call.name.as_str() {
        "ServiceName" if is_semconv => eval.string(call.args.first()?.value),
        "String" if path == Some("go.opentelemetry.io/otel/attribute") => {
            let [key, value] = call.args.as_slice() else {
                return None;
            };
            (eval.string(key.value)? == "service.name").then_some(())?;
            eval.string(value.value)
        }
        "String" => {
            // `semconv.ServiceNameKey.String("x")`: the receiver is a selector.
            let receiver = call.receiver?;
            let operand = receiver.child_by_field_name("operand")?;
            let field = receiver.child_by_field_name("field")?;
            let semconv = lang
                .qualifier_path(Some(&eval.src.text(operand)))
                .is_some_and(|p| p.starts_with("go.opentelemetry.io/otel/semconv"));
            (semconv && eval.src.text(field) == "ServiceNameKey").then_some(())?;
            eval.string(call.args.first()?.value)
        }
        _ => None,
    }
}
