//! The contract versions this host loads, and one handle over each version's
//! generated bindings so the rest of the host speaks only the current contract.

use wasmtime::Store;

use crate::bindings::{Connector, ConnectorPre};
use crate::host_state::HostState;
use crate::types::{
    CrmResponse, Descriptor, ErrorClass, FieldError, Payload, PushContext, PushError, PushOutcome,
    Record,
};
use crate::v0_2;
use crate::v0_2::Convert;

/// A contract version the host loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractVersion {
    /// `switchboard:connector@0.3.0`, the current contract.
    V0_3,
    /// `switchboard:connector@0.2.0`, loaded while connectors migrate (deprecated).
    V0_2,
}

impl ContractVersion {
    /// Every version the host loads, newest first.
    pub const SUPPORTED: [ContractVersion; 2] = [ContractVersion::V0_3, ContractVersion::V0_2];

    /// The package name, e.g. `switchboard:connector@0.3.0`.
    pub fn package(self) -> &'static str {
        match self {
            Self::V0_3 => crate::loader::CONTRACT_PACKAGE,
            Self::V0_2 => v0_2::PACKAGE,
        }
    }

    /// The version number, e.g. `0.3.0`.
    pub fn number(self) -> &'static str {
        self.package().rsplit_once('@').map_or("", |(_, v)| v)
    }

    /// True for a version kept only while connectors migrate.
    pub fn is_deprecated(self) -> bool {
        self != Self::V0_3
    }

    /// The version whose number is `number`, if the host loads it.
    pub fn from_number(number: &str) -> Option<Self> {
        Self::SUPPORTED.into_iter().find(|v| v.number() == number)
    }

    /// The guest export of this version.
    pub(crate) fn guest_export(self) -> &'static str {
        match self {
            Self::V0_3 => crate::loader::GUEST_EXPORT,
            Self::V0_2 => v0_2::GUEST_EXPORT,
        }
    }
}

/// A component ready to instantiate, typed by its contract version.
#[derive(Clone)]
pub(crate) enum Pre {
    V0_3(ConnectorPre<HostState>),
    V0_2(v0_2::ConnectorPre<HostState>),
}

impl Pre {
    /// The engine the component was compiled for.
    pub(crate) fn engine(&self) -> &wasmtime::Engine {
        match self {
            Self::V0_3(pre) => pre.engine(),
            Self::V0_2(pre) => pre.engine(),
        }
    }

    /// A fresh instance in `store`.
    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Bindings> {
        Ok(match self {
            Self::V0_3(pre) => Bindings::V0_3(pre.instantiate_async(store).await?),
            Self::V0_2(pre) => Bindings::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

/// A live instance's exports, called with the current contract's types.
pub(crate) enum Bindings {
    V0_3(Connector),
    V0_2(v0_2::Connector),
}

impl Bindings {
    pub(crate) async fn describe(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Descriptor> {
        match self {
            Self::V0_3(b) => b.switchboard_connector_guest().call_describe(store).await,
            Self::V0_2(b) => Ok(b
                .switchboard_connector_guest()
                .call_describe(store)
                .await?
                .convert()),
        }
    }

    pub(crate) async fn normalize(
        &self,
        store: &mut Store<HostState>,
        rec: &Record,
    ) -> wasmtime::Result<Result<Record, Vec<FieldError>>> {
        match self {
            Self::V0_3(b) => {
                b.switchboard_connector_guest()
                    .call_normalize(store, rec)
                    .await
            }
            Self::V0_2(b) => {
                let out = b
                    .switchboard_connector_guest()
                    .call_normalize(store, &rec.clone().convert())
                    .await?;
                Ok(out.map(Convert::convert).map_err(Convert::convert))
            }
        }
    }

    pub(crate) async fn map_fields(
        &self,
        store: &mut Store<HostState>,
        rec: &Record,
    ) -> wasmtime::Result<Result<Payload, Vec<FieldError>>> {
        match self {
            Self::V0_3(b) => {
                b.switchboard_connector_guest()
                    .call_map_fields(store, rec)
                    .await
            }
            Self::V0_2(b) => {
                let out = b
                    .switchboard_connector_guest()
                    .call_map_fields(store, &rec.clone().convert())
                    .await?;
                Ok(out.map(Convert::convert).map_err(Convert::convert))
            }
        }
    }

    pub(crate) async fn push(
        &self,
        store: &mut Store<HostState>,
        ctx: &PushContext,
        rec: &Record,
        payload: &Payload,
    ) -> wasmtime::Result<Result<PushOutcome, PushError>> {
        match self {
            Self::V0_3(b) => {
                let guest = b.switchboard_connector_guest();
                guest.call_push(store, ctx, rec, payload).await
            }
            Self::V0_2(b) => {
                let (ctx, rec, payload) = (
                    ctx.clone().convert(),
                    rec.clone().convert(),
                    payload.clone().convert(),
                );
                let guest = b.switchboard_connector_guest();
                let out = guest.call_push(store, &ctx, &rec, &payload).await?;
                Ok(out.map(Convert::convert).map_err(Convert::convert))
            }
        }
    }

    pub(crate) async fn classify_error(
        &self,
        store: &mut Store<HostState>,
        response: &CrmResponse,
    ) -> wasmtime::Result<ErrorClass> {
        match self {
            Self::V0_3(b) => {
                let guest = b.switchboard_connector_guest();
                guest.call_classify_error(store, response).await
            }
            Self::V0_2(b) => {
                let response = response.clone().convert();
                let guest = b.switchboard_connector_guest();
                Ok(guest.call_classify_error(store, &response).await?.convert())
            }
        }
    }
}
