//! What the policy calls a change the front asks for: a guest operation a grant allows,
//! or one that another section allows (`[create]`, `[storage] delete`, `[storage]
//! download_from`). Confirmation questions, admin hints and change results name a
//! change by it, in the policy's own spelling.
//!
//! Built from validated tool arguments only; nothing here is untrusted.

use pve_mcp_proto::Operation;
use std::fmt;

/// The policy's name for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyAction {
    /// An operation on an existing guest, granted by `[guests]` or a `[[rule]]`.
    Guest(Operation),
    /// Making a new guest (`[create]`).
    Create,
    /// Deleting an ISO image or a container template (`[storage] delete`).
    StorageDelete,
    /// Downloading an ISO image or a container template (`[storage] download_from`).
    StorageDownload,
}

impl PolicyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest(op) => op.as_str(),
            Self::Create => "create",
            Self::StorageDelete => "storage.delete",
            Self::StorageDownload => "storage.download",
        }
    }
}

impl From<Operation> for PolicyAction {
    fn from(op: Operation) -> Self {
        Self::Guest(op)
    }
}

impl fmt::Display for PolicyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pve_mcp_proto::GuestAction;

    #[test]
    fn spelled_as_the_policy_spells_them() {
        let spelled = [
            (PolicyAction::Create, "create"),
            (PolicyAction::StorageDelete, "storage.delete"),
            (PolicyAction::StorageDownload, "storage.download"),
            (Operation::Power(GuestAction::Stop).into(), "stop"),
            (Operation::SnapshotRollback.into(), "snapshot.rollback"),
            (Operation::ConfigWrite.into(), "config.write"),
        ];
        for (action, name) in spelled {
            assert_eq!(action.as_str(), name);
            assert_eq!(action.to_string(), name);
        }
    }
}
