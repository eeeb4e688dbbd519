//! Plain-text tables whose columns are as wide as their widest cell, and the number
//! formats the tables share (thousands separators, sizes, percentages).
//!
//! Widths count characters: names are what users wrote in a policy, and neither a long
//! rule or tenant name nor a nine-digit count may push a row out of line.

use std::fmt::Write as _;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table: a header row and body rows, rendered with two spaces between columns.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            aligns: columns.iter().map(|&(_, align)| align).collect(),
            rows: vec![columns.iter().map(|&(name, _)| name.to_owned()).collect()],
        }
    }

    /// Adds a row; missing cells are empty, extra cells are ignored.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn cell(row: &[String], column: usize) -> &str {
        row.get(column).map_or("", String::as_str)
    }

    /// Writes the table, each line after `indent`, without trailing spaces.
    pub(crate) fn write(&self, out: &mut String, indent: &str) {
        let widths: Vec<usize> = (0..self.aligns.len())
            .map(|column| {
                self.rows
                    .iter()
                    .map(|row| Self::cell(row, column).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::from(indent);
            for (column, (&align, &width)) in self.aligns.iter().zip(&widths).enumerate() {
                if column > 0 {
                    line.push_str("  ");
                }
                let text = Self::cell(row, column);
                let _ = match align {
                    Align::Left => write!(line, "{text:<width$}"),
                    Align::Right => write!(line, "{text:>width$}"),
                };
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// `12,345`
pub(crate) fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// `1,234.5`: one decimal, thousands separated.
pub(crate) fn decimal1(value: f64) -> String {
    // Rounded first, so that no value prints as `-0.0`.
    let text = format!("{:.1}", (value * 10.0).round() / 10.0 + 0.0);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "0"));
    match whole.strip_prefix('-') {
        Some(digits) => format!("-{}.{fraction}", group_thousands(digits)),
        None => format!("{}.{fraction}", group_thousands(whole)),
    }
}

/// `$1,234.50`
pub(crate) fn dollars(value: f64) -> String {
    let text = format!("{:.2}", value.max(0.0));
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    format!("${}.{fraction}", group_thousands(whole))
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.7%`, or `-` when there is nothing to divide.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// `7.97 MB` (decimal units, as vendors bill).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn size(bytes: u64) -> String {
    let value = bytes as f64;
    if value >= 1e12 {
        format!("{} TB", decimal2(value / 1e12))
    } else if value >= 1e9 {
        format!("{:.2} GB", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.2} MB", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} kB", value / 1e3)
    } else {
        format!("{bytes} B")
    }
}

fn decimal2(value: f64) -> String {
    let text = format!("{value:.2}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    format!("{}.{fraction}", group_thousands(whole))
}

/// `1 file`, `2 files`: `n` with thousands separators and the noun agreeing.
pub(crate) fn counted(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", count(n), if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell() {
        let mut table = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        table.row(vec!["a".repeat(40), count(123_456_789)]);
        table.row(vec!["b".into(), count(7)]);
        let mut out = String::new();
        table.write(&mut out, "  ");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("  name{}            n", " ".repeat(36)));
        assert_eq!(lines[1], format!("  {}  123,456,789", "a".repeat(40)));
        assert_eq!(lines[2], format!("  b{}            7", " ".repeat(39)));
    }

    #[test]
    fn numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_424_449), "1,424,449");
        assert_eq!(decimal1(-0.0), "0.0");
        assert_eq!(decimal1(-0.04), "0.0");
        assert_eq!(decimal1(62.150_000_000_000_006), "62.2");
        assert_eq!(decimal1(1_234_567.04), "1,234,567.0");
        assert_eq!(dollars(0.1), "$0.10");
        assert_eq!(dollars(1234.5), "$1,234.50");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_619_175), "4.62 MB");
        assert_eq!(size(1_234_000_000_000_000), "1,234.00 TB");
        assert_eq!(counted(1, "file", "files"), "1 file");
        assert_eq!(counted(1500, "trace", "traces"), "1,500 traces");
    }
}
