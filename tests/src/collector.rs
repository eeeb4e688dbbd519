//! Runs the reference OpenTelemetry Collector (`conformance/otelcol`, contrib v0.161.0)
//! deterministically over recorded OTLP/JSON and reports which traces it kept.
//!
//! The protocol (see `conformance/README.md`):
//!
//! 1. The caller's `tail_sampling` processor block (YAML whose one top-level key is
//!    `tail_sampling` or `tail_sampling/<name>`) goes under `processors:` of a generated
//!    config: an OTLP/HTTP receiver on a free loopback port, the file exporter writing
//!    JSON, no telemetry metrics listener. A second `--config` file is merged over it and
//!    pins what would make the outcome depend on time: `decision_wait: 3600s` (nothing is
//!    decided while traffic arrives), `decision_wait_after_root_received: 0s`,
//!    `num_traces: 1000000` (nothing is evicted), `num_shards: 1`,
//!    `drop_pending_traces_on_shutdown: false`.
//! 2. Each request body (an `ExportTraceServiceRequest` in OTLP/JSON) is POSTed to
//!    `/v1/traces`, in order, and must be answered 200.
//! 3. SIGTERM: the collector shuts down receiver first, then tail_sampling, which decides
//!    every pending trace on the spans it has, then the file exporter, which flushes.
//! 4. The exporter file has one JSON line per kept trace; the kept trace ids are read
//!    from it, with the `tailsampling.policy` scope attribute that the
//!    [`RECORD_POLICY_GATE`] feature gate adds (the first policy that voted to sample).
//!
//! Every wait has a deadline and the child is killed on every early return, so a run
//! never hangs and never leaves a collector behind.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the collector binary to use instead of the build path.
pub const BINARY_ENV: &str = "CPL_OTELCOL";
/// Environment variable that turns a missing collector from a loud skip into a failure
/// (CI sets it whenever `go` is installed).
pub const REQUIRE_ENV: &str = "CPL_REQUIRE_COLLECTOR";
/// The alpha feature gate that records the deciding policy on each kept trace.
pub const RECORD_POLICY_GATE: &str = "processor.tailsamplingprocessor.recordpolicy";

/// How long the collector may take to open its port, and to exit after SIGTERM.
const START_DEADLINE: Duration = Duration::from_secs(90);
const EXIT_DEADLINE: Duration = Duration::from_secs(90);
/// Per-request deadline for the POSTs.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Where `conformance/build-collector.sh` puts the binary: `<target>/otelcol-cpl/otelcol-cpl`,
/// with `<target>` = `$CARGO_TARGET_DIR` or the workspace's `target/`.
pub fn default_binary_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    target.join("otelcol-cpl").join("otelcol-cpl")
}

/// The reference collector binary: `$CPL_OTELCOL` if set, otherwise
/// [`default_binary_path`], if it exists.
///
/// When it does not, the skip is announced on the real standard error (as
/// [`crate::shared_path`] does) with the command that builds it, and the test fails if
/// `CPL_REQUIRE_COLLECTOR` is set.
pub fn collector_binary() -> Option<PathBuf> {
    let (path, origin) = match std::env::var_os(BINARY_ENV) {
        Some(path) => (PathBuf::from(path), BINARY_ENV),
        None => (default_binary_path(), "the build path"),
    };
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os(REQUIRE_ENV).is_none(),
        "{REQUIRE_ENV} is set but the reference collector {} ({origin}) does not exist; \
         build it with `bash conformance/build-collector.sh`",
        path.display()
    );
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED: {test}: reference collector {} ({origin}) not found; \
         build it with `bash conformance/build-collector.sh` (needs Go) to run the conformance suite",
        path.display()
    );
    None
}

/// One run of the collector.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The processor block: YAML whose one top-level key is `tail_sampling` or
    /// `tail_sampling/<name>`, exactly as it would appear under `processors:`.
    pub tail_sampling: &'a str,
    /// `ExportTraceServiceRequest` bodies in OTLP/JSON, POSTed in this order.
    pub requests: &'a [String],
    /// Feature gates to enable (`--feature-gates=a,b`), e.g. [`RECORD_POLICY_GATE`].
    pub feature_gates: &'a [&'a str],
}

/// What the collector exported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    /// Every exported trace id (32 lowercase hex digits), with the `tailsampling.policy`
    /// scope attribute when the collector recorded one (only with [`RECORD_POLICY_GATE`]).
    pub traces: BTreeMap<String, Option<String>>,
    /// The collector's log (standard error and output), for diagnosing a mismatch.
    pub log: String,
}

/// Why a run gave no answer.
#[derive(Debug)]
pub enum RunError {
    /// The processor block has no top-level `tail_sampling[/name]` key.
    NoProcessor,
    /// The collector exited before it opened its port (bad config, unknown feature gate).
    Startup { status: ExitStatus, log: String },
    /// A wait ran out (start, request or exit); the collector was killed.
    Timeout { what: &'static str, log: String },
    /// A POST was refused or answered with something other than 200.
    Request {
        index: usize,
        message: String,
        log: String,
    },
    /// The collector exited with a failure status after SIGTERM.
    Exit { status: ExitStatus, log: String },
    /// The exporter file was missing or not the expected JSON.
    Output { message: String, log: String },
    /// A scratch file could not be written or the binary not started.
    Io(std::io::Error),
}

impl RunError {
    /// The collector's log, when it got far enough to write one.
    pub fn log(&self) -> &str {
        match self {
            RunError::Startup { log, .. }
            | RunError::Timeout { log, .. }
            | RunError::Request { log, .. }
            | RunError::Exit { log, .. }
            | RunError::Output { log, .. } => log,
            RunError::NoProcessor | RunError::Io(_) => "",
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::NoProcessor => write!(
                f,
                "the processor block has no top-level `tail_sampling` or `tail_sampling/<name>` key"
            ),
            RunError::Startup { status, log } => {
                write!(f, "the collector did not start ({status}):\n{log}")
            }
            RunError::Timeout { what, log } => write!(f, "timed out {what}; log:\n{log}"),
            RunError::Request {
                index,
                message,
                log,
            } => write!(f, "request {index} failed: {message}; log:\n{log}"),
            RunError::Exit { status, log } => {
                write!(f, "the collector exited with {status}; log:\n{log}")
            }
            RunError::Output { message, log } => {
                write!(f, "bad exporter output: {message}; log:\n{log}")
            }
            RunError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<std::io::Error> for RunError {
    fn from(error: std::io::Error) -> Self {
        RunError::Io(error)
    }
}

/// Kills and reaps the collector unless it has already exited, whatever path the run takes.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `binary` (the reference collector), as the module documentation describes.
///
/// otelcol installs its SIGTERM handler only after the service is ready (`Run` in
/// `otelcol/collector.go`), so on a loaded machine the SIGTERM of step 3 can arrive
/// first and kill it outright. Such a run is repeated, at most twice: the input and
/// configuration are the same, so the outcome is too.
pub fn run(binary: &Path, run: &Run<'_>) -> Result<Kept, RunError> {
    let mut attempts = 0;
    loop {
        match run_once(binary, run) {
            Err(RunError::Exit { status, .. }) if killed_by_sigterm(status) && attempts < 2 => {
                attempts += 1;
            }
            result => return result,
        }
    }
}

#[cfg(unix)]
fn killed_by_sigterm(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal() == Some(15)
}

#[cfg(not(unix))]
fn killed_by_sigterm(_: ExitStatus) -> bool {
    false
}

fn run_once(binary: &Path, run: &Run<'_>) -> Result<Kept, RunError> {
    let processor = processor_id(run.tail_sampling).ok_or(RunError::NoProcessor)?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("exported.jsonl");
    let log_path = dir.path().join("collector.log");
    let port = free_port()?;

    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        base_config(&processor, run.tail_sampling, port, &out),
    )?;
    let pins = dir.path().join("deterministic.yaml");
    std::fs::write(&pins, deterministic_overrides(&processor))?;

    let log_file = std::fs::File::create(&log_path)?;
    let mut command = Command::new(binary);
    command
        .arg(format!("--config=file:{}", config.display()))
        .arg(format!("--config=file:{}", pins.display()))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    if !run.feature_gates.is_empty() {
        command.arg(format!("--feature-gates={}", run.feature_gates.join(",")));
    }
    let mut guard = Guard(command.spawn()?);
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    // Ready when the receiver accepts connections: it starts after the processor and exporter.
    let started = Instant::now();
    loop {
        if let Some(status) = guard.0.try_wait()? {
            return Err(RunError::Startup { status, log: log() });
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            break;
        }
        if started.elapsed() > START_DEADLINE {
            return Err(RunError::Timeout {
                what: "waiting for the collector to open its port",
                log: log(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_DEADLINE))
            .http_status_as_error(false)
            .build(),
    );
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    for (index, body) in run.requests.iter().enumerate() {
        let response = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.as_str());
        match response {
            Ok(mut response) if response.status() == 200 => {
                // Drain the body so the connection can be reused.
                let _ = response.body_mut().read_to_string();
            }
            Ok(mut response) => {
                let status = response.status();
                let text = response.body_mut().read_to_string().unwrap_or_default();
                return Err(RunError::Request {
                    index,
                    message: format!("HTTP {status}: {text}"),
                    log: log(),
                });
            }
            Err(error) => {
                return Err(RunError::Request {
                    index,
                    message: error.to_string(),
                    log: log(),
                })
            }
        }
    }

    let pid = rustix::process::Pid::from_child(&guard.0);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)
        .map_err(|error| RunError::Io(error.into()))?;
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = guard.0.try_wait()? {
            break status;
        }
        if stopping.elapsed() > EXIT_DEADLINE {
            return Err(RunError::Timeout {
                what: "waiting for the collector to exit after SIGTERM",
                log: log(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !status.success() {
        return Err(RunError::Exit { status, log: log() });
    }

    let exported = std::fs::read_to_string(&out).map_err(|error| RunError::Output {
        message: format!("{}: {error}", out.display()),
        log: log(),
    })?;
    let traces = kept_traces(&exported).map_err(|message| RunError::Output {
        message,
        log: log(),
    })?;
    Ok(Kept { traces, log: log() })
}

/// The request bodies in an OTLP/JSON file: each JSON document in it (one per line in a
/// `.jsonl` capture, or pretty-printed documents one after another) is one request.
pub fn requests_from_file(path: &Path) -> Result<Vec<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .map(|document| {
            document
                .map(|value| value.to_string())
                .map_err(|error| format!("{}: {error}", path.display()))
        })
        .collect()
}

/// The processor id: the first top-level key of the block, if it is `tail_sampling[/name]`.
fn processor_id(block: &str) -> Option<String> {
    let line = block.lines().find(|line| {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with("---")
    })?;
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let key = line
        .split(':')
        .next()?
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    (key == "tail_sampling" || key.starts_with("tail_sampling/")).then(|| key.to_string())
}

fn free_port() -> std::io::Result<u16> {
    // The port is free when we let go of it; the collector binds it milliseconds later.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn base_config(processor: &str, block: &str, port: u16, out: &Path) -> String {
    let mut processors = String::new();
    // A document marker (`cpl compile` writes one) cannot stand inside the mapping.
    for line in block.lines().filter(|line| line.trim_end() != "---") {
        processors.push_str("  ");
        processors.push_str(line);
        processors.push('\n');
    }
    let out = quoted(&out.display().to_string());
    let processor = quoted(processor);
    format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
processors:
{processors}
exporters:
  file:
    path: {out}
    format: json
service:
  telemetry:
    metrics: {{level: none}}
    logs: {{level: info}}
  pipelines:
    traces: {{receivers: [otlp], processors: [{processor}], exporters: [file]}}
"
    )
}

fn deterministic_overrides(processor: &str) -> String {
    let processor = quoted(processor);
    format!(
        "processors:
  {processor}:
    decision_wait: 3600s
    decision_wait_after_root_received: 0s
    num_traces: 1000000
    num_shards: 1
    drop_pending_traces_on_shutdown: false
"
    )
}

/// Trace ids (and recorded policy) from the exporter's JSON lines, one `TracesData` a line.
fn kept_traces(exported: &str) -> Result<BTreeMap<String, Option<String>>, String> {
    use serde_json::Value;
    let mut traces: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (number, line) in exported.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let data: Value =
            serde_json::from_str(line).map_err(|error| format!("line {}: {error}", number + 1))?;
        let resources = data["resourceSpans"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for scope_spans in resources
            .iter()
            .filter_map(|resource| resource["scopeSpans"].as_array())
            .flatten()
        {
            let policy = scope_spans["scope"]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|attribute| attribute["key"] == "tailsampling.policy")
                .and_then(|attribute| attribute["value"]["stringValue"].as_str())
                .map(str::to_string);
            for span in scope_spans["spans"].as_array().into_iter().flatten() {
                let id = span["traceId"]
                    .as_str()
                    .ok_or_else(|| format!("line {}: a span without traceId", number + 1))?
                    .to_ascii_lowercase();
                match traces.get(&id) {
                    Some(seen) if *seen != policy && policy.is_some() && seen.is_some() => {
                        return Err(format!(
                            "trace {id} exported with two policies: {seen:?} and {policy:?}"
                        ));
                    }
                    Some(Some(_)) => {}
                    _ => {
                        traces.insert(id, policy.clone());
                    }
                }
            }
        }
    }
    Ok(traces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processor_id_is_the_first_top_level_key() {
        assert_eq!(
            processor_id("# c\n\ntail_sampling:\n  policies: []\n").as_deref(),
            Some("tail_sampling")
        );
        assert_eq!(
            processor_id("tail_sampling/x: {policies: []}").as_deref(),
            Some("tail_sampling/x")
        );
        assert_eq!(processor_id("  tail_sampling:\n"), None);
        assert_eq!(processor_id("batch:\n"), None);
    }

    #[test]
    fn kept_traces_reads_ids_and_policies() {
        let line = r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"s","attributes":[{"key":"tailsampling.policy","value":{"stringValue":"p"}}]},"spans":[{"traceId":"0A","spanId":"01"}]}]}]}"#;
        let kept = kept_traces(&format!("{line}\n\n")).expect("valid");
        assert_eq!(kept.get("0a"), Some(&Some("p".to_string())));
        assert!(kept_traces("{").is_err());
    }
}
