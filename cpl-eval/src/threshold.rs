//! The consistent threshold: how a probability becomes a keep/drop decision.
//!
//! Every rate of a policy is applied by trace id, so every service and every replay
//! decides a trace the same way (spec/sampling.md, "The consistent threshold"). The
//! arithmetic is bit-exact with clarvynn 0.3.1's span processor and with OTEP 235: the
//! threshold is computed in binary64 and truncated, never with integer arithmetic,
//! because the two differ by a few units and the decisions must match.

/// 2^56 as an exact double.
const TWO_POW_56: f64 = 72_057_594_037_927_936.0;

/// The sampling randomness R of a trace id: its low 56 bits, i.e. its last 7 bytes
/// read as a big-endian integer. The upper 72 bits are ignored.
pub fn randomness(trace_id: [u8; 16]) -> u64 {
    let [_, _, _, _, _, _, _, _, low @ ..] = trace_id;
    u64::from_be_bytes(low) & 0x00ff_ffff_ffff_ffff
}

/// The rejection threshold T(p) = `trunc((1.0 - p) * 2^56)` in binary64, for
/// `0 < p < 1`. `None` when no threshold applies: `p >= 1` keeps everything and
/// `p <= 0` (or NaN) keeps nothing.
///
/// Rates of at most 2^-54 give T = 2^56, which no randomness reaches.
///
/// ```
/// assert_eq!(cpl_eval::threshold(0.01), Some(71_337_018_097_548_656));
/// assert_eq!(cpl_eval::threshold(0.5), Some(1 << 55));
/// assert_eq!(cpl_eval::threshold(1.0), None);
/// ```
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn threshold(p: f64) -> Option<u64> {
    // `p > 0.0` is false for NaN too.
    if p > 0.0 && p < 1.0 {
        // 0 < 1 - p < 1, so the product is in (0, 2^56]: the cast truncates and is exact.
        Some(((1.0 - p) * TWO_POW_56) as u64)
    } else {
        None
    }
}

/// Whether a trace is kept at probability `p`: `p >= 1`, or `p > 0` and
/// `T(p) <= R(trace_id)`.
///
/// ```
/// let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
/// assert!(cpl_eval::keeps(0.25, id));
/// assert!(!cpl_eval::keeps(0.1, id));
/// ```
pub fn keeps(p: f64, trace_id: [u8; 16]) -> bool {
    if p >= 1.0 {
        return true;
    }
    threshold(p).is_some_and(|t| t <= randomness(trace_id))
}

/// A probability with its threshold computed once, for rates known at compile time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    /// The probability as written.
    pub(crate) p: f64,
    /// `T(p)`, or `None` when `p` keeps everything (`p >= 1`) or nothing.
    threshold: Option<u64>,
}

impl Rate {
    pub(crate) fn new(p: f64) -> Self {
        Self {
            p,
            threshold: threshold(p),
        }
    }

    /// Exactly [`keeps`]`(self.p, trace_id)`.
    #[inline]
    pub(crate) fn keeps(self, trace_id: [u8; 16]) -> bool {
        match self.threshold {
            Some(t) => t <= randomness(trace_id),
            None => self.p >= 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trace id whose randomness is `r` (and whose upper bytes are not zero, to show
    /// they are ignored).
    fn id_with_randomness(r: u64) -> [u8; 16] {
        let mut id = [0xab; 16];
        id[9..].copy_from_slice(&r.to_be_bytes()[1..]);
        id
    }

    /// A copy of verified values from clarvynn-0.3.1-thresholds.json, so that CI
    /// without ../shared still checks bit-exactness.
    const VERIFIED: &[(f64, u64)] = &[
        (0.0001, 72_050_388_278_524_144),
        (0.001, 71_985_536_443_890_008),
        (0.01, 71_337_018_097_548_656),
        (0.05, 68_454_714_336_031_536),
        (0.1, 64_851_834_634_135_144),
        (0.25, 54_043_195_528_445_952),
        (0.3, 50_440_315_826_549_552),
        (0.333_333_333_333_333_3, 48_038_396_025_285_296),
        (0.5, 36_028_797_018_963_968),
        (0.75, 18_014_398_509_481_984),
        (0.999, 72_057_594_037_928),
        (0.999_999_999_999_999_9, 8),
        (1.387_778_780_781_445_7e-17, 1 << 56),
        (1e-17, 1 << 56),
        (1e-20, 1 << 56),
    ];

    #[test]
    fn verified_thresholds_are_reproduced_bit_for_bit() {
        for &(p, t) in VERIFIED {
            assert_eq!(threshold(p), Some(t), "T({p})");
            if t < 1 << 56 {
                assert!(keeps(p, id_with_randomness(t)), "R = T kept at {p}");
            }
            assert!(
                !keeps(p, id_with_randomness(t - 1)),
                "R = T - 1 dropped at {p}"
            );
        }
    }

    #[test]
    fn zero_and_one_need_no_threshold() {
        assert_eq!(threshold(0.0), None);
        assert_eq!(threshold(1.0), None);
        assert_eq!(threshold(f64::NAN), None);
        let max = id_with_randomness((1 << 56) - 1);
        let min = id_with_randomness(0);
        assert!(!keeps(0.0, max));
        assert!(!keeps(-0.0, max));
        assert!(!keeps(f64::NAN, max));
        assert!(keeps(1.0, min));
        assert!(keeps(1.5, min));
    }

    #[test]
    fn randomness_is_the_last_seven_bytes_big_endian() {
        let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128.to_be_bytes();
        assert_eq!(randomness(id), 0x00ce_929d_0e0e_4736);
        assert_eq!(randomness(id), 58_145_048_445_732_662);
        assert!(keeps(0.25, id) && keeps(0.5, id));
        assert!(!keeps(0.01, id) && !keeps(0.1, id));
    }

    #[test]
    fn precomputed_rates_decide_like_keeps() {
        let rates = [
            0.0,
            -1.0,
            f64::NAN,
            1e-17,
            0.01,
            0.5,
            0.999_999_999_999_999_9,
            1.0,
            2.0,
        ];
        for p in rates {
            let rate = Rate::new(p);
            for r in [0, 7, 8, 1 << 55, (1 << 56) - 1] {
                let id = id_with_randomness(r);
                assert_eq!(rate.keeps(id), keeps(p, id), "p = {p}, R = {r}");
            }
        }
    }

    #[test]
    fn decisions_are_nested() {
        let rates = [0.0, 1e-17, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0];
        for r in [0, 1, 8, 1 << 40, 1 << 55, (1 << 56) - 1] {
            let id = id_with_randomness(r);
            let kept: Vec<bool> = rates.iter().map(|&p| keeps(p, id)).collect();
            // Once kept at some rate, kept at every larger rate.
            assert!(kept.windows(2).all(|w| !w[0] || w[1]), "R = {r}: {kept:?}");
        }
    }
}
