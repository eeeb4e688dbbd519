//! Exact numbers: the order of ints and doubles by mathematical value, the next value
//! above a number, and duration milliseconds.
//!
//! The engine decides `x > 499 AND x < 500` by asking whether some value lies strictly
//! between two bounds. Over CPL's numbers (every `i64` and every double, spec/types.md)
//! the answer needs the *next* value above a bound, which is the smaller of the next
//! integer and the next double. Doing this exactly is what keeps the engine from ever
//! calling a satisfiable condition unsatisfiable.

use std::cmp::Ordering;

use cpl_syntax::ast::CompareOp;

pub(crate) use cpl_syntax::values::{cmp_int_float, cmp_num, holds, nanos_to_millis, Num};

/// 2^63 as an exact double: the first double above every `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// The order of two non-NaN numbers (NaN sorts as equal; callers exclude it).
pub(crate) fn order(a: Num, b: Num) -> Ordering {
    cmp_num(a, b).unwrap_or(Ordering::Equal)
}

/// The smallest double strictly above the integer `i`.
#[allow(clippy::cast_precision_loss)]
fn double_above(i: i64) -> f64 {
    let f = i as f64;
    if cmp_int_float(i, f) == Some(Ordering::Less) {
        f
    } else {
        f.next_up()
    }
}

/// The smallest value above `x`: among ints and doubles, or among ints only.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn next_up(x: Num, ints_only: bool) -> Option<Num> {
    let next_int = match x {
        Num::Int(i) => i.checked_add(1),
        Num::Float(f) if f.is_nan() => return None,
        Num::Float(f) if f < -TWO_POW_63 => Some(i64::MIN),
        Num::Float(f) if f >= TWO_POW_63 - 1024.0 => None,
        // floor(f) fits an i64 and is at most 2^63 - 2048, so the addition cannot overflow.
        Num::Float(f) => Some(f.floor() as i64 + 1),
    }
    .map(Num::Int);
    if ints_only {
        return next_int;
    }
    let next_float = match x {
        Num::Int(i) => Some(double_above(i)),
        Num::Float(f) if f == f64::INFINITY => None,
        Num::Float(f) => Some(f.next_up()),
    }
    .map(Num::Float);
    match (next_int, next_float) {
        (Some(a), Some(b)) => Some(if order(a, b) == Ordering::Greater {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

/// The least int `>= x` (or `> x` when `strict`), if there is one.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn least_int(x: Num, strict: bool) -> Option<i64> {
    match x {
        Num::Int(i) => {
            if strict {
                i.checked_add(1)
            } else {
                Some(i)
            }
        }
        Num::Float(f) if f.is_nan() => None,
        Num::Float(f) if f < -TWO_POW_63 => Some(i64::MIN),
        Num::Float(f) if f >= TWO_POW_63 => None,
        Num::Float(f) => {
            let ceil = f.ceil();
            let value = ceil as i64;
            #[allow(clippy::float_cmp)]
            if strict && ceil == f {
                value.checked_add(1)
            } else {
                Some(value)
            }
        }
    }
}

/// The greatest int `<= x` (or `< x` when `strict`), if there is one.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn greatest_int(x: Num, strict: bool) -> Option<i64> {
    match x {
        Num::Int(i) => {
            if strict {
                i.checked_sub(1)
            } else {
                Some(i)
            }
        }
        Num::Float(f) if f.is_nan() => None,
        Num::Float(f) if f >= TWO_POW_63 => Some(i64::MAX),
        Num::Float(f) if f < -TWO_POW_63 => None,
        Num::Float(f) => {
            let floor = f.floor();
            let value = floor as i64;
            #[allow(clippy::float_cmp)]
            if strict && floor == f {
                value.checked_sub(1)
            } else {
                Some(value)
            }
        }
    }
}

/// The largest duration a span can have: end and start are u64 nanoseconds, start ≥ 1.
pub(crate) const MAX_DURATION: i128 = u64::MAX as i128 - 1;

/// The set of durations `d` (nanoseconds) for which `nanos_to_millis(d) op x` holds, as
/// sorted disjoint closed intervals within `[0, MAX_DURATION]`.
pub(crate) fn float_millis_set(op: CompareOp, x: f64) -> Vec<(i128, i128)> {
    // nanos_to_millis is monotone, so each of these is a threshold found by bisection.
    let above = first_duration(|d| nanos_to_millis(d) > x);
    let at_least = first_duration(|d| nanos_to_millis(d) >= x);
    let all = (0, MAX_DURATION);
    let up_to = |end: i128| -> Vec<(i128, i128)> {
        if end > 0 {
            vec![(0, end - 1)]
        } else {
            Vec::new()
        }
    };
    let from = |start: i128| -> Vec<(i128, i128)> {
        if start <= MAX_DURATION {
            vec![(start, MAX_DURATION)]
        } else {
            Vec::new()
        }
    };
    match op {
        CompareOp::Gt => from(above),
        CompareOp::Ge => from(at_least),
        CompareOp::Lt => up_to(at_least),
        CompareOp::Le => up_to(above),
        CompareOp::Eq => {
            if at_least < above {
                vec![(at_least, above - 1)]
            } else {
                Vec::new()
            }
        }
        CompareOp::Ne => {
            if at_least < above {
                complement(&[(at_least, above - 1)], all)
            } else {
                vec![all]
            }
        }
    }
}

/// The least duration for which `pred` holds (`MAX_DURATION + 1` when none does);
/// `pred` must be monotone (false, then true).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn first_duration(pred: impl Fn(u64) -> bool) -> i128 {
    let (mut lo, mut hi) = (0_i128, MAX_DURATION + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid as u64) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The complement of sorted disjoint closed intervals within `domain`.
pub(crate) fn complement(set: &[(i128, i128)], domain: (i128, i128)) -> Vec<(i128, i128)> {
    let mut out = Vec::new();
    let mut next = domain.0;
    for &(lo, hi) in set {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = next.max(hi + 1);
    }
    if next <= domain.1 {
        out.push((next, domain.1));
    }
    out
}

/// The intersection of two sets of sorted disjoint closed intervals.
pub(crate) fn intersect(a: &[(i128, i128)], b: &[(i128, i128)]) -> Vec<(i128, i128)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The integers `v` of `domain` with `v op c`, as sorted disjoint closed intervals.
pub(crate) fn int_set(op: CompareOp, c: i128, domain: (i128, i128)) -> Vec<(i128, i128)> {
    let clamp = |lo: i128, hi: i128| -> Vec<(i128, i128)> {
        let (lo, hi) = (lo.max(domain.0), hi.min(domain.1));
        if lo <= hi {
            vec![(lo, hi)]
        } else {
            Vec::new()
        }
    };
    match op {
        CompareOp::Eq => clamp(c, c),
        CompareOp::Ne => complement(&clamp(c, c), domain),
        CompareOp::Lt => clamp(domain.0, c - 1),
        CompareOp::Le => clamp(domain.0, c),
        CompareOp::Gt => clamp(c + 1, domain.1),
        CompareOp::Ge => clamp(c, domain.1),
    }
}

/// A round value in `[lo, hi]`: `lo` rounded up to its leading digit, else `lo`.
pub(crate) fn round_in(lo: i128, hi: i128) -> i128 {
    if lo <= 0 && hi >= 0 {
        return 0;
    }
    if lo > 0 {
        let mut unit: i128 = 1;
        while unit * 10 <= lo {
            unit *= 10;
        }
        while unit > 1 {
            let v = (lo + unit - 1) / unit * unit;
            if v <= hi {
                return v;
            }
            unit /= 10;
        }
    }
    lo
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn next_values_are_exact() {
        assert_eq!(
            next_up(Num::Int(499), false),
            Some(Num::Float(499.0f64.next_up()))
        );
        assert_eq!(next_up(Num::Int(499), true), Some(Num::Int(500)));
        assert_eq!(
            next_up(Num::Float(0.5), false),
            Some(Num::Float(0.5f64.next_up()))
        );
        assert_eq!(next_up(Num::Float(f64::INFINITY), false), None);
        assert_eq!(
            next_up(Num::Float(f64::NEG_INFINITY), false),
            Some(Num::Float(f64::MIN))
        );
        assert_eq!(
            next_up(Num::Float(9_007_199_254_740_992.0), false),
            Some(Num::Int(9_007_199_254_740_993))
        );
        assert_eq!(least_int(Num::Float(499.5), false), Some(500));
        assert_eq!(least_int(Num::Float(500.0), true), Some(501));
        assert_eq!(greatest_int(Num::Float(499.5), true), Some(499));
    }

    #[test]
    fn float_milliseconds_sets() {
        // duration_ms <= 0.3 holds for exactly 300 000 ns and below.
        assert_eq!(float_millis_set(CompareOp::Le, 0.3), vec![(0, 300_000)]);
        assert_eq!(
            float_millis_set(CompareOp::Eq, 1.5),
            vec![(1_500_000, 1_500_000)]
        );
        assert!(float_millis_set(CompareOp::Gt, f64::INFINITY).is_empty());
        assert_eq!(
            float_millis_set(CompareOp::Ge, -1.0),
            vec![(0, MAX_DURATION)]
        );
    }

    #[test]
    fn round_values() {
        assert_eq!(round_in(1_000_000_001, i128::MAX), 2_000_000_000);
        assert_eq!(round_in(501, 501), 501);
        assert_eq!(round_in(-5, 5), 0);
    }
}
