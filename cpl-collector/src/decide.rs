//! Deciding one trace exactly as `tail_sampling` v0.161.0 does
//! (spec/targets/otel-collector.md §3).
//!
//! A trace is the spans the collector received for it, in arrival order (`&[&Span]`);
//! copies of a span are not merged, as the collector does not merge them. Each policy
//! gives an [`Outcome`]; `drop` policies are evaluated first and veto, then the trace is
//! kept if any policy says `Sampled`; errors abstain. Policies that depend on the wall
//! clock and on the order traces arrive in (`rate_limiting`, `bytes_limiting`,
//! `composite`) are [`Outcome::NotReproducible`], never guessed, and so is every
//! decision that depends on them.

use std::sync::Arc;

use cpl_otlp::{AnyValue, Resource, Span};

use crate::policy::{ErrorMode, Policy, PolicyKind, Processor};

/// The salt of `probabilistic` when `hash_salt` is empty.
pub const DEFAULT_HASH_SALT: &str = "default-hash-seed";

/// What one policy says about a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A vote to keep the trace.
    Sampled,
    /// No vote.
    NotSampled,
    /// A `drop` policy's veto.
    Dropped,
    /// An evaluation error: the collector logs it and ignores the policy.
    Error(String),
    /// Depends on the wall clock or on other traces (`rate_limiting`,
    /// `bytes_limiting`, `composite`, or a policy containing one).
    NotReproducible,
}

/// Whether the trace is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Forwarded.
    Yes,
    /// Dropped.
    No,
    /// Depends on a policy that replay cannot reproduce.
    Unknown,
}

/// The decision on one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the trace is kept.
    pub keep: Keep,
    /// Per top-level policy, in file order: its outcome, or `None` when the collector
    /// does not evaluate it (after a `Dropped`, or after the first `Sampled` with
    /// `sample_on_first_match`).
    pub outcomes: Vec<Option<Outcome>>,
    /// The policy the `recordpolicy` feature gate names on a kept trace: the first
    /// `Sampled` one in evaluation order (index into `policies`); `None` when the trace
    /// is not kept or a not-reproducible policy comes before it.
    pub recorded: Option<usize>,
}

/// Decides one trace, given in arrival order.
pub fn decide(processor: &Processor, trace: &[&Span]) -> Decision {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; processor.policies.len()];
    let mut dropped = false;
    let mut drop_unknown = false;
    let mut sampled = false;
    let mut sampled_unknown = false;
    let mut recorded = None;
    for index in processor.evaluation_order() {
        let outcome = evaluate(&processor.policies[index], trace);
        let is_drop = matches!(processor.policies[index].kind, PolicyKind::Drop(_));
        match &outcome {
            Outcome::Dropped => dropped = true,
            Outcome::Sampled => {
                if !sampled && !sampled_unknown {
                    recorded = Some(index);
                }
                sampled = true;
            }
            Outcome::NotReproducible if is_drop => drop_unknown = true,
            Outcome::NotReproducible => sampled_unknown = true,
            Outcome::NotSampled | Outcome::Error(_) => {}
        }
        let stop = dropped || (processor.sample_on_first_match && sampled);
        outcomes[index] = Some(outcome);
        if stop {
            break;
        }
    }
    let keep = if dropped {
        Keep::No
    } else if sampled {
        if drop_unknown {
            Keep::Unknown
        } else {
            Keep::Yes
        }
    } else if sampled_unknown {
        Keep::Unknown
    } else {
        Keep::No
    };
    if keep != Keep::Yes || drop_unknown {
        recorded = None;
    }
    Decision {
        keep,
        outcomes,
        recorded,
    }
}

/// One policy's outcome on a trace.
pub fn evaluate(policy: &Policy, trace: &[&Span]) -> Outcome {
    let vote = |sampled: bool| {
        if sampled {
            Outcome::Sampled
        } else {
            Outcome::NotSampled
        }
    };
    match &policy.kind {
        PolicyKind::AlwaysSample => Outcome::Sampled,
        PolicyKind::Latency {
            threshold_ms,
            upper_threshold_ms,
        } => vote(latency(trace, *threshold_ms, *upper_threshold_ms)),
        PolicyKind::NumericAttribute {
            key,
            min,
            max,
            invert_match,
        } => {
            let matches = |value: &AnyValue| {
                let value = go_int(value);
                *min <= value && value <= *max
            };
            vote(resource_or_span(trace, key, &matches, &matches) != *invert_match)
        }
        PolicyKind::Probabilistic {
            hash_salt,
            threshold,
            ..
        } => {
            // A trace's spans share its id; the collector hashes the id it grouped by.
            let id = trace.first().map_or([0; 16], |span| span.trace_id.0);
            vote(hash_trace_id(hash_salt, &id) <= *threshold)
        }
        PolicyKind::StatusCode { codes } => {
            vote(trace.iter().any(|span| codes.contains(&span.status)))
        }
        PolicyKind::StringAttribute {
            key,
            values,
            regexes,
            invert_match,
        } => {
            let matches = |value: &AnyValue| {
                let text = go_str(value);
                match regexes {
                    Some(regexes) => regexes.iter().any(|regex| regex.is_match(text)),
                    None => values.iter().any(|v| v == text),
                }
            };
            // Span values equal to "" are skipped; resource values are not.
            let span_matches = |value: &AnyValue| !go_str(value).is_empty() && matches(value);
            vote(resource_or_span(trace, key, &matches, &span_matches) != *invert_match)
        }
        PolicyKind::RateLimiting { .. }
        | PolicyKind::BytesLimiting { .. }
        | PolicyKind::Composite(_) => Outcome::NotReproducible,
        PolicyKind::SpanCount {
            min_spans,
            max_spans,
        } => {
            let count = trace.len();
            let min = usize::try_from(*min_spans).unwrap_or(0);
            let above_min = *min_spans <= 0 || count >= min;
            let below_max =
                *max_spans == 0 || usize::try_from(*max_spans).is_ok_and(|max| count <= max);
            vote(above_min && below_max)
        }
        PolicyKind::TraceState { key, values } => vote(trace.iter().any(|span| {
            let raw = span.detail.as_ref().map_or("", |d| d.trace_state.as_str());
            parse_trace_state(raw)
                .and_then(|members| {
                    members
                        .into_iter()
                        .find(|(k, _)| *k == key.as_str())
                        .map(|(_, v)| values.iter().any(|value| value == v))
                })
                .unwrap_or(false)
        })),
        PolicyKind::TraceFlags => vote(
            trace
                .iter()
                .any(|span| span.detail.as_ref().is_some_and(|d| d.flags & 0x01 != 0)),
        ),
        PolicyKind::BooleanAttribute {
            key,
            value,
            invert_match,
        } => {
            let matches = |v: &AnyValue| v.as_bool().unwrap_or(false) == *value;
            vote(resource_or_span(trace, key, &matches, &matches) != *invert_match)
        }
        PolicyKind::OttlCondition {
            error_mode,
            span,
            spanevent,
        } => ottl(trace, *error_mode, span, spanevent),
        PolicyKind::And(subs) => and(subs, trace, false),
        PolicyKind::Drop(subs) => and(subs, trace, true),
        PolicyKind::Not(sub) => match evaluate(sub, trace) {
            Outcome::Sampled => Outcome::NotSampled,
            Outcome::NotSampled => Outcome::Sampled,
            other => other,
        },
    }
}

/// `and` (and `drop`, whose "all sampled" is `Dropped`): sub-policies in order, stopping
/// at the first `NotSampled`; an error makes the whole policy an error.
fn and(subs: &[Policy], trace: &[&Span], drop: bool) -> Outcome {
    let mut unknown = false;
    for sub in subs {
        match evaluate(sub, trace) {
            Outcome::Sampled | Outcome::Dropped => {}
            // Whatever an unknown sub-policy before said, the result is `NotSampled`.
            Outcome::NotSampled => return Outcome::NotSampled,
            Outcome::Error(message) => {
                // An unknown sub-policy before may have stopped the walk first.
                return if unknown {
                    Outcome::NotReproducible
                } else {
                    Outcome::Error(message)
                };
            }
            Outcome::NotReproducible => unknown = true,
        }
    }
    if unknown {
        Outcome::NotReproducible
    } else if drop {
        Outcome::Dropped
    } else {
        Outcome::Sampled
    }
}

/// Whether some resource or some span has attribute `key` with a value that matches.
/// Resources are shared by the spans of one `resourceSpans` entry; each is tested once
/// per run of spans that share it, as the collector tests each batch's resource.
fn resource_or_span(
    trace: &[&Span],
    key: &str,
    resource_matches: &dyn Fn(&AnyValue) -> bool,
    span_matches: &dyn Fn(&AnyValue) -> bool,
) -> bool {
    let mut previous: Option<&Arc<Resource>> = None;
    for span in trace {
        if !previous.is_some_and(|p| Arc::ptr_eq(p, &span.resource)) {
            if span.resource.attribute(key).is_some_and(resource_matches) {
                return true;
            }
            previous = Some(&span.resource);
        }
        if span.attribute(key).is_some_and(span_matches) {
            return true;
        }
    }
    false
}

/// pdata `Value.Int()`: the integer, 0 for every other type.
fn go_int(value: &AnyValue) -> i64 {
    value.as_i64().unwrap_or(0)
}

/// pdata `Value.Str()`: the string, `""` for every other type.
fn go_str(value: &AnyValue) -> &str {
    value.as_str().unwrap_or("")
}

/// `latency`: the running earliest start and latest end over the spans in arrival
/// order, checked after each span; sampled as soon as one prefix is in range.
fn latency(trace: &[&Span], threshold_ms: i64, upper_threshold_ms: i64) -> bool {
    let mut min_time: u64 = 0;
    let mut max_time: u64 = 0;
    for span in trace {
        if min_time == 0 || span.start_time_unix_nano < min_time {
            min_time = span.start_time_unix_nano;
        }
        if max_time == 0 || span.end_time_unix_nano > max_time {
            max_time = span.end_time_unix_nano;
        }
        // Go: maxTime.AsTime().Sub(minTime.AsTime()): int64 nanoseconds (the
        // timestamps converted with wrap-around), saturating; then whole ms, truncated.
        #[allow(clippy::cast_possible_wrap)]
        let duration = (max_time as i64).saturating_sub(min_time as i64);
        let ms = duration / 1_000_000;
        let in_range = if upper_threshold_ms == 0 {
            ms > threshold_ms
        } else {
            threshold_ms < ms && ms <= upper_threshold_ms
        };
        if in_range {
            return true;
        }
    }
    false
}

/// `ottl_condition`: per span, the `span` conditions, then the `spanevent` conditions
/// on each of its events; sampled at the first true one.
fn ottl(
    trace: &[&Span],
    error_mode: ErrorMode,
    span_conditions: &[crate::ottl::Condition],
    event_conditions: &[crate::ottl::Condition],
) -> Outcome {
    // The outcome of one condition: `Ok(true)` samples, an error propagates or counts
    // as false.
    let check = |result: Result<bool, crate::ottl::EvalError>| -> Result<bool, String> {
        match result {
            Ok(value) => Ok(value),
            Err(error) if error_mode == ErrorMode::Propagate => Err(error.message),
            Err(_) => Ok(false),
        }
    };
    for span in trace {
        for condition in span_conditions {
            match check(condition.eval_span(span)) {
                Ok(true) => return Outcome::Sampled,
                Ok(false) => {}
                Err(message) => return Outcome::Error(message),
            }
        }
        if event_conditions.is_empty() {
            continue;
        }
        let events = span
            .detail
            .as_ref()
            .map_or(&[][..], |d| d.events.as_slice());
        for event in events {
            for condition in event_conditions {
                match check(condition.eval_span_event(span, event)) {
                    Ok(true) => return Outcome::Sampled,
                    Ok(false) => {}
                    Err(message) => return Outcome::Error(message),
                }
            }
        }
    }
    Outcome::NotSampled
}

/// FNV-1a (64 bits) of the salt's bytes followed by the 16 trace id bytes: the
/// evaluator's [`cpl_eval::fnv_hash`], which `fnv_sample` uses too.
pub fn hash_trace_id(salt: &str, trace_id: &[u8; 16]) -> u64 {
    cpl_eval::fnv_hash(salt.as_bytes(), *trace_id)
}

/// The `probabilistic` threshold for `ratio` (= `sampling_percentage / 100`), as Go
/// computes it: the evaluator's [`cpl_eval::fnv_ratio_threshold`], one implementation
/// for replaying a collector config and for an imported `fnv_sample`.
pub use cpl_eval::fnv_ratio_threshold as probabilistic_threshold;

/// A W3C `tracestate` as Go's `trace.ParseTraceState` reads it: `None` when it is
/// invalid (a bad key or value, a member without `=`, a key twice, more than 32
/// members); otherwise its members in order. Empty list members are skipped; spaces
/// and tabs before a key and after a value are trimmed.
pub fn parse_trace_state(raw: &str) -> Option<Vec<(&str, &str)>> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    if raw.is_empty() {
        return Some(members);
    }
    for member in raw.split(',') {
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        let key = key.trim_start_matches([' ', '\t']);
        let value = value.trim_end_matches([' ', '\t']);
        if !trace_state_key(key) || !trace_state_value(value) {
            return None;
        }
        if members.iter().any(|(k, _)| *k == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > 32 {
            return None;
        }
    }
    Some(members)
}

fn key_rest(rest: &str) -> bool {
    rest.bytes().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'*' | b'/')
    })
}

fn trace_state_key(key: &str) -> bool {
    let part = |key: &str, max_rest: usize| {
        let bytes = key.as_bytes();
        !bytes.is_empty()
            && bytes[0].is_ascii_lowercase()
            && bytes.len() - 1 <= max_rest
            && key_rest(&key[1..])
    };
    match key.split_once('@') {
        None => part(key, 255),
        Some((tenant, system)) => {
            let bytes = tenant.as_bytes();
            !bytes.is_empty()
                && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
                && bytes.len() - 1 <= 240
                && key_rest(&tenant[1..])
                && part(system, 13)
        }
    }
}

fn trace_state_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some((&last, body)) = bytes.split_last() else {
        return false;
    };
    bytes.len() <= 256
        && body
            .iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && (0x21..=0x7e).contains(&last)
        && last != b','
        && last != b'='
}

#[cfg(test)]
mod tests;
