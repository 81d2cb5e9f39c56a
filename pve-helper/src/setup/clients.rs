//! The login users of the clients: each user a policy names by login name (but the
//! package's own `claude-user`) gets an account like `claude-user` (home under the state directory, `/bin/sh`
//! for sshd's ForceCommand, password `*`: keys only), membership of the socket's
//! group, an empty `authorized_keys`, and a Match block in the sshd drop-in
//! `pve-mcp-clients.conf` that confines it to mcp-front. An account that already
//! exists and is not pve-mcp's (its home is elsewhere) is the admin's own: it is left
//! as it is and not confined, and setup says so. Accounts created here are recorded so
//! that purging the package removes them.

use super::SetupError;
use crate::{paths, policies::Policies, policy::ClientSpec};
use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::Command,
};

/// What setup does about the client accounts, worked out before anything is done.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Accounts to create.
    pub create: Vec<String>,
    /// Accounts setup manages (created by it or the package): confined by sshd.
    pub confine: Vec<String>,
    /// Existing accounts of the admin's own, left as they are.
    pub foreign: Vec<String>,
}

/// Every login name the policies name as a client (uids are the admin's own
/// accounts), sorted, without repeats.
pub fn logins(p: &Policies) -> Vec<String> {
    let mut out: Vec<String> = p
        .clients()
        .into_iter()
        .filter_map(|c| match c {
            ClientSpec::Name(n) if n != "root" => Some(n),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What to do for `logins`, given each one's home directory if it exists.
pub fn plan(logins: &[String], home: impl Fn(&str) -> Option<PathBuf>) -> Plan {
    let mut plan = Plan::default();
    for login in logins {
        match home(login) {
            None => {
                plan.create.push(login.clone());
                plan.confine.push(login.clone());
            }
            Some(h) if h.starts_with(paths::STATE_DIR) => plan.confine.push(login.clone()),
            Some(_) => plan.foreign.push(login.clone()),
        }
    }
    plan
}

/// The sshd drop-in confining `logins` (the package's own drop-in confines
/// `claude-user`), or `None` when there is no one else.
pub fn sshd_dropin(logins: &[String]) -> Option<String> {
    let others: Vec<&str> = logins
        .iter()
        .map(String::as_str)
        .filter(|l| *l != paths::CLIENT_USER)
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(format!(
        "# Written by `pve-helper setup` for the clients named in the policies: each gets\n\
         # mcp-front on stdio and nothing else, as claude-user does in pve-mcp.conf.\n\
         # Rewritten at every setup; edit the policies, not this file.\n\
         Match User {}\n{}",
        others.join(","),
        CONFINED
    ))
}

/// The body of each Match block: the same as the package's `pve-mcp.conf`.
const CONFINED: &str = "    ForceCommand /usr/bin/mcp-front
    AuthenticationMethods publickey
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    PermitTTY no
    DisableForwarding yes
    AllowAgentForwarding no
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    X11Forwarding no
    PermitTunnel no
    PermitListen none
    PermitOpen none
    PermitUserRC no
";

fn home_of(login: &str) -> Option<PathBuf> {
    nix::unistd::User::from_name(login)
        .ok()
        .flatten()
        .map(|u| u.dir)
}

fn run(program: &str, args: &[&str]) -> Result<(), SetupError> {
    let shown = format!(
        "{program} {}",
        super::shell_words(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    );
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| SetupError::Account(format!("{shown}: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(SetupError::Account(format!("{shown}: {}", err.trim())));
    }
    Ok(())
}

/// Notes `line` in the record of what the package created (for purge).
fn record(line: &str) -> Result<(), SetupError> {
    let path = Path::new(paths::CREATED_RECORD);
    let old = std::fs::read_to_string(path).unwrap_or_default();
    if old.lines().any(|l| l == line) {
        return Ok(());
    }
    let new = format!("{old}{line}\n");
    super::pin::replace_file(path, new.as_bytes(), Some(0o644))?;
    Ok(())
}

/// Creates, groups and confines the client accounts other than the package's own
/// `claude-user`, and reloads sshd if its drop-in changed.
pub fn converge(p: &Policies, dry_run: bool) -> Result<(), SetupError> {
    // claude-user is the package's: its postinst makes it, pve-mcp.conf confines it.
    let logins: Vec<String> = logins(p)
        .into_iter()
        .filter(|l| l != paths::CLIENT_USER)
        .collect();
    let plan = plan(&logins, home_of);
    let would = if dry_run { "would create" } else { "created" };
    for login in &plan.create {
        if !dry_run {
            create(login)?;
        }
        println!(
            "client {login}: {would} (home {}/{login}, keys only)",
            paths::STATE_DIR
        );
    }
    for login in &plan.confine {
        if !dry_run {
            join_group(login)?;
            prepare_home(login)?;
        }
    }
    for login in &plan.foreign {
        println!(
            "client {login}: an account of your own (home outside {}): left as it is and NOT \
             confined by sshd; confine it yourself, as {} does",
            paths::STATE_DIR,
            paths::SSHD_CLIENTS_DROPIN
        );
    }
    write_dropin(&plan.confine, dry_run)
}

fn create(login: &str) -> Result<(), SetupError> {
    let home = format!("{}/{login}", paths::STATE_DIR);
    run(
        "adduser",
        &[
            "--system",
            "--quiet",
            "--group",
            "--home",
            &home,
            "--shell",
            "/bin/sh",
            "--comment",
            "pve-mcp assistant login (mcp-front only)",
            login,
        ],
    )?;
    run("usermod", &["--password", "*", login])?;
    record(&format!("user {login}"))?;
    record(&format!("group {login}"))
}

fn join_group(login: &str) -> Result<(), SetupError> {
    let member = nix::unistd::Group::from_name(paths::CLIENT_GROUP)
        .ok()
        .flatten()
        .is_some_and(|g| g.mem.iter().any(|m| m == login));
    if member {
        return Ok(());
    }
    run("adduser", &["--quiet", login, paths::CLIENT_GROUP])?;
    println!("client {login}: added to group {}", paths::CLIENT_GROUP);
    Ok(())
}

/// The home (0750) and `.ssh` (0700) of a client, and an empty `authorized_keys`
/// (0600) for `setup --ssh-key --client` to fill.
fn prepare_home(login: &str) -> Result<(), SetupError> {
    let account = nix::unistd::User::from_name(login)
        .ok()
        .flatten()
        .ok_or_else(|| SetupError::Account(format!("no account {login}")))?;
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |e: std::io::Error| SetupError::Account(format!("{p}: {e}"))
    };
    let ssh = account.dir.join(".ssh");
    let keys = ssh.join("authorized_keys");
    for (path, mode, dir) in [
        (&account.dir, 0o750, true),
        (&ssh, 0o700, true),
        (&keys, 0o600, false),
    ] {
        if dir {
            std::fs::create_dir_all(path).map_err(io(path))?;
        } else if !path.exists() {
            std::fs::write(path, b"").map_err(io(path))?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
        nix::unistd::chown(path.as_path(), Some(account.uid), Some(account.gid))
            .map_err(|e| io(path)(e.into()))?;
    }
    Ok(())
}

/// Writes (or removes) the sshd drop-in for `confine`; reloads sshd if it changed.
fn write_dropin(confine: &[String], dry_run: bool) -> Result<(), SetupError> {
    let path = Path::new(paths::SSHD_CLIENTS_DROPIN);
    let want = sshd_dropin(confine);
    let have = std::fs::read_to_string(path).ok();
    if want == have {
        if want.is_some() {
            println!(
                "sshd: {} confines {} client(s)",
                path.display(),
                confine.len()
            );
        }
        return Ok(());
    }
    if dry_run {
        println!("sshd: would write {}", path.display());
        return Ok(());
    }
    match &want {
        Some(text) => super::pin::replace_file(path, text.as_bytes(), Some(0o644))?,
        None => std::fs::remove_file(path)
            .map_err(|e| SetupError::Account(format!("{}: {e}", path.display())))?,
    }
    if let Err(e) = run("sshd", &["-t"]) {
        // A configuration sshd refuses would lock every login out at its next start.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    println!("sshd: {} written; reloading ssh", path.display());
    if run("systemctl", &["reload", "ssh.service"]).is_err() {
        println!("sshd: reload ssh yourself to apply it (systemctl reload ssh)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_created_confined_or_left_alone_by_where_their_home_is() {
        let logins = ["ci-bot", "claude-user", "alice"].map(String::from);
        let p = plan(&logins, |l| match l {
            "claude-user" => Some(PathBuf::from("/var/lib/pve-mcp/claude-user")),
            "alice" => Some(PathBuf::from("/home/alice")),
            _ => None,
        });
        assert_eq!(p.create, ["ci-bot"]);
        assert_eq!(p.confine, ["ci-bot", "claude-user"]);
        assert_eq!(p.foreign, ["alice"]);
    }

    #[test]
    fn the_dropin_confines_everyone_but_the_packages_own_user() {
        assert_eq!(sshd_dropin(&["claude-user".into()]), None);
        let d = sshd_dropin(&["ci-bot".into(), "claude-user".into(), "auditor".into()]).unwrap();
        assert!(d.contains("\nMatch User ci-bot,auditor\n    ForceCommand /usr/bin/mcp-front\n"));
        assert!(d.ends_with("PermitUserRC no\n"));
        let package = include_str!("../../../debian/sshd-pve-mcp.conf");
        let body = package.split_once("Match User claude-user\n").unwrap().1;
        assert_eq!(
            body, CONFINED,
            "the same confinement as the package's drop-in"
        );
    }
}
