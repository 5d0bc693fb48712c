//! `state`: a small durable key-value store per tenant and connector.

use switchboard_storage::StateError;

use super::NOT_DURING_PREPARE;
use crate::bindings::state::{Error, Host};
use crate::host_state::HostState;

impl Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        self.observed.call("state.get");
        Ok(match self.ctx.as_deref() {
            Some(ctx) => ctx.state.get(&key).map_err(to_wit),
            None => Err(Error::Storage(NOT_DURING_PREPARE.into())),
        })
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        self.observed.call("state.set");
        Ok(match self.ctx.as_deref() {
            Some(ctx) if ctx.holds_secret(&value) => return Err(super::secret_stored("state")),
            Some(ctx) => ctx.state.set(&key, &value).map_err(to_wit),
            None => Err(Error::Storage(NOT_DURING_PREPARE.into())),
        })
    }

    fn remove(&mut self, key: String) -> wasmtime::Result<Result<bool, Error>> {
        self.observed.call("state.remove");
        Ok(match self.ctx.as_deref() {
            Some(ctx) => ctx.state.delete(&key).map_err(to_wit),
            None => Err(Error::Storage(NOT_DURING_PREPARE.into())),
        })
    }
}

/// Maps the storage crate's error to the guest-visible variant.
fn to_wit(err: StateError) -> Error {
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    match err {
        StateError::KeyTooLong { limit } => Error::KeyTooLong(clamp(limit as u64)),
        StateError::ValueTooLarge { limit } => Error::ValueTooLarge(clamp(limit as u64)),
        StateError::TooManyKeys { limit } => Error::TooManyKeys(clamp(limit)),
        other => Error::Storage(other.to_string()),
    }
}
