//! The rustls client configuration: ring provider, webpki roots, HTTP/1.1
//! ALPN, and the phase-marking session store (see [`crate::phases`]).

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::{ClientConfig, RootCertStore};

use crate::error::BuildError;
use crate::phases::PhaseMarkingStore;

/// Servers whose TLS session data is remembered, as in rustls' default.
const SESSION_CACHE_SIZE: usize = 256;

/// Builds the TLS configuration every connection of one client uses.
pub(crate) fn client_config() -> Result<ClientConfig, BuildError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| BuildError::Client(format!("tls protocol versions: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = Resumption::store(Arc::new(PhaseMarkingStore::new(SESSION_CACHE_SIZE)));
    Ok(config)
}
