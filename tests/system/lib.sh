# Shared by the system tests (sourced): step output, the cached debootstrap tree,
# running commands in a chroot through systemd-nspawn, and cleanup on exit.
# Needs root, debootstrap and systemd-container.

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${PVE_MCP_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pve-mcp-ci}
SUITE=${PVE_MCP_SUITE:-bookworm}
MIRROR=${PVE_MCP_MIRROR:-http://deb.debian.org/debian}
# What a Proxmox VE node has that the package relies on, and nothing else.
BASE_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,adduser,procps

say() { printf '  %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
check() { # check DESCRIPTION COMMAND...: runs the command, reports, fails the test
    local what=$1; shift
    if "$@"; then say "ok: $what"; else fail "$what"; fi
}

_cleanups=()
on_exit() { _cleanups+=("$1"); }
_run_cleanups() {
    local rc=$? i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" || true; done
    exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# The target dir cargo uses for this workspace.
target_dir() {
    cargo metadata --quiet --format-version 1 --no-deps --locked \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# nspawn wants /run/systemd/nspawn, and a host without systemd as init has none.
prepare_nspawn() {
    if ! mountpoint -q /run/systemd/nspawn; then
        mkdir -p /run/systemd/nspawn
        mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
    fi
}

# Prints the path of a pristine Debian tree, made once per suite and package list.
base_tree() {
    local key tree
    key=$(printf '%s\n' "$SUITE" "$BASE_PACKAGES" "$(dpkg-query -W -f='${Version}' debootstrap)" \
        | sha256sum | cut -c1-12)
    tree="$CACHE_DIR/debootstrap-$SUITE-$key"
    if [ ! -f "$tree/.complete" ]; then
        say "debootstrap $SUITE into $tree (cached for the next runs)" >&2
        rm -rf "$tree" "$tree.tmp"
        mkdir -p "$CACHE_DIR"
        debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$tree.tmp" "$MIRROR" \
            >"$CACHE_DIR/debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; return 1; }
        # Keep the tree small and quiet: no apt lists, no generated machine id.
        rm -rf "$tree.tmp"/var/lib/apt/lists/* "$tree.tmp"/var/cache/apt/*.bin
        : >"$tree.tmp/etc/machine-id"
        touch "$tree.tmp/.complete"
        mv "$tree.tmp" "$tree"
        # Older trees of this suite (other package lists) are stale.
        find "$CACHE_DIR" -maxdepth 1 -name "debootstrap-$SUITE-*" ! -name "${tree##*/}" \
            -exec rm -rf {} + 2>/dev/null || true
    fi
    printf '%s\n' "$tree"
}

# A fresh copy of the base tree in a new directory under $1; prints its path.
fresh_tree() {
    local base dir
    base=$(base_tree)
    dir=$(mktemp -d "$1/root.XXXXXX")
    cp -a "$base/." "$dir/"
    printf '%s\n' "$dir"
}

# in_tree ROOT COMMAND...: runs a command in the (not booted) tree.
in_tree() {
    local root=$1; shift
    systemd-nspawn --quiet --register=no --keep-unit --directory="$root" --pipe \
        --setenv=DEBIAN_FRONTEND=noninteractive --setenv=LC_ALL=C -- "$@"
}
