//! `pve-helper explain`: which rule decides a request, without calling Proxmox unless
//! asked to. Also the small request language the golden policy tests are written in:
//!
//! ```text
//! list_vms [node=N] [status=S] [type=T] [tag=T] [name=N] [limit=L] [offset=O]
//! vm_status VMID            vm_action VMID ACTION [confirmed]
//! node_status [NODE]        task_status UPID
//! proxmox_api [METHOD] PATH [key=value ...]
//! execute_command PROGRAM [ARG ...]     describe
//! guest_config VMID         task_log UPID         cluster_status
//! list_backups VMID         list_storage [NODE]   storage_content NODE STORAGE
//! guest_metrics VMID [hour|day|week]    guest_agent VMID ping|osinfo|network
//! backup_start VMID STORAGE [confirmed]
//! list_tasks [node=N] [vmid=V] [type=T] [status=S] [limit=L]
//! snapshot_list VMID        snapshot_create VMID NAME [ram] [confirmed]
//! snapshot_rollback VMID NAME [confirmed]
//! snapshot_delete VMID NAME [confirmed]
//! node_networks NODE [TYPE]
//! ```
//! or the request as JSON (`{"op": "guest_status", "args": {"vmid": 101}}`).
//! Words are split on whitespace; use JSON for arguments that contain spaces.

use crate::policy::{ClientSpec, Decision, Facts, GuestFacts, Policy, decide, referenced_vmids};
use pve_mcp_proto::*;
use std::collections::BTreeMap;

fn invalid(e: InvalidValue) -> String {
    e.0
}

/// Parses one request in the explain language (or JSON).
pub fn parse_request(text: &str) -> Result<Request, String> {
    let text = text.trim();
    if text.starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("invalid JSON request: {e}"));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((tool, rest)) = words.split_first() else {
        return Err("empty request".into());
    };
    let vmid = |i: usize| -> Result<VmId, String> {
        rest.get(i).ok_or("missing vmid")?.parse().map_err(invalid)
    };
    let request = match *tool {
        "list_vms" => Request::ListGuests(list_filters(rest)?),
        "vm_status" => Request::GuestStatus(GuestRef { vmid: vmid(0)? }),
        "vm_action" => Request::GuestAction(GuestActionRequest {
            vmid: vmid(0)?,
            action: rest
                .get(1)
                .ok_or("missing action")?
                .parse()
                .map_err(invalid)?,
            confirmed: match rest.get(2) {
                None => false,
                Some(&"confirmed") => true,
                Some(other) => {
                    return Err(format!(
                        "unexpected {other:?}: only \"confirmed\" may follow the action"
                    ));
                }
            },
        }),
        "node_status" => Request::NodeStatus(NodeQuery {
            node: rest
                .first()
                .map(|n| NodeName::parse(n))
                .transpose()
                .map_err(invalid)?,
        }),
        "node_networks" => Request::NodeNetworks(NetworkQuery {
            node: NodeName::parse(rest.first().ok_or("missing node")?).map_err(invalid)?,
            iface_type: rest
                .get(1)
                .map(|t| {
                    NetworkType::parse(t).ok_or_else(|| format!("unknown interface type {t:?}"))
                })
                .transpose()?,
        }),
        "task_status" => Request::TaskStatus(TaskRef {
            upid: Upid::parse(rest.first().ok_or("missing UPID")?).map_err(invalid)?,
        }),
        "proxmox_api" => Request::Api(api_call(rest)?),
        "execute_command" => Request::RunCommand(RunCommand {
            argv: Argv::new(rest.iter().map(|s| s.to_string()).collect()).map_err(invalid)?,
        }),
        "describe" => Request::Describe(Describe {}),
        "snapshot_list" => Request::SnapshotList(GuestRef { vmid: vmid(0)? }),
        "guest_config" => Request::GuestConfig(GuestRef { vmid: vmid(0)? }),
        "task_log" => Request::TaskLog(TaskLogQuery {
            upid: Upid::parse(rest.first().ok_or("missing UPID")?).map_err(invalid)?,
            lines: PageLimit::default(),
        }),
        "list_tasks" => Request::ListTasks(task_filters(rest)?),
        "cluster_status" => Request::ClusterStatus(ClusterQuery {}),
        "list_backups" => Request::ListBackups(GuestRef { vmid: vmid(0)? }),
        "backup_start" => Request::BackupStart(BackupRequest {
            vmid: vmid(0)?,
            storage: StorageId::parse(rest.get(1).ok_or("missing storage")?).map_err(invalid)?,
            confirmed: !flags(rest.get(2..).unwrap_or_default(), &["confirmed"])?.is_empty(),
        }),
        "guest_agent" => Request::GuestAgent(AgentQuery {
            vmid: vmid(0)?,
            command: serde_json::from_value(serde_json::Value::String(
                (*rest.get(1).ok_or("missing agent command")?).to_owned(),
            ))
            .map_err(|_| "agent command must be ping, osinfo or network")?,
        }),
        "guest_metrics" => Request::GuestMetrics(MetricsQuery {
            vmid: vmid(0)?,
            timeframe: match rest.get(1) {
                None => Timeframe::Hour,
                Some(t) => serde_json::from_value(serde_json::Value::String((*t).to_owned()))
                    .map_err(|_| "timeframe must be hour, day or week")?,
            },
        }),
        "list_storage" => Request::ListStorage(StorageQuery {
            node: rest
                .first()
                .map(|n| NodeName::parse(n))
                .transpose()
                .map_err(invalid)?,
        }),
        "storage_content" => Request::StorageContent(ContentQuery {
            node: NodeName::parse(rest.first().ok_or("missing node")?).map_err(invalid)?,
            storage: StorageId::parse(rest.get(1).ok_or("missing storage")?).map_err(invalid)?,
            content: None,
            vmid: None,
        }),
        "snapshot_create" => {
            let flags = flags(rest.get(2..).unwrap_or_default(), &["ram", "confirmed"])?;
            Request::SnapshotCreate(SnapshotCreate {
                vmid: vmid(0)?,
                name: snapshot_name(rest.get(1))?,
                description: None,
                include_ram: flags.contains(&"ram"),
                confirmed: flags.contains(&"confirmed"),
            })
        }
        "snapshot_rollback" | "snapshot_delete" => {
            let flags = flags(rest.get(2..).unwrap_or_default(), &["confirmed"])?;
            let target = SnapshotTarget {
                vmid: vmid(0)?,
                name: snapshot_name(rest.get(1))?,
                confirmed: flags.contains(&"confirmed"),
            };
            if *tool == "snapshot_rollback" {
                Request::SnapshotRollback(target)
            } else {
                Request::SnapshotDelete(target)
            }
        }
        other => {
            return Err(format!(
                "unknown request {other:?}: use list_vms, vm_status, vm_action, node_status, \
                 task_status, proxmox_api, execute_command, describe, guest_config, list_tasks, task_log, cluster_status, \
                 list_backups, list_storage, storage_content, guest_metrics, \
                 guest_agent, backup_start, \
                 snapshot_list, \
                 snapshot_create, snapshot_rollback, snapshot_delete, node_networks, or JSON"
            ));
        }
    };
    let extra = match &request {
        Request::GuestStatus(_)
        | Request::TaskStatus(_)
        | Request::NodeStatus(_)
        | Request::SnapshotList(_)
        | Request::GuestConfig(_)
        | Request::TaskLog(_)
        | Request::ListBackups(_)
        | Request::ListStorage(_) => rest.len() > 1,
        Request::StorageContent(_)
        | Request::GuestMetrics(_)
        | Request::GuestAgent(_)
        | Request::NodeNetworks(_) => rest.len() > 2,
        Request::GuestAction(_) => rest.len() > 3,
        Request::Describe(_) | Request::ClusterStatus(_) => !rest.is_empty(),
        _ => false,
    };
    if extra {
        return Err(format!("too many words for {tool}"));
    }
    Ok(request)
}

fn task_filters(words: &[&str]) -> Result<TaskQuery, String> {
    let mut q = TaskQuery::default();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {w:?}"))?;
        match k {
            "node" => q.node = Some(NodeName::parse(v).map_err(invalid)?),
            "vmid" => q.vmid = Some(v.parse().map_err(invalid)?),
            "type" => q.task_type = Some(TaskTypeFilter::parse(v).map_err(invalid)?),
            "status" => {
                q.status = Some(
                    serde_json::from_value(serde_json::Value::String(v.to_owned()))
                        .map_err(|_| "status must be running, ok, warning or error")?,
                )
            }
            "limit" => {
                q.limit = PageLimit::new(v.parse().map_err(|_| "limit must be a number")?)
                    .map_err(invalid)?
            }
            _ => return Err(format!("unknown filter {k:?}")),
        }
    }
    Ok(q)
}

fn snapshot_name(word: Option<&&str>) -> Result<SnapshotName, String> {
    SnapshotName::parse(word.ok_or("missing snapshot name")?).map_err(invalid)
}

/// Trailing flag words, each one of `allowed`, at most once.
fn flags<'a>(words: &[&'a str], allowed: &[&str]) -> Result<Vec<&'a str>, String> {
    let mut seen = Vec::new();
    for w in words {
        if !allowed.contains(w) || seen.contains(w) {
            return Err(format!(
                "unexpected {w:?}: only {} may follow",
                allowed.join(" and ")
            ));
        }
        seen.push(*w);
    }
    Ok(seen)
}

fn list_filters(words: &[&str]) -> Result<ListGuests, String> {
    let mut q = ListGuests::default();
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {w:?}"))?;
        match k {
            "node" => q.node = Some(NodeName::parse(v).map_err(invalid)?),
            "status" => q.status = Some(v.parse().map_err(invalid)?),
            "type" => q.guest_type = Some(v.parse().map_err(invalid)?),
            "tag" => q.tag = Some(Tag::parse(v).map_err(invalid)?),
            "name" => q.name = Some(NameFilter::parse(v).map_err(invalid)?),
            "limit" => {
                q.limit = PageLimit::new(v.parse().map_err(|_| "limit must be a number")?)
                    .map_err(invalid)?
            }
            "offset" => q.offset = v.parse().map_err(|_| "offset must be a number")?,
            _ => return Err(format!("unknown filter {k:?}")),
        }
    }
    Ok(q)
}

fn api_call(words: &[&str]) -> Result<ApiCall, String> {
    let (method, rest) = match words.first() {
        Some(m) if !m.starts_with('/') => (
            m.to_ascii_uppercase().parse().map_err(invalid)?,
            &words[1..],
        ),
        _ => (ApiMethod::Get, words),
    };
    let (path, params) = rest.split_first().ok_or("missing API path")?;
    let mut map = BTreeMap::new();
    for p in params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {p:?}"))?;
        map.insert(
            ParamName::parse(k).map_err(invalid)?,
            ParamValue::Text(v.to_owned()),
        );
    }
    Ok(ApiCall {
        method,
        path: ApiPath::parse(path).map_err(invalid)?,
        params: ApiParams::new(map).map_err(invalid)?,
    })
}

/// Parses `VMID key=value ...` (keys: node, type, pool, tags as `a,b`) into facts.
pub fn parse_guest(spec: &str) -> Result<GuestFacts, String> {
    let mut words = spec.split_whitespace();
    let vmid: VmId = words
        .next()
        .ok_or("empty guest")?
        .parse()
        .map_err(invalid)?;
    let mut g = assumed_guest(vmid);
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {w:?}"))?;
        match k {
            "node" => g.node = NodeName::parse(v).map_err(invalid)?,
            "type" => g.guest_type = v.parse().map_err(invalid)?,
            "pool" => g.pool = Some(PoolName::parse(v).map_err(invalid)?.to_string()),
            "tags" => {
                g.tags = v
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => {
                return Err(format!(
                    "unknown guest attribute {k:?}: use node, type, pool, tags"
                ));
            }
        }
    }
    Ok(g)
}

/// A guest about which nothing is known: QEMU, on node `unknown`, no pool, no tags.
pub fn assumed_guest(vmid: VmId) -> GuestFacts {
    GuestFacts {
        vmid,
        node: NodeName::unknown(),
        guest_type: GuestType::Qemu,
        pool: None,
        tags: Vec::new(),
        running: false,
    }
}

/// Builds facts for an offline explanation: stated guests, plus assumptions for the
/// other vmids the request names. Returns the notes to print about assumptions.
pub fn offline_facts(
    policy: &Policy,
    request: &Request,
    stated: &[GuestFacts],
) -> (Facts, Vec<String>) {
    let mut facts = Facts::default();
    let mut notes = Vec::new();
    for g in stated {
        facts.guests.insert(g.vmid, g.clone());
    }
    if !crate::policy::config_vmids(request).is_empty()
        || matches!(request, Request::BackupRestore(_))
    {
        notes.push(
            "this request is judged on guest or backup configuration too, which only --live \
             reads; offline it is refused for want of it"
                .to_owned(),
        );
    }
    let new_vmid = new_guest_vmid(request);
    for vmid in referenced_vmids(policy, request) {
        if Some(vmid) == new_vmid {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = facts.guests.entry(vmid) {
            slot.insert(assumed_guest(vmid));
            notes.push(format!(
                "guest {vmid} is assumed to exist, as QEMU with no pool and no tags \
                 (state it with --guest '{vmid} pool=.. tags=..', or use --live)"
            ));
        }
    }
    assume_vmid_free(&mut facts, new_vmid, &mut notes);
    (facts, notes)
}

/// The vmid a request gives a new guest, if it names one.
fn new_guest_vmid(request: &Request) -> Option<VmId> {
    match request {
        Request::GuestCreate(c) => c.vmid,
        Request::GuestClone(c) => c.newid,
        Request::BackupRestore(r) if !r.force => r.vmid,
        Request::Api(call) => crate::policy::raw_create_vmid(call),
        _ => None,
    }
}

/// A new guest's vmid is taken to be free unless a known guest has it: explain does
/// not look for leftover volumes and backups, which the helper does.
fn assume_vmid_free(facts: &mut Facts, vmid: Option<VmId>, notes: &mut Vec<String>) {
    let Some(vmid) = vmid else {
        return;
    };
    facts.vmid_free = Some(!facts.guests.contains_key(&vmid));
    notes.push(format!(
        "vmid {vmid} is assumed free of leftover volumes and backups, which the helper also \
         looks for before a new guest takes it"
    ));
}

/// Whether `user` (a name or uid) is listed in `[clients]`, by name or uid.
pub fn client_note(policy: &Policy, user: &str) -> (bool, String) {
    let by_name = nix::unistd::User::from_name(user).ok().flatten();
    let uid = user
        .parse::<u32>()
        .ok()
        .or(by_name.as_ref().map(|u| u.uid.as_raw()));
    let name = by_name.map(|u| u.name).or_else(|| {
        uid.and_then(|u| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(u))
                .ok()
                .flatten()
        })
        .map(|u| u.name)
    });
    let ok = policy.clients.iter().any(|c| match c {
        ClientSpec::Uid(u) => Some(*u) == uid,
        ClientSpec::Name(n) => Some(n.as_str()) == name.as_deref() || n == user,
    });
    let verdict = if ok {
        "is a client"
    } else {
        "is NOT a client: the helper refuses its connections"
    };
    (
        ok,
        format!(
            "{user} {verdict} ([clients] users in {})",
            policy.source.display()
        ),
    )
}

/// The explanation of one decision, as printed.
pub fn render(request: &Request, decision: &Decision) -> String {
    let mut out = format!(
        "request:  {}\ndecision: {}\nrule:     {}\n",
        crate::audit::describe(request),
        decision.verdict(),
        decision.rule()
    );
    match decision {
        Decision::Deny { reason, .. }
        | Decision::NotFound { reason }
        | Decision::Confirm { reason, .. } => {
            out.push_str(&format!("reason:   {reason}\n"));
        }
        Decision::Allow { .. } => {}
    }
    out
}

/// Facts from the cluster itself, through the helper's own configuration and token.
pub fn live_facts(
    config: &crate::config::Config,
    policy: &Policy,
    request: &Request,
) -> Result<Facts, String> {
    let token = crate::secret::ApiToken::load(&config.token_path()).map_err(|e| e.to_string())?;
    let pve = crate::pve::PveClient::new(&config.pve, &token).map_err(|e| e.to_string())?;
    drop(token);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let snap = runtime
        .block_on(crate::pve::cache::ResourceCache::default().get(&pve))
        .map_err(|e| e.to_string())?;
    let mut facts = Facts::default();
    for vmid in referenced_vmids(policy, request) {
        if let Some(g) = snap.get(vmid) {
            facts.guests.insert(vmid, GuestFacts::from(g));
        }
    }
    let settings = |path: String| -> Result<crate::policy::GuestSettings, String> {
        let raw: serde_json::Map<String, serde_json::Value> = runtime
            .block_on(pve.get(&path, &[]))
            .map_err(|e| e.to_string())?;
        Ok(raw
            .into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect())
    };
    for vmid in crate::policy::config_vmids(request) {
        if let Some(g) = facts.guests.get(&vmid) {
            let path = format!("/nodes/{}/{}/{vmid}/config", g.node, g.guest_type.as_str());
            facts.configs.insert(vmid, settings(path)?);
        }
    }
    if let Request::SnapshotRollback(t) = request
        && let Some(g) = facts.guests.get(&t.vmid)
    {
        let path = format!(
            "/nodes/{}/{}/{}/snapshot/{}/config",
            g.node,
            g.guest_type.as_str(),
            t.vmid,
            t.name
        );
        facts.snapshot_config = Some(settings(path)?);
    }
    if let Request::FirewallEdit(e) = request
        && let Some(g) = facts.guests.get(&e.vmid)
    {
        let path = format!(
            "/nodes/{}/{}/{}/firewall/rules",
            g.node,
            g.guest_type.as_str(),
            e.vmid
        );
        let raw: Vec<serde_json::Map<String, serde_json::Value>> = runtime
            .block_on(pve.get(&path, &[]))
            .map_err(|e| e.to_string())?;
        facts.firewall = Some(crate::policy::firewall::GuestRules::from_listing(raw));
    }
    // As offline: leftover volumes are not looked for.
    facts.vmid_free = new_guest_vmid(request).map(|v| !facts.guests.contains_key(&v));
    if let Request::BackupRestore(r) = request {
        let text: String = runtime
            .block_on(pve.get(
                &format!("/nodes/{}/vzdump/extractconfig", r.node),
                &[("volume", r.volume.as_str())],
            ))
            .map_err(|e| e.to_string())?;
        facts.backup_config = Some(crate::policy::ConfigFile::parse(&text));
    }
    Ok(facts)
}

/// Decides offline: facts from `stated` and assumptions.
pub fn explain_offline(
    policy: &Policy,
    request: &Request,
    stated: &[GuestFacts],
) -> (Decision, Vec<String>) {
    let (facts, notes) = offline_facts(policy, request, stated);
    (decide(policy, request, &facts), notes)
}

/// `pve-helper explain`: prints the explanation; exit 0 allowed, 1 refused, 2 bad input.
/// Which policy a request is explained under.
#[derive(Debug, Clone, Copy)]
pub enum Under<'a> {
    /// This policy file (`--policy`, or the configured main policy).
    File(&'a std::path::Path),
    /// The policy that serves this local user (`--client`), among the configured ones.
    Client(&'a str),
}

/// The policy to explain under, and a line saying which it is when there is a choice.
fn policy_under(
    config: &std::path::Path,
    under: Under<'_>,
    explicit: bool,
) -> Result<(Policy, Option<String>), String> {
    let cfg = crate::config::Config::load(config).ok();
    let main = crate::config::policy_file(None, config);
    let dir = cfg.as_ref().map_or_else(
        || crate::paths::default_clients_dir(&main),
        |c| c.clients_dir(),
    );
    match under {
        Under::Client(user) => {
            let (all, _) = crate::policies::Policies::load(&main, &dir)
                .map_err(|problems| problems.join("\n"))?;
            let file = all.for_user(user).ok_or_else(|| {
                format!(
                    "{user} is NOT a client: no policy names it ([clients] users in {}, or \
                     {user}.toml in {})",
                    main.display(),
                    dir.display()
                )
            })?;
            let note = format!("policy:   {} (serves {user})\n", file.path.display());
            Ok((Policy::clone(&file.policy), Some(note)))
        }
        Under::File(path) => {
            let (policy, _) = Policy::load(path).map_err(|e| e.to_string())?;
            let own: Vec<String> = match crate::policies::scan(&dir) {
                Ok(found) if !explicit => found
                    .into_iter()
                    .filter_map(|f| match f {
                        crate::policies::Found::File { login, .. } => Some(login),
                        crate::policies::Found::Refused { login, .. } => login,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let note = (!own.is_empty()).then(|| {
                format!(
                    "policy:   {} (the main policy; clients with a policy of their own: {}; \
                     explain under one with --client USER)\n",
                    path.display(),
                    own.join(", ")
                )
            });
            Ok((policy, note))
        }
    }
}

pub fn run(
    config: &std::path::Path,
    under: Under<'_>,
    explicit: bool,
    request: &str,
    as_user: Option<&str>,
    guests: &[String],
    live: bool,
) -> std::process::ExitCode {
    let explained = || -> Result<bool, String> {
        let (policy, note) = policy_under(config, under, explicit)?;
        let request = parse_request(request)?;
        let stated = guests
            .iter()
            .map(|g| parse_guest(g))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = note.unwrap_or_default();
        let mut client_ok = true;
        let as_user = match under {
            Under::Client(user) => Some(user),
            Under::File(_) => as_user,
        };
        if let Some(user) = as_user {
            let (ok, note) = client_note(&policy, user);
            out.push_str(&format!("client:   {note}\n"));
            client_ok = ok;
        }
        let decision = if live {
            let cfg = crate::config::Config::load(config).map_err(|e| e.to_string())?;
            let facts = live_facts(&cfg, &policy, &request)?;
            // As the helper does: a typed firewall change is made against the rules as
            // they are now.
            let mut request = request.clone();
            if let Request::FirewallEdit(e) = &mut request
                && e.digest.is_none()
                && let Some(d) = facts.firewall.as_ref().and_then(|f| f.digest.as_deref())
            {
                e.digest = FwValue::parse(d).ok();
            }
            decide(&policy, &request, &facts)
        } else {
            let (decision, notes) = explain_offline(&policy, &request, &stated);
            for n in notes {
                out.push_str(&format!("assuming: {n}\n"));
            }
            decision
        };
        out.push_str(&render(&request, &decision));
        print!("{out}");
        Ok(client_ok && matches!(decision, Decision::Allow { .. }))
    };
    match explained() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("pve-helper explain: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_requests() {
        let r = parse_request("snapshot_create 101 pre-up ram confirmed").unwrap();
        let Request::SnapshotCreate(c) = r else {
            panic!("{r:?}")
        };
        assert!(c.include_ram && c.confirmed && c.name.as_str() == "pre-up");
        let r = parse_request("snapshot_delete 101 old").unwrap();
        assert!(matches!(r, Request::SnapshotDelete(t) if !t.confirmed));
        for bad in [
            "snapshot_create 101",
            "snapshot_create 101 current",
            "snapshot_rollback 101 s1 ram",
            "snapshot_rollback 101 s1 confirmed confirmed",
            "snapshot_list 101 extra",
        ] {
            assert!(parse_request(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_language() {
        let r = parse_request("vm_action 101 stop confirmed").unwrap();
        assert!(matches!(
            r,
            Request::GuestAction(GuestActionRequest {
                confirmed: true,
                ..
            })
        ));
        let r = parse_request("proxmox_api post /nodes/pve1/qemu/101/config cores=2").unwrap();
        let Request::Api(call) = r else { panic!() };
        assert_eq!(
            (call.method, call.path.as_str(), call.params.len()),
            (ApiMethod::Post, "/nodes/pve1/qemu/101/config", 1)
        );
        assert!(
            matches!(parse_request("list_vms status=running limit=5").unwrap(), Request::ListGuests(ListGuests { limit, .. }) if limit.get() == 5)
        );
        assert!(matches!(
            parse_request(r#"{"op":"guest_status","args":{"vmid":101}}"#).unwrap(),
            Request::GuestStatus(_)
        ));
        for bad in [
            "",
            "vm_action 101",
            "vm_action 5 stop",
            "vm_status 101 102",
            "fly_away",
            "proxmox_api GET /a/../b",
            "vm_action 101 stop now",
        ] {
            assert!(parse_request(bad).is_err(), "{bad:?}");
        }
        let g = parse_guest("101 node=pve2 type=lxc pool=lab tags=a,b").unwrap();
        assert_eq!(
            (
                g.node.as_str(),
                g.guest_type,
                g.pool.as_deref(),
                g.tags.len()
            ),
            ("pve2", GuestType::Lxc, Some("lab"), 2)
        );
    }
}
