//! Every threshold verified against clarvynn 0.3.1 (../shared/reference/
//! clarvynn-0.3.1-thresholds.json) is reproduced bit for bit: T(p) equals the recorded
//! value, a trace with R = T is kept and one with R = T - 1 is dropped. Skipped when
//! ../shared is absent (the unit tests in src/threshold.rs hold a copy of a few values).

use serde_json::Value;

fn id_with_randomness(r: u64) -> [u8; 16] {
    let mut id = [0x5a; 16];
    id[9..].copy_from_slice(&r.to_be_bytes()[1..]);
    id
}

#[test]
fn every_verified_threshold() {
    let Some(path) = cpl_tests::shared_path("reference/clarvynn-0.3.1-thresholds.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("the thresholds file is readable");
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    let rows = json["rates"]
        .as_array()
        .into_iter()
        .chain(json["extra_rates"].as_array())
        .flatten();
    let mut checked = 0;
    for row in rows {
        let rate: f64 = row["base_rate"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .expect("base_rate");
        let Some(t) = row["T"].as_u64() else {
            // 0 keeps nothing and 1 keeps everything.
            assert_eq!(cpl_eval::threshold(rate), None, "no threshold at {rate}");
            let (lowest, highest) = (id_with_randomness(0), id_with_randomness((1 << 56) - 1));
            if rate >= 1.0 {
                assert!(cpl_eval::keeps(rate, lowest));
            } else {
                assert!(!cpl_eval::keeps(rate, highest));
            }
            checked += 1;
            continue;
        };
        assert_eq!(cpl_eval::threshold(rate), Some(t), "T({rate})");
        if t < 1 << 56 {
            assert!(
                cpl_eval::keeps(rate, id_with_randomness(t)),
                "R = T kept at {rate}"
            );
        } else {
            let highest = id_with_randomness((1 << 56) - 1);
            assert!(!cpl_eval::keeps(rate, highest), "nothing kept at {rate}");
        }
        assert!(
            !cpl_eval::keeps(rate, id_with_randomness(t - 1)),
            "R = T - 1 dropped at {rate}"
        );
        if let Some(hex) = row["T_hex14"].as_str().filter(|h| h.len() == 14) {
            assert_eq!(format!("{t:014x}"), hex, "hex of T({rate})");
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} rows");
}
