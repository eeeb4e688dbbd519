//! Kustomize patches (spec/scan.md, "Kustomize patches"): the inline patches of a
//! `kustomization.yaml`, the patch files it names, strategic-merge and JSON 6902.

use cpl_syntax::yaml::{self, Node, NodeValue};
use cpl_syntax::{codes, Diagnostic};

use super::kube;
use crate::setting::Layer;
use crate::source::{content_span, get, items, text, Read, SourceFile};

/// Whether a file is a kustomization.
pub fn is_kustomization(path: &str) -> bool {
    matches!(
        path.rsplit('/').next().unwrap_or(path),
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// The workload a JSON 6902 patch applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// `kind`, when given.
    pub kind: Option<String>,
    /// `name`.
    pub name: Option<String>,
}

/// A patch file a kustomization names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PatchRef {
    /// The patch file, relative to the scan root.
    pub file: String,
    /// The kustomization's environment.
    pub environment: Option<String>,
    /// The item's `target`.
    pub target: Option<Target>,
}

fn target_of(item: &Node) -> Option<Target> {
    let target = get(item, "target")?;
    Some(Target {
        kind: get(target, "kind").and_then(text).map(str::to_owned),
        name: get(target, "name").and_then(text).map(str::to_owned),
    })
}

/// Every patch of a kustomization: the node holding it (an inline patch's scalar, or a
/// path), whether it is inline, and the item's target.
fn patches(root: &Node) -> Vec<(&Node, Option<Target>)> {
    let mut out = Vec::new();
    for item in get(root, "patchesStrategicMerge")
        .map(items)
        .unwrap_or_default()
    {
        out.push((item, None));
    }
    for key in ["patches", "patchesJson6902"] {
        for item in get(root, key).map(items).unwrap_or_default() {
            if let Some(patch) = get(item, "patch").or_else(|| get(item, "path")) {
                out.push((patch, target_of(item)));
            }
        }
    }
    out
}

fn is_inline(node: &Node) -> bool {
    text(node).is_some_and(|t| t.contains('\n'))
}

/// The patch files a kustomization at `path` names, in its environment.
pub fn patch_refs(path: &str, environment: Option<&str>, root: &Node) -> Vec<PatchRef> {
    let dir = super::parent(path);
    patches(root)
        .into_iter()
        .filter(|(node, _)| !is_inline(node))
        .filter_map(|(node, target)| {
            let file = text(node)?.trim();
            (!file.is_empty()).then(|| PatchRef {
                file: super::join(dir, file),
                environment: environment.map(str::to_owned),
                target,
            })
        })
        .collect()
}

/// Reads the inline patches of a kustomization; their settings are placed where they
/// are written in it.
pub fn read_inline(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    for (node, target) in patches(root) {
        let NodeValue::Scalar(scalar) = &node.value else {
            continue;
        };
        if !scalar.text.contains('\n') {
            continue;
        }
        let inner = SourceFile::new(
            file.path,
            &scalar.text,
            file.environment.clone(),
            file.tenant.clone(),
        );
        let (documents, _) = yaml::parse_documents(&scalar.text);
        let mut own = Read::default();
        read_patch(&inner, &documents, target.as_ref(), &mut own);
        file.assigned.borrow_mut().extend(inner.assigned.take());
        let map = |offset: usize| scalar.file_offset(offset);
        for mut setting in own.settings {
            setting.span = map(setting.span.start)..map(setting.span.end);
            setting.location = file.location(setting.span.start);
            read.settings.push(setting);
        }
        for mut diagnostic in own.diagnostics {
            diagnostic.span = map(diagnostic.span.start)..map(diagnostic.span.end);
            read.diagnostics.push(diagnostic);
        }
    }
}

/// Reads a patch's documents: strategic-merge manifests, or JSON 6902 operations on
/// `target`.
pub fn read_patch(
    file: &SourceFile<'_>,
    documents: &[Node],
    target: Option<&Target>,
    read: &mut Read,
) {
    for document in documents {
        if kube::is_resource(document) {
            kube::read_as(file, document, read, Some(Layer::Kustomize));
        } else if let NodeValue::Sequence(operations) = &document.value {
            let Some(target) = target else { continue };
            if target
                .kind
                .as_deref()
                .is_some_and(|k| !kube::is_workload(k))
            {
                continue;
            }
            for operation in operations {
                json6902(file, operation, target.name.as_deref(), read);
            }
        }
    }
}

/// One JSON 6902 operation; applied when exact, else reported (L615).
fn json6902(file: &SourceFile<'_>, operation: &Node, service: Option<&str>, read: &mut Read) {
    let (Some(op), Some(path_node)) = (get(operation, "op").and_then(text), get(operation, "path"))
    else {
        return;
    };
    let Some(path) = text(path_node) else { return };
    let segments: Vec<&str> = path.split('/').collect();
    let Some(containers) = segments.iter().position(|s| *s == "containers") else {
        return;
    };
    if segments.get(containers + 2) != Some(&"env") {
        return;
    }
    let rest = &segments[containers + 3..];
    let value = get(operation, "value");
    let exact = match (op, rest, value) {
        ("add" | "replace", [], Some(list)) if matches!(list.value, NodeValue::Sequence(_)) => {
            kube::env_entries(file, items(list), service, Layer::Kustomize, read);
            true
        }
        ("add" | "replace", [index], Some(entry))
            if (*index == "-" || index.parse::<usize>().is_ok())
                && get(entry, "name").is_some() =>
        {
            kube::env_entries(
                file,
                std::slice::from_ref(entry),
                service,
                Layer::Kustomize,
                read,
            );
            true
        }
        ("test", ..) => true,
        _ => false,
    };
    if !exact {
        read.diagnostics.push(
            Diagnostic::new(
                &codes::UNRESOLVED_SAMPLER_VALUE,
                format!(
                    "the JSON 6902 operation `{op} {path}` of `{}` changes a container's env in a way the scan cannot apply exactly: if it touches a sampler variable, the inventory does not show it",
                    service.unwrap_or("?")
                ),
                content_span(path_node),
                "not applied",
            )
            .with_help(
                "add the whole entry instead (`op: add`, `path: .../env/-`, `value: {name: OTEL_TRACES_SAMPLER_ARG, value: \"0.1\"}`), or use a strategic-merge patch",
            ),
        );
    }
}
