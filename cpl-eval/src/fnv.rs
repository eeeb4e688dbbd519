//! `fnv_sample`: the OpenTelemetry Collector's `probabilistic` hash test
//! (spec/sampling.md, "Hash sampling"). It is a different function of the trace id from
//! CPL's consistent threshold, kept bit-exact with the collector so that an imported
//! `probabilistic` policy samples the same traces.

/// 64-bit FNV-1a over `salt` followed by the 16 trace-id bytes.
///
/// ```
/// let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
/// assert_eq!(cpl_eval::fnv_hash(b"default-hash-seed", id), 0xa545_33ba_2e49_70b5);
/// ```
pub fn fnv_hash(salt: &[u8], trace_id: [u8; 16]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    salt.iter().chain(&trace_id).fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// The threshold of `sampling_percentage: percent`: (2^64 − 1) × (`percent` / 100),
/// rounded to a 64-bit significand (nearest, ties to even, as Go's `big.Float`) and
/// truncated; 0 for a ratio ≤ 0 (or NaN), 2^64 − 1 from ratio 1 up.
///
/// ```
/// assert_eq!(cpl_eval::fnv_threshold(10.0), 0x1999_9999_9999_99ff);
/// assert_eq!(cpl_eval::fnv_threshold(100.0), u64::MAX);
/// ```
pub fn fnv_threshold(percent: f64) -> u64 {
    fnv_ratio_threshold(percent / 100.0)
}

/// [`fnv_threshold`] of a ratio (`sampling_percentage / 100`, as the collector divides
/// it), for callers that hold the ratio.
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
pub fn fnv_ratio_threshold(ratio: f64) -> u64 {
    // NaN too: it is not greater than 0.
    if ratio.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return 0;
    }
    if ratio.is_infinite() {
        return u64::MAX;
    }
    // ratio = m × 2^e exactly.
    let bits = ratio.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    // Below 2^117: exact.
    let mut n = u128::from(u64::MAX) * u128::from(m);
    let len = 128 - n.leading_zeros();
    if len > 64 {
        let shift = len - 64;
        let rest = n & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        n >>= shift;
        if rest > half || (rest == half && n & 1 == 1) {
            n += 1;
        }
        e += shift as i32;
    }
    let value = if e >= 0 {
        if e > 63 {
            return u64::MAX;
        }
        n << e
    } else if e <= -128 {
        0
    } else {
        n >> (-e)
    };
    u64::try_from(value).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_match_the_reference_vectors() {
        // spec/sampling.md, "Hash sampling", from the reference implementation.
        assert_eq!(fnv_threshold(10.0), 0x1999_9999_9999_99ff);
        assert_eq!(fnv_threshold(1.0), 0x028f_5c28_f5c2_8f5f);
        assert_eq!(fnv_threshold(25.0), 0x3fff_ffff_ffff_ffff);
        assert_eq!(fnv_threshold(50.0), 0x7fff_ffff_ffff_ffff);
        assert_eq!(fnv_threshold(100.0), u64::MAX);
        assert_eq!(fnv_threshold(1000.0), u64::MAX);
        assert_eq!(fnv_threshold(f64::INFINITY), u64::MAX);
        assert_eq!(fnv_threshold(0.0), 0);
        assert_eq!(fnv_threshold(-5.0), 0);
        assert_eq!(fnv_threshold(f64::NAN), 0);
        assert_eq!(fnv_threshold(f64::MIN_POSITIVE), 0);
        assert_eq!(fnv_threshold(5e-324), 0);
    }

    #[test]
    fn hash_matches_the_reference_vector() {
        let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
        assert_eq!(fnv_hash(b"default-hash-seed", id), 0xa545_33ba_2e49_70b5);
        assert_eq!(
            fnv_hash(b"default-hash-seed", [0xff; 16]),
            0x17be_c373_9634_fe2d
        );
        assert_eq!(fnv_hash(b"", [0; 16]), {
            let mut h = 0xcbf2_9ce4_8422_2325_u64;
            for _ in 0..16 {
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        });
    }
}
