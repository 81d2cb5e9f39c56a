#!/usr/bin/env bash
# Installs the third-party MCP clients that tests/tests/e2e/clients/ drives, each
# pinned, into a cache directory reused between runs:
#   $PVE_MCP_CLIENTS (default ${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci/clients)
#     py-mcp1/      venv with the official Python SDK, 1.x line (initialize handshake)
#     py-mcp2/      venv with the official Python SDK, 2.x line (speaks 2026-07-28)
#     node22/       npm prefix with node@22 (the inspector 2.x needs Node >= 22)
#     inspector/    npm prefix with @modelcontextprotocol/inspector (its CLI)
# Each install is skipped when its stamp names the pinned version; a half-done
# install has no stamp and is redone. Needs python3 (with venv) and npm.
set -euo pipefail

PY_MCP1=1.30.0
PY_MCP2=2.3.0
NODE22=22.23.3
INSPECTOR=2.12.0

root=${PVE_MCP_CLIENTS:-${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci/clients}
mkdir -p "$root"

installed() { [[ -f "$root/$1/.pinned" && "$(cat "$root/$1/.pinned")" == "$2" ]]; }
stamp() { printf '%s\n' "$2" >"$root/$1/.pinned"; }

venv() { # NAME VERSION
  installed "$1" "$2" && { echo "$1: mcp $2 (cached)"; return; }
  rm -rf "${root:?}/$1"
  python3 -m venv "$root/$1"
  "$root/$1/bin/pip" install --quiet --disable-pip-version-check "mcp==$2"
  stamp "$1" "$2"
  echo "$1: mcp $2 installed"
}

npm_prefix() { # NAME SPEC VERSION
  installed "$1" "$3" && { echo "$1: $2 (cached)"; return; }
  rm -rf "${root:?}/$1"
  mkdir -p "$root/$1"
  npm install --silent --no-audit --no-fund --prefix "$root/$1" "$2"
  stamp "$1" "$3"
  echo "$1: $2 installed"
}

venv py-mcp1 "$PY_MCP1"
venv py-mcp2 "$PY_MCP2"
npm_prefix node22 "node@$NODE22" "$NODE22"
npm_prefix inspector "@modelcontextprotocol/inspector@$INSPECTOR" "$INSPECTOR"
