//! Host-side bindings generated from `wit/versions/0.2.0`, private to [`super`].

wasmtime::component::bindgen!({
    world: "connector",
    path: "../../wit/versions/0.2.0",
    imports: {
        "switchboard:connector/http.send": async,
        default: trappable,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub(crate) use switchboard::connector::{audit, config, http, limits, log, queue, state, types};
