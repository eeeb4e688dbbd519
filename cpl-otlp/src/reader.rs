//! Framing: turning a byte stream (a file, stdin, a decompressor) into OTLP/JSON
//! documents, streaming, with every problem tied to a position in the input.
//!
//! See the [module documentation](crate) for the rules (JSONL detection,
//! the size limit, what is skipped and what is an error).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use serde::de::IgnoredAny;

use crate::decode::{decode_document_keeping, DecodeError, Document, ErrorKind};
use crate::dialect::{Deviations, Leniency};
use crate::keys::AttributeKeys;
use crate::model::{Fidelity, Span};
use crate::proto::{self, InputFormat, ProtoError, GZIP_MAGIC, SNIFF_BYTES, ZSTD_MAGIC};

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

/// How a document is encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    /// OTLP/JSON.
    Json,
    /// OTLP protobuf (`TracesData` / `ExportTraceServiceRequest`).
    Protobuf,
}

/// One framed document, not decoded yet: what [`TraceReader::next_raw`] yields so
/// that callers can decode documents on several threads with [`decode_raw`].
#[derive(Clone, Debug)]
pub struct RawDocument {
    /// The document's bytes: a JSON line with its terminator, or a protobuf
    /// message without its length prefix (decompressed if it was a compressed
    /// record).
    pub bytes: Vec<u8>,
    /// The bytes the document stands for: `bytes.len()`, plus the 4-byte length
    /// prefix of a length-prefixed record.
    pub size: u64,
    /// How `bytes` is encoded.
    pub encoding: Encoding,
    /// `bytes` were decompressed from a compressed record, so positions inside
    /// them are not input offsets (errors point at the record).
    pub compressed: bool,
    /// The 1-based input line where the document starts; 0 for binary input.
    pub line: u64,
    /// The byte offset in the (decompressed) input where that line, or that
    /// binary record, starts.
    pub offset: u64,
    /// How to decode it: the reader's [`Leniency`].
    pub leniency: Leniency,
    /// How much of each span to keep: the reader's [`Fidelity`].
    pub fidelity: Fidelity,
    /// Which attributes to keep: the reader's [`AttributeKeys`].
    pub keys: Arc<AttributeKeys>,
}

/// Document buffers handed back after decoding, for the reader to fill again.
///
/// A reader hands out a fresh buffer with each document; memory the allocator has
/// returned to the system comes back zeroed, page by page, and for captures of
/// large lines that zeroing took a fifth of a replay's time (perf, 8 MB lines).
/// Give each [`RawDocument::bytes`] back with [`BufferPool::give_back`] once it is
/// decoded and the reader reuses it. Shared by clones; at most
/// [`BufferPool::MAX_BYTES`] of capacity is kept.
#[derive(Clone, Debug, Default)]
pub struct BufferPool(Arc<std::sync::Mutex<Pooled>>);

/// The buffers kept, and their capacity in all.
#[derive(Debug, Default)]
struct Pooled {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl BufferPool {
    /// The most capacity kept: a few batches of a parallel reader in flight.
    pub const MAX_BYTES: usize = 64 << 20;

    /// Keeps `bytes`'s capacity for a later document, unless the pool is full.
    pub fn give_back(&self, mut bytes: Vec<u8>) {
        bytes.clear();
        if bytes.capacity() == 0 {
            return;
        }
        let mut pool = self.lock();
        if pool.bytes + bytes.capacity() <= Self::MAX_BYTES {
            pool.bytes += bytes.capacity();
            pool.buffers.push(bytes);
        }
    }

    /// An empty buffer, with capacity when one was given back.
    pub(crate) fn take(&self) -> Vec<u8> {
        let mut pool = self.lock();
        let buffer = pool.buffers.pop().unwrap_or_default();
        pool.bytes -= buffer.capacity();
        buffer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pooled> {
        // The pool holds only empty buffers, so a panic elsewhere leaves it sound.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What decoding one [`RawDocument`] gave.
#[derive(Debug)]
pub enum Decoded {
    /// A trace document.
    Traces(Batch),
    /// A document of another signal (logs, metrics, profiles): skipped.
    OtherSignal,
    /// A document that is not valid OTLP/JSON or OTLP protobuf.
    Error(ReadError),
}

/// Decodes a framed document of the input `name`. Pure, so it can run on any thread;
/// record the result with [`ReadStats::record`]. Takes the document by value so that
/// its buffer is freed as soon as it is decoded.
#[allow(clippy::needless_pass_by_value)]
pub fn decode_raw(name: &Arc<str>, raw: RawDocument) -> Decoded {
    decode_raw_ref(name, &raw)
}

/// [`decode_raw`] of a borrowed document.
pub fn decode_raw_ref(name: &Arc<str>, raw: &RawDocument) -> Decoded {
    let bytes = raw.size;
    let mut spans = Vec::new();
    if raw.encoding == Encoding::Protobuf {
        return match proto::decode_message_into(
            &raw.bytes,
            bytes,
            &mut spans,
            raw.fidelity,
            &raw.keys,
        ) {
            Ok(_) => Decoded::Traces(Batch {
                spans,
                line: 0,
                offset: raw.offset,
                bytes,
                deviations: Deviations::default(),
            }),
            Err(ProtoError {
                kind,
                message,
                offset,
            }) => {
                // A compressed record's inner offsets are not input offsets.
                let prefix = raw.size - raw.bytes.len() as u64;
                let (at, message) = if raw.compressed {
                    let message =
                        format!("{message} (at byte {offset} of the decompressed record)");
                    (raw.offset, message)
                } else {
                    (raw.offset + prefix + offset, message)
                };
                Decoded::Error(ReadError::binary(name, at, kind, message))
            }
        };
    }
    match decode_document_keeping(
        &raw.bytes,
        &mut spans,
        raw.leniency,
        raw.fidelity,
        &raw.keys,
    ) {
        Ok(Document::Traces { deviations, .. }) => Decoded::Traces(Batch {
            spans: {
                // The 4-byte prefix of a length-prefixed JSON record goes to the
                // first span, so that the spans still add up to `bytes`.
                if let Some(first) = spans.first_mut() {
                    first.encoded_len += bytes - raw.bytes.len() as u64;
                }
                spans
            },
            line: raw.line,
            offset: raw.offset,
            bytes,
            deviations,
        }),
        Ok(Document::Other(_)) => Decoded::OtherSignal,
        Err(mut e) => {
            let more = std::mem::take(&mut e.more)
                .iter()
                .map(|m| read_error(name, raw, m))
                .collect();
            let mut error = read_error(name, raw, &e);
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
    /// 1-based line of the problem; 0 for binary (protobuf) input, whose
    /// position is `line_offset` alone.
    pub line: u64,
    /// 1-based byte column inside that line (0 when not known).
    pub column: u64,
    /// Byte offset in the (decompressed) input of the start of `line`; for
    /// binary input, of the problem itself.
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

impl ReadError {
    fn binary(name: &Arc<str>, offset: u64, kind: ErrorKind, message: String) -> ReadError {
        ReadError {
            name: Arc::clone(name),
            line: 0,
            column: 0,
            line_offset: offset,
            kind,
            message,
            more: Vec::new(),
            omitted: 0,
        }
    }
}

/// `FILE:LINE:COLUMN: message` (`FILE:LINE: message` when the column is not
/// known; `FILE: byte N: message` for binary input), this problem only.
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(
                f,
                "{}: byte {}: {}",
                self.name, self.line_offset, self.message
            )
        } else if self.column == 0 {
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
#[non_exhaustive]
pub enum Framing {
    /// One OTLP/JSON document per line.
    JsonLines,
    /// One JSON document for the whole input.
    Document,
    /// One protobuf message for the whole input (an OTLP/HTTP body).
    ProtobufMessage,
    /// Records each preceded by a 4-byte big-endian length (the collector file
    /// exporter's `format: proto`).
    LengthPrefixed,
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
    /// Not compressed.
    None,
    /// gzip; concatenated gzip members are read as one stream.
    Gzip,
    /// zstd; multiple frames are read as one stream.
    Zstd,
}

impl Compression {
    /// Chooses by the magic bytes the input starts with (gzip `1f 8b`, zstd
    /// `28 b5 2f fd`), whatever the file is called.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
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

/// Opens a file, decompressing as its first bytes say; the reader is named
/// after the path.
pub fn open(path: impl AsRef<Path>) -> io::Result<TraceReader<Box<dyn BufRead + Send>>> {
    let path = path.as_ref();
    from_reader(File::open(path)?, path.display().to_string())
}

/// Reads `input` (a file, stdin), decompressing as its first bytes say.
pub fn from_reader<R: Read + Send + 'static>(
    mut input: R,
    name: impl Into<String>,
) -> io::Result<TraceReader<Box<dyn BufRead + Send>>> {
    let mut head = Vec::with_capacity(ZSTD_MAGIC.len());
    read_head(&mut input, &mut head, ZSTD_MAGIC.len())?;
    let compression = Compression::detect(&head);
    let input = decompress(Cursor::new(head).chain(input), compression)?;
    Ok(TraceReader::new(input, name))
}

/// Reads up to `n` bytes (fewer only at the end of the input) into `head`.
fn read_head<R: Read>(input: R, head: &mut Vec<u8>, n: usize) -> io::Result<()> {
    let mut input = input.take(n as u64);
    loop {
        match input.read_to_end(head) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

enum Mode {
    /// Before the first non-blank line.
    Detect,
    JsonLines,
    /// Reading length-prefixed records.
    Records,
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
    /// The first bytes (read to tell the format), then the rest.
    inner: Chain<Cursor<Vec<u8>>, R>,
    /// What the first bytes said, or the error reading them.
    format: Result<InputFormat, Option<io::Error>>,
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
    fidelity: Fidelity,
    keys: Arc<AttributeKeys>,
    stats: ReadStats,
    pool: BufferPool,
}

impl<R: BufRead> TraceReader<R> {
    /// Reads from `input` (already decompressed), naming it `name` in errors.
    /// Reads the first bytes at once to tell JSON from protobuf.
    pub fn new(mut input: R, name: impl Into<String>) -> Self {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let format = match read_head(&mut input, &mut head, SNIFF_BYTES) {
            Ok(()) => Ok(InputFormat::detect(&head)),
            Err(e) => Err(Some(e)),
        };
        TraceReader {
            inner: Cursor::new(head).chain(input),
            format,
            name: Arc::from(name.into()),
            buf: Vec::new(),
            mode: Mode::Detect,
            framing: None,
            line: 0,
            offset: 0,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            leniency: Leniency::Strict,
            fidelity: Fidelity::Policy,
            keys: Arc::new(AttributeKeys::all()),
            stats: ReadStats::default(),
            pool: BufferPool::default(),
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

    /// Sets how much of each span to keep (default [`Fidelity::Policy`]: no
    /// [`Span::detail`]). At [`Fidelity::Full`] every span gets its
    /// [`SpanDetail`](crate::SpanDetail), from JSON and protobuf alike, and a
    /// bad value in a detail field (a link id, a count, an event time) is an
    /// error for its document like any other.
    #[must_use]
    pub fn with_fidelity(mut self, fidelity: Fidelity) -> Self {
        self.fidelity = fidelity;
        self
    }

    /// Sets which attributes each span and resource must keep (default: all). The
    /// others may be left out of [`Span::attributes`] and the resource's; documents
    /// are checked whole either way.
    #[must_use]
    pub fn with_attribute_keys(mut self, keys: AttributeKeys) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// The pool this reader takes document buffers from: give each decoded
    /// document's bytes back to it to spare the allocator (see [`BufferPool`]).
    pub fn buffer_pool(&self) -> BufferPool {
        self.pool.clone()
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

    /// Hands `self.buf` out as the raw JSON document starting at `line`/`offset`.
    fn take_raw(&mut self, line: u64, offset: u64) -> RawDocument {
        let bytes = std::mem::replace(&mut self.buf, self.pool.take());
        RawDocument {
            size: bytes.len() as u64,
            bytes,
            encoding: Encoding::Json,
            compressed: false,
            line,
            offset,
            leniency: self.leniency,
            fidelity: self.fidelity,
            keys: Arc::clone(&self.keys),
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

    fn binary_error(
        &mut self,
        kind: ErrorKind,
        message: String,
        offset: u64,
        bytes: u64,
    ) -> ReadError {
        self.error(kind, message, 0, 0, offset, bytes)
    }

    /// Reads up to `n` more bytes into `self.buf`, counting them; fewer only at
    /// the end of the input. Grows `self.buf` only as bytes arrive, so a length
    /// prefix that promises more than the input holds allocates nothing extra.
    fn read_exact_or_eof(&mut self, n: u64) -> io::Result<u64> {
        let mut buf = std::mem::take(&mut self.buf);
        let before = buf.len();
        let result = read_head(
            &mut self.inner,
            &mut buf,
            usize::try_from(n).unwrap_or(usize::MAX),
        );
        let got = (buf.len() - before) as u64;
        self.buf = buf;
        self.count_bytes(got);
        result.map(|()| got)
    }

    /// Reads the whole input as one protobuf message.
    #[allow(clippy::unnecessary_wraps)] // the shape `next_raw` returns
    fn read_message(&mut self) -> Option<Result<RawDocument, ReadError>> {
        self.mode = Mode::Done;
        self.framing = Some(Framing::ProtobufMessage);
        self.buf.clear();
        let limit = self.max_document_bytes as u64;
        match self.read_exact_or_eof(limit.saturating_add(1)) {
            Ok(n) if n > limit => {
                // Count the rest without keeping it.
                self.buf = Vec::new();
                let rest = io::copy(&mut self.inner, &mut io::sink()).unwrap_or(0);
                self.count_bytes(rest);
                let message =
                    format!("the message is larger than the limit of {limit} bytes; not read");
                let bytes = n + rest;
                Some(Err(self.binary_error(
                    ErrorKind::TooLarge,
                    message,
                    0,
                    bytes,
                )))
            }
            Ok(_) => {
                let bytes = std::mem::take(&mut self.buf);
                Some(Ok(RawDocument {
                    size: bytes.len() as u64,
                    bytes,
                    encoding: Encoding::Protobuf,
                    compressed: false,
                    line: 0,
                    offset: 0,
                    leniency: self.leniency,
                    fidelity: self.fidelity,
                    keys: Arc::clone(&self.keys),
                }))
            }
            Err(e) => {
                let offset = self.offset;
                Some(Err(self.binary_io_error(&e, offset)))
            }
        }
    }

    fn binary_io_error(&mut self, e: &io::Error, offset: u64) -> ReadError {
        self.mode = Mode::Done;
        let message = if e.kind() == io::ErrorKind::UnexpectedEof {
            format!("input ends unexpectedly (truncated compressed stream?): {e}")
        } else {
            format!("read failed: {e}")
        };
        self.binary_error(ErrorKind::Io, message, offset, 0)
    }

    /// The next length-prefixed record: a protobuf message, a zstd frame holding
    /// one (the file exporter's `compression: zstd` without native compression),
    /// or a JSON document in a zstd frame.
    fn next_record(&mut self) -> Option<Result<RawDocument, ReadError>> {
        {
            let offset = self.offset;
            self.buf.clear();
            let got = match self.read_exact_or_eof(4) {
                Ok(got) => got,
                Err(e) => return Some(Err(self.binary_io_error(&e, offset))),
            };
            if got == 0 {
                self.mode = Mode::Done;
                return None;
            }
            if got < 4 {
                self.mode = Mode::Done;
                let message =
                    format!("the input ends inside a record's 4-byte length prefix ({got} bytes)");
                return Some(Err(self.binary_error(
                    ErrorKind::Truncated,
                    message,
                    offset,
                    got,
                )));
            }
            let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
            let len = u64::from(len);
            self.buf.clear();
            if len > self.max_document_bytes as u64 {
                // Skip the record without loading it; if the prefix was wrong the
                // input ends first.
                let skipped =
                    io::copy(&mut (&mut self.inner).take(len), &mut io::sink()).unwrap_or(0);
                self.count_bytes(skipped);
                if skipped < len {
                    self.mode = Mode::Done;
                }
                let message = format!(
                    "the record's length prefix says {len} bytes, more than the limit of {} bytes; skipped without being loaded{}",
                    self.max_document_bytes,
                    if skipped < len { format!(" (the input ends after {skipped})") } else { String::new() },
                );
                return Some(Err(self.binary_error(
                    ErrorKind::TooLarge,
                    message,
                    offset,
                    4 + skipped,
                )));
            }
            let got = match self.read_exact_or_eof(len) {
                Ok(got) => got,
                Err(e) => return Some(Err(self.binary_io_error(&e, offset))),
            };
            if got < len {
                self.mode = Mode::Done;
                self.buf = Vec::new();
                let message = format!(
                    "the record's length prefix says {len} bytes but the input ends after {got}"
                );
                return Some(Err(self.binary_error(
                    ErrorKind::Truncated,
                    message,
                    offset,
                    4 + got,
                )));
            }
            if self.buf.starts_with(&ZSTD_MAGIC) {
                return Some(self.decompress_record(offset, len));
            }
            if !self.buf.is_empty() && self.buf[0] != 0x0a {
                // A record starts with field 1 of TracesData; anything else means
                // the stream lost its framing (a wrong length before): stop.
                self.mode = Mode::Done;
                self.buf = Vec::new();
                let message = format!(
                    "the record of {len} bytes does not start with an OTLP message (byte 0a): a length prefix at or before this one is wrong; the rest of the input is not read"
                );
                return Some(Err(self.binary_error(
                    ErrorKind::Syntax,
                    message,
                    offset,
                    4 + len,
                )));
            }
            let bytes = std::mem::replace(&mut self.buf, self.pool.take());
            Some(Ok(RawDocument {
                size: 4 + len,
                bytes,
                encoding: Encoding::Protobuf,
                compressed: false,
                line: 0,
                offset,
                leniency: self.leniency,
                fidelity: self.fidelity,
                keys: Arc::clone(&self.keys),
            }))
        }
    }

    /// Decompresses the zstd record in `self.buf` (at most the document limit).
    fn decompress_record(&mut self, offset: u64, len: u64) -> Result<RawDocument, ReadError> {
        let compressed = std::mem::take(&mut self.buf);
        let limit = self.max_document_bytes as u64;
        let mut bytes = Vec::new();
        let read = zstd::stream::read::Decoder::with_buffer(compressed.as_slice())
            .and_then(|d| d.take(limit + 1).read_to_end(&mut bytes));
        if let Err(e) = read {
            let message =
                format!("the zstd-compressed record of {len} bytes does not decompress: {e}");
            return Err(self.binary_error(ErrorKind::Syntax, message, offset, 4 + len));
        }
        if bytes.len() as u64 > limit {
            let message = format!(
                "the zstd-compressed record of {len} bytes decompresses to more than the limit of {limit} bytes; not read"
            );
            return Err(self.binary_error(ErrorKind::TooLarge, message, offset, 4 + len));
        }
        // The decompressed record stands for its own bytes and the prefix.
        self.stats.bytes = (self.stats.bytes + bytes.len() as u64).saturating_sub(len);
        let encoding =
            if InputFormat::detect(&bytes[..bytes.len().min(SNIFF_BYTES)]) == InputFormat::Json {
                Encoding::Json
            } else {
                Encoding::Protobuf
            };
        Ok(RawDocument {
            size: 4 + bytes.len() as u64,
            bytes,
            encoding,
            compressed: true,
            line: 0,
            offset,
            leniency: self.leniency,
            fidelity: self.fidelity,
            keys: Arc::clone(&self.keys),
        })
    }

    /// The next document, framed but not decoded (blank lines skipped). Errors here
    /// are about reading: an IO failure, a line or record over the size limit, a
    /// truncated or implausible record.
    pub fn next_raw(&mut self) -> Option<Result<RawDocument, ReadError>> {
        if matches!(self.mode, Mode::Detect) {
            match std::mem::replace(&mut self.format, Ok(InputFormat::Json)) {
                Err(e) => {
                    let e = e.unwrap_or_else(|| io::Error::other("unreadable"));
                    return Some(Err(self.io_error(&e, 1, 0)));
                }
                Ok(InputFormat::Json) => {}
                Ok(InputFormat::Empty) => {
                    self.mode = Mode::Done;
                    let message = "the input is empty".to_owned();
                    return Some(Err(self.binary_error(ErrorKind::Empty, message, 0, 0)));
                }
                Ok(InputFormat::ProtobufMessage) => return self.read_message(),
                Ok(InputFormat::LengthPrefixed) => {
                    self.mode = Mode::Records;
                    self.framing = Some(Framing::LengthPrefixed);
                }
                Ok(InputFormat::Unknown) => {
                    self.mode = Mode::Done;
                    let head = self.inner.get_ref().0.get_ref();
                    let shown: Vec<String> =
                        head.iter().take(8).map(|b| format!("{b:02x}")).collect();
                    let message = format!(
                        "neither OTLP/JSON nor OTLP protobuf (nor gzip or zstd): the input starts with bytes {}",
                        shown.join(" ")
                    );
                    return Some(Err(self.binary_error(ErrorKind::Syntax, message, 0, 0)));
                }
            }
        }
        if matches!(self.mode, Mode::Records) {
            return self.next_record();
        }
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
                let incomplete = is_incomplete_json(without_bom(&self.buf));
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

/// Whether `line` is the start of a JSON value that goes on past it: what serde_json
/// calls an end-of-input error. A line whose first value's brackets close within it
/// cannot be one (serde either parses the value, or meets a syntax error or trailing
/// characters first), which a bracket scan tells in two fifths of the instructions
/// of a serde syntax pass (callgrind, one 8 MB line: 43 M against 110 M); that pass
/// was the first 18 ms or so of every replay of a capture of 8 MB lines, before any
/// decoding could start. Any other line (brackets
/// left open, a first value that is not an object or array) gets the serde pass, so
/// the answer is serde's in every case.
pub(crate) fn is_incomplete_json(line: &[u8]) -> bool {
    if first_value_closes(line) {
        return false;
    }
    serde_json::from_slice::<IgnoredAny>(line)
        .err()
        .is_some_and(|e| e.is_eof())
}

/// Whether `line` starts (after JSON whitespace) with `{` or `[` whose bracket is
/// closed within it, strings and their escapes skipped.
///
/// Until serde meets its first syntax error, the bytes are a prefix of valid JSON,
/// where brackets pair up and strings end at the first unescaped quote, as counted
/// here; so if the count returns to zero, serde's value ended there or serde stopped
/// earlier at a byte that is present, neither of which is an end-of-input error.
pub(crate) fn first_value_closes(line: &[u8]) -> bool {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    let Some(start) = start.filter(|&i| matches!(line[i], b'{' | b'[')) else {
        return false;
    };
    let mut brackets = Brackets::default();
    // Sixteen bytes at a time, visiting only quotes, backslashes and brackets (one
    // byte in five or six of OTLP/JSON); the last bytes one by one.
    let mut at = start;
    while let Some(chunk) = line.get(at..at + 16) {
        let mut stops = structural_16(chunk);
        while stops != 0 {
            let k = stops.trailing_zeros() as usize;
            stops &= stops - 1;
            if brackets.closes_at(at + k, line[at + k]) {
                return true;
            }
        }
        at += 16;
    }
    (at..line.len()).any(|p| brackets.closes_at(p, line[p]))
}

/// The state of [`first_value_closes`]'s scan.
#[derive(Default)]
struct Brackets {
    depth: usize,
    in_string: bool,
    /// Bytes before this position are skipped: the byte after a backslash in a string.
    skip_to: usize,
}

impl Brackets {
    /// Takes byte `b` at `at` (other bytes than quotes, backslashes and brackets
    /// change nothing and need not be given); true when the first value closes.
    #[inline]
    fn closes_at(&mut self, at: usize, b: u8) -> bool {
        if at < self.skip_to {
            return false;
        }
        match (self.in_string, b) {
            (true, b'"') => self.in_string = false,
            (true, b'\\') => self.skip_to = at + 2,
            (false, b'"') => self.in_string = true,
            (false, b'{' | b'[') => self.depth += 1,
            (false, b'}' | b']') => {
                // The scan starts at an opening bracket, so the depth is at least 1.
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }
}

/// Bit `k` set when byte `k` of `chunk` is a quote, a backslash or a bracket.
#[inline]
fn structural_16(chunk: &[u8]) -> u32 {
    use wide::u8x16;
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(chunk);
    let v = u8x16::new(bytes);
    // `[` and `]` are `{` and `}` without the 0x20 bit.
    let folded = v | u8x16::splat(0x20);
    let stops = v.simd_eq(u8x16::splat(b'"'))
        | v.simd_eq(u8x16::splat(b'\\'))
        | folded.simd_eq(u8x16::splat(b'{'))
        | folded.simd_eq(u8x16::splat(b'}'));
    stops.to_bitmask()
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
