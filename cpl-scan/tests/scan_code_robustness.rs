//! Bad input for the SDK code scanner: arbitrary bytes, syntax errors, bytes
//! that are not UTF-8, deep nesting, minified JavaScript, huge files. Nothing
//! panics, and what tree-sitter recovers is still reported.

use cpl_scan::code::{scan_source, CodeFindingKind, MAX_JS_LINE_BYTES, MAX_SOURCE_BYTES};
use cpl_scan::model::{Language, Ratio, Sampler};
use proptest::prelude::*;
use std::fmt::Write as _;

const LANGUAGES: [(Language, &str); 7] = [
    (Language::Go, "a.go"),
    (Language::Python, "a.py"),
    (Language::Java, "A.java"),
    (Language::JavaScript, "a.js"),
    (Language::TypeScript, "a.ts"),
    (Language::TypeScript, "a.tsx"),
    (Language::CSharp, "A.cs"),
];

/// Fragments of real sampler code, so that random inputs reach the evaluator
/// and not only the parser's error recovery.
const FRAGMENTS: [&str; 16] = [
    "sdktrace.WithSampler(",
    "sdktrace.ParentBased(",
    "TraceIDRatioBased(0.1)",
    "TracerProvider(sampler=",
    "ParentBased(root=",
    ".setSampler(Sampler.parentBasedBuilder(",
    "new ParentBasedSampler({ root: ",
    "new TraceIdRatioBasedSampler(",
    ".SetSampler(new ParentBasedSampler(",
    "x := f(x)\n",
    "def f(a):\n    return f(a)\n",
    "import sdktrace \"go.opentelemetry.io/otel/sdk/trace\"\n",
    ")",
    "}",
    "\"",
    "\u{ff}\u{fe}",
];

fn source() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        prop::sample::select(FRAGMENTS.to_vec()).prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(fragment, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in source()) {
        for (language, path) in LANGUAGES {
            let findings = scan_source(path, language, &bytes);
            for f in findings {
                prop_assert!(f.location.line >= 1 && f.location.column >= 1);
            }
        }
    }
}

#[test]
fn a_file_with_syntax_errors_reports_what_was_read() {
    let source = b"package main\n\nimport sdktrace \"go.opentelemetry.io/otel/sdk/trace\"\n\nfunc broken( {\n\nfunc ok() {\n\t_ = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))\n}\n";
    let findings = scan_source("broken.go", Language::Go, source);
    assert!(
        findings.iter().any(|f| f.kind
            == CodeFindingKind::SamplerInstalled {
                sampler: Sampler::AlwaysOff
            }),
        "{findings:?}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_read_around() {
    let mut source =
        b"from opentelemetry.sdk.trace import TracerProvider\n# \xff\xfe\xc3\n".to_vec();
    source.extend_from_slice(b"name = '\xff'\nTracerProvider(sampler=TraceIdRatioBased(0.5))\n");
    let findings = scan_source("latin1.py", Language::Python, &source);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].kind,
        CodeFindingKind::SamplerInstalled {
            sampler: Sampler::TraceIdRatio {
                ratio: Ratio::Value(0.5)
            }
        }
    );
    assert_eq!(
        (findings[0].location.line, findings[0].location.column),
        (4, 16)
    );
}

#[test]
fn deep_nesting_ends_as_dynamic_without_exhausting_the_stack() {
    let depth = 20_000;
    let source = format!(
        "TracerProvider(sampler={}ALWAYS_ON{})\n",
        "ParentBased(".repeat(depth),
        ")".repeat(depth)
    );
    let findings = scan_source("deep.py", Language::Python, source.as_bytes());
    let [finding] = findings.as_slice() else {
        panic!("one finding: {findings:?}");
    };
    let CodeFindingKind::SamplerInstalled { sampler } = &finding.kind else {
        panic!("{finding:?}");
    };
    // The evaluator stops after its depth bound: the innermost part is dynamic.
    let mut node = sampler;
    let mut levels = 0;
    while let Sampler::ParentBased { root, .. } = node {
        node = root;
        levels += 1;
    }
    assert!(matches!(node, Sampler::Dynamic { .. }), "{node:?}");
    assert!(levels > 5 && levels < 100, "{levels}");

    // Deep parentheses and arrays in every language.
    for (language, path) in LANGUAGES {
        let source = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let _ = scan_source(path, language, source.as_bytes());
        let source = format!("x = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        let _ = scan_source(path, language, source.as_bytes());
    }
}

#[test]
fn minified_javascript_and_huge_files_are_not_read() {
    let sampler = "new NodeTracerProvider({ sampler: new AlwaysOnSampler() });";
    let mut minified = sampler.to_owned();
    minified.push_str(&"var a=1;".repeat(MAX_JS_LINE_BYTES / 8 + 1));
    assert!(scan_source("bundle.min.js", Language::JavaScript, minified.as_bytes()).is_empty());
    assert_eq!(
        scan_source("ok.js", Language::JavaScript, sampler.as_bytes()).len(),
        1
    );

    let mut huge = sampler.to_owned();
    huge.push_str(&"\n// padding".repeat(MAX_SOURCE_BYTES / 10));
    assert!(scan_source("huge.js", Language::JavaScript, huge.as_bytes()).is_empty());
}

#[test]
fn definition_cycles_end_as_dynamic() {
    let source = b"import sdktrace \"go.opentelemetry.io/otel/sdk/trace\"\nfunc main() {\n\ta := b\n\tb := a\n\t_ = sdktrace.WithSampler(sdktrace.TraceIDRatioBased(a))\n}\n";
    let findings = scan_source("cycle.go", Language::Go, source);
    assert!(
        matches!(
            &findings[0].kind,
            CodeFindingKind::SamplerInstalled {
                sampler: Sampler::TraceIdRatio {
                    ratio: Ratio::Dynamic(_)
                }
            }
        ),
        "{findings:?}"
    );
}

#[test]
fn shared_definitions_do_not_make_the_work_exponential() {
    // Each level refers to the previous one twice: without a step budget the
    // evaluator would visit 2^40 nodes.
    let mut source = String::from("import sdktrace \"go.opentelemetry.io/otel/sdk/trace\"\nfunc main() {\n\ts0 := sdktrace.AlwaysSample()\n");
    for i in 1..=40 {
        let p = i - 1;
        let _ = writeln!(
            source,
            "\ts{i} := sdktrace.ParentBased(s{p}, sdktrace.WithRemoteParentSampled(s{p}))"
        );
    }
    source.push_str("\t_ = sdktrace.WithSampler(s40)\n}\n");
    let findings = scan_source("wide.go", Language::Go, source.as_bytes());
    assert_eq!(findings.len(), 1, "{findings:?}");
}
