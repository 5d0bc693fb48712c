//! The ingest path: check every record of a parsed body (the parser, `parse_body`, and
//! `IngestError` live in `switchboard-ingest` and are re-exported by this crate), fan each
//! out to the tenant's lanes that take its kind, enqueue all or nothing, and answer once a
//! (shared) flush made them durable.

use serde::Serialize;
use serde_json::Value as Json;
use switchboard_ingest::{IngestError, RecordProblem, check_count};
use switchboard_runtime::{record_from_json, record_problems};
use switchboard_storage::Scope;
use switchboard_storage::delivery::{Enqueued, Health, NewItem};

use crate::clock::now_ms;
use crate::envelope::Envelope;
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;

/// The answer to an accepted request: per record, the queue items it became.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// Per record, in request order.
    pub records: Vec<RecordReceipt>,
}

/// One record's receipt.
#[derive(Debug, Clone, Serialize)]
pub struct RecordReceipt {
    /// The caller's record id.
    pub id: String,
    /// The trace id of its delivery events.
    pub trace_id: String,
    /// One per lane that takes its kind.
    pub deliveries: Vec<DeliveryReceipt>,
}

/// Where a record went in one lane.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryReceipt {
    /// The deployment.
    pub deployment: String,
    /// The queue item id (for a duplicate: the item that already has the record id).
    pub item: String,
    /// `queued`, or for a duplicate where the earlier one is: `pending`, `delivered`,
    /// `dead-lettered`.
    pub status: &'static str,
}

impl Pipeline {
    /// Checks `token` against the tenant's ingest token (constant time). An unknown tenant
    /// is refused exactly like a wrong token, so the answer does not tell which tenants
    /// exist.
    pub fn authenticate(&self, tenant: &str, token: Option<&str>) -> Result<(), IngestError> {
        let expected = self
            .inner
            .tenants
            .get(tenant)
            .map(|t| t.ingest_token.as_str());
        let matches = match (token, expected) {
            (Some(token), Some(expected)) => {
                constant_time_eq(token.as_bytes(), expected.as_bytes())
            }
            // Compared all the same (black_box: the compiler may not skip it), so an
            // unknown tenant costs about the time a known one does.
            (Some(token), None) => {
                let probe = std::hint::black_box(token.as_bytes());
                std::hint::black_box(constant_time_eq(probe, probe));
                false
            }
            (None, _) => false,
        };
        if matches {
            Ok(())
        } else {
            Err(IngestError::Unauthorized(tenant.to_owned()))
        }
    }

    /// Enqueues `records` for `tenant`'s lanes, all or nothing, and returns once they are
    /// durable. The caller has authenticated the request.
    pub async fn ingest(&self, tenant: &str, records: &[Json]) -> Result<Receipt, IngestError> {
        let t = self
            .inner
            .tenants
            .get(tenant)
            .ok_or_else(|| IngestError::UnknownTenant(tenant.to_owned()))?;
        check_count(records.len(), self.inner.settings.max_batch_records)?;
        if let Health::Failing { reason, .. } = self.inner.store.health() {
            return Err(IngestError::Storage(format!(
                "the store cannot make records durable now ({reason}); nothing was accepted"
            )));
        }
        let now = now_ms();
        let mut problems = Vec::new();
        let mut unavailable = Vec::new();
        let mut planned = Vec::with_capacity(records.len());
        for (index, json) in records.iter().enumerate() {
            let id = json.get("id").and_then(Json::as_str).map(str::to_owned);
            let record = match record_from_json(json) {
                Ok(r) => r,
                Err(_) => {
                    problems.extend(record_problems(json).into_iter().map(|e| RecordProblem {
                        index,
                        id: id.clone(),
                        field: e.field,
                        reason: e.reason,
                    }));
                    continue;
                }
            };
            if let Some(down) = t.failed.iter().find(|f| f.might_take(&record.kind)) {
                unavailable.push(RecordProblem {
                    index,
                    id,
                    field: "kind".to_owned(),
                    reason: format!(
                        "deployment {:?} of tenant {tenant:?}, which may take kind {:?}, failed to start (the reason is in the admin status); send again once it runs",
                        down.name, record.kind
                    ),
                });
                continue;
            }
            let lanes: Vec<_> = t
                .lanes
                .iter()
                .filter(|l| l.kinds.contains(&record.kind))
                .cloned()
                .collect();
            if lanes.is_empty() {
                problems.push(RecordProblem {
                    index,
                    id,
                    field: "kind".to_owned(),
                    reason: format!(
                        "no deployment of tenant {tenant:?} takes kind {:?}",
                        record.kind
                    ),
                });
                continue;
            }
            let trace_id = uuid::Uuid::new_v4().simple().to_string();
            let body = Envelope::new(json.clone(), trace_id.clone(), now).encode();
            planned.push((record.id, trace_id, lanes, body));
        }
        if !problems.is_empty() {
            return Err(IngestError::Invalid(problems));
        }
        if !unavailable.is_empty() {
            return Err(IngestError::DeploymentDown(unavailable));
        }

        let scopes: Vec<Vec<Scope>> = planned
            .iter()
            .map(|(_, _, lanes, _)| lanes.iter().map(|l| l.scope()).collect())
            .collect();
        let mut items = Vec::new();
        for ((id, _, _, body), scopes) in planned.iter().zip(&scopes) {
            for lane in scopes {
                items.push(NewItem {
                    lane,
                    record_id: id,
                    body,
                    due_ms: now,
                });
            }
        }
        let store = self.inner.store.clone();
        let outcomes = store
            .enqueue(&items)
            .map_err(|e| IngestError::Storage(e.to_string()))?;
        for lane in &t.lanes {
            lane.touch();
        }
        self.inner
            .committer
            .durable()
            .await
            .map_err(IngestError::Storage)?;
        self.wake();

        let mut outcomes = outcomes.into_iter();
        let mut receipt = Receipt {
            records: Vec::with_capacity(planned.len()),
        };
        for (id, trace_id, lanes, _) in planned {
            let mut deliveries = Vec::with_capacity(lanes.len());
            for lane in lanes {
                let (item, status) = match outcomes.next() {
                    Some(Enqueued::New(item)) => {
                        Metrics::inc(&self.inner.metrics.enqueued);
                        (item, "queued")
                    }
                    Some(Enqueued::Duplicate { id, state }) => {
                        Metrics::inc(&self.inner.metrics.duplicates);
                        (id, state.as_str())
                    }
                    None => {
                        return Err(IngestError::Storage(
                            "store returned too few results".into(),
                        ));
                    }
                };
                deliveries.push(DeliveryReceipt {
                    deployment: lane.name.clone(),
                    item: item.to_string(),
                    status,
                });
            }
            receipt.records.push(RecordReceipt {
                id,
                trace_id,
                deliveries,
            });
        }
        Ok(receipt)
    }
}

/// Equal tokens, compared in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tokens_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
