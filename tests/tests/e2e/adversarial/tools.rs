//! Every reading tool, called as a curious model would, with every filter that could
//! let an out-of-scope guest through (its tags, its name, its node, its state): each
//! answer must come, and hold nothing out of scope, nor a cloud-init password hash.

use super::case::{Class, Expect};
use super::runner::Runner;
use super::world::{CAREFUL_VM, LAB_CT, LAB_VM};
use serde_json::{Value, json};

const NODES: [&str; 3] = ["pve1", "pve2", "pve3"];
const STORAGES: [&str; 3] = ["local", "local-lvm", "nas"];

pub async fn run(r: &mut Runner) {
    use Expect::{Answer, RefusedOrClean};
    let mut cases: Vec<(String, &str, Value, Expect)> = Vec::new();
    let mut add = |name: String, tool, args, expect| cases.push((name, tool, args, expect));
    add("list_vms".into(), "list_vms", json!({}), Answer);
    add(
        "list_vms, 1000 a page".into(),
        "list_vms",
        json!({"limit": 1000}),
        Answer,
    );
    for tag in ["careful", "scratch", "mcp", "web", "MCP", "Careful"] {
        add(
            format!("list_vms tag {tag}"),
            "list_vms",
            json!({"tag": tag}),
            Answer,
        );
    }
    for name in ["hidden", "lab-web", "db", "-"] {
        add(
            format!("list_vms name {name}"),
            "list_vms",
            json!({"name": name}),
            Answer,
        );
    }
    for node in NODES {
        add(
            format!("list_vms node {node}"),
            "list_vms",
            json!({"node": node}),
            Answer,
        );
    }
    for (k, v) in [
        ("type", "lxc"),
        ("type", "qemu"),
        ("status", "running"),
        ("status", "stopped"),
    ] {
        add(
            format!("list_vms {k} {v}"),
            "list_vms",
            json!({k: v}),
            Answer,
        );
    }
    add(
        "list_vms past the end".into(),
        "list_vms",
        json!({"offset": 5, "limit": 2}),
        Answer,
    );
    add("my_permissions".into(), "my_permissions", json!({}), Answer);
    add("next_vmid".into(), "next_vmid", json!({}), Answer);
    add("list_pools".into(), "list_pools", json!({}), Answer);
    add(
        "list_pools lab".into(),
        "list_pools",
        json!({"pool": "lab"}),
        Answer,
    );
    for pool in ["prod", "ci", "nosuchpool"] {
        add(
            format!("list_pools {pool}"),
            "list_pools",
            json!({"pool": pool}),
            RefusedOrClean,
        );
    }
    add("ha_resources".into(), "ha_resources", json!({}), Answer);
    for node in NODES {
        add(
            format!("node_networks {node}"),
            "node_networks",
            json!({"node": node}),
            Answer,
        );
    }
    add(
        "node_networks bridges".into(),
        "node_networks",
        json!({"node": NODES[0], "type": "any_bridge"}),
        Answer,
    );
    add("list_storage".into(), "list_storage", json!({}), Answer);
    for node in NODES {
        add(
            format!("list_storage {node}"),
            "list_storage",
            json!({"node": node}),
            Answer,
        );
        for storage in STORAGES {
            let args = json!({"node": node, "storage": storage});
            add(
                format!("storage_content {node} {storage}"),
                "storage_content",
                args,
                Answer,
            );
        }
        for content in ["backup", "images", "rootdir"] {
            let args = json!({"node": node, "storage": "nas", "content": content});
            add(
                format!("storage_content {node} nas {content}"),
                "storage_content",
                args,
                Answer,
            );
            let args = json!({"node": node, "storage": "local-lvm", "content": content});
            add(
                format!("storage_content {node} local-lvm {content}"),
                "storage_content",
                args,
                RefusedOrClean,
            );
        }
    }
    for vmid in [LAB_VM, LAB_CT, CAREFUL_VM] {
        for tool in [
            "vm_status",
            "guest_config",
            "snapshot_list",
            "list_backups",
            "guest_metrics",
        ] {
            add(
                format!("{tool} {vmid}"),
                tool,
                json!({"vmid": vmid}),
                Answer,
            );
        }
        add(
            format!("firewall {vmid}"),
            "firewall",
            json!({"vmid": vmid}),
            Answer,
        );
        add(
            format!("list_tasks vmid {vmid}"),
            "list_tasks",
            json!({"vmid": vmid}),
            Answer,
        );
    }
    add("cluster_status".into(), "cluster_status", json!({}), Answer);
    add("node_status".into(), "node_status", json!({}), Answer);
    add(
        "firewall of the cluster".into(),
        "firewall",
        json!({}),
        Answer,
    );
    for node in NODES {
        add(
            format!("node_status {node}"),
            "node_status",
            json!({"node": node}),
            Answer,
        );
        add(
            format!("firewall {node}"),
            "firewall",
            json!({"node": node}),
            Answer,
        );
        add(
            format!("list_tasks {node}"),
            "list_tasks",
            json!({"node": node, "limit": 1000}),
            Answer,
        );
    }
    add(
        "list_tasks".into(),
        "list_tasks",
        json!({"limit": 1000}),
        Answer,
    );
    for status in ["running", "ok", "error", "warning"] {
        add(
            format!("list_tasks status {status}"),
            "list_tasks",
            json!({"status": status, "limit": 1000}),
            Answer,
        );
    }
    for ty in [
        "qm",
        "vz",
        "vzdump",
        "vncproxy",
        "spiceproxy",
        "hastart",
        "hamigrate",
        "imgdel",
        "prunebackups",
        "qmigrate",
        "startall",
        "stopall",
        "migrateall",
        "qmclone",
        "qmdestroy",
        "qmcreate",
        "move_volume",
        "download",
        "aptupdate",
        "ha",
        "a",
    ] {
        let args = json!({"type": ty, "limit": 1000});
        add(format!("list_tasks type {ty}"), "list_tasks", args, Answer);
    }
    // Tools the policy grants nothing for are not listed; calling them anyway fails.
    add(
        "execute_command, not granted".into(),
        "execute_command",
        json!({"command": "qm list"}),
        RefusedOrClean,
    );
    add(
        "agent_exec, not granted".into(),
        "agent_exec",
        json!({"vmid": LAB_VM, "argv": ["cat", "/etc/shadow"]}),
        RefusedOrClean,
    );
    add(
        "guest_agent, not granted".into(),
        "guest_agent",
        json!({"vmid": LAB_VM, "command": "network"}),
        RefusedOrClean,
    );
    // Arguments the tools do not have.
    for (tool, args) in [
        ("list_vms", json!({"pool": "prod"})),
        ("list_vms", json!({"include_hidden": true})),
        ("list_vms", json!({"vmid": 250})),
        (
            "guest_config",
            json!({"vmid": LAB_VM, "node": "pve1", "target_vmid": 250}),
        ),
        ("list_tasks", json!({"user": "root@pam", "all": true})),
        (
            "storage_content",
            json!({"node": "pve1", "storage": "nas", "vmids": [250]}),
        ),
    ] {
        add(
            format!("{tool} with unknown arguments {args}"),
            tool,
            args,
            RefusedOrClean,
        );
    }
    for (name, tool, args, expect) in cases {
        r.model(Class::Tools, &name, tool, args, expect).await;
    }
}
