#!/usr/bin/env bash
# Boots a Debian tree with the package installed under real systemd
# (systemd-nspawn --boot), next to a simulated Proxmox VE cluster on the host's
# loopback, and checks the admin's whole flow: `pve-helper setup` (with a stand-in
# pveum), the hardened service (user, capabilities, socket), `pve-helper status`,
# `systemctl reload`, an MCP session as claude-user, and real OpenSSH: an MCP
# session over `ssh claude-user@127.0.0.1`, while a shell, forwarding and a tty are
# refused. A second client, ci-bot, has a policy of its own (clients.d/ci-bot.toml):
# setup creates and confines its account, and it sees only its own guests. Shuts the container down cleanly; leaves nothing running.
#   tests/system/boot.sh PACKAGE.deb PVE_SIM_BINARY
set -euo pipefail
. "$(dirname "$0")/lib.sh"
deb=$(realpath "$1")
pve_sim=$(realpath "$2")
probe="$ROOT_DIR/tests/system/mcp_probe.py"
prepare_nspawn

work=$(mktemp -d "${TMPDIR:-/tmp}/pve-mcp-boot.XXXXXX")
on_exit "rm -rf '$work'"
root=$(fresh_tree "$work")

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
port_free() {
    python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# The simulator on the host's loopback; it exits when this script's fd 8 closes.
sim_port=8006
port_free "$sim_port" || sim_port=$(free_port)
token="mcp@pve!mcp=$(cat /proc/sys/kernel/random/uuid)"
mkfifo "$work/sim.in"
"$pve_sim" --port "$sim_port" --token "$token" --cert-out "$work/sim.pem" --exit-on-stdin-eof \
    <"$work/sim.in" >"$work/sim.json" 2>"$work/sim.log" &
sim_pid=$!
exec 8>"$work/sim.in"
on_exit "exec 8>&-; wait $sim_pid 2>/dev/null"
for _ in $(seq 100); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
[ -s "$work/sim.json" ] || { cat "$work/sim.log"; fail "pve-sim did not start"; }
say "pve-sim on 127.0.0.1:$sim_port"

# Install, and prepare what a PVE node would have: pveum (a stand-in that hands out
# the simulator's token), pveproxy's certificate, and the assistant's public key.
mkdir -p "$root/root/debs" && cp "$deb" "$root/root/debs/"
in_tree "$root" dpkg -i "/root/debs/$(basename "$deb")" >"$work/install.log" 2>&1 \
    || { cat "$work/install.log"; fail "dpkg -i"; }
secret=${token#*=}
cat >"$root/usr/local/sbin/pveum" <<PVEUM
#!/bin/sh
echo "pveum \$*" >>/root/pveum.log
case "\$1 \$2 \$3" in
  "user token add") echo '{"full-tokenid":"mcp@pve!mcp","info":{"privsep":"1"},"value":"$secret"}' ;;
  *" list"*|*"list "*) echo '[]' ;;
esac
PVEUM
chmod 755 "$root/usr/local/sbin/pveum"
cp "$work/sim.pem" "$root/root/pveproxy-ssl.pem"
if [ "$sim_port" != 8006 ]; then
    sed -i "s|^url = \"https://127.0.0.1:8006\"|url = \"https://127.0.0.1:$sim_port\"|" "$root/etc/pve-mcp/helper.toml"
fi
ssh_port=$(free_port)
printf 'Port %s\nListenAddress 127.0.0.1\n' "$ssh_port" >"$root/etc/ssh/sshd_config.d/00-system-test.conf"
ssh-keygen -q -t ed25519 -N '' -C assistant@workstation -f "$work/key"
cp "$work/key.pub" "$root/root/assistant.pub"
ssh-keygen -q -t ed25519 -N '' -C ci@runner -f "$work/ci-key"
cp "$work/ci-key.pub" "$root/root/ci.pub"
# The CI bot's own policy: guests 110-114, start and stop.
install -d -m 0755 "$root/etc/pve-mcp/clients.d"
printf '[guests]\nallow = ["110-114"]\nactions = ["start", "stop"]\n' >"$root/etc/pve-mcp/clients.d/ci-bot.toml"
chmod 0644 "$root/etc/pve-mcp/clients.d/ci-bot.toml"

# Boot.
machine=pve-mcp-test-$$
systemd-nspawn --quiet --boot --register=no --keep-unit --console=passive \
    --directory="$root" --machine="$machine" </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
on_exit "stop_container"
stop_container() {    # poweroff (nspawn turns SIGTERM into it), then force
    if kill -0 "$nspawn_pid" 2>/dev/null; then
        kill -TERM "$nspawn_pid"
        for _ in $(seq 300); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            say "the container did not power off in 30 s; killing it" >&2
            # Killing the init of the container's PID namespace kills all of it.
            [ -n "$init" ] && kill -KILL "$init" 2>/dev/null
            kill -KILL "$nspawn_pid" 2>/dev/null
        fi
    fi
    wait "$nspawn_pid" 2>/dev/null || true
}
init=
for _ in $(seq 200); do    # the child is nspawn itself until it execs systemd
    init=$(pgrep -P "$nspawn_pid" -x systemd | head -1 || true)
    [ -n "$init" ] && break
    sleep 0.1
done
[ -n "$init" ] || { cat "$work/console.log"; fail "the container did not start"; }
ct() {
    nsenter -t "$init" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 "$@"
}
state=
for _ in $(seq 180); do
    state=$(nsenter -t "$init" -a systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded|maintenance|stopping|offline) break ;; esac
    sleep 0.5
done
[ "$state" = running ] || { ct systemctl --failed --no-pager || true; fail "the container is $state"; }
say "ok: container booted (systemd $(ct systemctl --version | head -1 | cut -d' ' -f2)), system running"
[ "$(ct systemctl is-active pve-mcp-helper.service || true)" = inactive ] \
    || fail "the helper runs before setup"
ct systemctl show -P ConditionResult pve-mcp-helper.service | grep -qx no \
    || fail "the helper was not skipped for lack of a token"
say "ok: before setup, the helper is skipped (no token), not failed"

# Setup, as the admin runs it.
ct pve-helper setup --pve-cert /root/pveproxy-ssl.pem --ssh-key /root/assistant.pub \
    --host pve-test >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "pve-helper setup"; }
sed 's/^/    | /' "$work/setup.log"
grep -q "claude mcp add proxmox -- ssh claude-user@pve-test" "$work/setup.log" || fail "no claude mcp add line"
ct grep -q "user token add mcp@pve mcp --privsep 1" /root/pveum.log || fail "setup made no token"
[ "$(ct stat -c '%U:%G %a' /etc/pve-mcp/token)" = "root:root 600" ] || fail "token file mode"
[ "$(ct systemctl is-active pve-mcp-helper.service)" = active ] || {
    ct journalctl -u pve-mcp-helper --no-pager | tail -20; fail "the helper is not active"; }
say "ok: setup stored the token (root 0600), pinned the certificate, started the helper"
ct pve-helper setup --pve-cert /root/pveproxy-ssl.pem --no-start >"$work/setup2.log" 2>&1 \
    || { cat "$work/setup2.log"; fail "second setup"; }
grep -q "already pins" "$work/setup2.log" || fail "the second setup changed the pin"
say "ok: a second setup changes nothing"

# The second client: setup made its account like claude-user's and confined it.
[ "$(ct getent passwd ci-bot | cut -d: -f6,7)" = /var/lib/pve-mcp/ci-bot:/bin/sh ] \
    || fail "ci-bot: $(ct getent passwd ci-bot)"
ct id -nG ci-bot | tr ' ' '\n' | grep -qx pve-mcp-clients || fail "ci-bot is not in pve-mcp-clients"
[ "$(ct getent shadow ci-bot | cut -d: -f2)" = '*' ] || fail "ci-bot's password field is not *"
ci_sshd=$(ct sshd -T -C user=ci-bot,host=localhost,addr=127.0.0.1)
for kv in "forcecommand /usr/bin/mcp-front" "permittty no" "disableforwarding yes" \
    "authenticationmethods publickey"; do
    grep -qix "$kv" <<<"$ci_sshd" || fail "sshd does not give ci-bot: $kv"
done
ct pve-helper setup --pve-cert /root/pveproxy-ssl.pem --no-start --ssh-key /root/ci.pub --client ci-bot \
    >"$work/setup3.log" 2>&1 || { cat "$work/setup3.log"; fail "setup --ssh-key --client ci-bot"; }
ci_key=$(cut -d' ' -f2 "$work/ci-key.pub")
ct grep -qF "$ci_key" /var/lib/pve-mcp/ci-bot/.ssh/authorized_keys || fail "ci-bot's key is not in"
! ct grep -qF "$ci_key" /var/lib/pve-mcp/claude-user/.ssh/authorized_keys || fail "ci-bot's key went to claude-user"
say "ok: setup created ci-bot (keys only, in pve-mcp-clients), confined it in sshd, added its key"

# The service: its user, capabilities, sandbox, socket.
pid=$(ct systemctl show -P MainPID pve-mcp-helper.service)
status=$(ct cat "/proc/$pid/status")
uid=$(ct id -u pve-mcp)
grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" <<<"$status" || fail "the helper does not run as pve-mcp"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    grep -qE "^$cap:\s+0000000000000000$" <<<"$status" || fail "$(grep "^$cap" <<<"$status")"
done
grep -qE "^NoNewPrivs:\s+1$" <<<"$status" || fail "no_new_privs is not set"
grep -qE "^Seccomp:\s+2$" <<<"$status" || fail "no seccomp filter"
say "ok: the helper runs as pve-mcp (uid $uid) with CapEff/CapPrm/CapBnd/CapAmb empty, no_new_privs, seccomp"
[ "$(ct stat -c '%U:%G %a %F' /run/pve-mcp/helper.sock)" = "pve-mcp:pve-mcp-clients 660 socket" ] \
    || fail "socket: $(ct stat -c '%U:%G %a %F' /run/pve-mcp/helper.sock)"
say "ok: /run/pve-mcp/helper.sock is pve-mcp:pve-mcp-clients 0660"
ct pve-helper status --pve-cert /root/pveproxy-ssl.pem >"$work/status.log" 2>&1 || { cat "$work/status.log"; fail "pve-helper status"; }
sed 's/^/    | /' "$work/status.log"
score=$(ct systemd-analyze security pve-mcp-helper.service --no-pager | sed -n 's/.*Overall exposure level for pve-mcp-helper.service: \([0-9.]*\).*/\1/p')
say "systemd-analyze security (running unit): $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || fail "exposure $score is above 2.0"

# An MCP session as claude-user, on the socket.
as_client=(nsenter -t "$init" -a env -i PATH=/usr/bin:/bin setpriv --reuid=claude-user
    --regid=claude-user --init-groups /usr/bin/mcp-front)
guests() { python3 -c 'import json, sys; r = json.load(sys.stdin)["calls"][0]; assert not r["isError"], r
t = r["structured"]["guests"]; at = t["columns"].index("vmid")
print(" ".join(str(row[at]) for row in t["rows"]))'; }
out=$(python3 "$probe" --call list_vms '{"limit": 500}' -- "${as_client[@]}")
grep -q '"list_vms"' <<<"$out" || fail "tools/list: $out"
seen=$(guests <<<"$out")
[ -n "$seen" ] || fail "list_vms found no guest tagged mcp"
say "ok: MCP session as claude-user: tools $(python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["tools"]))' <<<"$out"); $(wc -w <<<"$seen") guests tagged mcp"

# The CI bot, on the same socket, sees only its own policy's guests.
as_ci=(nsenter -t "$init" -a env -i PATH=/usr/bin:/bin setpriv --reuid=ci-bot
    --regid=ci-bot --init-groups /usr/bin/mcp-front)
seen_ci=$(python3 "$probe" --call list_vms '{}' -- "${as_ci[@]}" | guests)
[ "$seen_ci" = "110 111 112 113 114" ] || fail "ci-bot's list_vms shows: $seen_ci"
say "ok: MCP session as ci-bot: its own guests $seen_ci"

# systemctl reload re-reads the policy; a broken policy is refused and the old kept.
since=$(ct date '+%Y-%m-%d %H:%M:%S')
ct sed -i 's/^allow = \["tag:mcp"\]/allow = ["100-104"]/' /etc/pve-mcp/policy.toml
ct systemctl reload pve-mcp-helper.service
for _ in $(seq 50); do
    ct journalctl -u pve-mcp-helper --since "$since" --no-pager -o cat | grep -q 'policy reloaded.*SIGHUP' && break
    sleep 0.1
done
ct journalctl -u pve-mcp-helper --since "$since" --no-pager -o cat | grep 'policy reloaded.*SIGHUP' \
    | sed 's/^/    | /' | tail -1
ct journalctl -u pve-mcp-helper --since "$since" --no-pager -o cat | grep -q 'policy reloaded.*SIGHUP' \
    || fail "no reload logged"
seen=$(python3 "$probe" --call list_vms '{}' -- "${as_client[@]}" | guests)
[ "$seen" = "100 101 102 103 104" ] || fail "after reload, list_vms shows: $seen"
say "ok: systemctl reload re-read the policy: guests now $seen"
[ "$(python3 "$probe" --call list_vms '{}' -- "${as_ci[@]}" | guests)" = "110 111 112 113 114" ] \
    || fail "the main policy's reload changed ci-bot's guests"
say "ok: ci-bot's guests are still its own policy's"
since=$(ct date '+%Y-%m-%d %H:%M:%S')
ct cp /etc/pve-mcp/policy.toml /root/policy.good
ct sh -c 'echo "[guests]" >> /etc/pve-mcp/policy.toml'
ct systemctl reload pve-mcp-helper.service
sleep 1
ct journalctl -u pve-mcp-helper --since "$since" --no-pager -o cat | grep -q 'keeping the old policy' \
    || fail "a broken policy was not refused"
[ "$(python3 "$probe" --call list_vms '{}' -- "${as_client[@]}" | guests)" = "100 101 102 103 104" ] \
    || fail "the old policy is not in force"
ct cp /root/policy.good /etc/pve-mcp/policy.toml
say "ok: a broken policy is refused on reload and the old one stays in force"

# Real OpenSSH, as the assistant's workstation uses it.
ssh_opts=(-F /dev/null -p "$ssh_port" -i "$work/key" -o IdentitiesOnly=yes -o BatchMode=yes
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
for _ in $(seq 50); do listening "$ssh_port" && break; sleep 0.1; done
out=$(python3 "$probe" --call list_vms '{}' -- ssh "${ssh_opts[@]}" claude-user@127.0.0.1)
[ "$(guests <<<"$out")" = "100 101 102 103 104" ] || fail "MCP over ssh: $out"
say "ok: ssh claude-user@127.0.0.1 -p $ssh_port: MCP session through mcp-front reaches the simulator"
out=$(python3 "$probe" -- ssh "${ssh_opts[@]}" claude-user@127.0.0.1 bash -i)
grep -q '"list_vms"' <<<"$out" || fail "ssh ... bash: $out"
out=$(ssh "${ssh_opts[@]}" claude-user@127.0.0.1 'id; echo SHELL-RAN' </dev/null 2>&1 || true)
! grep -qE 'uid=|SHELL-RAN' <<<"$out" || fail "a command ran: $out"
say "ok: 'ssh ... bash' and 'ssh ... id' get mcp-front, not a shell"
out=$(ssh -tt "${ssh_opts[@]}" claude-user@127.0.0.1 </dev/null 2>&1 || true)
grep -q 'PTY allocation request failed' <<<"$out" || fail "a tty was granted: $out"
say "ok: ssh -t: PTY allocation refused"
lport=$(free_port)
ssh -o LogLevel=INFO -N -L "127.0.0.1:$lport:127.0.0.1:$sim_port" "${ssh_opts[@]}" \
    claude-user@127.0.0.1 2>"$work/fwd.log" &
fwd_pid=$!
on_exit "kill $fwd_pid 2>/dev/null"
for _ in $(seq 100); do listening "$lport" && break; sleep 0.1; done
got=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$lport; printf 'GET /api2/json/version HTTP/1.0\r\n\r\n' >&3; cat <&3" 2>/dev/null || true)
sleep 0.5
kill "$fwd_pid" 2>/dev/null || true
wait "$fwd_pid" 2>/dev/null || true
[ -z "$got" ] || fail "-L forwarded: $got"
grep -q 'administratively prohibited' "$work/fwd.log" || fail "-L: $(cat "$work/fwd.log")"
say "ok: ssh -L: the server refuses the channel (administratively prohibited)"
! ssh -N -R "127.0.0.1:$(free_port):127.0.0.1:22" -o ExitOnForwardFailure=yes "${ssh_opts[@]}" \
    claude-user@127.0.0.1 2>"$work/rfwd.log" || fail "-R was accepted"
say "ok: ssh -R: remote forwarding refused"
! ssh -F /dev/null -p "$ssh_port" -o PubkeyAuthentication=no -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null claude-user@127.0.0.1 true 2>/dev/null \
    || fail "a login without key succeeded"
say "ok: no login without the key"
ci_ssh=(-F /dev/null -p "$ssh_port" -i "$work/ci-key" -o IdentitiesOnly=yes -o BatchMode=yes
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
out=$(python3 "$probe" --call list_vms '{}' -- ssh "${ci_ssh[@]}" ci-bot@127.0.0.1)
[ "$(guests <<<"$out")" = "110 111 112 113 114" ] || fail "MCP over ssh as ci-bot: $out"
out=$(ssh "${ci_ssh[@]}" ci-bot@127.0.0.1 'id; echo SHELL-RAN' </dev/null 2>&1 || true)
! grep -qE 'uid=|SHELL-RAN' <<<"$out" || fail "a command ran as ci-bot: $out"
! ssh "${ssh_opts[@]}" ci-bot@127.0.0.1 true </dev/null 2>/dev/null || fail "claude-user's key logs in as ci-bot"
say "ok: ssh ci-bot@127.0.0.1 with its own key: mcp-front under its own policy, no shell"

# Reinstalling (an upgrade) on the running system restarts the helper and keeps sshd.
old_pid=$(ct systemctl show -P MainPID pve-mcp-helper.service)
ct dpkg -i "/root/debs/$(basename "$deb")" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrade"; }
new_pid=$(ct systemctl show -P MainPID pve-mcp-helper.service)
[ "$(ct systemctl is-active pve-mcp-helper.service)" = active ] && [ "$new_pid" != "$old_pid" ] \
    || fail "the upgrade did not restart the helper ($old_pid -> $new_pid)"
out=$(python3 "$probe" --call list_vms '{}' -- ssh "${ssh_opts[@]}" claude-user@127.0.0.1)
[ "$(guests <<<"$out")" = "100 101 102 103 104" ] || fail "after the upgrade: $out"
say "ok: an upgrade on the running node restarts the helper, keeps the policy, sshd serves on"

# Clean shutdown.
kill -TERM "$nspawn_pid"
if ! timeout 60 tail --pid="$nspawn_pid" -f /dev/null; then
    ct systemctl list-jobs --no-pager || true
    fail "the container did not shut down in 60 s"
fi
rc=0
wait "$nspawn_pid" || rc=$?
[ "$rc" = 0 ] || { tail -20 "$work/console.log"; fail "the container exited with $rc"; }
say "ok: container shut down cleanly"

# Purge after a real life: the token setup stored and the logs directory go too.
# The clients' policies are the admin's own files: removed by the admin first.
rm -r "$root/etc/pve-mcp/clients.d"
in_tree "$root" dpkg --purge pve-mcp >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
for path in /etc/pve-mcp /var/lib/pve-mcp /var/log/pve-mcp /usr/sbin/pve-helper \
    /etc/ssh/sshd_config.d/pve-mcp.conf /etc/ssh/sshd_config.d/pve-mcp-clients.conf \
    /etc/systemd/system/multi-user.target.wants/pve-mcp-helper.service; do
    [ ! -e "$root$path" ] || fail "purge left $path"
done
for account in pve-mcp claude-user ci-bot; do
    ! in_tree "$root" getent passwd "$account" >/dev/null || fail "purge left user $account"
done
! in_tree "$root" getent group pve-mcp-clients >/dev/null || fail "purge left group pve-mcp-clients"
say "ok: purge after setup removes the token, logs, accounts and drop-in"
