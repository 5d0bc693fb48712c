//! One test per real HubSpot error body (`crm-api-facts.md` §1.2-1.3),
//! plus the odd bodies a proxy or a truncation can produce.

use switchboard_sdk::prelude::*;

use crate::classify;

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> CrmResponse {
    CrmResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn expired_token_is_auth_and_says_expired() {
    let body = r#"{"status":"error","message":"The OAuth token used to make this call expired 7 second(s) ago.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000001","category":"EXPIRED_AUTHENTICATION"}"#;
    match classify(&resp(401, &[], body)) {
        ErrorClass::Auth(reason) => {
            assert!(reason.contains("EXPIRED_AUTHENTICATION"), "{reason}");
            assert!(reason.contains("expired 7 second(s) ago"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_token_is_auth_and_says_invalid() {
    let body = r#"{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000002","category":"INVALID_AUTHENTICATION"}"#;
    match classify(&resp(401, &[], body)) {
        ErrorClass::Auth(reason) => {
            assert!(reason.contains("INVALID_AUTHENTICATION"), "{reason}");
            assert!(reason.contains("hubspot-token"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_scopes_is_permission_listing_the_scopes() {
    let body = r#"{"status":"error","message":"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000003","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.contacts.write","contacts"]}}],"links":{"scopes":"https://developers.hubspot.com/scopes"},"category":"MISSING_SCOPES"}"#;
    match classify(&resp(403, &[], body)) {
        ErrorClass::Permission(reason) => {
            assert!(
                reason.contains(r#"["crm.objects.contacts.write", "contacts"]"#),
                "{reason}"
            );
            assert!(reason.contains("MISSING_SCOPES"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn granular_scopes_are_listed_too() {
    let body = r#"{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.calls.write"]}}],"category":"MISSING_SCOPES"}"#;
    assert!(
        matches!(classify(&resp(403, &[], body)), ErrorClass::Permission(r) if r.contains("crm.objects.calls.write"))
    );
}

#[test]
fn object_not_found_is_not_found() {
    let body = r#"{"status":"error","message":"resource not found","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000004","category":"OBJECT_NOT_FOUND"}"#;
    assert!(
        matches!(classify(&resp(404, &[], body)), ErrorClass::NotFound(r) if r.contains("resource not found"))
    );
}

#[test]
fn property_doesnt_exist_is_field_removed_naming_the_property() {
    let body = r#"{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"hs_call_mood\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"hs_call_mood\",\"localizedErrorMessage\":\"Property \\\"hs_call_mood\\\" does not exist\"}]","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000005","errors":[{"message":"Property \"hs_call_mood\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_mood"]}}],"category":"VALIDATION_ERROR"}"#;
    match classify(&resp(400, &[], body)) {
        ErrorClass::FieldRemoved(fe) => {
            assert_eq!(fe.field, "hs_call_mood");
            assert_eq!(fe.reason, r#"Property "hs_call_mood" does not exist"#);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn property_name_is_found_in_the_message_alone() {
    let embedded = r#"{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"hs_x\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"hs_x\"}]","category":"VALIDATION_ERROR"}"#;
    let plain = r#"{"status":"error","message":"Property \"hs_y\" does not exist","category":"VALIDATION_ERROR"}"#;
    let v1 = r#"{"status":"error","message":"Property values were not valid","validationResults":[{"isValid":false,"message":"Property \"hs_z\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hs_z"}]}"#;
    for (body, want) in [(embedded, "hs_x"), (plain, "hs_y"), (v1, "hs_z")] {
        match classify(&resp(400, &[], body)) {
            ErrorClass::FieldRemoved(fe) => assert_eq!(fe.field, want, "{body}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn other_bad_request_is_validation_without_a_field() {
    let body = r#"{"status":"error","message":"Invalid input JSON on line 1, column 2: expected value","category":"VALIDATION_ERROR"}"#;
    match classify(&resp(400, &[], body)) {
        ErrorClass::Validation(fe) => {
            assert_eq!(fe.field, "");
            assert!(fe.reason.contains("Invalid input JSON"), "{}", fe.reason);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_association_ids_are_not_found() {
    let body = r#"{"status":"error","message":"One or more associations are invalid","context":{"ids":["512"]},"category":"VALIDATION_ERROR","subCategory":"crm.associations.INVALID_OBJECT_IDS"}"#;
    assert!(matches!(
        classify(&resp(400, &[], body)),
        ErrorClass::NotFound(_)
    ));
}

#[test]
fn conflict_is_duplicate_with_the_existing_id() {
    let body = r#"{"status":"error","message":"Contact already exists. Existing ID: 37765128953","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000006","category":"CONFLICT"}"#;
    assert!(
        matches!(classify(&resp(409, &[], body)), ErrorClass::Duplicate(Some(id)) if id == "37765128953")
    );
}

#[test]
fn conflict_without_an_id_is_duplicate_without_one() {
    let body = r#"{"status":"error","message":"Contact already exists.","category":"CONFLICT"}"#;
    assert!(matches!(
        classify(&resp(409, &[], body)),
        ErrorClass::Duplicate(None)
    ));
}

#[test]
fn ten_secondly_limit_is_burst_with_retry_after() {
    let body = r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000007","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}"#;
    match classify(&resp(429, &[("retry-after", "2")], body)) {
        ErrorClass::RateLimited(r) => {
            assert!(matches!(r.scope, LimitScope::Burst));
            assert_eq!(r.retry_after_ms, Some(2000));
            assert_eq!(r.policy, "TEN_SECONDLY_ROLLING");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ten_secondly_limit_without_retry_after_waits_one_window() {
    let body = r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}"#;
    assert!(
        matches!(classify(&resp(429, &[], body)), ErrorClass::RateLimited(r) if r.retry_after_ms == Some(10_000))
    );
}

#[test]
fn search_limit_is_burst() {
    let body = r#"{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}"#;
    assert!(matches!(classify(&resp(429, &[], body)),
        ErrorClass::RateLimited(r) if matches!(r.scope, LimitScope::Burst) && r.retry_after_ms == Some(1_000)));
}

#[test]
fn daily_limit_is_daily() {
    let body = r#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000008","policyName":"DAILY","requestId":"r-1"}"#;
    match classify(&resp(429, &[], body)) {
        ErrorClass::RateLimited(r) => {
            assert!(matches!(r.scope, LimitScope::Daily));
            assert_eq!(r.retry_after_ms, None);
            assert_eq!(r.policy, "DAILY");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_errors_and_migration_are_transient() {
    let maintenance =
        r#"{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}"#;
    assert!(matches!(
        classify(&resp(500, &[], maintenance)),
        ErrorClass::Transient(None)
    ));
    assert!(matches!(
        classify(&resp(477, &[("Retry-After", "30")], "")),
        ErrorClass::Transient(Some(30_000))
    ));
    for s in [502, 503, 504, 521, 523, 524] {
        assert!(
            matches!(
                classify(&resp(s, &[], "<html>bad gateway</html>")),
                ErrorClass::Transient(None)
            ),
            "{s}"
        );
    }
}

#[test]
fn non_json_bodies_never_panic() {
    let html = "<html><body>403 Forbidden</body></html>";
    assert!(
        matches!(classify(&resp(429, &[], html)), ErrorClass::RateLimited(r) if r.policy == "unknown")
    );
    assert!(
        matches!(classify(&resp(403, &[], html)), ErrorClass::Permission(r) if r.contains("403 Forbidden"))
    );
    assert!(matches!(classify(&resp(401, &[], "")), ErrorClass::Auth(_)));
    assert!(
        matches!(classify(&resp(400, &[], "{\"message\":\"trunc")), ErrorClass::Validation(fe) if fe.field.is_empty())
    );
    assert!(
        matches!(classify(&resp(409, &[], "Existing ID: 42")), ErrorClass::Duplicate(Some(id)) if id == "42")
    );
    let binary = CrmResponse {
        status: 418,
        headers: vec![],
        body: vec![0xff, 0xfe, 0x00, 0x80],
    };
    assert!(matches!(classify(&binary), ErrorClass::Permanent(r) if r.starts_with("status 418")));
}

#[test]
fn unknown_status_is_permanent_with_message() {
    let body = r#"{"status":"error","message":"Cannot have more than 250 identities on a profile","correlationId":"abc","category":"VALIDATION_ERROR"}"#;
    match classify(&resp(414, &[], body)) {
        ErrorClass::Permanent(r) => {
            assert!(
                r.contains("414") && r.contains("250 identities") && r.contains("\"abc\""),
                "{r}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn long_non_json_body_is_quoted_briefly() {
    let long = "é".repeat(500);
    match classify(&resp(418, &[], &long)) {
        ErrorClass::Permanent(r) => assert!(r.len() < 260, "{}", r.len()),
        other => panic!("{other:?}"),
    }
}
