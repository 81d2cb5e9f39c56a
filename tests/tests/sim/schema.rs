//! The simulator judges every request against Proxmox VE's published API schema, in
//! pveproxy's order, before its handlers run: the endpoint must exist (501), the
//! token's role must hold what the endpoint's `permissions` ask (403), the node must be
//! a cluster member (500), and the parameters must pass `PVE::JSONSchema` (400, with
//! per-parameter errors worded as pve-common words them). Every verdict is counted.
//! These tests send invalid requests on purpose.

use pve_mcp_tests::sim_client;

use std::time::Duration;

use pve_mcp_tests::sim::{self, PveVersion, SimConfig, SimHandle};
use reqwest::Method;
use serde_json::{Value, json};
use sim_client::Api;

async fn sim(pve: PveVersion) -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(50),
        pve,
        expects_invalid_requests: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// The 400's errors, after checking the status and message.
fn errors(code: u16, body: &Value) -> &serde_json::Map<String, Value> {
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["message"], "Parameter verification failed.\n",
        "{body}"
    );
    body["errors"].as_object().expect("per-parameter errors")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_verified_with_pves_words() {
    let sim = sim(PveVersion::Pve8).await;
    let api = Api::new(&sim);
    let config = "/nodes/pve1/qemu/112/config";
    let (code, body) = api
        .put(
            config,
            &[
                ("cores", "abc"),
                ("bogus", "1"),
                ("net0", "virtio,bridge=vmbr0,tag=0"),
            ],
        )
        .await;
    let e = errors(code, &body);
    assert_eq!(e["cores"], "type check ('integer') failed - got 'abc'");
    assert_eq!(
        e["bogus"],
        "property is not defined in schema and the schema does not allow additional properties"
    );
    assert_eq!(
        e["net0"],
        "invalid format - format error\nnet0.tag: value must have a minimum value of 1\n"
    );
    let (code, body) = api.get("/cluster/resources?type=pool").await;
    assert_eq!(
        errors(code, &body)["type"],
        "value 'pool' does not have a value in the enumeration 'vm, storage, node, sdn'"
    );
    let (code, body) = api.post("/nodes/pve1/qemu", &[("cores", "1")]).await;
    assert_eq!(
        errors(code, &body)["vmid"],
        "property is missing and it is not optional"
    );
    // Path parameters are checked like the others.
    let (code, body) = api.get("/nodes/pve1/qemu/99/status/current").await;
    assert_eq!(
        errors(code, &body)["vmid"],
        "invalid format - value does not look like a valid VM ID\n"
    );
    let (code, body) = api.get("/nodes/pve1/qemu/abc/status/current").await;
    assert_eq!(
        errors(code, &body)["vmid"],
        "type check ('integer') failed - got 'abc'"
    );
    let (code, body) = api
        .post("/nodes/pve2/qemu/101/status/start", &[("vmid", "102")])
        .await;
    assert_eq!(
        errors(code, &body)["vmid"],
        "duplicate parameter (already defined in URI) with conflicting values!"
    );
    // A JSON body keeps its types: `true` is no integer.
    let (code, body) = api
        .post_json(config, &json!({"cores": true, "onboot": true}))
        .await;
    let e = errors(code, &body);
    assert_eq!(
        e["cores"],
        "type check ('integer') failed - got JSON::PP::Boolean"
    );
    assert!(!e.contains_key("onboot"), "{body}");
    let (code, body) = api.get("/pools?type=qemu").await;
    assert_eq!(
        errors(code, &body)["poolid"],
        "missing property - 'type' requires this property"
    );
    let (code, body) = api
        .put(
            config,
            &[
                ("cicustom", "user=snippets.yaml"),
                ("ipconfig0", "gw=10.0.0.1"),
            ],
        )
        .await;
    let e = errors(code, &body);
    assert_eq!(
        e["cicustom"],
        "invalid format - format error\ncicustom.user: invalid format - \
         unable to parse volume ID 'snippets.yaml'\n\n"
    );
    assert_eq!(
        e["ipconfig0"],
        "invalid format - format error\nipconfig0.ip: missing property - \
         'ipconfig0.gw' requires this property\n"
    );
    // What passes the schema reaches the handler.
    let (code, body) = api
        .put(
            config,
            &[("cores", "2"), ("net1", "virtio,bridge=vmbr0,firewall=yes")],
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let f = sim.schema_figures();
    assert_eq!((f.rejected, f.denied, f.unsimulated), (9, 0, 0), "{f:?}");
    assert_eq!(f.judged, 10);
    assert!(f.unknown_formats.is_empty(), "{f:?}");
    let first = &f.rejections[0];
    assert_eq!(
        (first.status, first.method.as_str(), first.path.as_str()),
        (400, "PUT", config)
    );
    assert_eq!(first.errors.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_reads_are_ignored_and_the_query_wins() {
    let sim = sim(PveVersion::Pve8).await;
    let api = Api::new(&sim);
    let (code, body) = api.form(Method::GET, "/version", &[("bogus", "1")]).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = api
        .form(
            Method::POST,
            "/nodes/pve1/qemu/112/config?cores=abc",
            &[("cores", "2")],
        )
        .await;
    assert_eq!(
        errors(code, &body)["cores"],
        "type check ('integer') failed - got 'abc'"
    );
    // A field without a value is `undef`: an optional one is as good as absent.
    let (code, body) = api.form(Method::GET, "/cluster/resources?type=", &[]).await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_outside_the_schema_are_501_and_counted() {
    let sim = sim(PveVersion::Pve8).await;
    let api = Api::new(&sim);
    let (code, body) = api.get("/nodes/pve1/bogus").await;
    assert_eq!(code, 501, "{body}");
    assert_eq!(
        body["message"],
        "Method 'GET /nodes/pve1/bogus' not implemented"
    );
    let (code, _) = api.delete("/version", &[]).await;
    assert_eq!(code, 501);
    // In the schema, but not simulated: 501 too, counted apart.
    let (code, _) = api.get("/nodes/pve1/dns").await;
    assert_eq!(code, 501);
    let f = sim.schema_figures();
    assert_eq!((f.judged, f.rejected, f.unsimulated), (3, 2, 1), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_is_checked_as_each_endpoints_permissions_say() {
    let sim = sim(PveVersion::Pve8).await;
    let api = Api::new(&sim);
    sim.set_privileges(Some(&["VM.Audit".to_owned()]));
    let (code, body) = api.get("/nodes/pve1/qemu/112/status/current").await;
    assert_eq!(code, 200, "{body}");
    for (method, path, what) in [
        (
            Method::POST,
            "/nodes/pve1/qemu/112/status/start",
            "/vms/112, VM.PowerMgmt",
        ),
        (Method::GET, "/pools/prod", "/pool/prod, Pool.Audit"),
        (Method::GET, "/cluster/status", "/, Sys.Audit"),
        (
            Method::GET,
            "/nodes/pve1/storage/local/content",
            "/storage/local, Datastore.Audit|Datastore.AllocateSpace",
        ),
        // Permissions come before the node: an unknown one is not looked up.
        (Method::GET, "/nodes/pve9/status", "/nodes/pve9, Sys.Audit"),
        (
            Method::POST,
            "/nodes/pve1/qemu/112/snapshot/base/rollback",
            "/vms/112, VM.Snapshot|VM.Snapshot.Rollback",
        ),
    ] {
        let (code, body) = api.form(method, path, &[]).await;
        assert_eq!(code, 403, "{path}: {body}");
        assert_eq!(
            body["message"],
            format!("Permission check failed ({what})\n")
        );
    }
    // The node comes before the parameters.
    let (code, body) = api.get("/nodes/nosuch/qemu/abc/config").await;
    assert_eq!(code, 500, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("hostname lookup 'nosuch' failed"),
        "{body}"
    );
    let f = sim.schema_figures();
    assert_eq!((f.denied, f.rejected), (6, 0), "{f:?}");
    // The default role is not checked.
    sim.set_privileges(None);
    let (code, body) = api.get("/cluster/status").await;
    assert_eq!(code, 200, "{body}");
}

/// A node's interfaces: any authenticated user may list them (`user => 'all'`), the
/// `type` each release's schema knows, the loopback never listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_networks_are_listed_by_kind_as_each_release_allows() {
    let names = |body: &Value| -> Vec<String> {
        let mut v: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["iface"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    for pve in [PveVersion::Pve8, PveVersion::Pve9] {
        let sim = sim(pve).await;
        let api = Api::new(&sim);
        sim.set_privileges(Some(&[]));
        let (code, body) = api.get("/nodes/pve3/network").await;
        assert_eq!(code, 200, "{body}");
        let all = names(&body);
        assert_eq!(all.len(), 9, "{all:?}");
        assert!(!all.contains(&"lo".to_owned()));
        let vmbr0 = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["iface"] == "vmbr0")
            .unwrap();
        assert_eq!(
            (&vmbr0["active"], &vmbr0["cidr"], &vmbr0["bridge_ports"]),
            (&json!(1), &json!("192.0.2.13/24"), &json!("eno1"))
        );
        let (_, body) = api.get("/nodes/pve3/network?type=any_bridge").await;
        assert_eq!(names(&body), ["vmbr0", "vmbr1", "vmbr2"]);
        let (_, body) = api.get("/nodes/pve3/network?type=bond").await;
        assert_eq!(names(&body), ["bond0"]);
        let (code, body) = api.get("/nodes/pve3/network?type=wifi").await;
        assert_eq!(code, 400, "{body}");
        // `fabric` came with PVE 9.
        let (code, body) = api.get("/nodes/pve3/network?type=fabric").await;
        match pve {
            PveVersion::Pve8 => assert_eq!(code, 400, "{body}"),
            PveVersion::Pve9 => assert_eq!((code, names(&body).len()), (200, 0), "{body}"),
        }
        let (code, _) = api.get("/nodes/pve9/network").await;
        assert_eq!(code, 500);
    }
}
