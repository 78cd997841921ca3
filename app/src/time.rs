//! Times as members read them: in their own time zone. The server renders UTC (it does not
//! know the member's zone); once the page is live in the browser, every time shown switches to
//! the browser's zone ([`crate::live::Live::local_time`]).

use crate::model::UnixTime;

/// Minutes east of UTC at `millis` in the browser's time zone (daylight saving included);
/// `None` on the server.
pub fn local_offset_minutes(millis: i64) -> Option<i32> {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
        Some(-(date.get_timezone_offset() as i32))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = millis;
        None
    }
}

/// The time of day at `millis` in an IANA `zone` (`Wed 14:05`), as the browser's own zone
/// database knows it; `None` on the server or for a zone the browser does not know.
pub fn time_in_zone(millis: i64, zone: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let options = js_sys::Object::new();
        let set = |key: &str, value: &str| {
            js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value))
        };
        set("timeZone", zone).ok()?;
        set("weekday", "short").ok()?;
        set("hour", "2-digit").ok()?;
        set("minute", "2-digit").ok()?;
        set("hourCycle", "h23").ok()?;
        // Made through `Reflect` so that an unknown zone (a RangeError) is an `Err`, not an
        // exception thrown through the WASM module.
        let intl = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
        let class = js_sys::Reflect::get(&intl, &JsValue::from_str("DateTimeFormat")).ok()?;
        let class: js_sys::Function = class.dyn_into().ok()?;
        let args = js_sys::Array::of2(&JsValue::UNDEFINED, &options);
        let formatter = js_sys::Reflect::construct(&class, &args).ok()?;
        let format = js_sys::Reflect::get(&formatter, &JsValue::from_str("format")).ok()?;
        let format: js_sys::Function = format.dyn_into().ok()?;
        let date = js_sys::Date::new(&JsValue::from_f64(millis as f64));
        format.call1(&formatter, &date).ok()?.as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (millis, zone);
        None
    }
}

/// A moment on the wall clock of a zone: days since the epoch, and minutes into that day.
fn wall_clock(millis: i64, offset_minutes: i32) -> (i64, i64) {
    let minutes = millis.div_euclid(60_000) + i64::from(offset_minutes);
    (minutes.div_euclid(1440), minutes.rem_euclid(1440))
}

/// The offset to show times with: the browser's zone once `local` is on, else UTC.
fn offset(millis: i64, local: bool) -> i32 {
    if local {
        local_offset_minutes(millis).unwrap_or(0)
    } else {
        0
    }
}

/// `14:05` (with ` UTC` until the member's zone is known).
pub fn clock_time(at: UnixTime, local: bool) -> String {
    let (_, minutes) = wall_clock(at.millis(), offset(at.millis(), local));
    let suffix = if local { "" } else { " UTC" };
    format!("{:02}:{:02}{suffix}", minutes / 60, minutes % 60)
}

/// The calendar date of a day number (days since 1970-01-01), by Howard Hinnant's algorithm.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The day a message belongs to, for the thread's separators: `Today`, `Yesterday`, `2 Dec`,
/// or `2 Dec 2025` for another year.
pub fn day_label(at: UnixTime, now_millis: i64, local: bool) -> String {
    let (day, _) = wall_clock(at.millis(), offset(at.millis(), local));
    let (today, _) = wall_clock(now_millis, offset(now_millis, local));
    match today - day {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ => {
            let (year, month, date) = civil_date(day);
            let (this_year, ..) = civil_date(today);
            let month = MONTHS[(month - 1) as usize];
            if year == this_year {
                format!("{date} {month}")
            } else {
                format!("{date} {month} {year}")
            }
        }
    }
}

/// Which day a moment falls on (days since the epoch), for grouping.
pub fn day_of(at: UnixTime, local: bool) -> i64 {
    wall_clock(at.millis(), offset(at.millis(), local)).0
}

/// A date and time for tables and timelines: `2 Dec 2026, 14:05`.
pub fn date_time(at: UnixTime, local: bool) -> String {
    let (day, _) = wall_clock(at.millis(), offset(at.millis(), local));
    let (year, month, date) = civil_date(day);
    format!(
        "{date} {} {year}, {}",
        MONTHS[(month - 1) as usize],
        clock_time(at, local)
    )
}

/// The ISO 8601 form of a moment (UTC), for `<time datetime=…>`.
pub fn iso(at: UnixTime) -> String {
    format!("{}Z", local_iso(at, 0))
}

/// A moment as a wall clock `offset_minutes` east of UTC reads it: `YYYY-MM-DDTHH:MM:SS`.
pub fn local_iso(at: UnixTime, offset_minutes: i32) -> String {
    let (day, minutes) = wall_clock(at.millis(), offset_minutes);
    let (year, month, date) = civil_date(day);
    let seconds = at.0.rem_euclid(60);
    format!(
        "{year:04}-{month:02}-{date:02}T{:02}:{:02}:{seconds:02}",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clocks_in_a_zone() {
        // 2026-12-02 23:30 UTC is 3 Dec 00:30 one hour east.
        let at = 1_796_254_200_000;
        assert_eq!(wall_clock(at, 0), (20_789, 23 * 60 + 30));
        assert_eq!(wall_clock(at, 60), (20_790, 30));
        assert_eq!(civil_date(20_789), (2026, 12, 2));
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(local_iso(UnixTime(at / 1000), 60), "2026-12-03T00:30:00");
        assert_eq!(iso(UnixTime(at / 1000)), "2026-12-02T23:30:00Z");
    }

    #[test]
    fn labels_read_as_people_say_them() {
        let at = UnixTime(1_796_254_200);
        assert_eq!(clock_time(at, false), "23:30 UTC");
        assert_eq!(iso(at), "2026-12-02T23:30:00Z");
        assert_eq!(day_label(at, at.millis() + 3_600_000, false), "Yesterday");
        assert_eq!(day_label(at, at.millis(), false), "Today");
        assert_eq!(day_label(at, at.millis() + 5 * 86_400_000, false), "2 Dec");
        assert_eq!(
            day_label(at, at.millis() + 40 * 86_400_000, false),
            "2 Dec 2026"
        );
        assert_eq!(date_time(at, false), "2 Dec 2026, 23:30 UTC");
    }
}
