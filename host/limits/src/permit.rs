//! The right to send one request, and the bookings it made.

use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;

use crate::limiter::Inner;
use crate::state::Booking;

/// Granted by [`Limiter::acquire`](crate::Limiter::acquire) for one request.
///
/// While the permit lives its rolling bookings count however long the request
/// takes. Call [`Permit::complete`] when the response arrives; dropping it
/// instead leaves the bookings in the slot of the send time, to expire from there.
#[must_use = "call `complete` when the response arrives"]
pub struct Permit {
    inner: Arc<Inner>,
    bookings: Vec<Booking>,
}

impl Permit {
    pub(crate) fn new(inner: Arc<Inner>, bookings: Vec<Booking>) -> Self {
        Self { inner, bookings }
    }

    /// The response arrived: rolling bookings now count from this instant.
    pub fn complete(mut self) {
        let bookings = std::mem::take(&mut self.bookings);
        self.settle(&bookings, true);
    }

    fn settle(&self, bookings: &[Booking], completed: bool) {
        if bookings.iter().all(|b| b.slot.is_none()) {
            return;
        }
        let now = Instant::now();
        {
            let mut state = self.inner.state();
            if completed {
                state.rebook(bookings, now);
            } else {
                state.unpin(bookings, now);
            }
        }
        self.inner.changed.notify_waiters();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let bookings = std::mem::take(&mut self.bookings);
        self.settle(&bookings, false);
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("bookings", &self.bookings)
            .finish_non_exhaustive()
    }
}
