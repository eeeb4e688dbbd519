//! Loading the policy a command works on: read it, load it, and on errors render the
//! diagnostics and give up (a command cannot run an invalid policy).

use std::path::Path;

use cpl_eval::Evaluator;
use cpl_syntax::{load_policy_bytes, Policy, Severity};

use crate::render::{stderr_colour, write_stderr, HumanRenderer};

/// The policy at `path`, or `None` after reporting why not (an exit-2 condition).
pub(crate) fn load(path: &Path) -> Option<Policy> {
    load_with_source(path).map(|(policy, _)| policy)
}

/// The bytes of the policy at `path` (`-` for stdin), or `None` after reporting why not.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        if let Err(error) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
            write_stderr(&format!(
                "error: cannot read the policy from stdin: {error}\n"
            ));
            return None;
        }
        Some(bytes)
    } else {
        match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                write_stderr(&format!("error: cannot read `{name}`: {error}\n"));
                None
            }
        }
    }
}

/// The policy at `path` and its source text (for positions), or `None` after
/// reporting why not (an exit-2 condition).
pub(crate) fn load_with_source(path: &Path) -> Option<(Policy, String)> {
    let name = path.display().to_string();
    let bytes = read(path)?;
    let loaded = load_policy_bytes(&bytes);
    let source = String::from_utf8_lossy(&bytes);
    let renderer = HumanRenderer::new(stderr_colour());
    for diagnostic in &loaded.diagnostics {
        if diagnostic.severity == Severity::Error {
            write_stderr(&renderer.render(&name, &source, diagnostic));
        }
    }
    if loaded.policy.is_none() {
        write_stderr(&format!(
            "error: `{name}` has errors; run `cpl lint {name}` for details\n"
        ));
    }
    Some((loaded.policy?, source.into_owned()))
}

/// The policy at `path` and its compiled evaluator, or `None` after reporting why not
/// (an exit-2 condition): what every command that decides traces starts with.
pub(crate) fn load_compiled(path: &Path) -> Option<(Policy, Evaluator)> {
    let policy = load(path)?;
    match Evaluator::compile(&policy) {
        Ok(evaluator) => Some((policy, evaluator)),
        Err(error) => {
            write_stderr(&format!(
                "error: cannot compile `{}`: {error}\n",
                path.display()
            ));
            None
        }
    }
}
