//! The QEMU guest agent endpoints pve-mcp reads, as `PVE::API2::Qemu::Agent` answers
//! them: `POST .../agent/ping`, `GET .../agent/get-osinfo` and `GET
//! .../agent/network-get-interfaces`, each `{"result": ...}`. A VM without `agent: 1`
//! fails with "No QEMU guest agent configured", a stopped one with "VM {vmid} is not
//! running", one whose agent does not answer (paused, or installed from an ISO) with
//! "QEMU guest agent is not running" (all HTTP 500, checked in that order, as PVE does).
//! `exec` and `exec-status` are in [`super::agent_exec`].

use serde_json::{Value, json};

use crate::sim::cluster::state::Guest;
use crate::sim::errors::ApiError;

/// Which agent command a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentCommand {
    Ping,
    OsInfo,
    Interfaces,
}

impl AgentCommand {
    /// The command of `METHOD .../agent/{name}`, if the simulator has it.
    pub fn parse(method: &str, name: &str) -> Option<AgentCommand> {
        match (method, name) {
            ("POST", "ping") => Some(AgentCommand::Ping),
            ("GET", "get-osinfo") => Some(AgentCommand::OsInfo),
            ("GET", "network-get-interfaces") => Some(AgentCommand::Interfaces),
            _ => None,
        }
    }
}

pub fn answer(g: &Guest, cmd: AgentCommand) -> Result<Value, ApiError> {
    if !g.agent_enabled() {
        return Err(ApiError::Internal("No QEMU guest agent configured".into()));
    }
    if !g.is_running() {
        return Err(ApiError::Internal(format!(
            "VM {} is not running",
            g.seed.vmid
        )));
    }
    if !g.agent_installed || g.power == crate::sim::cluster::dataset::PowerState::Paused {
        return Err(ApiError::Internal("QEMU guest agent is not running".into()));
    }
    let result = match cmd {
        AgentCommand::Ping => json!({}),
        AgentCommand::OsInfo => json!({
            "id": "debian", "name": "Debian GNU/Linux",
            "pretty-name": "Debian GNU/Linux 12 (bookworm)",
            "version": "12 (bookworm)", "version-id": "12",
            "kernel-release": "6.1.0-28-amd64",
            "kernel-version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
            "machine": "x86_64",
        }),
        AgentCommand::Interfaces => {
            let v = g.seed.vmid;
            json!([
                {"name": "lo", "hardware-address": "00:00:00:00:00:00",
                 "ip-addresses": [
                    {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8},
                    {"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128}],
                 "statistics": {"rx-bytes": 1234, "tx-bytes": 1234}},
                {"name": "eth0",
                 "hardware-address": format!("bc:24:11:{:02x}:{:02x}:{:02x}",
                    (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff),
                 "ip-addresses": [
                    {"ip-address": format!("10.20.{}.{}", v / 250 % 250, v % 250 + 1),
                     "ip-address-type": "ipv4", "prefix": 16},
                    {"ip-address": format!("fe80::be24:11ff:fe{:02x}:{:02x}{:02x}",
                        (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff),
                     "ip-address-type": "ipv6", "prefix": 64}],
                 "statistics": {"rx-bytes": 987_654, "tx-bytes": 456_789}},
            ])
        }
    };
    Ok(json!({ "result": result }))
}
