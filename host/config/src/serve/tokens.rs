//! The access tokens of `serve`, read from their sources and checked together: each at
//! least [`MIN_TOKEN_CHARS`] long, and no two the same, so a token opens exactly the one
//! set of endpoints it is for (one tenant's ingest, or the admin API).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::ServeConfig;
use crate::error::ManifestError;
use crate::secrets::SecretSource;
use crate::toml_de::key_location;

/// The shortest token accepted, in characters: 16 random characters from a base64 or hex
/// generator (e.g. `openssl rand -hex 32`) are beyond guessing.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The file the tokens' keys are written in, to locate them in errors (only then: a file
/// with a thousand tenants is not searched a thousand times when all is well).
#[derive(Clone, Default)]
pub(crate) struct TokenSites {
    /// The config file, as named in errors.
    pub(crate) origin: String,
    /// Its text.
    pub(crate) text: Arc<str>,
}

/// Where a configuration was written is not part of what it says: two configs that differ
/// only in layout or comments are equal.
impl PartialEq for TokenSites {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for TokenSites {}

impl fmt::Debug for TokenSites {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TokenSites({:?}, {} bytes)",
            self.origin,
            self.text.len()
        )
    }
}

/// The tokens requests are checked against. Its `Debug` output shows no value.
pub struct AccessTokens {
    admin: Option<String>,
    ingest: BTreeMap<String, String>,
}

impl AccessTokens {
    /// The admin token, if one is configured.
    pub fn admin(&self) -> Option<&str> {
        self.admin.as_deref()
    }

    /// The ingest token of `tenant`.
    pub fn ingest(&self, tenant: &str) -> Option<&str> {
        self.ingest.get(tenant).map(String::as_str)
    }
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokens")
            .field("admin", &self.admin.as_ref().map(|_| "<redacted>"))
            .field("ingest", &self.ingest.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ServeConfig {
    /// Reads `server.admin_token` and every tenant's `ingest_token` and checks them
    /// together. Errors name the file and the key (with its line and column), never a
    /// value: a token that cannot be read, one shorter than [`MIN_TOKEN_CHARS`], or one
    /// equal to a token read before it (the admin token first, then tenants by name).
    pub fn resolve_tokens(&self) -> Result<AccessTokens, ManifestError> {
        let mut read: Vec<(String, String)> = Vec::new();
        let admin = match &self.server.admin_token {
            Some(source) => Some(self.read_token(source, "server.admin_token", &read)?),
            None => None,
        };
        if let Some(admin) = &admin {
            read.push(("server.admin_token".to_owned(), admin.clone()));
        }
        let mut ingest = BTreeMap::new();
        for (name, tenant) in &self.tenants {
            let key = format!("tenants.{name}.ingest_token");
            let token = self.read_token(&tenant.ingest_token, &key, &read)?;
            read.push((key, token.clone()));
            ingest.insert(name.clone(), token);
        }
        Ok(AccessTokens { admin, ingest })
    }

    /// Reads the token at `key` and checks it against the rules and the tokens `read`.
    fn read_token(
        &self,
        source: &SecretSource,
        key: &str,
        read: &[(String, String)],
    ) -> Result<String, ManifestError> {
        let sites = &self.token_sites;
        let error = |reason: String| {
            let path: Vec<&str> = key.split('.').collect();
            ManifestError::at_key(&sites.origin, key, reason)
                .with_location(key_location(&sites.text, &path))
        };
        let token = source.resolve(key).map_err(|e| error(e.to_string()))?;
        let chars = token.chars().count();
        if chars < MIN_TOKEN_CHARS {
            return Err(error(format!(
                "the token has {chars} characters; at least {MIN_TOKEN_CHARS} are required \
                 (generate one, e.g. with `openssl rand -hex 32`)"
            )));
        }
        if let Some((other, _)) = read.iter().find(|(_, t)| *t == token) {
            return Err(error(format!(
                "the same token as {other:?}; every tenant and the admin API need a token of \
                 their own, or one opens the other's endpoints"
            )));
        }
        Ok(token)
    }
}
