//! `describe`: the connector's static facts (limits from
//! `crm-api-facts.md` §1.2, Professional private app).

use switchboard_sdk::prelude::*;

use crate::api::CONTACT_SEARCH;
use crate::feedback::{DAILY, SEARCH, TEN_SECONDLY};
use crate::fields::{KIND_CALL, KIND_CONTACT};
use crate::host::{DEFAULT_BASE_URL, TOKEN_SECRET};
use crate::mapping::OWNED_CALL_PROPERTIES;

/// The descriptor returned by `describe`.
pub(crate) fn descriptor() -> Descriptor {
    Descriptor::new("hubspot", env!("CARGO_PKG_VERSION"), "HubSpot")
        .kinds([KIND_CALL, KIND_CONTACT])
        .hosts([DEFAULT_BASE_URL])
        .config_keys(["base-url", "default-region"])
        .secrets([TOKEN_SECRET])
        .owns(OWNED_CALL_PROPERTIES)
        // Search is exempt from the ten-secondly window and limited on its own.
        .rate_limit(RateLimit::burst(TEN_SECONDLY, 190, 10_000).cost("POST", CONTACT_SEARCH, 0))
        .rate_limit(RateLimit::daily(DAILY, 650_000))
        .rate_limit(RateLimit::burst(SEARCH, 4, 1_000).default_cost(0).cost(
            "POST",
            CONTACT_SEARCH,
            1,
        ))
}
