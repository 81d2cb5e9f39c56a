//! `pve-demo`: the README's no-Proxmox demo; see `pve_mcp_tests::demo`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    pve_mcp_tests::demo::main()
}
