//! `switchboard.toml` ingest tokens read from environment variables.
//!
//! One test only: it changes the process environment, which must not race with other
//! threads reading it, so it lives alone in its own test binary.

use switchboard_config::{SecretError, ServeConfig};

#[test]
fn env_ingest_token_resolves_and_is_never_shown() {
    let set = "SWITCHBOARD_CONFIG_TEST_INGEST_TOKEN";
    let unset = "SWITCHBOARD_CONFIG_TEST_INGEST_TOKEN_UNSET";
    let value = "ingest-secret-from-env";
    // SAFETY: this is the only test in this binary, so no other thread reads the
    // environment while it is changed.
    unsafe {
        std::env::set_var(set, value);
        std::env::remove_var(unset);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.path().join("m.toml"), "").unwrap();
    let text = format!(
        "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n\
         [tenants.acme]\ningest_token = {{ env = {set:?} }}\n\
         deployments.hubspot = {{ wasm = \"c.wasm\", manifest = \"m.toml\" }}\n\
         [tenants.other]\ningest_token = {{ env = {unset:?} }}\n\
         deployments.hubspot = {{ wasm = \"c.wasm\", manifest = \"m.toml\" }}\n"
    );
    let origin = dir.path().join("switchboard.toml").display().to_string();
    let c = ServeConfig::parse(&text, &origin).unwrap();

    let acme = c.tenant("acme").unwrap();
    assert_eq!(acme.resolve_ingest_token().unwrap(), value);

    let err = c
        .tenant("other")
        .unwrap()
        .resolve_ingest_token()
        .unwrap_err();
    assert_eq!(
        err,
        SecretError::EnvNotSet {
            secret: "tenants.other.ingest_token".into(),
            var: unset.into(),
        }
    );
    assert_eq!(
        err.to_string(),
        format!("secret \"tenants.other.ingest_token\": environment variable {unset:?} is not set")
    );

    // The value is in no Debug output: the config holds only the variable's name.
    for debug in [format!("{c:?}"), format!("{acme:?}"), format!("{err:?}")] {
        assert!(!debug.contains(value), "{debug}");
    }
    assert!(format!("{acme:?}").contains(set));
}
