//! The long explanation of a diagnostic code, for `cpl explain` and the `help` of
//! SARIF rules: the rule's own documentation from cpl-check when it has one, else the
//! code's section of the language reference (spec/diagnostics.md, embedded).

use std::borrow::Cow;

use cpl_syntax::Code;

/// The reference pages whose `### CODE name` sections explain codes.
const PAGES: &[&str] = &[include_str!("../../../spec/diagnostics.md")];

/// What `code` finds, why it matters, and an example; `None` when nothing documents it.
pub(crate) fn long_text(code: &Code) -> Option<Cow<'static, str>> {
    if let Some(docs) = cpl_check::rule_docs(code.code) {
        let docs = docs.trim();
        if !docs.is_empty() {
            return Some(Cow::Borrowed(docs));
        }
    }
    PAGES
        .iter()
        .find_map(|page| section(page, code))
        .map(Cow::Owned)
}

/// The body of the `### CODE name` section of a Markdown page, up to the next heading
/// of level 3 or above (outside code fences), trimmed. Fences keep only their
/// language: the spec's test markers (`yaml policy-err E201`) mean nothing to readers.
fn section(page: &str, code: &Code) -> Option<String> {
    let heading = format!("### {} {}", code.code, code.name);
    let mut body: Option<String> = None;
    let mut in_fence = false;
    for line in page.lines() {
        if let Some(info) = line.strip_prefix("```") {
            in_fence = !in_fence;
            if let Some(body) = &mut body {
                let language = info.split_whitespace().next().unwrap_or_default();
                body.push_str("```");
                body.push_str(language);
                body.push('\n');
            }
            continue;
        }
        let is_heading = !in_fence
            && (line.starts_with("# ") || line.starts_with("## ") || line.starts_with("### "));
        match &mut body {
            None if !in_fence && line.trim_end() == heading => body = Some(String::new()),
            Some(_) if is_heading => break,
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    body.map(|body| body.trim().to_owned())
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
