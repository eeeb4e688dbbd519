//! The worked examples of spec/targets/otel-collector.md §4: each `yaml cpl-compile`
//! block compiles to the `yaml tail-sampling` block after it, byte for byte; a
//! `yaml cpl-compile allow-approximate` block compiles with `--allow-approximate`.

use cpl_collector::compile::{compile, to_yaml, CompileOptions, Output};

const SPEC: &str = include_str!("../../spec/targets/otel-collector.md");

/// The fenced blocks of section 4 whose info string is `info` or starts with it and a
/// space, in order, with the line of their fence and the rest of the info string.
fn blocks(info: &str) -> Vec<(usize, String, String)> {
    let section = SPEC
        .split("\n## ")
        .find(|s| s.starts_with("4. "))
        .expect("section 4");
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in section.lines().enumerate() {
        match &mut open {
            Some(_) if line == "```" => out.extend(open.take()),
            Some((_, text, _)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {
                if let Some(rest) = line.strip_prefix("```").and_then(|l| l.strip_prefix(info)) {
                    if rest.is_empty() || rest.starts_with(' ') {
                        open = Some((i, String::new(), rest.trim().to_owned()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn worked_examples_compile_as_written() {
    let inputs = blocks("yaml cpl-compile");
    let outputs = blocks("yaml tail-sampling");
    assert!(!inputs.is_empty(), "no examples found");
    assert_eq!(inputs.len(), outputs.len(), "every input needs its output");
    for ((line, policy, options), (_, expected, _)) in inputs.iter().zip(&outputs) {
        let loaded = cpl_syntax::load_policy(policy);
        let policy = loaded
            .policy
            .unwrap_or_else(|| panic!("example at section line {line} does not load"));
        let options = CompileOptions::new(options == "allow-approximate");
        let compiled = compile(&policy, &options)
            .unwrap_or_else(|e| panic!("example at section line {line} is refused: {e:?}"));
        let yaml = to_yaml(&compiled, Output::Processor, &[]).expect("emits");
        let yaml = yaml.strip_prefix("---\n").unwrap_or(&yaml);
        assert_eq!(yaml, expected, "example at section line {line}");
    }
}
