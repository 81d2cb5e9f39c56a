//! Turns `policy.toml` text (admin input, possibly with typos) into a [`Policy`],
//! collecting every error and warning with its line and column. This file holds the
//! frame and the small sections (`[clients]`, `[api]`, `[backup]`, `[limits]`); the
//! larger ones are parsed in `guests`, `commands` and `lifecycle_sections`.

mod commands;
mod diagnostics;
mod firewall;
mod guests;
mod lifecycle_sections;

pub use commands::COMMAND_PATH;
pub use diagnostics::{Diagnostic, Severity};

use crate::policy::floor;
use crate::policy::model::{ApiRule, ClientSpec, Limits, Operation, Policy};
use crate::policy::pattern::PathPattern;
use diagnostics::Ctx;
use lifecycle_sections as lifecycle;
use pve_mcp_proto::{ApiMethod, ApiPath};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    clients: Option<Spanned<RawClients>>,
    guests: Option<Spanned<guests::RawGuests>>,
    #[serde(default)]
    rule: Vec<Spanned<guests::RawRule>>,
    api: Option<RawApi>,
    commands: Option<commands::RawCommands>,
    #[serde(default)]
    command: Vec<Spanned<commands::RawCommand>>,
    limits: Option<RawLimits>,
    backup: Option<RawBackup>,
    create: Option<Spanned<lifecycle::RawCreate>>,
    bounds: Option<lifecycle::RawBounds>,
    config: Option<lifecycle::RawConfig>,
    migrate: Option<lifecycle::RawMigrate>,
    storage: Option<lifecycle::RawMedia>,
    agent: Option<lifecycle::RawAgent>,
    changes: Option<RawChanges>,
    firewall: Option<firewall::RawFirewall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChanges {
    #[serde(default)]
    plans_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    #[serde(default)]
    storages: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClients {
    #[serde(default)]
    users: Vec<Spanned<RawUser>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawUser {
    Uid(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    requests_per_minute: Option<Spanned<i64>>,
    concurrent: Option<Spanned<i64>>,
}

/// Parses policy text. `Err` holds every diagnostic (at least one error). `own` is
/// the login name a client's own policy file (`clients.d/LOGIN.toml`) serves: its
/// `[clients]` may be left out, and may name no one else.
pub fn parse(
    text: &str,
    file: &Path,
    own: Option<&str>,
) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut cx = Ctx::new(text, file);
    let raw: RawPolicy = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            cx.error(e.span().unwrap_or(0..0), e.message().trim_end().to_owned());
            return Err(cx.diags);
        }
    };
    let clients = match own {
        None => clients(&mut cx, raw.clients),
        Some(login) => own_client(&mut cx, raw.clients, login),
    };
    let (guests, grants) = guests::guests_and_rules(&mut cx, raw.guests, raw.rule);
    let api = raw.api.map(|a| api(&mut cx, a)).unwrap_or_default();
    let commands = commands::commands(&mut cx, raw.commands, raw.command);
    let limits = raw.limits.map(|l| limits(&mut cx, l)).unwrap_or_default();
    let backup_storages = raw
        .backup
        .map(|b| backup_storages(&mut cx, b))
        .unwrap_or_default();
    let backups_granted = grants
        .iter()
        .any(|g| g.operations.contains(&Operation::BackupCreate));
    if backups_granted && backup_storages.is_empty() {
        cx.warn(
            0..0,
            "backup.create is granted but [backup] storages is empty: every backup is refused",
        );
    }
    let create = raw
        .create
        .and_then(|c| lifecycle::create(&mut cx, c, &guests));
    let bounds = raw
        .bounds
        .map(|b| lifecycle::bounds(&mut cx, b))
        .unwrap_or_default();
    let config_keys = raw
        .config
        .map(|c| lifecycle::config(&mut cx, c))
        .unwrap_or_default();
    let migrate_nodes = raw
        .migrate
        .map(|m| lifecycle::migrate(&mut cx, m))
        .unwrap_or_default();
    let media = raw
        .storage
        .map(|m| lifecycle::media(&mut cx, m))
        .unwrap_or_default();
    let agent = raw
        .agent
        .map(|a| lifecycle::agent(&mut cx, a))
        .unwrap_or_default();
    let firewall = raw
        .firewall
        .map(|f| firewall::firewall(&mut cx, f))
        .unwrap_or_default();
    let granted = |op: Operation| grants.iter().any(|g| g.operations.contains(&op));
    for (op, missing, what) in [
        (
            Operation::Clone,
            create.is_none(),
            "[create] (where clones go)",
        ),
        (
            Operation::ConfigWrite,
            config_keys.0.is_empty(),
            "[config] keys (which keys may change)",
        ),
        (
            Operation::Migrate,
            migrate_nodes.is_empty(),
            "[migrate] nodes (where guests may go)",
        ),
        (
            Operation::AgentExec,
            agent.exec.is_empty(),
            "[agent] exec (which programs may run)",
        ),
        (
            Operation::DiskMove,
            bounds.storages.is_empty(),
            "[bounds] storages (where disks may go)",
        ),
        (
            Operation::FirewallRules,
            (firewall.directions.is_empty() || firewall.actions.is_empty())
                && firewall.groups.is_empty(),
            "[firewall] (which rules may be written)",
        ),
    ] {
        if missing && granted(op) {
            cx.warn(
                0..0,
                format!(
                    "{op} is granted but {what} is missing or empty: every such request is refused"
                ),
            );
        }
    }
    cx.diags.sort_by_key(|d| (d.line, d.col));
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(cx.diags);
    }
    let policy = Policy {
        source: file.to_owned(),
        clients,
        guests,
        grants,
        api,
        commands,
        limits,
        backup_storages,
        create,
        bounds,
        config_keys,
        migrate_nodes,
        media,
        agent,
        plans_only: raw.changes.is_some_and(|c| c.plans_only),
        firewall,
    };
    Ok((policy, cx.diags))
}

fn clients(cx: &mut Ctx, raw: Option<Spanned<RawClients>>) -> Vec<ClientSpec> {
    let Some(raw) = raw else {
        cx.warn(0..0, "no [clients] section: no user can connect");
        return Vec::new();
    };
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.users.is_empty() {
        cx.warn(span, "[clients] users is empty: no user can connect");
    }
    let mut out = Vec::new();
    for u in raw.users {
        let span = u.span();
        let spec = match u.into_inner() {
            RawUser::Uid(n) => match u32::try_from(n) {
                Ok(uid) => ClientSpec::Uid(uid),
                Err(_) => {
                    cx.error(span, format!("uid {n} is out of range"));
                    continue;
                }
            },
            RawUser::Name(name) => match parse_user_name(&name) {
                Some(spec) => spec,
                None => {
                    cx.error(span, format!("{name:?} is not a valid user name or uid"));
                    continue;
                }
            },
        };
        if spec == ClientSpec::Uid(0) || spec == ClientSpec::Name("root".into()) {
            cx.warn(
                span.clone(),
                "root is a client: anything running as root on this host may use the helper",
            );
        }
        if out.contains(&spec) {
            cx.error(span, "duplicate client");
        } else {
            out.push(spec);
        }
    }
    out
}

/// The `[clients]` of a client's own policy file: left out, or exactly its login.
fn own_client(cx: &mut Ctx, raw: Option<Spanned<RawClients>>, login: &str) -> Vec<ClientSpec> {
    let own = ClientSpec::Name(login.to_owned());
    let Some(raw) = raw else {
        return vec![own];
    };
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.users.is_empty() {
        cx.error(
            span,
            format!("[clients] users is empty; in {login}'s own policy leave [clients] out, or name {login:?}"),
        );
    }
    for u in raw.users {
        let span = u.span();
        let named = match u.into_inner() {
            RawUser::Uid(n) => format!("uid {n}"),
            RawUser::Name(n) if n == login => continue,
            RawUser::Name(n) => format!("{n:?}"),
        };
        cx.error(
            span,
            format!(
                "{named} is not {login:?}: a file in the clients directory serves only the user it is named after"
            ),
        );
    }
    vec![own]
}

/// Where each `[clients] users` entry of policy text is, as (spec, line, column),
/// for messages about a user that two policy files name. Entries that do not parse
/// are left out (`parse` reports them).
pub fn client_positions(text: &str) -> Vec<(ClientSpec, usize, usize)> {
    #[derive(Deserialize)]
    struct Clients {
        clients: Option<RawClients>,
    }
    let Ok(raw) = toml::from_str::<Clients>(text) else {
        return Vec::new();
    };
    let dummy = Path::new("");
    let cx = Ctx::new(text, dummy);
    raw.clients
        .map(|c| c.users)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| {
            let (line, col) = cx.position(u.span());
            let spec = match u.into_inner() {
                RawUser::Uid(n) => ClientSpec::Uid(u32::try_from(n).ok()?),
                RawUser::Name(n) => parse_user_name(&n)?,
            };
            Some((spec, line, col))
        })
        .collect()
}

/// Whether `name` is a login name a client may have (not a uid).
pub fn is_login_name(name: &str) -> bool {
    matches!(parse_user_name(name), Some(ClientSpec::Name(_)))
}

fn parse_user_name(name: &str) -> Option<ClientSpec> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name.parse().ok().map(ClientSpec::Uid);
    }
    let ok = (1..=32).contains(&name.len())
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    ok.then(|| ClientSpec::Name(name.to_owned()))
}

fn api(cx: &mut Ctx, raw: RawApi) -> Vec<ApiRule> {
    let mut out: Vec<ApiRule> = Vec::new();
    for s in raw.allow {
        let span = s.span();
        let rule = match parse_api_rule(s.get_ref()) {
            Ok(r) => r,
            Err(e) => {
                cx.error(span, e);
                continue;
            }
        };
        if out
            .iter()
            .any(|r| r.method == rule.method && r.pattern == rule.pattern)
        {
            cx.error(span, format!("duplicate API rule \"{rule}\""));
            continue;
        }
        let sample = ApiPath::parse(&rule.pattern.sample());
        if let Some(reason) = sample
            .ok()
            .and_then(|p| floor::path_floor_reason(rule.method, &p))
        {
            cx.error(
                span,
                format!("\"{rule}\" tries to open the fixed floor: {reason}"),
            );
            continue;
        }
        for (m, p) in floor::EXAMPLES {
            if *m == rule.method && ApiPath::parse(p).is_ok_and(|p| rule.pattern.matches(&p)) {
                cx.warn(
                    span.clone(),
                    format!(
                        "\"{rule}\" also covers floor endpoints such as {m} {p}, which stay closed"
                    ),
                );
                break;
            }
        }
        let covered = crate::policy::api_class::covered(&rule);
        if covered.is_empty() {
            cx.warn(
                span.clone(),
                format!(
                    "\"{rule}\" matches no endpoint of Proxmox VE's API (besides the fixed \
                     floor): it opens nothing"
                ),
            );
        }
        let refused: Vec<(String, &str)> = covered
            .iter()
            .filter_map(|(e, c)| match c {
                crate::policy::api_class::Class::Refused(why) => {
                    Some((format!("{} {}", e.method, e.template), *why))
                }
                _ => None,
            })
            .collect();
        if !refused.is_empty() {
            const SHOWN: usize = 8;
            let mut names: Vec<&str> = refused
                .iter()
                .take(SHOWN)
                .map(|(n, _)| n.as_str())
                .collect();
            let more = format!("and {} more", refused.len().saturating_sub(SHOWN));
            if refused.len() > SHOWN {
                names.push(&more);
            }
            let mut why: Vec<&str> = refused.iter().map(|(_, w)| *w).collect();
            why.dedup();
            why.sort_unstable();
            why.dedup();
            cx.warn(
                span.clone(),
                format!(
                    "\"{rule}\" covers endpoints pve-mcp refuses whatever the policy says: {} \
                     ({})",
                    names.join(", "),
                    why.join("; ")
                ),
            );
        }
        if rule.method != ApiMethod::Get && rule.pattern.to_string().ends_with("**") {
            cx.warn(
                span.clone(),
                format!("\"{rule}\" allows writes under a whole subtree"),
            );
        }
        out.push(rule);
    }
    out
}

/// `METHOD /path/pattern`, e.g. `GET /nodes/*/status`.
pub fn parse_api_rule(s: &str) -> Result<ApiRule, String> {
    let Some((method, pattern)) = s.split_once(' ') else {
        return Err(format!(
            "API rule {s:?} must be \"METHOD /path\", e.g. \"GET /nodes/*/status\""
        ));
    };
    let method: ApiMethod = method
        .parse()
        .map_err(|e: pve_mcp_proto::InvalidValue| e.to_string())?;
    let pattern = PathPattern::parse(pattern.trim())?;
    Ok(ApiRule { method, pattern })
}

fn backup_storages(cx: &mut Ctx, raw: RawBackup) -> Vec<pve_mcp_proto::StorageId> {
    let mut out = Vec::new();
    for s in raw.storages {
        let span = s.span();
        match pve_mcp_proto::StorageId::parse(s.get_ref()) {
            Ok(id) if out.contains(&id) => cx.error(span, format!("duplicate storage {id}")),
            Ok(id) => out.push(id),
            Err(e) => cx.error(span, e.to_string()),
        }
    }
    out
}

fn limits(cx: &mut Ctx, raw: RawLimits) -> Limits {
    let mut l = Limits::default();
    if let Some(v) = raw
        .requests_per_minute
        .and_then(|v| cx.bounded(&v, "requests_per_minute", 1..100_001))
    {
        l.requests_per_minute = u32::try_from(v).unwrap_or(u32::MAX);
    }
    if let Some(v) = raw
        .concurrent
        .and_then(|v| cx.bounded(&v, "concurrent", 1..257))
    {
        l.concurrent = u32::try_from(v).unwrap_or(u32::MAX);
    }
    l
}
