//! Host-side bindings generated from `wit/` (the single source of truth).
//!
//! Kept private to the crate: other crates use the re-exported data types in
//! [`crate::types`] and the [`crate::Deployment`] API, never generated code.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../../wit",
    imports: {
        "switchboard:connector/http.send": async,
        default: trappable,
    },
    exports: { default: async },
    additional_derives: [serde::Serialize, PartialEq],
});

pub(crate) use switchboard::connector::{audit, config, http, limits, log, queue, state, types};
