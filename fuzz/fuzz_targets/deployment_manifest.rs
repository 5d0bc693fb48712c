//! `switchboard_config::DeploymentManifest::parse` on arbitrary text.
//!
//! Must hold: no panic; an error names the file it was given and renders; an accepted
//! manifest keeps the cross-key rules the loader promises (wall timeout at least the time
//! budget, breaker max cooldown at least the cooldown, valid config and secret names, each
//! secret's hosts inside the allowlist) and parses the same way twice.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_config::{DeploymentManifest, is_valid_name};

/// The origin the text is parsed as; a relative name, so no secret path is resolved
/// against a real directory.
const ORIGIN: &str = "deploy.toml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match DeploymentManifest::parse(text, ORIGIN) {
        Ok(manifest) => {
            assert!(manifest.limits.wall_timeout_ms >= manifest.limits.time_budget_ms);
            assert!(manifest.breaker.max_cooldown_ms >= manifest.breaker.cooldown_ms);
            for key in manifest.config.keys() {
                assert!(is_valid_name(key), "config key {key:?} accepted");
            }
            for name in manifest.secrets.keys() {
                assert!(is_valid_name(name), "secret name {name:?} accepted");
                for host in manifest.secret_hosts(name) {
                    assert!(
                        manifest.http.allowed_hosts.contains(&host),
                        "secret {name:?} may go to {host:?}, outside the allowlist"
                    );
                }
            }
            let again = DeploymentManifest::parse(text, ORIGIN).expect("parsed once, not twice");
            assert_eq!(again, manifest, "the same text parsed differently");
        }
        Err(e) => {
            assert_eq!(e.file(), ORIGIN, "{e}");
            assert!(!e.reason().is_empty(), "{e}");
            if let Some(line) = e.line() {
                assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "{e}");
            }
            let _ = e.to_string();
        }
    }
});
