//! Switchboard's durable delivery pipeline.
//!
//! - **Ingest** ([`Pipeline::ingest`]): a body is split into records by [`parse_body`]
//!   (from `switchboard-ingest`, re-exported with its errors); records are checked,
//!   fanned out to every lane (deployment) of the tenant that takes their kind, enqueued
//!   all or nothing, and acknowledged only after a flush shared with concurrent requests
//!   ([`Committer`]).
//! - **Workers** ([`Pipeline::run_workers`]): lease due items lane by lane, run one attempt
//!   each in a fresh connector instance, audit it, then ack, schedule a durable retry
//!   (backoff with full jitter, honouring retry-after, bounded by attempts and age), or
//!   dead-letter it with a reason tag.
//! - **DLQ** ([`Pipeline::dlq_list`] and friends): list, show, edit, replay, resolve; a new
//!   entry raises an alert ([`Alerts`]).
//! - **Audit** ([`Audit`]): one entry per attempt and per operator action.
//! - **Pauses**: a CRM rate limit pauses the deployment; the pause is kept in the store and
//!   re-applied when the pipeline starts again (`pauses.rs`).
//!
//! The queue is any [`DeliveryStore`](switchboard_storage::delivery::DeliveryStore); this
//! crate never touches sled.

#![warn(missing_docs)]

mod alerts;
mod audit;
mod clock;
mod commit;
mod dlq;
mod envelope;
mod guard;
mod ingest;
mod lane;
mod metrics;
mod pauses;
mod pipeline;
mod policy;
mod process;
pub mod reason;
mod worker;

pub use alerts::Alerts;
pub use audit::{Audit, AuditEvent};
pub use clock::now_ms;
pub use commit::{CommitMode, Committer};
pub use dlq::{
    DeadLetterHead, DeadLetterSummary, DeadLetterView, DlqError, ReplaySummary, SUMMARY_TEXT_BYTES,
};
pub use envelope::Envelope;
pub use ingest::{DeliveryReceipt, Receipt, RecordReceipt, constant_time_eq};
pub use lane::{Lane, LaneOptions};
pub use metrics::Metrics;
pub use pipeline::{FailedDeployment, Pipeline, Settings, Tenant};
pub use policy::DeliveryPolicy;
pub use switchboard_ingest::{IngestError, RecordProblem, parse_body};
pub use switchboard_limits::BreakerConfig;
