//! Judged over everything the other suites ran: the connector stayed inside its
//! declared hosts, memory and time, never trapped, kept the secret out of what it
//! logged or returned, and declared every config key, secret and budget it used.

use std::collections::BTreeSet;

use switchboard_runtime::GuestFault;

use crate::kit::{Evidence, Kit};
use crate::report::Measurements;
use crate::suites::{Check, Out, listed};

const SUITE: &str = "sandbox";

/// Runs the suite over `evidence`.
pub(crate) async fn run(kit: &Kit, evidence: &[Evidence], out: &mut Out) {
    if evidence.is_empty() {
        out.skip(kit, SUITE, "stays inside its limits", "no unit of work ran");
        return;
    }
    let allowed = kit.sim.as_ref().map(|(_, s)| s.base_url());
    let m = measurements(kit, evidence);
    let checks: [(&str, Check, Option<String>); 7] = [
        (
            "stays inside its declared hosts",
            hosts(
                evidence,
                allowed.as_deref(),
                &kit.descriptor().outbound_hosts,
            ),
            None,
        ),
        (
            "stays inside its memory limit",
            faults(
                evidence,
                |f| matches!(f, GuestFault::MemoryLimit { .. }),
                "no memory-limit fault",
            ),
            Some(format!(
                "peak {} of {} MiB",
                mib(m.peak_memory_bytes),
                mib(m.memory_limit_bytes)
            )),
        ),
        (
            "stays inside its time budget",
            faults(
                evidence,
                |f| matches!(f, GuestFault::TimeBudget(_) | GuestFault::WallTimeout(_)),
                "no time-budget or wall-clock fault",
            ),
            Some(format!(
                "slowest unit {} ms of guest time, budget {} ms",
                m.max_guest_ms, m.time_budget_ms
            )),
        ),
        (
            "never traps",
            faults(
                evidence,
                |f| matches!(f, GuestFault::Trap(_) | GuestFault::Instantiate(_)),
                "no trap",
            ),
            None,
        ),
        (
            "keeps secrets out of its logs and results",
            secrets(evidence, &kit.secret),
            None,
        ),
        (
            "declares every config key it reads",
            declared(
                evidence,
                |e| &e.observed.config_keys,
                &kit.descriptor().config_keys,
                "config key",
            ),
            None,
        ),
        (
            "declares every secret and budget it uses",
            declared(
                evidence,
                |e| &e.observed.secrets,
                &kit.descriptor().secret_names,
                "secret",
            )
            .and_then(|()| {
                let budgets: Vec<String> = kit
                    .descriptor()
                    .rate_limits
                    .iter()
                    .map(|r| r.name.clone())
                    .collect();
                declared(
                    evidence,
                    |e| &e.observed.budgets,
                    &budgets,
                    "rate-limit budget",
                )
            }),
            None,
        ),
    ];
    for (name, verdict, note) in checks {
        out.check(kit, SUITE, name, None, async || verdict).await;
        if let (Some(note), Some(last)) = (note, out.results.last_mut())
            && last.name == name
        {
            last.note = Some(note);
        }
    }
}

/// What the run measured.
pub(crate) fn measurements(kit: &Kit, evidence: &[Evidence]) -> Measurements {
    let limit = kit.options.memory_mb * 1024 * 1024;
    Measurements {
        units: evidence.len() as u64,
        http_requests: evidence.iter().map(|e| e.http.len() as u64).sum(),
        peak_memory_bytes: evidence
            .iter()
            .map(|e| e.observed.peak_memory as u64)
            .max()
            .unwrap_or(0),
        memory_limit_bytes: limit,
        max_guest_ms: evidence
            .iter()
            .map(|e| u64::try_from(e.guest_time.as_millis()).unwrap_or(u64::MAX))
            .max()
            .unwrap_or(0),
        time_budget_ms: kit.options.time_budget_ms,
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Every request went to the simulator and none was denied by the sandbox; and a
/// connector that sends HTTP declares the hosts it sends to in production (the kit
/// points it at the simulator, so only that they are declared can be judged here).
fn hosts(evidence: &[Evidence], allowed: Option<&str>, declared: &[String]) -> Check {
    let bad: Vec<String> = evidence
        .iter()
        .flat_map(|e| e.http.iter().map(move |x| (e, x)))
        .filter(|(_, x)| {
            let denied = x.failure == Some("denied");
            let elsewhere = allowed.is_none_or(|base| !x.request.contains(&format!("{base}/")));
            denied || elsewhere
        })
        .map(|(e, x)| {
            format!(
                "{}: {} ({})",
                e.context,
                x.request,
                x.result.as_ref().map_or_else(String::clone, u16::to_string)
            )
        })
        .collect();
    let expected = match allowed {
        Some(base) => format!("every request to the CRM at {base} (the configured base-url)"),
        None => "no requests (no simulator)".into(),
    };
    listed(&expected, bad, None)?;
    let sent = evidence.iter().any(|e| !e.http.is_empty());
    if sent && declared.is_empty() {
        return Err((
            "describe's outbound-hosts to name the CRM's hosts, since the connector sends HTTP"
                .into(),
            "outbound-hosts is empty".into(),
        ));
    }
    Ok(())
}

fn faults(evidence: &[Evidence], is: impl Fn(&GuestFault) -> bool, expected: &str) -> Check {
    let bad = evidence
        .iter()
        .filter_map(|e| {
            e.fault
                .as_ref()
                .filter(|f| is(f))
                .map(|f| format!("{}: {f}", e.context))
        })
        .collect();
    listed(expected, bad, None)
}

/// The secret's value appears in no log line, annotation, returned text, request line
/// or guest stdout/stderr. A guest cannot read a secret, so this catches a value that
/// came back some other way (a CRM echoing a header) and the host's own redaction.
pub(crate) fn secrets(evidence: &[Evidence], secret: &str) -> Check {
    let mut bad = Vec::new();
    for e in evidence {
        let places = e
            .observed
            .logs
            .iter()
            .map(|l| ("log", l.message.as_str()))
            .chain(
                e.annotations
                    .iter()
                    .map(|(_, v)| ("audit annotation", v.as_str())),
            )
            .chain(e.returned.iter().map(|r| ("returned value", r.as_str())))
            .chain([
                ("stdout", e.observed.stdout.as_str()),
                ("stderr", e.observed.stderr.as_str()),
            ])
            .chain(e.http.iter().map(|x| ("request line", x.request.as_str())));
        for (place, text) in places {
            if text.contains(secret) {
                bad.push(format!("{}: the secret's value in a {place}", e.context));
            }
        }
    }
    listed(
        "the secret's value nowhere but in the secret header the host adds",
        bad,
        None,
    )
}

fn declared<'a>(
    evidence: &'a [Evidence],
    used: impl Fn(&'a Evidence) -> &'a BTreeSet<String>,
    declared: &[String],
    what: &str,
) -> Check {
    let mut undeclared = BTreeSet::new();
    for e in evidence {
        for name in used(e) {
            if name != "*" && !declared.contains(name) {
                undeclared.insert(format!("{what} {name:?} ({})", e.context));
            }
        }
    }
    listed(
        &format!("every {what} used to be in describe ({declared:?})"),
        undeclared.into_iter().collect(),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_runtime::Observed;

    fn evidence(log: &str) -> Evidence {
        let mut observed = Observed::default();
        observed.logs.push(switchboard_runtime::GuestLog {
            level: "info",
            message: log.into(),
        });
        Evidence {
            context: "push/x".into(),
            observed,
            http: Vec::new(),
            annotations: Vec::new(),
            returned: Vec::new(),
            fault: None,
            guest_time: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_secret_in_a_log_line_fails() {
        assert!(secrets(&[evidence("token sb-s3cret used")], "sb-s3cret").is_err());
        assert!(secrets(&[evidence("token [redacted] used")], "sb-s3cret").is_ok());
        let mut e = evidence("");
        e.observed.stderr = "Traceback: header Bearer sb-s3cret".into();
        let err = secrets(&[e], "sb-s3cret").unwrap_err();
        assert!(err.1.contains("stderr"), "{err:?}");
    }

    fn sent(request: &str) -> Evidence {
        let mut e = evidence("");
        e.http.push(switchboard_runtime::HttpExchange {
            request: request.into(),
            result: Ok(200),
            failure: None,
            elapsed_ms: 1,
        });
        e
    }

    #[test]
    fn a_request_elsewhere_or_no_declared_host_fails() {
        let base = "http://127.0.0.1:4000";
        let declared = ["https://api.acme.test".to_string()];
        let ok = sent("POST http://127.0.0.1:4000/contacts");
        assert!(hosts(std::slice::from_ref(&ok), Some(base), &declared).is_ok());
        let elsewhere = sent("POST https://api.acme.test/contacts");
        let err = hosts(&[elsewhere], Some(base), &declared).unwrap_err();
        assert!(err.1.contains("api.acme.test"), "{err:?}");
        let err = hosts(&[ok], Some(base), &[]).unwrap_err();
        assert!(err.0.contains("outbound-hosts"), "{err:?}");
        assert!(hosts(&[evidence("")], Some(base), &[]).is_ok());
    }

    #[test]
    fn an_undeclared_secret_fails() {
        let mut e = evidence("");
        e.observed.secrets.insert("other-token".into());
        let err = declared(
            std::slice::from_ref(&e),
            |e| &e.observed.secrets,
            &["acme-token".into()],
            "secret",
        )
        .unwrap_err();
        assert!(err.1.contains("\"other-token\""), "{err:?}");
    }

    #[test]
    fn an_undeclared_config_key_fails() {
        let mut e = evidence("");
        e.observed.config_keys.insert("api-key".into());
        let err = declared(
            std::slice::from_ref(&e),
            |e| &e.observed.config_keys,
            &["base-url".into()],
            "config key",
        )
        .unwrap_err();
        assert!(err.1.contains("\"api-key\""), "{err:?}");
    }
}
