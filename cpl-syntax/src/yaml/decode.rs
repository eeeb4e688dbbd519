//! Re-decoding scalars to map decoded text back to the file.
//!
//! saphyr hands over a scalar's decoded value and the span of its token, but not which
//! file bytes each decoded character came from. A diagnostic inside a `when:` expression
//! needs exactly that, whatever the quoting style, so each style is decoded again here
//! from the raw file text, following saphyr's own scanner step by step (folding,
//! escapes, block indentation, chomping), while a [`MapBuilder`] records where every
//! piece came from and checks it against saphyr's value. When the two disagree (an
//! exotic case this decoder does not cover) the scalar gets a flat map pointing at its
//! start: a diagnostic then lands on the scalar rather than at a wrong place.
//!
//! All the syntax that matters here is ASCII, so the decoders work on bytes; they only
//! ever cut the source at ASCII bytes, so every slice is on a character boundary.
//!
//! What saphyr's spans cover (checked by the tests): a scalar event's span starts at its
//! properties (`&anchor`, `!tag`) if it has any, else at the scalar token. A plain token
//! ends after its last non-blank character; a quoted token runs from the opening quote
//! past the closing quote *and* any trailing blanks and comment; a block scalar token
//! starts at its first content line's content (after the indentation) when it has
//! content and no properties, at the `|`/`>` indicator otherwise, and ends after the
//! trailing empty lines and the next line's indentation.

use std::ops::Range;

use super::source_map::MapBuilder;
use super::{ScalarStyle, SourceMap};

/// The UTF-8 encoding of a byte order mark, which ends a block scalar line for saphyr.
const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// A scalar's source map and the span its node gets.
pub(super) struct Decoded {
    pub(super) map: SourceMap,
    /// From the properties (if any) to the end of the content: the closing quote of a
    /// quoted scalar, the last content line of a block scalar.
    pub(super) span: Range<usize>,
}

/// Maps the scalar whose event spans `event` (bytes) and whose decoded value is `text`;
/// `previous` is where the event before it ended (a block scalar's header is between the
/// two).
pub(super) fn decode(
    source: &str,
    event: Range<usize>,
    previous: usize,
    style: ScalarStyle,
    text: &str,
) -> Decoded {
    let bytes = source.as_bytes();
    let has_properties = matches!(bytes.get(event.start), Some(b'&' | b'!'));
    let content_start = if has_properties {
        skip_properties(bytes, event.start, event.end)
    } else {
        event.start
    };
    match style {
        ScalarStyle::Plain if text.is_empty() => {
            // An empty node: where its properties are, or an empty span where it would be.
            let span = if has_properties {
                event.clone()
            } else {
                event.start..event.start
            };
            Decoded {
                map: SourceMap::flat(0, span.end, span.end),
                span,
            }
        }
        ScalarStyle::Plain => Decoded {
            map: plain(source, content_start..event.end, text)
                .unwrap_or_else(|| SourceMap::flat(text.len(), content_start, event.end)),
            span: event,
        },
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let single = style == ScalarStyle::SingleQuoted;
            if let Some((map, close)) = quoted(source, content_start, single, text) {
                return Decoded {
                    map,
                    span: event.start..close + 1,
                };
            }
            // Drop the trailing blanks and comment saphyr's span includes.
            let quote = if single { b'\'' } else { b'"' };
            let end = bytes
                .get(content_start + 1..event.end)
                .and_then(|tail| tail.iter().rposition(|&c| c == quote))
                .map_or(event.end, |i| content_start + 1 + i + 1);
            Decoded {
                map: SourceMap::flat(text.len(), content_start, end),
                span: event.start..end,
            }
        }
        ScalarStyle::Literal | ScalarStyle::Folded => block(
            source,
            event,
            previous,
            has_properties,
            style == ScalarStyle::Literal,
            text,
        ),
    }
}

/// Skips node properties (`&anchor`, `!tag`, `!<verbatim>`) and the blanks, line breaks
/// and comments around them; stops at `limit`.
fn skip_properties(bytes: &[u8], mut pos: usize, limit: usize) -> usize {
    let bytes = bytes.get(..limit).unwrap_or(bytes);
    while pos < limit {
        match bytes.get(pos) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => pos += 1,
            Some(b'#') => pos = find(bytes, pos, |c| matches!(c, b'\r' | b'\n')),
            Some(b'!') if bytes.get(pos + 1) == Some(&b'<') => {
                pos = find(bytes, pos, |c| c == b'>') + 1;
            }
            Some(b'&' | b'!') => {
                pos = find(bytes, pos, |c| {
                    matches!(
                        c,
                        b' ' | b'\t' | b'\r' | b'\n' | 0 | b',' | b'[' | b']' | b'{' | b'}'
                    )
                });
            }
            _ => break,
        }
    }
    pos.min(limit)
}

/// The first position at or after `from` whose byte satisfies `stop`, or the end.
fn find(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .and_then(|tail| tail.iter().position(|&c| stop(c)))
        .map_or(bytes.len(), |i| from + i)
}

/// The length of the line break at `pos` (`\r\n`, `\r` or `\n`), if there is one.
fn break_len(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos) {
        Some(b'\r') if bytes.get(pos + 1) == Some(&b'\n') => Some(2),
        Some(b'\r' | b'\n') => Some(1),
        _ => None,
    }
}

/// Folding: the line break (and blank lines) between two pieces of content of a plain or
/// quoted scalar. One break becomes a space, mapped to where the first line's content
/// ended (`at`); `n` further empty lines become `n` newlines, the first mapped to `at`
/// too and the others to the breaks of the empty lines before the last.
fn fold(map: &mut MapBuilder<'_>, at: usize, empty_lines: &[usize]) {
    match empty_lines.split_last() {
        None => map.put(' ', at),
        Some((_, before_last)) => {
            map.put('\n', at);
            for &line_break in before_last {
                map.put('\n', line_break);
            }
        }
    }
}

/// A plain scalar whose token covers `range` (from its first to its last non-blank
/// character). Blanks inside a line are kept; a line break with the blanks around it
/// folds.
fn plain(source: &str, range: Range<usize>, text: &str) -> Option<SourceMap> {
    // Bounded by the token, so that looking for the end of a run stays within it.
    let bytes = source.as_bytes().get(..range.end)?;
    let mut map = MapBuilder::new(source, text);
    let mut pos = range.start;
    // Where the blanks after the last content began, if they are on its line.
    let mut blanks: Option<usize> = None;
    // Whether a line break followed the last content, and the breaks of empty lines.
    let mut broke = false;
    let mut empty_lines: Vec<usize> = Vec::new();
    let mut content_end = pos;
    while pos < range.end {
        match bytes.get(pos)? {
            b' ' | b'\t' => {
                if !broke && blanks.is_none() {
                    blanks = Some(pos);
                }
                pos += 1;
            }
            b'\r' | b'\n' => {
                if broke {
                    empty_lines.push(pos);
                } else {
                    broke = true;
                    blanks = None;
                }
                pos += break_len(bytes, pos)?;
            }
            // A `#` after a line break and blanks, inside the token: saphyr skipped it
            // as a comment (when the blanks included a tab in the indentation).
            b'#' if broke => pos = find(bytes, pos, |c| matches!(c, b'\r' | b'\n')),
            _ => {
                if broke {
                    fold(&mut map, content_end, &empty_lines);
                    broke = false;
                    empty_lines.clear();
                } else if let Some(start) = blanks {
                    map.copy(start..pos);
                }
                blanks = None;
                let end = find(bytes, pos, |c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
                map.copy(pos..end);
                pos = end;
                content_end = end;
            }
        }
    }
    map.finish(range.end)
}

/// A quoted scalar whose opening quote is at `open`; returns its map and the position of
/// the closing quote. Mirrors saphyr's `scan_flow_scalar`.
fn quoted(source: &str, open: usize, single: bool, text: &str) -> Option<(SourceMap, usize)> {
    let bytes = source.as_bytes();
    let quote = if single { b'\'' } else { b'"' };
    if bytes.get(open) != Some(&quote) {
        return None;
    }
    let mut map = MapBuilder::new(source, text);
    let mut pos = open + 1;
    let mut empty_lines: Vec<usize> = Vec::new();
    loop {
        // Non-blank characters, escapes and `''`.
        let mut leading_blanks = false;
        loop {
            match *bytes.get(pos)? {
                b' ' | b'\t' | b'\r' | b'\n' | 0 => break,
                b'\'' if single && bytes.get(pos + 1) == Some(&b'\'') => {
                    map.put('\'', pos);
                    pos += 2;
                }
                c if c == quote => break,
                b'\\' if !single => {
                    if let Some(len) = break_len(bytes, pos + 1) {
                        // An escaped line break: nothing, and the next line's indentation
                        // is not content.
                        pos += 1 + len;
                        leading_blanks = true;
                        break;
                    }
                    let (c, len) = escape(bytes, pos)?;
                    map.put(c, pos);
                    pos += len;
                }
                _ => {
                    let end = find(bytes, pos, |c| {
                        matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0 | b'\\' | b'\'' | b'"')
                    });
                    // A quote of the other kind is content: copy it with what follows.
                    let end = if end == pos { pos + 1 } else { end };
                    map.copy(pos..end);
                    pos = end;
                }
            }
        }
        match bytes.get(pos) {
            Some(&c) if c == quote => return map.finish(pos).map(|map| (map, pos)),
            // saphyr rejects a NUL in a quoted scalar; never loop on it.
            Some(0) | None => return None,
            Some(_) => {}
        }
        // Blanks and line breaks.
        let content_end = pos;
        let mut blanks: Option<Range<usize>> = None;
        let mut leading_break = false;
        loop {
            match *bytes.get(pos)? {
                b' ' | b'\t' => {
                    if !leading_blanks {
                        blanks = Some(blanks.map_or(pos..pos + 1, |b| b.start..pos + 1));
                    }
                    pos += 1;
                }
                b'\r' | b'\n' => {
                    if leading_blanks {
                        empty_lines.push(pos);
                    } else {
                        blanks = None;
                        leading_break = true;
                        leading_blanks = true;
                    }
                    pos += break_len(bytes, pos)?;
                }
                _ => break,
            }
        }
        // Join: keep blanks inside a line, fold line breaks.
        if leading_blanks {
            if leading_break {
                fold(&mut map, content_end, &empty_lines);
            } else {
                // After an escaped line break, every empty line is a newline.
                for &line_break in &empty_lines {
                    map.put('\n', line_break);
                }
            }
            empty_lines.clear();
        } else if let Some(blanks) = blanks {
            map.copy(blanks);
        }
    }
}

/// The character an escape sequence at `pos` (on its `\`) stands for, and its length.
fn escape(bytes: &[u8], pos: usize) -> Option<(char, usize)> {
    let simple = match *bytes.get(pos + 1)? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' | b'\t' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(bytes, pos, 2),
        b'u' => return hex_escape(bytes, pos, 4),
        b'U' => return hex_escape(bytes, pos, 8),
        _ => return None,
    };
    Some((simple, 2))
}

/// `\x`, `\u` or `\U` followed by `digits` hex digits.
fn hex_escape(bytes: &[u8], pos: usize, digits: usize) -> Option<(char, usize)> {
    let hex = bytes.get(pos + 2..pos + 2 + digits)?;
    let hex = std::str::from_utf8(hex).ok()?;
    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    Some((char::from_u32(code)?, 2 + digits))
}

/// A literal (`|`) or folded (`>`) block scalar.
///
/// The header's chomping and indentation indicators are not read: the indentation
/// follows from the first content line and saphyr's value (its first line's leading
/// spaces beyond the indentation are the value's leading spaces), and the chomped tail
/// is whatever newlines saphyr's value ends with.
fn block(
    source: &str,
    event: Range<usize>,
    previous: usize,
    has_properties: bool,
    literal: bool,
    text: &str,
) -> Decoded {
    let bytes = source.as_bytes();
    // Newlines before the first content line, then that line's spaces beyond the
    // indentation.
    let leading = text.bytes().take_while(|&c| c == b'\n').count();
    let spaces = text
        .bytes()
        .skip(leading)
        .take_while(|&c| c == b' ')
        .count();
    let has_content = leading < text.len();
    // The `|` or `>`: after the properties, or else (when the token starts at the
    // content) between the previous event and the content.
    let header = if has_properties {
        Some(skip_properties(bytes, event.start, event.end))
    } else if has_content {
        find_header(bytes, previous, event.start)
    } else {
        Some(event.start)
    };
    let span_start = if has_properties {
        event.start
    } else {
        header.unwrap_or(event.start).min(event.start)
    };

    let mut attempts: Vec<(usize, Vec<usize>)> = Vec::new();
    if has_content {
        let after_header = header
            .and_then(|header| after_header(bytes, header))
            .and_then(|start| empty_lines_after(bytes, start, leading));
        let at_content = content_line(bytes, event.start, leading);
        if has_properties {
            attempts.extend(after_header);
            attempts.extend(at_content);
        } else {
            attempts.extend(at_content);
            attempts.extend(after_header);
        }
    }
    for (line_start, leading_breaks) in attempts {
        let line_spaces = bytes
            .get(line_start..)
            .map_or(0, |line| line.iter().take_while(|&&c| c == b' ').count());
        let Some(indent) = line_spaces.checked_sub(spaces) else {
            continue;
        };
        if let Some((map, content_end)) =
            block_lines(source, line_start, indent, &leading_breaks, literal, text)
        {
            return Decoded {
                map,
                span: span_start..content_end,
            };
        }
    }

    // No content, or not understood: point at the header (or the content) and end the
    // span before the blank lines saphyr's token includes.
    let start = header.unwrap_or(event.start);
    let end = bytes
        .get(start..event.end)
        .and_then(|raw| raw.iter().rposition(|c| !c.is_ascii_whitespace()))
        .map_or(start, |i| start + i + 1);
    Decoded {
        map: SourceMap::flat(text.len(), start, end),
        span: span_start..end.max(span_start),
    }
}

/// The block scalar header between `from` (the end of the previous event) and `to` (the
/// scalar's first content): only indicators (`:`, `-`, `?`, `---`), blanks, line breaks
/// and comments may precede it.
fn find_header(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut pos = from;
    while pos < to {
        match bytes.get(pos)? {
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b'?' => pos += 1,
            b'#' => pos = find(bytes, pos, |c| matches!(c, b'\r' | b'\n')),
            b'|' | b'>' => return Some(pos),
            _ => return None,
        }
    }
    None
}

/// Where the line after a block scalar header at `header` starts.
fn after_header(bytes: &[u8], header: usize) -> Option<usize> {
    if !matches!(bytes.get(header), Some(b'|' | b'>')) {
        return None;
    }
    let line_break = find(bytes, header, |c| matches!(c, b'\r' | b'\n'));
    Some(line_break + break_len(bytes, line_break)?)
}

/// From the line starting at `start`, skips `count` empty (spaces only) lines: the start
/// of the next line and the breaks of the skipped lines.
fn empty_lines_after(bytes: &[u8], mut start: usize, count: usize) -> Option<(usize, Vec<usize>)> {
    let mut breaks = Vec::with_capacity(count);
    for _ in 0..count {
        let line_break = find(bytes, start, |c| c != b' ');
        breaks.push(line_break);
        start = line_break + break_len(bytes, line_break)?;
    }
    Some((start, breaks))
}

/// When a block scalar's token starts at its first content character (`content`): the
/// start of that line, after checking only indentation precedes it, and the breaks of
/// the `count` empty lines above it.
fn content_line(bytes: &[u8], content: usize, count: usize) -> Option<(usize, Vec<usize>)> {
    let first = line_start(bytes, content);
    if !bytes.get(first..content)?.iter().all(|&c| c == b' ') {
        return None;
    }
    let mut breaks = Vec::with_capacity(count);
    let mut start = first;
    for _ in 0..count {
        // The break ending the line above.
        let last = start.checked_sub(1)?;
        let line_break =
            if bytes.get(last) == Some(&b'\n') && last > 0 && bytes.get(last - 1) == Some(&b'\r') {
                last - 1
            } else if matches!(bytes.get(last), Some(b'\r' | b'\n')) {
                last
            } else {
                return None;
            };
        start = line_start(bytes, line_break);
        if !bytes.get(start..line_break)?.iter().all(|&c| c == b' ') {
            return None;
        }
        breaks.push(line_break);
    }
    breaks.reverse();
    Some((first, breaks))
}

/// The start of the line holding `pos`.
fn line_start(bytes: &[u8], pos: usize) -> usize {
    bytes
        .get(..pos)
        .and_then(|head| head.iter().rposition(|&c| matches!(c, b'\r' | b'\n')))
        .map_or(0, |i| i + 1)
}

/// The content lines of a block scalar from the line at `line_start`, indented by
/// `indent`, after the empty lines whose breaks are `leading_breaks`. Mirrors saphyr's
/// `scan_block_scalar`; returns the map and the end of the last content line.
fn block_lines(
    source: &str,
    line_start: usize,
    indent: usize,
    leading_breaks: &[usize],
    literal: bool,
    text: &str,
) -> Option<(SourceMap, usize)> {
    let bytes = source.as_bytes();
    let mut map = MapBuilder::new(source, text);
    for &line_break in leading_breaks {
        map.put('\n', line_break);
    }
    if !bytes
        .get(line_start..line_start + indent)?
        .iter()
        .all(|&c| c == b' ')
    {
        return None;
    }
    let mut pos = line_start + indent;
    let mut leading_break: Option<usize> = None;
    let mut empty_lines: Vec<usize> = Vec::new();
    let mut leading_blank = false;
    let mut content_end = pos;
    // Invariant at the top of the loop: `pos` is at the indentation column of a line.
    while let Some(&c) = bytes.get(pos) {
        if matches!(c, b'\r' | b'\n' | 0) || bytes[pos..].starts_with(BOM) {
            break;
        }
        if indent == 0 && is_document_end(bytes, pos) {
            break;
        }
        let trailing_blank = matches!(c, b' ' | b'\t');
        match leading_break {
            // Folding: a break between two lines that do not start with blanks.
            Some(at) if !literal && !leading_blank && !trailing_blank => {
                if empty_lines.is_empty() {
                    map.put(' ', at);
                }
                for &line_break in &empty_lines {
                    map.put('\n', line_break);
                }
            }
            _ => {
                if let Some(at) = leading_break {
                    map.put('\n', at);
                }
                for &line_break in &empty_lines {
                    map.put('\n', line_break);
                }
            }
        }
        leading_break = None;
        empty_lines.clear();
        leading_blank = trailing_blank;

        let line_end = (pos..bytes.len())
            .find(|&i| matches!(bytes[i], b'\r' | b'\n' | 0) || bytes[i..].starts_with(BOM))
            .unwrap_or(bytes.len());
        map.copy(pos..line_end);
        pos = line_end;
        content_end = line_end;

        let Some(len) = break_len(bytes, pos) else {
            break;
        };
        leading_break = Some(pos);
        pos += len;
        // The next line's indentation, and the empty lines before it.
        let mut column;
        loop {
            column = 0;
            while column < indent && bytes.get(pos) == Some(&b' ') {
                pos += 1;
                column += 1;
            }
            match break_len(bytes, pos) {
                Some(len) => {
                    empty_lines.push(pos);
                    pos += len;
                }
                None => break,
            }
        }
        if column != indent {
            break;
        }
    }

    // The chomped tail: newlines only, from the last line break on.
    let tail = map.rest();
    if !tail.bytes().all(|c| c == b'\n') {
        return None;
    }
    let mut breaks = leading_break.into_iter().chain(empty_lines.iter().copied());
    let mut end = content_end;
    for _ in 0..tail.len() {
        let at = breaks.next().unwrap_or(content_end);
        end = end.max(at);
        map.put('\n', at);
    }
    map.finish(end).map(|map| (map, content_end))
}

/// A `...` document end marker at `pos`.
fn is_document_end(bytes: &[u8], pos: usize) -> bool {
    bytes.get(pos..).is_some_and(|rest| {
        rest.starts_with(b"...")
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n' | 0))
    })
}
