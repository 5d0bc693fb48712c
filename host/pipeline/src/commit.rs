//! Group commit: concurrent ingest requests share one durable flush.
//!
//! A request writes its records (not flushed), then waits on [`Committer::durable`]. One
//! background task takes every waiter that has arrived, runs one flush, and answers them
//! all; waiters arriving during that flush are served by the next one. Every write made
//! before a waiter arrived is covered by the flush that answers it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use switchboard_storage::delivery::DeliveryStore;
use tokio::sync::{mpsc, oneshot};

/// How ingest makes records durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// Concurrent requests share flushes (the default).
    Group,
    /// Every request flushes on its own: the naive baseline, for benchmarks.
    PerRequest,
}

type Waiter = oneshot::Sender<Result<(), String>>;
/// The durable flush being shared.
type Flush = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Makes writes durable, sharing flushes between concurrent callers.
#[derive(Clone)]
pub struct Committer {
    mode: CommitMode,
    flush: Flush,
    tx: mpsc::UnboundedSender<Waiter>,
    flushes: Arc<AtomicU64>,
}

impl Committer {
    /// Starts the flushing task on the current tokio runtime.
    ///
    /// The task holds the store weakly, so dropping the pipeline closes the database even
    /// while the task is still winding down.
    pub fn start(store: Arc<dyn DeliveryStore>, mode: CommitMode) -> Self {
        let store = Arc::downgrade(&store);
        Self::with_flush(
            Arc::new(move || match store.upgrade() {
                Some(store) => store.sync_enqueued().map_err(|e| e.to_string()),
                None => Err("the store is closed".to_owned()),
            }),
            mode,
        )
    }

    fn with_flush(flush: Flush, mode: CommitMode) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let flushes = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(flush.clone(), rx, flushes.clone()));
        Self {
            mode,
            flush,
            tx,
            flushes,
        }
    }

    /// Returns once every write made before the call is durable.
    pub async fn durable(&self) -> Result<(), String> {
        if self.mode == CommitMode::PerRequest {
            let flush = self.flush.clone();
            self.flushes.fetch_add(1, Ordering::Relaxed);
            return tokio::task::spawn_blocking(move || flush())
                .await
                .map_err(|e| format!("flush task failed: {e}"))?;
        }
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(tx)
            .map_err(|_| "the commit task has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the commit task has stopped".to_owned())?
    }

    /// Flushes run so far.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

async fn run(flush: Flush, mut rx: mpsc::UnboundedReceiver<Waiter>, flushes: Arc<AtomicU64>) {
    let mut waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        waiters.push(first);
        while let Ok(more) = rx.try_recv() {
            waiters.push(more);
        }
        let flush = flush.clone();
        let result = tokio::task::spawn_blocking(move || flush())
            .await
            .map_err(|e| format!("flush task failed: {e}"))
            .and_then(|r| r);
        flushes.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = &result {
            tracing::error!(error = %e, "group commit flush failed");
        }
        for waiter in waiters.drain(..) {
            let _ = waiter.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn slow_flush(count: Arc<AtomicU64>) -> Flush {
        Arc::new(move || {
            std::thread::sleep(Duration::from_millis(20));
            count.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
    }

    async fn callers(c: &Committer, n: usize) {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.durable().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_flushes() {
        let count = Arc::new(AtomicU64::new(0));
        let c = Committer::with_flush(slow_flush(count.clone()), CommitMode::Group);
        callers(&c, 64).await;
        let n = count.load(Ordering::Relaxed);
        // The first caller's flush runs alone; everyone who arrived meanwhile shares the next.
        assert!(
            (1..=3).contains(&n),
            "64 concurrent callers took {n} flushes"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_request_mode_flushes_once_per_caller() {
        let count = Arc::new(AtomicU64::new(0));
        let c = Committer::with_flush(slow_flush(count.clone()), CommitMode::PerRequest);
        callers(&c, 8).await;
        assert_eq!(count.load(Ordering::Relaxed), 8);
    }

    #[tokio::test]
    async fn a_failed_flush_is_reported_to_every_waiter() {
        let c = Committer::with_flush(Arc::new(|| Err("disk full".into())), CommitMode::Group);
        assert_eq!(c.durable().await, Err("disk full".to_owned()));
    }
}
