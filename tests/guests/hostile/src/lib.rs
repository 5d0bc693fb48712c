//! A connector that misbehaves on purpose, chosen by the record's kind.
//! Host tests use it to prove a bad guest costs one record, never the host.
//!
//! | kind        | what it does                                            |
//! |-------------|---------------------------------------------------------|
//! | `echo`      | behaves: normalize/map succeed, push returns created    |
//! | `loop`      | `normalize` spins forever                               |
//! | `oom`       | `normalize` allocates until memory runs out             |
//! | `trap`      | `normalize` panics                                      |
//! | `noisy`     | `normalize` writes 1 MiB to stderr and a line to stdout, then behaves |
//! | `fetch`     | `push` GETs the URL in field `url`; the error is returned as `permanent` |
//! | `state`     | `push` writes then reads back state key `k`             |
//! | `queue`     | `push` enqueues a follow-up job                         |
//! | `config`    | `push` returns config `greeting` as the primary id      |

use switchboard_sdk::prelude::*;

struct Hostile;

impl Connector for Hostile {
    fn describe() -> Descriptor {
        Descriptor::new("hostile", "0.1.0", "None")
            .kinds([
                "echo", "loop", "oom", "trap", "noisy", "fetch", "state", "queue", "config",
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
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("hostile guest panics on purpose"),
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

switchboard_sdk::export_connector!(Hostile);
