use super::*;
use pve_mcp_proto::{GrantSummary, GuestAction, Operation};

#[test]
fn instructions_say_what_the_policy_allows_in_a_few_lines() {
    let caps = Capabilities {
        guests: vec!["100-149".into(), "pool:lab".into()],
        guests_except: vec!["120".into()],
        grants: vec![GrantSummary {
            rule: "guests".into(),
            guests: vec![],
            operations: vec![
                Operation::Power(GuestAction::Start),
                Operation::Power(GuestAction::Shutdown),
                Operation::Power(GuestAction::Stop),
            ],
            confirm: vec![Operation::Power(GuestAction::Stop)],
        }],
        api: (0..20).map(|i| format!("GET /p{i}")).collect(),
        node_list: true,
        node_detail: false,
        storage_all: false,
        storage_node: false,
        storage_content: false,
        cluster_status: false,
        ha_status: false,
        backup_storages: vec![],
        task_list: false,
        node_tasks: false,
        commands: vec!["uptime".into()],
        limits: String::new(),
        ..Capabilities::default()
    };
    let text = instructions(Some(&caps));
    assert!(text.contains("(100-149, pool:lab except 120)"), "{text}");
    assert!(
        text.contains("- start, stop, shutdown them with vm_action (stop after the user confirms)"),
        "{text}"
    );
    assert!(text.contains("GET /p11 and 8 more"), "{text}");
    assert!(text.contains("execute_command: uptime"), "{text}");
    assert!(text.contains("\"Denied:\""), "{text}");
    assert!(text.lines().count() <= 8, "{text}");
    let none = instructions(Some(&Capabilities::default()));
    assert!(none.contains("see no guests"), "{none}");
    let unknown = instructions(None);
    assert!(unknown.contains("description of each tool"), "{unknown}");
}

#[test]
fn instructions_name_the_lifecycle_tools_the_policy_allows() {
    let caps = Capabilities {
        guests: vec!["9000-9099".into()],
        grants: vec![GrantSummary {
            rule: "lab".into(),
            guests: vec!["pool:lab".into()],
            operations: vec![
                Operation::Delete,
                Operation::Migrate,
                Operation::ConfigWrite,
            ],
            confirm: vec![Operation::Delete],
        }],
        create: Some(pve_mcp_proto::CreateSummary {
            types: vec!["qemu".into()],
            vmids: "9000-9099".into(),
            nodes: vec!["pve1".into(), "pve2".into()],
            pool: None,
            tags: vec![],
        }),
        config_keys: vec!["cores".into()],
        download_from: vec!["https://cloud.debian.org/".into()],
        media_storages: vec!["local".into()],
        media_delete: true,
        pools: true,
        ..Capabilities::default()
    };
    let text = instructions(Some(&caps));
    for want in [
        "- create guests with guest_create: qemu with vmids 9000-9099 on nodes pve1, pve2 \
         (next_vmid gives a free vmid)\n",
        "- use guest_configure on guests matching pool:lab; guest_delete on guests matching \
         pool:lab (after the user confirms)\n",
        "- change the configuration keys cores with guest_configure\n",
        "- download ISO images and templates with storage_download, delete them with \
         volume_delete\n",
        "- read resource pools with list_pools\n",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    // Granted, but no node to migrate to: not offered.
    assert!(!text.contains("guest_migrate"), "{text}");
}
