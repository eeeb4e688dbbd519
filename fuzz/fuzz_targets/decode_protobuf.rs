//! The OTLP protobuf decoder on arbitrary bytes, as one message and as a
//! length-prefixed record: it must never panic, a decoded message's span bytes
//! add up to its size, and an error's offset lies inside the input. At
//! `Fidelity::Policy` (the direct wire walk, falling back to prost), a filter on
//! attribute keys changes nothing but the attributes kept.
#![no_main]

use std::sync::Arc;

use cpl_otlp::{
    decode_raw, AttributeKeys, Decoded, Encoding, Fidelity, Leniency, RawDocument, TraceReader,
};
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
    // At Fidelity::Policy, with every attribute and with a few.
    let policy = |keys: AttributeKeys| {
        decode_raw(
            &name,
            RawDocument {
                bytes: data.to_vec(),
                size: data.len() as u64 + 4,
                encoding: Encoding::Protobuf,
                compressed: false,
                line: 0,
                offset: 0,
                leniency: Leniency::Strict,
                fidelity: Fidelity::Policy,
                keys: Arc::new(keys),
            },
        )
    };
    let keys = AttributeKeys::only(["a", "http.route"], ["service.name"]);
    match (policy(AttributeKeys::all()), policy(keys.clone())) {
        (Decoded::Traces(all), Decoded::Traces(kept)) => {
            let sum: u64 = kept.spans.iter().map(|s| s.encoded_len).sum();
            assert!(kept.spans.is_empty() || sum == data.len() as u64 + 4);
            assert_eq!(all.spans.len(), kept.spans.len());
            for (mut all, kept) in all.spans.into_iter().zip(kept.spans) {
                all.attributes.retain(|kv| keys.keeps_span(&kv.key));
                let mut resource = (*all.resource).clone();
                resource.attributes.retain(|kv| keys.keeps_resource(&kv.key));
                all.resource = Arc::new(resource);
                assert_eq!(all, kept);
            }
        }
        (Decoded::Error(all), Decoded::Error(kept)) => assert_eq!(all, kept),
        (Decoded::OtherSignal, Decoded::OtherSignal) => {}
        _ => panic!("a filter on attribute keys changed what decodes"),
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
