//! Logging into the host's tracing pipeline (tenant, connector, record and
//! trace ids are added by the host).

use crate::__bindings::switchboard::connector::log::{Level, log};

/// Debug-level event.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}
/// Info-level event.
pub fn info(message: &str) {
    log(Level::Info, message);
}
/// Warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}
/// Error.
pub fn error(message: &str) {
    log(Level::Error, message);
}
