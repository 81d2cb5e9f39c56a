#!/usr/bin/env bash
# Installs fakepve, the third party's fake of the Proxmox VE 9 API that
# tests/tests/e2e/fakepve/ drives the real helper against, pinned and with its `crypto`
# extra (it makes the fake's TLS certificate), into a venv in the same cache directory
# as the MCP clients (tests/clients/install.sh):
#   $PVE_MCP_CLIENTS (default ${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci/clients)
#     fakepve/      venv with fakepve[crypto]
# Skipped when the venv's stamp names the pinned version; a half-done install has no
# stamp and is redone. Needs python3 (with venv). fakepve is AGPL-3.0: it runs as a
# separate process in the tests and none of its code is copied here.
set -euo pipefail

FAKEPVE=0.5.0

root=${PVE_MCP_CLIENTS:-${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci/clients}
dir=$root/fakepve
mkdir -p "$root"

if [[ -f "$dir/.pinned" && "$(cat "$dir/.pinned")" == "$FAKEPVE" ]]; then
  echo "fakepve: $FAKEPVE (cached)"
  exit 0
fi
rm -rf "${dir:?}"
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --disable-pip-version-check "fakepve[crypto]==$FAKEPVE"
printf '%s\n' "$FAKEPVE" >"$dir/.pinned"
echo "fakepve: $FAKEPVE installed"
