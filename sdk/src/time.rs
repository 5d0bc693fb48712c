//! Timestamps in canonical form: RFC 3339 in UTC.
//!
//! ```
//! use switchboard_sdk::time::to_utc;
//! assert_eq!(to_utc("2024-05-01T12:00:00+02:00").unwrap(), "2024-05-01T10:00:00Z");
//! assert_eq!(switchboard_sdk::time::to_unix_ms("2024-05-01T10:00:00Z").unwrap(), 1714557600000);
//! ```

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses RFC 3339 (any offset) or Unix milliseconds and returns RFC 3339 UTC.
pub fn to_utc(raw: &str) -> Result<String, String> {
    let t = parse(raw)?;
    t.format(&Rfc3339).map_err(|e| format!("{raw:?}: {e}"))
}

/// Parses RFC 3339 or Unix milliseconds to Unix milliseconds.
pub fn to_unix_ms(raw: &str) -> Result<i64, String> {
    let t = parse(raw)?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| format!("{raw:?} is out of range"))
}

fn parse(raw: &str) -> Result<OffsetDateTime, String> {
    let s = raw.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map_err(|_| format!("{s:?} is out of range"));
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|_| format!("{s:?} is not an RFC 3339 timestamp (e.g. 2024-05-01T10:00:00Z) or Unix milliseconds"))
}
