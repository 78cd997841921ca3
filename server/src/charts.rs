//! Reports' charts, drawn on the server as SVG: no chart code travels to browsers. Each chart
//! names itself (`<title>`, `<desc>`) and each bar or cell says its number, for screen readers
//! and on hover; the page shows the same numbers in a table beside it.

use parley_app::model::UnixTime;
use parley_app::reports::{Heatmap, TimeBucket, TimeSeries};
use parley_app::time::local_iso;
use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A bar per bucket, scaled to the largest; buckets with nothing measured have no bar.
pub fn series_svg(series: &TimeSeries) -> String {
    let title = format!("{} per {}", series.metric.title(), series.bucket.as_str());
    let values: Vec<f64> = series.points.iter().filter_map(|p| p.value).collect();
    let top = values.iter().copied().fold(0.0, f64::max);
    let total: f64 = values.iter().sum();
    let first = series.points.first().map(|p| when(series, p.start));
    let last = series.points.last().map(|p| when(series, p.start));
    let desc = format!(
        "{} buckets from {} to {}; highest {}, total {}.",
        series.points.len(),
        first.clone().unwrap_or_default(),
        last.clone().unwrap_or_default(),
        number(top),
        number(total)
    );
    let mut svg = open(&title, &desc, WIDTH, HEIGHT);
    let plot_width = WIDTH - LEFT - 8.0;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let base = HEIGHT - BOTTOM;
    let slot = plot_width / series.points.len().max(1) as f64;
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="#94a3b8"/>"##,
        WIDTH - 8.0
    );
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#475569">{}</text>"##,
        LEFT - 6.0,
        TOP + 10.0,
        number(top)
    );
    let _ = write!(
        svg,
        r##"<text x="{}" y="{base}" text-anchor="end" font-size="11" fill="#475569">0</text>"##,
        LEFT - 6.0
    );
    for (index, point) in series.points.iter().enumerate() {
        let Some(value) = point.value else { continue };
        let height = if top > 0.0 {
            value / top * plot_height
        } else {
            0.0
        };
        let x = LEFT + index as f64 * slot + slot * 0.15;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{height:.1}" fill="#2563eb"><title>{}: {}</title></rect>"##,
            base - height,
            (slot * 0.7).max(1.0),
            when(series, point.start),
            number(value)
        );
    }
    for (anchor, x, label) in [("start", LEFT, first), ("end", WIDTH - 8.0, last)] {
        if let Some(label) = label {
            let _ = write!(
                svg,
                r##"<text x="{x}" y="{}" text-anchor="{anchor}" font-size="11" fill="#475569">{}</text>"##,
                HEIGHT - 8.0,
                escape(&label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Customers' messages by weekday (rows) and hour (columns), darker for more.
pub fn heatmap_svg(heatmap: &Heatmap) -> String {
    let busiest = heatmap
        .cells
        .iter()
        .flat_map(|day| day.iter().copied())
        .max()
        .unwrap_or(0);
    let total: i64 = heatmap.cells.iter().flat_map(|day| day.iter()).sum();
    let (cell, left, top) = (26.0, 40.0, 18.0);
    let width = left + 24.0 * cell + 4.0;
    let height = top + 7.0 * cell + 4.0;
    let desc = format!(
        "{total} customer messages; the busiest hour of the week had {busiest}. Times are {}.",
        heatmap.scope.time_zone
    );
    let mut svg = open(
        "Customer messages by weekday and hour",
        &desc,
        width,
        height,
    );
    for hour in (0..24).step_by(3) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="12" font-size="10" fill="#475569">{hour:02}</text>"##,
            left + hour as f64 * cell + 4.0
        );
    }
    for (weekday, hours) in heatmap.cells.iter().enumerate() {
        let y = top + weekday as f64 * cell;
        let name = WEEKDAYS.get(weekday).copied().unwrap_or("?");
        let _ = write!(
            svg,
            r##"<text x="0" y="{:.1}" font-size="11" fill="#475569">{name}</text>"##,
            y + cell * 0.65
        );
        for (hour, &count) in hours.iter().enumerate() {
            let shade = if busiest > 0 {
                0.08 + 0.92 * count as f64 / busiest as f64
            } else {
                0.08
            };
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#2563eb" fill-opacity="{shade:.2}"><title>{name} {hour:02}:00–{:02}:00: {count}</title></rect>"##,
                left + hour as f64 * cell,
                cell - 2.0,
                cell - 2.0,
                (hour + 1) % 24
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str, desc: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="chart-title chart-desc"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    )
}

/// A bucket's start as people read it, on the workspace's clock.
fn when(series: &TimeSeries, start: UnixTime) -> String {
    let at = local_iso(start, series.scope.utc_offset_minutes);
    match series.bucket {
        TimeBucket::Day => at[..10].to_owned(),
        TimeBucket::Hour => format!("{} {}", &at[..10], &at[11..16]),
    }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_app::reports::{Metric, ReportScope, SeriesPoint};

    fn scope() -> ReportScope {
        ReportScope {
            from: UnixTime(0),
            to: UnixTime(0),
            phone_number_id: None,
            team_id: None,
            agent_id: None,
            label: None,
            campaign_id: None,
            time_zone: "UTC".into(),
            utc_offset_minutes: 0,
            business_hours: false,
        }
    }

    #[test]
    fn a_series_draws_a_named_bar_per_measured_bucket() {
        let series = TimeSeries {
            scope: scope(),
            metric: Metric::MessagesIn,
            bucket: TimeBucket::Day,
            points: vec![
                SeriesPoint {
                    start: UnixTime(1_782_864_000),
                    value: Some(4.0),
                },
                SeriesPoint {
                    start: UnixTime(1_782_950_400),
                    value: None,
                },
                SeriesPoint {
                    start: UnixTime(1_783_036_800),
                    value: Some(2.0),
                },
            ],
        };
        let svg = series_svg(&series);
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"chart-title\">Messages in per day</title>"));
        assert_eq!(svg.matches("<rect ").count(), 2, "nothing measured, no bar");
        assert!(svg.contains("<title>2026-07-01: 4</title>"));
        assert!(svg.contains("highest 4, total 6"));
    }

    #[test]
    fn a_heatmap_has_a_cell_per_hour_of_the_week() {
        let mut cells = vec![[0i64; 24]; 7];
        cells[0][9] = 5;
        let svg = heatmap_svg(&Heatmap {
            scope: scope(),
            cells,
        });
        assert_eq!(svg.matches("<rect ").count(), 7 * 24);
        assert!(svg.contains("<title>Mon 09:00–10:00: 5</title>"));
        assert!(svg.contains(r#"fill-opacity="1.00""#));
        assert!(escape("<a & \"b\">").eq("&lt;a &amp; &quot;b&quot;&gt;"));
    }
}
