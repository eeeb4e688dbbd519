//! The representation of [`SourceMap`] and the builder the decoders fill.
//!
//! A scalar's decoded text is mostly slices of the file copied verbatim (a line of a
//! plain or block scalar, the characters between two escapes), with a few characters
//! made up in between (a space folded from a line break, a character from an escape).
//! So the map is a sorted list of runs: a copied slice is one *advancing* run (decoded
//! byte `d + k` comes from file byte `f + k`), a made-up character is a *fixed* run (all
//! its bytes point at the source it came from). Lookups are a binary search; memory is
//! proportional to the number of runs, not to the length of the text.
//!
//! The builder also checks, as it goes, that what it produces is exactly the text saphyr
//! decoded; a decoder that disagrees with saphyr yields no map, and the caller falls back
//! to [`SourceMap::flat`].

use std::ops::Range;

use super::SourceMap;

/// Decoded bytes from `decoded` on (up to the next run) come from file byte `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run {
    /// First decoded byte of the run.
    pub(super) decoded: usize,
    /// The file byte it comes from.
    pub(super) file: usize,
    /// Whether the following decoded bytes come from the following file bytes (a copied
    /// slice) or all from `file` (a character made up by an escape or by folding).
    pub(super) advance: bool,
}

impl SourceMap {
    /// A map that sends every offset of a `len`-byte text to `start`, except `len` itself,
    /// which goes to `end`: the fallback when a scalar could not be re-decoded.
    pub(super) fn flat(len: usize, start: usize, end: usize) -> Self {
        SourceMap {
            runs: if len == 0 {
                Vec::new()
            } else {
                vec![Run {
                    decoded: 0,
                    file: start,
                    advance: false,
                }]
            },
            len,
            end: end.max(start),
        }
    }

    /// A map that sends every offset of a `len`-byte text to itself: for a text that is
    /// its own file (an expression built in code).
    pub(crate) fn identity(len: usize) -> Self {
        SourceMap {
            runs: if len == 0 {
                Vec::new()
            } else {
                vec![Run {
                    decoded: 0,
                    file: 0,
                    advance: true,
                }]
            },
            len,
            end: len,
        }
    }

    /// The file offset of decoded byte `offset` (see [`SourceMap::file_offset`]).
    pub(super) fn lookup(&self, offset: usize) -> usize {
        if offset >= self.len {
            return self.end;
        }
        let index = self.runs.partition_point(|run| run.decoded <= offset);
        match index.checked_sub(1).and_then(|i| self.runs.get(i)) {
            Some(run) if run.advance => run.file + (offset - run.decoded),
            Some(run) => run.file,
            None => self.end,
        }
    }
}

/// Builds a [`SourceMap`] while checking the decoded text against saphyr's.
pub(super) struct MapBuilder<'a> {
    source: &'a str,
    /// saphyr's decoded text, which the decoder must reproduce.
    expected: &'a str,
    /// How much of `expected` has been produced.
    produced: usize,
    /// False once the decoder produced something `expected` does not have.
    matches: bool,
    runs: Vec<Run>,
}

impl<'a> MapBuilder<'a> {
    pub(super) fn new(source: &'a str, expected: &'a str) -> Self {
        MapBuilder {
            source,
            expected,
            produced: 0,
            matches: true,
            runs: Vec::new(),
        }
    }

    /// The text still to produce.
    pub(super) fn rest(&self) -> &'a str {
        self.expected.get(self.produced..).unwrap_or("")
    }

    /// Appends the file slice `range` verbatim.
    pub(super) fn copy(&mut self, range: Range<usize>) {
        if !self.matches || range.is_empty() {
            return;
        }
        let Some(slice) = self.source.get(range.clone()) else {
            self.matches = false;
            return;
        };
        if !self.rest().starts_with(slice) {
            self.matches = false;
            return;
        }
        let decoded = self.produced;
        let extends = self
            .runs
            .last()
            .is_some_and(|run| run.advance && run.file + (decoded - run.decoded) == range.start);
        if !extends {
            self.runs.push(Run {
                decoded,
                file: range.start,
                advance: true,
            });
        }
        self.produced += slice.len();
    }

    /// Appends `c`, made up from the source at file offset `file`.
    pub(super) fn put(&mut self, c: char, file: usize) {
        if !self.matches {
            return;
        }
        if !self.rest().starts_with(c) {
            self.matches = false;
            return;
        }
        let same = self
            .runs
            .last()
            .is_some_and(|run| !run.advance && run.file == file);
        if !same {
            self.runs.push(Run {
                decoded: self.produced,
                file,
                advance: false,
            });
        }
        self.produced += c.len_utf8();
    }

    /// The map, if the decoder reproduced saphyr's text exactly; `end` is where
    /// `offset == len` points.
    pub(super) fn finish(self, end: usize) -> Option<SourceMap> {
        (self.matches && self.produced == self.expected.len()).then_some(SourceMap {
            runs: self.runs,
            len: self.expected.len(),
            end,
        })
    }
}
