//! The helper's Proxmox identity, made on fakepve as `pve-helper setup` makes it on a
//! node: the privileges come from the real `required_privileges(policy)`, and the five
//! `pveum` commands of setup's plan (user, role, ACL for the user, privilege-separated
//! token, ACL for the token) are sent as the API calls `pveum` makes, as root.

use super::{api::Api, fake::Fake};
use pve_helper::{
    paths::{PVE_ROLE, PVE_TOKEN_NAME, PVE_USER},
    policy::Policy,
    setup::{Release, required_privileges},
};
use serde_json::{Value, json};
use std::path::Path;

/// One API call: method, path and form parameters.
type Call<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// The release fakepve reports in `/version`, read as setup reads a node's.
pub async fn release(root: &Api) -> Release {
    let version = root.get("/version").await;
    let version = version["version"].as_str().unwrap_or_default();
    Release::from_version(version).unwrap_or_else(|| panic!("a supported release: {version}"))
}

/// The privileges `pve-helper setup` puts in the helper's role for `policy` on `release`.
pub fn privileges(policy: &str, release: Release) -> Vec<String> {
    let (policy, _) = Policy::parse(policy, Path::new("policy.toml")).expect("the policy parses");
    required_privileges(&policy, release)
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Every privilege PVE 9 knows: what root holds on `/`.
pub async fn known_privileges(root: &Api) -> Vec<String> {
    let held = root.get_with("/access/permissions", &[("path", "/")]).await;
    held["/"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Creates the identity holding exactly `privileges` on `/`; returns the token line the
/// helper reads (`USER!ID=SECRET`).
pub async fn create(fake: &mut Fake, root: &Api, privileges: &[String]) -> String {
    let token_id = format!("{PVE_USER}!{PVE_TOKEN_NAME}");
    let privs = privileges.join(",");
    let token_path = format!("/access/users/{PVE_USER}/token/{PVE_TOKEN_NAME}");
    let calls: [Call; 5] = [
        (
            "POST",
            "/access/users",
            vec![
                ("userid", PVE_USER),
                ("comment", "pve-mcp helper (managed by pve-helper setup)"),
            ],
        ),
        (
            "POST",
            "/access/roles",
            vec![("roleid", PVE_ROLE), ("privs", &privs)],
        ),
        (
            "PUT",
            "/access/acl",
            vec![("path", "/"), ("users", PVE_USER), ("roles", PVE_ROLE)],
        ),
        (
            "POST",
            &token_path,
            vec![("privsep", "1"), ("comment", "pve-mcp helper")],
        ),
        (
            "PUT",
            "/access/acl",
            vec![("path", "/"), ("tokens", &token_id), ("roles", PVE_ROLE)],
        ),
    ];
    let mut answered = Value::Null;
    for (method, path, params) in &calls {
        let (status, body) = root.call(method, path, params).await;
        assert_eq!(status, 200, "{method} {path} {params:?}: {body}");
        if path.contains("/token/") {
            answered = body["data"].clone();
        }
    }
    // fakepve gap: /access writes keep no state, and the new token's id and secret
    // read "fake". When fakepve starts keeping them, use its answer instead of the
    // launcher's mirror.
    assert_eq!(
        answered,
        json!({"full-tokenid": "fake", "info": {"comment": "pve-mcp helper", "privsep": 1}, "value": "fake"}),
        "fakepve now answers a real token: use it"
    );
    let users = root.get("/access/users").await;
    assert!(
        !users.to_string().contains(PVE_USER),
        "fakepve now keeps users: drop the mirror ({users})"
    );
    let mirrored = fake.command(json!({"op": "mirror-access"})).await;
    let wanted: Vec<Value> = [PVE_USER, token_id.as_str()]
        .iter()
        .map(|who| json!([who, "/", privileges]))
        .collect();
    assert_eq!(mirrored["grants"], json!(wanted), "{mirrored}");
    let secret = mirrored["tokens"][&token_id]
        .as_str()
        .unwrap_or_else(|| panic!("the token is mirrored: {mirrored}"));
    format!("{token_id}={secret}")
}
