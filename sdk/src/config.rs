//! The deployment's non-secret settings.

/// The value of setting `key`.
pub fn get(key: &str) -> Option<String> {
    crate::__bindings::switchboard::connector::config::get(key)
}

/// The value of `key`, or `default`.
pub fn get_or(key: &str, default: &str) -> String {
    get(key).unwrap_or_else(|| default.to_string())
}
