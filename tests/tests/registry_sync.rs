//! The diagnostic registry (cpl-syntax's REGISTRY) and the table in
//! spec/diagnostics.md are the same list: same codes, names, severities and
//! summaries, in the same order.

const SPEC: &str = include_str!("../../spec/diagnostics.md");

#[test]
fn registry_matches_spec() {
    let rows: Vec<Vec<String>> = SPEC
        .lines()
        .filter(|line| {
            line.starts_with("| E") || line.starts_with("| W") || line.starts_with("| L")
        })
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect();
    let registry: Vec<Vec<String>> = cpl_syntax::REGISTRY
        .iter()
        .map(|code| {
            vec![
                code.code.to_owned(),
                code.name.to_owned(),
                code.severity.as_str().to_owned(),
                code.summary.to_owned(),
            ]
        })
        .collect();
    assert_eq!(
        rows, registry,
        "spec/diagnostics.md and the registry differ"
    );
}
