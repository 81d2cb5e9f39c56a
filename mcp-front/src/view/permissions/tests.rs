use super::*;
use pve_mcp_proto::GrantSummary;
use std::time::Duration;

#[test]
fn instructions_say_what_the_policy_allows_in_a_few_lines() {
    let caps = Capabilities {
        guests: vec!["100-149".into(), "pool:lab".into()],
        guests_except: vec!["120".into()],
        grants: vec![GrantSummary {
            rule: "guests".into(),
            guests: vec![],
            operations: vec!["start".into(), "shutdown".into(), "stop".into()],
            confirm: vec!["stop".into()],
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

#[tokio::test]
async fn an_unreachable_helper_hides_nothing_and_caches_nothing() {
    let helper = HelperClient::new("/nonexistent/helper.sock", Duration::from_secs(1));
    let p = Permissions::new(helper, DEFAULT_MAX_AGE);
    p.prefetch();
    assert!(p.at_startup(Duration::from_secs(1)).await.is_none());
    assert!(p.current().await.is_none());
    assert!(p.cached(Duration::MAX).is_none());
    assert!(p.for_listing().await.is_none());
    assert!(
        !p.changed_since_listing().await,
        "an outage changes nothing"
    );
}

#[test]
fn read_only_extras_follow_their_capabilities() {
    let none = Capabilities {
        guests: vec!["100-199".into()],
        ..Capabilities::default()
    };
    for tool in ["firewall", "list_pools", "ha_resources", "next_vmid"] {
        assert!(!allows(tool, &none), "{tool}");
    }
    let caps = Capabilities {
        pools: true,
        ha_resources: true,
        create: Some(pve_mcp_proto::CreateSummary::default()),
        ..none.clone()
    };
    for tool in ["list_pools", "ha_resources", "next_vmid"] {
        assert!(allows(tool, &caps), "{tool}");
    }
    let node = Capabilities {
        firewall_node: true,
        ..Capabilities::default()
    };
    assert!(allows("firewall", &node));
    let with_api = |patterns: &[&str]| Capabilities {
        api: patterns.iter().map(|p| (*p).to_owned()).collect(),
        ..none.clone()
    };
    // The helper reads a guest firewall's rules and options: both must be readable.
    for patterns in [
        &[
            "GET /nodes/*/qemu/*/firewall/rules",
            "GET /nodes/*/qemu/*/firewall/options",
        ][..],
        &["GET /nodes/pve1/lxc/205/firewall/**"],
        &["GET /nodes/*/*/*/firewall/*"],
        &["GET /nodes/**"],
        &["GET /**"],
    ] {
        assert!(allows("firewall", &with_api(patterns)), "{patterns:?}");
    }
    for patterns in [
        &["GET /nodes/*/qemu/*/config"][..],
        &["PUT /nodes/*/qemu/*/firewall/rules"],
        &["GET /nodes/*/storage/*/firewall"],
        &["GET /nodes/*/qemu"],
        &["GET /nodes/*/qemu/*/firewall/options"],
        &["GET /nodes/*/qemu/*/firewall/rules"],
        &["GET /nodes/*/qemu/*/firewall/rules/*"],
        &[
            "GET /nodes/*/qemu/*/firewall/rules",
            "GET /nodes/*/lxc/*/firewall/options",
        ],
    ] {
        assert!(!allows("firewall", &with_api(patterns)), "{patterns:?}");
    }
    // A guest firewall pattern gives nothing to read without guests in scope.
    let mut no_scope = with_api(&["GET /nodes/**"]);
    no_scope.guests.clear();
    assert!(!allows("firewall", &no_scope));
}

#[test]
fn instructions_name_the_lifecycle_tools_the_policy_allows() {
    let caps = Capabilities {
        guests: vec!["9000-9099".into()],
        grants: vec![GrantSummary {
            rule: "lab".into(),
            guests: vec!["pool:lab".into()],
            operations: vec!["delete".into(), "migrate".into(), "config.write".into()],
            confirm: vec!["delete".into()],
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
