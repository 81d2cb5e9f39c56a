use super::*;
use crate::{helper_client::HelperClient, tools::PveMcp};
use pve_mcp_proto::GrantSummary;
use std::time::Duration;

fn all() -> Vec<Tool> {
    PveMcp::new(
        HelperClient::new("/nonexistent", Duration::from_secs(1)),
        Duration::ZERO,
    )
    .tool_router
    .list_all()
}

#[test]
fn reflow_joins_wrapped_lines_and_keeps_paragraphs() {
    assert_eq!(reflow("a b\nc d\n\ne"), "a b c d\n\ne");
}

#[test]
fn unknown_policy_lists_every_tool_with_flowing_text() {
    let tools = tools(all(), None);
    let names: Vec<_> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "backup_start",
            "cluster_status",
            "execute_command",
            "firewall",
            "guest_agent",
            "guest_config",
            "guest_metrics",
            "ha_resources",
            "list_backups",
            "list_pools",
            "list_storage",
            "list_tasks",
            "list_vms",
            "my_permissions",
            "next_vmid",
            "node_status",
            "proxmox_api",
            "snapshot_create",
            "snapshot_delete",
            "snapshot_list",
            "snapshot_rollback",
            "storage_content",
            "task_log",
            "task_status",
            "vm_action",
            "vm_status"
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
        let a = t.annotations.as_ref().unwrap();
        assert_eq!(a.open_world_hint, Some(false));
        let read_only = matches!(
            t.name.as_ref(),
            "list_vms"
                | "vm_status"
                | "node_status"
                | "snapshot_list"
                | "my_permissions"
                | "guest_config"
                | "cluster_status"
                | "list_storage"
                | "storage_content"
                | "list_backups"
                | "guest_metrics"
                | "guest_agent"
                | "list_tasks"
                | "task_log"
                | "task_status"
                | "firewall"
                | "list_pools"
                | "ha_resources"
                | "next_vmid"
        );
        assert_eq!(a.read_only_hint, Some(read_only), "{}", t.name);
        // Taking a snapshot or a backup changes things but loses nothing.
        let destructive = !read_only && t.name != "snapshot_create" && t.name != "backup_start";
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
        tools(all(), Some(caps))
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
        operations: vec!["start".into(), "stop".into()],
        confirm: vec!["stop".into()],
    });
    operator.commands = vec!["uptime".into()];
    let listed = tools(all(), Some(&operator));
    assert_eq!(listed.len(), 9);
    let action = listed.iter().find(|t| t.name == "vm_action").unwrap();
    let text = action.description.as_deref().unwrap();
    assert!(
        text.ends_with(
            "Allowed by the current policy: start, stop. The user is asked to confirm first \
             (the call waits for the answer): stop."
        ),
        "{text}"
    );
    assert_eq!(names(&Capabilities::default()), ["my_permissions"]);

    let mut snapshots = read_only.clone();
    snapshots.grants.push(GrantSummary {
        rule: "lab".into(),
        guests: vec!["pool:lab".into()],
        operations: vec!["snapshot.list".into(), "snapshot.rollback".into()],
        confirm: vec!["snapshot.rollback".into()],
    });
    let listed = tools(all(), Some(&snapshots));
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
            "Allowed by the current policy on guests matching pool:lab. The user is asked to \
             confirm first (the call waits for the answer)."
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
