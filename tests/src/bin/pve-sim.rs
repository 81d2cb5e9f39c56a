//! `pve-sim`: runs a simulated Proxmox VE cluster; see `pve_mcp_tests::sim::cli`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    pve_mcp_tests::sim::cli::main()
}
