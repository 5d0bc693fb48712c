//! Notes on the current record's audit trail.

/// Attaches `key = value` to the current record's audit trail.
pub fn annotate(key: &str, value: &str) {
    crate::__bindings::switchboard::connector::audit::annotate(key, value);
}
