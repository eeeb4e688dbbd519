//! Generates the protobuf message types from the OTLP `.proto` files vendored in
//! `proto/` (opentelemetry-proto v1.10.0, as shipped in the `opentelemetry-proto`
//! crate 0.33.1). protox compiles them in Rust, so building needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = "opentelemetry/proto/trace/v1/trace.proto";
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile([file], ["proto"])?;
    // The .proto comments hold examples that rustdoc would run as doctests.
    prost_build::Config::new()
        .disable_comments(["."])
        .compile_fds(descriptors)?;
    Ok(())
}
