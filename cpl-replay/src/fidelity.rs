//! What sampling does to the metrics people watch: request counts, error rates
//! and latency percentiles of server spans, computed over every trace (the
//! truth) and estimated from the kept traces, both weighted by adjusted count
//! (1/p) and naively (spec/replay.md, "Fidelity").
//!
//! PLACEHOLDER types until the estimators land (issue 11): the report shape
//! below is what the HTML report renders.

use serde::Serialize;

/// The fidelity section of a replay report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FidelityReport {
    /// Every server span of the capture.
    pub overall: FidelityRow,
    /// Per `service.name`, most requests first; capped.
    pub services: Vec<FidelityRow>,
    /// Services left out by the cap.
    pub more_services: u64,
    /// Per (`service.name`, `http.route`), most requests first; capped.
    pub routes: Vec<FidelityRow>,
    /// Routes left out by the cap.
    pub more_routes: u64,
}

/// One service's or route's metrics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FidelityRow {
    /// `service.name`, or `unknown`; empty for the overall row.
    pub service: String,
    /// `http.route`, for route rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Server spans (requests).
    pub requests: Estimate,
    /// Share of server spans with status `ERROR`.
    pub error_rate: Estimate,
    /// Median server-span duration, in milliseconds.
    pub latency_p50_ms: Estimate,
    /// 95th percentile, in milliseconds.
    pub latency_p95_ms: Estimate,
    /// 99th percentile, in milliseconds.
    pub latency_p99_ms: Estimate,
}

/// One metric: the truth and the two estimates from what is kept.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Estimate {
    /// Over every trace; `None` when there is nothing to measure.
    pub truth: Option<f64>,
    /// From the kept traces, each weighted by its adjusted count (1/p).
    pub weighted: Option<f64>,
    /// From the kept traces, unweighted.
    pub naive: Option<f64>,
    /// `(weighted − truth) / truth`; `None` when either is `None` or the truth is 0.
    pub weighted_error: Option<f64>,
    /// `(naive − truth) / truth`; `None` likewise.
    pub naive_error: Option<f64>,
}
