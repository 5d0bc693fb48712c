//! `switchboard serve` started in-process from a config file, with small helpers for the
//! ingest and operator APIs. Tests that need a child process (SIGKILL) use
//! [`switchboard_bin`](crate::switchboard_bin) instead.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use switchboard_server::CommitMode;
use tokio::sync::oneshot;

/// A running in-process host.
pub struct InProcess {
    /// `http://ADDR` it listens on.
    pub base: String,
    admin_token: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    http: reqwest::Client,
}

impl InProcess {
    /// Loads the config at `path` and starts serving it; `admin_token` is the token the
    /// config's `server.admin_token` resolves to.
    pub async fn start(path: &Path, admin_token: &str) -> Self {
        let config = switchboard_config::ServeConfig::load(path).expect("valid config");
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr_tx, addr_rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            switchboard_server::run(
                &config,
                CommitMode::Group,
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
            Ok(addr) => addr,
            Err(_) => panic!("server did not start: {:?}", task.await),
        };
        Self {
            base: format!("http://{addr}"),
            admin_token: admin_token.to_owned(),
            stop: Some(stop),
            task,
            http: reqwest::Client::new(),
        }
    }

    /// `POST /v1/tenants/{tenant}/records` with `body`: status and JSON answer.
    pub async fn ingest(&self, tenant: &str, token: &str, body: String) -> (u16, Json) {
        let resp = self
            .http
            .post(format!("{}/v1/tenants/{tenant}/records", self.base))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .expect("ingest request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Json::Null))
    }

    /// An operator API call with the admin token: status and JSON answer.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Json>,
    ) -> (u16, Json) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("admin request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Json::Null))
    }

    /// `GET path` of the operator API, which must answer 200.
    pub async fn get(&self, path: &str) -> Json {
        let (status, body) = self.admin(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// `GET /metrics` as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics text")
    }

    /// Records queued over every lane.
    pub async fn pending(&self) -> u64 {
        let status = self.get("/v1/status").await;
        status["lanes"]
            .as_array()
            .expect("lanes")
            .iter()
            .map(|l| l["pending"].as_u64().expect("pending"))
            .sum()
    }

    /// Waits until no record is queued, or panics after `limit`.
    pub async fn settle(&self, limit: Duration) {
        let start = Instant::now();
        while self.pending().await > 0 {
            assert!(
                start.elapsed() < limit,
                "records still queued after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Audit entries matching `query` (newest first, at most the server's page).
    pub async fn audit(&self, query: &str) -> Vec<Json> {
        self.get(&format!("/v1/audit?{query}")).await["entries"]
            .as_array()
            .expect("entries")
            .clone()
    }

    /// Stops it and waits for a clean shutdown.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .expect("server task")
            .expect("clean shutdown");
    }
}
