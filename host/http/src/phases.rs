//! Separate connect and TLS-handshake budgets for new connections.
//!
//! reqwest 0.12's `ClientBuilder::connect_timeout` wraps its whole connector
//! (DNS + TCP + TLS) in one `tower::timeout` and also hands the same value to
//! hyper-util's per-address TCP timeout, so it cannot give TLS its own budget.
//! We leave it unset and instead:
//!
//! 1. add [`PhaseTimeoutLayer`] with `ClientBuilder::connector_layer`. It
//!    wraps the same connector future (DNS, TCP connect, then TLS) and runs it
//!    inside a tokio task-local [`PhaseClock`];
//! 2. build the rustls `ClientConfig` ourselves with [`PhaseMarkingStore`] as
//!    its session store. rustls consults that store (`kx_hint`) when it builds
//!    the ClientHello, which tokio-rustls does right after hyper-rustls has the
//!    TCP stream: that call stamps "TLS started" on the clock of the
//!    connection being built.
//!
//! The layer gives DNS + TCP `connect_timeout` from the start, and the TLS
//! handshake `tls_timeout` from the stamp. Plain `http` connections never
//! stamp, so the connect budget covers all of their connection setup. If the
//! stamp were ever missing (a future rustls not asking the store), the whole
//! setup would still be bounded by the connect budget and reported as a
//! connect timeout; `tls_handshake_timeout_fires` in the tests guards this.
//! Errors that happen after the stamp are wrapped in [`TlsPhaseFailure`] so a
//! handshake cut short by the peer reads as a TLS error, not a connect error.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::NamedGroup;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::pki_types::ServerName;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};
use tower_layer::Layer;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    static CLOCK: Arc<PhaseClock>;
}

/// When the TLS phase of one connection attempt started.
#[derive(Debug, Default)]
struct PhaseClock {
    tls_started: OnceLock<Instant>,
    notify: Notify,
}

/// Stamps "TLS started" on the clock of the connection being built, if any.
fn mark_tls_start() {
    // Outside a connection attempt there is no clock; nothing to stamp.
    let _ = CLOCK.try_with(|clock| {
        if clock.tls_started.set(Instant::now()).is_ok() {
            clock.notify.notify_one();
        }
    });
}

/// Connector layer enforcing the connect and TLS-handshake budgets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhaseTimeoutLayer {
    pub(crate) connect: Duration,
    pub(crate) tls: Duration,
}

impl<S> Layer<S> for PhaseTimeoutLayer {
    type Service = PhaseTimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PhaseTimeoutService {
            inner,
            budgets: *self,
        }
    }
}

/// The service made by [`PhaseTimeoutLayer`].
#[derive(Debug, Clone)]
pub(crate) struct PhaseTimeoutService<S> {
    inner: S,
    budgets: PhaseTimeoutLayer,
}

impl<S, R> Service<R> for PhaseTimeoutService<S>
where
    S: Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let clock = Arc::new(PhaseClock::default());
        let inner = CLOCK.sync_scope(clock.clone(), || self.inner.call(req));
        let scoped = CLOCK.scope(clock.clone(), inner);
        Box::pin(run_phases(scoped, clock, self.budgets))
    }
}

async fn run_phases<F, T>(
    connecting: F,
    clock: Arc<PhaseClock>,
    budgets: PhaseTimeoutLayer,
) -> Result<T, BoxError>
where
    F: Future<Output = Result<T, BoxError>>,
{
    tokio::pin!(connecting);
    let connect_deadline = Instant::now() + budgets.connect;
    tokio::select! {
        biased;
        done = &mut connecting => return tag_tls_failure(done, &clock),
        () = clock.notify.notified() => {}
        () = sleep_until(connect_deadline) => {}
    }
    let Some(&tls_started) = clock.tls_started.get() else {
        return Err(Box::new(PhaseTimeout {
            phase: Phase::Connect,
            after: budgets.connect,
        }));
    };
    tokio::select! {
        biased;
        done = &mut connecting => tag_tls_failure(done, &clock),
        () = sleep_until(tls_started + budgets.tls) => Err(Box::new(PhaseTimeout {
            phase: Phase::TlsHandshake,
            after: budgets.tls,
        })),
    }
}

fn tag_tls_failure<T>(done: Result<T, BoxError>, clock: &PhaseClock) -> Result<T, BoxError> {
    done.map_err(|err| match clock.tls_started.get() {
        Some(_) => Box::new(TlsPhaseFailure(err)) as BoxError,
        None => err,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect,
    TlsHandshake,
}

/// A connection phase ran out of its budget.
#[derive(Debug)]
pub(crate) struct PhaseTimeout {
    phase: Phase,
    pub(crate) after: Duration,
}

impl PhaseTimeout {
    /// The phase as the crate's public error names it.
    pub(crate) fn phase(&self) -> crate::error::TimeoutPhase {
        match self.phase {
            Phase::Connect => crate::error::TimeoutPhase::Connect,
            Phase::TlsHandshake => crate::error::TimeoutPhase::TlsHandshake,
        }
    }

    /// The guest-facing text, starting with `connect` or `tls handshake`.
    pub(crate) fn describe(&self, host: &str) -> String {
        match self.phase {
            Phase::Connect => format!("connect to {host:?} timed out after {:?}", self.after),
            Phase::TlsHandshake => {
                format!(
                    "tls handshake with {host:?} timed out after {:?}",
                    self.after
                )
            }
        }
    }
}

impl std::fmt::Display for PhaseTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.phase {
            Phase::Connect => write!(f, "connect timed out after {:?}", self.after),
            Phase::TlsHandshake => write!(f, "tls handshake timed out after {:?}", self.after),
        }
    }
}

impl std::error::Error for PhaseTimeout {}

/// A connection attempt failed after its TLS handshake had started.
#[derive(Debug)]
pub(crate) struct TlsPhaseFailure(BoxError);

impl std::fmt::Display for TlsPhaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tls handshake failed: {}", self.0)
    }
}

impl std::error::Error for TlsPhaseFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// rustls session store that stamps the TLS start, delegating storage to
/// rustls' own in-memory cache.
#[derive(Debug)]
pub(crate) struct PhaseMarkingStore {
    inner: ClientSessionMemoryCache,
}

impl PhaseMarkingStore {
    /// A store remembering up to `size` servers, like rustls' default.
    pub(crate) fn new(size: usize) -> Self {
        Self {
            inner: ClientSessionMemoryCache::new(size),
        }
    }
}

impl ClientSessionStore for PhaseMarkingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        mark_tls_start();
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.inner.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        mark_tls_start();
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        mark_tls_start();
        self.inner.take_tls13_ticket(server_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets() -> PhaseTimeoutLayer {
        PhaseTimeoutLayer {
            connect: Duration::from_millis(100),
            tls: Duration::from_millis(300),
        }
    }

    async fn phases<F: Future<Output = Result<(), BoxError>>>(f: F) -> Result<(), BoxError> {
        let clock = Arc::new(PhaseClock::default());
        run_phases(CLOCK.scope(clock.clone(), f), clock, budgets()).await
    }

    #[tokio::test(start_paused = true)]
    async fn connect_budget_applies_until_tls_starts() {
        let err = phases(std::future::pending()).await.unwrap_err();
        assert_eq!(err.to_string(), "connect timed out after 100ms");
    }

    #[tokio::test(start_paused = true)]
    async fn tls_budget_counts_from_the_tls_start() {
        // TCP takes 80ms of the 100ms connect budget, then the handshake may use 300ms.
        let slow_tls = async {
            tokio::time::sleep(Duration::from_millis(80)).await;
            mark_tls_start();
            tokio::time::sleep(Duration::from_millis(250)).await;
            Ok(())
        };
        phases(slow_tls).await.unwrap();

        let stuck_tls = async {
            tokio::time::sleep(Duration::from_millis(80)).await;
            mark_tls_start();
            std::future::pending::<()>().await;
            Ok(())
        };
        let started = Instant::now();
        let err = phases(stuck_tls).await.unwrap_err();
        assert_eq!(err.to_string(), "tls handshake timed out after 300ms");
        assert_eq!(started.elapsed(), Duration::from_millis(380));
    }

    #[tokio::test(start_paused = true)]
    async fn errors_after_tls_start_are_tagged_as_tls() {
        let fails = async {
            mark_tls_start();
            Err::<(), BoxError>("tls handshake eof".into())
        };
        let err = phases(fails).await.unwrap_err();
        assert!(err.is::<TlsPhaseFailure>(), "{err}");

        let refused = async { Err::<(), BoxError>("connection refused".into()) };
        let err = phases(refused).await.unwrap_err();
        assert!(!err.is::<TlsPhaseFailure>(), "{err}");
    }
}
