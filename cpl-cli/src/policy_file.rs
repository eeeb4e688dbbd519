//! Loading the policy a command works on: read it, load it, and on errors render the
//! diagnostics and give up (a command cannot run an invalid policy).

use std::path::Path;

use cpl_collector::config::ConfigFile;
use cpl_eval::Evaluator;
use cpl_syntax::{load_policy_bytes, Policy, Severity};

use crate::render::{stderr_colour, write_stderr, HumanRenderer};

/// The policy at `path`, or `None` after reporting why not (an exit-2 condition).
pub(crate) fn load(path: &Path) -> Option<Policy> {
    load_with_source(path).map(|(policy, _)| policy)
}

/// The policy at `path` and its source text (for positions), or `None` after
/// reporting why not (an exit-2 condition).
pub(crate) fn load_with_source(path: &Path) -> Option<(Policy, String)> {
    let bytes = read(path)?;
    let policy = load_bytes(path, &bytes)?;
    Some((policy, String::from_utf8_lossy(&bytes).into_owned()))
}

/// What decides traces: a CPL policy, or the `tail_sampling` processors of a collector
/// config (told apart by content, spec/targets/otel-collector.md §1.1).
pub(crate) enum Decidable {
    /// A CPL policy, compiled.
    Policy(Box<Evaluator>),
    /// A collector config without errors.
    Collector(ConfigFile),
}

/// The policy or collector config at `path`, or `None` after reporting why not.
pub(crate) fn load_decidable(path: &Path) -> Option<Decidable> {
    let bytes = read(path)?;
    let name = path.display().to_string();
    let collector = std::str::from_utf8(&bytes)
        .ok()
        .filter(|text| cpl_collector::config::recognise(text).is_some());
    let Some(source) = collector else {
        let policy = load_bytes(path, &bytes)?;
        return compile(path, &policy).map(|evaluator| Decidable::Policy(Box::new(evaluator)));
    };
    let file = cpl_collector::config::read(source);
    let renderer = HumanRenderer::new(stderr_colour());
    for diagnostic in &file.diagnostics {
        if diagnostic.severity == Severity::Error {
            write_stderr(&renderer.render(&name, source, diagnostic));
        }
    }
    if file.has_errors() {
        write_stderr(&format!(
            "error: `{name}` is a collector config with errors; the collector would not start with it\n"
        ));
        return None;
    }
    Some(Decidable::Collector(file))
}

/// The bytes of `path` (`-` is stdin), or `None` after reporting why not.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    let name = path.display().to_string();
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        if let Err(error) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
            write_stderr(&format!(
                "error: cannot read the policy from stdin: {error}\n"
            ));
            return None;
        }
        bytes
    } else {
        match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                write_stderr(&format!("error: cannot read `{name}`: {error}\n"));
                return None;
            }
        }
    };
    Some(bytes)
}

fn load_bytes(path: &Path, bytes: &[u8]) -> Option<Policy> {
    let name = path.display().to_string();
    let loaded = load_policy_bytes(bytes);
    let source = String::from_utf8_lossy(bytes);
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
    loaded.policy
}

/// The policy at `path` and its compiled evaluator, or `None` after reporting why not
/// (an exit-2 condition): what every command that decides traces starts with.
pub(crate) fn load_compiled(path: &Path) -> Option<(Policy, Evaluator)> {
    let policy = load(path)?;
    compile(path, &policy).map(|evaluator| (policy, evaluator))
}

fn compile(path: &Path, policy: &Policy) -> Option<Evaluator> {
    match Evaluator::compile(policy) {
        Ok(evaluator) => Some(evaluator),
        Err(error) => {
            write_stderr(&format!(
                "error: cannot compile `{}`: {error}\n",
                path.display()
            ));
            None
        }
    }
}
