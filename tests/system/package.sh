#!/usr/bin/env bash
# Installs the .deb in a clean Debian tree (debootstrap, cached) and checks what an
# admin relies on: accounts, files, owners and modes, the shipped policy, the sshd
# drop-in as sshd reads it; then an upgrade keeps an edited conffile, and purge
# leaves nothing of the package behind.
#   tests/system/package.sh PACKAGE.deb UPGRADE.deb
set -euo pipefail
. "$(dirname "$0")/lib.sh"
deb=$(realpath "$1")
upgrade_deb=$(realpath "$2")
prepare_nspawn

work=$(mktemp -d "${TMPDIR:-/tmp}/pve-mcp-package.XXXXXX")
on_exit "rm -rf '$work'"
root=$(fresh_tree "$work")
t() { in_tree "$root" "$@"; }

# What the tree holds before: purge must bring it back to this.
snapshot() {
    t sh -c 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
        -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/log -o -path /var/cache \
        -o -path /etc/ld.so.cache -o -path /etc/.pwd.lock -o -name "*-" \) -prune \
        -o -printf "%p %u:%g %m\n" | LC_ALL=C sort;
        cat /etc/passwd /etc/group /etc/shadow /etc/gshadow; dpkg-statoverride --list'
}
snapshot >"$work/before"

mkdir -p "$root/root/debs"; cp "$deb" "$upgrade_deb" "$root/root/debs/"
say "dpkg -i $(basename "$deb")"
t dpkg -i "/root/debs/$(basename "$deb")" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
t apt-get -f install -y -qq --no-download >/dev/null 2>&1 || true
[ "$(t dpkg-query -W -f='${Status}' pve-mcp)" = "install ok installed" ] || fail "not installed"
say "ok: the package is installed"
grep -q "now run 'pve-helper setup'" "$work/install.log" || fail "postinst does not point to setup"

# Accounts.
entry() { t getent "$1" "$2"; }
[ "$(entry passwd pve-mcp | cut -d: -f6,7)" = /nonexistent:/usr/sbin/nologin ] \
    || fail "pve-mcp: $(entry passwd pve-mcp)"
say "ok: pve-mcp is a system user without home or shell"
uid=$(entry passwd pve-mcp | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "pve-mcp uid $uid is not a system uid"
[ "$(entry passwd claude-user | cut -d: -f6,7)" = /var/lib/pve-mcp/claude-user:/bin/sh ] \
    || fail "claude-user: $(entry passwd claude-user)"
say "ok: claude-user logs in to /var/lib/pve-mcp/claude-user with /bin/sh (for ForceCommand)"
t id -nG claude-user | tr ' ' '\n' | grep -qx pve-mcp-clients || fail "claude-user is not in pve-mcp-clients"
! t id -nG pve-mcp | tr ' ' '\n' | grep -qx pve-mcp-clients || fail "pve-mcp is in pve-mcp-clients"
say "ok: claude-user is in pve-mcp-clients; pve-mcp is not (the unit adds it)"
[ "$(t passwd -S claude-user | cut -d' ' -f2)" = L ] || fail "claude-user's password is usable"
[ "$(t getent shadow claude-user | cut -d: -f2)" = '*' ] || fail "claude-user's password field is not *"
say "ok: claude-user's password is locked (*): keys only"

# Files, owners, modes: "path owner:group mode".
expect_stat() {
    local got
    got=$(t stat -c '%U:%G %a' "$1") || fail "$1 is missing"
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
while read -r path want; do expect_stat "$path" "$want"; done <<'LIST'
/usr/sbin/pve-helper root:root 755
/usr/bin/mcp-front root:root 755
/etc/pve-mcp root:pve-mcp 750
/etc/pve-mcp/helper.toml root:pve-mcp 640
/etc/pve-mcp/policy.toml root:pve-mcp 640
/etc/pve-mcp/clients.d root:root 755
/etc/ssh/sshd_config.d/pve-mcp.conf root:root 644
/usr/lib/systemd/system/pve-mcp-helper.service root:root 644
/var/lib/pve-mcp root:root 755
/var/lib/pve-mcp/claude-user claude-user:claude-user 750
/var/lib/pve-mcp/claude-user/.ssh claude-user:claude-user 700
/var/lib/pve-mcp/claude-user/.ssh/authorized_keys claude-user:claude-user 600
/usr/share/man/man8/pve-helper.8.gz root:root 644
/usr/share/man/man1/mcp-front.1.gz root:root 644
/usr/share/man/man5/pve-mcp-policy.5.gz root:root 644
LIST
say "ok: files, owners and modes as designed"
conffiles=$(t dpkg-query -W -f='${Conffiles}\n' pve-mcp | awk 'NF {print $1}' | sort | tr '\n' ' ')
[ "$conffiles" = "/etc/pve-mcp/helper.toml /etc/pve-mcp/policy.toml /etc/ssh/sshd_config.d/pve-mcp.conf " ] \
    || fail "conffiles: $conffiles"
say "ok: conffiles: $conffiles"
check "dpkg --verify finds every file intact" t dpkg --verify pve-mcp
[ -L "$root/etc/systemd/system/multi-user.target.wants/pve-mcp-helper.service" ] \
    || fail "the unit is not enabled"
say "ok: pve-mcp-helper.service is enabled (it starts once setup stored the token)"

# The shipped policy, as the helper's user would read it.
t setpriv --reuid=pve-mcp --regid=pve-mcp --init-groups pve-helper check >"$work/check.log" 2>&1 \
    || { cat "$work/check.log"; fail "pve-helper check on the shipped policy"; }
say "ok: pve-helper check, as pve-mcp: $(head -1 "$work/check.log")"
! t setpriv --reuid=claude-user --regid=claude-user --init-groups cat /etc/pve-mcp/helper.toml \
    >/dev/null 2>&1 || fail "claude-user can read helper.toml"
say "ok: claude-user cannot read /etc/pve-mcp"

# The sshd drop-in as sshd applies it, for claude-user and for anyone else.
check "sshd -t accepts the configuration" t sh -c 'mkdir -p /run/sshd && sshd -t'
sshd_for() {
    t sh -c 'mkdir -p /run/sshd && sshd -T -C "user=$0,host=ws.example.org,addr=192.0.2.10"' "$1" \
        | tr 'A-Z' 'a-z'
}
claude=$(sshd_for claude-user)
for kv in "forcecommand /usr/bin/mcp-front" "permittty no" "disableforwarding yes" \
    "allowtcpforwarding no" "allowagentforwarding no" "allowstreamlocalforwarding no" \
    "x11forwarding no" "permittunnel no" "passwordauthentication no" \
    "kbdinteractiveauthentication no" "authenticationmethods publickey" "permitopen none"; do
    grep -qx "$kv" <<<"$claude" || fail "sshd for claude-user lacks '$kv'"
done
say "ok: sshd gives claude-user mcp-front only: no tty, no forwarding, keys only"
others=$(sshd_for root)
grep -qx "forcecommand none" <<<"$others" || fail "the drop-in leaks to other users"
grep -qx "x11forwarding yes" <<<"$others" || fail "the drop-in changed other users' X11Forwarding"
say "ok: other users' sshd settings are untouched"

# Upgrade over itself, then to a newer version, with an edited conffile.
echo "# edited by the admin" >>"$root/etc/pve-mcp/policy.toml"
t dpkg -i "/root/debs/$(basename "$deb")" >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log"; fail "reinstall"; }
t dpkg -i "/root/debs/$(basename "$upgrade_deb")" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrade"; }
grep -q "# edited by the admin" "$root/etc/pve-mcp/policy.toml" || fail "the upgrade lost the admin's edit"
expect_stat /etc/pve-mcp/policy.toml "root:pve-mcp 640"
[ "$(t dpkg-query -W -f='${Version}' pve-mcp)" = "$(dpkg-deb -f "$upgrade_deb" Version)" ] || fail "not upgraded"
say "ok: reinstall and upgrade to $(dpkg-deb -f "$upgrade_deb" Version) keep the edited policy.toml (root:pve-mcp 640)"
[ "$(t id -u pve-mcp)" = "$uid" ] || fail "the upgrade changed pve-mcp's uid"
say "ok: the upgrade keeps the accounts"

# Remove keeps configuration; purge removes everything of ours, and only that.
t dpkg --remove pve-mcp >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "remove"; }
[ -f "$root/etc/pve-mcp/policy.toml" ] || fail "remove deleted the configuration"
say "ok: remove keeps /etc/pve-mcp"
echo "mcp@pve!mcp=not-a-secret" >"$root/etc/pve-mcp/token"    # as setup would have
t dpkg --purge pve-mcp >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
t rm -rf /root/debs
snapshot >"$work/after"
if ! diff -u "$work/before" "$work/after" >"$work/diff"; then
    cat "$work/diff"
    fail "purge left traces"
fi
say "ok: purge leaves the tree as before the install (files, modes, accounts, stat overrides)"
