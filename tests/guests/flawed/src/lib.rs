//! A connector that claims to be for HubSpot and breaks every rule the conformance
//! kit checks, so the kit's own tests can show each check fails when it should:
//!
//! | rule | how this connector breaks it |
//! |---|---|
//! | describe well formed | version `1.0` is not semver |
//! | refuses undeclared kinds | `normalize` accepts any kind |
//! | E.164, named invalid fields | phones get a `+` glued on, nothing is refused |
//! | normalize idempotent | each call glues on another `+` |
//! | map-fields deterministic, no host calls | reads config, counts calls into the body |
//! | classify-error | everything is `permanent`; a 408 spins past the time budget |
//! | push dedupes, idempotent | creates a new contact every time, never a call |
//! | declared hosts | also fetches `https://example.com/` |
//! | declared config | reads `api-key`, which it does not declare |
//! | memory | a contact with a `first-name` allocates 100 MiB |
//! | never traps | an e-mail at `example.org` panics |

use std::sync::atomic::{AtomicU32, Ordering};

use switchboard_sdk::prelude::*;

static MAPPED: AtomicU32 = AtomicU32::new(0);

struct Flawed;

impl Connector for Flawed {
    fn describe() -> Descriptor {
        Descriptor::new("flawed", "1.0", "HubSpot")
            .kinds(["contact", "call"])
            .config_keys(["base-url", "default-region"])
            .secrets(["hubspot-token"])
    }

    fn prepare() {}

    fn normalize(mut rec: Record) -> Result<Record, Vec<FieldError>> {
        if rec.text("email").is_some_and(|e| e.contains("example.org")) {
            panic!("flawed connector panics on purpose");
        }
        if let Some(phone) = rec.text("phone") {
            let glued = format!("+{}", phone.replace(' ', ""));
            rec.set("phone", Value::Text(glued));
        }
        Ok(rec)
    }

    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
        let base = config::get_or("base-url", "");
        let n = MAPPED.fetch_add(1, Ordering::Relaxed);
        Ok(Payload {
            object: "contacts".into(),
            body: format!("{{\"n\":{n},\"base\":{base:?},\"id\":{:?}}}", rec.id),
        })
    }

    fn push(_ctx: PushContext, rec: Record, _payload: Payload) -> Result<PushOutcome, PushError> {
        let _ = config::get("api-key");
        let _ = http::Request::get("https://example.com/").send();
        if rec.text("first-name").is_some() {
            let hoard = vec![7u8; 100 << 20];
            std::hint::black_box(&hoard);
        }
        let base = config::get_or("base-url", "");
        let phone = rec.text("phone").unwrap_or_default().to_string();
        let resp = http::Request::post(format!("{base}/crm/v3/objects/contacts"))
            .bearer_secret("hubspot-token")
            .json_text(format!("{{\"properties\":{{\"phone\":{phone:?}}}}}"))
            .send()
            .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
        if !resp.is_success() {
            return Err(PushError::Response(resp.into()));
        }
        let id = resp
            .json::<serde_json::Value>()
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string))
            .unwrap_or_default();
        Ok(PushOutcome::created(CrmRef::new("contacts", id)))
    }

    fn classify_error(resp: CrmResponse) -> ErrorClass {
        if resp.status == 408 {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        ErrorClass::Permanent("flawed: everything is permanent".into())
    }
}

switchboard_sdk::export_connector!(Flawed);
