//! Byte offsets to 1-based line and column numbers, for machine-readable output.
//!
//! Columns count Unicode scalar values (characters), not bytes, so `é` is one column;
//! spec/diagnostics.md says so, and editors that count UTF-16 units differ only on
//! astral-plane characters.

/// The start offset of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`.
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(source).map(|at| at + 1));
        Self { starts }
    }

    /// The 1-based line and character column of byte `offset` (clamped to the text).
    pub fn line_column(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let prefix = source.get(start..offset).map_or_else(
            // `offset` is inside a multi-byte character: count up to its start.
            || {
                source[start..]
                    .char_indices()
                    .take_while(|(i, _)| start + i < offset)
                    .count()
            },
            |text| text.chars().count(),
        );
        (line + 1, prefix + 1)
    }
}

fn memchr_newlines(source: &str) -> impl Iterator<Item = usize> + '_ {
    source
        .bytes()
        .enumerate()
        .filter(|(_, byte)| *byte == b'\n')
        .map(|(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_character_columns() {
        let source = "ab\ncé d\n";
        let index = LineIndex::new(source);
        assert_eq!(index.line_column(source, 0), (1, 1));
        assert_eq!(index.line_column(source, 3), (2, 1));
        assert_eq!(index.line_column(source, 6), (2, 3));
        assert_eq!(index.line_column(source, 100), (3, 1));
    }
}
