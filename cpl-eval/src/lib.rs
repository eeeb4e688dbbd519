//! Compiled evaluation of CPL policies, OTLP reading and replay.
#![warn(missing_docs)]

pub mod otlp;
