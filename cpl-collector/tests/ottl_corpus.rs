//! Every `ottl_condition` of the public collector configs in
//! `../shared/corpus/collector/` parses within CPL's OTTL subset.
//!
//! The corpus lives outside the repository; when it is absent the test says
//! SKIPPED on stderr and passes, unless `CPL_REQUIRE_SHARED` is set.

use cpl_collector::ottl::{Condition, OttlContext};
use cpl_syntax::yaml::{self, Node, NodeValue};

/// Collects `(context, condition)` from every `ottl_condition:` mapping.
fn conditions(node: &Node, inside: bool, out: &mut Vec<(OttlContext, String)>) {
    match &node.value {
        NodeValue::Mapping(entries) => {
            for (key, value) in entries {
                let NodeValue::Scalar(key) = &key.value else {
                    continue;
                };
                let context = match key.text.as_str() {
                    "span" if inside => Some(OttlContext::Span),
                    "spanevent" if inside => Some(OttlContext::SpanEvent),
                    _ => None,
                };
                if let (Some(context), NodeValue::Sequence(items)) = (context, &value.value) {
                    for item in items {
                        if let NodeValue::Scalar(text) = &item.value {
                            out.push((context, text.text.clone()));
                        }
                    }
                } else {
                    conditions(value, key.text == "ottl_condition", out);
                }
            }
        }
        NodeValue::Sequence(items) => {
            for item in items {
                conditions(item, false, out);
            }
        }
        NodeValue::Scalar(_) => {}
    }
}

#[test]
fn every_public_ottl_condition_parses() {
    let Some(dir) = cpl_tests::shared_path("corpus/collector") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus/collector")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no YAML files in {}", dir.display());
    let mut found = 0;
    let mut failures = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("readable");
        let (tree, errors) = yaml::parse(&source);
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        let mut list = Vec::new();
        if let Some(tree) = tree {
            conditions(&tree, false, &mut list);
        }
        for (context, text) in list {
            found += 1;
            if let Err(errors) = Condition::parse(&text, context) {
                failures.push(format!("{}: `{text}`: {}", file.display(), errors[0]));
            }
        }
    }
    assert!(found > 0, "the corpus has no ottl_condition");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Conditions as they appear in public `tail_sampling` configs (READMEs, blog
/// posts, Helm values found with the code search), in the text OTTL receives
/// once YAML has unquoted them.
#[test]
fn conditions_from_public_configs_parse() {
    let span = [
        r#"resource.attributes["service.name"] == "payment-service""#,
        r#"attributes["gen_ai.response.finish_reasons"] == "content_filter""#,
        r#"IsMatch(attributes["http.target"], "^(/health|/metrics|/ping|/ready)")"#,
        r#"attributes["http.route"] == "/healthz""#,
        r#"name == "Span.First""#,
        r#"attributes["env"] == "prod""#,
        r#"attributes["test_attr"] == "val""#,
    ];
    let spanevent = [
        r#"IsMatch(name, "^oax\\.(budget\\.breach|guard\\.report|node\\.guard)$")"#,
        r#"name != "ignored_event""#,
    ];
    for text in span {
        assert!(Condition::parse(text, OttlContext::Span).is_ok(), "{text}");
    }
    for text in spanevent {
        assert!(
            Condition::parse(text, OttlContext::SpanEvent).is_ok(),
            "{text}"
        );
    }
}
