//! What sampling does to the metrics people watch: request counts, error rates
//! and latency percentiles of server spans, computed over every trace (the
//! truth) and estimated from the kept traces, both weighted by adjusted count
//! (1/p) and naively (spec/replay.md, "Fidelity").
//!
//! Replay records one [`Sample`] per distinct server span while it reads (its
//! latency, its row and its trace), and [`Fidelity::report`] weighs them once every
//! trace is decided. Every sum runs over samples sorted by value, so the figures do
//! not depend on the order in which spans or traces arrived.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Rows of `services` in the report; the rest are counted in `more_services`.
pub const MAX_SERVICES: usize = 50;
/// Rows of `routes` in the report; the rest are counted in `more_routes`.
pub const MAX_ROUTES: usize = 100;
/// Characters of a service or route name kept in a row; longer names are cut and end
/// in `…`.
pub const MAX_NAME_CHARS: usize = 256;

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
    /// `(weighted − truth) / truth`, rounded to 6 decimals; `None` when either is
    /// `None` or the truth is 0.
    pub weighted_error: Option<f64>,
    /// `(naive − truth) / truth`, likewise.
    pub naive_error: Option<f64>,
}

impl Estimate {
    fn new(truth: Option<f64>, weighted: Option<f64>, naive: Option<f64>) -> Self {
        Self {
            truth,
            weighted,
            naive,
            weighted_error: relative_error(weighted, truth),
            naive_error: relative_error(naive, truth),
        }
    }
}

/// `(estimate − truth) / truth`, rounded to 6 decimals, without a negative zero.
fn relative_error(estimate: Option<f64>, truth: Option<f64>) -> Option<f64> {
    let (estimate, truth) = (estimate?, truth?);
    if truth == 0.0 {
        return None;
    }
    Some(((estimate - truth) / truth * 1e6).round() / 1e6 + 0.0)
}

/// The adjusted count of a trace kept at rate `rate`: 1 for a rate of 1 or more, and
/// 2^56 / (2^56 − T(rate)) otherwise, the inverse of the exact probability with which
/// the consistent threshold keeps a trace (spec/replay.md, "Fidelity").
///
/// ```
/// use cpl_replay::fidelity::adjusted_count;
/// assert_eq!(adjusted_count(1.0), 1.0);
/// assert_eq!(adjusted_count(0.25), 4.0);
/// assert_eq!(adjusted_count(0.01), 99.99999999999991);
/// ```
#[allow(clippy::cast_precision_loss)] // 2^56 − T is a multiple of 8 below 2^56: exact
pub fn adjusted_count(rate: f64) -> f64 {
    const TWO_POW_56: u64 = 1 << 56;
    match cpl_eval::threshold(rate) {
        // A rate that keeps nothing has no kept trace to weigh.
        Some(threshold) if threshold < TWO_POW_56 => {
            TWO_POW_56 as f64 / (TWO_POW_56 - threshold) as f64
        }
        Some(_) => f64::INFINITY,
        None => 1.0,
    }
}

/// A server span's latency when its `duration` is missing.
const NO_LATENCY: u64 = u64::MAX;
/// The top bit of [`Sample::row`]: the span is an error.
const ERROR_BIT: u32 = 1 << 31;
/// The route of a server span without one.
pub(crate) const NO_ROUTE: u32 = u32::MAX;

/// What one distinct server span contributes: 16 bytes.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The latency in nanoseconds, or [`NO_LATENCY`].
    nanos: u64,
    /// The (service, route) row, with [`ERROR_BIT`] set for an error.
    row: u32,
    /// The trace's ordinal (the order in which traces were first seen).
    trace: u32,
}

/// The server spans of a replay, kept until every trace is decided.
#[derive(Debug, Default)]
pub(crate) struct Fidelity {
    /// Route name → route id.
    route_ids: HashMap<Box<str>, u32>,
    /// (service index, route id or [`NO_ROUTE`]) → row id.
    row_ids: HashMap<(u32, u32), u32>,
    /// Row id → (service index, route id).
    rows: Vec<(u32, u32)>,
    samples: Vec<Sample>,
}

impl Fidelity {
    /// The id of `route`, interned.
    pub(crate) fn route_id(&mut self, route: &str) -> u32 {
        if let Some(&id) = self.route_ids.get(route) {
            return id;
        }
        let id = u32::try_from(self.route_ids.len()).unwrap_or(NO_ROUTE - 1);
        self.route_ids.insert(route.into(), id);
        id
    }

    /// Records one distinct server span of the trace with ordinal `trace`.
    pub(crate) fn add(
        &mut self,
        trace: u32,
        service: u32,
        route: u32,
        error: bool,
        nanos: Option<u64>,
    ) {
        let next = u32::try_from(self.rows.len()).unwrap_or(ERROR_BIT - 1);
        let row = *self.row_ids.entry((service, route)).or_insert_with(|| {
            self.rows.push((service, route));
            next
        });
        self.samples.push(Sample {
            nanos: nanos.unwrap_or(NO_LATENCY),
            row: row | if error { ERROR_BIT } else { 0 },
            trace,
        });
    }

    /// Weighs every sample: `weights[trace]` is the adjusted count of a kept trace, 0
    /// for a dropped one. `services[index]` names the service of that index.
    pub(crate) fn report(self, weights: &[f64], services: &[&str]) -> FidelityReport {
        let mut routes: Vec<&str> = vec![""; self.route_ids.len()];
        for (name, &id) in &self.route_ids {
            routes[id as usize] = name;
        }
        let mut points: Vec<Point> = self
            .samples
            .iter()
            .map(|sample| Point {
                nanos: sample.nanos,
                weight: weights.get(sample.trace as usize).copied().unwrap_or(0.0),
                error: sample.row & ERROR_BIT != 0,
                row: sample.row & !ERROR_BIT,
            })
            .collect();
        // Sorted by value: sums in this order do not depend on the order of arrival.
        points.sort_unstable_by(Point::cmp);
        let overall = row(&points, "", None);

        let mut by_row: Vec<Vec<Point>> = vec![Vec::new(); self.rows.len()];
        let mut by_service: BTreeMap<u32, Vec<Point>> = BTreeMap::new();
        for point in &points {
            by_row[point.row as usize].push(*point);
            let (service, _) = self.rows[point.row as usize];
            by_service.entry(service).or_default().push(*point);
        }
        let service_name = |index: u32| services.get(index as usize).copied().unwrap_or("unknown");
        let service_rows: Vec<FidelityRow> = by_service
            .into_iter()
            .map(|(service, points)| row(&points, service_name(service), None))
            .collect();
        let route_rows: Vec<FidelityRow> = by_row
            .iter()
            .zip(&self.rows)
            .filter(|(_, &(_, route))| route != NO_ROUTE)
            .map(|(points, &(service, route))| {
                row(points, service_name(service), Some(routes[route as usize]))
            })
            .collect();
        let (services, more_services) = capped(service_rows, MAX_SERVICES);
        let (routes, more_routes) = capped(route_rows, MAX_ROUTES);
        FidelityReport {
            overall,
            services,
            more_services,
            routes,
            more_routes,
        }
    }
}

/// A sample with its trace's weight.
#[derive(Debug, Clone, Copy)]
struct Point {
    nanos: u64,
    /// The adjusted count of its trace when kept, 0 when not.
    weight: f64,
    error: bool,
    row: u32,
}

impl Point {
    /// By latency, then weight, then error: a total order on what the sums read.
    fn cmp(a: &Point, b: &Point) -> std::cmp::Ordering {
        a.nanos
            .cmp(&b.nanos)
            .then_with(|| a.weight.total_cmp(&b.weight))
            .then_with(|| a.error.cmp(&b.error))
    }
}

/// Sorts rows by true request count, most first, then by their full names, keeps
/// `max` and cuts their names; the count of those left out comes second.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // counts below 2^53
fn capped(mut rows: Vec<FidelityRow>, max: usize) -> (Vec<FidelityRow>, u64) {
    let requests = |row: &FidelityRow| row.requests.truth.unwrap_or(0.0) as u64;
    rows.sort_by(|a, b| {
        requests(b)
            .cmp(&requests(a))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.route.cmp(&b.route))
    });
    let more = rows.len().saturating_sub(max) as u64;
    rows.truncate(max);
    for row in &mut rows {
        row.service = cut(&row.service);
        row.route = row.route.as_deref().map(cut);
    }
    (rows, more)
}

/// `name`, cut to [`MAX_NAME_CHARS`] characters followed by `…` when longer.
fn cut(name: &str) -> String {
    match name.char_indices().nth(MAX_NAME_CHARS) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_owned(),
    }
}

/// The percentiles reported, in percent.
const PERCENTILES: [u32; 3] = [50, 95, 99];

/// One row's metrics from its points, sorted by [`Point::key`].
fn row(points: &[Point], service: &str, route: Option<&str>) -> FidelityRow {
    let truth = Weighed::new(points, |_| 1.0);
    let weighted = Weighed::new(points, |point| point.weight);
    let naive = Weighed::new(points, |point| if point.weight > 0.0 { 1.0 } else { 0.0 });
    let requests = Estimate::new(
        Some(truth.requests),
        Some(round_to_cents(weighted.requests)),
        Some(naive.requests),
    );
    let error_rate = Estimate::new(
        truth.error_rate(),
        weighted.error_rate(),
        naive.error_rate(),
    );
    let [p50, p95, p99] = [0, 1, 2].map(|at| {
        Estimate::new(
            truth.percentiles[at],
            weighted.percentiles[at],
            naive.percentiles[at],
        )
    });
    FidelityRow {
        service: service.to_owned(),
        route: route.map(str::to_owned),
        requests,
        error_rate,
        latency_p50_ms: p50,
        latency_p95_ms: p95,
        latency_p99_ms: p99,
    }
}

/// Rounds to 2 decimals, with no negative zero.
fn round_to_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0 + 0.0
}

/// A row's points under one weighting.
struct Weighed {
    requests: f64,
    errors: f64,
    /// [`PERCENTILES`] of the latencies, in milliseconds.
    percentiles: [Option<f64>; 3],
}

impl Weighed {
    fn new(points: &[Point], weight: impl Fn(&Point) -> f64) -> Self {
        let mut requests = 0.0;
        let mut errors = 0.0;
        let mut total = 0.0;
        for point in points {
            let w = weight(point);
            requests += w;
            if point.error {
                errors += w;
            }
            if point.nanos != NO_LATENCY {
                total += w;
            }
        }
        let mut percentiles = [None; 3];
        if total > 0.0 {
            // The weighted inverted CDF: the smallest latency x with
            // 100 · C(x) ≥ P · W, C(x) the weight of the latencies up to x.
            let mut cumulative = 0.0;
            let mut pending = 0;
            let with_latency = points.iter().filter(|point| point.nanos != NO_LATENCY);
            let mut iter = with_latency.peekable();
            while let Some(point) = iter.next() {
                cumulative += weight(point);
                if iter.peek().is_some_and(|next| next.nanos == point.nanos) {
                    continue;
                }
                while pending < PERCENTILES.len()
                    && 100.0 * cumulative >= f64::from(PERCENTILES[pending]) * total
                {
                    percentiles[pending] = Some(nanos_to_ms(point.nanos));
                    pending += 1;
                }
            }
        }
        Self {
            requests,
            errors,
            percentiles,
        }
    }

    fn error_rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| self.errors / self.requests)
    }
}

#[allow(clippy::cast_precision_loss)] // a report figure
fn nanos_to_ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}
