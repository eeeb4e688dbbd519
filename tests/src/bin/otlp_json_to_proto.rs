//! Converts an OTLP/JSON Lines capture into the collector file exporter's
//! `format: proto` stream (each line one `TracesData` message behind a 4-byte
//! big-endian length), for the README's JSON-vs-protobuf speed figures. The
//! spans are read at full fidelity, so the protobuf holds what the JSON held
//! (events, links, scopes, flags, trace state included).
//!
//! `cargo run --release -p cpl-tests --bin otlp_json_to_proto -- IN.jsonl OUT.pb`

use std::io::{BufRead, BufReader, BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: otlp_json_to_proto IN.jsonl OUT.pb");
        std::process::exit(2);
    };
    let fail = |what: &str, error: &dyn std::fmt::Display| -> ! {
        eprintln!("{what}: {error}");
        std::process::exit(2);
    };
    let reader = BufReader::new(std::fs::File::open(input).unwrap_or_else(|e| fail(input, &e)));
    let mut out =
        BufWriter::new(std::fs::File::create(output).unwrap_or_else(|e| fail(output, &e)));
    let mut records = 0u64;
    for line in reader.lines() {
        let line = line.unwrap_or_else(|e| fail(input, &e));
        if line.trim().is_empty() {
            continue;
        }
        // At full fidelity, so that the protobuf keeps events, links, scopes,
        // flags and trace state, as the JSON had them.
        let mut spans = Vec::new();
        cpl_otlp::decode_document_with_fidelity(
            line.as_bytes(),
            &mut spans,
            cpl_otlp::Leniency::Strict,
            cpl_otlp::Fidelity::Full,
        )
        .unwrap_or_else(|e| fail(input, &e));
        let message = cpl_otlp::encode_traces_data(&spans);
        let len = u32::try_from(message.len()).unwrap_or_else(|e| fail("record", &e));
        out.write_all(&len.to_be_bytes())
            .and_then(|()| out.write_all(&message))
            .unwrap_or_else(|e| fail(output, &e));
        records += 1;
    }
    out.flush().unwrap_or_else(|e| fail(output, &e));
    eprintln!("{records} records written");
}
