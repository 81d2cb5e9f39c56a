#!/usr/bin/env bash
# System tests of the Debian package, as .ci/run runs them (root, Debian host):
#   1. build the .deb (release, LTO) and lint it,
#   2. score the unit with systemd-analyze security,
#   3. install, upgrade and purge it in a debootstrap tree,
#   4. boot that tree under systemd-nspawn: setup, service, reload, MCP and ssh;
# 3 and 4 for each suite of $PVE_MCP_SUITES (default: bookworm trixie).
# Installs what it needs (Debian packages, a pinned cargo-deb). The debootstrap tree
# is cached in ${XDG_CACHE_HOME:-~/.cache}/pve-mcp-ci/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT_DIR"

CARGO_DEB_VERSION=3.8.0
passed=0
part() { printf -- '--- %s (%(%T)T)\n' "$*" -1; SECONDS=0; }
done_part() { passed=$((passed + 1)); say "($SECONDS s)"; }

part "tools"
need=()
for pkg in debootstrap systemd-container lintian openssh-client python3 dpkg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    say "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
    say "cargo install cargo-deb $CARGO_DEB_VERSION"
    cargo install --quiet --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi
out="$(target_dir)/system-test"
rm -rf "$out"
say "($SECONDS s)"

part "build and lint the package"
deb=$(tests/system/build-deb.sh --output "$out" | tail -1)
version=$(dpkg-deb -f "$deb" Version)
upgrade=$(tests/system/build-deb.sh --output "$out" --deb-version "$version+systest1" | tail -1)
say "ok: $(basename "$deb"): lintian clean ($(dpkg-deb -f "$deb" Installed-Size) KiB installed)"
done_part

part "systemd-analyze security --offline=true pve-mcp-helper.service"
systemd-analyze security --offline=true debian/pve-mcp-helper.service --no-pager >"$out/security.txt" 2>&1 || true
grep -v '^✓' "$out/security.txt" | sed 's/^/    /'
score=$(sed -n 's/.*Overall exposure level for pve-mcp-helper.service: \([0-9.]*\).*/\1/p' "$out/security.txt")
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || fail "exposure ${score:-unknown} is above 2.0"
say "ok: exposure $score (at most 2.0)"
done_part

# Proxmox VE 8 is based on bookworm, 9 on trixie.
cargo build --locked --quiet -p pve-mcp-tests --bin pve-sim
for suite in ${PVE_MCP_SUITES:-bookworm trixie}; do
    part "$suite: install, upgrade, purge in a clean tree"
    PVE_MCP_SUITE=$suite tests/system/package.sh "$deb" "$upgrade"
    done_part

    part "$suite: boot under systemd-nspawn: setup, service, reload, MCP, ssh"
    PVE_MCP_SUITE=$suite tests/system/boot.sh "$deb" "$(target_dir)/debug/pve-sim"
    done_part
done

echo "system-tests: $passed passed, 0 failed"
