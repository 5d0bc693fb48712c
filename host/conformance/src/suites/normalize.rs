//! `normalize` cases from the case files, and on every record they normalize:
//! idempotence (normalizing again changes nothing) and `map-fields` (the same
//! payload every time, in the same and in a fresh instance, with no host calls).

use switchboard_runtime::types::Record;

use crate::cases::{CaseFile, NormalizeCase};
use crate::kit::Kit;
use crate::records::{fields_json, record, record_json, show_fields};
use crate::suites::{Check, Out, brief, fail, listed};

const SUITE: &str = "normalize";
const MAP: &str = "map-fields";

/// Findings across cases, for the suite-wide checks.
#[derive(Default)]
struct Across {
    normalized: usize,
    not_idempotent: Vec<String>,
    nondeterministic: Vec<String>,
    host_calls: Vec<String>,
}

/// Runs the suite over every `[[normalize]]` case in `files`.
pub(crate) async fn run(kit: &Kit, files: &[&CaseFile], out: &mut Out) {
    let mut across = Across::default();
    for case in files.iter().flat_map(|f| &f.normalize) {
        if let Some(why) = skip_reason(kit, &case.kind, case.region.as_deref()) {
            out.skip(kit, SUITE, &case.name, why);
            continue;
        }
        let input = input_line(&case.kind, &case.fields, case.region.as_deref());
        out.check(kit, SUITE, &case.name, Some(input), async || {
            one(kit, case, &mut across).await
        })
        .await;
    }
    if across.normalized == 0 {
        out.skip(kit, SUITE, "is idempotent", "no case normalized a record");
        out.skip(kit, MAP, "is deterministic", "no case normalized a record");
        out.skip(
            kit,
            MAP,
            "makes no host calls",
            "no case normalized a record",
        );
        return;
    }
    let n = Some(across.normalized);
    let verdict = |bad: &[String], expected: &str| -> Check { listed(expected, bad.to_vec(), n) };
    let idempotent = verdict(
        &across.not_idempotent,
        "normalize(normalize(r)) == normalize(r)",
    );
    out.check(kit, SUITE, "is idempotent", None, async || idempotent)
        .await;
    let det = verdict(
        &across.nondeterministic,
        "the same result from map-fields each time, in the same and in a fresh instance",
    );
    out.check(kit, MAP, "is deterministic", None, async || det)
        .await;
    let pure = verdict(&across.host_calls, "no host calls from map-fields");
    out.check(kit, MAP, "makes no host calls", None, async || pure)
        .await;
}

/// Why a case cannot run against this connector, if it cannot.
pub(crate) fn skip_reason(kit: &Kit, kind: &str, region: Option<&str>) -> Option<String> {
    if !kit.declares_kind(kind) {
        return Some(format!(
            "the connector does not declare record kind {kind:?}"
        ));
    }
    if region.is_some() && !kit.declares_config("default-region") {
        return Some(
            "the case needs a region; the connector does not declare config key `default-region`"
                .into(),
        );
    }
    None
}

/// The case's input as a `switchboard push` record line.
pub(crate) fn input_line(
    kind: &str,
    fields: &crate::cases::Fields,
    region: Option<&str>,
) -> String {
    let rec = record_json("conformance", kind, fields);
    match region {
        Some(r) => format!("record: {rec}\nconfig: default-region = {r:?}"),
        None => format!("record: {rec}"),
    }
}

async fn one(kit: &Kit, case: &NormalizeCase, across: &mut Across) -> Check {
    let rec =
        record("conformance", &case.kind, &case.fields).or_else(|e| fail("a valid case", e))?;
    let context = format!("{SUITE}/{}", case.name);
    let (dep, mut inst) = kit.fresh(case.region.as_deref(), &context).await?;
    let first = inst.normalize(&rec).await;
    let mut returned = vec![format!("{first:?}")];
    let mut map_fault = None;
    let verdict = match &first {
        Err(f) => fail(
            "normalize to return",
            format!("a fault: {}", crate::suites::brief(&f.to_string())),
        ),
        Ok(result) => judge(case, result),
    };
    if let Ok(Ok(normalized)) = &first {
        across.normalized += 1;
        match inst.normalize(normalized).await {
            Ok(Ok(again)) if same_fields(&again, normalized) => {}
            Ok(again) => across.not_idempotent.push(format!(
                "{:?}: {} became {}",
                case.name,
                show_fields(&fields_json(normalized)),
                match &again {
                    Ok(r) => show_fields(&fields_json(r)),
                    Err(errors) => format!("refused: {errors:?}"),
                }
            )),
            Err(f) => across.not_idempotent.push(format!(
                "{:?}: fault {}",
                case.name,
                brief(&f.to_string())
            )),
        }
        map_fault = map_fields(
            kit,
            &dep,
            &mut inst,
            normalized,
            case,
            across,
            &mut returned,
        )
        .await;
    }
    kit.observe(
        &context,
        &inst,
        returned,
        first.as_ref().err().or(map_fault.as_ref()),
    );
    verdict
}

/// Compares one result with the case's expectation.
fn judge(
    case: &NormalizeCase,
    result: &Result<Record, Vec<switchboard_runtime::types::FieldError>>,
) -> Check {
    match (result, &case.expect.invalid) {
        (Ok(r), None) => {
            let got = fields_json(r);
            let wrong: Vec<String> = case
                .expect
                .fields
                .iter()
                .filter(|(k, v)| got.get(*k) != Some(&crate::records::json(v)))
                .map(|(k, v)| format!("{k} = {}", crate::records::json(v)))
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                fail(wrong.join(", "), show_fields(&got))
            }
        }
        (Ok(r), Some(field)) => fail(
            format!("a field error naming {field:?}"),
            format!("accepted: {}", show_fields(&fields_json(r))),
        ),
        (Err(errors), None) => fail(
            show_fields(
                &case
                    .expect
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), crate::records::json(v)))
                    .collect(),
            ),
            format!("refused: {errors:?}"),
        ),
        (Err(errors), Some(field)) if errors.iter().any(|e| &e.field == field) => Ok(()),
        (Err(errors), Some(field)) => fail(
            format!("a field error naming {field:?}"),
            format!("{errors:?}"),
        ),
    }
}

fn same_fields(a: &Record, b: &Record) -> bool {
    a.kind == b.kind && fields_json(a) == fields_json(b)
}

/// `map-fields` twice in `inst` and once in a fresh instance: the same answer, no host calls.
async fn map_fields(
    kit: &Kit,
    dep: &switchboard_runtime::Deployment,
    inst: &mut switchboard_runtime::ConnectorInstance,
    rec: &Record,
    case: &NormalizeCase,
    across: &mut Across,
    returned: &mut Vec<String>,
) -> Option<switchboard_runtime::GuestFault> {
    let mut host_calls = |calls: std::collections::BTreeMap<&'static str, u32>, fresh: &str| {
        if !calls.is_empty() {
            let list: Vec<String> = calls.iter().map(|(n, c)| format!("{n} x{c}")).collect();
            across
                .host_calls
                .push(format!("{:?}{fresh}: {}", case.name, list.join(", ")));
        }
    };
    let before = inst.observed();
    let first = inst.map_fields(rec).await;
    let second = inst.map_fields(rec).await;
    host_calls(inst.observed().calls_since(&before), "");
    let context = format!("{MAP}/{}", case.name);
    let third = match kit.instance(dep, &context).await {
        Ok(mut fresh) => {
            let before = fresh.observed();
            let r = fresh.map_fields(rec).await;
            host_calls(fresh.observed().calls_since(&before), " (fresh instance)");
            kit.observe(&context, &fresh, vec![format!("{r:?}")], r.as_ref().err());
            format!("{r:?}")
        }
        Err(f) => format!("no instance: {f}"),
    };
    let (a, b) = (format!("{first:?}"), format!("{second:?}"));
    if a != b || a != third {
        across.nondeterministic.push(format!(
            "{:?}: {a} / {b} / fresh instance: {third}",
            case.name
        ));
    }
    returned.push(a);
    first.err().or(second.err())
}
