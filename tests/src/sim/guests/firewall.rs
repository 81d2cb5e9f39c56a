//! The firewall's read endpoints, as pve-firewall's API renders `cluster.fw`,
//! `host.fw` and `{vmid}.fw`: `GET /cluster/firewall/{rules,options}`,
//! `GET /nodes/{node}/firewall/{rules,options}` and
//! `GET /nodes/{node}/{qemu|lxc}/{vmid}/firewall/{rules,options}`. Rules carry `pos` and
//! the list's `digest` (`copy_list_with_digest`), options their `digest`. A guest without
//! a `{vmid}.fw` (see [`mod@crate::sim::cluster::dataset`]) has no rules and empty options.

use serde_json::{Map, Value, json};

use crate::sim::cluster::state::Cluster;

/// One rule in PVE's field names (only the fields set).
fn rule(fields: &[(&str, Value)]) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// SHA-1 over `key:value\n` of every rule's sorted fields, as pve-firewall digests lists.
pub(crate) fn digest_of(items: &[Map<String, Value>]) -> String {
    let mut text = Vec::new();
    for item in items {
        let mut keys: Vec<&String> = item.keys().collect();
        keys.sort();
        for k in keys {
            let v = match &item[k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.extend_from_slice(format!("{k}:{v}\n").as_bytes());
        }
    }
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &text);
    crate::sim::server::tls::hex_lower(d.as_ref())
}

/// A rule list as `GET .../rules` returns it.
fn list(rules: Vec<Map<String, Value>>) -> Value {
    let digest = digest_of(&rules);
    let out: Vec<Value> = rules
        .into_iter()
        .enumerate()
        .map(|(pos, mut r)| {
            r.insert("pos".into(), json!(pos));
            r.insert("digest".into(), json!(digest));
            Value::Object(r)
        })
        .collect();
    Value::Array(out)
}

/// Options as `GET .../options` returns them.
fn options(fields: &[(&str, Value)]) -> Value {
    let m = rule(fields);
    let digest = digest_of(std::slice::from_ref(&m));
    let mut m = m;
    m.insert("digest".into(), json!(digest));
    Value::Object(m)
}

/// `GET /cluster/firewall/rules`.
pub fn cluster_rules() -> Value {
    list(vec![
        rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("source", json!("10.10.0.0/16")),
            ("proto", json!("tcp")),
            ("dport", json!("8006")),
            ("enable", json!(1)),
            (
                "comment",
                json!("web interface from the management network"),
            ),
            ("ipversion", json!(4)),
        ]),
        rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("macro", json!("SSH")),
            ("source", json!("10.10.0.0/16")),
            ("enable", json!(1)),
            ("log", json!("nolog")),
            ("ipversion", json!(4)),
        ]),
        rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("macro", json!("Ping")),
            ("enable", json!(1)),
        ]),
        rule(&[
            ("type", json!("in")),
            ("action", json!("DROP")),
            ("proto", json!("tcp")),
            ("dport", json!("3128")),
            ("enable", json!(0)),
            ("comment", json!("spice proxy, closed")),
        ]),
    ])
}

/// `GET /cluster/firewall/options`.
pub fn cluster_options() -> Value {
    options(&[
        ("enable", json!(1)),
        ("policy_in", json!("DROP")),
        ("policy_out", json!("ACCEPT")),
        ("ebtables", json!(1)),
        ("log_ratelimit", json!("burst=5,enable=1,rate=1/second")),
    ])
}

/// `GET /nodes/{node}/firewall/rules`.
pub fn node_rules() -> Value {
    list(vec![
        rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("iface", json!("vmbr0")),
            ("proto", json!("tcp")),
            ("dport", json!("22")),
            ("source", json!("10.10.0.0/16")),
            ("enable", json!(1)),
            ("ipversion", json!(4)),
        ]),
        rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("iface", json!("vmbr1")),
            ("proto", json!("udp")),
            ("dport", json!("5405:5412")),
            ("enable", json!(1)),
            ("comment", json!("corosync")),
        ]),
    ])
}

/// `GET /nodes/{node}/firewall/options`.
pub fn node_options() -> Value {
    options(&[
        ("enable", json!(1)),
        ("log_level_in", json!("nolog")),
        ("log_level_out", json!("nolog")),
        ("nosmurfs", json!(1)),
        ("tcpflags", json!(0)),
        ("ndp", json!(1)),
    ])
}

/// The rules of a role's guests.
pub(crate) fn role_rules(role: &str) -> Vec<Map<String, Value>> {
    let mut rules = vec![rule(&[
        ("type", json!("in")),
        ("action", json!("ACCEPT")),
        ("macro", json!("SSH")),
        ("source", json!("10.10.0.0/16")),
        ("enable", json!(1)),
        ("ipversion", json!(4)),
    ])];
    let service: Option<(&str, &str)> = match role {
        "web" => Some(("HTTPS", "")),
        "db" => Some(("", "5432")),
        "cache" => Some(("", "6379")),
        "app" => Some(("", "8080")),
        _ => None,
    };
    match service {
        Some((mac, "")) => {
            rules.push(rule(&[
                ("type", json!("in")),
                ("action", json!("ACCEPT")),
                ("macro", json!(mac)),
                ("enable", json!(1)),
            ]));
            rules.push(rule(&[
                ("type", json!("in")),
                ("action", json!("ACCEPT")),
                ("macro", json!("HTTP")),
                ("enable", json!(1)),
                ("comment", json!("redirects to HTTPS")),
            ]));
        }
        Some((_, port)) => rules.push(rule(&[
            ("type", json!("in")),
            ("action", json!("ACCEPT")),
            ("proto", json!("tcp")),
            ("dport", json!(port)),
            ("source", json!("10.20.0.0/16")),
            ("enable", json!(1)),
            ("log", json!("info")),
            ("ipversion", json!(4)),
        ])),
        None => {}
    }
    rules
}

/// `GET .../{vmid}/firewall/rules` (the file is cluster-wide: any node answers).
pub fn guest_rules(c: &Cluster, vmid: u32) -> Value {
    if let Some(f) = c.fw_files.get(&vmid) {
        return list(f.rules.clone());
    }
    match c.guest(vmid).and_then(|g| g.firewall) {
        Some(role) => list(role_rules(role)),
        None => json!([]),
    }
}

/// The options of a guest with a dataset firewall file.
pub(crate) fn role_options() -> Map<String, Value> {
    rule(&[
        ("enable", json!(1)),
        ("dhcp", json!(1)),
        ("ipfilter", json!(0)),
        ("macfilter", json!(1)),
        ("ndp", json!(1)),
        ("radv", json!(0)),
        ("policy_in", json!("DROP")),
        ("policy_out", json!("ACCEPT")),
        ("log_level_in", json!("nolog")),
        ("log_level_out", json!("nolog")),
    ])
}

/// `GET .../{vmid}/firewall/options`.
pub fn guest_options(c: &Cluster, vmid: u32) -> Value {
    let m = match c.fw_files.get(&vmid) {
        Some(f) => f.options.clone(),
        None if c.guest(vmid).and_then(|g| g.firewall).is_some() => role_options(),
        None => Map::new(),
    };
    let digest = digest_of(std::slice::from_ref(&m));
    let mut m = m;
    m.insert("digest".into(), json!(digest));
    Value::Object(m)
}
