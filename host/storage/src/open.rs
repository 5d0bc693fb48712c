//! Opening the sled database, waiting briefly for a lock this process is letting go of.
//!
//! sled 0.34 releases the database's file lock from a background thread after the last
//! handle is dropped (spacejam/sled#1289), so reopening a database this process has just
//! closed can fail with "could not acquire lock" for a few milliseconds. [`open_db`] waits up to
//! [`LOCK_WAIT`] for that; a database another process holds still fails, a second later.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// Longest [`open_db`] waits for the lock.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(1);

/// Opens `config`, retrying while its lock is held, for up to [`LOCK_WAIT`].
pub(crate) fn open_db(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if is_lock_held(&e) => {
                if Instant::now() >= deadline {
                    return Err(sled::Error::Io(e));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Whether `e` is sled's "could not acquire lock" (an `Other` error wrapping the
/// `WouldBlock` of `flock`), or that `WouldBlock` itself.
fn is_lock_held(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_held_elsewhere_still_fails_after_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let config = sled::Config::new().path(dir.path());
        let _held = open_db(&config).unwrap();
        let started = Instant::now();
        let err = open_db(&config).unwrap_err();
        assert!(err.to_string().contains("lock"), "{err}");
        assert!(started.elapsed() >= LOCK_WAIT);
    }

    #[test]
    fn a_database_just_closed_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let config = sled::Config::new().path(dir.path());
        for _ in 0..20 {
            let db = open_db(&config).unwrap();
            db.insert(b"k", b"v").unwrap();
            db.flush().unwrap();
        }
    }
}
