//! The CRM API pipeline: route, authenticate, rate-limit, check scopes, dispatch.

use std::time::Instant;

use crate::errors;
use crate::ratelimit::{Quota, Verdict};
use crate::reply::{Ctx, Reply};
use crate::routes::{Route, Target, route};
use crate::state::State;
use crate::types::RateLimitPolicy;
use crate::{associations, crm, property_api, search, upsert};

/// The parts of an HTTP request the API looks at.
#[derive(Debug)]
pub(crate) struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// Who a bearer token belongs to.
enum Caller {
    Scoped(String),
    Scopeless(String),
}

impl Caller {
    fn token(&self) -> &str {
        match self {
            Self::Scoped(t) | Self::Scopeless(t) => t,
        }
    }
}

/// Answers one API request. Order: unknown path (404, not counted) →
/// authentication (401, not counted: no token to charge) → rate limits
/// (429) → unknown object type (404) → method (405) → scopes (403) → handler.
pub(crate) fn handle(
    st: &mut State,
    ctx: &Ctx,
    req: &ApiRequest<'_>,
    now: Instant,
    now_ms: u64,
) -> Reply {
    let route = route(req.path);
    if route == Route::Unmatched {
        return errors::no_route(ctx);
    }
    let caller = match authenticate(st, ctx, req.authorization) {
        Ok(caller) => caller,
        Err(reply) => return reply,
    };
    let is_search = matches!(route, Route::Object(_, Target::Search));
    let verdict = st
        .limiter
        .check(&st.cfg, caller.token(), is_search, now, now_ms);
    let quota = match verdict {
        Verdict::Allowed(quota) => {
            st.record_verdict(caller.token(), is_search, None, now);
            quota
        }
        Verdict::Limited {
            policy,
            quota,
            wait_secs,
        } => {
            st.record_verdict(caller.token(), is_search, Some(policy), now);
            let retry = match (st.cfg.omit_retry_after, policy, st.cfg.retry_after_secs) {
                (true, _, _) => None,
                // [UNVERIFIED]: DAILY gets the wait until the limit resets.
                (false, RateLimitPolicy::Daily, _) | (false, _, None) => Some(wait_secs),
                (false, _, Some(secs)) => Some(secs),
            };
            let reply = errors::rate_limited(ctx, policy, st.cfg.portal_id);
            return with_quota(with_retry_after(reply, retry), quota);
        }
    };
    let reply = dispatch(st, ctx, req, route, &caller, now_ms).unwrap_or_else(|r| r);
    with_quota(reply, quota)
}

/// The 429 of a `RateLimited` fault: the limiter's body and headers for
/// `policy`, charging nothing.
pub(crate) fn injected_rate_limit(
    st: &State,
    ctx: &Ctx,
    token: Option<&str>,
    policy: RateLimitPolicy,
    retry_after_secs: Option<u64>,
    now: Instant,
) -> Reply {
    let reply = errors::rate_limited(ctx, policy, st.cfg.portal_id);
    let quota = st.limiter.injected_quota(&st.cfg, token, policy, now);
    with_quota(with_retry_after(reply, retry_after_secs), quota)
}

fn with_retry_after(reply: Reply, secs: Option<u64>) -> Reply {
    match secs {
        Some(secs) => reply.with_header("retry-after", secs.to_string()),
        None => reply,
    }
}

fn with_quota(mut reply: Reply, quota: Option<Quota>) -> Reply {
    if let Some(quota) = quota {
        reply.headers.extend(quota.headers());
    }
    reply
}

/// The token of an `Authorization: Bearer <token>` header, unvalidated.
pub(crate) fn bearer_token(header: Option<&str>) -> Option<&str> {
    header
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
}

/// Bearer-token check: expired tokens win over scopeless over valid.
fn authenticate(st: &State, ctx: &Ctx, header: Option<&str>) -> Result<Caller, Reply> {
    let Some(token) = bearer_token(header) else {
        return Err(errors::invalid_auth(ctx));
    };
    let listed = |list: &[String]| list.iter().any(|t| t == token);
    if listed(&st.cfg.expired_tokens) {
        let secs = st.started.elapsed().as_secs().max(1);
        Err(errors::expired_auth(ctx, secs))
    } else if listed(&st.cfg.scopeless_tokens) {
        Ok(Caller::Scopeless(token.to_owned()))
    } else if listed(&st.cfg.tokens) {
        Ok(Caller::Scoped(token.to_owned()))
    } else {
        Err(errors::invalid_auth(ctx))
    }
}

fn dispatch(
    st: &mut State,
    ctx: &Ctx,
    req: &ApiRequest<'_>,
    route: Route,
    caller: &Caller,
    now_ms: u64,
) -> Result<Reply, Reply> {
    let (object, target) = match route {
        Route::Object(object, target) => (object, target),
        Route::UnknownObject(segment) => return Err(errors::unknown_object_type(ctx, &segment)),
        Route::Unmatched => return Err(errors::no_route(ctx)),
    };
    let allowed = target.allowed();
    if !allowed.contains(&req.method) {
        return Err(errors::method_not_allowed(
            ctx,
            req.method,
            &allowed.join(", "),
        ));
    }
    if let Caller::Scopeless(_) = caller {
        let write = req.method != "GET" && target != Target::Search;
        let scope = if target.is_schema() {
            object.schema_scope(write)
        } else {
            object.required_scope(write)
        };
        return Err(errors::missing_scopes(ctx, scope));
    }
    match (target, req.method) {
        (Target::Collection, "POST") => crm::create(st, ctx, object, req.body, now_ms),
        (Target::Collection, _) => crm::list(st, ctx, object, req.query),
        (Target::Search, _) => search::search(st, ctx, object, req.body, now_ms),
        (Target::BatchUpsert, _) => upsert::upsert(st, ctx, object, req.body, now_ms),
        (Target::Item(id), "GET") => crm::get(st, ctx, object, &id, req.query),
        (Target::Item(id), "PATCH") => {
            crm::update(st, ctx, object, &id, req.query, req.body, now_ms)
        }
        (Target::Item(id), _) => crm::archive(st, ctx, object, &id, req.query, now_ms),
        (Target::Properties, "POST") => property_api::create(st, ctx, object, req.body, now_ms),
        (Target::Properties, _) => Ok(property_api::list(st, object)),
        (Target::Property(name), _) => property_api::get(st, ctx, object, &name),
        (Target::DefaultAssociation { id, to, to_id }, _) => {
            associations::put_default(st, ctx, (object, &id), (to, &to_id), now_ms)
        }
    }
}
