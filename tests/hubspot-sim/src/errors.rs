//! HubSpot error bodies (`crm-api-facts.md` §1.2, §1.3).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::objects::ObjectType;
use crate::reply::{Ctx, Reply};
use crate::types::RateLimitPolicy;

/// The `Error` schema plus the `status` field real bodies carry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    status: &'static str,
    message: String,
    correlation_id: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrorDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<BTreeMap<&'static str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<BTreeMap<&'static str, Vec<String>>>,
    category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_category: Option<&'static str>,
}

/// `ErrorDetail` of the `Error` schema.
#[derive(Serialize)]
struct ErrorDetail {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    context: BTreeMap<&'static str, Vec<String>>,
}

impl<'a> ErrorBody<'a> {
    fn new(ctx: &'a Ctx, category: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: "error",
            message: message.into(),
            correlation_id: &ctx.correlation_id,
            errors: Vec::new(),
            links: None,
            context: None,
            category,
            sub_category: None,
        }
    }

    fn reply(&self, status: u16) -> Reply {
        Reply::json(status, self)
    }
}

/// A per-property validation failure.
#[derive(Debug, Clone)]
pub(crate) struct PropertyError {
    pub name: String,
    pub code: &'static str,
    pub message: String,
}

impl PropertyError {
    pub(crate) fn doesnt_exist(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            code: "PROPERTY_DOESNT_EXIST",
            message: format!("Property \"{name}\" does not exist"),
        }
    }
}

/// 401 for a missing or unknown token. The text after the first sentence is
/// [UNVERIFIED] (the facts elide it).
pub(crate) fn invalid_auth(ctx: &Ctx) -> Reply {
    ErrorBody::new(
        ctx,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )
    .reply(401)
}

/// 401 for an expired token ([CAPTURE] wording, seconds are simulated).
pub(crate) fn expired_auth(ctx: &Ctx, secs_ago: u64) -> Reply {
    ErrorBody::new(
        ctx,
        "EXPIRED_AUTHENTICATION",
        format!("The OAuth token used to make this call expired {secs_ago} second(s) ago."),
    )
    .reply(401)
}

/// 403 for a token without the scope ([CAPTURE] shape).
pub(crate) fn missing_scopes(ctx: &Ctx, scope: &str) -> Reply {
    let mut body = ErrorBody::new(
        ctx,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    );
    body.errors.push(ErrorDetail {
        message: "One or more of the following scopes are required.".to_owned(),
        code: None,
        context: BTreeMap::from([("requiredScopes", vec![scope.to_owned()])]),
    });
    body.links = Some(BTreeMap::from([(
        "scopes",
        "https://developers.hubspot.com/scopes",
    )]));
    body.reply(403)
}

/// 404 for a missing or archived object.
pub(crate) fn object_not_found(ctx: &Ctx) -> Reply {
    ErrorBody::new(ctx, "OBJECT_NOT_FOUND", "resource not found").reply(404)
}

/// 404 for an object type the simulator does not know. [UNVERIFIED] wording.
pub(crate) fn unknown_object_type(ctx: &Ctx, segment: &str) -> Reply {
    ErrorBody::new(
        ctx,
        "OBJECT_NOT_FOUND",
        format!("Unable to infer object type from: {segment}"),
    )
    .reply(404)
}

/// 404 for a path outside the simulated API. [UNVERIFIED]: HubSpot-style body.
pub(crate) fn no_route(ctx: &Ctx) -> Reply {
    ErrorBody::new(ctx, "OBJECT_NOT_FOUND", "resource not found").reply(404)
}

/// 405 with an `Allow` header. [UNVERIFIED] body.
pub(crate) fn method_not_allowed(ctx: &Ctx, method: &str, allow: &str) -> Reply {
    ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!("HTTP method {method} is not supported by this resource"),
    )
    .reply(405)
    .with_header("allow", allow)
}

/// 409 for a duplicate email; the existing id is only in the message ([CAPTURE]).
pub(crate) fn conflict(ctx: &Ctx, existing_id: &str) -> Reply {
    ErrorBody::new(
        ctx,
        "CONFLICT",
        format!("Contact already exists. Existing ID: {existing_id}"),
    )
    .reply(409)
}

/// 409 for a value of a unique-value property that another live object
/// already holds. [UNVERIFIED] wording: modelled on the [CAPTURE]d email
/// conflict, so the existing id is again only in the message.
pub(crate) fn unique_conflict(
    ctx: &Ctx,
    object: ObjectType,
    name: &str,
    value: &str,
    existing_id: &str,
) -> Reply {
    ErrorBody::new(
        ctx,
        "CONFLICT",
        format!(
            "A {} with the value \"{value}\" for the unique property \"{name}\" already exists. Existing ID: {existing_id}",
            object.singular()
        ),
    )
    .reply(409)
}

/// 400 for an `idProperty` that exists but does not identify objects
/// (no `hasUniqueValue`). [UNVERIFIED] wording.
pub(crate) fn not_unique_id_property(ctx: &Ctx, name: &str) -> Reply {
    let mut body = ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!("Property \"{name}\" is not a unique identifier property"),
    );
    body.context = Some(BTreeMap::from([("propertyName", vec![name.to_owned()])]));
    body.reply(400)
}

/// 409 for defining a property that already exists. [UNVERIFIED] wording.
pub(crate) fn property_exists(ctx: &Ctx, object: ObjectType, name: &str) -> Reply {
    ErrorBody::new(
        ctx,
        "CONFLICT",
        format!(
            "A property named \"{name}\" already exists for object type {}",
            object.name()
        ),
    )
    .reply(409)
}

/// 404 for reading a property that does not exist. [UNVERIFIED] wording.
pub(crate) fn property_not_found(ctx: &Ctx, object: ObjectType, name: &str) -> Reply {
    ErrorBody::new(
        ctx,
        "OBJECT_NOT_FOUND",
        format!(
            "Unable to find property \"{name}\" for object type {}",
            object.name()
        ),
    )
    .reply(404)
}

/// 400 for a body that is not valid JSON or has the wrong shape. [UNVERIFIED]
/// wording, modelled on HubSpot's "Invalid input JSON on line L, column C".
pub(crate) fn invalid_json(ctx: &Ctx, err: &serde_json::Error) -> Reply {
    ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!(
            "Invalid input JSON on line {}, column {}: {err}",
            err.line(),
            err.column()
        ),
    )
    .reply(400)
}

/// 400 with a free-form validation message.
pub(crate) fn validation(ctx: &Ctx, message: impl Into<String>) -> Reply {
    ErrorBody::new(ctx, "VALIDATION_ERROR", message).reply(400)
}

/// One entry of the JSON array embedded in the "Property values were not valid" message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvalidValue<'a> {
    is_valid: bool,
    message: &'a str,
    error: &'a str,
    name: &'a str,
    localized_error_message: &'a str,
}

/// 400 `Property values were not valid: [...]` ([CAPTURE v1] message; the
/// `errors[].code` / `context.propertyName` layout is [UNVERIFIED]).
pub(crate) fn property_errors(ctx: &Ctx, problems: &[PropertyError]) -> Reply {
    let listed: Vec<InvalidValue<'_>> = problems
        .iter()
        .map(|p| InvalidValue {
            is_valid: false,
            message: &p.message,
            error: p.code,
            name: &p.name,
            localized_error_message: &p.message,
        })
        .collect();
    let listed = serde_json::to_string(&listed).unwrap_or_default();
    let mut body = ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!("Property values were not valid: {listed}"),
    );
    body.errors = problems
        .iter()
        .map(|p| ErrorDetail {
            message: p.message.clone(),
            code: Some(p.code),
            context: BTreeMap::from([("propertyName", vec![p.name.clone()])]),
        })
        .collect();
    body.reply(400)
}

/// 400 for required properties that were not set. [UNVERIFIED]: modelled on
/// the ticket/deal "Some required properties were not set." responses.
pub(crate) fn required_missing(ctx: &Ctx, object: ObjectType, names: Vec<String>) -> Reply {
    let mut body = ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!(
            "Error creating {}. Some required properties were not set.",
            object.upper_singular()
        ),
    );
    body.context = Some(BTreeMap::from([("properties", names)]));
    body.reply(400)
}

/// 400 for associations to missing or archived objects. [UNVERIFIED] body.
pub(crate) fn invalid_association_ids(ctx: &Ctx, ids: Vec<String>) -> Reply {
    let mut body = ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        "One or more associations are invalid",
    );
    body.context = Some(BTreeMap::from([("ids", ids)]));
    body.sub_category = Some("crm.associations.INVALID_OBJECT_IDS");
    body.reply(400)
}

/// 400 for an association type id that does not exist. [UNVERIFIED] body.
pub(crate) fn invalid_association_type(
    ctx: &Ctx,
    from: ObjectType,
    category: &str,
    type_id: u32,
) -> Reply {
    let mut body = ErrorBody::new(
        ctx,
        "VALIDATION_ERROR",
        format!(
            "Invalid association type: {category}/{type_id} is not a valid association type from {}",
            from.name()
        ),
    );
    body.sub_category = Some("crm.associations.INVALID_ASSOCIATION_TYPE");
    body.reply(400)
}

/// 413 for an oversized body. [UNVERIFIED] body.
pub(crate) fn too_large(ctx: &Ctx) -> Reply {
    ErrorBody::new(ctx, "VALIDATION_ERROR", "Request body too large").reply(413)
}

/// 429 body ([CAPTURE] for ten-secondly, [OFFICIAL] for daily).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitBody<'a> {
    status: &'static str,
    message: &'static str,
    error_type: &'static str,
    correlation_id: &'a str,
    policy_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

/// 429 for the given policy (without headers). The SECONDLY (search) body is
/// [UNVERIFIED]: no capture exists; it reuses the RATE_LIMIT shape.
pub(crate) fn rate_limited(ctx: &Ctx, policy: RateLimitPolicy, portal_id: u64) -> Reply {
    let body = match policy {
        RateLimitPolicy::TenSecondlyRolling => RateLimitBody {
            status: "error",
            message: "You have reached your ten_secondly_rolling limit.",
            error_type: "RATE_LIMIT",
            correlation_id: &ctx.correlation_id,
            policy_name: "TEN_SECONDLY_ROLLING",
            group_name: Some(format!(
                "publicapi:private-app-api-calls-ten-secondly:{portal_id}"
            )),
            request_id: None,
        },
        RateLimitPolicy::Daily => RateLimitBody {
            status: "error",
            message: "You have reached your daily limit.",
            error_type: "RATE_LIMIT",
            correlation_id: &ctx.correlation_id,
            policy_name: "DAILY",
            group_name: None,
            request_id: Some(&ctx.request_id),
        },
        RateLimitPolicy::Secondly => RateLimitBody {
            status: "error",
            message: "You have reached your secondly limit.",
            error_type: "RATE_LIMIT",
            correlation_id: &ctx.correlation_id,
            policy_name: "SECONDLY",
            group_name: Some(format!("publicapi:crm-search-secondly:{portal_id}")),
            request_id: None,
        },
    };
    Reply::json(429, &body)
}
