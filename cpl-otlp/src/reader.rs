//! Framing: turning a byte stream (a file, stdin, a decompressor) into OTLP/JSON
//! documents, streaming, with every problem tied to a position in the input.
//!
//! See the [module documentation](crate) for the rules (JSONL detection,
//! the size limit, what is skipped and what is an error).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde::de::IgnoredAny;

use crate::decode::{decode_document_with, DecodeError, Document, ErrorKind};
use crate::dialect::{Deviations, Leniency};
use crate::model::Span;

/// The default limit on one JSONL line, or on a whole single document: 256 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 << 20;

/// The spans of one decoded trace document (a JSONL line, or the whole input).
#[derive(Clone, Debug)]
pub struct Batch {
    /// The spans, in input order (possibly none: `{"resourceSpans":[]}`).
    pub spans: Vec<Span>,
    /// The 1-based input line where the document starts.
    pub line: u64,
    /// The byte offset in the (decompressed) input where that line starts.
    pub offset: u64,
    /// The document's size in bytes, including its line terminator; the spans'
    /// `encoded_len` add up to it when there are spans.
    pub bytes: u64,
    /// How the document departs from OTLP/JSON as specified.
    pub deviations: Deviations,
}

/// One framed document, not decoded yet: what [`TraceReader::next_raw`] yields so
/// that callers can decode documents on several threads with [`decode_raw`].
#[derive(Clone, Debug)]
pub struct RawDocument {
    /// The document's bytes, including its line terminator.
    pub bytes: Vec<u8>,
    /// The 1-based input line where the document starts.
    pub line: u64,
    /// The byte offset in the (decompressed) input where that line starts.
    pub offset: u64,
    /// How to decode it: the reader's [`Leniency`].
    pub leniency: Leniency,
}

/// What decoding one [`RawDocument`] gave.
#[derive(Debug)]
pub enum Decoded {
    /// A trace document.
    Traces(Batch),
    /// A document of another signal (logs, metrics, profiles): skipped.
    OtherSignal,
    /// A document that is not valid OTLP/JSON.
    Error(ReadError),
}

/// Decodes a framed document of the input `name`. Pure, so it can run on any thread;
/// record the result with [`ReadStats::record`]. Takes the document by value so that
/// its buffer is freed as soon as it is decoded.
#[allow(clippy::needless_pass_by_value)]
pub fn decode_raw(name: &Arc<str>, raw: RawDocument) -> Decoded {
    let bytes = raw.bytes.len() as u64;
    let mut spans = Vec::new();
    match decode_document_with(&raw.bytes, &mut spans, raw.leniency) {
        Ok(Document::Traces { deviations, .. }) => Decoded::Traces(Batch {
            spans,
            line: raw.line,
            offset: raw.offset,
            bytes,
            deviations,
        }),
        Ok(Document::Other(_)) => Decoded::OtherSignal,
        Err(mut e) => {
            let more = std::mem::take(&mut e.more)
                .iter()
                .map(|m| read_error(name, &raw, m))
                .collect();
            let mut error = read_error(name, &raw, &e);
            error.more = more;
            error.omitted = e.omitted;
            Decoded::Error(error)
        }
    }
}

/// `e`, a problem of the document `raw`, positioned in the input.
fn read_error(name: &Arc<str>, raw: &RawDocument, e: &DecodeError) -> ReadError {
    let (line, line_offset) = locate(&raw.bytes, e, raw.line, raw.offset);
    ReadError {
        name: Arc::clone(name),
        line,
        column: e.column,
        line_offset,
        kind: e.kind,
        message: e.message.clone(),
        more: Vec::new(),
        omitted: 0,
    }
}

/// The input line and line-start offset of an error inside `document`, which starts
/// at `line`/`offset`.
fn locate(document: &[u8], e: &DecodeError, line: u64, offset: u64) -> (u64, u64) {
    let mut start = 0usize;
    for _ in 1..e.line.max(1) {
        match memchr::memchr(b'\n', &document[start..]) {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (line + e.line.max(1) - 1, offset + start as u64)
}

/// A document (or the input) that could not be read, with its position.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReadError {
    /// The input's display name (a path, or `-` for stdin).
    pub name: Arc<str>,
    /// 1-based line of the problem.
    pub line: u64,
    /// 1-based byte column inside that line (0 when not known).
    pub column: u64,
    /// Byte offset in the (decompressed) input of the start of `line`.
    pub line_offset: u64,
    /// The class of problem.
    pub kind: ErrorKind,
    /// What is wrong.
    pub message: String,
    /// The document's other problems (see [`DecodeError::more`]).
    pub more: Vec<ReadError>,
    /// Problems of the document beyond those in `more`, not described.
    pub omitted: u64,
}

/// `FILE:LINE:COLUMN: message` (`FILE:LINE: message` when the column is not
/// known), this problem only.
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column == 0 {
            write!(f, "{}:{}: {}", self.name, self.line, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.name, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ReadError {}

/// How the input was framed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Framing {
    /// One OTLP/JSON document per line.
    JsonLines,
    /// One JSON document for the whole input.
    Document,
}

/// Counters over everything a [`TraceReader`] has read so far.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ReadStats {
    /// Trace documents decoded without error (including ones with no spans).
    pub documents: u64,
    /// Documents of other signals (`resourceLogs`, `resourceMetrics`,
    /// `resourceProfiles`), skipped.
    pub lines_skipped_non_trace: u64,
    /// Documents, lines or reads that failed (each yielded as a [`ReadError`]).
    pub errors: u64,
    /// `errors`, by kind.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
    /// Bytes read from the (decompressed) input, everything included.
    pub bytes: u64,
    /// Spans decoded.
    pub spans: u64,
    /// Bytes of the documents that yielded spans (the sum of their `encoded_len`).
    pub span_bytes: u64,
    /// Bytes of the documents or lines that failed.
    pub error_bytes: u64,
    /// How the trace documents read depart from OTLP/JSON as specified: a
    /// notice's worth ([`Deviations::notice`]).
    pub deviations: Deviations,
}

impl ReadStats {
    /// Adds the counts of `other` (e.g. of documents decoded on another thread).
    pub fn merge(&mut self, other: &ReadStats) {
        self.documents += other.documents;
        self.lines_skipped_non_trace += other.lines_skipped_non_trace;
        self.errors += other.errors;
        for (kind, count) in &other.errors_by_kind {
            *self.errors_by_kind.entry(*kind).or_insert(0) += count;
        }
        self.bytes += other.bytes;
        self.spans += other.spans;
        self.span_bytes += other.span_bytes;
        self.error_bytes += other.error_bytes;
        self.deviations.insert(other.deviations);
    }

    /// Counts the outcome of decoding one document of `bytes` bytes.
    pub fn record(&mut self, decoded: &Decoded, bytes: u64) {
        match decoded {
            Decoded::Traces(batch) => {
                self.documents += 1;
                self.deviations.insert(batch.deviations);
                self.spans += batch.spans.len() as u64;
                if !batch.spans.is_empty() {
                    self.span_bytes += bytes;
                }
            }
            Decoded::OtherSignal => self.lines_skipped_non_trace += 1,
            Decoded::Error(error) => {
                self.errors += 1;
                *self.errors_by_kind.entry(error.kind).or_insert(0) += 1;
                self.error_bytes += bytes;
            }
        }
    }
}

/// Which decompressor an input needs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Compression {
    /// Plain JSON.
    None,
    /// gzip (`.gz`); concatenated gzip members are read as one stream.
    Gzip,
    /// zstd (`.zst`); multiple frames are read as one stream.
    Zstd,
}

impl Compression {
    /// Chooses by file extension: `.gz`/`.gzip` and `.zst`/`.zstd`, anything else is plain.
    pub fn from_path(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("gzip") => {
                Compression::Gzip
            }
            Some(e) if e.eq_ignore_ascii_case("zst") || e.eq_ignore_ascii_case("zstd") => {
                Compression::Zstd
            }
            _ => Compression::None,
        }
    }
}

const IO_BUFFER: usize = 1 << 20;

/// Wraps `input` in the decompressor `compression` needs, buffered.
pub fn decompress<R: Read + Send + 'static>(
    input: R,
    compression: Compression,
) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(IO_BUFFER, input)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            IO_BUFFER,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(IO_BUFFER / 4, input)),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            IO_BUFFER,
            zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(
                IO_BUFFER / 4,
                input,
            ))?,
        )),
    })
}

/// Opens a file, decompressing by extension; the reader is named after the path.
pub fn open(path: impl AsRef<Path>) -> io::Result<TraceReader<Box<dyn BufRead + Send>>> {
    let path = path.as_ref();
    let file = File::open(path)?;
    let input = decompress(file, Compression::from_path(path))?;
    Ok(TraceReader::new(input, path.display().to_string()))
}

enum Mode {
    /// Before the first non-blank line.
    Detect,
    JsonLines,
    Done,
}

/// One line as read by [`TraceReader::read_line`].
struct Line {
    /// Bytes consumed, terminator included.
    len: u64,
    /// The line exceeded the limit; it was consumed but not stored.
    too_long: bool,
}

/// Streams OTLP/JSON trace documents from a reader: an iterator of
/// `Result<Batch, ReadError>`.
///
/// After an error the iterator goes on with the next line (JSON Lines) or
/// ends (a single document, or a failed read). [`TraceReader::stats`] counts
/// everything, including what was skipped.
pub struct TraceReader<R> {
    inner: R,
    name: Arc<str>,
    buf: Vec<u8>,
    mode: Mode,
    framing: Option<Framing>,
    /// Lines consumed so far.
    line: u64,
    /// Bytes consumed so far.
    offset: u64,
    max_document_bytes: usize,
    leniency: Leniency,
    stats: ReadStats,
}

impl<R: BufRead> TraceReader<R> {
    /// Reads from `input` (already decompressed), naming it `name` in errors.
    pub fn new(input: R, name: impl Into<String>) -> Self {
        TraceReader {
            inner: input,
            name: Arc::from(name.into()),
            buf: Vec::new(),
            mode: Mode::Detect,
            framing: None,
            line: 0,
            offset: 0,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            leniency: Leniency::Strict,
            stats: ReadStats::default(),
        }
    }

    /// Sets the limit on one JSONL line or on a single document (default
    /// [`DEFAULT_MAX_DOCUMENT_BYTES`]). A longer line is skipped without being
    /// loaded and reported as a [`ErrorKind::TooLarge`] error.
    #[must_use]
    pub fn with_max_document_bytes(mut self, max: usize) -> Self {
        self.max_document_bytes = max.max(1);
        self
    }

    /// Sets which dialects to read (default [`Leniency::Strict`]: OTLP/JSON as
    /// specified).
    #[must_use]
    pub fn with_leniency(mut self, leniency: Leniency) -> Self {
        self.leniency = leniency;
        self
    }

    /// The input's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The framing detected, once the first non-blank line has been read.
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// Reads one line into `self.buf` (cleared first), up to the limit; `None` at EOF.
    fn read_line(&mut self) -> io::Result<Option<Line>> {
        self.buf.clear();
        let mut len = 0u64;
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.count_bytes(len);
                    return Err(e);
                }
            };
            if available.is_empty() {
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > self.max_document_bytes {
                    too_long = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(&available[..take]);
                }
            }
            self.inner.consume(take);
            len += take as u64;
            if done {
                break;
            }
        }
        self.count_bytes(len);
        Ok((len > 0).then_some(Line { len, too_long }))
    }

    fn count_bytes(&mut self, n: u64) {
        self.offset += n;
        self.stats.bytes += n;
    }

    fn error(
        &mut self,
        kind: ErrorKind,
        message: String,
        line: u64,
        column: u64,
        line_offset: u64,
        bytes: u64,
    ) -> ReadError {
        self.stats.errors += 1;
        *self.stats.errors_by_kind.entry(kind).or_insert(0) += 1;
        self.stats.error_bytes += bytes;
        ReadError {
            name: Arc::clone(&self.name),
            line,
            column,
            line_offset,
            kind,
            message,
            more: Vec::new(),
            omitted: 0,
        }
    }

    fn io_error(&mut self, e: &io::Error, line: u64, line_offset: u64) -> ReadError {
        self.mode = Mode::Done;
        let message = if e.kind() == io::ErrorKind::UnexpectedEof {
            format!("input ends unexpectedly (truncated compressed stream?): {e}")
        } else {
            format!("read failed: {e}")
        };
        self.error(ErrorKind::Io, message, line, 0, line_offset, 0)
    }

    /// Hands `self.buf` out as the raw document starting at `line`/`offset`.
    fn take_raw(&mut self, line: u64, offset: u64) -> RawDocument {
        RawDocument {
            bytes: std::mem::take(&mut self.buf),
            line,
            offset,
            leniency: self.leniency,
        }
    }

    /// Reads the rest of the input into `self.buf` as one document (the same shape as
    /// `next_raw`, which returns it).
    #[allow(clippy::unnecessary_wraps)]
    fn read_document(&mut self, line: u64, offset: u64) -> Option<Result<RawDocument, ReadError>> {
        self.mode = Mode::Done;
        self.framing = Some(Framing::Document);
        let room =
            (self.max_document_bytes.saturating_sub(self.buf.len()) as u64).saturating_add(1);
        let mut buf = std::mem::take(&mut self.buf);
        let read = (&mut self.inner).take(room).read_to_end(&mut buf);
        self.buf = buf;
        let n = match read {
            Ok(n) => n as u64,
            Err(e) => {
                let (l, o) = (self.line + 1, self.offset);
                return Some(Err(self.io_error(&e, l, o)));
            }
        };
        self.count_bytes(n);
        if self.buf.len() > self.max_document_bytes {
            let bytes = self.buf.len() as u64;
            self.buf = Vec::new();
            let message = format!(
                "the document is larger than the limit of {} bytes; not read",
                self.max_document_bytes
            );
            return Some(Err(self.error(
                ErrorKind::TooLarge,
                message,
                line,
                1,
                offset,
                bytes,
            )));
        }
        Some(Ok(self.take_raw(line, offset)))
    }

    /// The next document, framed but not decoded (blank lines skipped). Errors here
    /// are about reading: an IO failure or a line over the size limit.
    pub fn next_raw(&mut self) -> Option<Result<RawDocument, ReadError>> {
        loop {
            if matches!(self.mode, Mode::Done) {
                return None;
            }
            let line_no = self.line + 1;
            let offset = self.offset;
            let line = match self.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.mode = Mode::Done;
                    return None;
                }
                Err(e) => return Some(Err(self.io_error(&e, line_no, offset))),
            };
            self.line = line_no;
            if line.too_long {
                if matches!(self.mode, Mode::Detect) {
                    self.mode = Mode::JsonLines;
                    self.framing = Some(Framing::JsonLines);
                }
                let message = format!(
                    "line is longer than the limit of {} bytes ({} bytes); skipped without being loaded",
                    self.max_document_bytes, line.len
                );
                return Some(Err(self.error(
                    ErrorKind::TooLarge,
                    message,
                    line_no,
                    1,
                    offset,
                    line.len,
                )));
            }
            if without_bom(&self.buf).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if matches!(self.mode, Mode::Detect) {
                // A first line that is an incomplete JSON value starts a
                // multi-line document; anything else (a complete value, or
                // a line that is broken in another way) means JSON Lines.
                let incomplete = serde_json::from_slice::<IgnoredAny>(without_bom(&self.buf))
                    .err()
                    .is_some_and(|e| e.is_eof());
                if incomplete {
                    return self.read_document(line_no, offset);
                }
                self.mode = Mode::JsonLines;
                self.framing = Some(Framing::JsonLines);
            }
            return Some(Ok(self.take_raw(line_no, offset)));
        }
    }
}

/// Strips a UTF-8 byte order mark.
fn without_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<Batch, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = match self.next_raw()? {
                Ok(raw) => raw,
                Err(error) => return Some(Err(error)),
            };
            let bytes = raw.bytes.len() as u64;
            let decoded = decode_raw(&self.name, raw);
            self.stats.record(&decoded, bytes);
            match decoded {
                Decoded::Traces(batch) => return Some(Ok(batch)),
                Decoded::OtherSignal => {}
                Decoded::Error(error) => return Some(Err(error)),
            }
        }
    }
}
