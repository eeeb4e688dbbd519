//! The examples of the language reference (spec/*.md) run as tests.
//!
//! Fenced code blocks carry what they claim in their info string (spec/README.md,
//! "How examples are tested"):
//!
//! - ```` ```cpl-parse ````: one example per line, `INPUT  =>  CANONICAL` (the
//!   expression parses without error and prints as CANONICAL) or
//!   `INPUT  =>  error E101` (parsing reports an error and the first one has that code);
//! - ```` ```yaml policy-ok ````: a policy document that loads with no diagnostic;
//! - ```` ```yaml policy-err E202 ````: a policy document whose diagnostics include E202;
//! - ```` ```yaml policy-canonical ````: a policy document that loads with no diagnostic
//!   and that `print_policy` prints exactly as written.
//!
//! Every policy that loads (`policy-ok`, `policy-canonical`) must also survive the
//! printer's round trip: printed, it loads back as the same policy and prints the same.
//!
//! Every failure is collected and reported with its file and line, not just the first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SPEC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec");

/// The separator between an input and its expected outcome.
const ARROW: &str = "  =>  ";

/// What a fenced block claims.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Parse,
    PolicyOk,
    PolicyErr(String),
    PolicyCanonical,
}

/// One tested fenced block.
#[derive(Debug)]
struct Block {
    file: PathBuf,
    /// 1-based line of the opening fence.
    fence_line: usize,
    kind: Kind,
    /// The lines between the fences, with their 1-based line numbers.
    lines: Vec<(usize, String)>,
}

impl Block {
    fn text(&self) -> String {
        let mut text = String::new();
        for (_, line) in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn location(&self, line: usize) -> String {
        format!("{}:{line}", file_name(&self.file))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| format!("spec/{}", name.to_string_lossy()),
    )
}

fn spec_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SPEC_DIR)
        .unwrap_or_else(|error| panic!("cannot read {SPEC_DIR}: {error}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no spec/*.md files found in {SPEC_DIR}");
    files
}

/// A fenced block being read: where it opened, its fence, what it claims (`None` for
/// blocks that are not tested) and its lines so far.
struct OpenBlock {
    fence_line: usize,
    fence: String,
    kind: Option<Kind>,
    lines: Vec<(usize, String)>,
}

/// The tested blocks of every spec file; malformed info strings are failures.
fn blocks(failures: &mut Vec<String>) -> Vec<Block> {
    let mut blocks = Vec::new();
    for file in spec_files() {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        let mut open: Option<OpenBlock> = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let trimmed = line.trim_start();
            if let Some(block) = open.as_mut() {
                // A closing fence: the same character, at least as long, nothing after it.
                let fence_char = block.fence.chars().next().unwrap_or('`');
                let closing = trimmed.starts_with(block.fence.as_str())
                    && trimmed.trim_start_matches(fence_char).trim().is_empty();
                if closing {
                    if let Some(kind) = block.kind.take() {
                        blocks.push(Block {
                            file: file.clone(),
                            fence_line: block.fence_line,
                            kind,
                            lines: std::mem::take(&mut block.lines),
                        });
                    }
                    open = None;
                } else {
                    block.lines.push((number, line.to_owned()));
                }
                continue;
            }
            let Some(fence_char @ ('`' | '~')) = trimmed.chars().next() else {
                continue;
            };
            let fence_len = trimmed.chars().take_while(|&c| c == fence_char).count();
            if fence_len < 3 {
                continue;
            }
            let fence: String = std::iter::repeat_n(fence_char, fence_len).collect();
            let info = trimmed[fence_len..].trim();
            let kind = classify(info).unwrap_or_else(|message| {
                failures.push(format!("{}:{number}: {message}", file_name(&file)));
                None
            });
            open = Some(OpenBlock {
                fence_line: number,
                fence,
                kind,
                lines: Vec::new(),
            });
        }
        if let Some(block) = open {
            failures.push(format!(
                "{}:{}: code block is never closed",
                file_name(&file),
                block.fence_line
            ));
        }
    }
    blocks
}

/// The kind of a block from its info string; `Ok(None)` for blocks that are not tested.
fn classify(info: &str) -> Result<Option<Kind>, String> {
    let words: Vec<&str> = info.split_whitespace().collect();
    match words.as_slice() {
        ["cpl-parse"] => Ok(Some(Kind::Parse)),
        ["yaml", "policy-ok"] => Ok(Some(Kind::PolicyOk)),
        ["yaml", "policy-canonical"] => Ok(Some(Kind::PolicyCanonical)),
        ["yaml", "policy-err", code] if is_code(code) => Ok(Some(Kind::PolicyErr((*code).to_owned()))),
        _ if words
            .iter()
            .any(|word| word.starts_with("cpl-parse") || word.starts_with("policy-")) =>
        {
            Err(format!(
                "malformed info string `{info}`: use `cpl-parse`, `yaml policy-ok`, `yaml policy-canonical` or `yaml policy-err CODE`"
            ))
        }
        _ => Ok(None),
    }
}

/// `E101`, `W114`: a letter and three digits.
fn looks_like_code(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 4 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

fn is_code(word: &str) -> bool {
    cpl_syntax::REGISTRY.iter().any(|code| code.code == word)
}

/// Checks one `cpl-parse` line; `Err` explains the failure.
fn check_parse_line(line: &str) -> Result<(), String> {
    let Some((input, expected)) = line.split_once(ARROW) else {
        return Err(format!("no `{}` separator in `{line}`", ARROW.trim()));
    };
    let parsed = cpl_syntax::parse_expression(input);
    let describe_errors = || {
        parsed
            .errors
            .iter()
            .map(|error| {
                format!(
                    "{} {error} at {:?}",
                    error.code().code,
                    error.span().range()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    // `error E101` expects an error; `error == true` is the canonical form of a
    // predicate on the built-in field `error`.
    if let Some(code) = expected
        .strip_prefix("error ")
        .filter(|rest| looks_like_code(rest))
    {
        if !is_code(code) {
            return Err(format!("`{code}` is not a code of the registry"));
        }
        return match parsed.errors.first() {
            None => Err(format!(
                "`{input}` parses as `{}`, expected error {code}",
                parsed
                    .expr
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )),
            Some(first) if first.code().code == code => Ok(()),
            Some(_) => Err(format!(
                "`{input}`: expected first error {code}, got: {}",
                describe_errors()
            )),
        };
    }
    if !parsed.errors.is_empty() {
        return Err(format!(
            "`{input}` should parse, but: {}",
            describe_errors()
        ));
    }
    let Some(expr) = parsed.expr else {
        return Err(format!("`{input}`: no tree and no error"));
    };
    let printed = expr.to_string();
    if printed != expected {
        return Err(format!(
            "`{input}` prints as `{printed}`, the spec says `{expected}`"
        ));
    }
    // The canonical form must read back as the same tree (spec/expressions.md).
    let reparsed = cpl_syntax::parse_expression(&printed);
    match reparsed.ok() {
        Some(again) if again.without_spans() == expr.without_spans() => Ok(()),
        Some(again) => Err(format!(
            "`{input}`: canonical `{printed}` reads back as a different tree (prints `{again}`)"
        )),
        None => Err(format!("`{input}`: canonical `{printed}` does not parse")),
    }
}

#[test]
fn spec_parse_examples() {
    let mut failures = Vec::new();
    let blocks = blocks(&mut failures);
    let mut count = 0;
    for block in blocks.iter().filter(|block| block.kind == Kind::Parse) {
        let mut in_block = 0;
        for (number, line) in &block.lines {
            if line.trim().is_empty() {
                continue;
            }
            in_block += 1;
            if let Err(message) = check_parse_line(line) {
                failures.push(format!("{}: {message}", block.location(*number)));
            }
        }
        if in_block == 0 {
            failures.push(format!(
                "{}: empty cpl-parse block",
                block.location(block.fence_line)
            ));
        }
        count += in_block;
    }
    assert!(count > 0, "no cpl-parse examples found in spec/");
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "  {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of {count} spec parse examples failed:\n{report}",
        failures.len()
    );
    eprintln!("{count} spec parse examples passed");
}

/// Loads a policy: whether a `Policy` came back, and each diagnostic as
/// `CODE (message)`.
fn load(source: &str) -> (bool, Vec<String>) {
    let loaded = cpl_syntax::load_policy(source);
    let codes = loaded
        .diagnostics
        .iter()
        .map(|diagnostic| format!("{} ({})", diagnostic.code.code, diagnostic.message))
        .collect();
    (loaded.policy.is_some(), codes)
}

/// Prints a policy that loads: the text must load back as the same policy and print
/// the same; a `policy-canonical` block must print exactly as written.
fn print_round_trip(source: &str, kind: &Kind) -> Result<(), String> {
    let policy = cpl_syntax::load_policy(source).policy.ok_or("no policy")?;
    let printed = cpl_syntax::print_policy(&policy);
    if *kind == Kind::PolicyCanonical && printed != source {
        return Err(format!("not in canonical form; it prints as:\n{printed}"));
    }
    let again = cpl_syntax::load_policy(&printed)
        .policy
        .ok_or_else(|| format!("the printed policy does not load:\n{printed}"))?;
    if again.without_positions() != policy.without_positions() {
        return Err(format!(
            "the printed policy loads as another policy:\n{printed}"
        ));
    }
    if cpl_syntax::print_policy(&again) != printed {
        return Err(format!("printing is not stable:\n{printed}"));
    }
    Ok(())
}

#[test]
fn spec_policy_examples() {
    let mut failures = Vec::new();
    let blocks = blocks(&mut failures);
    let mut count = 0;
    for block in &blocks {
        let location = block.location(block.fence_line);
        match &block.kind {
            Kind::Parse => continue,
            Kind::PolicyOk | Kind::PolicyCanonical => {
                let (has_policy, diagnostics) = load(&block.text());
                if !diagnostics.is_empty() || !has_policy {
                    failures.push(format!(
                        "{location}: expected a clean load, got {}",
                        if diagnostics.is_empty() {
                            "no policy".to_owned()
                        } else {
                            diagnostics.join(", ")
                        }
                    ));
                } else if let Err(message) = print_round_trip(&block.text(), &block.kind) {
                    failures.push(format!("{location}: {message}"));
                }
            }
            Kind::PolicyErr(code) => {
                let (_, diagnostics) = load(&block.text());
                if !diagnostics
                    .iter()
                    .any(|found| found.split(' ').next() == Some(code.as_str()))
                {
                    failures.push(format!(
                        "{location}: expected {code}, got [{}]",
                        diagnostics.join(", ")
                    ));
                }
            }
        }
        count += 1;
    }
    assert!(count > 0, "no policy examples found in spec/");
    let mut report = String::new();
    for failure in &failures {
        let _ = writeln!(report, "  {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of {count} spec policy examples failed:\n{report}",
        failures.len()
    );
    eprintln!("{count} spec policy examples passed");
}
