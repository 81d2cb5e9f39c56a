use super::*;

#[test]
fn renders_every_part_of_the_policy() {
    let mut p = MyPermissions {
        guests: vec!["100-149".into()],
        guests_except: vec!["120".into()],
        grants: vec![Grant {
            rule: "lab".into(),
            guests: vec!["pool:lab".into()],
            operations: vec!["stop".into(), "snapshot.rollback".into()],
            confirm: vec!["stop".into()],
        }],
        api: vec!["GET /version".into()],
        node_list: true,
        node_detail: false,
        storage_all: false,
        storage_node: false,
        storage_content: false,
        cluster_status: false,
        ha_status: false,
        backup_storages: vec![],
        task_list: false,
        node_tasks: true,
        commands: vec![],
        command_timeout_secs: 0,
        limits: "600 requests per minute".into(),
        create: Some(CreateRules {
            types: vec!["qemu".into()],
            vmids: "9000-9099".into(),
            nodes: vec!["pve1".into()],
            pool: Some("lab".into()),
            tags: vec!["mcp".into()],
        }),
        bounds: Bounds {
            max_cores: Some(8),
            max_disk_gib: Some(200),
            storages: vec!["local-lvm".into()],
            ..Bounds::default()
        },
        config_keys: vec!["cores".into(), "memory".into()],
        migrate_nodes: vec![],
        media_storages: vec!["local".into()],
        download_from: vec!["https://releases.example.org/".into()],
        media_delete: false,
        agent_exec: vec![],
        agent_timeout_secs: 0,
        firewall_cluster: true,
        firewall_node: false,
        firewall_rules: vec!["directions: in".into(), "dports: 443".into()],
        pools: true,
        ha_resources: false,
        health: Vec::new(),
        plans_only: false,
        tools: vec!["list_vms".into(), "my_permissions".into()],
    };
    let text = render(&p);
    for want in [
        "Guest firewall rules (firewall_edit) within [firewall]: directions: in; dports: 443.",
        "Guests in scope: 100-149 except 120 (any other",
        "Operations (rule \"lab\"): stop, snapshot.rollback on guests matching pool:lab; \
         the user confirms stop\n",
        "Node status: all nodes (not one node in depth).",
        "Raw API (proxmox_api): GET /version.",
        "Commands (execute_command): none.",
        "Limits: 600 requests per minute.",
        "New guests (guest_create): qemu with vmids 9000-9099 on nodes pve1, in pool lab, \
         tagged mcp.\n",
        "Bounds of new and changed guests: at most 8 cores, 200 GiB per disk; storages \
         local-lvm.\n",
        "Configuration keys (guest_configure): cores, memory.\n",
        "ISO images and templates on storages local: downloads (storage_download) from \
         https://releases.example.org/; deleting them (volume_delete) not allowed.\n",
        "Also readable: the cluster's firewall (firewall), resource pools (list_pools).\n",
        "Tools that work here: list_vms, my_permissions.",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    assert!(!text.contains("Each command may run"), "{text}");
    p.commands = vec!["uptime".into()];
    p.command_timeout_secs = 600;
    let text = render(&p);
    assert!(
        text.contains(
            "Commands (execute_command): uptime.\nEach command may run for up to 600 s; it is \
             killed at its time limit.\n"
        ),
        "{text}"
    );
}
