//! CPL and clarvynn policies: `base_rate`, and the service and environment they are
//! written for, read with cpl-syntax's loader.

use cpl_syntax::yaml::Node;

use crate::context::environment_word;
use crate::setting::{Layer, Value};
use crate::source::{get, Read, SourceFile};

/// Whether a document looks like a CPL or clarvynn policy.
pub fn is_policy(root: &Node) -> bool {
    get(root, "base_rate").is_some()
        || get(root, "sampling")
            .and_then(|s| get(s, "base_rate"))
            .is_some()
}

/// Reads a policy's `base_rate` (a policy that does not load is `cpl lint`'s business).
pub fn read(file: &SourceFile<'_>, read: &mut Read) {
    let loaded = cpl_syntax::load_policy(file.text);
    let Some(policy) = loaded.policy else { return };
    let service = policy.service.as_ref().map(|s| s.name.value.clone());
    let mut setting = file.setting(
        policy.sampling.base_rate.span.clone(),
        Layer::CplPolicy,
        "base_rate",
        None,
        Value::Probability {
            value: policy.sampling.base_rate.value,
        },
        service.as_deref(),
    );
    if let Some(namespace) = policy.service.as_ref().and_then(|s| s.namespace.as_ref()) {
        if let Some(env) = environment_word(&namespace.value) {
            setting.environment = Some(env.to_owned());
        }
    }
    read.settings.push(setting);
}
