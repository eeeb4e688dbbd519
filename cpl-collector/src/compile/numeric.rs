//! Exact number and duration comparisons in the terms OTTL can compare.
//!
//! CPL compares an int with a double by exact mathematical value; OTTL converts the
//! int to `float64` first (`compareInt64` / `compareFloat64` in `pkg/ottl/compare.go`),
//! which rounds above 2^53. So a comparison with a literal that is not a small
//! integer is split by the value's type, and each side is turned into a comparison
//! of like with like that selects exactly the values CPL's comparison selects.
//!
//! A span's duration is an unsigned 64-bit number of nanoseconds in CPL, while OTTL's
//! `span.start_time_unix_nano` and `span.end_time_unix_nano` are the same bits read as
//! signed `int64`, and `end - start` is Go's wrapping `int64` subtraction. Every
//! duration comparison becomes a union of unsigned intervals, and each interval bound
//! a test on the wrapped signed difference `D` whose unsigned reading is the duration.

use cpl_syntax::ast::CompareOp;
#[cfg(test)]
use cpl_syntax::values::{cmp_num, holds};
use cpl_syntax::values::{nanos_to_millis, Num};

use super::cond::{and, cmp, float, or, Cond};

/// The OTTL spelling of a comparison operator.
pub(crate) fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

/// 2^53: every integer up to this magnitude is a double exactly.
const EXACT: i64 = 1 << 53;

/// The literal as an integer `k` with `|k| <= 2^53`, if it is one (an int literal, or
/// a float literal with an integral value). One OTTL comparison with `k` is then exact
/// for int values (compared as `int64`) and double values (compared with
/// `float64(k)`, which is `k` exactly) alike.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn small_int(literal: Num) -> Option<i64> {
    match literal {
        Num::Int(n) if (-EXACT..=EXACT).contains(&n) => Some(n),
        // The cast is exact: the value is integral and within ±2^53.
        Num::Float(x) if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 => Some(x as i64),
        _ => None,
    }
}

/// A set of values of one type, as OTTL can test it on a value known to have that type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Set {
    /// Every value.
    All,
    /// No value.
    Nothing,
    /// The values `v` with `v op k` (an `int64` literal).
    Int(CompareOp, i64),
    /// The values `v` with `v op x` (a finite `float64` literal).
    Float(CompareOp, f64),
    /// The values `v` with `not (v op x)`.
    NotFloat(CompareOp, f64),
    /// Every double but NaN.
    NotNan,
}

impl Set {
    /// The OTTL condition on `value`, which is known to hold an int (`Int`) or a double.
    pub(crate) fn cond(self, value: &str) -> Cond {
        match self {
            Set::All => Cond::Const(true),
            Set::Nothing => Cond::Const(false),
            Set::Int(op, k) => cmp(value, op_text(op), &k.to_string()),
            Set::Float(op, x) => cmp(value, op_text(op), &float(x)),
            Set::NotFloat(op, x) => super::cond::not(cmp(value, op_text(op), &float(x))),
            // NaN is neither `<= MAX` nor `> MAX`; every other double is one of them.
            Set::NotNan => or([
                cmp(value, "<=", &float(f64::MAX)),
                cmp(value, ">", &float(f64::MAX)),
            ]),
        }
    }

    /// Whether the set holds `value` (for the tests: the meaning of [`Set::cond`]).
    #[cfg(test)]
    fn holds(self, value: Num) -> bool {
        match (self, value) {
            (Set::All, _) => true,
            (Set::Nothing, _) => false,
            (Set::Int(op, k), Num::Int(n)) => holds(op, Some(n.cmp(&k))),
            (Set::Float(op, x), Num::Float(d)) => holds(op, d.partial_cmp(&x)),
            (Set::NotFloat(op, x), Num::Float(d)) => !holds(op, d.partial_cmp(&x)),
            (Set::NotNan, Num::Float(d)) => !d.is_nan(),
            _ => panic!("{self:?} tested on {value:?}"),
        }
    }
}

/// `v op k` over `int64` values `v`, for a `k` that may lie outside `int64`.
fn int_cmp(op: CompareOp, k: i128) -> Set {
    if let Ok(k) = i64::try_from(k) {
        return Set::Int(op, k);
    }
    let above = k > 0; // k is above every int64, or below every one
    let all = match op {
        CompareOp::Lt | CompareOp::Le => above,
        CompareOp::Gt | CompareOp::Ge => !above,
        CompareOp::Ne => true,
        CompareOp::Eq => false,
    };
    if all {
        Set::All
    } else {
        Set::Nothing
    }
}

/// The int values `n` with `n op literal` by CPL's exact rule.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn int_side(op: CompareOp, literal: Num) -> Set {
    match literal {
        Num::Int(n) => Set::Int(op, n),
        Num::Float(x) if x.is_nan() => {
            if op == CompareOp::Ne {
                Set::All
            } else {
                Set::Nothing
            }
        }
        // `as i128` saturates, and a saturated bound still lies beyond every int64.
        Num::Float(x) if x.is_infinite() || x.fract() == 0.0 => int_cmp(op, x as i128),
        Num::Float(x) => {
            // A non-integral x lies strictly between floor(x) and floor(x) + 1.
            let floor = x.floor() as i128;
            match op {
                CompareOp::Lt | CompareOp::Le => int_cmp(CompareOp::Le, floor),
                CompareOp::Gt | CompareOp::Ge => int_cmp(CompareOp::Gt, floor),
                CompareOp::Eq => Set::Nothing,
                CompareOp::Ne => Set::All,
            }
        }
    }
}

/// The double values `d` (NaN included) with `d op literal` by CPL's exact rule.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
pub(crate) fn double_side(op: CompareOp, literal: Num) -> Set {
    match literal {
        Num::Float(x) if x.is_nan() => {
            if op == CompareOp::Ne {
                Set::All
            } else {
                Set::Nothing
            }
        }
        Num::Float(x) if x == f64::INFINITY => match op {
            CompareOp::Lt => Set::Float(CompareOp::Le, f64::MAX),
            CompareOp::Le => Set::NotNan,
            CompareOp::Gt => Set::Nothing,
            CompareOp::Ge | CompareOp::Eq => Set::Float(CompareOp::Gt, f64::MAX),
            CompareOp::Ne => Set::NotFloat(CompareOp::Gt, f64::MAX),
        },
        Num::Float(x) if x == f64::NEG_INFINITY => match op {
            CompareOp::Gt => Set::Float(CompareOp::Ge, -f64::MAX),
            CompareOp::Ge => Set::NotNan,
            CompareOp::Lt => Set::Nothing,
            CompareOp::Le | CompareOp::Eq => Set::Float(CompareOp::Lt, -f64::MAX),
            CompareOp::Ne => Set::NotFloat(CompareOp::Lt, -f64::MAX),
        },
        Num::Float(x) => Set::Float(op, x),
        Num::Int(n) => {
            let nearest = n as f64;
            // `as i128` is exact for every double that is the nearest to an i64.
            let back = nearest as i128;
            if back == i128::from(n) {
                return Set::Float(op, nearest);
            }
            // n lies strictly between two adjacent doubles.
            let (below, above) = if back > i128::from(n) {
                (nearest.next_down(), nearest)
            } else {
                (nearest, nearest.next_up())
            };
            match op {
                CompareOp::Lt | CompareOp::Le => Set::Float(CompareOp::Le, below),
                CompareOp::Gt | CompareOp::Ge => Set::Float(CompareOp::Ge, above),
                CompareOp::Eq => Set::Nothing,
                CompareOp::Ne => Set::All,
            }
        }
    }
}

/// What a duration is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DurationLiteral {
    /// Exact nanoseconds (a duration literal, or an int literal of milliseconds).
    Nanos(i128),
    /// Float milliseconds, compared with the double nearest to `d / 10^6`.
    Millis(f64),
}

/// The durations `d` (unsigned nanoseconds) with `d op literal`, as disjoint inclusive
/// intervals.
pub(crate) fn duration_intervals(op: CompareOp, literal: DurationLiteral) -> Vec<(u64, u64)> {
    const END: u128 = 1 << 64;
    // The set is described by two boundaries over [0, 2^64): `lower` = the first d
    // with d >= literal, `upper` = the first d with d > literal.
    let (lower, upper): (u128, u128) = match literal {
        DurationLiteral::Nanos(t) => {
            let clamp = |v: i128| u128::try_from(v.max(0)).unwrap_or(0).min(END);
            (clamp(t), clamp(t.saturating_add(1)))
        }
        DurationLiteral::Millis(x) => {
            // d -> nearest double of d / 10^6 never decreases, so both are boundaries.
            let first = |pred: &dyn Fn(f64) -> bool| -> u128 {
                let (mut lo, mut hi) = (0u128, END);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    let d = u64::try_from(mid).unwrap_or(u64::MAX);
                    if pred(nanos_to_millis(d)) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            };
            (first(&|m| m >= x), first(&|m| m > x))
        }
    };
    let ranges: &[(u128, u128)] = match op {
        CompareOp::Lt => &[(0, lower)],
        CompareOp::Le => &[(0, upper)],
        CompareOp::Gt => &[(upper, END)],
        CompareOp::Ge => &[(lower, END)],
        CompareOp::Eq => &[(lower, upper)],
        CompareOp::Ne => &[(0, lower), (upper, END)],
    };
    ranges
        .iter()
        .filter(|(start, end)| start < end)
        .map(|&(start, end)| {
            let last = end - 1;
            (
                u64::try_from(start).unwrap_or(u64::MAX),
                u64::try_from(last).unwrap_or(u64::MAX),
            )
        })
        .collect()
}

/// The wrapped signed difference `D = end - start` as OTTL text.
pub(crate) const DURATION: &str = "span.end_time_unix_nano - span.start_time_unix_nano";
const START: &str = "span.start_time_unix_nano";
const END_TIME: &str = "span.end_time_unix_nano";

/// CPL's "the span has a duration": both times set and end >= start, as unsigned
/// 64-bit numbers, tested on their signed readings S and E:
///
/// - S > 0, E >= S: both below 2^63, in order;
/// - S < 0, E < 0, E >= S: both at or above 2^63, in order;
/// - S > 0, E < 0: E (at or above 2^63) is after S (below it).
///
/// Every other case has S = 0, E = 0 (both `E >= S` alternatives then need `S > 0`
/// or `E < 0` and fail), or an E below 2^63 before an S at or above it.
pub(crate) fn duration_present() -> Cond {
    or([
        and([
            cmp(END_TIME, ">=", START),
            or([cmp(START, ">", "0"), cmp(END_TIME, "<", "0")]),
        ]),
        and([cmp(START, ">", "0"), cmp(END_TIME, "<", "0")]),
    ])
}

/// A bound on the unsigned duration d, tested on D, its wrapped signed reading
/// (d = D for D >= 0, d = D + 2^64 for D < 0).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Any,
    /// `D < 0 or D >= k`: d >= k for k below 2^63.
    NegativeOrAtLeast(i64),
    /// `D < 0 and D >= k`: d >= k + 2^64 for bounds at or above 2^63.
    NegativeAndAtLeast(i64),
    /// `D >= 0 and D <= k`: d <= k for k below 2^63.
    NonNegativeAndAtMost(i64),
    /// `D >= 0 or D <= k`: d <= k + 2^64 for bounds at or above 2^63.
    NonNegativeOrAtMost(i64),
}

/// The signed reading of an unsigned 64-bit number.
#[allow(clippy::cast_possible_wrap)]
fn signed(u: u64) -> i64 {
    u as i64
}

fn at_least(lo: u64) -> Bound {
    match lo {
        0 => Bound::Any,
        lo if lo < 1 << 63 => Bound::NegativeOrAtLeast(signed(lo)),
        lo => Bound::NegativeAndAtLeast(signed(lo)),
    }
}

fn at_most(hi: u64) -> Bound {
    match hi {
        u64::MAX => Bound::Any,
        hi if hi < 1 << 63 => Bound::NonNegativeAndAtMost(signed(hi)),
        hi => Bound::NonNegativeOrAtMost(signed(hi)),
    }
}

impl Bound {
    fn cond(self) -> Cond {
        let d = |op: &str, k: i64| cmp(DURATION, op, &k.to_string());
        match self {
            Bound::Any => Cond::Const(true),
            Bound::NegativeOrAtLeast(k) => or([d("<", 0), d(">=", k)]),
            Bound::NegativeAndAtLeast(k) => and([d("<", 0), d(">=", k)]),
            Bound::NonNegativeAndAtMost(k) => and([d(">=", 0), d("<=", k)]),
            Bound::NonNegativeOrAtMost(k) => or([d(">=", 0), d("<=", k)]),
        }
    }

    #[cfg(test)]
    fn holds(self, d: i64) -> bool {
        match self {
            Bound::Any => true,
            Bound::NegativeOrAtLeast(k) => d < 0 || d >= k,
            Bound::NegativeAndAtLeast(k) => d < 0 && d >= k,
            Bound::NonNegativeAndAtMost(k) => d >= 0 && d <= k,
            Bound::NonNegativeOrAtMost(k) => d >= 0 || d <= k,
        }
    }
}

/// `d` in one of `intervals`, for a span known to have a duration.
pub(crate) fn duration_in(intervals: &[(u64, u64)]) -> Cond {
    or(intervals
        .iter()
        .map(|&(lo, hi)| and([at_least(lo).cond(), at_most(hi).cond()])))
}

/// Checks that a number comparison split by type selects what CPL's does.
#[cfg(test)]
fn agrees(op: CompareOp, literal: Num, value: Num) -> bool {
    let expected = holds(op, cmp_num(value, literal));
    let got = match value {
        Num::Int(_) => int_side(op, literal).holds(value),
        Num::Float(_) => double_side(op, literal).holds(value),
    };
    expected == got
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OPS: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ];

    fn interesting_ints() -> Vec<i64> {
        let mut v = vec![
            0,
            1,
            -1,
            500,
            EXACT,
            EXACT + 1,
            -EXACT - 1,
            i64::MAX,
            i64::MIN,
        ];
        v.extend([
            i64::MAX - 1,
            i64::MIN + 1,
            (1 << 62) + 1,
            9_007_199_254_740_993,
        ]);
        v
    }

    fn interesting_floats() -> Vec<f64> {
        vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            500.0,
            500.5,
            9_007_199_254_740_992.0,
            9_223_372_036_854_775_808.0,
            -9_223_372_036_854_775_808.0,
            1e300,
            -1e300,
            f64::MAX,
            -f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ]
    }

    #[test]
    fn number_sides_agree_with_cpl_on_edge_values() {
        let literals: Vec<Num> = interesting_ints()
            .into_iter()
            .map(Num::Int)
            .chain(
                interesting_floats()
                    .into_iter()
                    .filter(|x| !x.is_nan())
                    .map(Num::Float),
            )
            .collect();
        let values: Vec<Num> = interesting_ints()
            .into_iter()
            .map(Num::Int)
            .chain(interesting_floats().into_iter().map(Num::Float))
            .collect();
        for op in OPS {
            for &literal in &literals {
                for &value in &values {
                    assert!(agrees(op, literal, value), "{value:?} {op:?} {literal:?}");
                }
            }
        }
    }

    #[test]
    fn small_integers_need_no_split() {
        assert_eq!(small_int(Num::Int(500)), Some(500));
        assert_eq!(small_int(Num::Float(500.0)), Some(500));
        assert_eq!(small_int(Num::Float(-0.0)), Some(0));
        assert_eq!(small_int(Num::Float(500.5)), None);
        assert_eq!(small_int(Num::Int(EXACT + 1)), None);
        assert_eq!(small_int(Num::Float(1e300)), None);
    }

    #[test]
    fn exact_nanosecond_intervals() {
        let ge = duration_intervals(CompareOp::Gt, DurationLiteral::Nanos(1_000_000_000));
        assert_eq!(ge, vec![(1_000_000_001, u64::MAX)]);
        let ne = duration_intervals(CompareOp::Ne, DurationLiteral::Nanos(5));
        assert_eq!(ne, vec![(0, 4), (6, u64::MAX)]);
        assert!(duration_intervals(CompareOp::Lt, DurationLiteral::Nanos(0)).is_empty());
        assert_eq!(
            duration_intervals(CompareOp::Gt, DurationLiteral::Nanos(-5)),
            vec![(0, u64::MAX)]
        );
        // A float literal of 0.3 ms: the 300 000 ns span is `<= 0.3`, as in clarvynn.
        let le = duration_intervals(CompareOp::Le, DurationLiteral::Millis(0.3));
        assert_eq!(le, vec![(0, 300_000)]);
    }

    #[test]
    fn duration_text_is_exact_ottl() {
        assert_eq!(
            duration_present().render(),
            "span.end_time_unix_nano >= span.start_time_unix_nano and \
             (span.start_time_unix_nano > 0 or span.end_time_unix_nano < 0) or \
             span.start_time_unix_nano > 0 and span.end_time_unix_nano < 0"
        );
        assert_eq!(
            duration_in(&[(1_000_000_001, u64::MAX)]).render(),
            format!("{DURATION} < 0 or {DURATION} >= 1000000001")
        );
    }

    /// The presence test of [`duration_present`], on signed readings.
    fn present(s: i64, e: i64) -> bool {
        (e >= s && (s > 0 || e < 0)) || (s > 0 && e < 0)
    }

    proptest! {
        #[test]
        fn number_sides_agree_with_cpl(
            op in 0..6usize,
            literal in prop_oneof![any::<i64>().prop_map(Num::Int), any::<f64>().prop_filter("not NaN", |x| !x.is_nan()).prop_map(Num::Float)],
            value in prop_oneof![any::<i64>().prop_map(Num::Int), any::<f64>().prop_map(Num::Float)],
        ) {
            prop_assert!(agrees(OPS[op], literal, value));
        }

        #[test]
        fn presence_matches_cpl(start in any::<u64>(), end in any::<u64>()) {
            let cpl = start != 0 && end != 0 && end >= start;
            prop_assert_eq!(present(signed(start), signed(end)), cpl);
        }

        #[test]
        fn intervals_match_cpl(op in 0..6usize, t in any::<i64>(), millis in any::<f64>().prop_filter("not NaN", |x| !x.is_nan()), d in any::<u64>()) {
            let op = OPS[op];
            let nanos = i128::from(t);
            for (literal, expected) in [
                (DurationLiteral::Nanos(nanos), holds(op, Some(i128::from(d).cmp(&nanos)))),
                (DurationLiteral::Millis(millis), holds(op, nanos_to_millis(d).partial_cmp(&millis))),
            ] {
                let intervals = duration_intervals(op, literal);
                // The signed tests select exactly the intervals.
                let got = intervals.iter().any(|&(lo, hi)| {
                    at_least(lo).holds(signed(d)) && at_most(hi).holds(signed(d))
                });
                prop_assert_eq!(got, expected, "{:?} {:?} d={}", op, literal, d);
            }
        }
    }
}
