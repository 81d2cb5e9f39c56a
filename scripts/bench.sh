#!/bin/sh
# Benchmark pve-mcp against the simulator with release binaries (LTO: the first build
# takes a few minutes). Arguments go to pve-bench, e.g.
#   scripts/bench.sh --guests 300,3000,30000 --rounds 200 --sessions 10 [--json]
set -eu
cd "$(dirname "$0")/.."
cargo build --release --locked -p pve-helper -p mcp-front -p pve-mcp-tests --bins >&2
exec target/release/pve-bench "$@"
