//! The one-time move of state and jobs from connector-named scopes to deployment scopes.
//!
//! Before this version a deployment's state and job queue were scoped by the name its
//! connector gave itself in `describe`, so two deployments of one tenant claiming the same
//! name shared (and could forge) each other's state. They are now scoped by the name the
//! operator gave the deployment. [`Storage::migrate_scopes`] runs once per database, the
//! first time a host of this version opens it with its deployments known:
//!
//! - Where a deployment is named after the connector name it claims, its new scope *is* the
//!   old one: nothing moves, and no other deployment of the tenant gets a copy.
//! - Otherwise each deployment claiming a name gets a copy of that name's old state and
//!   jobs if its own scope is still empty, and its idempotency keys keep being computed
//!   from the old name (the *key identity*), so a record delivered before the upgrade and
//!   retried after it still lands once.
//! - The old entries stay where they are (a rollback still finds them); nothing reads them.
//!
//! After the first run a marker in the `meta` tree makes every later call a no-op, so a
//! deployment added later never inherits another's data.

use std::collections::BTreeMap;

use sled::Tree;

use crate::error::StorageError;
use crate::scope::Scope;
use crate::storage::Storage;

/// Marker key in the `meta` tree: set once scopes are keyed by deployment.
const SCOPES_BY_DEPLOYMENT: &[u8] = b"scopes-by-deployment";
/// Key prefix in the `meta` tree for a deployment's pinned key identity.
const KEY_IDENTITY: &[u8] = b"key-identity/";
/// Key prefix in the `meta` tree for a copy in progress (removed when it is complete).
const COPYING: &[u8] = b"copying/";

/// A deployment as the host is about to run it, with the name its connector claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyClaim {
    /// The tenant.
    pub tenant: String,
    /// The operator's name for the deployment.
    pub deployment: String,
    /// The name the connector gives itself in `describe` (the old scope).
    pub claimed_name: String,
}

/// A deployment that received a copy of an old scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The tenant.
    pub tenant: String,
    /// The deployment that received the copy.
    pub deployment: String,
    /// The connector name whose old scope was copied.
    pub from: String,
    /// Entries copied (state values, counts, jobs and job index rows).
    pub entries: u64,
}

impl Storage {
    /// Moves old connector-named scopes to the deployments in `claims`, once per database
    /// (see the module docs). Returns what was copied; empty on every run after the first.
    pub fn migrate_scopes(&self, claims: &[LegacyClaim]) -> Result<Vec<Adopted>, StorageError> {
        if self.cell.get()?.meta.contains_key(SCOPES_BY_DEPLOYMENT)? {
            return Ok(Vec::new());
        }
        let mut groups: BTreeMap<(&str, &str), Vec<&LegacyClaim>> = BTreeMap::new();
        for c in claims {
            groups
                .entry((c.tenant.as_str(), c.claimed_name.as_str()))
                .or_default()
                .push(c);
        }
        let mut adopted = Vec::new();
        for ((tenant, name), group) in groups {
            if group.iter().any(|c| c.deployment == name) {
                continue;
            }
            let from = Scope::new(tenant, name);
            if self.scope_is_empty(&from)? {
                continue;
            }
            for c in group {
                let to = Scope::new(tenant, c.deployment.as_str());
                // A copy cut short by a crash left its marker: copy again over it.
                let copying = marker_key(COPYING, &to);
                if !self.scope_is_empty(&to)? && !self.cell.get()?.meta.contains_key(&copying)? {
                    continue;
                }
                self.cell.get()?.meta.insert(&copying, name.as_bytes())?;
                self.cell.get()?.db.flush()?;
                let entries = self.copy_scope(&from, &to)?;
                self.cell
                    .get()?
                    .meta
                    .insert(marker_key(KEY_IDENTITY, &to), name.as_bytes())?;
                self.cell.get()?.db.flush()?;
                self.cell.get()?.meta.remove(&copying)?;
                adopted.push(Adopted {
                    tenant: tenant.to_owned(),
                    deployment: c.deployment.clone(),
                    from: name.to_owned(),
                    entries,
                });
            }
        }
        self.cell
            .get()?
            .meta
            .insert(SCOPES_BY_DEPLOYMENT, &[1u8][..])?;
        self.cell.get()?.db.flush()?;
        Ok(adopted)
    }

    /// Whether [`Storage::migrate_scopes`] still has work to do here: it has not run, and
    /// the store holds state or jobs (a fresh store has nothing to move).
    pub fn scopes_pending_migration(&self) -> Result<bool, StorageError> {
        if self.cell.get()?.meta.contains_key(SCOPES_BY_DEPLOYMENT)? {
            return Ok(false);
        }
        for tree in self.scope_trees()? {
            if !tree.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The name idempotency keys of `deployment` are computed from: the connector name it
    /// adopted in the migration, else the deployment's own name.
    pub fn key_identity(&self, tenant: &str, deployment: &str) -> Result<String, StorageError> {
        let key = marker_key(KEY_IDENTITY, &Scope::new(tenant, deployment));
        Ok(match self.cell.get()?.meta.get(key)? {
            Some(name) => String::from_utf8_lossy(&name).into_owned(),
            None => deployment.to_owned(),
        })
    }

    fn scope_trees(&self) -> Result<[Tree; 4], StorageError> {
        let db = self.cell.get()?;
        Ok([
            db.state.clone(),
            db.state_counts.clone(),
            db.jobs.clone(),
            db.job_ids.clone(),
        ])
    }

    fn scope_is_empty(&self, scope: &Scope) -> Result<bool, StorageError> {
        let prefix = scope.prefix();
        for tree in self.scope_trees()? {
            if tree.scan_prefix(&prefix).next().transpose()?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Copies every entry of `from` in the scoped trees to the same key under `to`.
    fn copy_scope(&self, from: &Scope, to: &Scope) -> Result<u64, StorageError> {
        let (old, new) = (from.prefix(), to.prefix());
        let mut copied = 0;
        for tree in self.scope_trees()? {
            let mut batch = sled::Batch::default();
            for entry in tree.scan_prefix(&old) {
                let (key, value) = entry?;
                let mut moved = new.clone();
                moved.extend_from_slice(&key[old.len()..]);
                batch.insert(moved, value);
                copied += 1;
            }
            tree.apply_batch(batch)?;
        }
        Ok(copied)
    }
}

fn marker_key(kind: &[u8], scope: &Scope) -> Vec<u8> {
    let mut key = kind.to_vec();
    key.extend_from_slice(&scope.prefix());
    key
}
