//! Secrets read from environment variables.
//!
//! One test only: it changes the process environment, which must not race with other
//! threads reading it, so it lives alone in its own test binary.

use switchboard_config::{DeploymentManifest, SecretError};

#[test]
fn env_secrets_resolve_and_errors_name_the_variable_but_never_a_value() {
    let missing = "SWITCHBOARD_CONFIG_TEST_MISSING_TOKEN";
    let empty = "SWITCHBOARD_CONFIG_TEST_EMPTY_TOKEN";
    let present = "SWITCHBOARD_CONFIG_TEST_PRESENT_TOKEN";
    // SAFETY: this is the only test in this binary, so no other thread reads the
    // environment while it is changed.
    unsafe {
        std::env::remove_var(missing);
        std::env::set_var(empty, "");
        std::env::set_var(present, "super-secret-value");
    }
    let text = format!(
        "[secrets]\nmissing = {{ env = {missing:?} }}\nempty = {{ env = {empty:?} }}\npresent = {{ env = {present:?} }}\n"
    );
    let m = DeploymentManifest::parse(&text, "d.toml").unwrap();

    // A set variable resolves to its value.
    assert_eq!(m.resolve_secret("present").unwrap(), "super-secret-value");

    // An unset variable: the error names the secret and the variable.
    let err = m.resolve_secret("missing").unwrap_err();
    assert_eq!(
        err,
        SecretError::EnvNotSet {
            secret: "missing".into(),
            var: missing.into()
        }
    );
    assert_eq!(err.secret(), "missing");
    assert_eq!(
        err.to_string(),
        format!("secret \"missing\": environment variable {missing:?} is not set")
    );

    // An empty variable is refused too.
    let err = m.resolve_secret("empty").unwrap_err();
    assert!(matches!(err, SecretError::Empty { .. }), "{err}");
    assert!(err.to_string().contains(empty), "{err}");

    // The value appears in no error and not in the manifest's Debug output.
    for name in ["missing", "empty"] {
        let err = m.resolve_secret(name).unwrap_err();
        assert!(!err.to_string().contains("super-secret-value"));
        assert!(!format!("{err:?}").contains("super-secret-value"));
    }
    let debug = format!("{m:?}");
    assert!(!debug.contains("super-secret-value"));
    assert!(debug.contains(present));
}
