//! `pve-helper setup` and `pve-helper status`: what an admin runs as root on a Proxmox
//! VE node after installing the package. Setup makes the least-privilege Proxmox user,
//! role, ACL and token with `pveum`, stores the token 0600, pins the local pveproxy
//! certificate in `helper.toml`, validates the policy and starts the service; it is
//! idempotent, and `--dry-run` only shows. Status checks that all of it still holds.

mod clients;
mod keys;
mod pin;
mod privs;
mod privs_keys;
mod pveum;
mod status;

pub use crate::pve::release::Release;
pub use pin::{cert_fingerprint, set_fingerprint};
pub use privs::{Requirements, required_by_all, required_privileges};
pub use status::{StatusArgs, status};

use crate::{config::Config, paths, policy::Policy};
use pveum::{Current, Pveum, Wanted};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// Options of `pve-helper setup`.
#[derive(Debug, Clone, clap::Args)]
pub struct SetupArgs {
    /// Show what would be done (including the pveum commands) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Certificate to pin [default: /etc/pve/local/pveproxy-ssl.pem if present, else
    /// /etc/pve/local/pve-ssl.pem].
    #[arg(long, value_name = "PEM")]
    pub pve_cert: Option<PathBuf>,
    /// Where to store the token [default: token_file of helper.toml, else
    /// /etc/pve-mcp/token, which the unit loads with LoadCredential=].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The Proxmox user to create.
    #[arg(long, default_value = paths::PVE_USER, value_name = "USER@REALM")]
    pub pve_user: String,
    /// The Proxmox role to create with the privileges the policy needs.
    #[arg(long, default_value = paths::PVE_ROLE)]
    pub role: String,
    /// The name of the privilege-separated API token.
    #[arg(long, default_value = paths::PVE_TOKEN_NAME)]
    pub token_name: String,
    /// Replace the API token even if the stored one is still valid.
    #[arg(long)]
    pub rotate_token: bool,
    /// Append the SSH public keys in FILE to the client user's authorized_keys.
    #[arg(long, value_name = "FILE")]
    pub ssh_key: Option<PathBuf>,
    /// The client whose authorized_keys --ssh-key fills: a login name a policy names.
    #[arg(long, value_name = "LOGIN", default_value = paths::CLIENT_USER, requires = "ssh_key")]
    pub client: String,
    /// Do not enable and (re)start the service.
    #[arg(long)]
    pub no_start: bool,
    /// Host name for the `claude mcp add` line [default: this host's name].
    #[arg(long)]
    pub host: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("setup must run as root (it runs pveum and writes the token); try --dry-run")]
    NotRoot,
    #[error("invalid {what} {value:?}")]
    Name { what: &'static str, value: String },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("invalid policy:\n{0}")]
    Policy(#[from] crate::policy::PolicyError),
    #[error("invalid policies:\n{}", .0.join("\n"))]
    Policies(crate::policies::Notes),
    #[error("client accounts: {0}")]
    Account(String),
    #[error("{0} is not a client: no policy names it; --client names a login user of the policies")]
    NotAClient(String),
    #[error(transparent)]
    Pveum(#[from] pveum::PveumError),
    #[error(transparent)]
    Pin(#[from] pin::PinError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("`systemctl {args}` failed: {message}")]
    Systemctl { args: String, message: String },
    #[error(
        "cannot tell which Proxmox VE release this node runs ({0}); the policy grants \
         guest agent operations, whose privileges differ between PVE 8 (VM.Monitor) and \
         PVE 9 (VM.GuestAgent.*)"
    )]
    Release(String),
}

/// Runs setup; prints what it does on stdout.
pub fn setup(config_path: &Path, args: &SetupArgs) -> Result<(), SetupError> {
    if !args.dry_run && !nix::unistd::geteuid().is_root() {
        return Err(SetupError::NotRoot);
    }
    check_names(args)?;
    let mode = if args.dry_run { " (dry run)" } else { "" };
    println!("pve-mcp setup{mode}");
    let config = Config::load(config_path)?;
    let (policies, warnings) =
        crate::policies::Policies::load(&config.policy, &config.clients_dir())
            .map_err(SetupError::Policies)?;
    for w in warnings {
        eprintln!("{w}");
    }
    for f in policies.files() {
        println!("policy {}: OK", f.path.display());
    }
    let all = || policies.files().map(|f| f.policy.as_ref());
    let release = match node_release() {
        Ok(r) => r,
        Err(why) if !all().any(needs_release) => {
            println!("release: unknown ({why}); the policy needs no privilege that differs");
            Release::Pve9
        }
        Err(why) => return Err(SetupError::Release(why)),
    };
    println!("release: {release}");
    let req = required_by_all(all(), release);
    print_requirements(&req);

    let mut restart = converge_proxmox(&config, args, &req)?;
    if config.pve.ca_file.is_some() || config.pve.insecure {
        println!(
            "certificate: not pinned, helper.toml trusts the server through ca_file or insecure"
        );
    } else {
        restart |= pin_certificate(config_path, args)?;
    }
    if !args.dry_run {
        Config::load(config_path)?;
    }
    clients::converge(&policies, args.dry_run)?;
    if let Some(keyfile) = &args.ssh_key {
        if policies.for_user(&args.client).is_none() {
            return Err(SetupError::NotAClient(args.client.clone()));
        }
        authorize_keys(keyfile, &args.client, args.dry_run)?;
    }
    if args.no_start {
        println!("service: not started (--no-start)");
    } else {
        start_service(args.dry_run, restart)?;
    }
    print_next_steps(args, &clients::logins(&policies));
    Ok(())
}

/// The release this node runs, from `pveversion` (argv, no shell).
fn node_release() -> Result<Release, String> {
    let out = std::process::Command::new("pveversion")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run pveversion: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    Release::from_pveversion(first).ok_or_else(|| {
        format!(
            "pveversion printed {:?}",
            first.chars().take(80).collect::<String>()
        )
    })
}

/// Whether the privileges `policy` needs differ between the releases.
fn needs_release(policy: &Policy) -> bool {
    let ops = policy.granted_operations();
    ops.contains(&crate::policy::Operation::AgentRead)
        || ops.contains(&crate::policy::Operation::AgentExec)
}

/// Brings the Proxmox user, role, ACLs and token to what the policy needs, storing a
/// new token; returns whether the token changed (the service must restart).
fn converge_proxmox(
    config: &Config,
    args: &SetupArgs,
    req: &Requirements,
) -> Result<bool, SetupError> {
    let token_file = args
        .token_file
        .clone()
        .or_else(|| config.pve.token_file.clone())
        .unwrap_or_else(|| PathBuf::from(paths::TOKEN_FILE));
    let mut want = Wanted {
        user: args.pve_user.clone(),
        role: args.role.clone(),
        token: args.token_name.clone(),
        privileges: req.names(),
        new_token: args.rotate_token,
    };
    want.new_token |= !stored_token_matches(&token_file, &want.token_id(), args.dry_run);
    let pveum = Pveum {
        program: "pveum".into(),
    };
    let now = match pveum.current(&want) {
        Ok(now) => now,
        Err(e) if args.dry_run => {
            println!("  (cannot read the current users and roles: {e}; showing every step)");
            Current::default()
        }
        Err(e) => return Err(e.into()),
    };
    let steps = pveum::plan(&now, &want);
    if steps.is_empty() {
        println!(
            "proxmox: user {}, role {}, ACL and token are up to date",
            want.user, want.role
        );
    }
    let mut new_token = false;
    for step in &steps {
        let shown = shell_words(&step.args);
        if args.dry_run {
            println!("  would run: pveum {shown}");
            continue;
        }
        println!("  pveum {shown}");
        let out = pveum.run(&step.args)?;
        if step.creates_token {
            let line = pveum::token_line(&out)?;
            pin::replace_file(&token_file, format!("{line}\n").as_bytes(), Some(0o600))?;
            let (id, file) = (want.token_id(), token_file.display());
            println!("  token {id} stored in {file} (0600)");
            new_token = true;
        }
    }
    Ok(new_token)
}

fn authorize_keys(keyfile: &Path, client: &str, dry_run: bool) -> Result<(), SetupError> {
    let keys = keys::read_keys(keyfile)?;
    if dry_run {
        println!("  would add {} key(s) for {client}", keys.len());
    } else {
        let (file, added) = keys::authorize(client, &keys)?;
        println!("ssh: {added} new key(s) in {}", file.display());
    }
    Ok(())
}

fn check_names(args: &SetupArgs) -> Result<(), SetupError> {
    let probe = format!("{}!{}=x", args.pve_user, args.token_name);
    if crate::secret::ApiToken::parse(&probe).is_none() {
        return Err(SetupError::Name {
            what: "Proxmox user or token name",
            value: format!("{}!{}", args.pve_user, args.token_name),
        });
    }
    let role_ok = (1..=64).contains(&args.role.len())
        && args
            .role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    if !role_ok {
        return Err(SetupError::Name {
            what: "role name",
            value: args.role.clone(),
        });
    }
    // pve-access-control keeps the PVE namespace for its own roles (since 8.0):
    // "cannot use role ID starting with the (case-insensitive) 'PVE' namespace".
    if args.role.to_ascii_lowercase().starts_with("pve") {
        return Err(SetupError::Name {
            what: "role name (Proxmox refuses new roles starting with PVE)",
            value: args.role.clone(),
        });
    }
    Ok(())
}

fn print_requirements(req: &Requirements) {
    if req.privileges.is_empty() {
        println!("privileges: the policy needs none");
    }
    for (privilege, why) in &req.privileges {
        let why: Vec<&str> = why.iter().map(String::as_str).collect();
        println!("privilege {privilege}: {}", why.join("; "));
    }
    for note in &req.unmapped {
        println!("note: {note}");
    }
}

/// Whether `path` holds a token with this id. A wrong mode is fixed (outside a dry
/// run) rather than answered with a new token.
fn stored_token_matches(path: &Path, token_id: &str, dry_run: bool) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let matches = text
        .lines()
        .next()
        .and_then(crate::secret::ApiToken::parse)
        .is_some_and(|t| t.id() == token_id);
    if matches && !dry_run {
        let private = std::fs::Permissions::from_mode(0o600);
        if let Err(e) = std::fs::set_permissions(path, private) {
            eprintln!("warning: cannot chmod 600 {}: {e}", path.display());
        }
    }
    matches
}

/// Pins the local certificate; returns whether helper.toml changed.
fn pin_certificate(config_path: &Path, args: &SetupArgs) -> Result<bool, SetupError> {
    let cert = args.pve_cert.clone().unwrap_or_else(|| {
        pin::local_cert(
            Path::new(paths::PVE_PROXY_CERT),
            Path::new(paths::PVE_NODE_CERT),
        )
    });
    let fp = match cert_fingerprint(&cert) {
        Ok(fp) => fp,
        Err(e) if args.dry_run => {
            println!("  would pin the certificate fingerprint, but: {e}");
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    };
    if args.dry_run {
        println!(
            "  would pin {fp} ({}) in {}",
            cert.display(),
            config_path.display()
        );
        return Ok(false);
    }
    let changed = pin::pin_in_config(config_path, &fp)?;
    let verb = if changed { "pinned" } else { "already pins" };
    println!(
        "certificate: {} {verb} {fp} ({})",
        config_path.display(),
        cert.display()
    );
    Ok(changed)
}

fn systemctl(args: &[&str]) -> Result<(), SetupError> {
    let fail = |message: String| SetupError::Systemctl {
        args: args.join(" "),
        message,
    };
    let out = Command::new("systemctl")
        .args(args)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(fail(crate::pve::sanitize(&String::from_utf8_lossy(
            &out.stderr,
        ))))
    }
}

fn start_service(dry_run: bool, restart: bool) -> Result<(), SetupError> {
    let action = if restart { "restart" } else { "start" };
    if dry_run {
        println!(
            "  would run: systemctl enable {0}; systemctl {action} {0}",
            paths::SERVICE_UNIT
        );
        return Ok(());
    }
    systemctl(&["enable", "--quiet", paths::SERVICE_UNIT])?;
    systemctl(&[action, paths::SERVICE_UNIT])?;
    println!("service: {} enabled, {action}ed", paths::SERVICE_UNIT);
    Ok(())
}

fn print_next_steps(args: &SetupArgs, logins: &[String]) {
    let host = args.host.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "THIS-NODE".into())
    });
    let user = paths::CLIENT_USER;
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    println!();
    println!("Next steps:");
    if args.ssh_key.is_none() {
        println!(
            "  {}. Let the assistant's SSH key in (on this node, as root):",
            next()
        );
        println!("       pve-helper setup --ssh-key /path/to/id_ed25519.pub");
        println!("     or append it to ~{user}/.ssh/authorized_keys (owner {user}, mode 0600).");
    }
    println!("  {}. On the workstation running Claude Code:", next());
    println!("       claude mcp add proxmox -- ssh {user}@{host}");
    for other in logins.iter().filter(|l| *l != user) {
        println!("     and for {other} (keys: pve-helper setup --ssh-key FILE --client {other}):");
        println!("       claude mcp add proxmox -- ssh {other}@{host}");
    }
    println!("  {}. Check everything: pve-helper status", next());
}

/// Arguments joined for display, quoted where a shell would need it.
pub fn shell_words(args: &[String]) -> String {
    let safe = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b))
    };
    args.iter()
        .map(|a| {
            if safe(a) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
