//! Character indices to byte offsets.
//!
//! saphyr's [`Marker`](saphyr_parser::Marker) counts characters, but every span in this
//! crate is a byte range into the source. For ASCII sources the two agree; otherwise a
//! table holds the byte offset of every [`STRIDE`]-th character, so one conversion walks
//! at most `STRIDE` characters. Markers arrive almost in file order, so the last answer is
//! also kept and walked forward from when it is close: a whole document converts in
//! linear time.

use std::ops::Range;

/// Characters between two checkpoints.
const STRIDE: usize = 1024;

/// Converts saphyr's character indices into byte offsets of one source.
pub(super) struct Positions<'a> {
    source: &'a str,
    /// `None` when the source is ASCII (character index == byte offset); otherwise the
    /// byte offset of characters `0, STRIDE, 2 * STRIDE, ...`.
    checkpoints: Option<Vec<usize>>,
    /// The last conversion, `(char index, byte offset)`, to walk forward from.
    last: (usize, usize),
}

impl<'a> Positions<'a> {
    pub(super) fn new(source: &'a str) -> Self {
        let checkpoints = if source.is_ascii() {
            None
        } else {
            Some(
                source
                    .char_indices()
                    .step_by(STRIDE)
                    .map(|(byte, _)| byte)
                    .collect(),
            )
        };
        Positions {
            source,
            checkpoints,
            last: (0, 0),
        }
    }

    /// The byte offset of character `index`; indices past the end give `source.len()`.
    pub(super) fn byte(&mut self, index: usize) -> usize {
        let Some(checkpoints) = &self.checkpoints else {
            return index.min(self.source.len());
        };
        let (last_char, last_byte) = self.last;
        let (from_char, from_byte) = if last_char <= index && index - last_char < STRIDE {
            (last_char, last_byte)
        } else {
            match checkpoints.get(index / STRIDE) {
                Some(&byte) => (index - index % STRIDE, byte),
                // Past the last checkpoint: past the end of the source.
                None => return self.source.len(),
            }
        };
        let byte = self.source[from_byte..]
            .char_indices()
            .nth(index - from_char)
            .map_or(self.source.len(), |(offset, _)| from_byte + offset);
        if byte < self.source.len() {
            self.last = (index, byte);
        }
        byte
    }

    /// The byte range of a saphyr span.
    pub(super) fn span(&mut self, span: saphyr_parser::Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index());
        start..end.max(start)
    }
}
