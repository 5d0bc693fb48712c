//! `switchboard_config::ServeConfig::parse` on arbitrary text, as if read from
//! `switchboard.toml` in a directory that holds the files a realistic config names
//! (`connectors/hubspot.wasm`, `tenants/acme/hubspot.toml`, `secrets/globex-token`), so a
//! valid config loads through to its manifests.
//!
//! Must hold: no panic; an error names a file and renders; an accepted config has at
//! least one tenant, each with at least one deployment, names that match their keys and
//! the naming rule, existing `wasm` and manifest files, `kinds` that are not empty, blank
//! or repeated, and a delivery policy with at least one attempt and a backoff cap no
//! shorter than its base.

#![no_main]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_config::{ServeConfig, is_valid_name};

/// The manifest the fixture's deployments use (as in `host/config/tests/serve_config.rs`).
const MANIFEST: &str = r#"
[connector]
name = "hubspot"

[http]
allowed_hosts = ["https://api.hubapi.com"]

[secrets]
hubspot-token = { file = "hubspot-token.txt" }
"#;

/// The directory the config is read from: made once per process under the temporary
/// directory (`scripts/fuzz.sh` points `TMPDIR` at a scratch directory it removes).
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = std::env::temp_dir().join(format!(
            "switchboard-fuzz-serve-config-{}",
            std::process::id()
        ));
        let write = |path: &str, contents: &[u8]| {
            let path = root.join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("fixture directory");
            }
            std::fs::write(path, contents).expect("fixture file");
        };
        write("connectors/hubspot.wasm", b"\0asm");
        write("tenants/acme/hubspot.toml", MANIFEST.as_bytes());
        write("tenants/acme/hubspot-token.txt", b"token\n");
        write("secrets/globex-token", b"ingest-token\n");
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let origin = fixture().join("switchboard.toml").display().to_string();
    match ServeConfig::parse(text, &origin) {
        Ok(config) => check(&config),
        Err(e) => {
            assert!(!e.file().is_empty(), "{e}");
            assert!(!e.reason().is_empty(), "{e}");
            let _ = e.to_string();
        }
    }
});

fn check(config: &ServeConfig) {
    assert!(!config.tenants.is_empty(), "a config without tenants");
    assert!(config.storage.dir.is_absolute(), "storage.dir not resolved");
    for (key, tenant) in &config.tenants {
        assert_eq!(&tenant.name, key);
        assert!(is_valid_name(key), "tenant name {key:?} accepted");
        assert!(
            !tenant.deployments.is_empty(),
            "tenant {key:?} without deployments"
        );
        for (name, deployment) in &tenant.deployments {
            assert_eq!(&deployment.name, name);
            assert_eq!(&deployment.tenant, key);
            assert!(is_valid_name(name), "deployment name {name:?} accepted");
            assert!(
                deployment.wasm.is_file(),
                "{:?} is not a file",
                deployment.wasm
            );
            assert!(deployment.manifest_path.is_file());
            if let Some(kinds) = &deployment.kinds {
                assert!(!kinds.is_empty(), "empty kinds accepted");
                assert!(kinds.iter().all(|k| !k.trim().is_empty()), "blank kind");
                let unique: BTreeSet<_> = kinds.iter().collect();
                assert_eq!(unique.len(), kinds.len(), "repeated kind accepted");
            }
            let policy = config.delivery_policy(deployment);
            assert!(policy.max_attempts >= 1);
            assert!(policy.backoff_cap >= policy.backoff_base, "{policy:?}");
        }
    }
    assert_eq!(
        config.deployments().count(),
        config
            .tenants
            .values()
            .map(|t| t.deployments.len())
            .sum::<usize>()
    );
}
