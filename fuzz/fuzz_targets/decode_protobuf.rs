//! The OTLP protobuf decoder on arbitrary bytes, as one message and as a
//! length-prefixed record: it must never panic, a decoded message's span bytes
//! add up to its size, and an error's offset lies inside the input.
#![no_main]

use std::sync::Arc;

use cpl_otlp::{decode_raw, Decoded, Encoding, Fidelity, Leniency, RawDocument, TraceReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name: Arc<str> = Arc::from("fuzz");
    let raw = RawDocument {
        bytes: data.to_vec(),
        size: data.len() as u64,
        encoding: Encoding::Protobuf,
        compressed: false,
        line: 0,
        offset: 0,
        leniency: Leniency::Strict,
        fidelity: Fidelity::Full,
        keys: Arc::default(),
    };
    match decode_raw(&name, raw) {
        Decoded::Traces(batch) => {
            if !batch.spans.is_empty() {
                let sum: u64 = batch.spans.iter().map(|s| s.encoded_len).sum();
                assert_eq!(sum, data.len() as u64);
            }
        }
        Decoded::Error(error) => assert!(error.line_offset <= data.len() as u64),
        Decoded::OtherSignal => {}
    }
    // The same bytes as the collector file exporter's records.
    let mut framed = u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes().to_vec();
    framed.extend_from_slice(data);
    let reader = TraceReader::new(framed.as_slice(), "fuzz").with_max_document_bytes(1 << 20);
    for item in reader {
        if let Err(error) = item {
            assert!(error.line_offset <= framed.len() as u64);
        }
    }
});
