//! The durable key-value store private to this tenant and connector.

use crate::__bindings::switchboard::connector::state as wit;
pub use crate::__bindings::switchboard::connector::state::Error as StateError;

/// Reads a UTF-8 value.
pub fn get_string(key: &str) -> Result<Option<String>, StateError> {
    Ok(wit::get(key)?.and_then(|v| String::from_utf8(v).ok()))
}

/// Writes a UTF-8 value.
pub fn set_string(key: &str, value: &str) -> Result<(), StateError> {
    wit::set(key, value.as_bytes())
}

/// Reads raw bytes.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, StateError> {
    wit::get(key)
}

/// Writes raw bytes.
pub fn set(key: &str, value: &[u8]) -> Result<(), StateError> {
    wit::set(key, value)
}

/// Removes a key; true if it existed.
pub fn remove(key: &str) -> Result<bool, StateError> {
    wit::remove(key)
}
