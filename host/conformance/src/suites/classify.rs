//! `classify-error` cases: each canonical CRM response must get its class (and the
//! details the case names: scope, retry-after, field, existing id, reason text).

use switchboard_runtime::types::{CrmResponse, ErrorClass, LimitScope, class_name};

use crate::cases::{CaseFile, ClassExpect, ClassifyCase};
use crate::kit::Kit;
use crate::suites::{Check, Out, fail};

const SUITE: &str = "classify-error";

/// Runs the suite over every `[[classify]]` case in `files`.
pub(crate) async fn run(kit: &Kit, files: &[&CaseFile], out: &mut Out) {
    for case in files.iter().flat_map(|f| &f.classify) {
        let input = format!(
            "response: status {} headers {:?} body {}",
            case.status, case.headers, case.body
        );
        out.check(kit, SUITE, &case.name, Some(input), async || {
            one(kit, case).await
        })
        .await;
    }
}

async fn one(kit: &Kit, case: &ClassifyCase) -> Check {
    let context = format!("{SUITE}/{}", case.name);
    let (_dep, mut inst) = kit.fresh(None, &context).await?;
    let response = CrmResponse {
        status: case.status,
        headers: case
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        body: case.body.as_bytes().to_vec(),
    };
    let class = inst.classify_error(&response).await;
    kit.observe(
        &context,
        &inst,
        vec![format!("{class:?}")],
        class.as_ref().err(),
    );
    match class {
        Ok(class) => judge(&case.expect, &class),
        Err(f) => fail(
            describe(&case.expect),
            format!("a fault: {}", crate::suites::brief(&f.to_string())),
        ),
    }
}

/// Compares a class with what a case expects.
pub(crate) fn judge(expect: &ClassExpect, got: &ErrorClass) -> Check {
    let wrong = || fail(describe(expect), format!("{got:?}"));
    if class_name(got) != expect.class {
        return wrong();
    }
    let (retry, scope, field, id, reason) = details(got);
    let ok = expect.retry_after_ms.is_none_or(|ms| retry == Some(ms))
        && expect.scope.as_deref().is_none_or(|s| scope == Some(s))
        && expect.field.as_deref().is_none_or(|f| field == Some(f))
        && expect.existing_id.as_deref().is_none_or(|i| id == Some(i))
        && expect
            .reason_contains
            .as_deref()
            .is_none_or(|t| reason.to_lowercase().contains(&t.to_lowercase()));
    if ok { Ok(()) } else { wrong() }
}

/// (retry-after ms, scope, field, existing id, reason text) of a class.
fn details(
    class: &ErrorClass,
) -> (
    Option<u64>,
    Option<&str>,
    Option<&str>,
    Option<&str>,
    String,
) {
    match class {
        ErrorClass::Transient(ms) => (*ms, None, None, None, String::new()),
        ErrorClass::RateLimited(r) => {
            let scope = match r.scope {
                LimitScope::Burst => "burst",
                LimitScope::Daily => "daily",
            };
            (r.retry_after_ms, Some(scope), None, None, r.policy.clone())
        }
        ErrorClass::Auth(s)
        | ErrorClass::Permission(s)
        | ErrorClass::NotFound(s)
        | ErrorClass::Permanent(s) => (None, None, None, None, s.clone()),
        ErrorClass::Validation(fe) | ErrorClass::FieldRemoved(fe) => {
            (None, None, Some(fe.field.as_str()), None, fe.reason.clone())
        }
        ErrorClass::Duplicate(id) => (None, None, None, id.as_deref(), String::new()),
    }
}

/// What a case expects, in words.
pub(crate) fn describe(e: &ClassExpect) -> String {
    let mut parts = vec![e.class.clone()];
    if let Some(s) = &e.scope {
        parts.push(format!("scope {s}"));
    }
    if let Some(ms) = e.retry_after_ms {
        parts.push(format!("retry after {ms} ms"));
    }
    if let Some(f) = &e.field {
        parts.push(format!("field {f:?}"));
    }
    if let Some(id) = &e.existing_id {
        parts.push(format!("existing id {id:?}"));
    }
    if let Some(t) = &e.reason_contains {
        parts.push(format!("reason containing {t:?}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_runtime::types::{FieldError, RateLimited};

    fn expect(text: &str) -> ClassExpect {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn matches_class_and_details() {
        let daily = ErrorClass::RateLimited(RateLimited {
            retry_after_ms: None,
            scope: LimitScope::Daily,
            policy: "DAILY".into(),
        });
        assert!(
            judge(
                &expect("class = \"rate-limited\"\nscope = \"daily\""),
                &daily
            )
            .is_ok()
        );
        let (want, got) = judge(
            &expect("class = \"rate-limited\"\nscope = \"burst\""),
            &daily,
        )
        .unwrap_err();
        assert_eq!(want, "rate-limited, scope burst");
        assert!(got.contains("Daily"), "{got}");
        let removed = ErrorClass::Validation(FieldError {
            field: "hs_x".into(),
            reason: "gone".into(),
        });
        assert!(
            judge(
                &expect("class = \"validation\"\nfield = \"hs_x\""),
                &removed
            )
            .is_ok()
        );
        assert!(
            judge(
                &expect("class = \"validation\"\nfield = \"hs_y\""),
                &removed
            )
            .is_err()
        );
        assert!(judge(&expect("class = \"permanent\""), &removed).is_err());
        let dup = ErrorClass::Duplicate(Some("42".into()));
        assert!(judge(&expect("class = \"duplicate\"\nexisting_id = \"42\""), &dup).is_ok());
        let auth = ErrorClass::Auth("Token EXPIRED".into());
        assert!(
            judge(
                &expect("class = \"auth\"\nreason_contains = \"expired\""),
                &auth
            )
            .is_ok()
        );
    }
}
