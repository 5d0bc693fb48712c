//! Wall-clock helpers: epoch milliseconds and ISO-8601 UTC text.

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: u64 = 86_400_000;

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// UTC day number of an epoch-millisecond instant.
pub(crate) fn day_of(ms: u64) -> u64 {
    ms / MS_PER_DAY
}

/// Whole seconds from `ms` until the next UTC midnight (at least 1).
pub(crate) fn secs_until_midnight(ms: u64) -> u64 {
    let next = (day_of(ms) + 1) * MS_PER_DAY;
    (next - ms).div_ceil(1000).max(1)
}

/// Formats epoch milliseconds as `2024-05-01T12:00:00.123Z`.
pub(crate) fn iso_ms(ms: u64) -> String {
    let days = i64::try_from(ms / MS_PER_DAY).unwrap_or(i64::MAX);
    let rem = ms % MS_PER_DAY;
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Parses `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+00:00]` as UTC epoch milliseconds.
pub(crate) fn parse_iso_ms(text: &str) -> Option<u64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))
        .unwrap_or(text);
    let (date, clock) = match text.split_once('T') {
        Some((date, clock)) => (date, Some(clock)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let y: i64 = number(parts.next()?, 4)?;
    let m: i64 = number(parts.next()?, 2)?;
    let d: i64 = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d).checked_mul(86_400_000)?;
    if let Some(clock) = clock {
        let (hms, frac) = match clock.split_once('.') {
            Some((hms, frac)) => (hms, Some(frac)),
            None => (clock, None),
        };
        let mut fields = hms.split(':');
        let h: i64 = number(fields.next()?, 2)?;
        let min: i64 = number(fields.next()?, 2)?;
        let s: i64 = match fields.next() {
            Some(s) => number(s, 2)?,
            None => 0,
        };
        if fields.next().is_some() || h > 23 || min > 59 || s > 60 {
            return None;
        }
        ms += (h * 3600 + min * 60 + s) * 1000;
        if let Some(frac) = frac {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded: String = frac.chars().chain("000".chars()).take(3).collect();
            ms += padded.parse::<i64>().ok()?;
        }
    }
    u64::try_from(ms).ok()
}

fn number(text: &str, width: usize) -> Option<i64> {
    if text.len() != width || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        for ms in [0, 951_782_400_123, 1_700_000_000_999, 4_102_444_800_000] {
            assert_eq!(parse_iso_ms(&iso_ms(ms)), Some(ms));
        }
        assert_eq!(parse_iso_ms("2024-01-02"), Some(1_704_153_600_000));
        assert_eq!(
            parse_iso_ms("2024-01-02T00:00:01Z"),
            Some(1_704_153_601_000)
        );
        assert_eq!(parse_iso_ms("yesterday"), None);
        assert_eq!(parse_iso_ms("2024-13-01"), None);
    }
}
