//! The format sniffer on arbitrary bytes: the pure rules never panic and decide
//! on the first `SNIFF_BYTES` bytes alone, and a reader over the whole input (any
//! format it detects, compressed or not) never panics and reads positions inside
//! the input.
#![no_main]

use cpl_otlp::{from_reader, Compression, InputFormat, SNIFF_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = &data[..data.len().min(SNIFF_BYTES)];
    let format = InputFormat::detect(head);
    if data.len() > SNIFF_BYTES {
        // More bytes after the head change nothing.
        assert_eq!(InputFormat::detect(&data[..SNIFF_BYTES]), format);
    }
    assert_eq!(format == InputFormat::Empty, data.is_empty());
    let compression = Compression::detect(data);
    assert_eq!(Compression::detect(&data[..data.len().min(4)]), compression);
    let Ok(reader) = from_reader(std::io::Cursor::new(data.to_vec()), "fuzz") else {
        return;
    };
    let reader = reader.with_max_document_bytes(1 << 20);
    // Decompressed input can be larger than `data`; bound the work instead.
    for item in reader.take(10_000) {
        drop(item);
    }
});
