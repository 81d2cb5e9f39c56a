//! Which Proxmox VE release a cluster runs, read from `GET /version` (or `pveversion`
//! on the node), for what differs between the releases pve-mcp supports: the guest
//! agent's privileges (PVE 9 dropped `VM.Monitor` for `VM.GuestAgent.*`) and HA groups,
//! which PVE 9 migrated to HA rules.

use std::fmt;

/// A supported Proxmox VE release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Release {
    Pve8,
    Pve9,
}

impl Release {
    /// From a version such as `8.4.1` or `9.0.3` (its major number); a release newer
    /// than 9 is taken as 9, an older one than 8 is not supported.
    pub fn from_version(version: &str) -> Option<Self> {
        let major: u32 = version.split('.').next()?.trim().parse().ok()?;
        match major {
            8 => Some(Self::Pve8),
            m if m >= 9 => Some(Self::Pve9),
            _ => None,
        }
    }

    /// From `pveversion`'s first line: `pve-manager/9.0.10/0123abcd (running kernel: ...)`.
    pub fn from_pveversion(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("pve-manager/")?;
        Self::from_version(rest.split('/').next()?)
    }

    /// What Proxmox checks for the guest agent's read-only commands (ping, OS info,
    /// network interfaces).
    pub fn agent_read_privilege(self) -> &'static str {
        match self {
            Self::Pve8 => "VM.Monitor",
            Self::Pve9 => "VM.GuestAgent.Audit",
        }
    }

    /// What Proxmox checks for running programs through the guest agent.
    pub fn agent_exec_privilege(self) -> &'static str {
        match self {
            Self::Pve8 => "VM.Monitor",
            Self::Pve9 => "VM.GuestAgent.Unrestricted",
        }
    }

    /// HA groups became node-affinity rules in PVE 9 (`/cluster/ha/rules`); its
    /// `/cluster/ha/groups` answers 500.
    pub fn has_ha_rules(self) -> bool {
        self == Self::Pve9
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pve8 => "Proxmox VE 8",
            Self::Pve9 => "Proxmox VE 9",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read() {
        assert_eq!(Release::from_version("8.4.1"), Some(Release::Pve8));
        assert_eq!(Release::from_version("9.0.3"), Some(Release::Pve9));
        assert_eq!(Release::from_version("10.1"), Some(Release::Pve9));
        assert_eq!(Release::from_version("7.4-3"), None);
        assert_eq!(Release::from_version("x"), None);
        assert_eq!(
            Release::from_pveversion("pve-manager/9.0.10/0123abcd (running kernel: 6.14.8-2-pve)"),
            Some(Release::Pve9)
        );
        assert_eq!(
            Release::from_pveversion("pve-manager/8.4.1/2a5fa54a8503f96d"),
            Some(Release::Pve8)
        );
        assert_eq!(Release::from_pveversion("proxmox-ve: 9.0.0"), None);
        assert_eq!(
            Release::Pve9.agent_exec_privilege(),
            "VM.GuestAgent.Unrestricted"
        );
    }
}
