//! disk_move: its arguments (untrusted model output, every error naming its argument),
//! their conversion into a typed request, and its entry in the tool table. A disk goes
//! either to a storage or into another guest, as Proxmox moves it; the policy (which
//! storages, which guests, whether deleting the source needs the user's yes) is the
//! helper's to judge.

use crate::{
    change::operation::{ActionPlan, Operation},
    policy::grants::{grant, granted, granted_in_scope, or_none},
    tools::{
        args::{ArgError, LONG_WAIT_SECS, at, vmid_at, wait_with},
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{DiskMove, DiskSlot, MoveTarget, Operation as Op, StorageId};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskMoveArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    pub disk: String,
    pub storage: Option<String>,
    #[schemars(range(min = 100, max = 999_999_999))]
    pub target_vmid: Option<u64>,
    pub target_disk: Option<String>,
    #[schemars(extend("default" = false))]
    pub delete_source: Option<bool>,
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl DiskMoveArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let delete_source = self.delete_source.unwrap_or(false);
        let to = match (self.storage, self.target_vmid) {
            (Some(storage), None) => {
                if self.target_disk.is_some() {
                    return Err(ArgError(
                        "target_disk goes with target_vmid, not with storage".into(),
                    ));
                }
                MoveTarget::Storage {
                    storage: at("storage", StorageId::parse(&storage))?,
                    delete_source,
                }
            }
            (None, Some(target)) => {
                if delete_source {
                    return Err(ArgError(
                        "delete_source goes with storage: a disk moved into another guest \
                         leaves no source behind"
                            .into(),
                    ));
                }
                MoveTarget::Guest {
                    vmid: vmid_at("target_vmid", target)?,
                    disk: self
                        .target_disk
                        .map(|d| at("target_disk", DiskSlot::parse(&d)))
                        .transpose()?,
                }
            }
            _ => {
                return Err(ArgError(
                    "give storage (another storage of the guest's node) or target_vmid \
                     (another guest), not both"
                        .into(),
                ));
            }
        };
        Ok(ActionPlan {
            request: Operation::DiskMove(DiskMove {
                vmid: vmid_at("vmid", self.vmid)?,
                disk: at("disk", DiskSlot::parse(&self.disk))?,
                to,
                confirmed: false,
            }),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

/// `disk_move` needs its grant and some storage disks may be on.
pub const DISK_MOVE: ToolSpec = ToolSpec {
    name: "disk_move",
    grant: Some(Op::DiskMove),
    listed: |caps| granted_in_scope(caps, Op::DiskMove) && !caps.bounds.storages.is_empty(),
    note: |caps| {
        let delete = match granted(caps, Op::DiskMoveDelete) {
            (false, _) => " delete_source is not allowed.",
            (true, true) => " delete_source asks the user first.",
            (true, false) => "",
        };
        Some(format!(
            "{} Storages: {}.{delete}",
            grant(caps, Op::DiskMove),
            or_none(&caps.bounds.storages)
        ))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn plan(v: Value) -> Result<ActionPlan, ArgError> {
        serde_json::from_value::<DiskMoveArgs>(v)
            .map_err(|e| ArgError(e.to_string()))?
            .into_plan()
    }

    #[test]
    fn a_disk_goes_to_a_storage_or_a_guest() {
        let p = plan(json!({"vmid": 101, "disk": "scsi0", "storage": "nas"})).unwrap();
        assert_eq!(
            p.request.phrase(),
            "move disk scsi0 of guest 101 to storage nas, keeping the source volume as unused"
        );
        assert_eq!(p.wait, Some(std::time::Duration::from_secs(600)));
        let p =
            plan(json!({"vmid": 101, "disk": "scsi0", "storage": "nas", "delete_source": true}))
                .unwrap();
        assert_eq!(p.request.name().as_str(), "disk.move.delete");
        let p = plan(json!({"vmid": 101, "disk": "mp0", "target_vmid": 102, "target_disk": "mp3"}))
            .unwrap();
        assert_eq!(
            p.request.phrase(),
            "move disk mp0 of guest 101 into guest 102 as mp3"
        );
        assert_eq!(p.request.name().as_str(), "disk.move");
        for (args, says) in [
            (json!({"vmid": 101, "disk": "scsi0"}), "not both"),
            (
                json!({"vmid": 101, "disk": "scsi0", "storage": "nas", "target_vmid": 102}),
                "not both",
            ),
            (
                json!({"vmid": 101, "disk": "scsi0", "target_vmid": 102, "delete_source": true}),
                "leaves no source",
            ),
            (
                json!({"vmid": 101, "disk": "scsi0", "storage": "nas", "target_disk": "scsi1"}),
                "target_disk goes",
            ),
            (
                json!({"vmid": 101, "disk": "unused0", "storage": "nas"}),
                "not a disk slot",
            ),
            (
                json!({"vmid": 101, "disk": "scsi0", "storage": "/dev/sdb"}),
                "is invalid",
            ),
            (
                json!({"vmid": 101, "disk": "scsi0", "target_vmid": 7}),
                "target_vmid",
            ),
        ] {
            let e = plan(args).unwrap_err().0;
            assert!(e.contains(says), "{e}");
        }
    }
}
