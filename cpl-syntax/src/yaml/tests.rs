//! Tests of the positioned YAML tree: spans, errors, budgets, the core schema and, above
//! all, the source maps of every scalar style.
#![allow(
    clippy::unwrap_used,
    clippy::format_push_string,
    clippy::format_collect,
    clippy::map_unwrap_or
)]

use super::*;

/// Parses `source`, expecting a tree and no error.
fn tree(source: &str) -> Node {
    let (root, errors) = parse(source);
    assert!(
        errors.is_empty(),
        "unexpected errors for {source:?}: {errors:?}"
    );
    root.expect("a document")
}

/// The value under `key` in a mapping.
fn get<'a>(node: &'a Node, key: &str) -> &'a Node {
    let NodeValue::Mapping(entries) = &node.value else {
        panic!("not a mapping: {node:?}");
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.value, NodeValue::Scalar(s) if s.text == key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no key {key}"))
}

/// The key node of `key` in a mapping.
fn key_node<'a>(node: &'a Node, key: &str) -> &'a Node {
    let NodeValue::Mapping(entries) = &node.value else {
        panic!("not a mapping: {node:?}");
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.value, NodeValue::Scalar(s) if s.text == key))
        .map(|(k, _)| k)
        .unwrap_or_else(|| panic!("no key {key}"))
}

fn items(node: &Node) -> &[Node] {
    match &node.value {
        NodeValue::Sequence(items) => items,
        other => panic!("not a sequence: {other:?}"),
    }
}

fn scalar(node: &Node) -> &Scalar {
    match &node.value {
        NodeValue::Scalar(scalar) => scalar,
        other => panic!("not a scalar: {other:?}"),
    }
}

fn text<'a>(source: &'a str, node: &Node) -> &'a str {
    &source[node.span.clone()]
}

/// The `when:` scalar of `source`, with every check of [`check_map`] done.
fn when(source: &str) -> Scalar {
    let root = tree(source);
    let when = scalar(get(&root, "when")).clone();
    check_map(source, &when);
    when
}

/// Checks that `needle` (first occurrence in the decoded text) maps to the same text in
/// the file.
fn assert_maps(source: &str, scalar: &Scalar, needle: &str) {
    let at = scalar
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {:?}", scalar.text));
    let file = scalar.file_offset(at);
    assert!(
        source[file..].starts_with(needle),
        "{needle:?} at decoded {at} maps to file {file}: {:?}",
        &source[file..source.len().min(file + 20)]
    );
}

/// Properties every map has: offsets in range and on character boundaries, never
/// decreasing, and every letter or digit of the decoded text (which no escape or fold
/// makes up in these tests) maps to the same character in the file.
fn check_map(source: &str, scalar: &Scalar) {
    let mut previous = 0;
    for (offset, c) in scalar.text.char_indices() {
        let file = scalar.file_offset(offset);
        assert!(file <= source.len());
        assert!(
            source.is_char_boundary(file),
            "offset {offset} maps inside a character"
        );
        assert!(
            file >= previous,
            "map goes backwards at {offset} in {:?}",
            scalar.text
        );
        previous = file;
        // (Letters made up by escapes map to the escape.)
        if c.is_alphanumeric() && !source[file..].starts_with('\\') {
            assert!(
                source[file..].starts_with(c),
                "{c:?} at decoded {offset} of {:?} maps to {:?}",
                scalar.text,
                &source[file..source.len().min(file + 10)]
            );
        }
    }
    assert!(scalar.file_offset(scalar.text.len()) >= previous);
    assert_eq!(
        scalar.file_offset(scalar.text.len() + 10),
        scalar.file_offset(scalar.text.len())
    );
}

// ----- spans -------------------------------------------------------------------------

#[test]
fn spans_of_mapping_keys_values_and_sequence_items() {
    let source = "name: errors\nrate: 0.5\nlist:\n  - one\n  - \"two\"  # comment\n  - [3, 4]\nnested:\n  inner: x\n";
    let root = tree(source);
    assert_eq!(root.span, 0..source.trim_end().len());
    assert_eq!(text(source, key_node(&root, "name")), "name");
    assert_eq!(text(source, get(&root, "name")), "errors");
    assert_eq!(text(source, get(&root, "rate")), "0.5");
    let list = get(&root, "list");
    let list_items = items(list);
    assert_eq!(text(source, &list_items[0]), "one");
    assert_eq!(text(source, &list_items[1]), "\"two\"");
    assert_eq!(text(source, &list_items[2]), "[3, 4]");
    assert_eq!(text(source, &items(&list_items[2])[1]), "4");
    assert_eq!(
        text(source, list),
        "- one\n  - \"two\"  # comment\n  - [3, 4]"
    );
    let nested = get(&root, "nested");
    assert_eq!(text(source, nested), "inner: x");
    assert_eq!(text(source, get(nested, "inner")), "x");
}

#[test]
fn spans_of_flow_collections_properties_and_empty_values() {
    let source = "a: {b: [1, 2], c: d}\ne: !!str tagged\nf:\ng: &anchor value\n";
    let root = tree(source);
    let a = get(&root, "a");
    assert_eq!(text(source, a), "{b: [1, 2], c: d}");
    assert_eq!(text(source, get(a, "b")), "[1, 2]");
    assert_eq!(text(source, get(&root, "e")), "!!str tagged");
    let f = get(&root, "f");
    assert!(f.span.is_empty());
    assert_eq!(scalar(f).resolve(), Resolved::Null);
    assert_eq!(text(source, get(&root, "g")), "&anchor value");
    assert_eq!(
        scalar(get(&root, "g")).file_offset(0),
        source.find("value").unwrap()
    );
}

#[test]
fn spans_are_bytes_with_non_ascii_text() {
    let source = "é: \"日本 x\"\nclé: ünï\nlist: [ä, ö]\n";
    let root = tree(source);
    assert_eq!(text(source, key_node(&root, "é")), "é");
    assert_eq!(text(source, get(&root, "é")), "\"日本 x\"");
    assert_eq!(text(source, get(&root, "clé")), "ünï");
    assert_eq!(text(source, &items(get(&root, "list"))[1]), "ö");
}

#[test]
fn spans_in_a_long_non_ascii_document() {
    // Past several checkpoints of the character table, and markers far apart.
    let mut source = String::new();
    for i in 0..3000 {
        source.push_str(&format!("k{i}: \"é日本{i}\"\n"));
    }
    let root = tree(&source);
    for i in [0, 1, 1023, 1024, 2047, 2999] {
        let key = format!("k{i}");
        assert_eq!(text(&source, key_node(&root, &key)), key);
        assert_eq!(text(&source, get(&root, &key)), format!("\"é日本{i}\""));
    }
}

// ----- errors ------------------------------------------------------------------------

#[test]
fn duplicate_keys_are_reported_and_kept() {
    let source = "a: 1\nb: 2\n\"a\": 3\nnested: {x: 1, x: 2}\n";
    let (root, errors) = parse(source);
    let root = root.expect("the tree is kept");
    let NodeValue::Mapping(entries) = &root.value else {
        panic!("mapping expected")
    };
    assert_eq!(entries.len(), 4);
    assert_eq!(errors.len(), 2);
    let first = source.find("a:").unwrap();
    let second = source.find("\"a\"").unwrap();
    assert_eq!(
        errors[0],
        YamlError {
            kind: YamlErrorKind::DuplicateKey {
                first: first..first + 1
            },
            message: "duplicate key `a`".into(),
            span: second..second + 3,
        }
    );
    let x2 = source.rfind("x:").unwrap();
    assert_eq!(errors[1].span, x2..x2 + 1);
    // Keys that differ, or that are not scalars, are not duplicates.
    let (_, errors) = parse("a: 1\nA: 2\n? [a]\n: 3\n? [a]\n: 4\n");
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn syntax_errors_have_a_position_and_a_lowercase_message() {
    let source = "a: 1\nb: [1, 2\n";
    let (root, errors) = parse(source);
    assert!(root.is_none());
    assert_eq!(errors.len(), 1);
    let error = &errors[0];
    assert_eq!(error.kind, YamlErrorKind::Syntax);
    assert!(!error.message.contains(" at byte"), "{}", error.message);
    assert!(
        error.message.starts_with(char::is_lowercase),
        "{}",
        error.message
    );
    assert!(error.span.start <= source.len());

    let source = "key: value\n  bad: indent\n";
    let (root, errors) = parse(source);
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::Syntax);
    // The error is on the second line.
    assert!(
        errors[0].span.start >= source.find('\n').unwrap(),
        "{errors:?}"
    );

    let (root, errors) = parse("a: *nowhere\n");
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::Syntax);
}

#[test]
fn error_position_is_in_bytes_after_non_ascii() {
    let source = "é: 日本\n\"unterminated: x\n";
    let (_, errors) = parse(source);
    assert_eq!(errors.len(), 1);
    let span = &errors[0].span;
    assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
    assert!(span.start >= source.find('\n').unwrap(), "{errors:?}");
}

#[test]
fn multiple_documents_are_an_error_at_the_second_start() {
    let source = "a: 1\n---\nb: 2\n";
    let (root, errors) = parse(source);
    assert!(root.is_some(), "the first document is kept");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::MultipleDocuments);
    assert_eq!(&source[errors[0].span.clone()], "---");

    let source = "---\na: 1\n...\n---\nb: 2\n";
    let (_, errors) = parse(source);
    assert_eq!(errors[0].kind, YamlErrorKind::MultipleDocuments);
    assert_eq!(errors[0].span.start, source.rfind("---").unwrap());

    // An explicit start and end around one document are fine.
    let (root, errors) = parse("---\na: 1\n...\n");
    assert!(root.is_some() && errors.is_empty());
}

#[test]
fn empty_stream_and_empty_document_have_no_tree() {
    for source in [
        "",
        "   \n",
        "# just a comment\n",
        "---\n",
        "---\n...\n",
        "\u{FEFF}",
    ] {
        assert_eq!(parse(source), (None, Vec::new()), "{source:?}");
    }
    // A document holding an explicit null is not empty.
    assert!(tree("~\n").span == (0..1));
}

// ----- budgets -----------------------------------------------------------------------

#[test]
fn aliases_expand_to_copies_with_the_alias_span() {
    let source = "base: &b\n  x: 1\n  y: [2, 3]\nuse: *b\nscalar: &s hello\nagain: *s\n";
    let root = tree(source);
    let base = get(&root, "base");
    let used = get(&root, "use");
    assert_eq!(used.value, base.value);
    assert_eq!(text(source, used), "*b");
    // Inside the copy, spans still point at the anchored definition.
    assert_eq!(text(source, get(used, "x")), "1");
    let again = get(&root, "again");
    assert_eq!(scalar(again).text, "hello");
    assert_eq!(text(source, again), "*s");
    // Redefining an anchor takes the latest definition.
    let root = tree("a: &x 1\nb: &x 2\nc: *x\n");
    assert_eq!(scalar(get(&root, "c")).text, "2");
}

#[test]
fn billion_laughs_hits_the_budget_quickly() {
    let mut source = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (previous, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{previous}"); 10].join(",");
        source.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    // 10^9 strings if expanded: the budget stops it at its first alias past the limit,
    // so this returns at all (a hang would time the test out; speed is benchmarked).
    let (root, errors) = parse(&source);
    assert!(root.is_none());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::AliasLimit);
    assert!(source[errors[0].span.clone()].starts_with('*'));

    // Within the budget, aliases are fine.
    let (root, errors) = parse("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n");
    assert!(errors.is_empty());
    assert_eq!(items(get(&root.unwrap(), "b")).len(), 3);
}

#[test]
fn large_alias_free_documents_are_not_limited() {
    let mut source = String::from("[");
    for i in 0..(MAX_EXPANDED_NODES + 10) {
        source.push_str(&format!("{i},"));
    }
    source.push(']');
    let root = tree(&source);
    assert_eq!(items(&root).len(), MAX_EXPANDED_NODES + 10);
}

#[test]
fn ten_thousand_entry_sequence() {
    let source: String = (0..10_000).map(|i| format!("- item{i}\n")).collect();
    let root = tree(&source);
    let list = items(&root);
    assert_eq!(list.len(), 10_000);
    assert_eq!(text(&source, &list[9_999]), "item9999");
}

#[test]
fn nesting_deeper_than_the_limit_is_too_deep() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).1.is_empty());

    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let (root, errors) = parse(&deep);
    assert!(root.is_none());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
    assert_eq!(errors[0].span, MAX_DEPTH..MAX_DEPTH + 1);

    // Block style too.
    let block: String = (0..=MAX_DEPTH)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    let (root, errors) = parse(&block);
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
}

#[test]
fn aliases_cannot_nest_past_the_limit() {
    let half = MAX_DEPTH / 2 + 1;
    let anchored = format!("{}{}", "[".repeat(half), "]".repeat(half));
    let source = format!(
        "a: &a {anchored}\nb: {}*a{}\n",
        "[".repeat(half),
        "]".repeat(half)
    );
    let (root, errors) = parse(&source);
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
    assert_eq!(&source[errors[0].span.clone()], "*a");
}

#[test]
fn very_deep_nesting_does_not_overflow() {
    // saphyr looks ahead and stops flow nesting at 255 levels itself ("recursion limit
    // exceeded"); that is reported as too deep as well, at the 256th bracket.
    let source = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (root, errors) = parse(&source);
    assert!(root.is_none());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
    assert_eq!(errors[0].span, 255..256);

    let (root, errors) = parse(&"{a: ".repeat(100_000));
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);

    // Between MAX_DEPTH and saphyr's limit, the error is at the first bracket too deep.
    let (_, errors) = parse(&"[".repeat(200));
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
    assert_eq!(errors[0].span, MAX_DEPTH..MAX_DEPTH + 1);

    let source: String = (0..10_000)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    let (root, errors) = parse(&source);
    assert!(root.is_none());
    assert_eq!(errors[0].kind, YamlErrorKind::TooDeep);
}

#[test]
fn hostile_input_never_panics() {
    let inputs = [
        "a:\tb\n",
        "\ta: b\n",
        "a: b\n\t- c\n",
        "a: \0\n",
        "\0",
        "a: \"x\0y\"\n",
        "a: 'x\0'\n",
        "a: |\n  x\0y\n",
        "a: >\n  x\n\0",
        "[a, b\n",
        "{a: [}\n",
        "a: b: c\n",
        "- a\nb: c\n",
        "a:\n- b\n  - c\n",
        "&a [*a]\n",
        "*a\n",
        "!<tag:yaml.org,2002:str> x\n",
        "!!int \"12\"\n",
        "%YAML 1.2\n---\na\n",
        "%TAG !e! tag:example.com,2000:\n--- !e!x a\n",
        "a: |0\n  x\n",
        "a: |10\n  x\n",
        "a: \"\\q\"\n",
        "a: \"\\x4\"\n",
        "a: \"\\uD800\"\n",
        "? a\n? a\n",
        "a: 'unterminated\n",
        "\u{FEFF}a: 1\n",
        "a: 1\n\u{FEFF}\n",
        "a: |\n  x\n \u{FEFF}y\n",
        "a: >-\n\n\n",
        "a: |+\n\n  \n",
        "\r\n\r\na: \"x\r\n  y\"\r\n",
        "- - - - - - - -\n",
        ":\n",
        "? \n: \n",
        "...\n",
        "--- |\n  a\n--- >\n  b\n",
    ];
    for source in inputs {
        let (root, errors) = parse(source);
        if let Some(root) = &root {
            visit(root, &mut |node| {
                assert!(node.span.start <= node.span.end && node.span.end <= source.len());
                if let NodeValue::Scalar(scalar) = &node.value {
                    for offset in 0..=scalar.text.len() + 1 {
                        assert!(scalar.file_offset(offset) <= source.len(), "{source:?}");
                    }
                }
            });
        }
        for error in &errors {
            assert!(error.span.end <= source.len(), "{source:?}: {error:?}");
        }
    }
}

fn visit(node: &Node, f: &mut dyn FnMut(&Node)) {
    f(node);
    match &node.value {
        NodeValue::Scalar(_) => {}
        NodeValue::Sequence(items) => items.iter().for_each(|item| visit(item, f)),
        NodeValue::Mapping(entries) => entries.iter().for_each(|(k, v)| {
            visit(k, f);
            visit(v, f);
        }),
    }
}

#[test]
fn huge_scalars_have_small_maps() {
    // The map's size does not grow with the scalar's: 4 MB in each style shows it as
    // well as 50 MB would, and a map that grew per character would show at any size.
    let big = "x".repeat(4 * 1024 * 1024);
    for source in [
        format!("when: \"{big}\"\n"),
        format!("when: {big}\n"),
        format!("when: |\n  {big}\n"),
    ] {
        let root = tree(&source);
        let when = scalar(get(&root, "when"));
        assert_eq!(when.text.trim_end().len(), big.len());
        assert!(when.map.runs.len() <= 2, "{} runs", when.map.runs.len());
        assert_eq!(when.file_offset(big.len() - 1), source.rfind('x').unwrap());
    }
}

// ----- tags and the core schema --------------------------------------------------------

#[test]
fn tags_are_rendered_as_written() {
    let source = "a: !!str 1\nb: !local x\nc: !<tag:yaml.org,2002:int> 2\nd: ! 3\ne: plain\n";
    let root = tree(source);
    assert_eq!(scalar(get(&root, "a")).tag.as_deref(), Some("!!str"));
    assert_eq!(scalar(get(&root, "b")).tag.as_deref(), Some("!local"));
    assert_eq!(scalar(get(&root, "c")).tag.as_deref(), Some("!!int"));
    assert_eq!(scalar(get(&root, "d")).tag.as_deref(), Some("!"));
    assert_eq!(scalar(get(&root, "e")).tag, None);
}

#[test]
fn core_schema_resolution() {
    let cases: &[(&str, Resolved<'_>)] = &[
        ("~", Resolved::Null),
        ("null", Resolved::Null),
        ("Null", Resolved::Null),
        ("NULL", Resolved::Null),
        ("nULL", Resolved::String("nULL")),
        ("true", Resolved::Bool(true)),
        ("True", Resolved::Bool(true)),
        ("TRUE", Resolved::Bool(true)),
        ("false", Resolved::Bool(false)),
        ("FALSE", Resolved::Bool(false)),
        ("yes", Resolved::String("yes")),
        ("tRUE", Resolved::String("tRUE")),
        ("0", Resolved::Int(0)),
        ("42", Resolved::Int(42)),
        ("-17", Resolved::Int(-17)),
        ("+5", Resolved::Int(5)),
        ("007", Resolved::Int(7)),
        ("0o17", Resolved::Int(15)),
        ("0x1F", Resolved::Int(31)),
        ("0xff", Resolved::Int(255)),
        ("0o8", Resolved::String("0o8")),
        ("0xG", Resolved::String("0xG")),
        ("-9223372036854775808", Resolved::Int(i64::MIN)),
        ("9223372036854775807", Resolved::Int(i64::MAX)),
        (
            "9223372036854775808",
            Resolved::Float(9_223_372_036_854_775_808.0),
        ),
        (
            "0x10000000000000000",
            Resolved::Float(18_446_744_073_709_551_616.0),
        ),
        ("1.5", Resolved::Float(1.5)),
        ("-0.25", Resolved::Float(-0.25)),
        (".5", Resolved::Float(0.5)),
        ("1.", Resolved::Float(1.0)),
        ("1e3", Resolved::Float(1000.0)),
        ("1e-3", Resolved::Float(0.001)),
        ("+1.5E+2", Resolved::Float(150.0)),
        (".inf", Resolved::Float(f64::INFINITY)),
        ("-.Inf", Resolved::Float(f64::NEG_INFINITY)),
        ("+.INF", Resolved::Float(f64::INFINITY)),
        ("1e", Resolved::String("1e")),
        (".", Resolved::String(".")),
        ("1_000", Resolved::String("1_000")),
        ("1s", Resolved::String("1s")),
        ("inf", Resolved::String("inf")),
        ("nan", Resolved::String("nan")),
        ("-.nan", Resolved::String("-.nan")),
        ("status_code >= 500", Resolved::String("status_code >= 500")),
    ];
    for (plain, expected) in cases {
        let root = tree(&format!("v: {plain}\n"));
        assert_eq!(&scalar(get(&root, "v")).resolve(), expected, "{plain}");
    }
    let root = tree("a: .nan\nb: .NaN\nc: .NAN\n");
    for key in ["a", "b", "c"] {
        assert!(matches!(scalar(get(&root, key)).resolve(), Resolved::Float(f) if f.is_nan()));
    }
    let root = tree("a:\nb: \"\"\n");
    assert_eq!(scalar(get(&root, "a")).resolve(), Resolved::Null);
    assert_eq!(scalar(get(&root, "b")).resolve(), Resolved::String(""));
}

#[test]
fn quoted_block_and_tagged_scalars_resolve_as_tagged() {
    let source = "a: \"true\"\nb: '1'\nc: |\n  null\nd: >\n  2\ne: !!str 3\nf: !!int \"4\"\ng: !!float 5\nh: !!bool 'false'\ni: !!null ''\nj: !!int x\nk: !local 6\n";
    let root = tree(source);
    let resolved = |key: &str| scalar(get(&root, key)).resolve();
    assert_eq!(resolved("a"), Resolved::String("true"));
    assert_eq!(resolved("b"), Resolved::String("1"));
    assert_eq!(resolved("c"), Resolved::String("null\n"));
    assert_eq!(resolved("d"), Resolved::String("2\n"));
    assert_eq!(resolved("e"), Resolved::String("3"));
    assert_eq!(resolved("f"), Resolved::Int(4));
    assert_eq!(resolved("g"), Resolved::Float(5.0));
    assert_eq!(resolved("h"), Resolved::Bool(false));
    assert_eq!(resolved("i"), Resolved::Null);
    assert_eq!(resolved("j"), Resolved::String("x"));
    assert_eq!(resolved("k"), Resolved::String("6"));
}

// ----- source maps ---------------------------------------------------------------------

#[test]
fn map_plain_single_line() {
    let source = "name: x\nwhen: status_code >= 500 OR duration > 1s\n";
    let when = when(source);
    assert_eq!(when.style, ScalarStyle::Plain);
    assert_maps(source, &when, ">= 500");
    assert_maps(source, &when, "OR");
    assert_eq!(
        when.file_offset(when.text.len()),
        source.rfind('s').unwrap() + 1
    );
    assert_eq!(when.map.runs.len(), 1);
}

#[test]
fn map_plain_multi_line() {
    let source = "when: status_code >= 500   \n    AND duration > 1s\n\n\n    OR  method == \"GET\"\nnext: 1\n";
    let when = when(source);
    assert_eq!(
        when.text,
        "status_code >= 500 AND duration > 1s\n\nOR  method == \"GET\""
    );
    assert_maps(source, &when, "AND");
    assert_maps(source, &when, "duration > 1s");
    assert_maps(source, &when, "OR  method");
    assert_maps(source, &when, "\"GET\"");
    // The folded space points at the end of the first line's content.
    let space = when.text.find(" AND").unwrap();
    assert_eq!(when.file_offset(space), source.find("500").unwrap() + 3);
}

#[test]
fn map_plain_in_flow_context() {
    let source = "when: [a >= 1,\n  b\n   <= 2]\n";
    let root = tree(source);
    let second = scalar(&items(get(&root, "when"))[1]);
    assert_eq!(second.text, "b <= 2");
    assert_maps(source, second, "<= 2");
    check_map(source, second);
}

#[test]
fn map_single_quoted() {
    let source = "when: 'name == ''it''''s'' AND\n  x >= 1\n\n  OR y'\n";
    let when = when(source);
    assert_eq!(when.text, "name == 'it''s' AND x >= 1\nOR y");
    assert_maps(source, &when, "AND");
    assert_maps(source, &when, ">= 1");
    assert_maps(source, &when, "OR y");
    let quote = when.text.find('\'').unwrap();
    assert_eq!(&source[when.file_offset(quote)..][..2], "''");
    assert_eq!(
        when.file_offset(when.text.len()),
        source.rfind('\'').unwrap()
    );
}

#[test]
fn map_double_quoted_with_escapes() {
    let source = "when: \"name == \\\"a\\\\b\\\" AND \\x41\\u00e9\\U0001F600 x >= 1\\n\\t y\"\n";
    let when = when(source);
    assert_eq!(
        when.text,
        "name == \"a\\b\" AND A\u{e9}\u{1F600} x >= 1\n\t y"
    );
    assert_maps(source, &when, "AND");
    assert_maps(source, &when, ">= 1");
    assert_maps(source, &when, " y");
    // An escape maps to its backslash.
    let quote = when.text.find('"').unwrap();
    assert_eq!(&source[when.file_offset(quote)..][..2], "\\\"");
    let e_acute = when.text.find('\u{e9}').unwrap();
    assert_eq!(&source[when.file_offset(e_acute)..][..6], "\\u00e9");
    let emoji = when.text.find('\u{1F600}').unwrap();
    assert_eq!(&source[when.file_offset(emoji)..][..2], "\\U");
    // Every byte of a multi-byte escaped character maps to the escape.
    assert_eq!(when.file_offset(emoji + 3), when.file_offset(emoji));
    assert_eq!(
        when.file_offset(when.text.len()),
        source.rfind('"').unwrap()
    );
}

#[test]
fn map_double_quoted_multi_line() {
    let source = "when: \"a >= 1   \n   AND b\\\n     c < 2\\\n\n  OR \\\n   d\"\n";
    let when = when(source);
    assert_eq!(when.text, "a >= 1 AND bc < 2\nOR d");
    assert_maps(source, &when, "AND");
    assert_maps(source, &when, "c < 2");
    assert_maps(source, &when, "OR");
    assert_maps(source, &when, "d");
}

#[test]
fn map_literal_block() {
    let source = "when: |\n  status >= 500\n    AND x\n\n  OR y\nnext: 1\n";
    let when = when(source);
    assert_eq!(when.style, ScalarStyle::Literal);
    assert_eq!(when.text, "status >= 500\n  AND x\n\nOR y\n");
    assert_maps(source, &when, ">= 500");
    assert_maps(source, &when, "  AND x");
    assert_maps(source, &when, "OR y");
    let root = tree(source);
    assert_eq!(
        text(source, get(&root, "when")),
        "|\n  status >= 500\n    AND x\n\n  OR y"
    );
}

#[test]
fn map_literal_chomping_and_indentation_indicators() {
    for (source, expected) in [
        ("when: |-\n  a >= 1\n  b\n\n", "a >= 1\nb"),
        ("when: |+\n  a >= 1\n  b\n\n\nnext: 1\n", "a >= 1\nb\n\n\n"),
        ("when: |2\n    a >= 1\n  b\n", "  a >= 1\nb\n"),
        ("when: |1-\n    a >= 1\n", "   a >= 1"),
        ("when: |\n\n\n  a >= 1\n", "\n\na >= 1\n"),
        ("when: |  # comment | with > bars\n  a >= 1\n", "a >= 1\n"),
        ("- |\n a >= 1\n- |-\n  b\n", ""),
        ("when: |\n  a >= 1", "a >= 1\n"),
        ("when: |\n  a >= 1\n  ", "a >= 1\n\n"),
    ] {
        if expected.is_empty() {
            let root = tree(source);
            for item in items(&root) {
                check_map(source, scalar(item));
            }
            continue;
        }
        let when = when(source);
        assert_eq!(when.text, expected, "{source:?}");
        assert_maps(source, &when, "a >= 1");
    }
}

#[test]
fn map_block_with_properties() {
    for source in [
        "when: !!str |\n  a >= 1\n",
        "when: &w |\n\n  a >= 1\n",
        "when: !!str &w >-\n  x\n  a >= 1\n",
        "when: !!str\n  |\n  a >= 1\n",
        "when: !!str |\n  !a >= 1\n",
        "when: &x !!str \"q a >= 1\"\n",
        "when: !!str 'a >= 1'\n",
        "when: &p a >= 1\n",
    ] {
        let when = when(source);
        assert_maps(source, &when, "a >= 1");
    }
    // A block whose first line starts like a property or a header.
    let source = "when: |\n  !x a >= 1\n";
    assert_maps(source, &when(source), "!x a >= 1");
    let source = "when: |\n  | a >= 1\n";
    assert_maps(source, &when(source), "| a >= 1");
    let source = "|\n  | a >= 1\n";
    let root = tree(source);
    assert_maps(source, scalar(&root), "| a >= 1");
}

#[test]
fn map_folded_block() {
    let source = "when: >\n  status >= 500\n  AND x\n\n  OR y\n    more indented\n  last\n";
    let when = when(source);
    assert_eq!(when.style, ScalarStyle::Folded);
    assert_eq!(
        when.text,
        "status >= 500 AND x\nOR y\n  more indented\nlast\n"
    );
    assert_maps(source, &when, ">= 500");
    assert_maps(source, &when, "AND x");
    assert_maps(source, &when, "OR y");
    assert_maps(source, &when, "  more indented");
    assert_maps(source, &when, "last");
    // The folded space points at the line break.
    let space = when.text.find(" AND").unwrap();
    assert_eq!(&source[when.file_offset(space)..][..1], "\n");
}

#[test]
fn map_non_ascii_text() {
    for source in [
        "when: é日本 >= 1\n",
        "when: 'é日本 >= 1'\n",
        "when: \"é\\\"日本\\\" >= 1\"\n",
        "when: |\n  é日本\n  x >= 1\n",
        "when: >\n  é\n  日本 >= 1\n",
        "when: é\n  日本 >= 1\n",
        "clé: ü\nwhen: \"日本\n  \\u00e9 >= 1\"\n",
    ] {
        let when = when(source);
        assert_maps(source, &when, ">= 1");
        assert_maps(source, &when, "日本");
    }
}

#[test]
fn map_crlf_line_endings() {
    for source in [
        "when: a\r\n  >= 1\r\n",
        "when: \"a\r\n  >= 1\"\r\n",
        "when: 'a\r\n\r\n  >= 1'\r\n",
        "when: |\r\n  a\r\n  >= 1\r\n",
        "when: >\r\n  a\r\n\r\n  >= 1\r\n",
    ] {
        let when = when(source);
        assert_maps(source, &when, ">= 1");
        assert!(!when.text.contains('\r'), "{:?}", when.text);
    }
}

#[test]
fn map_keys_and_sequence_items_too() {
    let source = "\"k\\ty\": 1\nlist:\n  - 'a''b >= 1'\n  - |\n    c >= 2\n";
    let root = tree(source);
    let key = key_node(&root, "k\ty");
    assert_eq!(scalar(key).file_offset(2), source.find("y\"").unwrap());
    let list = items(get(&root, "list"));
    assert_maps(source, scalar(&list[0]), "b >= 1");
    assert_maps(source, scalar(&list[1]), "c >= 2");
}

#[test]
fn map_assorted_layouts() {
    for source in [
        "when: x\ta >= 1\n",
        "when: \"x\\\ta >= 1\"\n",
        "when: \"x\\ta >= 1\"\n",
        "--- |\n  a >= 1\n",
        "---\nwhen: >-\n\n  z\n\n\n  a >= 1\n\n...\n",
        "list:\n  - when: |\n      x\n      a >= 1\n    other: 2\n",
        "when: |+\n  a >= 1\n\n\nnext: 2\n",
        "when: >\n  \tx\n  a >= 1\n",
        "when: >\n  x\n\n   more\n  a >= 1\n",
        "when:\n  z\n  a >= 1\n",
        "when:   # comment\n  |\n    a >= 1\n",
        "when: [a >= 1]\n",
        "when: {k: \"a >= 1\"}\n",
        "when: !!str\n  'x\n\n   a >= 1'\n",
        "? when\n: a >= 1\n",
    ] {
        let root = tree(source);
        let mut found = false;
        visit(&root, &mut |node| {
            if let NodeValue::Scalar(scalar) = &node.value {
                check_map(source, scalar);
                if scalar.text.contains("a >= 1") {
                    assert_maps(source, scalar, "a >= 1");
                    found = true;
                }
            }
        });
        assert!(found, "{source:?}");
    }
}

#[test]
fn map_falls_back_to_the_start_when_unsure() {
    let map = SourceMap::flat(10, 7, 20);
    assert_eq!(map.file_offset(0), 7);
    assert_eq!(map.file_offset(9), 7);
    assert_eq!(map.file_offset(10), 20);
    assert_eq!(map.file_offset(100), 20);
    assert_eq!(SourceMap::default().file_offset(3), 0);
}

/// Builds `when:` scalars in every style from random words and checks their maps.
mod generated {
    use proptest::prelude::*;

    use super::*;

    fn word() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a", "b1", ">=", "<", "==", "AND", "OR", "é", "日本", "x_y", "(", ")", "1.5", "\"s\"",
            "'t'", "'", "\"", "\\", "#", ":", "-", "ü",
        ])
        .prop_map(str::to_owned)
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a",
            "b c",
            "é",
            "日本",
            " ",
            "  ",
            "\t",
            "\n",
            "\n\n",
            "\r\n",
            "\n  ",
            "\n    ",
            "\n ",
            "'",
            "''",
            "\"",
            "\\",
            "\\n",
            "\\x41",
            "\\u00e9",
            "\\\n",
            "#",
            " #",
            ":",
            ": ",
            "- ",
            "\n  k: ",
            "\nk: ",
            "\n- ",
            "\n  - ",
            "\n   ",
            "x y z",
            "k: \"a\n  b\"",
            "k: 'a\n\n  b'",
            "k: |\n  a\n\n  b\n",
            "k: >\n  a\n   b\n  c\n",
            "|",
            ">",
            "|-",
            ">+",
            "|2",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&x ",
            "*x",
            "!!str ",
            "!t ",
            "? ",
            "---",
            "...",
            "%",
        ])
        .prop_map(str::to_owned)
    }

    fn prefix() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "",
            "k: ",
            "- ",
            "k:\n  ",
            "k: |\n  ",
            "k: >-\n   ",
            "k: \"",
            "k: '",
            "- k: |2\n    ",
        ])
    }

    fn separator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![" ", "  ", "\n", "\n\n", " \n  "])
    }

    fn words() -> impl Strategy<Value = Vec<(String, &'static str)>> {
        prop::collection::vec((word(), separator()), 1..12)
    }

    fn joined(words: &[(String, &str)], indent: &str) -> String {
        let mut out = String::new();
        for (i, (word, sep)) in words.iter().enumerate() {
            out.push_str(word);
            if i + 1 < words.len() {
                out.push_str(&sep.replace('\n', &format!("\n{indent}")));
            }
        }
        out
    }

    /// Checks the maps of `source`'s scalars; `valid` when `source` must parse.
    fn check(source: &str, valid: bool) {
        let (root, errors) = parse(source);
        assert!(!valid || errors.is_empty(), "{source:?}: {errors:?}");
        let Some(root) = root else {
            // Random plain text is not always valid YAML; it must just not panic.
            assert!(!errors.is_empty());
            return;
        };
        if !errors.is_empty() {
            return;
        }
        let NodeValue::Mapping(entries) = &root.value else {
            return;
        };
        for (_, value) in entries {
            if let NodeValue::Scalar(scalar) = &value.value {
                check_map(source, scalar);
            }
        }
    }

    proptest! {
        // No regression files: this module owns nothing outside `src/yaml`.
        #![proptest_config(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn double_quoted(words in words()) {
            let body = joined(&words, "  ").replace('\\', "\\\\").replace('"', "\\\"");
            check(&format!("when: \"{body}\"\n"), true);
        }

        #[test]
        fn single_quoted(words in words()) {
            let body = joined(&words, "  ").replace('\'', "''");
            check(&format!("when: '{body}'\n"), true);
        }

        #[test]
        fn literal(words in words(), keep in any::<bool>()) {
            let body = joined(&words, "  ");
            let header = if keep { "|+" } else { "|" };
            check(&format!("when: {header}\n  {body}\nnext: 1\n"), true);
        }

        #[test]
        fn folded(words in words(), strip in any::<bool>()) {
            let body = joined(&words, "  ");
            let header = if strip { ">-" } else { ">" };
            check(&format!("when: {header}\n  {body}\n"), true);
        }

        #[test]
        fn plain(words in words()) {
            check(&format!("when: {}\n", joined(&words, "  ")), false);
        }

        #[test]
        fn yaml_fragments_map_exactly(prefix in prefix(), pieces in prop::collection::vec(fragment(), 0..40)) {
            // Mostly invalid YAML; whatever parses must have exact maps (no fallback: the
            // letters must map to themselves) and sane spans.
            let source = format!("{prefix}{}", pieces.concat());
            let (root, errors) = parse(&source);
            let fatal = errors.iter().any(|e| !matches!(e.kind, YamlErrorKind::DuplicateKey { .. }));
            if let (Some(root), false) = (root, fatal) {
                visit(&root, &mut |node| {
                    assert!(node.span.start <= node.span.end && node.span.end <= source.len());
                    assert!(source.is_char_boundary(node.span.start) && source.is_char_boundary(node.span.end));
                    if let NodeValue::Scalar(scalar) = &node.value {
                        check_map(&source, scalar);
                    }
                });
            }
        }

        #[test]
        fn arbitrary_text_never_panics(source in "[ -~\\t\\n\\réü日\\x00]{0,80}") {
            let (root, errors) = parse(&source);
            if let Some(root) = root {
                visit(&root, &mut |node| {
                    assert!(node.span.end <= source.len());
                    if let NodeValue::Scalar(scalar) = &node.value {
                        let boundaries = scalar.text.char_indices().map(|(i, _)| i);
                        for offset in boundaries.chain([scalar.text.len()]) {
                            let file = scalar.file_offset(offset);
                            assert!(file <= source.len() && source.is_char_boundary(file));
                        }
                    }
                });
            }
            for error in errors {
                assert!(error.span.end <= source.len());
            }
        }
    }
}
