use super::*;
use pve_mcp_proto::{GrantSummary, GuestAction, Operation};

/// The committed list is what the router's tools describe. After changing a tool, its
/// arguments or its answer, write it again with
/// `PVE_MCP_WRITE_TOOLS=1 cargo test -p mcp-front --lib catalog::tests::listed`.
#[test]
fn listed_tools_are_the_routers() {
    let made = text(&describe());
    if std::env::var_os("PVE_MCP_WRITE_TOOLS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/mcp/catalog/tools.json");
        std::fs::write(path, &made).unwrap();
    }
    assert!(
        made == LISTED,
        "src/mcp/catalog/tools.json is not what the router's tools describe: write it again \
         with `PVE_MCP_WRITE_TOOLS=1 cargo test -p mcp-front --lib catalog::tests::listed`"
    );
    // It reads back as it was written.
    assert_eq!(text(&super::listed()), LISTED);
}

/// A session's router generates no schema: its tools have the bare one.
#[test]
fn a_sessions_router_describes_no_schema() {
    for tool in crate::tools::router().list_all() {
        let schemas = [Some(&tool.input_schema), tool.output_schema.as_ref()];
        for schema in schemas.into_iter().flatten() {
            let bare = schema["type"] == "object"
                && schema
                    .get("properties")
                    .is_none_or(|p| p == &serde_json::json!({}))
                && schema
                    .keys()
                    .all(|k| ["$schema", "type", "properties"].contains(&k.as_str()));
            assert!(bare, "{}: {schema:?}", tool.name);
        }
    }
}

#[test]
fn reflow_joins_wrapped_lines_and_keeps_paragraphs() {
    assert_eq!(reflow("a b\nc d\n\ne"), "a b c d\n\ne");
}

/// Tools that only read.
const READ_ONLY: &[&str] = &[
    "list_vms",
    "vm_status",
    "node_status",
    "snapshot_list",
    "my_permissions",
    "guest_config",
    "guest_export",
    "cluster_health",
    "cluster_status",
    "list_storage",
    "storage_content",
    "list_backups",
    "guest_metrics",
    "guest_agent",
    "list_tasks",
    "task_log",
    "task_status",
    "firewall",
    "list_pools",
    "ha_resources",
    "next_vmid",
    "node_networks",
];

/// Tools that change things but lose nothing: they add (a snapshot, a backup, a
/// guest, a file), grow a disk or move a guest.
const ADDITIVE: &[&str] = &[
    "snapshot_create",
    "backup_start",
    "guest_create",
    "guest_clone",
    "disk_resize",
    "guest_migrate",
    "storage_download",
];

#[test]
fn unknown_policy_lists_every_tool_with_flowing_text() {
    let tools = tools(None);
    let names: Vec<_> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "agent_exec",
            "backup_restore",
            "backup_start",
            "cluster_health",
            "cluster_status",
            "disk_move",
            "disk_resize",
            "execute_command",
            "firewall",
            "firewall_edit",
            "guest_agent",
            "guest_clone",
            "guest_config",
            "guest_configure",
            "guest_create",
            "guest_delete",
            "guest_export",
            "guest_metrics",
            "guest_migrate",
            "guest_template",
            "ha_resources",
            "list_backups",
            "list_pools",
            "list_storage",
            "list_tasks",
            "list_vms",
            "my_permissions",
            "next_vmid",
            "node_networks",
            "node_status",
            "proxmox_api",
            "snapshot_create",
            "snapshot_delete",
            "snapshot_list",
            "snapshot_rollback",
            "storage_content",
            "storage_download",
            "task_cancel",
            "task_log",
            "task_status",
            "vm_action",
            "vm_status",
            "volume_delete"
        ]
    );
    for t in &tools {
        let text = serde_json::to_string(t).unwrap();
        assert!(
            !text.contains("\\n"),
            "{}: hard-wrapped text: {text}",
            t.name
        );
        assert!(t.title.is_some(), "{}", t.name);
        assert_eq!(t.input_schema["additionalProperties"], false, "{}", t.name);
        assert!(
            !text.contains("$defs") && !text.contains("$ref"),
            "{}",
            t.name
        );
        let a = t.annotations.as_ref().unwrap();
        // Only a download reaches outside the cluster (the URL's host).
        let open_world = t.name == "storage_download";
        assert_eq!(a.open_world_hint, Some(open_world), "{}", t.name);
        let read_only = READ_ONLY.contains(&t.name.as_ref());
        assert_eq!(a.read_only_hint, Some(read_only), "{}", t.name);
        let destructive = !read_only && !ADDITIVE.contains(&t.name.as_ref());
        assert_eq!(a.destructive_hint, Some(destructive), "{}", t.name);
        assert_eq!(a.idempotent_hint, Some(read_only), "{}", t.name);
        assert_eq!(t.output_schema.as_ref().unwrap()["type"], "object");
    }
}

#[test]
fn tools_the_policy_leaves_nothing_to_do_for_are_hidden() {
    let read_only = Capabilities {
        guests: vec!["tag:mcp".into()],
        node_list: true,
        api: vec!["GET /version".into()],
        ..Capabilities::default()
    };
    let names = |caps: &Capabilities| -> Vec<String> {
        tools(Some(caps))
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect()
    };
    assert_eq!(
        names(&read_only),
        [
            "list_vms",
            "my_permissions",
            "node_status",
            "proxmox_api",
            "task_log",
            "task_status",
            "vm_status"
        ]
    );
    let mut operator = read_only.clone();
    operator.grants.push(GrantSummary {
        rule: "guests".into(),
        guests: vec![],
        operations: vec![
            Operation::Power(GuestAction::Start),
            Operation::Power(GuestAction::Stop),
        ],
        confirm: vec![Operation::Power(GuestAction::Stop)],
    });
    operator.commands = vec!["uptime".into()];
    operator.command_timeout_secs = 900;
    let listed = tools(Some(&operator));
    assert_eq!(listed.len(), 9);
    let command = listed.iter().find(|t| t.name == "execute_command").unwrap();
    let text = command.description.as_deref().unwrap();
    assert!(
        text.ends_with(
            "Allowed (\"*\" is one plain argument): uptime. Each may run for up to 900 s."
        ),
        "{text}"
    );
    let action = listed.iter().find(|t| t.name == "vm_action").unwrap();
    let text = action.description.as_deref().unwrap();
    assert!(
        text.ends_with("Allowed: start, stop. The user confirms first (the call waits): stop."),
        "{text}"
    );
    assert_eq!(names(&Capabilities::default()), ["my_permissions"]);

    let mut snapshots = read_only.clone();
    snapshots.grants.push(GrantSummary {
        rule: "lab".into(),
        guests: vec!["pool:lab".into()],
        operations: vec![Operation::SnapshotList, Operation::SnapshotRollback],
        confirm: vec![Operation::SnapshotRollback],
    });
    let listed = tools(Some(&snapshots));
    let listed_names: Vec<&str> = listed.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        listed_names.contains(&"snapshot_list")
            && listed_names.contains(&"snapshot_rollback")
            && !listed_names.contains(&"snapshot_create")
            && !listed_names.contains(&"snapshot_delete"),
        "{listed_names:?}"
    );
    let rollback = listed
        .iter()
        .find(|t| t.name == "snapshot_rollback")
        .unwrap();
    let text = rollback.description.as_deref().unwrap();
    assert!(
        text.ends_with(
            "Allowed on guests matching pool:lab. The user confirms first (the call waits)."
        ),
        "{text}"
    );
    // Without a scope, a grant leaves nothing to snapshot.
    snapshots.guests.clear();
    assert!(
        names(&snapshots)
            .iter()
            .all(|n| !n.starts_with("snapshot_"))
    );
}

/// A lab policy: guests may be made within [create] and [bounds], changed, and
/// deleted after the user confirms.
fn lab() -> Capabilities {
    Capabilities {
        guests: vec!["100-199".into(), "9000-9099".into()],
        grants: vec![GrantSummary {
            rule: "guests".into(),
            guests: vec![],
            operations: vec![
                Operation::Clone,
                Operation::Template,
                Operation::DiskResize,
                Operation::Migrate,
                Operation::Delete,
                Operation::BackupRestore,
                Operation::ConfigWrite,
            ],
            confirm: vec![Operation::Delete],
        }],
        create: Some(pve_mcp_proto::CreateSummary {
            types: vec!["qemu".into(), "lxc".into()],
            vmids: "9000-9099".into(),
            nodes: vec!["pve1".into()],
            pool: Some("lab".into()),
            tags: vec!["mcp".into()],
        }),
        bounds: pve_mcp_proto::BoundsSummary {
            max_cores: Some(8),
            max_memory_mib: Some(16384),
            max_disk_gib: Some(200),
            storages: vec!["local-lvm".into()],
            bridges: vec!["vmbr0".into()],
            sources: vec!["local:iso/*".into()],
        },
        config_keys: vec!["cores".into(), "memory".into()],
        ..Capabilities::default()
    }
}

fn listed(caps: &Capabilities) -> Vec<Tool> {
    tools(Some(caps))
}

fn description<'a>(tools: &'a [Tool], name: &str) -> &'a str {
    let tool = tools.iter().find(|t| t.name == name);
    tool.and_then(|t| t.description.as_deref())
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

#[test]
fn lifecycle_tools_follow_create_bounds_and_grants() {
    let tools = listed(&lab());
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for name in [
        "guest_create",
        "next_vmid",
        "guest_clone",
        "guest_template",
        "guest_configure",
        "disk_resize",
        "guest_delete",
        "backup_restore",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // Granted, but with no node to migrate to.
    for name in [
        "guest_migrate",
        "volume_delete",
        "storage_download",
        "agent_exec",
    ] {
        assert!(!names.contains(&name), "{name} in {names:?}");
    }
    assert!(
        description(&tools, "guest_create").ends_with(
            "Allowed: qemu, lxc with vmids 9000-9099 on nodes pve1, put \
             in pool lab, tagged mcp. Bounds: at most 8 cores, 16384 MiB memory, 200 GiB per \
             disk; storages local-lvm; bridges vmbr0; made from local:iso/*. Further config \
             keys: cores, memory."
        ),
        "{}",
        description(&tools, "guest_create")
    );
    assert!(
        description(&tools, "guest_delete").ends_with(
            "Allowed on every guest in scope. The user confirms first (the call waits)."
        )
    );
    assert!(description(&tools, "disk_resize").ends_with("Largest disk: 200 GiB."));
    assert!(
        description(&tools, "guest_configure").contains(
            "Allowed on every guest in scope. Keys you may change: cores, memory. Bounds as \
             for guest_create."
        ),
        "{}",
        description(&tools, "guest_configure")
    );
    assert!(
        description(&tools, "guest_clone").contains(
            " New guests and bounds as for guest_create, but the source must already be \
             tagged mcp (the new guest keeps its tags)."
        ),
        "{}",
        description(&tools, "guest_clone")
    );
    assert!(description(&tools, "next_vmid").ends_with("New guests take vmids 9000-9099."));

    let mut moving = lab();
    moving.migrate_nodes = vec!["pve2".into()];
    let tools = listed(&moving);
    assert!(description(&tools, "guest_migrate").ends_with("Target nodes: pve2."));

    // Without [create], nothing new can be made, but a backup can still replace a guest.
    let mut fixed = lab();
    fixed.create = None;
    let names: Vec<String> = listed(&fixed).into_iter().map(|t| t.name.into()).collect();
    for name in ["guest_create", "next_vmid", "guest_clone"] {
        assert!(!names.contains(&name.to_owned()), "{name}");
    }
    assert!(names.contains(&"backup_restore".to_owned()));

    // Configuration keys without a grant of config.write leave nothing to change (they
    // may still serve guest_create's config), and a grant without keys neither.
    let keys_only = Capabilities {
        guests: vec!["100-199".into()],
        config_keys: vec!["description".into()],
        ..Capabilities::default()
    };
    assert!(
        listed(&keys_only)
            .iter()
            .all(|t| t.name != "guest_configure")
    );
    let mut grant_only = lab();
    grant_only.config_keys.clear();
    assert!(
        listed(&grant_only)
            .iter()
            .all(|t| t.name != "guest_configure")
    );
}

#[test]
fn storage_task_and_agent_changes_follow_their_sections() {
    let media = Capabilities {
        media_storages: vec!["local".into()],
        media_delete: true,
        download_from: vec!["https://cdimage.debian.org/".into()],
        ..Capabilities::default()
    };
    let tools = listed(&media);
    assert_eq!(
        description(&tools, "volume_delete").rsplit("\n\n").next(),
        Some("Allowed: ISO images and container templates on storages local.")
    );
    assert!(
        description(&tools, "storage_download").ends_with(
            "Allowed: URLs starting with https://cdimage.debian.org/; to storages local."
        )
    );

    let mut ops = lab();
    ops.grants[0].operations = vec![
        Operation::BackupDelete,
        Operation::TaskCancel,
        Operation::AgentExec,
    ];
    ops.grants[0].confirm = vec![Operation::BackupDelete];
    let names: Vec<String> = listed(&ops).into_iter().map(|t| t.name.into()).collect();
    assert!(names.contains(&"volume_delete".to_owned()));
    assert!(names.contains(&"task_cancel".to_owned()));
    assert!(
        !names.contains(&"agent_exec".to_owned()),
        "no programs allowed"
    );
    assert!(!names.contains(&"storage_download".to_owned()));
    let tools = listed(&ops);
    assert!(
        description(&tools, "volume_delete")
            .ends_with("Allowed: backups of every guest in scope (the user confirms first).")
    );
    ops.agent_exec = vec!["systemctl is-active *".into()];
    let tools = listed(&ops);
    assert!(description(&tools, "agent_exec").ends_with(
        "Allowed on every guest in scope. Programs (\"*\" is one plain argument): \
         systemctl is-active *."
    ));
    ops.agent_timeout_secs = 600;
    let tools = listed(&ops);
    assert!(
        description(&tools, "agent_exec")
            .ends_with("systemctl is-active *. Each may run for up to 600 s.")
    );
}

/// The tools to list under `caps` read as values, annotated, as `tools_json` must
/// write them.
fn by_values(caps: Option<&Capabilities>) -> Vec<Tool> {
    let Some(caps) = caps else {
        return super::listed();
    };
    super::listed()
        .into_iter()
        .filter(|t| tools::spec(&t.name).is_some_and(|s| s.is_listed(caps)))
        .map(|mut tool| {
            if let Some(note) = tools::spec(&tool.name).and_then(|s| s.note(caps)) {
                let description = tool.description.take().unwrap_or_default();
                tool.description = Some(Cow::Owned(format!("{description}\n\n{note}")));
            }
            tool
        })
        .collect()
}

#[test]
fn the_listed_text_is_the_tools_as_values_would_be_written() {
    let mut noted = lab();
    noted.commands = vec!["uptime".into(), "df -h \"/\"\n*".into()];
    noted.command_timeout_secs = 60;
    let policies = [
        None,
        Some(Capabilities::default()),
        Some(lab()),
        Some(noted),
    ];
    let mut notes = 0;
    for caps in &policies {
        let json = tools_json(caps.as_ref());
        let values = by_values(caps.as_ref());
        let written: Vec<String> = values
            .iter()
            .map(|t| serde_json::to_string(t).unwrap())
            .collect();
        assert_eq!(json, written.join(","));
        assert!(!json.contains('\n'), "one line: {json}");
        notes += values
            .iter()
            .filter(|t| !LISTED.contains(&serde_json::to_string(t).unwrap()))
            .count();
    }
    assert!(notes >= 10, "notes were written: {notes}");
}

#[test]
fn a_note_goes_into_the_tools_own_description() {
    let line = r#"{"name":"t","title":"say \"description\":","description":"a \"b\"\n","inputSchema":{"description":"x"}}"#;
    assert_eq!(
        with_note(line, "n \"o\"").unwrap(),
        r#"{"name":"t","title":"say \"description\":","description":"a \"b\"\n\n\nn \"o\"","inputSchema":{"description":"x"}}"#
    );
    // Without a description of its own, nothing is taken for one.
    assert_eq!(
        with_note(r#"{"name":"t","inputSchema":{"description":"x"}}"#, "n"),
        None
    );
}
