//! The `switchboard` binary run as a child process, as an operator runs it:
//! `push` against the HubSpot simulator (text and JSON output, unreadable
//! lines, a bad manifest) and `inspect` on the HubSpot connector and on a
//! core module.
//!
//! The binary is built once per test process with `cargo build -p
//! switchboard` and found from cargo's own report of what it built. That
//! handles any target dir, and a build that is always run (a no-op when up
//! to date) never tests a stale binary, which "build it if it is missing"
//! would after an edit to the CLI. `CARGO_BIN_EXE_*` is not available: it
//! only exists for binaries of the package under test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};
use switchboard_tests::{
    Run, connector_wasm, copy_compiled, guest_wasm, repo_root, switchboard_bin,
};

const TOKEN: &str = "pat-cli-test-9c1e";

/// Compiled components kept between runs of these tests. The CLI keeps its
/// compile cache in `DATA_DIR/cache`; seeding each test's fresh data dir from
/// here saves every child process the seconds it takes to compile the
/// connector.
fn cli_cache_dir() -> PathBuf {
    repo_root().join("target").join("test-cli-compile-cache")
}

/// Makes sure [`cli_cache_dir`] holds the HubSpot connector compiled by the
/// CLI (a no-op after the first run), once per test process.
fn warm_cache() -> &'static Path {
    static WARM: OnceLock<PathBuf> = OnceLock::new();
    WARM.get_or_init(|| {
        let shared = cli_cache_dir();
        let scratch = tempfile::tempdir().expect("temp dir");
        let cache = scratch.path().join("cache");
        copy_compiled(&shared, &cache);
        let out = Command::new(switchboard_bin())
            .arg("--data-dir")
            .arg(scratch.path())
            .arg("inspect")
            .arg(connector_wasm("hubspot"))
            .output()
            .expect("running switchboard inspect");
        assert!(
            out.status.success(),
            "warming the compile cache failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        copy_compiled(&cache, &shared);
        shared
    })
}

/// Runs `switchboard --data-dir DATA ARGS...` on a blocking thread, so the
/// in-process simulator keeps serving while the child runs. The data dir's
/// compile cache is seeded first.
async fn switchboard(data_dir: &Path, args: Vec<String>) -> Run {
    let bin = switchboard_bin().to_path_buf();
    let data_dir = data_dir.to_path_buf();
    let output: Output = tokio::task::spawn_blocking(move || {
        copy_compiled(warm_cache(), &data_dir.join("cache"));
        Command::new(bin)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .env("SWITCHBOARD_LOG", "error")
            .output()
            .expect("running switchboard")
    })
    .await
    .expect("join");
    Run::from(output)
}

/// A simulator, a deployment manifest for it and a data dir, in one temp dir.
struct Setup {
    sim: SimHandle,
    dir: tempfile::TempDir,
    manifest: PathBuf,
}

impl Setup {
    async fn new() -> Self {
        let sim_config = SimConfig {
            tokens: vec![TOKEN.into()],
            search_per_second: 1000,
            ..SimConfig::default()
        };
        let sim = Simulator::start(sim_config.clone())
            .await
            .expect("simulator");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("token.secret"), TOKEN).expect("write secret");
        let manifest = dir.path().join("deploy.toml");
        let text = switchboard_tests::hubspot_manifest_for(
            &sim_config,
            &sim.base_url(),
            "token.secret",
            Some("GB"),
        );
        std::fs::write(&manifest, text).expect("write manifest");
        Self { sim, dir, manifest }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Writes a records file of these lines.
    fn records(&self, lines: &[String]) -> PathBuf {
        let path = self.dir.path().join("records.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").expect("write records");
        path
    }

    async fn push(&self, manifest: &Path, records: &Path, extra: &[&str]) -> Run {
        let mut args: Vec<String> = vec![
            "push".into(),
            "--tenant".into(),
            "acme".into(),
            "--connector".into(),
            connector_wasm("hubspot").display().to_string(),
            "--manifest".into(),
            manifest.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(records.display().to_string());
        switchboard(&self.data_dir(), args).await
    }
}

fn call(id: &str, phone: &str) -> String {
    json!({"id": id, "kind": "call", "fields": {
        "phone": phone,
        "started-at": "2026-11-24T09:30:00+01:00",
        "duration-seconds": 60,
        "direction": "inbound",
    }})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_delivers_a_jsonl_file_and_prints_each_outcome() {
    let s = Setup::new().await;
    let records = s.records(&[
        call("c-1", "+44 7911 123456"),
        call("c-2", "(07911) 123 456"),
        call("c-3", "+1 201-555-0123"),
    ]);
    let run = s.push(&s.manifest, &records, &[]).await;
    assert_eq!(
        run.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let lines = run.lines();
    assert_eq!(
        lines.len(),
        4,
        "one line per record plus a summary:\n{}",
        run.stdout
    );
    for (line, id) in lines.iter().zip(["c-1", "c-2", "c-3"]) {
        assert!(line.starts_with(&format!("✓ {id} ")), "{line:?}");
        assert!(line.contains(" created "), "{line:?}");
        assert!(line.contains("calls/"), "{line:?}");
    }
    assert_eq!(
        lines[3],
        "3 created, 0 updated, 0 already present, 0 invalid, 0 failed"
    );

    let snap = s.sim.snapshot();
    assert_eq!(snap.contacts.len(), 2, "one contact per person");
    assert_eq!(snap.calls.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_json_mode_prints_one_object_per_record() {
    let s = Setup::new().await;
    let records = s.records(&[
        call("c-1", "+44 7911 123456"),
        call("c-2", "not a phone"),
        call("c-3", "07911123456"),
    ]);
    let run = s.push(&s.manifest, &records, &["--json"]).await;
    assert_eq!(run.code, Some(1), "one record is invalid\n{}", run.stderr);
    let docs: Vec<Value> = run
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    assert_eq!(docs.len(), 4, "{}", run.stdout);

    let results: Vec<(&str, &str)> = docs[..3]
        .iter()
        .map(|d| {
            let last = d["attempts"]
                .as_array()
                .and_then(|a| a.last())
                .expect("attempts");
            (
                d["record_id"].as_str().expect("record_id"),
                last["result"]["result"].as_str().expect("result"),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("c-1", "delivered"),
            ("c-2", "invalid"),
            ("c-3", "delivered")
        ]
    );
    let invalid = &docs[1]["attempts"][0]["result"]["detail"];
    assert_eq!(invalid["stage"], "normalize");
    assert_eq!(invalid["errors"][0]["field"], "phone");
    assert_eq!(
        docs[3],
        json!({"summary": {"created": 2, "updated": 0, "already_present": 0, "invalid": 1, "failed": 0}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_reports_an_unreadable_line_and_keeps_going() {
    let s = Setup::new().await;
    let records = s.records(&[
        call("c-1", "+44 7911 123456"),
        r#"{"id": "c-2", "kind": "call", "fields": {"#.into(),
        call("c-3", "+1 201-555-0123"),
    ]);
    let run = s.push(&s.manifest, &records, &[]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with("✓ c-1 "), "{:?}", lines[0]);
    assert!(
        lines[1].starts_with("✗ line 2: not a record: record: invalid JSON"),
        "{:?}",
        lines[1]
    );
    assert!(lines[2].starts_with("✓ c-3 "), "{:?}", lines[2]);
    assert_eq!(
        lines[3],
        "2 created, 0 updated, 0 already present, 1 invalid, 0 failed"
    );
    assert_eq!(s.sim.snapshot().calls.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_reports_a_line_that_is_not_utf8_and_keeps_going() {
    let s = Setup::new().await;
    let path = s.dir.path().join("records.jsonl");
    let mut bytes = call("c-1", "+44 7911 123456").into_bytes();
    bytes.extend_from_slice(b"\n\n\xff\xfe not text\n");
    bytes.extend_from_slice(call("c-2", "07911 123456").as_bytes());
    std::fs::write(&path, bytes).expect("write records");

    let run = s.push(&s.manifest, &path, &[]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(
        lines[1].starts_with("✗ line 3: not a record: record: not valid UTF-8"),
        "blank line 2 is skipped, line 3 is reported: {:?}",
        lines[1]
    );
    assert!(lines[2].starts_with("✓ c-2 "), "{:?}", lines[2]);
    assert_eq!(s.sim.snapshot().calls.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_refuses_a_bad_manifest_naming_file_and_key() {
    let s = Setup::new().await;
    let bad = s.dir.path().join("bad.toml");
    std::fs::write(&bad, "[limits]\nmemory_mb = 0\n").expect("write manifest");
    let records = s.records(&[call("c-1", "+44 7911 123456")]);

    let run = s.push(&bad, &records, &[]).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing was pushed: {}", run.stdout);
    assert!(
        run.stderr.contains(&bad.display().to_string()),
        "names the file: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(r#"key "limits.memory_mb""#),
        "names the key: {}",
        run.stderr
    );
    assert!(run.stderr.contains("between 1 and 4096"), "{}", run.stderr);
    assert_eq!(s.sim.snapshot().requests, 0);
}

/// The indented entries under a heading line of `inspect` output.
fn section<'a>(stdout: &'a str, heading: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_prints_descriptor_imports_and_exports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wasm = connector_wasm("hubspot").display().to_string();
    let run = switchboard(dir.path(), vec!["inspect".into(), wasm.clone()]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.starts_with("connector     hubspot 0.3.0 (HubSpot)\n"),
        "{out}"
    );
    assert!(out.contains("\nsecrets       hubspot-token\n"), "{out}");
    assert!(
        out.contains("\ncontract      switchboard:connector@0.3.0\n"),
        "{out}"
    );
    assert!(
        out.contains("\nconfig keys   base-url, default-region\n"),
        "{out}"
    );
    assert!(
        section(out, "exports").contains(&"switchboard:connector/guest@0.3.0"),
        "{out}"
    );
    assert!(
        section(out, "imports").contains(&"switchboard:connector/http@0.3.0"),
        "{out}"
    );
    assert!(
        section(out, "imports").contains(&"switchboard:connector/limits@0.3.0"),
        "{out}"
    );
    assert!(
        out.contains("\n  ten-secondly   190 per 10000 ms (rolling); costs: POST /crm/v3/objects/contacts/search* = 0, other = 1\n"),
        "{out}"
    );

    let run = switchboard(dir.path(), vec!["inspect".into(), "--json".into(), wasm]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["descriptor"]["name"], "hubspot");
    assert_eq!(
        doc["compiled_from_cache"], true,
        "second load uses the cache"
    );
    let has = |key: &str, item: &str| {
        doc[key]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == item))
    };
    assert!(has("exports", "switchboard:connector/guest@0.3.0"), "{doc}");
    assert!(has("imports", "switchboard:connector/http@0.3.0"), "{doc}");
    assert_eq!(doc["contract"], "switchboard:connector@0.3.0");
    assert_eq!(doc["contract_deprecated"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_says_when_a_connector_uses_a_deprecated_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wasm = switchboard_tests::guest_wasm("legacy_contacts");
    let run = switchboard(
        dir.path(),
        vec!["inspect".into(), wasm.display().to_string()],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "\ncontract      switchboard:connector@0.2.0 (deprecated: rebuild against switchboard:connector@0.3.0)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        section(&run.stdout, "imports").contains(&"switchboard:connector/state@0.2.0"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_refuses_a_core_module() {
    let dir = tempfile::tempdir().expect("temp dir");
    let core = dir.path().join("core.wasm");
    // The smallest core module: magic and version 1, no sections.
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write module");
    let run = switchboard(
        &dir.path().join("data"),
        vec!["inspect".into(), core.display().to_string()],
    )
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("is a core WebAssembly module, not a component"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("core.wasm"), "{}", run.stderr);
}

#[test]
fn serve_refuses_an_invalid_config_naming_file_key_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("switchboard.toml");
    std::fs::write(
        &config,
        "[storage]\ndir = \"data\"\n[server]\nlisten = \"localhost-ish\"\n[tenants.acme]\ningest_token = { env = \"T\" }\n",
    )
    .unwrap();
    let out = Command::new(switchboard_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("switchboard.toml"), "{stderr}");
    assert!(stderr.contains("key \"server.listen\""), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created for a refused config"
    );
}

#[test]
fn serve_refuses_tokens_that_would_open_each_others_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = guest_wasm("hostile");
    std::fs::write(dir.path().join("m.toml"), "").unwrap();
    let shared = "shared-ingest-token-5e2b";
    std::fs::write(dir.path().join("acme.token"), shared).unwrap();
    std::fs::write(dir.path().join("globex.token"), shared).unwrap();
    let config = dir.path().join("switchboard.toml");
    let write = |admin: &str| {
        std::fs::write(dir.path().join("admin.token"), admin).unwrap();
        std::fs::write(
            &config,
            format!(
                "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n\
                 admin_token = {{ file = \"admin.token\" }}\n\
                 [tenants.acme]\ningest_token = {{ file = \"acme.token\" }}\n\
                 deployments.d = {{ wasm = {wasm:?}, manifest = \"m.toml\" }}\n\
                 [tenants.globex]\ningest_token = {{ file = \"globex.token\" }}\n\
                 deployments.d = {{ wasm = {wasm:?}, manifest = \"m.toml\" }}\n"
            ),
        )
        .unwrap();
    };
    let serve = || {
        let out = Command::new(switchboard_bin())
            .args(["serve", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    write("admin-token-long-enough-1");
    let stderr = serve();
    assert!(
        stderr.contains("switchboard.toml: key \"tenants.globex.ingest_token\": the same token as \"tenants.acme.ingest_token\"")
            && stderr.contains("(line 10, column 16)"),
        "{stderr}"
    );
    assert!(!stderr.contains(shared), "{stderr}");

    write("x");
    let stderr = serve();
    assert!(
        stderr.contains("key \"server.admin_token\": the token has 1 characters"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created for a refused config"
    );
}
