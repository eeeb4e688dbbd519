//! PLACEHOLDER for the OTTL module another helper writes (issue 9 shared interface).
//! It exists only so that `config` and `decide` compile before that branch merges, and
//! is deleted by the last commit of wip/tsconf. It understands three condition shapes,
//! enough for the tests of `ottl_condition` policies:
//! `span.attributes["K"] == "V"`, `Substring(span.attributes["K"], S, L) == "V"` (an
//! evaluation error when `K` is missing or too short) and `spanevent.name == "V"`.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::missing_errors_doc,
    clippy::unnecessary_wraps
)]

use std::ops::Range;

use cpl_otlp::{AnyValue, Event, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OttlContext {
    Span,
    SpanEvent,
}

#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    AttrEq(String, String),
    Substring(String, usize, usize, String),
    EventName(String),
}

#[derive(Debug, Clone)]
pub struct OttlError {
    pub code: &'static cpl_syntax::Code,
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
}

fn quoted(text: &str) -> Option<&str> {
    text.trim().strip_prefix('"')?.strip_suffix('"')
}

impl Condition {
    pub fn parse(text: &str, context: OttlContext) -> Result<Condition, Vec<OttlError>> {
        let fail = || {
            vec![OttlError {
                code: &cpl_syntax::codes::UNEXPECTED_TOKEN,
                message: "placeholder OTTL: unsupported condition".into(),
                span: 0..text.len(),
                help: None,
            }]
        };
        let (left, right) = text.split_once("==").ok_or_else(fail)?;
        let value = quoted(right).ok_or_else(fail)?.to_owned();
        let left = left.trim();
        let shape = if context == OttlContext::SpanEvent {
            (left == "spanevent.name")
                .then_some(Shape::EventName(value))
                .ok_or_else(fail)?
        } else if let Some(rest) = left.strip_prefix("Substring(") {
            let inner = rest.strip_suffix(')').ok_or_else(fail)?;
            let parts: Vec<&str> = inner.split(',').collect();
            let [attr, start, len] = parts.as_slice() else {
                return Err(fail());
            };
            let key = attr
                .trim()
                .strip_prefix("span.attributes[")
                .and_then(|k| k.strip_suffix(']'))
                .and_then(quoted)
                .ok_or_else(fail)?;
            Shape::Substring(
                key.to_owned(),
                start.trim().parse().map_err(|_| fail())?,
                len.trim().parse().map_err(|_| fail())?,
                value,
            )
        } else {
            let key = left
                .strip_prefix("span.")
                .unwrap_or(left)
                .strip_prefix("attributes[")
                .and_then(|k| k.strip_suffix(']'))
                .and_then(quoted)
                .ok_or_else(fail)?;
            Shape::AttrEq(key.to_owned(), value)
        };
        Ok(Condition {
            text: text.to_owned(),
            shape,
        })
    }

    pub fn eval_span(&self, span: &Span) -> Result<bool, EvalError> {
        match &self.shape {
            Shape::AttrEq(key, value) => {
                Ok(span.attribute(key).and_then(AnyValue::as_str) == Some(value.as_str()))
            }
            Shape::Substring(key, start, len, value) => {
                let text = span
                    .attribute(key)
                    .and_then(AnyValue::as_str)
                    .ok_or_else(|| EvalError {
                        message: format!("invalid target for Substring: `{key}`"),
                    })?;
                let part = text.get(*start..start + len).ok_or_else(|| EvalError {
                    message: "invalid range for Substring".into(),
                })?;
                Ok(part == value)
            }
            Shape::EventName(_) => Ok(false),
        }
    }

    pub fn eval_span_event(&self, _span: &Span, event: &Event) -> Result<bool, EvalError> {
        match &self.shape {
            Shape::EventName(name) => Ok(&event.name == name),
            _ => Ok(false),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}
