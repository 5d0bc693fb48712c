//! `switchboard-hubspot-sim`: runs the HubSpot simulator until SIGTERM or Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use switchboard_hubspot_sim::{SimConfig, Simulator};

/// Command-line options; unset limits keep HubSpot's real numbers.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard-hubspot-sim",
    about = "Loopback HubSpot CRM API simulator"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A valid private-app token (repeatable; default "sim-token").
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// A token answered with 401 EXPIRED_AUTHENTICATION (repeatable).
    #[arg(long = "expired-token")]
    expired_tokens: Vec<String>,
    /// A token answered with 403 MISSING_SCOPES (repeatable).
    #[arg(long = "scopeless-token")]
    scopeless_tokens: Vec<String>,
    /// Milliseconds before a new object becomes visible to search.
    #[arg(long)]
    search_lag_ms: Option<u64>,
    /// Requests per token per burst window.
    #[arg(long)]
    burst_limit: Option<u32>,
    /// Burst window length in milliseconds.
    #[arg(long)]
    burst_window_ms: Option<u64>,
    /// Requests per UTC day for the portal.
    #[arg(long)]
    daily_limit: Option<u64>,
    /// Search requests per token per second.
    #[arg(long)]
    search_per_second: Option<u32>,
    /// Start without the connector's unique-value properties
    /// (calls.switchboard_idempotency_key, contacts.switchboard_phone_e164).
    #[arg(long)]
    no_unique_properties: bool,
    /// An extra unique-value property, as OBJECT:NAME (repeatable), e.g.
    /// calls:my_key.
    #[arg(long = "unique-property", value_parser = object_and_name)]
    unique_properties: Vec<(String, String)>,
}

/// Parses `OBJECT:NAME`.
fn object_and_name(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((object, name)) if !object.is_empty() && !name.is_empty() => {
            Ok((object.to_owned(), name.to_owned()))
        }
        _ => Err(format!("expected OBJECT:NAME, got {text:?}")),
    }
}

impl Args {
    fn config(self) -> SimConfig {
        let mut cfg = SimConfig::default();
        if !self.tokens.is_empty() {
            cfg.tokens = self.tokens;
        }
        cfg.expired_tokens = self.expired_tokens;
        cfg.scopeless_tokens = self.scopeless_tokens;
        if let Some(ms) = self.search_lag_ms {
            cfg.search_lag = Duration::from_millis(ms);
        }
        if let Some(n) = self.burst_limit {
            cfg.burst_limit = n;
        }
        if let Some(ms) = self.burst_window_ms {
            cfg.burst_window = Duration::from_millis(ms);
        }
        if let Some(n) = self.daily_limit {
            cfg.daily_limit = n;
        }
        if let Some(n) = self.search_per_second {
            cfg.search_per_second = n;
        }
        if self.no_unique_properties {
            cfg.unique_properties.clear();
        }
        cfg.unique_properties.extend(self.unique_properties);
        cfg
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listen = args.listen;
    let sim = match Simulator::start_on(listen, args.config()).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: cannot listen on {listen:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Handlers first: a SIGTERM right after the address line must stop us cleanly,
    // not kill us with the default action.
    let stop = stop_signal();
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {}", sim.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("error: cannot write to stdout");
    }
    drop(stdout);
    stop.await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Installs the handlers now; the future resolves on Ctrl-C or SIGTERM.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}
