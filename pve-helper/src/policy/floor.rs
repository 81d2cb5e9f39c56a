//! The fixed floor: API endpoints that no policy can open, because they hand out a
//! shell, a console, credentials, or control of the cluster itself.

use pve_mcp_proto::{ApiMethod, ApiParams, ApiPath};

/// Console and tunnel endpoints of nodes and guests (any method).
const CONSOLE: &[&str] = &[
    "termproxy",
    "vncproxy",
    "spiceproxy",
    "vncwebsocket",
    "vncshell",
    "spiceshell",
    "mtunnel",
    "mtunnelwebsocket",
];

/// Guest-agent commands that run programs or move files inside a guest (any method).
const AGENT_SHELL: &[&str] = &[
    "exec",
    "exec-status",
    "file-read",
    "file-write",
    "set-user-password",
];

/// Parameters that inject host-level code or devices, refused on every write.
const FORBIDDEN_PARAMS: &[&str] = &["hookscript", "args"];

/// Paths the floor is known to cover, used by `check` to warn about broad patterns.
pub const EXAMPLES: &[(ApiMethod, &str)] = &[
    (ApiMethod::Post, "/nodes/x/termproxy"),
    (ApiMethod::Get, "/nodes/x/vncwebsocket"),
    (ApiMethod::Post, "/nodes/x/qemu/100/vncproxy"),
    (ApiMethod::Post, "/nodes/x/lxc/100/spiceproxy"),
    (ApiMethod::Post, "/nodes/x/execute"),
    (ApiMethod::Post, "/nodes/x/qemu/100/agent/exec"),
    (ApiMethod::Post, "/access/ticket"),
    (ApiMethod::Put, "/access/users/x"),
    (ApiMethod::Post, "/access/users/x/token/x"),
    (ApiMethod::Post, "/cluster/config/join"),
    (ApiMethod::Post, "/nodes/x/certificates/custom"),
];

/// Why the floor closes this call, or `None` if it does not.
pub fn floor_reason(method: ApiMethod, path: &ApiPath, params: &ApiParams) -> Option<String> {
    let segs: Vec<&str> = path.segments().collect();
    let write = method != ApiMethod::Get;
    let why = match segs.as_slice() {
        ["nodes", _, last] if CONSOLE.contains(last) => "node consoles and shells",
        ["nodes", _, "qemu" | "lxc", _, last] if CONSOLE.contains(last) => {
            "guest consoles and tunnels"
        }
        ["nodes", _, "execute"] => "running commands on a node through the API",
        ["nodes", _, "qemu", _, "agent", cmd] if AGENT_SHELL.contains(cmd) => {
            "guest agent commands that run programs, move files or set passwords"
        }
        ["access", "ticket" | "vncticket"] => "issuing login tickets",
        ["access", ..] if write => "changing users, tokens, roles or ACLs",
        ["cluster", "config", ..] if write => "joining or reconfiguring the cluster",
        ["nodes", _, "certificates", ..] if write => "replacing node certificates",
        _ if write => {
            let p = params
                .iter()
                .find(|(k, _)| FORBIDDEN_PARAMS.contains(&k.as_str()))?;
            return Some(format!(
                "setting parameter {:?} (host code or raw hypervisor arguments) is on the fixed floor",
                p.0.as_str()
            ));
        }
        _ => return None,
    };
    Some(format!("{why} can never be allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(m: ApiMethod, p: &str) -> bool {
        floor_reason(m, &ApiPath::parse(p).unwrap(), &ApiParams::default()).is_some()
    }

    #[test]
    fn floor_covers_examples_and_spares_reads() {
        for (m, p) in EXAMPLES {
            assert!(closed(*m, p), "{m} {p}");
        }
        assert!(closed(ApiMethod::Get, "/access/ticket"));
        assert!(!closed(ApiMethod::Get, "/access/users"));
        assert!(!closed(ApiMethod::Get, "/cluster/config/nodes"));
        assert!(!closed(ApiMethod::Post, "/nodes/x/qemu/100/status/start"));
        assert!(!closed(ApiMethod::Post, "/nodes/x/qemu/100/agent/ping"));
        assert!(!closed(ApiMethod::Get, "/nodes/x/status"));
    }

    #[test]
    fn floor_refuses_host_code_params() {
        let params: ApiParams =
            serde_json::from_str(r#"{"hookscript": "local:snippets/x.pl"}"#).unwrap();
        let path = ApiPath::parse("/nodes/x/qemu/100/config").unwrap();
        assert!(floor_reason(ApiMethod::Put, &path, &params).is_some());
        assert!(floor_reason(ApiMethod::Get, &path, &params).is_none());
    }
}
