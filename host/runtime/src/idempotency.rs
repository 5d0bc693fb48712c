//! Idempotency keys: one per (tenant, record id, deployment).

use sha2::{Digest, Sha256};

/// The idempotency key for a record delivered by a deployment for a tenant:
/// hex SHA-256 over the three parts, each length-prefixed so that no two
/// different triples can collide by concatenation. `deployment` is the
/// deployment's key identity (see `Deployment::idempotency_key`).
pub fn idempotency_key(tenant: &str, record_id: &str, deployment: &str) -> String {
    let mut h = Sha256::new();
    for part in [tenant, record_id, deployment] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_triple_same_key() {
        assert_eq!(
            idempotency_key("t", "r", "c"),
            idempotency_key("t", "r", "c")
        );
    }

    #[test]
    fn concatenation_does_not_collide() {
        assert_ne!(
            idempotency_key("ab", "c", "d"),
            idempotency_key("a", "bc", "d")
        );
    }
}
