//! `cpl replay POLICY INPUT...`: what the policy would keep of recorded traces.
//!
//! Reading is sequential (framing JSON Lines is), decoding and evaluation run on every
//! core through rayon, and the per-trace merge is sequential again; memory grows with
//! the number of distinct traces (spec/replay.md).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cpl_otlp::{
    self as otlp, decode_raw_ref, BufferPool, Fidelity, Leniency, RawDocument, ReadError,
    ReadStats, TraceReader,
};
use cpl_replay::{Decider, Replay, ReplayOptions, Report, Summaries};
use rayon::prelude::*;

use crate::commands::input_report::{InputReport, Style};
use crate::render::table::counted;
use crate::render::{write_stderr, write_stdout};
use crate::ExitStatus;

/// Output formats of `cpl replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A report for people.
    Table,
    /// The JSON report of spec/replay.md.
    Json,
}

/// Predict what a policy keeps of recorded OTLP traces (JSON or protobuf).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The policy file: a CPL policy, or a collector config with a `tail_sampling`
    /// processor (a whole collector YAML, a `tail_sampling` block, a Kubernetes
    /// ConfigMap or OpenTelemetryCollector holding one), told apart by content.
    policy: PathBuf,
    /// With a collector config: replay only the processor `tail_sampling/NAME` (give
    /// `NAME` or the whole id); by default every `tail_sampling` processor is replayed.
    #[arg(long, value_name = "NAME")]
    processor: Option<String>,
    /// OTLP trace files: OTLP/JSON (a document or JSON Lines), an OTLP protobuf message, or
    /// the collector file exporter's length-prefixed protobuf; gzip and zstd are recognised by
    /// their bytes, whatever the name. `-` is stdin. Also read: Tempo and Jaeger API
    /// responses, base64 ids, enum names, snake_case keys.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Read only OTLP/JSON as the specification writes it: refuse base64 ids, enum
    /// names, snake_case keys and the Tempo and Jaeger wrappers.
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Price of ingesting one GB (10^9 bytes) of traces, for the savings estimate (USD).
    #[arg(long, default_value_t = 0.10, value_name = "USD")]
    price_per_gb: f64,
    /// A trace longer than this is slow (a CPL duration: `500ms`, `1s`, `2m`).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    slow: u64,
    /// Worker threads for decoding (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Also write the report as one self-contained HTML page (charts inline, works
    /// offline) to FILE, replaced whole once complete.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

fn parse_duration(text: &str) -> Result<u64, String> {
    let parsed = cpl_syntax::parse_expression(&format!("duration > {text}"));
    if let Some(cpl_syntax::ExprKind::Compare { value, .. }) = parsed.ok().map(|expr| &expr.kind) {
        if let cpl_syntax::ast::Value::Duration(nanos, _) = value.value {
            return u64::try_from(nanos).map_err(|_| "duration out of range".to_owned());
        }
    }
    Err(format!(
        "`{text}` is not a duration; write e.g. `1s` or `500ms`"
    ))
}

/// Documents decoded together, per worker thread: enough to keep every core busy, and
/// no more, since three batches are in memory at once (measured on the 107 MB capture:
/// 8 MiB whatever the threads gave the same times with 92 instead of 52 MB peak RSS at
/// `-j 1`, 139 instead of 114 MB at `-j 2`).
const BATCH_BYTES: usize = 1 << 20;
const BATCH_DOCUMENTS: usize = 8;

pub(crate) fn run(args: &Args) -> ExitStatus {
    if !(args.price_per_gb.is_finite() && args.price_per_gb >= 0.0) {
        write_stderr("error: --price-per-gb must be a non-negative number\n");
        return ExitStatus::Failure;
    }
    let Some(decidable) = crate::policy_file::load_decidable(&args.policy) else {
        return ExitStatus::Failure;
    };
    let options = ReplayOptions {
        slow_threshold_nanos: args.slow,
        price_per_gb: args.price_per_gb,
    };
    let mut replays = match replays(&decidable, args, options) {
        Ok(replays) => replays,
        Err(message) => {
            write_stderr(&format!("error: {message}\n"));
            return ExitStatus::Failure;
        }
    };
    let reading = Reading {
        leniency: leniency(args.strict),
        style: match args.format {
            Format::Json => Style::Json,
            Format::Table => Style::Human,
        },
        jobs: args.jobs,
    };
    if let Err(message) = replay_inputs(&args.inputs, &mut replays, &reading) {
        write_stderr(&format!("error: {message}\n"));
        return ExitStatus::Failure;
    }
    let reports: Vec<Report> = replays.into_iter().map(Replay::finish).collect();
    let Some(report) = reports.first() else {
        return ExitStatus::Failure;
    };
    if let Some(message) = nothing_read(report) {
        // The errors, if any, are above; a report of zeros would only hide them.
        write_stderr(&format!("error: {message}\n"));
        return ExitStatus::Failure;
    }
    let name = args.policy.display().to_string();
    if let Some(path) = &args.html {
        let page = cpl_report::replay(&name, &input_names(&args.inputs), &reports);
        if let Err(message) = write_html(path, &page) {
            write_stderr(&format!("error: {message}\n"));
            return ExitStatus::Failure;
        }
    }
    let text = match args.format {
        // Several processors: an array of reports, one per processor, in file order.
        Format::Json if reports.len() > 1 => {
            format!("{:#}\n", serde_json::to_value(&reports).unwrap_or_default())
        }
        Format::Json => format!("{:#}\n", serde_json::to_value(report).unwrap_or_default()),
        Format::Table => reports
            .iter()
            .map(|report| match &report.collector {
                Some(collector) => crate::commands::replay_table::render(
                    report,
                    &format!("{name} ({})", collector.processor),
                ),
                None => crate::commands::replay_table::render(report, &name),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if write_stdout(&text).is_err() {
        return ExitStatus::Failure;
    }
    if report.input.duplicate_spans > 0 {
        write_stderr(&format!(
            "warning: {} appeared more than once in the inputs (same trace id, span id, start and end) and {} counted once\n",
            counted(report.input.duplicate_spans, "span", "spans"),
            if report.input.duplicate_spans == 1 { "is" } else { "are" },
        ));
    }
    if report.complete {
        ExitStatus::Clean
    } else {
        write_stderr(&format!(
            "warning: {} could not be read; the report covers the rest only\n",
            counted(report.input.errors, "input document", "input documents")
        ));
        ExitStatus::Findings
    }
}

/// The inputs as the report names them: as given, `<stdin>` for `-`.
pub(crate) fn input_names(inputs: &[PathBuf]) -> Vec<String> {
    inputs
        .iter()
        .map(|input| {
            if input.as_os_str() == "-" {
                crate::input::STDIN_NAME.to_owned()
            } else {
                input.display().to_string()
            }
        })
        .collect()
}

/// Writes an HTML report through a temporary file beside `path`: nothing is left
/// half-written when writing fails.
pub(crate) fn write_html(path: &Path, page: &str) -> Result<(), String> {
    crate::commands::compile::write_atomically(path, page)
        .map_err(|error| format!("cannot write `{}`: {error}", path.display()))
}

/// One replay per processor to replay (all of a collector config's, or the one
/// `--processor` names), or the policy's one.
fn replays<'d>(
    decidable: &'d crate::policy_file::Decidable,
    args: &Args,
    options: ReplayOptions,
) -> Result<Vec<Replay<'d>>, String> {
    use crate::policy_file::Decidable;
    match (decidable, &args.processor) {
        (Decidable::Policy(evaluator), None) => Ok(vec![Replay::new(evaluator, options)]),
        (Decidable::Policy(_), Some(_)) => Err(format!(
            "`--processor` selects a `tail_sampling` processor of a collector config, and `{}` is a CPL policy",
            args.policy.display()
        )),
        (Decidable::Collector(file), Some(name)) => match file.processor(name) {
            Some(processor) => Ok(vec![Replay::with_decider(
                Decider::Collector(processor),
                options,
            )]),
            None => Err(format!(
                "`{}` has no processor `{name}`; it has {}",
                args.policy.display(),
                file.processors
                    .iter()
                    .map(|p| format!("`{}`", p.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        (Decidable::Collector(file), None) => Ok(file
            .processors
            .iter()
            .map(|processor| Replay::with_decider(Decider::Collector(processor), options))
            .collect()),
    }
}

/// Why there is nothing to report, when the inputs gave no trace span at all
/// (spec/replay.md, "Nothing read"); `cpl diff --traces` says the same.
pub(crate) fn nothing_read(report: &Report) -> Option<String> {
    if report.traces.total > 0 {
        return None;
    }
    let input = &report.input;
    Some(if input.errors > 0 {
        format!(
            "no trace could be read from the inputs: {} could not be read",
            counted(input.errors, "document", "documents")
        )
    } else if input.skipped_non_trace > 0 {
        format!(
            "the inputs hold no trace spans: {} of logs, metrics or profiles skipped",
            counted(input.skipped_non_trace, "document", "documents")
        )
    } else {
        "the inputs hold no trace spans".to_owned()
    })
}

/// How trace inputs are read and their problems reported.
pub(crate) struct Reading {
    pub(crate) leniency: Leniency,
    pub(crate) style: Style,
    /// Worker threads for decoding (default: one per core).
    pub(crate) jobs: Option<usize>,
}

/// `--strict` as a [`Leniency`].
pub(crate) fn leniency(strict: bool) -> Leniency {
    if strict {
        Leniency::Strict
    } else {
        Leniency::Lenient
    }
}

/// Opens a trace input: a file or `-` for stdin, decompressed (gzip, zstd) as its
/// first bytes say.
fn open_input(
    input: &Path,
    leniency: Leniency,
    fidelity: Fidelity,
) -> Result<TraceReader<Box<dyn BufRead + Send>>, String> {
    if input.as_os_str() == "-" {
        otlp::from_reader(std::io::stdin(), crate::input::STDIN_NAME)
            .map(|reader| reader.with_leniency(leniency).with_fidelity(fidelity))
            .map_err(|error| format!("cannot read standard input: {error}"))
    } else {
        otlp::open(input)
            .map(|reader| reader.with_leniency(leniency).with_fidelity(fidelity))
            .map_err(|error| format!("cannot read `{}`: {error}", input.display()))
    }
}

/// How much of each span the replays read: everything for a collector config and for
/// a policy that reads trace state or flags, only what CPL policies read otherwise
/// (cheaper).
fn fidelity(replays: &[Replay<'_>]) -> Fidelity {
    let full = replays.iter().any(|replay| match replay.decider() {
        Decider::Collector(_) => true,
        Decider::Policy(evaluator) => evaluator.reads_span_detail(),
    });
    if full {
        Fidelity::Full
    } else {
        Fidelity::Policy
    }
}

/// The inputs with each directory replaced by the capture files under it (spec/replay.md,
/// "Input"); how many other files were passed over is said on stderr.
fn capture_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" || !input.is_dir() {
            files.push(input.clone());
            continue;
        }
        let found = crate::input::files_in(input, &[])
            .map_err(|error| format!("cannot read `{}`: {error}", input.display()))?;
        let (captures, others): (Vec<PathBuf>, Vec<PathBuf>) =
            found.into_iter().partition(|path| is_capture_name(path));
        if captures.is_empty() {
            return Err(format!(
                "`{}` holds no capture file (.json, .jsonl, .ndjson, .pb, .binpb, .proto.bin or .otlp, optionally .gz or .zst)",
                input.display()
            ));
        }
        if !others.is_empty() {
            write_stderr(&format!(
                "note: {}: {} that {} not named like a capture passed over\n",
                input.display(),
                counted(others.len() as u64, "file", "files"),
                if others.len() == 1 { "is" } else { "are" }
            ));
        }
        files.extend(captures);
    }
    Ok(files)
}

/// Whether a file in a directory is read as a capture: by its name's ending only.
fn is_capture_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    [
        ".json",
        ".jsonl",
        ".ndjson",
        ".pb",
        ".binpb",
        ".proto.bin",
        ".otlp",
    ]
    .iter()
    .any(|ending| name.ends_with(ending))
}

/// Feeds every input to every replay: each document is read and decoded once, on all
/// cores (or `jobs`), and summarised for each replay (`cpl diff --traces` runs two).
pub(crate) fn replay_inputs(
    inputs: &[PathBuf],
    replays: &mut [Replay<'_>],
    reading: &Reading,
) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(reading.jobs.unwrap_or(0))
        .build()
        .map_err(|error| format!("cannot start worker threads: {error}"))?;
    let mut progress = Progress::new();
    let mut report = InputReport::new(reading.style);
    let fidelity = fidelity(replays);
    let keys = replays
        .iter()
        .map(Replay::attribute_keys)
        .reduce(|a, b| a.union(&b))
        .unwrap_or_default();
    for input in &capture_files(inputs)? {
        let reader =
            open_input(input, reading.leniency, fidelity)?.with_attribute_keys(keys.clone());
        let name = reader.name().to_owned();
        let stats = pool.install(|| replay_input(reader, replays, &mut progress, &mut report));
        report.input_done(&name, &stats);
        for replay in replays.iter_mut() {
            replay.add_input(&stats);
        }
    }
    progress.finish();
    Ok(())
}

/// Reads one input to the end, decoding batches of documents in parallel.
///
/// Three stages overlap: while batch k is decoded and summarised on every core,
/// batch k+1 is read and batch k-1 is merged into the replays (both sequential by
/// nature), so one core is never the only one at work for long.
fn replay_input<R: BufRead + Send>(
    mut reader: TraceReader<R>,
    replays: &mut [Replay<'_>],
    progress: &mut Progress,
    report: &mut InputReport,
) -> ReadStats {
    let deciders: Vec<Decider<'_>> = replays.iter().map(Replay::decider).collect();
    let name: Arc<str> = Arc::from(reader.name());
    let pool = reader.buffer_pool();
    let mut decoded_stats = ReadStats::default();
    let decode = |batch: Batch| Decoded {
        results: batch
            .documents
            .into_par_iter()
            .map(|raw| decode_document(&name, &deciders, &pool, raw))
            .collect(),
        read_errors: batch.read_errors,
    };
    let mut next = Some(read_batch(&mut reader));
    // Decoded, not merged yet.
    let mut pending: Option<Decoded> = None;
    while let Some(batch) = next.take() {
        let more = !batch.ended;
        let previous = pending.take();
        let (decoded, read) = rayon::join(
            || decode(batch),
            || {
                if let Some(previous) = previous {
                    merge(previous, replays, &mut decoded_stats, report);
                    progress.update(reader.stats().bytes);
                }
                more.then(|| read_batch(&mut reader))
            },
        );
        pending = Some(decoded);
        next = read;
    }
    if let Some(last) = pending {
        merge(last, replays, &mut decoded_stats, report);
    }
    progress.input_done(reader.stats().bytes);
    // Reading counted bytes and read errors; decoding counted the rest.
    let mut stats = reader.stats().clone();
    stats.merge(&decoded_stats);
    stats
}

/// Merges a decoded batch into the replays, reporting its errors in input order: the
/// batch's read errors, then its documents'.
fn merge(
    batch: Decoded,
    replays: &mut [Replay<'_>],
    decoded_stats: &mut ReadStats,
    report: &mut InputReport,
) {
    for error in &batch.read_errors {
        report.error(error);
    }
    for (stats, error, summaries) in batch.results {
        if let Some(error) = error {
            report.error(&error);
        }
        decoded_stats.merge(&stats);
        for (replay, chunks) in replays.iter_mut().zip(summaries) {
            for summaries in chunks {
                replay.add(summaries);
            }
        }
    }
}

/// Documents read for decoding together, and the read errors met on the way.
struct Batch {
    documents: Vec<RawDocument>,
    read_errors: Vec<ReadError>,
    /// The input has no more documents.
    ended: bool,
}

/// A batch decoded and summarised, waiting to be merged.
struct Decoded {
    results: Vec<Decoding>,
    read_errors: Vec<ReadError>,
}

/// Reads the next batch: up to `BATCH_BYTES` or `BATCH_DOCUMENTS` per worker thread.
fn read_batch<R: BufRead>(reader: &mut TraceReader<R>) -> Batch {
    let mut batch = Batch {
        documents: Vec::new(),
        read_errors: Vec::new(),
        ended: true,
    };
    let mut bytes = 0;
    let threads = rayon::current_num_threads();
    let (max_bytes, max_documents) = (BATCH_BYTES * threads, BATCH_DOCUMENTS * threads);
    while let Some(next) = reader.next_raw() {
        match next {
            Ok(raw) => {
                bytes += raw.bytes.len();
                batch.documents.push(raw);
                if bytes >= max_bytes || batch.documents.len() >= max_documents {
                    batch.ended = false;
                    break;
                }
            }
            Err(error) => batch.read_errors.push(error),
        }
    }
    batch
}

/// A document with more spans than this is summarised in chunks on every core (an
/// 8 MB line holds about 10,000 spans); the chunks are merged in order, which gives
/// the same replay as one summary.
const SUMMARY_CHUNK: usize = 2048;

/// Decodes one document and summarises its spans for each decider.
fn decode_document(
    name: &Arc<str>,
    deciders: &[Decider<'_>],
    pool: &BufferPool,
    raw: RawDocument,
) -> Decoding {
    let bytes = raw.size;
    let decoded = decode_raw_ref(name, &raw);
    pool.give_back(raw.bytes);
    let mut stats = ReadStats::default();
    stats.record(&decoded, bytes);
    match decoded {
        otlp::Decoded::Traces(batch) => {
            let summaries = deciders
                .iter()
                .map(|decider| {
                    if batch.spans.len() <= SUMMARY_CHUNK {
                        vec![decider.summarize(&batch.spans)]
                    } else {
                        batch
                            .spans
                            .par_chunks(SUMMARY_CHUNK)
                            .map(|spans| decider.summarize(spans))
                            .collect()
                    }
                })
                .collect();
            (stats, None, summaries)
        }
        otlp::Decoded::OtherSignal => (stats, None, Vec::new()),
        otlp::Decoded::Error(error) => (stats, Some(error), Vec::new()),
    }
}

/// What decoding one document gave: its counts, its error, its summaries for each
/// replay (in chunks, in span order).
type Decoding = (ReadStats, Option<ReadError>, Vec<Vec<Summaries>>);

/// A progress bar on stderr, shown only on a terminal and only after a second.
struct Progress {
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
    bytes_before: u64,
    enabled: bool,
}

impl Progress {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            bar: None,
            bytes_before: 0,
            enabled: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }

    fn update(&mut self, bytes_of_this_input: u64) {
        if !self.enabled || self.started.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} replaying: {bytes} read ({bytes_per_sec})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        bar.set_position(self.bytes_before + bytes_of_this_input);
    }

    fn input_done(&mut self, bytes_of_this_input: u64) {
        self.bytes_before += bytes_of_this_input;
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
