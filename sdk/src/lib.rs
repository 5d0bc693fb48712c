//! # switchboard-sdk
//!
//! Write a Switchboard CRM connector in Rust. A connector is a WebAssembly
//! component (`wasm32-wasip2`) that implements the
//! `switchboard:connector@0.1.0` contract in `wit/`. It holds CRM knowledge
//! only; retries, rate limits, dead-lettering and audit are the host's job.
//!
//! ```no_run
//! use switchboard_sdk::prelude::*;
//!
//! struct Echo;
//!
//! impl Connector for Echo {
//!     fn describe() -> Descriptor {
//!         Descriptor::new("echo", "0.1.0", "Echo CRM").kinds(["contact"])
//!     }
//!     fn normalize(rec: Record) -> Result<Record, Vec<FieldError>> {
//!         Ok(rec)
//!     }
//!     fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
//!         Ok(Payload { object: "contacts".into(), body: "{}".into() })
//!     }
//!     fn push(ctx: PushContext, rec: Record, payload: Payload) -> Result<PushOutcome, PushError> {
//!         let resp = http::Request::post("https://crm.example/contacts")
//!             .bearer_secret("echo-token")
//!             .json_text(payload.body)
//!             .send()?;
//!         if !resp.is_success() {
//!             return Err(resp.into());
//!         }
//!         Ok(PushOutcome::created(CrmRef::new("contacts", "1")))
//!     }
//!     fn classify_error(resp: CrmResponse) -> ErrorClass {
//!         errors::classify_by_status(&resp)
//!     }
//! }
//!
//! switchboard_sdk::export_connector!(Echo);
//! ```

pub mod audit;
pub mod config;
pub mod email;
pub mod errors;
pub mod http;
pub mod limits;
pub mod log;
#[doc(hidden)]
pub mod memcmp;
pub mod phone;
pub mod queue;
pub mod record;
pub mod state;
pub mod time;
mod types;

#[doc(hidden)]
pub mod __bindings {
    //! Generated from `wit/`. Not part of the SDK's API: use the typed
    //! modules instead.
    wit_bindgen::generate!({
        world: "connector",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_generated",
        default_bindings_module: "switchboard_sdk::__bindings",
        additional_derives: [PartialEq],
        generate_all,
    });
}

pub use types::*;

/// What a connector implements. Each function maps to one export of the
/// contract; see `wit/guest.wit` for the full contract.
pub trait Connector {
    /// Static facts: name, version, CRM, kinds, hosts, secrets, limits.
    fn describe() -> Descriptor;
    /// Warm lazily built tables before the host snapshots memory at deploy
    /// time. The default warms the phone-number metadata and patterns for
    /// [`phone::DEFAULT_WARM_REGIONS`], which makes the snapshot about
    /// 33 MiB (deploy with `limits.memory_mb` of 64 or more); a connector
    /// that parses no phone numbers should override this with an empty body.
    fn prepare() {
        phone::warm();
    }
    /// Canonical form: E.164 phones, lower-case emails, UTC timestamps.
    fn normalize(rec: Record) -> Result<Record, Vec<FieldError>>;
    /// The CRM payload for a normalized record; pure.
    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>>;
    /// Deliver through [`http`]; must be idempotent on `ctx.idempotency_key`.
    fn push(ctx: PushContext, rec: Record, payload: Payload) -> Result<PushOutcome, PushError>;
    /// Read a CRM error response.
    fn classify_error(resp: CrmResponse) -> ErrorClass;
}

/// Exports a [`Connector`] implementation as the component's exports.
/// Use it once, at the crate root of a `cdylib` built for `wasm32-wasip2`.
#[macro_export]
macro_rules! export_connector {
    ($ty:ty) => {
        const _: () = {
            struct __SwitchboardExports;
            impl $crate::__bindings::exports::switchboard::connector::guest::Guest for __SwitchboardExports {
                fn describe() -> $crate::Descriptor {
                    <$ty as $crate::Connector>::describe()
                }
                fn normalize(rec: $crate::Record) -> Result<$crate::Record, Vec<$crate::FieldError>> {
                    <$ty as $crate::Connector>::normalize(rec)
                }
                fn map_fields(rec: $crate::Record) -> Result<$crate::Payload, Vec<$crate::FieldError>> {
                    <$ty as $crate::Connector>::map_fields(rec)
                }
                fn push(
                    ctx: $crate::PushContext,
                    rec: $crate::Record,
                    payload: $crate::Payload,
                ) -> Result<$crate::PushOutcome, $crate::PushError> {
                    <$ty as $crate::Connector>::push(ctx, rec, payload)
                }
                fn classify_error(resp: $crate::CrmResponse) -> $crate::ErrorClass {
                    <$ty as $crate::Connector>::classify_error(resp)
                }
            }
            impl $crate::__bindings::Guest for __SwitchboardExports {
                fn prepare() {
                    <$ty as $crate::Connector>::prepare()
                }
            }
            $crate::__bindings::__export_generated!(__SwitchboardExports with_types_in $crate::__bindings);
        };
    };
}

/// Everything a connector usually needs, in one import.
pub mod prelude {
    pub use crate::record::RecordExt;
    pub use crate::{
        Connector, audit, config, email, errors, http, limits, log, phone, queue, state, time,
    };
    pub use crate::{
        CrmRef, CrmResponse, Descriptor, Effect, ErrorClass, Field, FieldError, LimitScope,
        Payload, PushContext, PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record,
        RequestCost, Value,
    };
}
