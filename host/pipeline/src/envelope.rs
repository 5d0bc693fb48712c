//! The body of a queued item and of a dead letter: the record as accepted, its trace id,
//! and what happened to it so far. Stored as JSON, so operators read it as it is.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Most attempts kept in an envelope (and so in a dead letter): as many as one round may
/// have (`delivery.max_attempts` is at most 1000), so a dead letter shows every attempt of
/// its round. Older rounds' attempts beyond that are dropped; the audit log has them all.
pub const MAX_KEPT_ATTEMPTS: usize = 1000;

/// What the pipeline keeps with every queued item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The record exactly as accepted (`{"id","kind","fields"}`), or as an operator edited it.
    pub record: Json,
    /// The trace id every event of this record carries.
    pub trace_id: String,
    /// When the ingest API accepted it (unix ms).
    pub accepted_ms: u64,
    /// When the current round of attempts began: acceptance, or the last replay (unix ms).
    /// Max age counts from here.
    pub round_started_ms: u64,
    /// Attempts since it was accepted or last replayed.
    #[serde(default)]
    pub round_attempts: u32,
    /// Attempts in all.
    #[serde(default)]
    pub total_attempts: u32,
    /// How many times it was replayed from the dead-letter queue.
    #[serde(default)]
    pub replays: u32,
    /// Time this round spent waiting out rate limits and open breakers (ms); it does not
    /// count towards the max age.
    #[serde(default)]
    pub waited_ms: u64,
    /// The most recent attempts, oldest first (see [`MAX_KEPT_ATTEMPTS`]).
    #[serde(default)]
    pub attempts: Vec<Json>,
    /// Set on dead letters: why, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Set on dead letters: the record as `normalize` returned it, if it got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalized: Option<Json>,
    /// Set on dead letters: the payload `map-fields` returned, if it got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Json>,
}

impl Envelope {
    /// A fresh envelope for a record accepted at `accepted_ms`.
    pub fn new(record: Json, trace_id: String, accepted_ms: u64) -> Self {
        Self {
            record,
            trace_id,
            accepted_ms,
            round_started_ms: accepted_ms,
            round_attempts: 0,
            total_attempts: 0,
            replays: 0,
            waited_ms: 0,
            attempts: Vec::new(),
            detail: None,
            normalized: None,
            payload: None,
        }
    }

    /// Decodes a stored body.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("envelope is not valid: {e}"))
    }

    /// Encodes for storage.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Keeps an attempt's summary; `counted` attempts also count against the round's
    /// `max_attempts` (rate-limit waits and breaker probes do not).
    pub fn push_attempt(&mut self, summary: Json, counted: bool) {
        if counted {
            self.round_attempts = self.round_attempts.saturating_add(1);
        }
        self.total_attempts = self.total_attempts.saturating_add(1);
        self.attempts.push(summary);
        if self.attempts.len() > MAX_KEPT_ATTEMPTS {
            let extra = self.attempts.len() - MAX_KEPT_ATTEMPTS;
            self.attempts.drain(..extra);
        }
    }

    /// An attempt that ended in an uncounted wait of `wait_ms` (a rate limit, a breaker
    /// probe or the failure that opened the breaker). A rate-limit wait is in the audit
    /// log only: its summary is not kept, so waits cannot crowd the round's real attempts
    /// out of the envelope.
    pub fn wait(&mut self, summary: Json, wait_ms: u64, rate_limited: bool) {
        self.waited_ms = self.waited_ms.saturating_add(wait_ms);
        if rate_limited {
            self.total_attempts = self.total_attempts.saturating_add(1);
        } else {
            self.push_attempt(summary, false);
        }
    }

    /// The envelope a replay queues: same record, trace id and acceptance time, a fresh
    /// round of attempts starting at `now_ms`, the dead-letter fields cleared.
    pub fn for_replay(&self, now_ms: u64) -> Self {
        Self {
            round_attempts: 0,
            waited_ms: 0,
            replays: self.replays.saturating_add(1),
            detail: None,
            normalized: None,
            payload: None,
            round_started_ms: now_ms,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_attempts_and_counts_all() {
        let mut e = Envelope::new(serde_json::json!({"id": "r"}), "t".into(), 1);
        for i in 0..(MAX_KEPT_ATTEMPTS + 5) {
            e.push_attempt(serde_json::json!(i), true);
        }
        assert_eq!(e.attempts.len(), MAX_KEPT_ATTEMPTS);
        assert_eq!(e.attempts[0], serde_json::json!(5));
        assert_eq!(e.total_attempts as usize, MAX_KEPT_ATTEMPTS + 5);
        let replay = e.for_replay(99);
        assert_eq!(
            (
                replay.round_attempts,
                replay.replays,
                replay.round_started_ms
            ),
            (0, 1, 99)
        );
        assert_eq!(replay.accepted_ms, 1);
        assert_eq!(Envelope::decode(&replay.encode()), Ok(replay));
    }

    #[test]
    fn waits_do_not_count_or_age_and_rate_limit_waits_keep_no_summary() {
        let mut e = Envelope::new(serde_json::json!({"id": "r"}), "t".into(), 1);
        e.push_attempt(serde_json::json!("503"), true);
        e.wait(serde_json::json!("429"), 60_000, true);
        e.wait(serde_json::json!("probe failed"), 500, false);
        assert_eq!((e.round_attempts, e.total_attempts), (1, 3));
        assert_eq!(e.waited_ms, 60_500);
        assert_eq!(
            e.attempts,
            [serde_json::json!("503"), serde_json::json!("probe failed")]
        );
        let replay = e.for_replay(99);
        assert_eq!((replay.round_attempts, replay.waited_ms), (0, 0));
    }
}
