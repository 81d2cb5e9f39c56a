//! Command-line entry points: `serve` (the daemon), `check` (validate a policy), and
//! the admin's `setup` and `status` (see [`crate::setup`]), `explain` and `audit`.

use crate::{
    config::{Config, policy_file},
    paths,
    policy::{Policy, PolicyError, Severity},
    privileges,
    pve::PveClient,
    secret::ApiToken,
    server::{self, Limits},
    service::Service,
};
use clap::{Parser, Subcommand};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
};

#[derive(Debug, Parser)]
#[command(
    name = "pve-helper",
    version,
    about = "Privileged helper of pve-mcp: policy, audit, Proxmox API access"
)]
pub struct Cli {
    /// Helper configuration file.
    #[arg(long, global = true, default_value = paths::CONFIG_FILE)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (the default).
    Serve {
        /// Allow running as root (for tests; never in production).
        #[arg(long)]
        allow_root: bool,
    },
    /// Show which rule decides a request; calls Proxmox only with --live.
    /// Exit 0 if allowed, 1 if refused (denied, not found, needs confirmation), 2 on
    /// bad input.
    Explain {
        /// The request, e.g. 'vm_action 101 stop' or '{"op":"guest_status","args":{"vmid":101}}'.
        request: String,
        /// The policy file (default: the one named in the configuration).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Also check this local user (name or uid) against [clients].
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
        /// Explain under the policy that serves this local user (name or uid): its own
        /// file in the clients directory, else the main policy if it names the user.
        #[arg(long, value_name = "USER", conflicts_with_all = ["policy", "as_user"])]
        client: Option<String>,
        /// A guest's attributes, 'VMID node=N type=qemu|lxc pool=P tags=a,b' (repeatable).
        #[arg(long, value_name = "SPEC")]
        guest: Vec<String>,
        /// Use the cluster's live data (reads the token: run as root or pve-mcp).
        #[arg(long)]
        live: bool,
    },
    /// Validate a policy file and print a summary; exit 1 with FILE:LINE:COL errors.
    /// Without FILE: the configured policy and every client's own policy in the
    /// clients directory, and that no user is named by two of them.
    Check {
        /// The policy file alone (default: every policy of the configuration).
        file: Option<PathBuf>,
        /// Print only the policy that serves this local user (name or uid).
        #[arg(long, value_name = "USER")]
        client: Option<String>,
    },
    /// Set up this Proxmox VE node (as root): Proxmox user, role, ACL and token,
    /// certificate pin, service. Idempotent; --dry-run shows the steps.
    Setup(crate::setup::SetupArgs),
    /// Check the installation: service, socket, token, Proxmox, privileges, policy.
    Status(crate::setup::StatusArgs),
    /// Show the audit trail: what the assistant asked, and what was allowed or refused.
    Audit(crate::audit::command::AuditArgs),
}

pub fn main(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve { allow_root: false }) {
        Command::Check {
            file: Some(file),
            client: None,
        } => check(Some(file), &cli.config),
        Command::Check { file, client } => check_all(file, client.as_deref(), &cli.config),
        Command::Setup(args) => match crate::setup::setup(&cli.config, &args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pve-helper setup: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Status(args) => {
            if crate::setup::status(&cli.config, &args) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Audit(args) => crate::audit::command::run(&cli.config, &args),
        Command::Explain {
            request,
            policy,
            as_user,
            client,
            guest,
            live,
        } => {
            let explicit = policy.is_some();
            let policy = policy_file(policy, &cli.config);
            let under = match &client {
                Some(user) => crate::explain::Under::Client(user),
                None => crate::explain::Under::File(&policy),
            };
            crate::explain::run(
                &cli.config,
                under,
                explicit,
                &request,
                as_user.as_deref(),
                &guest,
                live,
            )
        }
        Command::Serve { allow_root } => match serve(&cli.config, allow_root) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("pve-helper: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn check(file: Option<PathBuf>, config: &Path) -> ExitCode {
    let file = policy_file(file, config);
    match Policy::load(&file) {
        Ok((policy, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            print!("{}: OK\n{}", file.display(), policy.summary());
            ExitCode::SUCCESS
        }
        Err(PolicyError::Invalid(diags)) => {
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            for d in diags {
                eprintln!("{d}");
            }
            eprintln!("{}: {errors} error(s)", file.display());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks the main policy (`file`, else the configuration's) and every client's own
/// policy; prints each file's summary, or only the one serving `client`.
fn check_all(file: Option<PathBuf>, client: Option<&str>, config: &Path) -> ExitCode {
    let cfg = Config::load(config).ok();
    let main = file.unwrap_or_else(|| policy_file(None, config));
    let dir = match &cfg {
        Some(c) if c.policy == main => c.clients_dir(),
        _ => crate::paths::default_clients_dir(&main),
    };
    let checked = crate::policies::check(&main, &dir);
    let mut errors = 0;
    for f in &checked.files {
        match &f.result {
            Ok((_, warnings)) => warnings.iter().for_each(|w| eprintln!("{w}")),
            Err(problems) => {
                errors += problems.len();
                problems.iter().for_each(|p| eprintln!("{p}"));
            }
        }
    }
    for p in &checked.across {
        errors += 1;
        eprintln!("{p}");
    }
    let files = checked.files.len();
    let Some(policies) = checked.into_policies(&dir).filter(|_| errors == 0) else {
        eprintln!("{errors} error(s) in {files} policy file(s)");
        return ExitCode::FAILURE;
    };
    match client {
        Some(user) => match policies.for_user(user) {
            Some(f) => print!(
                "{user} is served by {}: OK\n{}",
                f.path.display(),
                f.policy.summary()
            ),
            None => {
                eprintln!(
                    "{user} is not a client: no policy names it (not in [clients] users of {}, \
                     and no {user}.toml in {})",
                    policies.main.path.display(),
                    dir.display()
                );
                return ExitCode::FAILURE;
            }
        },
        None => {
            for f in policies.files() {
                print!("{}: OK\n{}", f.path.display(), f.policy.summary());
            }
        }
    }
    ExitCode::SUCCESS
}

#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    Privileges(#[from] privileges::PrivilegeError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Token(#[from] crate::secret::TokenError),
    #[error("invalid policy:\n{}", .0.join("\n"))]
    Policy(crate::policies::Notes),
    #[error(transparent)]
    Client(#[from] crate::pve::ClientError),
    #[error("socket {path}: {source}")]
    Socket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("audit file {path}: {source}")]
    Audit {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

fn serve(config_path: &Path, allow_root: bool) -> Result<(), ServeError> {
    if let Some(note) = privileges::harden(allow_root)? {
        tracing::warn!("{note}");
    }
    let config = Config::load(config_path)?;
    let token = ApiToken::load(&config.token_path())?;
    let (policies, warnings) =
        crate::policies::Policies::load(&config.policy, &config.clients_dir())
            .map_err(ServeError::Policy)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    if config.pve.insecure {
        tracing::warn!(
            "TLS certificate verification of {} is OFF ([pve] insecure = true)",
            config.pve.url
        );
    }
    let pve = PveClient::new(&config.pve, &token)?;
    tracing::info!(token = token.id(), url = pve.url(), "loaded configuration");
    drop(token);
    // One thread: a request hands its work from task to task (socket, pipeline, HTTPS
    // connection, writer) without waking another thread each time, and the heap is one
    // arena. Nothing the helper runs blocks the thread for long; its work per request is
    // far below what crossing threads cost.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let listener = crate::socket::bind(&config.socket, config.socket_group.as_deref())
            .map_err(|source| ServeError::Socket {
                path: config.socket.clone(),
                source,
            })?;
        let audit =
            crate::audit::Auditor::open(config.audit_file.as_deref()).map_err(|source| {
                ServeError::Audit {
                    path: config.audit_file.clone().unwrap_or_default(),
                    source,
                }
            })?;
        let service = Arc::new(Service::new(policies, pve, audit));
        tracing::info!(socket = %config.socket.display(), "serving");
        tokio::select! {
            () = server::serve(listener, service.clone(), Limits::default()) => {}
            () = crate::socket::signals(service) => {}
        }
        let _ = std::fs::remove_file(&config.socket);
        Ok(())
    })
}
