//! Which Proxmox VE release the simulator answers as, and what differs between the two
//! it models: the published API schema it judges requests by (`api/pve-8.json.gz`,
//! `api/pve-9.json.gz`), `GET /version`, the kernel a node reports, the privilege names
//! `pveum` and the ACL accept (pve-access-control 8.2 and 9.x: PVE 9 dropped
//! `VM.Monitor` for `VM.GuestAgent.*` and added `VM.Replicate`), the `PVE::JSONSchema`
//! wording that changed (pve-common 8.3 and 9.x), and HA groups, which PVE 9 migrates
//! to rules. Trusted: a test or the command line picks the release.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Proxmox VE release the simulator can answer as.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum PveVersion {
    /// Proxmox VE 8.4 (pve-manager 8.4.1, libpve-common-perl 8.3.1,
    /// libpve-access-control 8.2.2).
    #[default]
    Pve8,
    /// Proxmox VE 9.2 (pve-manager 9.2.11, libpve-common-perl 9.2.1,
    /// libpve-access-control 9.1.1), whose API viewer `api/pve-9.json.gz` was taken from.
    Pve9,
}

/// Privileges both releases know (`$privgroups` and `Permissions.Modify`).
const COMMON_PRIVILEGES: [&str; 37] = [
    "VM.Config.Disk",
    "VM.Config.CPU",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.HWType",
    "VM.Config.Options",
    "VM.Allocate",
    "VM.Clone",
    "VM.Migrate",
    "VM.Snapshot",
    "VM.Snapshot.Rollback",
    "VM.Config.CDROM",
    "VM.Config.Cloudinit",
    "VM.Console",
    "VM.Backup",
    "VM.PowerMgmt",
    "VM.Audit",
    "Sys.PowerMgmt",
    "Sys.Modify",
    "Sys.Incoming",
    "Sys.AccessNetwork",
    "Sys.Console",
    "Sys.Syslog",
    "Sys.Audit",
    "Datastore.Allocate",
    "Datastore.AllocateTemplate",
    "Datastore.AllocateSpace",
    "Datastore.Audit",
    "SDN.Allocate",
    "SDN.Audit",
    "SDN.Use",
    "Realm.Allocate",
    "User.Modify",
    "Group.Allocate",
    "Realm.AllocateUser",
    "Pool.Allocate",
    "Pool.Audit",
];

/// Privileges of one release only.
const PVE8_ONLY: [&str; 1] = ["VM.Monitor"];
const PVE9_ONLY: [&str; 6] = [
    "VM.GuestAgent.Audit",
    "VM.GuestAgent.Unrestricted",
    "VM.GuestAgent.FileRead",
    "VM.GuestAgent.FileWrite",
    "VM.GuestAgent.FileSystemMgmt",
    "VM.Replicate",
];
const MAPPING_PRIVILEGES: [&str; 4] = [
    "Mapping.Modify",
    "Mapping.Use",
    "Mapping.Audit",
    "Permissions.Modify",
];

impl PveVersion {
    /// From a major version number (`8` or `9`).
    pub fn from_major(major: u32) -> Option<PveVersion> {
        match major {
            8 => Some(PveVersion::Pve8),
            9 => Some(PveVersion::Pve9),
            _ => None,
        }
    }

    pub fn major(self) -> u32 {
        match self {
            PveVersion::Pve8 => 8,
            PveVersion::Pve9 => 9,
        }
    }

    /// pve-manager's package version (`GET /version`'s `version`).
    pub fn version(self) -> &'static str {
        match self {
            PveVersion::Pve8 => "8.4.1",
            PveVersion::Pve9 => "9.2.11",
        }
    }

    /// The point release, `x.y` (`GET /version`'s `release`).
    pub fn release(self) -> &'static str {
        match self {
            PveVersion::Pve8 => "8.4",
            PveVersion::Pve9 => "9.2",
        }
    }

    /// The 16-digit git revision pve-manager was built from (its `bump version` commit).
    pub fn repoid(self) -> &'static str {
        match self {
            PveVersion::Pve8 => "2a5fa54a8503f96d",
            PveVersion::Pve9 => "f6997e698c7933ea",
        }
    }

    /// The running kernel's release and version, as a node's status reports them.
    pub fn kernel(self) -> (&'static str, &'static str) {
        match self {
            PveVersion::Pve8 => (
                "6.8.12-9-pve",
                "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)",
            ),
            PveVersion::Pve9 => (
                "6.17.13-2-pve",
                "#1 SMP PREEMPT_DYNAMIC PMX 6.17.13-2 (2026-07-21T09:12Z)",
            ),
        }
    }

    /// Whether `name` is a privilege this release knows (`verify_privname`).
    pub fn is_privilege(self, name: &str) -> bool {
        let own: &[&str] = match self {
            PveVersion::Pve8 => &PVE8_ONLY,
            PveVersion::Pve9 => &PVE9_ONLY,
        };
        COMMON_PRIVILEGES.contains(&name)
            || MAPPING_PRIVILEGES.contains(&name)
            || own.contains(&name)
    }

    /// Every privilege this release knows, sorted.
    pub fn privileges(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            PveVersion::Pve8 => &PVE8_ONLY,
            PveVersion::Pve9 => &PVE9_ONLY,
        };
        let mut all: Vec<&'static str> = COMMON_PRIVILEGES
            .iter()
            .chain(MAPPING_PRIVILEGES.iter())
            .chain(own.iter())
            .copied()
            .collect();
        all.sort_unstable();
        all
    }

    /// Checks a role's privileges as `pveum role add` does: the first unknown one is
    /// refused with `invalid privilege 'NAME'`.
    pub fn check_privileges<S: AsRef<str>>(self, privileges: &[S]) -> Result<(), String> {
        match privileges.iter().find(|p| !self.is_privilege(p.as_ref())) {
            Some(p) => Err(format!("invalid privilege '{}'", p.as_ref())),
            None => Ok(()),
        }
    }

    /// What the agent's `exec` and `exec-status` need (their schema's `permissions`).
    pub fn agent_exec_privilege(self) -> &'static str {
        match self {
            PveVersion::Pve8 => "VM.Monitor",
            PveVersion::Pve9 => "VM.GuestAgent.Unrestricted",
        }
    }

    /// Whether HA groups were migrated to node-affinity rules (`/cluster/ha/rules`).
    pub fn has_ha_rules(self) -> bool {
        self == PveVersion::Pve9
    }
}

impl fmt::Display for PveVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxmox VE {}", self.version())
    }
}

impl PveVersion {
    /// The release a simulator plays unless its test picks one: `PVE_MCP_SIM_PVE`
    /// (`8` or `9`) when set, so a suite can be run against either, else PVE 8.
    ///
    /// # Panics
    /// When `PVE_MCP_SIM_PVE` names no release the simulator plays.
    pub fn from_env() -> PveVersion {
        match std::env::var("PVE_MCP_SIM_PVE") {
            Ok(v) => v.parse().unwrap_or_else(|e| panic!("PVE_MCP_SIM_PVE: {e}")),
            Err(_) => PveVersion::default(),
        }
    }
}

impl std::str::FromStr for PveVersion {
    type Err = String;

    /// `8`, `9`, `8.4`, `9.2.11`: the major number decides.
    fn from_str(s: &str) -> Result<PveVersion, String> {
        let major = s.split('.').next().and_then(|m| m.trim().parse().ok());
        major
            .and_then(PveVersion::from_major)
            .ok_or_else(|| format!("unsupported Proxmox VE version '{s}' (8 or 9)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_follow_the_release() {
        assert!(PveVersion::Pve8.is_privilege("VM.Monitor"));
        assert!(!PveVersion::Pve9.is_privilege("VM.Monitor"));
        assert!(PveVersion::Pve9.is_privilege("VM.GuestAgent.Audit"));
        assert!(!PveVersion::Pve8.is_privilege("VM.GuestAgent.Unrestricted"));
        assert_eq!(
            PveVersion::Pve9.check_privileges(&["VM.Audit", "VM.Monitor"]),
            Err("invalid privilege 'VM.Monitor'".into())
        );
        assert_eq!(PveVersion::Pve8.privileges().len(), 42);
        assert_eq!(PveVersion::Pve9.privileges().len(), 47);
        assert_eq!("9.2.11".parse(), Ok(PveVersion::Pve9));
        assert!("7".parse::<PveVersion>().is_err());
    }
}
