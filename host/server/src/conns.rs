//! The connection limit: at most `max` client connections at once, so a flood of idle or
//! half-sent connections cannot use up the process's file descriptors (and with them the
//! store's, the logs' and the connections to CRMs). At the limit a new connection closes
//! an idle connection (one that never had a request answered first, which is what a flood's
//! connections are, then one waiting between requests; the longest idle first); with none
//! idle it is refused with a `503`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Connections the limit may be exceeded by while evicted connections are closing: an
/// eighth of it, at least 1 and at most 64 (the rest of the descriptors stays for
/// everything else).
fn eviction_slack(max: usize) -> usize {
    (max / 8).clamp(1, 64)
}

/// How often the limit being reached is logged, at most.
const WARN_EVERY: Duration = Duration::from_secs(1);

/// The open connections and the limit.
#[derive(Debug)]
pub(crate) struct Conns {
    max: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    open: HashMap<u64, Entry>,
    /// Connections evicted and not yet closed.
    evicting: usize,
    last_warned: Option<Instant>,
    /// Evictions and refusals since the last warning.
    unreported: (u64, u64),
}

#[derive(Debug)]
struct Entry {
    /// Since when no request has been in progress; `None` while one is.
    idle_since: Option<Instant>,
    /// Whether it has had a request answered (a client's keep-alive connection, not a
    /// flood's connection that never sends one).
    served: bool,
    evicted: bool,
    close: Arc<Notify>,
}

/// What to do with a new connection.
pub(crate) enum Admit {
    /// Serve it; the slot is given back when the guard drops.
    Open(ConnSlot),
    /// Answer `503` and close it: the limit is reached and no connection is idle.
    Refuse,
}

/// One admitted connection's place under the limit.
#[derive(Debug)]
pub(crate) struct ConnSlot {
    conns: Arc<Conns>,
    id: u64,
    /// Notified when the connection is evicted to make room.
    pub close: Arc<Notify>,
}

impl Conns {
    /// A limit of `max` connections.
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides about a connection just accepted (see the module docs).
    pub(crate) fn admit(self: &Arc<Self>) -> Admit {
        let mut st = self.state();
        let live = st.open.len() - st.evicting;
        if live >= self.max {
            // Connections that never had a request answered go first, oldest first: a
            // client's keep-alive connection idles between its requests, a flood's never
            // gets that far.
            let oldest_idle = st
                .open
                .iter()
                .filter(|(_, e)| !e.evicted)
                .filter_map(|(id, e)| e.idle_since.map(|t| ((e.served, t), *id)))
                .min();
            match oldest_idle {
                Some((_, id)) if st.open.len() < self.max + eviction_slack(self.max) => {
                    if let Some(entry) = st.open.get_mut(&id) {
                        entry.evicted = true;
                        entry.close.notify_one();
                    }
                    st.evicting += 1;
                    st.unreported.0 += 1;
                }
                _ => {
                    st.unreported.1 += 1;
                    self.warn(&mut st);
                    return Admit::Refuse;
                }
            }
            self.warn(&mut st);
        }
        let id = st.next_id;
        st.next_id += 1;
        let close = Arc::new(Notify::new());
        st.open.insert(
            id,
            Entry {
                idle_since: Some(Instant::now()),
                served: false,
                evicted: false,
                close: close.clone(),
            },
        );
        Admit::Open(ConnSlot {
            conns: self.clone(),
            id,
            close,
        })
    }

    /// Logs the limit being reached, at most once per [`WARN_EVERY`].
    fn warn(&self, st: &mut State) {
        if st.last_warned.is_some_and(|t| t.elapsed() < WARN_EVERY) {
            return;
        }
        let (evicted, refused) = std::mem::take(&mut st.unreported);
        tracing::warn!(
            max_connections = self.max,
            evicted,
            refused,
            "connection limit reached: closing the connections idle longest, refusing new ones when none is idle"
        );
        st.last_warned = Some(Instant::now());
    }

    /// Connections open now (evicted ones included until they have closed).
    pub(crate) fn open(&self) -> usize {
        self.state().open.len()
    }
}

impl ConnSlot {
    /// A request is in progress: the connection is not idle.
    pub(crate) fn busy(&self) {
        if let Some(e) = self.conns.state().open.get_mut(&self.id) {
            e.idle_since = None;
        }
    }

    /// The request's answer is ready: the connection is idle from now.
    pub(crate) fn idle(&self) {
        if let Some(e) = self.conns.state().open.get_mut(&self.id) {
            e.idle_since = Some(Instant::now());
            e.served = true;
        }
    }

    /// Whether a request is in progress.
    #[cfg(test)]
    fn is_busy(&self) -> bool {
        self.conns
            .state()
            .open
            .get(&self.id)
            .is_some_and(|e| e.idle_since.is_none())
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut st = self.conns.state();
        if let Some(e) = st.open.remove(&self.id)
            && e.evicted
        {
            st.evicting -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(conns: &Arc<Conns>) -> ConnSlot {
        match conns.admit() {
            Admit::Open(slot) => slot,
            Admit::Refuse => panic!("refused"),
        }
    }

    #[tokio::test]
    async fn at_the_limit_the_connection_idle_longest_is_closed_for_the_new_one() {
        let conns = Conns::new(2);
        let oldest = open(&conns);
        std::thread::sleep(Duration::from_millis(2));
        let newer = open(&conns);
        let third = open(&conns);
        // The oldest idle one was told to close; the others were not.
        tokio::time::timeout(Duration::from_secs(1), oldest.close.notified())
            .await
            .expect("the oldest idle connection is evicted");
        assert_eq!(conns.open(), 3, "until it has closed");
        drop(oldest);
        assert_eq!(conns.open(), 2);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), newer.close.notified())
                .await
                .is_err()
        );
        drop((newer, third));
        assert_eq!(conns.open(), 0);
    }

    #[tokio::test]
    async fn a_client_between_requests_is_closed_only_after_connections_never_used() {
        let conns = Conns::new(2);
        let client = open(&conns);
        client.busy();
        client.idle();
        std::thread::sleep(Duration::from_millis(2));
        let flood = open(&conns);
        let _newcomer = open(&conns);
        tokio::time::timeout(Duration::from_secs(1), flood.close.notified())
            .await
            .expect("the never-used connection is evicted, though it is newer");
        assert!(
            tokio::time::timeout(Duration::from_millis(20), client.close.notified())
                .await
                .is_err()
        );
    }

    #[test]
    fn busy_connections_are_not_evicted_and_with_none_idle_a_new_one_is_refused() {
        let conns = Conns::new(2);
        let a = open(&conns);
        let b = open(&conns);
        a.busy();
        b.busy();
        assert!(a.is_busy());
        assert!(matches!(conns.admit(), Admit::Refuse));
        b.idle();
        assert!(!b.is_busy());
        assert!(matches!(conns.admit(), Admit::Open(_)));
    }
}
