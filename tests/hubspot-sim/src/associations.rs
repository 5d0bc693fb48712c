//! `PUT /crm/v4/objects/{from}/{fromId}/associations/default/{to}/{toId}`:
//! links two existing objects with their default association type.
//!
//! [UNVERIFIED]: the path shape, the 200 body and the 404 for a missing or
//! archived object are not in the facts; they follow HubSpot's v4
//! associations API as remembered. The call is idempotent.

use serde::Serialize;

use crate::errors;
use crate::objects::ObjectType;
use crate::reply::{Ctx, Reply};
use crate::state::State;
use crate::time::iso_ms;

/// `{"id": "..."}`.
#[derive(Serialize)]
struct ObjectRef {
    id: String,
}

/// `{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": N}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationSpec {
    association_category: &'static str,
    association_type_id: u32,
}

/// One created association.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    from: ObjectRef,
    to: ObjectRef,
    association_spec: AssociationSpec,
}

/// `BatchResponsePublicDefaultAssociation`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkResponse {
    status: &'static str,
    results: Vec<Link>,
    started_at: String,
    completed_at: String,
}

/// Links `from_id` to `to_id` (both directions, as inline associations do).
pub(crate) fn put_default(
    st: &mut State,
    ctx: &Ctx,
    from: (ObjectType, &str),
    to: (ObjectType, &str),
    now_ms: u64,
) -> Result<Reply, Reply> {
    let Some((type_id, inverse_id)) = from.0.default_association(to.0) else {
        return Err(errors::invalid_association_type(
            ctx,
            from.0,
            "HUBSPOT_DEFINED",
            0,
        ));
    };
    if st.store.live(from.0, from.1).is_none() || st.store.live(to.0, to.1).is_none() {
        return Err(errors::object_not_found(ctx));
    }
    st.store.associate(from, to, type_id, inverse_id);
    let link = |a: &str, b: &str, id: u32| Link {
        from: ObjectRef { id: a.to_owned() },
        to: ObjectRef { id: b.to_owned() },
        association_spec: AssociationSpec {
            association_category: "HUBSPOT_DEFINED",
            association_type_id: id,
        },
    };
    Ok(Reply::json(
        200,
        &LinkResponse {
            status: "COMPLETE",
            results: vec![link(from.1, to.1, type_id), link(to.1, from.1, inverse_id)],
            started_at: iso_ms(now_ms),
            completed_at: iso_ms(now_ms),
        },
    ))
}
