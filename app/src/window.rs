//! The 24-hour customer-service window as agents see it: time left, and how urgent.

/// Milliseconds since the epoch for an RFC 3339 UTC timestamp such as the API sends
/// (`2026-11-22T18:33:39Z`, optionally with fractional seconds).
pub fn rfc3339_millis(text: &str) -> Option<i64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    let millis = format!("{fraction:0<3}").get(..3)?.parse::<i64>().ok()?;
    // Days from civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// How pressing the remaining window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    Calm,
    /// Under an hour left.
    Soon,
    /// Under ten minutes left.
    Critical,
    /// Closed: only templates may be sent.
    Closed,
}

impl Urgency {
    pub fn class(self) -> &'static str {
        match self {
            Urgency::Calm => "window-calm",
            Urgency::Soon => "window-soon",
            Urgency::Critical => "window-critical",
            Urgency::Closed => "window-closed",
        }
    }
}

/// The window at `now`: a label (`23h 59m`, `mm:ss` under an hour, `closed`) and its urgency.
pub fn window_status(expires_at_ms: Option<i64>, now_ms: i64) -> (String, Urgency) {
    let remaining = expires_at_ms.map_or(0, |expires| expires - now_ms);
    if remaining <= 0 {
        return ("closed".into(), Urgency::Closed);
    }
    let seconds = remaining / 1000;
    if seconds >= 3600 {
        (
            format!("{}h {:02}m", seconds / 3600, (seconds % 3600) / 60),
            Urgency::Calm,
        )
    } else {
        let urgency = if seconds < 600 {
            Urgency::Critical
        } else {
            Urgency::Soon
        };
        (format!("{:02}:{:02}", seconds / 60, seconds % 60), urgency)
    }
}

/// A short relative time for list rows: `now`, `5m`, `3h`, `2d`.
pub fn relative_time(at_ms: i64, now_ms: i64) -> String {
    let seconds = (now_ms - at_ms).max(0) / 1000;
    match seconds {
        0..=59 => "now".into(),
        60..=3599 => format!("{}m", seconds / 60),
        3600..=86_399 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

/// The current time in milliseconds, in the browser or on the server.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_apis_timestamps() {
        assert_eq!(rfc3339_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_millis("2023-10-11T16:53:43Z"),
            Some(1_697_043_223_000)
        );
        assert_eq!(
            rfc3339_millis("2026-11-22T18:33:39.124Z"),
            Some(1_795_372_419_124)
        );
        assert_eq!(rfc3339_millis("garbage"), None);
    }

    #[test]
    fn countdown_labels_and_colours() {
        let hour = 3_600_000;
        assert_eq!(
            window_status(Some(24 * hour - 60_000), 0),
            ("23h 59m".into(), Urgency::Calm)
        );
        assert_eq!(
            window_status(Some(40 * 60_000 + 5_000), 0),
            ("40:05".into(), Urgency::Soon)
        );
        assert_eq!(
            window_status(Some(9 * 60_000), 0),
            ("09:00".into(), Urgency::Critical)
        );
        assert_eq!(
            window_status(Some(1000), 1000),
            ("closed".into(), Urgency::Closed)
        );
        assert_eq!(window_status(None, 0).1, Urgency::Closed);
    }

    #[test]
    fn relative_times() {
        assert_eq!(relative_time(0, 30_000), "now");
        assert_eq!(relative_time(0, 5 * 60_000), "5m");
        assert_eq!(relative_time(0, 3 * 3_600_000), "3h");
        assert_eq!(relative_time(0, 2 * 86_400_000), "2d");
    }
}
