//! The 24-hour customer-service window as agents see it: time left, and how urgent.

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
