//! Who data belongs to, and how that becomes a key prefix.

/// The owner of a piece of state or a job: one connector deployment of one tenant.
///
/// Every key stored for a scope starts with a length-prefixed encoding of both names
/// (see the crate docs), so scopes never see each other's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The tenant.
    pub tenant: String,
    /// The deployment within the tenant, as the operator named it (never the name a
    /// connector gives itself).
    pub deployment: String,
}

impl Scope {
    /// A scope for `deployment` of `tenant`.
    pub fn new(tenant: impl Into<String>, deployment: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            deployment: deployment.into(),
        }
    }

    /// The key prefix of this scope: `len(tenant) tenant len(deployment) deployment`, lengths
    /// as 8-byte big-endian integers.
    ///
    /// Length-prefixing makes the encoding prefix-free: `("a/b", "c")` and `("a", "b/c")`
    /// (or `("ab", "")` and `("a", "b")`) give different prefixes, and no scope's prefix is
    /// a prefix of another scope's key.
    pub(crate) fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.tenant.len() + self.deployment.len());
        for part in [&self.tenant, &self.deployment] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn prefixes_differ_when_separator_moves_between_fields() {
        let pairs = [
            (Scope::new("a/b", "c"), Scope::new("a", "b/c")),
            (Scope::new("ab", ""), Scope::new("a", "b")),
            (Scope::new("", "ab"), Scope::new("a", "b")),
        ];
        for (x, y) in pairs {
            assert_ne!(x.prefix(), y.prefix(), "{x:?} vs {y:?}");
            assert!(!x.prefix().starts_with(&y.prefix()), "{x:?} vs {y:?}");
            assert!(!y.prefix().starts_with(&x.prefix()), "{x:?} vs {y:?}");
        }
    }
}
