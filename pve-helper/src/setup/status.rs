//! `pve-helper status`: checks, one line each, that the installation still works: the
//! service, the socket, the token file, Proxmox reachable with the pinned certificate,
//! the token's privileges against what the policy needs, and the policy itself. Reads
//! only; a check that cannot be made is reported as skipped, never as passed.

use super::{pin, privs};
use crate::{
    config::Config,
    paths,
    policies::Policies,
    pve::{PveClient, release::Release, sanitize},
    secret::ApiToken,
};
use std::{
    collections::{BTreeMap, BTreeSet},
    os::unix::fs::{FileTypeExt, MetadataExt},
    path::{Path, PathBuf},
    process::Command,
};

/// Options of `pve-helper status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// The certificate pveproxy serves, to compare with the pin [default: as setup].
    #[arg(long, value_name = "PEM")]
    pub pve_cert: Option<PathBuf>,
    /// Skip the systemd service check (e.g. when the helper runs by hand).
    #[arg(long)]
    pub no_service: bool,
    /// Show only the policy that serves this local user (name or uid); by default
    /// every policy file is shown, the main one first.
    #[arg(long, value_name = "USER")]
    pub client: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Warn,
    Fail,
    Skip,
}

struct Report {
    failed: bool,
}

impl Report {
    fn line(&mut self, outcome: Outcome, what: &str, text: &str) {
        let tag = match outcome {
            Outcome::Ok => "ok",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "skip",
        };
        self.failed |= outcome == Outcome::Fail;
        println!("{tag:>4}  {what:<10} {text}");
    }
}

/// Runs every check; returns whether all passed (warnings and skips do not fail).
pub fn status(config_path: &Path, args: &StatusArgs) -> bool {
    let mut r = Report { failed: false };
    if args.no_service {
        r.line(Outcome::Skip, "service", "not checked (--no-service)");
    } else {
        let (o, t) = service();
        r.line(o, "service", &t);
    }
    let config = match Config::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            r.line(Outcome::Fail, "config", &e.to_string());
            return false;
        }
    };
    r.line(Outcome::Ok, "config", &config_path.display().to_string());
    let (o, t) = socket(&config);
    r.line(o, "socket", &t);
    let (o, t) = sshd(paths::CLIENT_USER);
    r.line(o, "sshd", &t);
    let token_path = config
        .pve
        .token_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(paths::TOKEN_FILE));
    let token = match token(&token_path) {
        Ok((t, text)) => {
            r.line(Outcome::Ok, "token", &text);
            Some(t)
        }
        Err(text) => {
            r.line(Outcome::Fail, "token", &text);
            None
        }
    };
    let (o, t) = pin_matches_local(&config, args);
    r.line(o, "pin", &t);
    let policies = match Policies::load(&config.policy, &config.clients_dir()) {
        Ok((p, warnings)) => Some((p, warnings.len())),
        Err(problems) => {
            r.line(Outcome::Fail, "policy", &problems.join("\n"));
            None
        }
    };
    match &token {
        Some(token) => remote_checks(&mut r, &config, token, policies.as_ref().map(|(p, _)| p)),
        None => r.line(Outcome::Skip, "proxmox", "no usable token"),
    }
    if let Some((p, warnings)) = &policies {
        client_accounts(&mut r, p);
        show_policies(&mut r, p, *warnings, args.client.as_deref());
    }
    !r.failed
}

/// Whether each other client the policies name has an account that sshd confines.
fn client_accounts(r: &mut Report, p: &Policies) {
    let logins = super::clients::logins(p);
    for login in logins.iter().filter(|l| *l != paths::CLIENT_USER) {
        let home = nix::unistd::User::from_name(login)
            .ok()
            .flatten()
            .map(|u| u.dir);
        match home {
            None => r.line(
                Outcome::Warn,
                "sshd",
                &format!("{login}: no such account yet; pve-helper setup creates it"),
            ),
            Some(h) if !h.starts_with(paths::STATE_DIR) => r.line(
                Outcome::Warn,
                "sshd",
                &format!("{login}: an account of your own, not confined by pve-mcp"),
            ),
            Some(_) => {
                let (o, t) = sshd(login);
                r.line(o, "sshd", &t);
            }
        }
    }
}

/// One line and the summary of each policy file, or of the one serving `client`.
fn show_policies(r: &mut Report, p: &Policies, warnings: usize, client: Option<&str>) {
    let o = if warnings > 0 {
        Outcome::Warn
    } else {
        Outcome::Ok
    };
    let note = if warnings > 0 {
        format!(" ({warnings} warning(s): pve-helper check)")
    } else {
        String::new()
    };
    let shown: Vec<_> = match client {
        None => p.files().collect(),
        Some(user) => match p.for_user(user) {
            Some(f) => vec![f],
            None => {
                return r.line(
                    Outcome::Fail,
                    "policy",
                    &format!("{user} is not a client: no policy names it"),
                );
            }
        },
    };
    for f in shown {
        let serves = match client {
            Some(user) => format!(" (serves {user})"),
            None => String::new(),
        };
        r.line(o, "policy", &format!("{}{serves}{note}", f.path.display()));
        for line in f.policy.summary().lines() {
            println!("{:16}{line}", "");
        }
    }
}

fn service() -> (Outcome, String) {
    let unit = paths::SERVICE_UNIT;
    match Command::new("systemctl").args(["is-active", unit]).output() {
        Err(e) => (Outcome::Skip, format!("cannot run systemctl: {e}")),
        Ok(out) => {
            let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if state == "active" {
                (Outcome::Ok, format!("{unit} active"))
            } else if state.is_empty() {
                let err = crate::pve::sanitize(&String::from_utf8_lossy(&out.stderr));
                (Outcome::Skip, format!("systemctl cannot tell: {err}"))
            } else {
                (
                    Outcome::Fail,
                    format!("{unit} {state} (journalctl -u {unit})"),
                )
            }
        }
    }
}

/// Whether sshd, as configured now, confines the client user to mcp-front.
fn sshd(user: &str) -> (Outcome, String) {
    let spec = format!("user={user},host=localhost,addr=127.0.0.1");
    let out = match Command::new("sshd").args(["-T", "-C", &spec]).output() {
        Err(e) => return (Outcome::Skip, format!("cannot run sshd -T: {e}")),
        Ok(out) if !out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            return (
                Outcome::Skip,
                format!("sshd -T: {}", crate::pve::sanitize(&err)),
            );
        }
        Ok(out) => String::from_utf8_lossy(&out.stdout).to_lowercase(),
    };
    let force = "forcecommand /usr/bin/mcp-front";
    if out.lines().any(|l| l.trim() == force) && out.lines().any(|l| l.trim() == "permittty no") {
        (
            Outcome::Ok,
            format!("{user} gets mcp-front only (sshd_config.d/pve-mcp*.conf)"),
        )
    } else {
        (
            Outcome::Fail,
            format!("sshd does not confine {user}: does sshd_config Include sshd_config.d/*.conf?"),
        )
    }
}

fn socket(config: &Config) -> (Outcome, String) {
    let path = &config.socket;
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => m,
        Ok(_) => return (Outcome::Fail, format!("{shown} is not a socket")),
        Err(e) => return (Outcome::Fail, format!("{shown}: {e}")),
    };
    let mode = meta.mode() & 0o7777;
    let group = nix::unistd::Group::from_gid(meta.gid().into())
        .ok()
        .flatten()
        .map_or_else(|| meta.gid().to_string(), |g| g.name);
    let mut problems = Vec::new();
    if mode != 0o660 {
        problems.push(format!("mode {mode:04o}, expected 0660"));
    }
    if let Some(want) = &config.socket_group
        && *want != group
    {
        problems.push(format!("group {group}, expected {want}"));
    }
    if let Err(e) = std::os::unix::net::UnixStream::connect(path) {
        problems.push(format!("cannot connect: {e}"));
    }
    let text = format!("{shown} (mode {mode:04o}, group {group})");
    if problems.is_empty() {
        (Outcome::Ok, text)
    } else {
        (Outcome::Fail, format!("{text}: {}", problems.join("; ")))
    }
}

/// The token, read as `LoadCredential=` reads it: a private file of root (or of the
/// helper's user when it runs by hand).
fn token(path: &Path) -> Result<(ApiToken, String), String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{shown}: {e} (run pve-helper setup)"))?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown} has mode {mode:04o}: run chmod 600 {shown}"
        ));
    }
    let helper_uid = nix::unistd::User::from_name(paths::HELPER_USER)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw());
    if meta.uid() != 0 && Some(meta.uid()) != helper_uid {
        return Err(format!(
            "{shown} is owned by uid {}, not root or {}",
            meta.uid(),
            paths::HELPER_USER
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e} (run as root)"))?;
    let token = text
        .lines()
        .next()
        .and_then(ApiToken::parse)
        .ok_or_else(|| format!("{shown} does not hold one line USER@REALM!TOKENID=SECRET"))?;
    let desc = format!("{shown} (mode {mode:04o}, id {})", token.id());
    Ok((token, desc))
}

/// Whether the pinned fingerprint is still the one of the local certificate.
fn pin_matches_local(config: &Config, args: &StatusArgs) -> (Outcome, String) {
    let Some(pinned) = &config.pve.fingerprint else {
        return (
            Outcome::Skip,
            "no fingerprint pinned (ca_file or insecure)".into(),
        );
    };
    let cert = args.pve_cert.clone().unwrap_or_else(|| {
        pin::local_cert(
            Path::new(paths::PVE_PROXY_CERT),
            Path::new(paths::PVE_NODE_CERT),
        )
    });
    match pin::cert_fingerprint(&cert) {
        Err(e) => (Outcome::Skip, e.to_string()),
        Ok(fp) if fp.eq_ignore_ascii_case(pinned) => {
            (Outcome::Ok, format!("{} matches the pin", cert.display()))
        }
        Ok(fp) => (
            Outcome::Warn,
            format!(
                "{} has fingerprint {fp}, not the pinned one: if pveproxy's certificate was renewed, run pve-helper setup again",
                cert.display()
            ),
        ),
    }
}

fn remote_checks(r: &mut Report, config: &Config, token: &ApiToken, policies: Option<&Policies>) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return r.line(Outcome::Fail, "proxmox", &format!("no runtime: {e}")),
    };
    let client = match PveClient::new(&config.pve, token) {
        Ok(c) => c,
        Err(e) => return r.line(Outcome::Fail, "proxmox", &e.to_string()),
    };
    #[derive(serde::Deserialize)]
    struct Version {
        version: String,
    }
    let release = match rt.block_on(client.get::<Version>("/version", &[])) {
        Ok(v) => {
            let release = Release::from_version(&v.version);
            let (outcome, note) = match release {
                Some(rel) => (Outcome::Ok, format!(" ({rel})")),
                None => (
                    Outcome::Fail,
                    " (not a supported release: 8 or 9)".to_owned(),
                ),
            };
            r.line(
                outcome,
                "proxmox",
                &format!(
                    "{} reachable, certificate verified, version {}{note}",
                    client.url(),
                    sanitize(&v.version)
                ),
            );
            release
        }
        Err(e) => {
            r.line(Outcome::Fail, "proxmox", &e.to_string());
            return r.line(Outcome::Skip, "privileges", "Proxmox is not reachable");
        }
    };
    let (Some(policies), Some(release)) = (policies, release) else {
        return r.line(
            Outcome::Skip,
            "privileges",
            "the policy does not load, or the release is not known",
        );
    };
    let needed = privs::required_by_all(policies.files().map(|f| f.policy.as_ref()), release);
    type Perms = BTreeMap<String, BTreeMap<String, serde_json::Value>>;
    match rt.block_on(client.get::<Perms>("/access/permissions", &[])) {
        Ok(perms) => {
            let have: BTreeSet<&str> = perms
                .values()
                .flat_map(|p| p.keys())
                .map(String::as_str)
                .collect();
            let (o, t) = compare_privileges(&needed.names(), &have);
            r.line(o, "privileges", &t);
        }
        Err(crate::pve::PveError::Http { status: 501, .. }) => r.line(
            Outcome::Skip,
            "privileges",
            "this server does not implement /access/permissions (HTTP 501)",
        ),
        Err(e) => r.line(Outcome::Fail, "privileges", &e.to_string()),
    }
}

/// Needed privileges against the token's: missing ones fail, extra ones warn.
fn compare_privileges(needed: &[&str], have: &BTreeSet<&str>) -> (Outcome, String) {
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|p| !have.contains(p))
        .collect();
    let extra: Vec<&str> = have
        .iter()
        .copied()
        .filter(|p| !needed.contains(p))
        .collect();
    if !missing.is_empty() {
        return (
            Outcome::Fail,
            format!(
                "the token lacks {} (run pve-helper setup)",
                missing.join(", ")
            ),
        );
    }
    let list = if needed.is_empty() {
        "none".to_owned()
    } else {
        needed.join(", ")
    };
    if extra.is_empty() {
        (
            Outcome::Ok,
            format!("the token has exactly what the policy needs: {list}"),
        )
    } else {
        (
            Outcome::Warn,
            format!(
                "the token has {list} and more than the policy needs: {}",
                extra.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_compare() {
        let have: BTreeSet<&str> = ["VM.Audit", "Sys.Audit"].into();
        assert_eq!(
            compare_privileges(&["Sys.Audit", "VM.Audit"], &have).0,
            Outcome::Ok
        );
        let (o, t) = compare_privileges(&["VM.PowerMgmt", "VM.Audit"], &have);
        assert_eq!(o, Outcome::Fail);
        assert!(t.contains("lacks VM.PowerMgmt"), "{t}");
        assert_eq!(compare_privileges(&["VM.Audit"], &have).0, Outcome::Warn);
    }
}
