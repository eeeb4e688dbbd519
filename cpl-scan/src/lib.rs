//! `cpl scan`: every sampler setting in a codebase and its manifests, and what
//! each service really samples in each environment.
//!
//! Sampling is rarely configured in one file. It is spread over SDK code in
//! several languages, environment variables in Kubernetes manifests, Helm
//! values, kustomize overlays, compose and `.env` files, the OpenTelemetry
//! Operator's `Instrumentation` resources, declarative SDK config files,
//! collector configs, Jaeger strategies and CPL/clarvynn policies. This crate
//! finds them all, resolves precedence the way each SDK does, and reports
//! drift between environments and services
//! (`../shared/reference/sampler-settings-scan.md` is the research behind it).
//!
//! - [`model`]: the vocabulary every layer shares: positions, SDK languages,
//!   sampler trees and ratios;
//! - [`code`]: SDK code read with tree-sitter (Go, Python, Java,
//!   JavaScript/TypeScript, C#).
//!
//! Dependencies point one way: the CLI uses this crate; it reads no process
//! environment (values come only from the scanned files) and prints nothing.

pub mod code;
pub mod model;
