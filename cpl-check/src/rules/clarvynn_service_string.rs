//! ## L357 clarvynn-service-string (error, `--target clarvynn`)
//!
//! **What it finds.** A `service` written as a string (`service: checkout`), reported at
//! the string.
//!
//! **Why it matters.** CPL reads `service` as a string or as a mapping, but clarvynn
//! 0.3.1 reads only the mapping that `clarvynn init` writes (`name`, `namespace`,
//! `version`): both `clarvynn validate` and its runtime (`LocalPolicyCache`) call
//! `service.get(...)`, and a string crashes them with `'str' object has no attribute
//! 'get'`. The policy never loads there (spec/compatibility.md, section 6). The help
//! gives the mapping to paste in place of the line.
//!
//! **Example.**
//!
//! ```yaml
//! version: "1.0"
//! service: checkout   # L357: write `service: {name: checkout}`
//! sampling:
//!   base_rate: 0.01
//! ```

use std::fmt::Write as _;

use cpl_syntax::{codes, Diagnostic, ServiceForm};

use super::Context;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(service) = &context.policy.service else {
        return;
    };
    if service.form != ServiceForm::String {
        return;
    }
    out.push(
        Diagnostic::new(
            &codes::CLARVYNN_SERVICE_STRING,
            "clarvynn cannot load a string `service`: it reads `service` as a mapping",
            service.span.clone(),
            "a string; clarvynn expects a mapping",
        )
        .with_help(format!(
            "write `service: {{name: {}}}`",
            yaml_scalar(&service.name.value)
        )),
    );
}

/// `text` as a YAML scalar that PyYAML and CPL both read as that string inside a flow
/// mapping: plain when it is a simple word, double-quoted otherwise.
pub(super) fn yaml_scalar(text: &str) -> String {
    // YAML 1.1 (PyYAML) reads these plain words as booleans or null.
    const NOT_STRINGS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        && !NOT_STRINGS
            .iter()
            .any(|word| word.eq_ignore_ascii_case(text));
    if plain {
        return text.to_owned();
    }
    let mut quoted = String::from('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::yaml_scalar;

    #[test]
    fn names_are_quoted_when_yaml_would_read_them_otherwise() {
        assert_eq!(yaml_scalar("checkout"), "checkout");
        assert_eq!(yaml_scalar("my-service.v2"), "my-service.v2");
        assert_eq!(yaml_scalar("123"), "\"123\"");
        assert_eq!(yaml_scalar("No"), "\"No\"");
        assert_eq!(yaml_scalar("a, b"), "\"a, b\"");
        assert_eq!(yaml_scalar("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
        assert_eq!(yaml_scalar("tab\there"), "\"tab\\u0009here\"");
        assert_eq!(yaml_scalar(""), "\"\"");
    }
}
