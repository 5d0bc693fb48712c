//! Contract 0.2.0, still loaded beside the current one while connectors migrate.
//!
//! A 0.2.0 component is linked against its own generated bindings
//! (`wit/versions/0.2.0`), and every value crossing between it and the host is
//! converted to or from the current contract's types, so the rest of the host
//! (pipeline, kit, audit) sees one contract. What changed in 0.3.0, and how a
//! 0.2.0 connector is read:
//!
//! - `state.delete` became `state.remove`: the same host function serves both.
//! - `error-class::field-removed` is new: a 0.2.0 `validation` whose reason starts
//!   with `field-removed: ` (the 0.2.0 convention) becomes `field-removed`.
//! - `push-error::transport` is new: a 0.2.0 connector classifies transport
//!   failures itself, so nothing maps to it.

mod bindings;
mod convert;
mod imports;

pub(crate) use bindings::{Connector, ConnectorPre};
pub(crate) use convert::Convert;

/// The 0.2.0 contract package.
pub const PACKAGE: &str = "switchboard:connector@0.2.0";
/// The 0.2.0 guest export.
pub(crate) const GUEST_EXPORT: &str = "switchboard:connector/guest@0.2.0";
