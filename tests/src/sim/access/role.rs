//! The token's role as `PVE::RPCEnvironment` checks it (`check`, `check_any`,
//! `check_vm_perm`), and the ACL paths of guests and storages: the vocabulary every
//! privilege check of [`super`] speaks.

use std::collections::BTreeSet;

use crate::sim::errors::ApiError;

/// The token's privileges, checked as `PVE::RPCEnvironment` does.
#[derive(Debug, Clone, Copy)]
pub struct Role<'a>(pub &'a BTreeSet<String>);

impl Role<'_> {
    /// Whether the role holds `privilege`.
    pub fn has(&self, privilege: &str) -> bool {
        self.0.contains(privilege)
    }

    /// `$rpcenv->check($user, $path, $privs)`: every one; names the first missing.
    pub fn check(&self, path: &str, privs: &[&str]) -> Result<(), ApiError> {
        match privs.iter().find(|p| !self.has(p)) {
            Some(p) => Err(ApiError::permission(path, p)),
            None => Ok(()),
        }
    }

    /// `check_any`: one of them; names them all.
    pub fn check_any(&self, path: &str, privs: &[&str]) -> Result<(), ApiError> {
        if privs.iter().any(|p| self.has(p)) {
            return Ok(());
        }
        Err(ApiError::permission(path, &privs.join("|")))
    }

    /// `check_vm_perm`: every one, on the guest (or its pool); names them all.
    pub fn check_vm(&self, vmid: &str, privs: &[&str]) -> Result<(), ApiError> {
        if privs.iter().all(|p| self.has(p)) {
            return Ok(());
        }
        Err(ApiError::permission(&vms(vmid), &privs.join("|")))
    }

    /// `check_vm_perm` with `any`.
    pub fn check_vm_any(&self, vmid: &str, privs: &[&str]) -> Result<(), ApiError> {
        if privs.iter().any(|p| self.has(p)) {
            return Ok(());
        }
        Err(ApiError::permission(&vms(vmid), &privs.join("|")))
    }
}

pub fn vms(vmid: &str) -> String {
    format!("/vms/{vmid}")
}

pub fn storage_path(volid: &str) -> String {
    format!("/storage/{}", volid.split(':').next().unwrap_or_default())
}
