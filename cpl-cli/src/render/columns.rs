//! Columns in UTF-16 code units: SARIF's default column unit (3.14.17 `columnKind`)
//! and what GitHub, whose front end counts JavaScript string indices, expects.
//!
//! The JSON format counts characters instead ([`cpl_syntax::LineIndex`]); the two
//! differ only after characters outside the Basic Multilingual Plane (an emoji is one
//! character but two UTF-16 units).

use cpl_syntax::LineIndex;

/// The 1-based line and UTF-16 column of byte `offset` of `source`. An offset inside
/// a multi-byte character counts from that character's start; one past the end is
/// clamped to the end.
pub(crate) fn utf16_line_column(lines: &LineIndex, source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let (line, _) = lines.line_column(source, offset);
    let line_start = source[..offset].rfind('\n').map_or(0, |at| at + 1);
    (line, source[line_start..offset].encode_utf16().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one unit, `😀` (U+1F600) two, `€` one; bytes 2, 4 and 3.
        let source = "ab\né😀 € x\n";
        let lines = LineIndex::new(source);
        let x = source.find('x').expect("x");
        assert_eq!(utf16_line_column(&lines, source, x), (2, 7));
        // Characters would say column 6.
        assert_eq!(lines.line_column(source, x), (2, 6));
        assert_eq!(utf16_line_column(&lines, source, 0), (1, 1));
        assert_eq!(utf16_line_column(&lines, source, 3), (2, 1));
        // Inside the emoji: its start.
        let emoji = source.find('😀').expect("emoji");
        assert_eq!(utf16_line_column(&lines, source, emoji + 1), (2, 2));
        // Past the end: the end, on the empty last line.
        assert_eq!(utf16_line_column(&lines, source, 1000), (3, 1));
    }
}
