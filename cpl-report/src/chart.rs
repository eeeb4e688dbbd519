//! Charts as inline SVG, drawn here from the report's integers: no script, no
//! library, nothing fetched. Every bar carries its number as text and every series is
//! named in a legend, so no chart is read by colour alone; the colours are the
//! Okabe–Ito palette, told apart with the common colour-vision deficiencies.

use maud::{html, Markup};

use crate::format::{int, name};

/// A series of a chart: its legend text and its CSS class (which sets the colour).
#[derive(Clone, Copy)]
pub(crate) struct Series {
    pub(crate) label: &'static str,
    pub(crate) class: &'static str,
}

/// Every trace (or span, byte) of the capture.
pub(crate) const ALL: Series = Series {
    label: "all",
    class: "s-all",
};
/// What the policy keeps.
pub(crate) const KEPT: Series = Series {
    label: "kept",
    class: "s-kept",
};
/// What the policy before keeps (diff).
pub(crate) const BEFORE: Series = Series {
    label: "kept before",
    class: "s-kept",
};
/// What the policy after keeps (diff).
pub(crate) const AFTER: Series = Series {
    label: "kept after",
    class: "s-after",
};

/// One group of bars: its label and one value per series.
pub(crate) struct Group {
    pub(crate) label: String,
    pub(crate) values: Vec<u64>,
}

/// Characters of a label in a chart; the tables beside show longer names.
const LABEL_CHARS: usize = 22;
const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 170;
const BAR_SPACE: u32 = 380;
const BAR_HEIGHT: u32 = 14;
const GAP: u32 = 10;
const LEGEND_HEIGHT: u32 = 24;

/// Horizontal grouped bars, one group per row, scaled to the largest value.
pub(crate) fn bars(title: &str, series: &[Series], groups: &[Group]) -> Markup {
    draw_bars(title, series, groups, false)
}

/// Horizontal grouped bars, each group scaled to its own largest value (its total):
/// for figures of different units or magnitudes, such as traces, spans and bytes.
pub(crate) fn shares(title: &str, series: &[Series], groups: &[Group]) -> Markup {
    draw_bars(title, series, groups, true)
}

fn draw_bars(title: &str, series: &[Series], groups: &[Group], per_group: bool) -> Markup {
    let largest = |groups: &mut dyn Iterator<Item = &Group>| {
        groups
            .flat_map(|group| group.values.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let overall = largest(&mut groups.iter());
    let per_series = u32::try_from(series.len()).unwrap_or(1);
    let group_height = per_series * BAR_HEIGHT + GAP;
    let rows = u32::try_from(groups.len()).unwrap_or(0);
    let height = LEGEND_HEIGHT + rows * group_height + GAP;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title)
                xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                (legend(series))
                @for (row, group) in groups.iter().enumerate() {
                    @let max = if per_group { largest(&mut std::iter::once(group)) } else { overall };
                    @let top = LEGEND_HEIGHT + u32::try_from(row).unwrap_or(0) * group_height;
                    text.label x=(LABEL_WIDTH - 6) y=(top + per_series * BAR_HEIGHT / 2 + 4)
                        text-anchor="end" { (name(&group.label, LABEL_CHARS)) }
                    @for (at, (value, series)) in group.values.iter().zip(series).enumerate() {
                        @let y = top + u32::try_from(at).unwrap_or(0) * BAR_HEIGHT;
                        @let width = scale(*value, max, BAR_SPACE);
                        rect class=(series.class) x=(LABEL_WIDTH) y=(y) width=(width)
                            height=(BAR_HEIGHT - 2) {
                            title { (series.label) ": " (int(*value)) }
                        }
                        text.value x=(LABEL_WIDTH + width + 4) y=(y + BAR_HEIGHT - 4) {
                            (int(*value))
                        }
                    }
                }
            }
        }
    }
}

/// A vertical histogram: one group of bars per bucket, labelled below.
pub(crate) fn histogram(title: &str, series: &[Series], buckets: &[Group]) -> Markup {
    let max = buckets
        .iter()
        .flat_map(|group| group.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let count = u32::try_from(buckets.len()).unwrap_or(1).max(1);
    let left = 8;
    let slot = (WIDTH - 2 * left) / count;
    let per_series = u32::try_from(series.len()).unwrap_or(1).max(1);
    let bar = (slot - 4) / per_series;
    let plot_top = LEGEND_HEIGHT + 14;
    let plot_height = 180;
    let height = plot_top + plot_height + 34;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title)
                xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                (legend(series))
                line.axis x1=(left) x2=(WIDTH - left) y1=(plot_top + plot_height)
                    y2=(plot_top + plot_height) {}
                @for (at, bucket) in buckets.iter().enumerate() {
                    @let x0 = left + u32::try_from(at).unwrap_or(0) * slot + 2;
                    @for (index, (value, series)) in bucket.values.iter().zip(series).enumerate() {
                        @let h = scale(*value, max, plot_height);
                        @let x = x0 + u32::try_from(index).unwrap_or(0) * bar;
                        rect class=(series.class) x=(x) y=(plot_top + plot_height - h)
                            width=(bar.saturating_sub(1)) height=(h) {
                            title { (bucket.label) ", " (series.label) ": " (int(*value)) }
                        }
                        @if *value > 0 {
                            text.value.small x=(x + bar / 2) y=(plot_top + plot_height - h - 3)
                                text-anchor="middle" { (int(*value)) }
                        }
                    }
                    text.label.small x=(x0 + slot / 2) y=(plot_top + plot_height + 14)
                        text-anchor="middle" { (bucket.label) }
                }
            }
        }
    }
}

fn legend(series: &[Series]) -> Markup {
    html! {
        g.legend {
            @for (at, series) in series.iter().enumerate() {
                @let x = 8 + u32::try_from(at).unwrap_or(0) * 130;
                rect class=(series.class) x=(x) y="4" width="14" height="14" {}
                text x=(x + 20) y="16" { (series.label) }
            }
        }
    }
}

/// `value / max` of `space` pixels, at least 1 for a non-zero value so it shows.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)] // pixels
fn scale(value: u64, max: u64, space: u32) -> u32 {
    if value == 0 {
        return 0;
    }
    let pixels = (value as f64 / max as f64 * f64::from(space)).round() as u32;
    pixels.clamp(1, space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_show_small_ones() {
        assert_eq!(scale(0, 10, 380), 0);
        assert_eq!(scale(10, 10, 380), 380);
        assert_eq!(scale(5, 10, 380), 190);
        assert_eq!(scale(1, 1_000_000, 380), 1);
    }

    #[test]
    fn every_bar_carries_its_number() {
        let svg = bars(
            "t",
            &[ALL, KEPT],
            &[Group {
                label: "gateway".to_owned(),
                values: vec![4110, 1304],
            }],
        )
        .into_string();
        assert!(svg.contains(">4110</text>") && svg.contains(">1304</text>"));
        assert!(svg.contains(">all</text>") && svg.contains(">kept</text>"));
    }
}
