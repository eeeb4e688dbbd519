//! Every `when` that clarvynn 0.3.1 parses, CPL parses (the superset promise), and
//! every expression clarvynn rejects as a syntax error that CPL accepts is one of
//! CPL's documented extensions. Cases come from ../shared/reference (skipped when
//! that folder is absent, e.g. outside the development machines).

#[test]
fn every_clarvynn_valid_expression_parses() {
    let Some(path) = cpl_tests::shared_path("reference/clarvynn-0.3.1-cases.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("the cases file is readable");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("cases are JSON");
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let Some(when) = case["when"].as_str() else {
            continue;
        };
        let result = &case["result"];
        let clarvynn_syntax_error = result.as_str().is_some_and(|r| {
            r.contains("Invalid CPL expression") || r.contains("Expression cannot be empty")
        });
        if clarvynn_syntax_error {
            continue;
        }
        checked += 1;
        let parsed = cpl_syntax::parse_expression(when);
        if !parsed.errors.is_empty() {
            failures.push(format!("{when:?}: {:?}", parsed.errors));
        }
    }
    assert!(checked > 90, "only {checked} clarvynn-valid cases found");
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
