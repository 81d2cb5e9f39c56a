#!/bin/sh
# The README's no-Proxmox demo: builds pve-helper, mcp-front and the demo, then runs
# a short MCP session against a simulated Proxmox VE cluster. `--serve` keeps the
# cluster running for Claude Code until Ctrl-C. Needs only a Rust toolchain.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
echo "building pve-helper, mcp-front and pve-demo (minutes the first time)..." >&2
cargo build --quiet --locked --workspace --bins
target_dir=$(cargo metadata --quiet --format-version 1 --no-deps --locked \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
exec "${target_dir:-$root/target}/debug/pve-demo" "$@"
