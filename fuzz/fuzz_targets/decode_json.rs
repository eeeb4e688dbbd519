//! Arbitrary bytes as one OTLP/JSON document: decoding never panics, keeping fewer
//! attributes changes nothing but the attributes left out, and whatever the serde
//! decoder accepts at `Fidelity::Full` the single-pass path (taken at
//! `Fidelity::Policy`) accepts with the same spans.
#![no_main]

use cpl_otlp::{
    decode_document_keeping, decode_document_with_fidelity, AttributeKeys, Fidelity, Leniency,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut all = Vec::new();
    let policy = decode_document_keeping(
        data,
        &mut all,
        Leniency::Strict,
        Fidelity::Policy,
        &AttributeKeys::all(),
    );
    let keys = AttributeKeys::only(["a", "http.route"], ["service.name"]);
    let mut some = Vec::new();
    let filtered =
        decode_document_keeping(data, &mut some, Leniency::Strict, Fidelity::Policy, &keys);
    assert_eq!(policy.is_ok(), filtered.is_ok());
    for (a, b) in all.iter().zip(&some) {
        let mut a = a.clone();
        a.attributes.retain(|kv| keys.keeps_span(&kv.key));
        assert_eq!(a.attributes, b.attributes);
        assert_eq!(
            (a.trace_id, a.span_id, a.encoded_len),
            (b.trace_id, b.span_id, b.encoded_len)
        );
    }
    let mut full = Vec::new();
    if decode_document_with_fidelity(data, &mut full, Leniency::Strict, Fidelity::Full).is_ok() {
        assert!(policy.is_ok());
        assert_eq!(full.len(), all.len());
        for (f, p) in full.iter().zip(&all) {
            let mut f = f.clone();
            f.detail = None;
            assert_eq!(&f, p);
        }
    }
});
