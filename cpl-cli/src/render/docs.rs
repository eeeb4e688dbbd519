//! The long explanation of a diagnostic code, for `cpl explain` and the `help` of
//! SARIF rules. cpl-check owns the texts (a rule's own documentation, else the code's
//! section of spec/diagnostics.md), except for the collector lints (the L4xx codes), whose
//! rules' documentation cpl-collector owns; this is the CLI's one door to them.

use std::borrow::Cow;

use cpl_syntax::Code;

/// What `code` finds, why it matters, and an example; `None` when nothing documents it.
pub(crate) fn long_text(code: &Code) -> Option<Cow<'static, str>> {
    if let Some(docs) = cpl_collector::lint::rule_docs(code.code) {
        return Some(Cow::Owned(docs));
    }
    cpl_check::rule_docs(code.code)
        .map(str::trim)
        .filter(|docs| !docs.is_empty())
        .map(Cow::Borrowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpl_syntax::{codes, REGISTRY};

    #[test]
    fn every_registry_code_is_documented() {
        for code in REGISTRY {
            let text = long_text(code).unwrap_or_else(|| panic!("{code} has no documentation"));
            assert!(!text.starts_with('#'), "{code}: {text}");
            assert!(
                !text.contains("\n### "),
                "{code} runs into the next section"
            );
        }
    }

    #[test]
    fn collector_lints_are_explained_by_their_rule() {
        let text = long_text(&codes::UNANCHORED_REGEX).expect("L401");
        assert!(text.starts_with("**What it finds.**"), "{text}");
        assert!(text.contains("MatchString"), "{text}");
    }

    #[test]
    fn a_section_ends_at_the_next_heading_not_at_a_yaml_comment() {
        let text = long_text(&codes::EMPTY_DOCUMENT).expect("E210");
        assert!(text.starts_with("The file holds no document"), "{text}");
        // The example's `# a policy will go here` is inside a fence.
        assert!(text.contains("# a policy will go here"), "{text}");
        assert!(!text.contains("E211"), "{text}");
        let last = long_text(&codes::MULTIPLE_DOCUMENTS).expect("E211");
        assert!(last.ends_with("```"), "{last}");
        // Fences keep their language only.
        assert!(last.contains("```yaml\n"), "{last}");
        assert!(!last.contains("policy-err"), "{last}");
    }

    #[test]
    fn parse_tests_read_as_sentences() {
        let text = long_text(&codes::UNEXPECTED_TOKEN).expect("E101");
        assert!(!text.contains("cpl-parse"), "{text}");
        assert!(!text.contains("=>"), "{text}");
        assert!(
            text.contains("- `status_code 500` is an error (E101)"),
            "{text}"
        );
        let empty = long_text(&codes::EMPTY_EXPRESSION).expect("E100");
        assert!(
            empty.contains("- an expression of only spaces is an error (E100)"),
            "{empty}"
        );
    }
}
