//! Sampling after the SDK: collector configs (`probabilistic_sampler`,
//! `tail_sampling`) and Jaeger remote-sampling strategy files.

use cpl_syntax::yaml::Node;
use cpl_syntax::{codes, Diagnostic};

use crate::setting::{Layer, Value};
use crate::source::{content_span, entries, get, number, text, Read, SourceFile};

/// Whether a document is a collector config.
pub fn is_collector(root: &Node) -> bool {
    get(root, "processors").is_some()
        && (get(root, "service").is_some()
            || get(root, "receivers").is_some()
            || get(root, "exporters").is_some())
}

/// Reads a collector config's sampling processors.
pub fn read_collector(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    let Some(processors) = get(root, "processors") else {
        return;
    };
    for (key, value) in entries(processors) {
        let Some(name) = text(key) else { continue };
        let kind = name.split('/').next().unwrap_or(name);
        if kind == "probabilistic_sampler" {
            let percentage = get(value, "sampling_percentage");
            let span = percentage.map_or_else(|| key.span.clone(), content_span);
            read.settings.push(file.setting(
                span,
                Layer::Collector,
                &format!("processors.{name}.sampling_percentage"),
                None,
                Value::Number {
                    value: percentage.and_then(number).unwrap_or(0.0),
                    unit: "percent".into(),
                },
                None,
            ));
        } else if kind == "tail_sampling" {
            read.settings.push(file.setting(
                key.span.clone(),
                Layer::Collector,
                &format!("processors.{name}"),
                None,
                Value::Present,
                None,
            ));
        }
    }
}

/// Whether a JSON file name is a Jaeger strategies file by name.
pub fn is_strategies_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    super::has_extension(&name, &["json"]) && name.contains("strateg")
}

/// Reads a Jaeger strategies JSON file. serde_json keeps no positions: each setting
/// is placed at its `"service"` value or the `"default_strategy"` key, found in the
/// text in document order.
pub fn read_jaeger(file: &SourceFile<'_>, read: &mut Read, named: bool) {
    let json: serde_json::Value = match serde_json::from_str(file.text) {
        Ok(json) => json,
        Err(error) => {
            if named {
                let offset = offset_of(file.text, error.line(), error.column());
                read.diagnostics.push(Diagnostic::new(
                    &codes::SCAN_INVALID_JSON,
                    format!("the Jaeger strategies file is not JSON: {error}"),
                    offset..(offset + 1).min(file.text.len()),
                    "here",
                ));
            }
            return;
        }
    };
    if json.get("default_strategy").is_none() && json.get("service_strategies").is_none() {
        return;
    }
    let mut cursor = 0;
    if let Some(default) = json.get("default_strategy") {
        let at = find(file.text, "\"default_strategy\"", 0);
        push_strategy(file, read, default, None, at);
    }
    for strategy in json
        .get("service_strategies")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
    {
        let Some(service) = strategy.get("service").and_then(|s| s.as_str()) else {
            continue;
        };
        let at = find(file.text, &format!("\"{service}\""), cursor);
        cursor = at + 1;
        push_strategy(file, read, strategy, Some(service), at);
    }
}

fn push_strategy(
    file: &SourceFile<'_>,
    read: &mut Read,
    strategy: &serde_json::Value,
    service: Option<&str>,
    at: usize,
) {
    let kind = strategy
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("probabilistic");
    let param = strategy
        .get("param")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0);
    let value = if kind == "probabilistic" {
        Value::Probability { value: param }
    } else {
        Value::Number {
            value: param,
            unit: "traces_per_second".into(),
        }
    };
    let key = match service {
        Some(_) => "service_strategies[].param",
        None => "default_strategy.param",
    };
    read.settings
        .push(file.setting(at..at + 1, Layer::JaegerStrategy, key, None, value, service));
}

fn find(text: &str, needle: &str, from: usize) -> usize {
    text.get(from..)
        .and_then(|rest| rest.find(needle))
        .map_or(from.min(text.len()), |at| from + at)
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}
