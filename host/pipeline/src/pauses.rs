//! Rate-limit pauses that outlive the process. A CRM's rate limit pauses the whole
//! deployment (see `guard.rs`); the pause is also kept in the store, and a host that
//! starts again re-applies what is left of it before any worker runs, so a restart in the
//! middle of a spent daily quota does not send the CRM another round of requests to refuse.

use std::time::Duration;

use switchboard_storage::delivery::LanePause;

use crate::clock::now_ms;
use crate::lane::Lane;
use crate::pipeline::Pipeline;

impl Pipeline {
    /// Keeps `lane`'s pause, set or extended until `until_ms` (unix ms), in the store. A
    /// store error is logged, not raised: the pause holds in memory either way.
    pub(crate) fn save_pause(&self, lane: &Lane, until_ms: u64, reason: &str) {
        let pause = LanePause {
            until_ms,
            reason: reason.to_owned(),
        };
        if let Err(e) = self.inner.store.save_pause(&lane.scope(), &pause) {
            tracing::error!(tenant = %lane.tenant, deployment = %lane.name, error = %e,
                "could not keep the rate-limit pause; a restart would forget it");
        }
    }

    /// Re-applies every lane's saved pause that has not ended yet, audited as
    /// `rate-limit-pause` / `restored`. Called once, before the workers start.
    pub(crate) fn restore_pauses(&self) {
        let now = now_ms();
        for lane in self.lanes() {
            let saved = match self.inner.store.saved_pause(&lane.scope()) {
                Ok(Some(pause)) if pause.until_ms > now => pause,
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(tenant = %lane.tenant, deployment = %lane.name, error = %e,
                        "could not read the saved rate-limit pause");
                    continue;
                }
            };
            let left = saved.until_ms - now;
            let reason = format!("{} (kept across a restart)", saved.reason);
            lane.limiter()
                .pause(Duration::from_millis(left), reason.clone());
            tracing::warn!(tenant = %lane.tenant, deployment = %lane.name, pause_ms = left,
                %reason, "deployment paused: a rate-limit pause from before the restart");
            self.guard_event(
                lane,
                "rate-limit-pause",
                "restored",
                format!("{reason}; no attempts for {left} ms"),
                Some(saved.until_ms),
            );
        }
    }
}
