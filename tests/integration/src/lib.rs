//! Test kit shared by the cross-crate tests: builds the guest components
//! once per process, and sets up runtimes and deployments in temporary
//! directories.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use switchboard_config::DeploymentManifest;
use switchboard_runtime::{Deployment, LoadedConnector, Runtime, RuntimeOptions};
use switchboard_storage::Storage;

mod in_process;
pub mod loopback;
mod serve_child;

pub use in_process::InProcess;
pub use serve_child::{ServeChild, eventually, http_request, request};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/integration sits two levels below the root")
        .to_path_buf()
}

/// Builds a wasm32-wasip2 workspace in release mode (a no-op when up to date).
fn build_wasm_workspace(dir: &str) -> PathBuf {
    let root = repo_root();
    let manifest = root.join(dir).join("Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(&manifest)
        // Settings of the outer `cargo test` must not leak into the guest build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("running cargo to build guest components");
    assert!(
        status.success(),
        "building {} for wasm32-wasip2 failed",
        manifest.display()
    );
    root.join(dir).join("target/wasm32-wasip2/release")
}

/// Path of a connector component from `connectors/` (e.g. `hubspot`).
pub fn connector_wasm(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_wasm_workspace("connectors"))
        .join(format!("{name}.wasm"))
}

/// Path of a connector written in another language (`hubspot-py`, `hubspot-js`), built
/// once per test process by its own `connectors/<name>/build.sh` (which installs its
/// pinned tools on first use) into `connectors/target/<name>.wasm`.
pub fn language_connector_wasm(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let root = repo_root();
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        let script = root.join("connectors").join(name).join("build.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        built.push(name.to_string());
    }
    root.join("connectors/target").join(format!("{name}.wasm"))
}

/// Path of a guest fixture from `tests/guests/` (e.g. `hostile`).
pub fn guest_wasm(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_wasm_workspace("tests/guests"))
        .join(format!("{name}.wasm"))
}

/// A copy, in `dir`, of the `prepare-hog` fixture whose `prepare` keeps a table of `mib`
/// MiB (the fixture reads its size from a marker in its data segment).
pub fn prepare_hog(dir: &Path, mib: u32) -> PathBuf {
    let mut bytes = std::fs::read(guest_wasm("prepare_hog")).expect("fixture");
    let marker = b"PREPARE_MIB=0200;";
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("size marker in the fixture");
    bytes[at..at + marker.len()].copy_from_slice(format!("PREPARE_MIB={mib:04};").as_bytes());
    let path = dir.join(format!("prepare-hog-{mib}.wasm"));
    std::fs::write(&path, bytes).expect("write fixture copy");
    path
}

/// A runtime over temporary storage, with a compile cache shared by every
/// test of this process (so each connector compiles once per test binary).
pub struct TestHost {
    /// The runtime.
    pub runtime: Runtime,
    /// Keeps the storage directory alive.
    pub dir: tempfile::TempDir,
}

/// The compile cache shared by the tests (under the workspace target dir).
pub fn shared_cache_dir() -> PathBuf {
    repo_root().join("target").join("test-compile-cache")
}

impl TestHost {
    /// A fresh host.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::open(&dir.path().join("store")).expect("open storage");
        let runtime = Runtime::new(RuntimeOptions::with_cache_dir(shared_cache_dir()), storage)
            .expect("runtime");
        Self { runtime, dir }
    }

    /// A fresh host with a compile cache of its own, so every load runs `prepare` and
    /// compiles rather than finding an earlier test's result.
    pub fn with_own_cache() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = Storage::open(&dir.path().join("store")).expect("open storage");
        let options = RuntimeOptions::with_cache_dir(dir.path().join("cache"));
        let runtime = Runtime::new(options, storage).expect("runtime");
        Self { runtime, dir }
    }

    /// Loads a component, panicking with the load error.
    pub async fn load(&self, wasm: &Path) -> LoadedConnector {
        match self.runtime.load(wasm).await {
            Ok(l) => l,
            Err(e) => panic!("loading {}: {e}", wasm.display()),
        }
    }

    /// Loads and deploys `wasm` for `tenant` with manifest text `toml`, as a deployment
    /// named after the `.wasm` file.
    pub async fn deploy(&self, tenant: &str, wasm: &Path, toml: &str) -> Deployment {
        let name = wasm
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "deployment".into());
        self.deploy_as(tenant, &name, wasm, toml).await
    }

    /// Loads and deploys `wasm` for `tenant` as `deployment` with manifest text `toml`.
    pub async fn deploy_as(
        &self,
        tenant: &str,
        deployment: &str,
        wasm: &Path,
        toml: &str,
    ) -> Deployment {
        let loaded = self.load(wasm).await;
        let origin = self.dir.path().join("deploy.toml");
        let manifest =
            DeploymentManifest::parse(toml, &origin.display().to_string()).expect("manifest");
        Deployment::new(
            &self.runtime,
            tenant,
            deployment,
            loaded,
            &manifest,
            "deploy.toml",
        )
        .expect("deploy")
    }
}

impl Default for TestHost {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHost {
    /// Writes a secret file next to the manifest and returns its relative
    /// name, for `[secrets] x = { file = "..." }`.
    pub fn write_secret(&self, name: &str, value: &str) -> String {
        let file = format!("{name}.secret");
        std::fs::write(self.dir.path().join(&file), value).expect("write secret");
        file
    }
}

/// A record from inline JSON.
pub fn record(json: serde_json::Value) -> switchboard_runtime::types::Record {
    switchboard_runtime::record_from_json(&json).expect("valid record json")
}

/// WebAssembly text to binary, for hand-written fixtures.
pub fn wat_bytes(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid WAT fixture")
}

/// A deployment manifest for the HubSpot connector talking to a simulator
/// (or any CRM) at `base_url` on loopback, with its token read from
/// `secret_file` (relative to the manifest) and `default-region` set when
/// given.
pub fn hubspot_manifest(base_url: &str, secret_file: &str, region: Option<&str>) -> String {
    sim_manifest(("hubspot", "^0.3"), base_url, secret_file, region)
}

/// [`hubspot_manifest`] for any connector `(name, version requirement)` that takes a
/// `hubspot-token` secret and a `base-url`.
pub fn sim_manifest(
    (name, version): (&str, &str),
    base_url: &str,
    secret_file: &str,
    region: Option<&str>,
) -> String {
    let region = region
        .map(|r| format!("default-region = {r:?}"))
        .unwrap_or_default();
    format!(
        r#"
[connector]
name = "{name}"
version = "{version}"

[limits]
memory_mb = 64
time_budget_ms = 2000
wall_timeout_ms = 20000

[http]
allowed_hosts = ["{base_url}"]
allow_private_addresses = true
allow_secrets_over_http = true
request_timeout_ms = 5000

[config]
base-url = "{base_url}"
{region}

[secrets]
hubspot-token = {{ file = "{secret_file}" }}
"#
    )
}

/// [`hubspot_manifest`] with `[rate_limits]` overrides matching the simulator's limits
/// (`sim`), the way an operator sets a tenant's plan: a simulator with limits raised out
/// of the way gets a host that does not hold records back for HubSpot's defaults.
pub fn hubspot_manifest_for(
    sim: &switchboard_hubspot_sim::SimConfig,
    base_url: &str,
    secret_file: &str,
    region: Option<&str>,
) -> String {
    let clamp = |n: u64| n.clamp(1, u64::from(u32::MAX));
    // The operator's ceiling counts every request: room for a whole burst window of both
    // the burst budget and the searches in it.
    let window_ms = sim.burst_window.as_millis().max(1);
    let searches = u64::from(sim.search_per_second)
        .saturating_mul(u64::try_from(window_ms.div_ceil(1000)).unwrap_or(u64::MAX));
    let ceiling = u64::from(sim.burst_limit)
        .saturating_add(searches)
        .clamp(1, 1_000_000);
    format!(
        "{}\n[rate_limits]\nceiling_requests = {ceiling}\nceiling_window_ms = {window_ms}\n\n\
         [rate_limits.budgets.ten-secondly]\ntokens = {}\nwindow_ms = {}\n\n\
         [rate_limits.budgets.search]\ntokens = {}\n\n\
         [rate_limits.budgets.daily]\ntokens = {}\n",
        hubspot_manifest(base_url, secret_file, region),
        clamp(u64::from(sim.burst_limit)),
        sim.burst_window.as_millis().max(1),
        clamp(u64::from(sim.search_per_second)),
        clamp(sim.daily_limit),
    )
}

/// Path of the `switchboard` binary, built once per test process. Taken from cargo's own
/// build report: `CARGO_BIN_EXE_*` only exists for binaries of the package under test.
pub fn switchboard_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut child = Command::new(cargo)
            .current_dir(repo_root())
            .args([
                "build",
                "--quiet",
                "-p",
                "switchboard",
                "--bin",
                "switchboard",
                "--message-format=json-render-diagnostics",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("running cargo to build the switchboard binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut exe = None;
        for line in BufReader::new(stdout).lines() {
            let msg: serde_json::Value =
                serde_json::from_str(&line.expect("cargo output")).unwrap_or_default();
            if msg["reason"] == "compiler-artifact"
                && msg["target"]["name"] == "switchboard"
                && let Some(path) = msg["executable"].as_str()
            {
                exe = Some(PathBuf::from(path));
            }
        }
        assert!(
            child.wait().expect("cargo exit status").success(),
            "building the switchboard binary failed"
        );
        exe.expect("cargo reported no switchboard executable")
    })
}

/// Copies the compiled components (`*.cwasm`) of `from` that `to` lacks,
/// through a temporary name and a rename so a reader never sees half a file. Best effort:
/// a file that cannot be copied is compiled again by whoever needs it.
pub fn copy_compiled(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(name), Some("cwasm")) =
            (path.file_name(), path.extension().and_then(|e| e.to_str()))
        else {
            continue;
        };
        let dest = to.join(name);
        if !dest.exists() {
            let tmp = to.join(format!(
                "{}.{}.tmp",
                name.to_string_lossy(),
                std::process::id()
            ));
            if std::fs::copy(&path, &tmp).is_ok() {
                let _ = std::fs::rename(&tmp, &dest);
            }
        }
    }
}

/// What a run of the `switchboard` binary printed and returned.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Standard output, line by line.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Standard output as JSON, panicking with both streams when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// Itself, after asserting it exited 0.
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }
}
