//! Rolling-window accounting for a [`Scope::Rolling`](crate::Scope::Rolling) budget.
//!
//! The window is split into [`SLOTS`] slots of `g = window / 64` (at least
//! 1 ms), numbered from an origin instant, so a slot id is an absolute integer
//! a permit can carry. A spend is booked in the slot of the current time and
//! counts until the end of that slot plus `window`: never less than `window`
//! after the spend, at most `g` more.
//!
//! A booking for a request still in flight is also *pinned*: it keeps
//! counting past that expiry until the request completes ([`RollingWindow::rebook`]
//! moves it to the slot of the response time) or is abandoned
//! ([`RollingWindow::unpin`] leaves it in its slot to expire as usual). So a
//! request counts from when it is sent until `window` after its response,
//! which covers every instant at which the CRM can have counted it, whatever
//! the network delay.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::clock;

/// Slots per window.
pub(crate) const SLOTS: u32 = 64;

/// The shortest slot.
const MIN_SLOT: Duration = Duration::from_millis(1);

/// Whole slot lengths from the window's origin to the start of a slot.
pub(crate) type SlotId = u64;

/// Tokens booked in one slot.
#[derive(Debug)]
struct Entry {
    slot: SlotId,
    amount: u64,
    /// The part of `amount` whose requests are still in flight.
    pinned: u64,
}

/// The bookings of one rolling budget. Memory: one entry per slot that still
/// counts (at most `SLOTS + 2`) plus one per slot holding a request in flight
/// for longer than the window.
#[derive(Debug)]
pub(crate) struct RollingWindow {
    origin: Instant,
    slot_len: Duration,
    window: Duration,
    /// Ascending by slot; every amount is positive.
    entries: VecDeque<Entry>,
}

impl RollingWindow {
    /// An empty window of length `window`, with slot 0 starting at `origin`.
    pub(crate) fn new(window: Duration, origin: Instant) -> Self {
        let window = clock::from_nanos(window.as_nanos());
        Self {
            origin,
            slot_len: (window / SLOTS).max(MIN_SLOT),
            window,
            entries: VecDeque::new(),
        }
    }

    /// The slot `now` falls in.
    pub(crate) fn slot_at(&self, now: Instant) -> SlotId {
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        SlotId::try_from(elapsed / self.slot_len.as_nanos()).unwrap_or(SlotId::MAX)
    }

    /// When an unpinned booking in `slot` stops counting: the end of the slot plus the window.
    fn expiry(&self, slot: SlotId) -> Instant {
        let end = self
            .slot_len
            .as_nanos()
            .saturating_mul(u128::from(slot) + 1);
        clock::after(self.origin + clock::from_nanos(end), self.window)
    }

    /// Drops what has expired; an expired slot keeps only its pinned part.
    fn prune(&mut self, now: Instant) {
        let mut i = 0;
        while let Some(e) = self.entries.get(i) {
            if self.expiry(e.slot) > now {
                break;
            }
            if e.pinned == 0 {
                self.entries.remove(i);
            } else {
                if let Some(e) = self.entries.get_mut(i) {
                    e.amount = e.pinned;
                }
                i += 1;
            }
        }
    }

    /// Tokens still counting at `now`.
    pub(crate) fn used(&mut self, now: Instant) -> u64 {
        self.prune(now);
        self.entries.iter().map(|e| e.amount).sum()
    }

    /// How long until `cost` more fits under `tokens`: zero if it fits now,
    /// `None` if it never can. When the room depends on requests in flight
    /// completing, the answer is a lower bound (`window`: a completion moves
    /// its booking to at least `window` from now); ask again after it passes.
    pub(crate) fn wait_for(&mut self, cost: u64, tokens: u64, now: Instant) -> Option<Duration> {
        if cost > tokens {
            return None;
        }
        let used = self.used(now);
        let Some(mut over) = used
            .saturating_add(cost)
            .checked_sub(tokens)
            .filter(|&o| o > 0)
        else {
            return Some(Duration::ZERO);
        };
        for e in &self.entries {
            let expiry = self.expiry(e.slot);
            if expiry <= now {
                continue;
            }
            let freed = e.amount - e.pinned;
            if freed >= over {
                return Some(expiry - now);
            }
            over -= freed;
        }
        Some(self.window)
    }

    /// Books `cost` in the slot of `now`, pinned while its request is in flight.
    pub(crate) fn book(&mut self, cost: u64, now: Instant, pinned: bool) -> SlotId {
        self.prune(now);
        let slot = self.slot_at(now);
        let at = self.entries.partition_point(|e| e.slot < slot);
        let pinned = if pinned { cost } else { 0 };
        match self.entries.get_mut(at) {
            Some(e) if e.slot == slot => {
                e.amount += cost;
                e.pinned += pinned;
            }
            _ => self.entries.insert(
                at,
                Entry {
                    slot,
                    amount: cost,
                    pinned,
                },
            ),
        }
        slot
    }

    /// The response to a request booked (pinned) in `sent` arrived: move its
    /// `cost` to the slot of `now`, unpinned. Returns the new slot.
    pub(crate) fn rebook(&mut self, cost: u64, sent: SlotId, now: Instant) -> SlotId {
        if let Some(i) = self.position(sent) {
            let emptied = self.entries.get_mut(i).is_some_and(|e| {
                e.amount -= cost.min(e.amount);
                e.pinned -= cost.min(e.pinned);
                e.amount == 0
            });
            if emptied {
                self.entries.remove(i);
            }
        }
        self.book(cost, now, false)
    }

    /// A request booked (pinned) in `sent` was abandoned: its booking stays in
    /// that slot and expires as usual.
    pub(crate) fn unpin(&mut self, cost: u64, sent: SlotId, now: Instant) {
        if let Some(e) = self.position(sent).and_then(|i| self.entries.get_mut(i)) {
            e.pinned -= cost.min(e.pinned);
        }
        self.prune(now);
    }

    fn position(&self, slot: SlotId) -> Option<usize> {
        self.entries.binary_search_by_key(&slot, |e| e.slot).ok()
    }

    #[cfg(test)]
    fn entries(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Duration = Duration::from_secs(64);
    const G: Duration = Duration::from_secs(1);

    #[test]
    fn booking_counts_until_end_of_slot_plus_window() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        w.book(3, t0 + G / 2, false);
        assert_eq!(w.used(t0 + G / 2), 3);
        assert_eq!(w.used(t0 + W + G - Duration::from_nanos(1)), 3);
        assert_eq!(w.used(t0 + W + G), 0);
    }

    #[test]
    fn wait_for_is_time_until_enough_expires() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        w.book(4, t0, false);
        w.book(4, t0 + 3 * G, false);
        assert_eq!(w.wait_for(2, 10, t0 + 3 * G), Some(Duration::ZERO));
        // 3 more need the first slot (ends at 1 s) to expire: at 65 s.
        assert_eq!(w.wait_for(3, 10, t0 + 3 * G), Some(W + G - 3 * G));
        // 7 more need both: the second slot ends at 4 s, expires at 68 s.
        assert_eq!(w.wait_for(7, 10, t0 + 3 * G), Some(W + 4 * G - 3 * G));
        assert_eq!(w.wait_for(11, 10, t0), None);
    }

    #[test]
    fn slot_is_at_least_one_millisecond() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(Duration::from_millis(10), t0);
        let slot = w.book(1, t0 + Duration::from_micros(2_500), false);
        assert_eq!(slot, 2);
        assert_eq!(w.used(t0 + Duration::from_millis(12)), 1);
        assert_eq!(w.used(t0 + Duration::from_millis(13)), 0);
    }

    #[test]
    fn rebook_moves_booking_to_response_slot() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        let sent = w.book(5, t0, true);
        w.book(1, t0, false);
        let moved = w.rebook(5, sent, t0 + 10 * G);
        assert_eq!(moved, 10);
        // The unmoved token expires at 65 s, the moved ones at 75 s.
        assert_eq!(w.used(t0 + W + G), 5);
        assert_eq!(w.used(t0 + W + 11 * G - Duration::from_nanos(1)), 5);
        assert_eq!(w.used(t0 + W + 11 * G), 0);
    }

    #[test]
    fn pinned_booking_counts_while_in_flight() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        let sent = w.book(2, t0, true);
        w.book(3, t0, false);
        let late = t0 + 2 * W;
        assert_eq!(w.used(late), 2);
        // Only completions can free it: the answer is a lower bound.
        assert_eq!(w.wait_for(9, 10, late), Some(W));
        w.rebook(2, sent, late);
        assert_eq!(w.used(late + W), 2);
        assert_eq!(w.used(late + W + G), 0);
    }

    #[test]
    fn unpin_leaves_booking_to_expire_in_its_slot() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        let sent = w.book(2, t0, true);
        w.unpin(2, sent, t0 + G);
        assert_eq!(w.used(t0 + W), 2);
        assert_eq!(w.used(t0 + W + G), 0);
        let sent = w.book(2, t0 + 2 * W, true);
        w.unpin(2, sent, t0 + 4 * W);
        assert_eq!(w.used(t0 + 4 * W), 0);
    }

    #[test]
    fn memory_stays_within_the_slots() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(W, t0);
        let mut in_flight = None;
        for i in 0..10_000u32 {
            let now = t0 + G / 7 * i;
            if let Some(sent) = in_flight.take() {
                w.rebook(1, sent, now);
            }
            in_flight = Some(w.book(1, now, true));
            assert!(w.entries() <= SLOTS as usize + 2);
        }
    }
}
