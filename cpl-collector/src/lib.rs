//! The OpenTelemetry Collector's `tail_sampling` processor (contrib v0.161.0),
//! as a second home for sampling policy.
//!
//! Teams that sample on content at scale run the collector: a load-balancing
//! tier routes by trace id to collectors running `tail_sampling`. This crate is
//! everything CPL knows about that processor, so that a CPL policy can be
//! deployed on it and an existing `tail_sampling` config can be linted,
//! replayed and diffed like a CPL policy:
//!
//! - [`ottl`]: the subset of OTTL that sampling conditions use, parsed with
//!   positions and evaluated on one span (or span event) as the collector does;
//! - `config`: reading a collector config (a whole collector YAML, a bare
//!   `tail_sampling` block, or a Kubernetes ConfigMap wrapping one) into typed,
//!   positioned `tail_sampling` policies;
//! - `decide`: deciding a whole trace exactly as `tail_sampling` v0.161.0 does
//!   (drop policies veto, then an OR of "sampled" votes);
//! - `compile`: a CPL policy to a `tail_sampling` config that keeps exactly
//!   the traces CPL keeps;
//! - `import`: a `tail_sampling` config to the equivalent CPL policy;
//! - `lint`: the lints of `cpl lint COLLECTOR.yaml` (the L4xx codes).
//!
//! The semantics are specified in `spec/targets/otel-collector.md` and proven
//! against the real collector by the conformance suite (`conformance/`).
//! Dependencies point one way: the CLI uses this crate; this crate uses
//! `cpl-syntax`, `cpl-check` (its logic engine and attribute-name rules, for the
//! lints), `cpl-eval` and `cpl-otlp`.

pub mod compile;
pub mod config;
pub mod decide;
pub mod import;
pub mod lint;
pub mod ottl;
pub mod policy;
