use super::*;
use std::path::Path;

fn policy(bridges: &str) -> Policy {
    let text = format!(
        "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\n[bounds]\nbridges = {bridges}\n"
    );
    Policy::parse(&text, Path::new("p.toml")).unwrap().0
}

fn parse(v: serde_json::Value) -> NetworkIface {
    iface(&policy("[\"vmbr0\"]"), serde_json::from_value(v).unwrap())
}

#[test]
fn proxmox_fields_become_an_interface() {
    let i = parse(serde_json::json!({
        "iface": "vmbr0", "type": "bridge", "active": 1, "autostart": 1,
        "bridge_ports": "eno1 eno2", "cidr": "192.0.2.10/24", "address": "192.0.2.10",
        "netmask": "255.255.255.0", "gateway": "192.0.2.1", "method": "static",
        "bridge_vlan_aware": 1, "mtu": 9000, "families": ["inet"], "priority": 5,
        "comments": "uplink\u{202E}\nsecond line\n",
    }));
    assert_eq!(
        (i.iface.as_str(), i.iface_type.as_str()),
        ("vmbr0", "bridge")
    );
    assert!(i.active && i.autostart);
    assert_eq!(i.ports, ["eno1", "eno2"]);
    assert_eq!(i.cidr.as_deref(), Some("192.0.2.10/24"));
    assert_eq!((i.vlan_aware, i.mtu), (Some(true), Some(9000)));
    assert_eq!(i.bounds_allow, Some(true));
    assert_eq!(i.comments.as_deref(), Some("uplink\\u{202E}\nsecond line"));

    // Absent booleans are false; a bond's slaves are its ports; only bridges have a
    // standing under [bounds] bridges.
    let bond = parse(serde_json::json!({
        "iface": "bond0", "type": "bond", "slaves": "eno3 eno4", "bond_mode": "802.3ad",
    }));
    assert!(!bond.active && !bond.autostart);
    assert_eq!(bond.ports, ["eno3", "eno4"]);
    assert_eq!(bond.bounds_allow, None);
    let ovs = parse(serde_json::json!({"iface": "vmbr9", "type": "OVSBridge", "ovs_ports": ""}));
    assert_eq!((ovs.bounds_allow, ovs.ports.len()), (Some(false), 0));
    let vlan = parse(serde_json::json!({
        "iface": "vmbr0.30", "type": "vlan", "vlan-id": 30, "vlan-raw-device": "vmbr0",
    }));
    assert_eq!(
        (vlan.vlan_id, vlan.vlan_raw_device.as_deref()),
        (Some(30), Some("vmbr0"))
    );
}

#[test]
fn a_long_comment_is_cut_at_a_character() {
    let c = comment(&"é".repeat(2000));
    assert!(
        c.len() <= MAX_COMMENT + 6 && c.ends_with(" [...]"),
        "{}",
        c.len()
    );
    assert_eq!(comment("  \n"), "");
    let none = iface(
        &policy("[]"),
        serde_json::from_value(
            serde_json::json!({"iface": "vmbr0", "type": "bridge", "comments": "\n"}),
        )
        .unwrap(),
    );
    assert_eq!((none.comments, none.bounds_allow), (None, Some(false)));
}
