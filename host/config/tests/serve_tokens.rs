//! `ServeConfig::resolve_tokens`: tokens are long enough and each opens only its own
//! endpoints; errors name the file, the key and its line, never a value.

use switchboard_config::{MIN_TOKEN_CHARS, ServeConfig};
use tempfile::TempDir;

const ADMIN: &str = "admin-7f3a9c1e5b2d8a40";
const ACME: &str = "acme-1b9e4d7c2a6f3e85";
const GLOBEX: &str = "globex-5d2c8e1a7b4f9c36";

/// A config with an admin token and tenants `acme` and `globex`, each token read from a
/// file holding the given value.
fn config(admin: &str, acme: &str, globex: &str) -> (TempDir, ServeConfig) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("c.wasm"), b"\0asm").unwrap();
    std::fs::write(root.join("m.toml"), "").unwrap();
    for (file, value) in [("admin", admin), ("acme", acme), ("globex", globex)] {
        std::fs::write(root.join(file), format!("{value}\n")).unwrap();
    }
    let text = "[storage]\ndir = \"data\"\n\
                [server]\nlisten = \"127.0.0.1:0\"\nadmin_token = { file = \"admin\" }\n\
                [tenants.acme]\ningest_token = { file = \"acme\" }\n\
                deployments.hubspot = { wasm = \"c.wasm\", manifest = \"m.toml\" }\n\
                [tenants.globex]\ningest_token = { file = \"globex\" }\n\
                deployments.hubspot = { wasm = \"c.wasm\", manifest = \"m.toml\" }\n";
    let origin = root.join("switchboard.toml").display().to_string();
    let config = ServeConfig::parse(text, &origin).unwrap();
    (dir, config)
}

/// The error `resolve_tokens` gives, checked to name the file and `key` at `line` and to
/// hold none of `values`.
fn refused(config: &ServeConfig, key: &str, line: usize, values: &[&str]) -> String {
    let err = config.resolve_tokens().unwrap_err();
    assert!(err.file().ends_with("switchboard.toml"), "{err}");
    assert_eq!(err.key(), Some(key), "{err}");
    assert_eq!(err.line(), Some(line), "{err}");
    let text = err.to_string();
    for v in values {
        assert!(!text.contains(v), "the error shows a token: {text}");
    }
    err.reason().to_owned()
}

#[test]
fn distinct_long_tokens_are_accepted() {
    let (_dir, c) = config(ADMIN, ACME, GLOBEX);
    let tokens = c.resolve_tokens().unwrap();
    assert_eq!(tokens.admin(), Some(ADMIN));
    assert_eq!(tokens.ingest("acme"), Some(ACME));
    assert_eq!(tokens.ingest("globex"), Some(GLOBEX));
    let debug = format!("{tokens:?}");
    for v in [ADMIN, ACME, GLOBEX] {
        assert!(!debug.contains(v), "{debug}");
    }
}

#[test]
fn two_tenants_with_one_token_are_refused() {
    let (_dir, c) = config(ADMIN, ACME, ACME);
    let reason = refused(&c, "tenants.globex.ingest_token", 10, &[ACME]);
    assert!(reason.contains("\"tenants.acme.ingest_token\""), "{reason}");
}

#[test]
fn an_admin_token_that_is_also_an_ingest_token_is_refused() {
    let (_dir, c) = config(GLOBEX, ACME, GLOBEX);
    let reason = refused(&c, "tenants.globex.ingest_token", 10, &[GLOBEX]);
    assert!(reason.contains("\"server.admin_token\""), "{reason}");
}

#[test]
fn short_tokens_are_refused() {
    let (_dir, c) = config("x", ACME, GLOBEX);
    let reason = refused(&c, "server.admin_token", 5, &[]);
    assert!(
        reason.contains("1 characters") && reason.contains(&MIN_TOKEN_CHARS.to_string()),
        "{reason}"
    );
    let short = "acme-token-12345";
    assert_eq!(short.len(), MIN_TOKEN_CHARS);
    let (_dir, c) = config(ADMIN, &short[1..], GLOBEX);
    refused(&c, "tenants.acme.ingest_token", 7, &[&short[1..]]);
    let (_dir, c) = config(ADMIN, short, GLOBEX);
    c.resolve_tokens().unwrap();
}

#[test]
fn an_unreadable_token_names_its_key() {
    let (dir, c) = config(ADMIN, ACME, GLOBEX);
    std::fs::remove_file(dir.path().join("globex")).unwrap();
    let reason = refused(&c, "tenants.globex.ingest_token", 10, &[]);
    assert!(reason.contains("cannot read file"), "{reason}");
}
