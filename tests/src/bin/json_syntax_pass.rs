//! The speed baseline of the README's performance table: a bare serde_json syntax pass
//! (every line of every input parsed into `IgnoredAny`, nothing kept) over the same
//! bytes `cpl replay` reads. Replay cannot read JSON faster than this without skipping
//! the syntax check, so its figures are given as a multiple of this one.
//!
//! `cargo run --release -p cpl-tests --bin json_syntax_pass -- FILE...`

use std::io::{BufRead, BufReader};

use serde::de::IgnoredAny;

fn main() {
    let mut lines = 0u64;
    let mut bytes = 0u64;
    let mut line = Vec::new();
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path).unwrap_or_else(|error| {
            eprintln!("cannot read {path}: {error}");
            std::process::exit(2);
        });
        let mut reader = BufReader::with_capacity(1 << 20, file);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => bytes += n as u64,
                Err(error) => {
                    eprintln!("cannot read {path}: {error}");
                    std::process::exit(2);
                }
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if serde_json::from_slice::<IgnoredAny>(&line).is_err() {
                eprintln!("{path}: line {} is not JSON", lines + 1);
            }
            lines += 1;
        }
    }
    eprintln!("{lines} lines, {bytes} bytes parsed");
}
