//! Load-time checks: only components of the `switchboard:connector@0.1.0`
//! world load; anything else is refused with a message saying what is wrong;
//! compiled code is cached on disk so a restart does not recompile.

use std::path::{Path, PathBuf};

use switchboard_runtime::{LoadError, Runtime, RuntimeOptions};
use switchboard_storage::Storage;
use switchboard_tests::{TestHost, guest_wasm, prepare_hog};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

fn wat(text: &str) -> Vec<u8> {
    wat_to_bytes(text)
}

/// Text to binary through wasmtime's own `wat` support.
fn wat_to_bytes(text: &str) -> Vec<u8> {
    // wasmtime accepts text; we need bytes on disk, so parse via the
    // engine-independent `wat` crate re-exported for tests.
    switchboard_tests::wat_bytes(text)
}

async fn load_err(host: &TestHost, path: &Path) -> LoadError {
    match host.runtime.load(path).await {
        Ok(_) => panic!("{} loaded but should have been refused", path.display()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn refuses_a_file_that_is_not_wasm() {
    let host = TestHost::new();
    let p = write(host.dir.path(), "notes.wasm", b"hello, I am a text file");
    let e = load_err(&host, &p).await;
    assert!(matches!(e, LoadError::NotWasm { .. }), "{e}");
    assert!(e.to_string().contains("notes.wasm"), "{e}");
}

#[tokio::test]
async fn refuses_a_core_module_with_a_hint() {
    let host = TestHost::new();
    let p = write(
        host.dir.path(),
        "core.wasm",
        &wat("(module (func (export \"f\")))"),
    );
    let e = load_err(&host, &p).await;
    assert!(matches!(e, LoadError::NotComponent { .. }), "{e}");
    assert!(e.to_string().contains("wasm32-wasip2"), "{e}");
}

#[tokio::test]
async fn refuses_a_component_of_another_world() {
    let host = TestHost::new();
    let p = write(host.dir.path(), "empty.wasm", &wat("(component)"));
    let e = load_err(&host, &p).await;
    assert!(
        matches!(e, LoadError::MissingExport { ref missing, .. } if missing == "switchboard:connector/guest@0.3.0"),
        "{e}"
    );
}

#[tokio::test]
async fn refuses_an_unsupported_contract_version_naming_the_supported_ones() {
    let host = TestHost::new();
    for version in ["0.1.0", "0.4.0"] {
        let component = format!(
            r#"(component
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func $f (canon lift (core func $i "f")))
            (instance $guest (export "describe" (func $f)))
            (export "switchboard:connector/guest@{version}" (instance $guest))
        )"#
        );
        let p = write(
            host.dir.path(),
            &format!("v{version}.wasm"),
            &wat(&component),
        );
        let e = load_err(&host, &p).await;
        let text = e.to_string();
        assert!(matches!(e, LoadError::WrongVersion { .. }), "{text}");
        assert!(
            text.contains(&format!("switchboard:connector@{version}"))
                && text.contains("switchboard:connector@0.3.0 or switchboard:connector@0.2.0"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn refuses_a_component_mixing_two_contract_versions() {
    let host = TestHost::new();
    let component = r#"(component
        (import "switchboard:connector/log@0.2.0" (instance))
        (core module $m (func (export "f")))
        (core instance $i (instantiate $m))
        (func $f (canon lift (core func $i "f")))
        (instance $guest (export "describe" (func $f)))
        (export "switchboard:connector/guest@0.3.0" (instance $guest))
    )"#;
    let p = write(host.dir.path(), "mixed.wasm", &wat(component));
    let e = load_err(&host, &p).await;
    let text = e.to_string();
    assert!(matches!(e, LoadError::WrongVersion { .. }), "{text}");
    assert!(
        text.contains("both switchboard:connector@0.3.0 and switchboard:connector@0.2.0")
            && text.contains("switchboard:connector/log@0.2.0"),
        "{text}"
    );
}

#[tokio::test]
async fn refuses_a_component_with_wrong_export_types() {
    let host = TestHost::new();
    // Right names, wrong signature: describe takes an argument.
    let component = r#"(component
        (core module $m (func (export "f") (param i32)))
        (core instance $i (instantiate $m))
        (func $f (param "x" u32) (canon lift (core func $i "f")))
        (instance $guest (export "describe" (func $f)))
        (export "switchboard:connector/guest@0.3.0" (instance $guest))
        (core module $p (func (export "p")))
        (core instance $pi (instantiate $p))
        (func $prep (canon lift (core func $pi "p")))
        (export "prepare" (func $prep))
    )"#;
    let p = write(host.dir.path(), "wrongtypes.wasm", &wat(component));
    let e = load_err(&host, &p).await;
    assert!(
        matches!(
            e,
            LoadError::WorldMismatch { .. } | LoadError::Prepare { .. }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn refuses_a_missing_file_naming_it() {
    let host = TestHost::new();
    let e = load_err(&host, Path::new("/nonexistent/connector.wasm")).await;
    assert!(matches!(e, LoadError::Read { .. }));
    assert!(e.to_string().contains("/nonexistent/connector.wasm"), "{e}");
}

#[tokio::test]
async fn restart_loads_compiled_code_from_the_cache() {
    let wasm = guest_wasm("hostile");
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let open = || {
        let storage = Storage::open(&dir.path().join("store")).expect("storage");
        Runtime::new(RuntimeOptions::with_cache_dir(&cache), storage).expect("runtime")
    };
    {
        let rt = open();
        let first = rt.load(&wasm).await.expect("first load");
        assert!(!first.from_cache(), "a fresh cache must compile");
    }
    let rt = open();
    let second = rt.load(&wasm).await.expect("second load");
    assert!(second.from_cache(), "a restart must not recompile");
    assert_eq!(second.descriptor().name, "hostile");

    // A corrupt cache entry is discarded and recompiled, never trusted.
    for entry in std::fs::read_dir(&cache).expect("cache dir") {
        std::fs::write(entry.expect("entry").path(), b"garbage").expect("corrupt");
    }
    let third = rt.load(&wasm).await.expect("load after corruption");
    assert!(!third.from_cache());
}

#[tokio::test]
async fn bad_manifest_is_refused_with_file_key_and_reason() {
    let err =
        switchboard_config::DeploymentManifest::parse("[limits]\nmemroy_mb = 3\n", "deploy.toml")
            .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("deploy.toml") && text.contains("memroy_mb"),
        "{text}"
    );
}

#[tokio::test]
async fn deployment_refuses_a_memory_cap_over_the_engine_maximum() {
    let host = TestHost::new();
    let loaded = host.load(&guest_wasm("hostile")).await;
    let manifest = switchboard_config::DeploymentManifest::parse(
        "[limits]\nmemory_mb = 4096\n",
        "deploy.toml",
    )
    .expect("parse");
    let err = match switchboard_runtime::Deployment::new(
        &host.runtime,
        "acme",
        "hostile",
        loaded,
        &manifest,
        "deploy.toml",
    ) {
        Ok(_) => panic!("deployed with a memory cap the engine cannot give"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("deploy.toml") && err.contains("limits.memory_mb"),
        "{err}"
    );
}

#[tokio::test]
async fn a_prepare_may_use_the_whole_documented_load_memory() {
    let host = TestHost::with_own_cache();
    // Past wasmtime's default hostcall fuel of 128 MiB, which used to stop the snapshot.
    let wasm = prepare_hog(host.dir.path(), 200);
    let dep = host
        .deploy("acme", &wasm, "[limits]\nmemory_mb = 256\n")
        .await;
    let mut instance = dep
        .instantiate(switchboard_runtime::WorkUnit {
            record_id: "r1".into(),
            trace_id: "t1".into(),
        })
        .await
        .expect("instantiate from the 200 MiB snapshot");
    let rec =
        switchboard_tests::record(serde_json::json!({"id": "r1", "kind": "echo", "fields": {}}));
    let normalized = instance
        .normalize(&rec)
        .await
        .expect("no fault")
        .expect("normalized");
    let table = normalized.fields.iter().find(|f| f.name == "table");
    assert!(
        format!("{table:?}").contains("table-mib=200 touched=3200"),
        "the table did not survive the snapshot: {table:?}"
    );
}

#[tokio::test]
async fn a_prepare_over_the_load_memory_is_refused_with_the_limit() {
    let host = TestHost::with_own_cache();
    let wasm = prepare_hog(host.dir.path(), 300);
    let text = load_err(&host, &wasm).await.to_string();
    assert!(
        text.contains("prepare-hog-300.wasm") && text.contains("(256 MiB)"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}
