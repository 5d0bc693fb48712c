//! The reconciliation both fault tests end with: every record the ingest API acknowledged
//! is in the CRM exactly once (the valid ones) or in the DLQ for `validation` (the invalid
//! ones), nothing else is in either, and the audit log agrees.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::harness::{BAD_RECORDS, DEPLOYMENT, GOOD_RECORDS, Load, TENANT, admin_get, phone};

/// What the reconciliation found: counts for the test's summary, and every disagreement.
pub(crate) struct Reconciled {
    pub acked: usize,
    pub good_acked: usize,
    pub bad_acked: usize,
    pub refused: usize,
    pub calls: usize,
    pub contacts: usize,
    pub dead_letters: usize,
    pub attempts: usize,
    pub multi_delivered: usize,
    /// Each disagreement, in words; empty when everything reconciles.
    pub problems: Vec<String>,
}

impl Reconciled {
    /// Fails the test with every disagreement (and `hint`: the seed, the server log).
    pub(crate) fn assert_clean(&self, hint: &str) {
        assert!(
            self.problems.is_empty(),
            "the reconciliation failed:\n{}\n{hint}",
            self.problems.join("\n")
        );
    }
}

/// Reconciles what `load` saw acknowledged with the simulator at `sim_url` and the
/// server at `base` (its DLQ and audit log). Every batch must have been acknowledged.
pub(crate) async fn reconcile(
    http: &reqwest::Client,
    base: &str,
    sim_url: &str,
    load: &Load,
) -> Reconciled {
    let acked = load.acked.lock().unwrap().clone();
    let refused = load.refused.lock().unwrap().clone();
    let good_acked: BTreeSet<&String> = acked.iter().filter(|id| id.starts_with("call-")).collect();
    let bad_acked: BTreeSet<&String> = acked.iter().filter(|id| id.starts_with("bad-")).collect();
    assert_eq!(
        good_acked.len(),
        GOOD_RECORDS,
        "every valid record was acknowledged in the end"
    );
    assert_eq!(bad_acked.len() + refused.len(), BAD_RECORDS);

    // The CRM, through the simulator's inspection endpoint.
    let state: Value = http
        .get(format!("{}/__sim/state", sim_url))
        .send()
        .await
        .expect("sim state")
        .json()
        .await
        .expect("sim state json");
    let live = |kind: &str| -> Vec<Value> {
        state[kind]
            .as_array()
            .unwrap_or_else(|| panic!("sim state has {kind}"))
            .iter()
            .filter(|o| o["archived"] != true)
            .cloned()
            .collect()
    };
    let calls = live("calls");
    let contacts = live("contacts");
    let prop = |o: &Value, name: &str| o["properties"][name].as_str().map(str::to_owned);

    let mut calls_by_title: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for c in &calls {
        let title =
            prop(c, "hs_call_title").unwrap_or_else(|| format!("<untitled call {}>", c["id"]));
        calls_by_title.entry(title).or_default().push(c);
    }
    let doubled: Vec<(&String, usize)> = calls_by_title
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| (k, v.len()))
        .collect();
    let missing: Vec<&&String> = good_acked
        .iter()
        .filter(|id| !calls_by_title.contains_key(id.as_str()))
        .collect();
    let unexpected: Vec<&String> = calls_by_title
        .keys()
        .filter(|t| !good_acked.contains(t))
        .collect();

    // Contacts: exactly one per phone number used.
    let mut contacts_by_phone: HashMap<String, Vec<String>> = HashMap::new();
    for c in &contacts {
        let phone = prop(c, "switchboard_phone_e164")
            .or_else(|| prop(c, "phone"))
            .unwrap_or_default();
        contacts_by_phone
            .entry(phone)
            .or_default()
            .push(c["id"].as_str().unwrap_or_default().to_owned());
    }
    let phones_used: BTreeSet<String> = (0..GOOD_RECORDS).map(phone).collect();
    let doubled_contacts: Vec<(&String, &Vec<String>)> = contacts_by_phone
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    let contact_phones: BTreeSet<String> = contacts_by_phone.keys().cloned().collect();

    // Each call is associated with the contact of its record's phone.
    let contact_phone: HashMap<String, String> = contacts_by_phone
        .iter()
        .flat_map(|(p, ids)| ids.iter().map(move |id| (id.clone(), p.clone())))
        .collect();
    let mut misassociated = Vec::new();
    for (title, cs) in &calls_by_title {
        let Some(n) = title
            .strip_prefix("call-")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        for c in cs {
            let linked: Vec<String> = c["associations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|pair| pair[0].as_str())
                        .filter_map(|id| contact_phone.get(id).cloned())
                        .collect()
                })
                .unwrap_or_default();
            if linked != vec![phone(n)] {
                misassociated.push((title.clone(), linked));
            }
        }
    }

    // The calls' idempotency keys, when the connector sets them.
    let mut key_mismatch = Vec::new();
    for (title, cs) in &calls_by_title {
        for c in cs {
            if let Some(key) = prop(c, "switchboard_idempotency_key") {
                let want = switchboard_runtime::idempotency_key(TENANT, title, DEPLOYMENT);
                if key != want {
                    key_mismatch.push(title.clone());
                }
            }
        }
    }

    // The DLQ: exactly the acknowledged invalid records, once each, for
    // validation.
    let dlq = admin_get(http, base, &format!("/v1/dlq?tenant={TENANT}&limit=10000")).await;
    let mut dlq_by_record: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in dlq["entries"].as_array().expect("dlq entries") {
        dlq_by_record
            .entry(e["record_id"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(e["reason"].as_str().unwrap_or_default().to_owned());
    }
    let dlq_expected: BTreeMap<String, Vec<String>> = bad_acked
        .iter()
        .map(|id| ((*id).clone(), vec!["validation".to_owned()]))
        .collect();

    // The audit log: every acknowledged valid record has a delivered attempt
    // and was never dead-lettered; every acknowledged invalid one was
    // dead-lettered and never delivered.
    let mut audit_problems = Vec::new();
    let mut multi_delivered = 0;
    let mut attempts_total = 0;
    for id in &acked {
        let audit = admin_get(
            http,
            base,
            &format!("/v1/audit?record_id={id}&tenant={TENANT}&limit=1000"),
        )
        .await;
        let entries = audit["entries"].as_array().expect("audit entries");
        let count = |event: &str, outcome: Option<&str>| {
            entries
                .iter()
                .filter(|e| e["event"] == event && outcome.is_none_or(|o| e["outcome"] == o))
                .count()
        };
        let attempts = count("attempt", None);
        attempts_total += attempts;
        let delivered = count("attempt", Some("delivered"));
        let dead = count("attempt", Some("dead-lettered")) + count("dead-lettered", None);
        if id.starts_with("call-") {
            if delivered == 0 || dead > 0 {
                audit_problems.push(format!(
                    "{id}: {delivered} delivered, {dead} dead-lettered, {attempts} attempts"
                ));
            }
            if delivered > 1 {
                multi_delivered += 1;
            }
        } else if dead == 0 || delivered > 0 {
            audit_problems.push(format!(
                "{id}: {delivered} delivered, {dead} dead-lettered, {attempts} attempts"
            ));
        }
    }

    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(
        doubled.is_empty(),
        format!("calls in the CRM more than once: {doubled:?}"),
    );
    check(
        missing.is_empty(),
        format!("acknowledged records missing from the CRM: {missing:?}"),
    );
    check(
        unexpected.is_empty(),
        format!("calls in the CRM that were never acknowledged: {unexpected:?}"),
    );
    check(
        doubled_contacts.is_empty(),
        format!("phones with more than one contact: {doubled_contacts:?}"),
    );
    check(
        contact_phones == phones_used,
        format!(
            "not one contact per phone used: {} phones with contacts, {} used",
            contact_phones.len(),
            phones_used.len()
        ),
    );
    check(
        misassociated.is_empty(),
        format!("calls not associated with their phone's contact: {misassociated:?}"),
    );
    check(
        key_mismatch.is_empty(),
        format!("calls with a wrong idempotency key: {key_mismatch:?}"),
    );
    check(
        dlq_by_record == dlq_expected,
        format!(
            "the DLQ does not hold exactly the invalid records, for validation: \
             {dlq_by_record:?} vs {dlq_expected:?}"
        ),
    );
    check(
        audit_problems.is_empty(),
        format!("audit log disagrees: {audit_problems:?}"),
    );
    Reconciled {
        acked: acked.len(),
        good_acked: good_acked.len(),
        bad_acked: bad_acked.len(),
        refused: refused.len(),
        calls: calls.len(),
        contacts: contacts.len(),
        dead_letters: dlq_by_record.values().map(Vec::len).sum::<usize>(),
        attempts: attempts_total,
        multi_delivered,
        problems,
    }
}
