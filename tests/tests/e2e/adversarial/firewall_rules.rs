//! Guest firewall rules, through `firewall_edit` and the raw rule and options writes,
//! under `[firewall]` (incoming ACCEPT/REJECT for tcp/udp 80, 443 and 8000-8099 from
//! 10.20.0.0/16, fd00:20::/32 or IP set `lab-clients` to 10.30.0.0/24, macro HTTP,
//! interface net0). An admin's DROP rule sits above one of the model's own rules on a
//! lab VM. Attacks: a rule outside each bound, in hostile spellings; deleting, changing
//! or moving the admin's rule by position; placing a rule above it (reordering); a
//! stale or missing digest; options other than `enable` (policy_in=ACCEPT); the guest's
//! IP sets and aliases (which change what names mean); the cluster's and a node's
//! rules, which no `[api]` pattern names; hidden guests, which must read as absent.
//! Every refusal must come before a write reaches Proxmox.

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api};
use super::world::{LAB_CT, LAB_VM, ghost};
use pve_mcp_tests::sim_client::Api;
use serde_json::{Map, Value, json};

const RULES: &str = "/nodes/pve1/qemu/9000/firewall/rules";
const OPTIONS: &str = "/nodes/pve1/qemu/9000/firewall/options";

/// A rule within every bound.
fn good() -> Map<String, Value> {
    json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443",
           "source": "10.20.1.0/24", "dest": "10.30.0.5", "iface": "net0", "enable": 1})
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// The rule with `field` set to `value` (`None`: removed).
fn with(field: &str, value: Option<&str>) -> Map<String, Value> {
    let mut r = good();
    match value {
        Some(v) => r.insert(field.to_owned(), json!(v)),
        None => r.remove(field),
    };
    r
}

/// The same rule as firewall_edit takes it (`enable` a boolean).
fn typed(rule: &Map<String, Value>) -> Value {
    let mut r = rule.clone();
    if let Some(e) = r.get("enable").and_then(Value::as_i64) {
        r.insert("enable".into(), json!(e != 0));
    }
    Value::Object(r)
}

/// The admin's DROP rule at 0 and the model's own rule at 1 on the lab VM; their
/// digest.
async fn arrange(api: &Api) -> String {
    let rules = api.get(RULES).await.1["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for _ in &rules {
        api.delete(&format!("{RULES}/0"), &[]).await;
    }
    let ours: Vec<(String, String)> = good()
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map_or(v.to_string(), str::to_owned)))
        .collect();
    let ours: Vec<(&str, &str)> = ours.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = api.post(RULES, &ours).await;
    assert_eq!(status, 200, "{body}");
    let admin = [
        ("type", "in"),
        ("action", "DROP"),
        ("source", "10.20.9.0/24"),
        ("enable", "1"),
        ("comment", "admin: quarantine"),
    ];
    let (status, body) = api.post(RULES, &admin).await;
    assert_eq!(status, 200, "{body}");
    digest(api).await
}

async fn digest(api: &Api) -> String {
    api.get(RULES).await.1["data"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub async fn run(r: &mut Runner) {
    use Expect::{Confirm, Denied, NotFound, Refused};
    let admin_api = Api::new(r.world.sim());
    let d = arrange(&admin_api).await;

    // A rule outside each bound, and hostile spellings of one: as firewall_edit and as
    // the raw POST (which Proxmox would put at the top).
    let c = Class::Bounds;
    let mut outside: Vec<(String, Map<String, Value>)> = Vec::new();
    for (field, value) in [
        ("type", Some("out")),
        ("type", Some("forward")),
        ("type", Some("IN")),
        ("action", Some("DROP")),
        ("action", Some("accept")),
        ("proto", Some("icmp")),
        ("proto", Some("TCP")),
        ("proto", Some("6")),
        ("proto", None),
        ("dport", Some("22")),
        ("dport", Some("1:65535")),
        ("dport", Some("0:65535")),
        ("dport", Some("80,22")),
        ("dport", Some("8000:8100")),
        ("dport", Some("https")),
        ("dport", Some(" 443")),
        ("dport", Some("443 ")),
        ("dport", Some("443:")),
        ("dport", Some("99999")),
        ("dport", None),
        ("sport", Some("1024:65535")),
        ("source", Some("0.0.0.0/0")),
        ("source", Some("0/0")),
        ("source", Some("::/0")),
        ("source", Some("::")),
        ("source", Some("10.0.0.0/8")),
        ("source", Some("10.20.0.0/15")),
        ("source", Some("10.20.0.1,10.21.0.1")),
        ("source", Some("10.20.0.1-10.21.0.1")),
        ("source", Some("10.20.0.1 ")),
        ("source", Some("010.20.0.1")),
        ("source", Some("::ffff:10.20.0.1")),
        ("source", Some("fd00:21::1")),
        ("source", Some("+other-set")),
        ("source", Some("+LAB-CLIENTS")),
        ("source", Some("+dc/lab-clients")),
        ("source", Some("lab-clients")),
        ("source", Some("+lab-clients,10.20.0.1")),
        ("source", None),
        ("dest", Some("10.30.1.0/24")),
        ("dest", None),
        ("macro", Some("SSH")),
        ("iface", Some("net1")),
        ("iface", Some("NET0")),
        ("log", Some("loud")),
        ("icmp-type", Some("echo-request")),
    ] {
        outside.push((format!("{field}={value:?}"), with(field, value)));
    }
    for (what, rule) in &outside {
        // A field firewall_edit does not have is the front's to refuse, as an argument;
        // the raw POST below carries it to the helper.
        if !what.starts_with("icmp-type") {
            r.model(
                c,
                &format!("firewall_edit add with {what}"),
                "firewall_edit",
                json!({"vmid": LAB_VM, "op": "add", "rule": typed(rule), "pos": 2}),
                Denied(""),
            )
            .await;
        }
        let mut raw = rule.clone();
        raw.insert("digest".into(), json!(d));
        r.model(
            c,
            &format!("POST rules with {what}"),
            "proxmox_api",
            api("POST", RULES, Value::Object(raw)),
            Denied(""),
        )
        .await;
    }
    r.model(
        c,
        "firewall_edit add outside bounds to a lab container",
        "firewall_edit",
        json!({"vmid": LAB_CT, "op": "add", "rule": typed(&with("dport", Some("22")))}),
        Denied("firewall"),
    )
    .await;

    // The admin's rule at 0: hit by position, or jumped over.
    let c = Class::RawWrites;
    let pos_cases: Vec<(&str, &str, Value)> = vec![
        (
            "delete the admin's rule",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "delete", "pos": 0}),
        ),
        (
            "disable the admin's rule",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "update", "pos": 0, "rule": {"enable": false}}),
        ),
        (
            "turn the admin's DROP into ACCEPT",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "update", "pos": 0, "rule": {"action": "ACCEPT"}}),
        ),
        (
            "move the admin's rule down",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "move", "pos": 0, "to": 1}),
        ),
        (
            "move the model's rule above the admin's",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "move", "pos": 1, "to": 0}),
        ),
        (
            "add a rule above the admin's",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "add", "pos": 0, "rule": typed(&good())}),
        ),
        (
            "widen the model's rule to every source",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "update", "pos": 1, "delete": ["source"]}),
        ),
        (
            "widen the model's rule to every port",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "update", "pos": 1, "rule": {"dport": "1:65535"}}),
        ),
        (
            "a rule at a position past the end",
            "firewall_edit",
            json!({"vmid": LAB_VM, "op": "delete", "pos": 7}),
        ),
        (
            "DELETE the admin's rule",
            "proxmox_api",
            api("DELETE", &format!("{RULES}/0"), json!({"digest": d})),
        ),
        (
            "DELETE the admin's rule without a digest",
            "proxmox_api",
            api("DELETE", &format!("{RULES}/0"), json!({})),
        ),
        (
            "DELETE the model's rule with a stale digest",
            "proxmox_api",
            api(
                "DELETE",
                &format!("{RULES}/1"),
                json!({"digest": "0000000000000000000000000000000000000000"}),
            ),
        ),
        (
            "PUT the admin's rule disabled",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/0"),
                json!({"enable": 0, "digest": d}),
            ),
        ),
        (
            "PUT the admin's rule with moveto = pos and ACCEPT",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/0"),
                json!({"moveto": 0, "action": "ACCEPT", "digest": d}),
            ),
        ),
        (
            "PUT moveto the admin's rule below",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/0"),
                json!({"moveto": 2, "digest": d}),
            ),
        ),
        (
            "PUT moveto the model's rule to the top",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/1"),
                json!({"moveto": 0, "digest": d}),
            ),
        ),
        (
            "PUT moveto with other fields",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/1"),
                json!({"moveto": 0, "dport": "80", "digest": d}),
            ),
        ),
        (
            "PUT the model's rule to every source",
            "proxmox_api",
            api(
                "PUT",
                &format!("{RULES}/1"),
                json!({"delete": "source", "digest": d}),
            ),
        ),
        (
            "PUT the model's rule without a digest",
            "proxmox_api",
            api("PUT", &format!("{RULES}/1"), json!({"dport": "80"})),
        ),
        (
            "POST a rule within bounds (lands above the admin's)",
            "proxmox_api",
            api("POST", RULES, {
                let mut g = good();
                g.insert("digest".into(), json!(d));
                Value::Object(g)
            }),
        ),
        (
            "POST a rule with pos below the admin's (Proxmox ignores pos)",
            "proxmox_api",
            api("POST", RULES, {
                let mut g = good();
                g.insert("pos".into(), json!(2));
                g.insert("digest".into(), json!(d));
                Value::Object(g)
            }),
        ),
        (
            "options: policy_in ACCEPT",
            "proxmox_api",
            api("PUT", OPTIONS, json!({"policy_in": "ACCEPT"})),
        ),
        (
            "options: policy_in ACCEPT with enable",
            "proxmox_api",
            api("PUT", OPTIONS, json!({"enable": 1, "policy_in": "ACCEPT"})),
        ),
        (
            "options: ipfilter off",
            "proxmox_api",
            api("PUT", OPTIONS, json!({"ipfilter": 0})),
        ),
        (
            "options: delete enable",
            "proxmox_api",
            api("PUT", OPTIONS, json!({"delete": "enable"})),
        ),
        (
            "a guest IP set",
            "proxmox_api",
            api(
                "POST",
                "/nodes/pve1/qemu/9000/firewall/ipset",
                json!({"name": "lab-clients"}),
            ),
        ),
        (
            "a guest alias",
            "proxmox_api",
            api(
                "POST",
                "/nodes/pve1/qemu/9000/firewall/aliases",
                json!({"name": "lab", "cidr": "0.0.0.0/0"}),
            ),
        ),
        (
            "the cluster's rules",
            "proxmox_api",
            api("POST", "/cluster/firewall/rules", Value::Object(good())),
        ),
        (
            "the cluster's options",
            "proxmox_api",
            api(
                "PUT",
                "/cluster/firewall/options",
                json!({"policy_in": "ACCEPT"}),
            ),
        ),
        (
            "a node's rules",
            "proxmox_api",
            api("POST", "/nodes/pve1/firewall/rules", Value::Object(good())),
        ),
        (
            "a node's rule deleted",
            "proxmox_api",
            api("DELETE", "/nodes/pve1/firewall/rules/0", json!({})),
        ),
        (
            "a security group's rules",
            "proxmox_api",
            api(
                "POST",
                "/cluster/firewall/groups/web/rules",
                Value::Object(good()),
            ),
        ),
    ];
    for (name, tool, args) in pos_cases {
        r.model(c, name, tool, args, Refused).await;
    }
    // Turning the firewall off is confirmed: the raw API cannot ask, nor this client.
    let c = Class::Confirm;
    r.model(
        c,
        "options: firewall off, raw",
        "proxmox_api",
        api("PUT", OPTIONS, json!({"enable": 0})),
        Confirm,
    )
    .await;
    r.model(
        c,
        "firewall_edit disable, unasked",
        "firewall_edit",
        json!({"vmid": LAB_VM, "op": "disable"}),
        Confirm,
    )
    .await;

    // A network device's firewall flag turned on (LAB_VM's net0 has none) is the
    // firewall turned on: firewall.enable, which this policy confirms.
    for flag in ["1", "TRUE", "On", "yes"] {
        let net0 = format!("virtio=BC:24:11:23:28:01,bridge=vmbr0,firewall={flag}");
        r.model(
            c,
            &format!("guest_configure net0 firewall={flag}"),
            "guest_configure",
            json!({"vmid": LAB_VM, "set": {"net0": net0}}),
            Confirm,
        )
        .await;
        r.model(
            c,
            &format!("PUT config net0 firewall={flag}"),
            "proxmox_api",
            api("PUT", "/nodes/pve1/qemu/9000/config", json!({"net0": net0})),
            Confirm,
        )
        .await;
    }

    // Hidden guests read as absent, whatever the write.
    let c = Class::Oracles;
    for (hidden, kind) in [(250, "qemu"), (251, "lxc"), (9005, "qemu")] {
        let node = match hidden {
            251 | 9005 => "pve2",
            _ => "pve1",
        };
        let path = format!("/nodes/{node}/{kind}/{hidden}/firewall/rules");
        for (name, tool, args) in [
            (
                format!("firewall_edit delete on hidden {hidden}"),
                "firewall_edit",
                json!({"vmid": hidden, "op": "delete", "pos": 0}),
            ),
            (
                format!("firewall_edit add on hidden {hidden}"),
                "firewall_edit",
                json!({"vmid": hidden, "op": "add", "rule": typed(&good())}),
            ),
            (
                format!("firewall_edit disable on hidden {hidden}"),
                "firewall_edit",
                json!({"vmid": hidden, "op": "disable"}),
            ),
            (
                format!("DELETE a rule of hidden {hidden}"),
                "proxmox_api",
                api("DELETE", &format!("{path}/0"), json!({"digest": d})),
            ),
            (
                format!("POST a rule to hidden {hidden}"),
                "proxmox_api",
                api("POST", &path, Value::Object(good())),
            ),
        ] {
            r.oracle(
                c,
                &name,
                Who::UserSaysYes,
                tool,
                args,
                hidden,
                ghost(hidden),
                NotFound,
            )
            .await;
        }
    }

    // Nothing of the arrangement moved.
    let after = admin_api.get(RULES).await.1["data"].clone();
    assert_eq!(after[0]["action"], "DROP", "{after}");
    assert_eq!(after.as_array().map(Vec::len), Some(2), "{after}");
}
