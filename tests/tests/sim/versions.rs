//! The simulator as Proxmox VE 8.4 or 9.2: the version it reports, the schema it judges
//! by (endpoints, parameters and pve-common's wording), the privileges its roles may
//! hold (PVE 9 dropped `VM.Monitor` for `VM.GuestAgent.*`), what the guest agent's
//! endpoints require, and HA groups, which PVE 9 migrated to rules. These tests send
//! invalid requests on purpose.

use pve_mcp_tests::sim_client;

use std::time::Duration;

use pve_mcp_tests::sim::{self, PveVersion, SimConfig, SimHandle};
use serde_json::{Value, json};
use sim_client::Api;

fn config(pve: PveVersion) -> SimConfig {
    SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(50),
        pve,
        expects_invalid_requests: true,
        ..SimConfig::default()
    }
}

async fn sim(pve: PveVersion) -> SimHandle {
    sim::start(config(pve)).await.expect("simulator starts")
}

fn privileges(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_is_reported_as_it_is() {
    for (pve, version, release, repoid) in [
        (PveVersion::Pve8, "8.4.1", "8.4", "2a5fa54a8503f96d"),
        (PveVersion::Pve9, "9.2.11", "9.2", "f6997e698c7933ea"),
    ] {
        let sim = sim(pve).await;
        let api = Api::new(&sim);
        let (code, body) = api.get("/version").await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(
            body["data"],
            json!({"version": version, "release": release, "repoid": repoid})
        );
        let (_, status) = api.get("/nodes/pve1/status").await;
        assert_eq!(
            status["data"]["pveversion"],
            format!("pve-manager/{version}/{repoid}")
        );
        // pve-manager 9 added the available memory.
        let available = status["data"]["memory"].get("available").is_some();
        assert_eq!(available, pve == PveVersion::Pve9, "{status}");
    }
    assert_eq!(PveVersion::default(), PveVersion::Pve8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_groups_became_rules_in_pve_9() {
    let v8 = sim(PveVersion::Pve8).await;
    let api = Api::new(&v8);
    let (code, groups) = api.get("/cluster/ha/groups").await;
    assert_eq!(code, 200, "{groups}");
    assert_eq!(groups["data"][0]["group"], "all-nodes");
    let (code, body) = api.get("/cluster/ha/rules").await;
    assert_eq!(code, 501, "{body}");
    assert_eq!(
        body["message"],
        "Method 'GET /cluster/ha/rules' not implemented"
    );
    let (_, resources) = api.get("/cluster/ha/resources").await;
    assert_eq!(resources["data"][0]["sid"], "vm:120");
    assert_eq!(resources["data"][0]["group"], "all-nodes");

    let v9 = sim(PveVersion::Pve9).await;
    let api = Api::new(&v9);
    let (code, body) = api.get("/cluster/ha/groups").await;
    assert_eq!(code, 500, "{body}");
    assert_eq!(
        body["message"],
        "cannot index groups: ha groups have been migrated to rules\n"
    );
    let (code, rules) = api.get("/cluster/ha/rules").await;
    assert_eq!(code, 200, "{rules}");
    let rule = &rules["data"][0];
    assert_eq!(rule["rule"], "ha-group-all-nodes");
    assert_eq!(rule["type"], "node-affinity");
    assert_eq!(rule["resources"], "vm:120");
    assert_eq!(rule["nodes"], "pve1,pve2,pve3");
    assert_eq!(rule["strict"], 0);
    assert_eq!(rule["comment"], "Generated from HA group 'all-nodes'.");
    let (code, one) = api.get("/cluster/ha/rules/ha-group-all-nodes").await;
    assert_eq!(code, 200, "{one}");
    assert_eq!(one["data"]["rule"], "ha-group-all-nodes");
    let (_, resources) = api.get("/cluster/ha/resources").await;
    assert_eq!(resources["data"][0]["sid"], "vm:120");
    assert!(resources["data"][0].get("group").is_none(), "{resources}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_hold_only_privileges_of_their_release() {
    let mut c = config(PveVersion::Pve9);
    c.privileges = Some(privileges(&["VM.Audit", "VM.Monitor"]));
    let e = sim::start(c).await.expect_err("PVE 9 has no VM.Monitor");
    assert_eq!(e.to_string(), "invalid privilege 'VM.Monitor'");
    let mut c = config(PveVersion::Pve8);
    c.privileges = Some(privileges(&["VM.GuestAgent.Audit"]));
    let e = sim::start(c)
        .await
        .expect_err("PVE 8 has no VM.GuestAgent.Audit");
    assert_eq!(e.to_string(), "invalid privilege 'VM.GuestAgent.Audit'");

    let v9 = sim(PveVersion::Pve9).await;
    assert_eq!(
        v9.try_set_privileges(Some(&privileges(&["VM.Monitor"]))),
        Err("invalid privilege 'VM.Monitor'".into())
    );
    let api = Api::new(&v9);
    let url = format!("{}/_sim/privileges", v9.url());
    let resp = api
        .client
        .post(url)
        .json(&json!(["VM.Audit", "VM.Monitor"]))
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.text().await.unwrap_or_default(),
        "invalid privilege 'VM.Monitor'"
    );
    assert!(
        v9.try_set_privileges(Some(&privileges(&["VM.GuestAgent.Audit"])))
            .is_ok()
    );
}

/// The status and message of a guest agent call on VM 112 with a role of `privs`.
async fn agent_call(
    sim: &SimHandle,
    privs: &[&str],
    method: reqwest::Method,
    cmd: &str,
) -> (u16, Value) {
    sim.set_privileges(Some(&privileges(privs)));
    let api = Api::new(sim);
    let form: &[(&str, &str)] = match cmd {
        "exec" => &[("command", "uname")],
        "exec-status" => &[("pid", "1")],
        _ => &[],
    };
    let path = format!("/nodes/pve1/qemu/112/agent/{cmd}");
    let (code, body) = match method {
        reqwest::Method::GET => {
            let query: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let sep = if query.is_empty() { "" } else { "?" };
            api.get(&format!("{path}{sep}{}", query.join("&"))).await
        }
        m => api.form(m, &path, form).await,
    };
    (code, body["message"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_agent_needs_what_each_release_says() {
    use reqwest::Method;
    let v8 = sim(PveVersion::Pve8).await;
    let (code, msg) = agent_call(&v8, &["VM.Audit"], Method::POST, "ping").await;
    assert_eq!(
        (code, msg),
        (
            403,
            json!("Permission check failed (/vms/112, VM.Monitor)\n")
        )
    );
    let (code, _) = agent_call(&v8, &["VM.Audit", "VM.Monitor"], Method::POST, "ping").await;
    assert_ne!(code, 403);
    let (code, _) = agent_call(&v8, &["VM.Audit", "VM.Monitor"], Method::POST, "exec").await;
    assert_ne!(code, 403);

    let v9 = sim(PveVersion::Pve9).await;
    let any =
        "Permission check failed (/vms/112, VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted)\n";
    for (method, cmd) in [
        (Method::POST, "ping"),
        (Method::GET, "get-osinfo"),
        (Method::GET, "network-get-interfaces"),
    ] {
        let (code, msg) = agent_call(&v9, &["VM.Audit"], method.clone(), cmd).await;
        assert_eq!((code, msg), (403, json!(any)), "{cmd}");
        let (code, _) = agent_call(&v9, &["VM.GuestAgent.Audit"], method, cmd).await;
        assert_ne!(code, 403, "{cmd}");
    }
    let unrestricted = "Permission check failed (/vms/112, VM.GuestAgent.Unrestricted)\n";
    for (method, cmd) in [(Method::POST, "exec"), (Method::GET, "exec-status")] {
        let (code, msg) = agent_call(&v9, &["VM.GuestAgent.Audit"], method.clone(), cmd).await;
        assert_eq!((code, msg), (403, json!(unrestricted)), "{cmd}");
        let (code, _) = agent_call(&v9, &["VM.GuestAgent.Unrestricted"], method, cmd).await;
        assert_ne!(code, 403, "{cmd}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_and_its_wording_follow_the_release() {
    let cases = [
        (
            PveVersion::Pve8,
            "missing property - 'unique' requires this property",
            "invalid format - storage ID 'a' contains illegal characters\n",
        ),
        (
            PveVersion::Pve9,
            "missing property required by 'unique'",
            "invalid format - storage ID 'a' cannot be shorter than 2 characters\n",
        ),
    ];
    for (pve, requires, short_id) in cases {
        let sim = sim(pve).await;
        let api = Api::new(&sim);
        let (code, body) = api
            .post(
                "/nodes/pve1/qemu",
                &[("vmid", "150"), ("unique", "1"), ("storage", "a")],
            )
            .await;
        assert_eq!(code, 400, "{body}");
        assert_eq!(body["errors"]["archive"], requires, "{pve:?}");
        assert_eq!(body["errors"]["storage"], short_id, "{pve:?}");
        // Parameters one release has and the other does not.
        let (code, body) = api
            .post("/nodes/pve1/vzdump", &[("vmid", "112"), ("maxfiles", "1")])
            .await;
        match pve {
            PveVersion::Pve8 => assert_eq!(code, 200, "{body}"),
            PveVersion::Pve9 => {
                assert_eq!(code, 400, "{body}");
                assert_eq!(
                    body["errors"]["maxfiles"],
                    "property is not defined in schema and the schema does not allow \
                     additional properties"
                );
            }
        }
    }
    // PVE 9 refuses a MAC address given twice, once through the model's alias.
    let v9 = sim(PveVersion::Pve9).await;
    let (code, body) = Api::new(&v9)
        .put(
            "/nodes/pve1/qemu/112/config",
            &[(
                "net1",
                "macaddr=BC:24:11:00:00:01,virtio=BC:24:11:00:00:02,bridge=vmbr0",
            )],
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["errors"]["net1"],
        "invalid format - key 'macaddr' is already defined (via alias)\n"
    );
    let f = v9.schema_figures();
    assert_eq!(
        f.rejections.last().map(|r| r.path.as_str()),
        Some("/nodes/pve1/qemu/112/config")
    );
}

/// The role `pve-helper setup` makes for each shipped policy is one that release's
/// `pveum role add` accepts (its privilege names, from pve-access-control), and with
/// agent access granted, one the agent endpoints of that release admit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_makes_roles_each_release_accepts() {
    use pve_helper::{
        policy::Policy,
        setup::{Release, required_privileges},
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy");
    let mut policies: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("the examples")
        .map(|e| e.expect("an entry").path())
        .collect();
    policies.push(root.join("policy.toml"));
    policies.sort();
    // With the agent granted, the policy's role needs each release's agent privileges.
    let agent = std::fs::read_to_string(root.join("examples/lab-builder.toml"))
        .expect("the lab builder")
        .replace("actions = [", "actions = [\"agent.read\", \"agent.exec\", ")
        + "\n[agent]\nexec = [[\"hostname\"]]\n";
    let mut texts: Vec<(String, String)> = policies
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).expect("readable"))
        })
        .collect();
    texts.push(("lab-builder.toml with the agent".into(), agent));
    assert_eq!(texts.len(), 6, "{texts:?}");
    for (pve, release) in [
        (PveVersion::Pve8, Release::Pve8),
        (PveVersion::Pve9, Release::Pve9),
    ] {
        let sim = sim(pve).await;
        let mut last = Vec::new();
        for (name, text) in &texts {
            let (policy, _) = Policy::parse(text, std::path::Path::new(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let names: Vec<String> = required_privileges(&policy, release)
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect();
            assert_eq!(
                sim.try_set_privileges(Some(&names)),
                Ok(()),
                "{pve}: {name}: {names:?}"
            );
            last = names;
        }
        // The agent role (the last one) admits every agent call the tools make.
        let role: Vec<&str> = last.iter().map(String::as_str).collect();
        for (method, cmd) in [
            (reqwest::Method::POST, "ping"),
            (reqwest::Method::GET, "get-osinfo"),
            (reqwest::Method::GET, "network-get-interfaces"),
            (reqwest::Method::POST, "exec"),
            (reqwest::Method::GET, "exec-status"),
        ] {
            let (code, msg) = agent_call(&sim, &role, method, cmd).await;
            assert_ne!(code, 403, "{pve}: {cmd}: {msg}");
        }
    }
}
