//! Read-only questions to a VM's QEMU guest agent: ping, OS info, network interfaces,
//! through the VM's own node (resolved from the vmid). Containers have no agent. The
//! agent runs inside the guest, so everything it says is untrusted: names and
//! addresses are made one line and bounded, and lists are capped.

use super::guests::{guest_path, lookup};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::pve::sanitize;
use pve_mcp_proto::*;
use serde::Deserialize;

/// Most interfaces, and addresses per interface, returned.
const MAX_INTERFACES: usize = 64;
const MAX_ADDRESSES: usize = 32;

#[derive(Deserialize)]
struct Wrapped<T> {
    result: T,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawOs {
    name: String,
    pretty_name: String,
    version: String,
    kernel_release: String,
    machine: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawInterface {
    name: String,
    hardware_address: Option<String>,
    #[serde(default)]
    ip_addresses: Vec<RawAddress>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawAddress {
    ip_address: String,
    prefix: Option<u32>,
}

fn short(s: &str) -> String {
    sanitize(s).chars().take(128).collect()
}

fn interfaces(raw: Vec<RawInterface>) -> Vec<NetInterface> {
    raw.into_iter()
        .take(MAX_INTERFACES)
        .map(|i| NetInterface {
            name: short(&i.name),
            mac: i.hardware_address.map(|m| short(&m)),
            addresses: i
                .ip_addresses
                .into_iter()
                .take(MAX_ADDRESSES)
                .map(|a| match a.prefix {
                    Some(p) => format!("{}/{p}", short(&a.ip_address)),
                    None => short(&a.ip_address),
                })
                .collect(),
        })
        .collect()
}

pub async fn ask(svc: &Service, q: &AgentQuery) -> OpResult {
    let g = lookup(svc, q.vmid).await?;
    if g.guest_type == GuestType::Lxc {
        return Err(ErrorBody::new(
            ErrorKind::Invalid,
            format!(
                "guest {} is a container: containers have no QEMU guest agent",
                q.vmid
            ),
        ));
    }
    let base = format!("{}/agent", guest_path(&g));
    let mut answer = AgentAnswer {
        vmid: q.vmid,
        command: q.command,
        os: None,
        interfaces: Vec::new(),
    };
    match q.command {
        AgentCommand::Ping => {
            let path = format!("{base}/ping");
            svc.pve
                .call(ApiMethod::Post, &path, &ApiParams::default())
                .await
                .map_err(upstream_error)?;
        }
        AgentCommand::OsInfo => {
            let raw: Wrapped<RawOs> = svc
                .pve
                .get(&format!("{base}/get-osinfo"), &[])
                .await
                .map_err(upstream_error)?;
            let o = raw.result;
            answer.os = Some(GuestOs {
                name: short(&o.name),
                pretty_name: short(&o.pretty_name),
                version: short(&o.version),
                kernel_release: short(&o.kernel_release),
                machine: short(&o.machine),
            });
        }
        AgentCommand::Network => {
            let raw: Wrapped<Vec<RawInterface>> = svc
                .pve
                .get(&format!("{base}/network-get-interfaces"), &[])
                .await
                .map_err(upstream_error)?;
            answer.interfaces = interfaces(raw.result);
        }
    }
    Ok(Payload::Agent(answer))
}
