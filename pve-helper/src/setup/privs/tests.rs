//! Unit tests of the privilege mapping: what each kind of policy needs, by name.

use super::*;
use crate::pve::release::Release;
use std::path::Path;

fn req(text: &str) -> Requirements {
    req_on(text, Release::Pve9)
}

fn req_on(text: &str, release: Release) -> Requirements {
    let (p, _) = Policy::parse(text, Path::new("p.toml")).unwrap();
    required_privileges(&p, release)
}

/// PVE 9 dropped VM.Monitor: the guest agent needs VM.GuestAgent.Audit to be asked,
/// VM.GuestAgent.Unrestricted to run programs; PVE 8 checks VM.Monitor for both.
#[test]
fn guest_agent_privileges_follow_the_release() {
    let text = concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\n",
        "actions = [\"agent.read\", \"agent.exec\"]\n[agent]\nexec = [[\"uname\"]]\n"
    );
    assert_eq!(
        req_on(text, Release::Pve8).names(),
        ["VM.Audit", "VM.Monitor"]
    );
    assert_eq!(
        req_on(text, Release::Pve9).names(),
        [
            "VM.Audit",
            "VM.GuestAgent.Audit",
            "VM.GuestAgent.Unrestricted"
        ]
    );
}

#[test]
fn shipped_policy_needs_audit_only() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/policy.toml"
    ));
    assert_eq!(req(text).names(), ["Sys.Audit", "VM.Audit"]);
    assert!(req(text).unmapped.is_empty());
}

#[test]
fn actions_and_api_rules_map() {
    let r = req(concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\nactions = [\"start\"]\n",
        "[api]\nallow = [\"GET /version\", \"GET /nodes/*/storage/**\", ",
        "\"POST /nodes/*/qemu/*/snapshot\", \"PUT /nodes/*/qemu/*/config\"]\n"
    ));
    assert_eq!(
        r.names(),
        ["Datastore.Audit", "VM.Audit", "VM.PowerMgmt", "VM.Snapshot"]
    );
    assert_eq!(r.unmapped.len(), 1, "{:?}", r.unmapped);
    assert!(r.unmapped[0].contains("PUT /nodes/*/qemu/*/config"));
    let why = &r.privileges["VM.Snapshot"];
    assert!(
        why.contains("[api] \"POST /nodes/*/qemu/*/snapshot\""),
        "{why:?}"
    );
}

#[test]
fn rules_map_snapshot_operations() {
    let r = req(concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"pool:lab\"]\n",
        "[[rule]]\nname = \"snap\"\nguests = [\"pool:lab&type:lxc\"]\n",
        "actions = [\"snapshot.list\", \"snapshot.create\", \"snapshot.rollback\"]\n",
        "confirm = [\"snapshot.rollback\"]\n"
    ));
    assert_eq!(
        r.names(),
        ["VM.Audit", "VM.Snapshot", "VM.Snapshot.Rollback"]
    );
    assert!(r.privileges["VM.Snapshot.Rollback"].contains("snapshot rollback (snapshot.rollback)"));
}

#[test]
fn backups_need_vm_backup_and_space_on_the_storage() {
    let text = concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\n",
        "actions = [\"backup.create\", \"backup.list\"]\n",
        "[backup]\nstorages = [\"nas\"]\n"
    );
    assert_eq!(
        req(text).names(),
        [
            "Datastore.AllocateSpace",
            "Datastore.Audit",
            "VM.Audit",
            "VM.Backup"
        ]
    );
    let (_, warnings) = Policy::parse(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"*\"]\nactions = [\"backup.create\"]\n",
        Path::new("p.toml"),
    )
    .unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("[backup] storages is empty")),
        "{warnings:?}"
    );
    let bad = Policy::parse(
        "[clients]\nusers = [\"u\"]\n[backup]\nstorages = [\"nas\", \"no/pe\", \"nas\"]\n",
        Path::new("p.toml"),
    );
    let Err(crate::policy::PolicyError::Invalid(errors)) = bad else {
        panic!("accepted a bad storage list")
    };
    let errors: Vec<_> = errors
        .iter()
        .filter(|d| d.severity == crate::policy::Severity::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[1].message.contains("duplicate storage nas"),
        "{errors:?}"
    );
}

#[test]
fn empty_policy_needs_nothing() {
    assert_eq!(req("[clients]\nusers = [\"u\"]\n"), Requirements::default());
}

#[test]
fn a_wide_read_rule_needs_every_audit_privilege() {
    let r = req("[clients]\nusers = [\"u\"]\n[api]\nallow = [\"GET /**\"]\n");
    assert_eq!(
        r.names(),
        [
            "Datastore.Audit",
            "Pool.Audit",
            "Sys.Audit",
            "Sys.Syslog",
            "VM.Audit"
        ]
    );
}

#[test]
fn listing_updates_needs_sys_modify_only_when_the_rule_names_it() {
    let r = req("[clients]\nusers = [\"u\"]\n[api]\nallow = [\"GET /nodes/*/apt/update\"]\n");
    assert_eq!(r.names(), ["Sys.Modify"]);
    let r = req("[clients]\nusers = [\"u\"]\n[api]\nallow = [\"GET /nodes/**\"]\n");
    assert!(!r.names().contains(&"Sys.Modify"), "{:?}", r.names());
    assert!(
        r.unmapped
            .iter()
            .any(|u| u.contains("apt/update") && u.contains("Sys.Modify")),
        "{:?}",
        r.unmapped
    );
}

#[test]
fn every_sample_is_a_valid_path() {
    for (_, sample, _) in API_SAMPLES {
        assert!(ApiPath::parse(sample).is_ok(), "{sample}");
    }
}

#[test]
fn lifecycle_grants_map_to_exactly_what_they_need() {
    let r = req(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/examples/lab-builder.toml"
    )));
    assert_eq!(
        r.names(),
        [
            "Datastore.Allocate",
            "Datastore.AllocateSpace",
            "Datastore.AllocateTemplate",
            "Datastore.Audit",
            "Pool.Audit",
            "SDN.Use",
            "Sys.Audit",
            "Sys.Modify",
            "VM.Allocate",
            "VM.Audit",
            "VM.Backup",
            "VM.Clone",
            "VM.Config.CDROM",
            "VM.Config.CPU",
            "VM.Config.Cloudinit",
            "VM.Config.Disk",
            "VM.Config.HWType",
            "VM.Config.Memory",
            "VM.Config.Network",
            "VM.Config.Options",
            "VM.Migrate",
            "VM.PowerMgmt",
            "VM.Snapshot",
            "VM.Snapshot.Rollback",
        ]
    );
    assert!(r.unmapped.is_empty(), "{:?}", r.unmapped);
    assert!(
        r.privileges["VM.Clone"]
            .iter()
            .any(|w| w.contains("(clone)"))
    );
    assert!(
        r.privileges["VM.Migrate"]
            .iter()
            .any(|w| w.contains("(migrate)"))
    );
    // Only the config keys a policy lists bring their VM.Config.* privilege.
    let r = req(concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"pool:lab\"]\n",
        "actions = [\"config.write\"]\n[config]\nkeys = [\"memory\", \"net*\"]\n",
        "[bounds]\nmax_memory_mib = 4096\nbridges = [\"vmbr1\"]\n"
    ));
    assert_eq!(
        r.names(),
        [
            "SDN.Use",
            "VM.Audit",
            "VM.Config.Memory",
            "VM.Config.Network"
        ]
    );
}

#[test]
fn new_guests_need_what_proxmox_checks_for_their_settings() {
    let base = concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"pool:lab\"]\n",
        "[bounds]\nmax_cores = 4\nmax_memory_mib = 4096\nmax_disk_gib = 32\n",
        "storages = [\"local-lvm\"]\nbridges = [\"vmbr1\"]\n",
        "sources = [\"local:iso/*\", \"local:vztmpl/*\"]\n",
        "[create]\nvmids = \"9000-9099\"\nnodes = [\"pve1\"]\npool = \"lab\"\n",
    );
    // Every VM is created with scsihw, which Proxmox checks as VM.Config.HWType.
    let vms = req(&format!("{base}types = [\"qemu\"]\n"));
    assert!(vms.privileges.contains_key("VM.Config.HWType"), "{vms:?}");
    assert!(!vms.privileges.contains_key("VM.Config.Disk"), "{vms:?}");
    let cts = req(&format!("{base}types = [\"lxc\"]\n"));
    assert!(!cts.privileges.contains_key("VM.Config.HWType"), "{cts:?}");
    assert!(cts.privileges.contains_key("VM.Config.Disk"), "{cts:?}");
    // Keys given to guest_create need their privileges even without config.write.
    let keys = req(&format!(
        "[config]\nkeys = [\"vga\", \"hostname\", \"vmgenid\"]\n{base}types = [\"qemu\"]\n"
    ));
    assert!(
        keys.privileges["VM.Config.HWType"]
            .iter()
            .any(|w| w.contains("\"vga\"")),
        "{keys:?}"
    );
    assert!(
        keys.privileges["VM.Config.Network"]
            .iter()
            .any(|w| w.contains("\"hostname\"")),
        "{keys:?}"
    );
    assert_eq!(keys.unmapped.len(), 1, "{:?}", keys.unmapped);
    assert!(
        keys.unmapped[0].contains("only root@pam"),
        "{:?}",
        keys.unmapped
    );
}

/// `node_networks` is granted by the API read it makes; setup gives the role what
/// reading a node's network configuration asks for, on both releases.
#[test]
fn node_networks_needs_sys_audit() {
    let text = concat!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\n",
        "[api]\nallow = [\"GET /nodes/*/network\"]\n"
    );
    for release in [Release::Pve8, Release::Pve9] {
        let r = req_on(text, release);
        assert!(r.names().contains(&"Sys.Audit"), "{:?}", r.names());
        assert!(r.unmapped.is_empty(), "{:?}", r.unmapped);
    }
}

#[test]
fn the_token_holds_what_every_clients_policy_needs() {
    let policy = |text: &str| Policy::parse(text, Path::new("p.toml")).unwrap().0;
    let lab = policy(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\nactions = [\"snapshot.create\"]\n",
    );
    let ci = policy(
        "[clients]\nusers = [\"ci\"]\n[guests]\nallow = [\"200-299\"]\nactions = [\"start\"]\n",
    );
    let all = required_by_all([&lab, &ci], Release::Pve9);
    assert_eq!(all.names(), ["VM.Audit", "VM.PowerMgmt", "VM.Snapshot"]);
    assert!(
        all.privileges["VM.Audit"].len() == 1,
        "one reason, said once"
    );
    assert_eq!(
        required_by_all([&lab], Release::Pve9),
        required_privileges(&lab, Release::Pve9)
    );
}
