//! Set-up shared by the scenarios: the config and deployment manifest written to a temp
//! dir, the server started in-process, and the call records sent.

use super::*;

/// [`write_config`] for scenarios that deliver nothing: the CRM URL has no listener.
pub(crate) fn offline_config(dir: &Path, wasm: &Path) -> anyhow::Result<ServeConfig> {
    write_config(dir, wasm, &SimConfig::default(), "http://127.0.0.1:9", 16)
}

/// A server config in `dir`: one tenant, one HubSpot deployment at `base_url`.
pub(crate) fn write_config(
    dir: &Path,
    wasm: &Path,
    sim: &SimConfig,
    base_url: &str,
    concurrency: u64,
) -> anyhow::Result<ServeConfig> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    // Share the compiled connector between runs (the compile takes seconds).
    let cache = switchboard_tests::repo_root()
        .join("target")
        .join("bench-compile-cache");
    std::fs::create_dir_all(&cache)?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&cache, data.join("cache"))?;
    std::fs::write(dir.join("ingest.token"), INGEST_TOKEN)?;
    std::fs::write(dir.join("hubspot-token.secret"), SIM_TOKEN)?;
    std::fs::write(
        dir.join("hubspot.toml"),
        switchboard_tests::hubspot_manifest_for(sim, base_url, "hubspot-token.secret", Some("GB")),
    )?;
    let toml = format!(
        r#"
[storage]
dir = "data"

[server]
listen = "127.0.0.1:0"
shutdown_grace_ms = 2000

[workers]
concurrency = {concurrency}
poll_interval_ms = 50

[delivery]
backoff_base_ms = 50
backoff_cap_ms = 1000

[tenants.{TENANT}]
ingest_token = {{ file = "ingest.token" }}

[tenants.{TENANT}.deployments.hubspot]
wasm = {wasm:?}
manifest = "hubspot.toml"
kinds = ["call"]
"#,
        wasm = wasm.display().to_string()
    );
    let path = dir.join("switchboard.toml");
    std::fs::write(&path, toml)?;
    Ok(ServeConfig::load(&path)?)
}

pub(crate) fn record_json(id: &str, phone_seq: usize) -> serde_json::Value {
    json!({"id": id, "kind": "call", "fields": {
        "phone": format!("+447911{:06}", 100_000 + phone_seq % 900_000),
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 125,
        "direction": "outbound",
        "title": "Renewal call",
        "notes": "Discussed the renewal",
    }})
}

/// A running in-process server.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) stop: tokio::sync::oneshot::Sender<()>,
    pub(crate) task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub(crate) async fn start_server(
    config: ServeConfig,
    mode: CommitMode,
    workers: bool,
) -> anyhow::Result<Server> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        switchboard_server::run_with(
            &config,
            RunOptions {
                commit_mode: mode,
                workers,
            },
            async {
                let _ = stopped.await;
            },
            move |addr| {
                let _ = addr_tx.send(addr);
            },
        )
        .await
    });
    let addr = match addr_rx.await {
        Ok(a) => a,
        Err(_) => {
            return Err(task
                .await?
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("server did not start")));
        }
    };
    Ok(Server { addr, stop, task })
}

impl Server {
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}
