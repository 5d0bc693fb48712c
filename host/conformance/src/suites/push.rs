//! `push` cases through the host's own attempt (normalize, map-fields, push,
//! classify-error, the rate limiter and the HTTP sandbox) against the simulator:
//! creates, finds what exists instead of duplicating it, idempotent under the same
//! key (also with `state` lost), and each CRM failure classified.

use std::collections::BTreeMap;

use switchboard_runtime::types::{PushContext, PushOutcome, PushStatus};
use switchboard_runtime::{AttemptOutput, AttemptResult, WorkUnit, attempt, idempotency_key};

use crate::cases::{CaseFile, PushCase};
use crate::kit::{Evidence, Kit, REQUEST_TIMEOUT};
use crate::records::record;
use crate::sims::Simulator;
use crate::suites::normalize::{input_line, skip_reason};
use crate::suites::{Check, Out, fail};

const SUITE: &str = "push";

/// Runs the suite over every `[[push]]` case in `files`.
pub(crate) async fn run(kit: &Kit, files: &[&CaseFile], out: &mut Out) {
    for case in files.iter().flat_map(|f| &f.push) {
        // Push cases live only in files of a simulator's CRM (an `any` file may not
        // hold them), and such files apply only when that simulator runs.
        let Some((_, sim)) = &kit.sim else {
            continue;
        };
        if let Some(why) = skip_reason(kit, &case.kind, case.region.as_deref()) {
            out.skip(kit, SUITE, &case.name, why);
            continue;
        }
        let mut input = input_line(&case.kind, &case.fields, case.region.as_deref());
        if !case.seed.is_empty() {
            input.push_str(&format!("\nseeded: {:?}", case.seed));
        }
        if let Some(f) = &case.fault {
            input.push_str(&format!("\nfault: {f:?}"));
        }
        out.check(kit, SUITE, &case.name, Some(input), async || {
            if !kit.declares_config("base-url") {
                return fail(
                    "config key `base-url` in describe, so the kit can point the connector at the simulator",
                    format!("config keys {:?}", kit.descriptor().config_keys),
                );
            }
            sim.reset();
            let verdict = one(kit, sim.as_ref(), case).await;
            sim.reset();
            verdict
        })
        .await;
    }
}

async fn one(kit: &Kit, sim: &dyn Simulator, case: &PushCase) -> Check {
    let mut seeded = Vec::new();
    for seed in &case.seed {
        seeded.push(
            sim.seed(&seed.object, &seed.properties)
                .or_else(|e| fail("a seed", e))?,
        );
    }
    let before = counts(sim, case)?;
    if let Some(fault) = &case.fault {
        sim.inject(fault, REQUEST_TIMEOUT);
    }
    let id = format!("conformance-push-{}", uuid::Uuid::new_v4().simple());
    let rec = record(&id, &case.kind, &case.fields).or_else(|e| fail("a valid case", e))?;
    let mut dep = kit
        .deployment(case.region.as_deref())
        .or_else(|e| fail("a deployment", format!("{e:#}")))?;
    let key = idempotency_key(dep.tenant(), &id, dep.connector());
    let mut outcomes: Vec<PushOutcome> = Vec::new();
    for n in 1..=case.times {
        if n > 1 && case.fresh_state {
            dep = kit
                .deployment(case.region.as_deref())
                .or_else(|e| fail("a deployment", format!("{e:#}")))?;
        }
        let ctx = PushContext {
            tenant: dep.tenant().to_string(),
            idempotency_key: key.clone(),
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            attempt: 1,
        };
        let unit = WorkUnit {
            record_id: id.clone(),
            trace_id: ctx.trace_id.clone(),
        };
        let output = attempt(&dep, unit, &rec, &ctx).await;
        keep(kit, &format!("{SUITE}/{} (push {n})", case.name), &output);
        let which = if n == 1 {
            "the push".to_string()
        } else {
            format!("push {n} of {}", case.times)
        };
        match (&output.result, &case.expect.failure) {
            (AttemptResult::Failed(class), Some(want)) => {
                crate::suites::classify::judge(want, class)
                    .map_err(|(e, g)| (format!("{which} to fail as {e}"), g))?;
                transport_ok(case, &output).map_err(|(e, g)| (format!("{which}: {e}"), g))?;
            }
            (other, Some(want)) => {
                return fail(
                    format!(
                        "{which} to fail as {}",
                        crate::suites::classify::describe(want)
                    ),
                    result_text(other, &output),
                );
            }
            (AttemptResult::Delivered(outcome), None) => {
                status_ok(case, n, outcome).map_err(|(e, g)| (format!("{which}: {e}"), g))?;
                outcomes.push(outcome.clone());
            }
            (other, None) => {
                return fail(format!("{which} to deliver"), result_text(other, &output));
            }
        }
    }
    if let Some(first) = outcomes.first()
        && let Some(other) = outcomes.iter().find(|o| o.primary.id != first.primary.id)
    {
        return fail(
            format!(
                "every push to end in the same CRM object, {} {}",
                first.primary.object, first.primary.id
            ),
            format!("{} {}", other.primary.object, other.primary.id),
        );
    }
    if case.expect.uses_seed
        && let Some(first) = outcomes.first()
    {
        let seed = &seeded[0];
        let used = std::iter::once(&first.primary)
            .chain(&first.related)
            .any(|r| &r.id == seed);
        if !used {
            return fail(
                format!(
                    "the outcome to name the seeded {} {seed}",
                    case.seed[0].object
                ),
                format!("primary {:?}, related {:?}", first.primary, first.related),
            );
        }
    }
    let after = counts(sim, case)?;
    let changed: BTreeMap<&String, i128> = before
        .iter()
        .map(|(object, n)| (object, i128::from(after[object]) - i128::from(*n)))
        .collect();
    let wrong: Vec<String> = case
        .expect
        .created
        .iter()
        .filter(|(object, want)| changed.get(object) != Some(&i128::from(**want)))
        .map(|(object, want)| format!("{object}: {want}"))
        .collect();
    if !wrong.is_empty() {
        let got: Vec<String> = changed.iter().map(|(o, n)| format!("{o}: {n}")).collect();
        return fail(
            format!("new objects in the CRM: {}", wrong.join(", ")),
            got.join(", "),
        );
    }
    Ok(())
}

/// With `expect.transport`, a request of the attempt failed in transport that way.
fn transport_ok(case: &PushCase, output: &AttemptOutput) -> Check {
    let Some(want) = &case.expect.transport else {
        return Ok(());
    };
    let failures: Vec<&str> = output
        .journal
        .http
        .iter()
        .filter_map(|x| x.failure)
        .collect();
    if failures.iter().any(|f| f.starts_with(want.as_str())) {
        return Ok(());
    }
    fail(
        format!("a request that failed in transport as {want:?}"),
        if failures.is_empty() {
            "every request got a response".to_string()
        } else {
            format!("transport failures {failures:?}")
        },
    )
}

/// Live objects of each type the case counts.
fn counts(sim: &dyn Simulator, case: &PushCase) -> Result<BTreeMap<String, u64>, (String, String)> {
    case.expect
        .created
        .keys()
        .map(|object| {
            Ok((
                object.clone(),
                sim.live(object).or_else(|e| fail("a count", e))?,
            ))
        })
        .collect()
}

fn status_ok(case: &PushCase, n: u32, outcome: &PushOutcome) -> Check {
    let got = status_name(outcome.status);
    let want = if n == 1 {
        case.expect.status.as_deref()
    } else {
        case.expect.repeat_status.as_deref()
    };
    match want {
        Some(want) if want != got => fail(format!("status {want}"), format!("status {got}")),
        None if n > 1 && got == "created" => fail(
            "status updated or already-present (the same key again)",
            "status created",
        ),
        _ => Ok(()),
    }
}

fn status_name(s: PushStatus) -> &'static str {
    match s {
        PushStatus::Created => "created",
        PushStatus::Updated => "updated",
        PushStatus::AlreadyPresent => "already-present",
    }
}

/// An attempt's result in words, with the CRM response and requests behind it.
fn result_text(result: &AttemptResult, output: &AttemptOutput) -> String {
    let mut text = crate::suites::brief(&format!("{result:?}"));
    if let Some(r) = &output.response {
        text.push_str(&format!("; CRM answered {} {}", r.status, r.body));
    }
    let requests: Vec<String> = output
        .journal
        .http
        .iter()
        .map(|x| match &x.result {
            Ok(status) => format!("{} -> {status}", x.request),
            Err(e) => format!("{} -> {e}", x.request),
        })
        .collect();
    if !requests.is_empty() {
        text.push_str(&format!("; requests: {}", requests.join(", ")));
    }
    text
}

/// Keeps the attempt's evidence for the sandbox checks.
fn keep(kit: &Kit, context: &str, output: &AttemptOutput) {
    let fault = match &output.result {
        AttemptResult::Fault(f) => Some(f.clone()),
        _ => None,
    };
    kit.record(Evidence {
        context: context.to_string(),
        observed: output.observed.clone(),
        http: output.journal.http.clone(),
        annotations: output.journal.annotations.clone(),
        returned: vec![
            format!("{:?}", output.result),
            format!("{:?}", output.normalized),
            format!("{:?}", output.payload),
        ],
        fault,
        guest_time: output.guest_time,
    });
}
