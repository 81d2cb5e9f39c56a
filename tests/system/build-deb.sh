#!/usr/bin/env bash
# Builds the pve-mcp .deb (release build with LTO, both binaries), adds the md5sums
# cargo-deb leaves out, and lints it: lintian must report no error and no warning
# (justified overrides live in debian/lintian-overrides). Prints the .deb's path last.
#   tests/system/build-deb.sh [--deb-version VERSION] [--output DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT_DIR"

deb_args=()
outdir=
while [ $# -gt 0 ]; do
    case "$1" in
        --deb-version) deb_args=(--deb-version "$2"); shift 2 ;;
        --output) outdir=$2; shift 2 ;;
        *) fail "unknown argument $1" ;;
    esac
done

say "cargo build --release (pve-helper, mcp-front)" >&2
cargo build --release --locked --quiet -p pve-helper -p mcp-front
out=$(cargo deb -p pve-helper --no-build --locked --quiet "${deb_args[@]}" 2>/dev/null | tail -1)
[ -f "$out" ] || fail "cargo deb did not produce a package"

# md5sums, so that `dpkg --verify pve-mcp` and debsums can check the installed files.
work=$(mktemp -d)
on_exit "rm -rf '$work'"
dpkg-deb -R "$out" "$work/pkg"
(cd "$work/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' \
    | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$work/pkg/DEBIAN/md5sums"
if [ -n "$outdir" ]; then
    mkdir -p "$outdir"
    rm -f "$out"
    out="$(realpath "$outdir")/$(basename "$out")"
fi
dpkg-deb --root-owner-group -Zxz --build "$work/pkg" "$out" >/dev/null

say "lintian $(basename "$out")" >&2
lintian --fail-on error,warning --display-info "$out" >&2 || fail "lintian found errors or warnings"
printf '%s\n' "$out"
