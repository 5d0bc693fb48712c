//! Time arithmetic that cannot overflow or panic on absurd durations (a CRM or
//! a connector may report any number).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// The longest delay added to an instant: 30 years, "never" in practice.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// One day, the period of the UTC-midnight clock.
pub(crate) const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// `now + d`, with `d` capped at 30 years.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now + d.min(FAR)
}

/// A duration of `nanos` nanoseconds, capped at 30 years.
pub(crate) fn from_nanos(nanos: u128) -> Duration {
    let capped = nanos.min(FAR.as_nanos());
    let secs = u64::try_from(capped / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 1e9, so it always fits.
    let sub = u32::try_from(capped % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

/// Whole milliseconds, rounded up so a pending wait never shows as 0.
pub(crate) fn ms_ceil(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// The first instant `next + k * period` (k >= 0) that is later than `now`.
pub(crate) fn roll_forward(next: Instant, period: Duration, now: Instant) -> Instant {
    if now < next {
        return next;
    }
    let period_ns = period.as_nanos().max(1);
    let periods = now.duration_since(next).as_nanos() / period_ns + 1;
    next + from_nanos(periods.saturating_mul(period_ns))
}

/// Time from `now` (wall clock) to the next UTC midnight; a full day if the
/// clock is before 1970.
pub(crate) fn until_utc_midnight(now: SystemTime) -> Duration {
    match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => {
            let day_ns = DAY.as_nanos();
            from_nanos(day_ns - since.as_nanos() % day_ns)
        }
        Err(_) => DAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_computed_in_utc() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(19_000 * 86_400 + 3_600);
        assert_eq!(until_utc_midnight(at), Duration::from_secs(23 * 3_600));
        let midnight = SystemTime::UNIX_EPOCH + Duration::from_secs(19_000 * 86_400);
        assert_eq!(until_utc_midnight(midnight), DAY);
    }

    #[test]
    fn roll_forward_catches_up_over_several_periods() {
        let t0 = Instant::now();
        let p = Duration::from_secs(10);
        assert_eq!(roll_forward(t0 + p, p, t0), t0 + p);
        assert_eq!(roll_forward(t0, p, t0), t0 + p);
        assert_eq!(
            roll_forward(t0, p, t0 + Duration::from_secs(35)),
            t0 + 4 * p
        );
    }

    #[test]
    fn huge_durations_are_capped() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + FAR);
        assert_eq!(from_nanos(u128::MAX), FAR);
        assert_eq!(ms_ceil(Duration::from_micros(1)), 1);
        assert_eq!(ms_ceil(Duration::from_millis(7)), 7);
    }
}
