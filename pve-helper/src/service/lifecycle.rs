//! Executing the lifecycle requests the policy allowed: create, clone, template,
//! configure, resize, migrate, delete, restore, volume deletion, downloads, task
//! cancellation and guest-agent programs, plus the read-only firewall, pool, HA and
//! next-vmid answers. Every guest's node and type come from Proxmox (the resource
//! cache), never from the client; every value sent was judged by `decide` first.

use super::config;
use super::guests::{guest_path, lookup, started_task, task};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::{GuestSettings, Origin, Policy, create_settings};
use crate::pve::{PveError, resources::Num, sanitize};
use pve_mcp_proto::*;
use serde::Deserialize;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long the helper waits for a running guest to stop before deleting it: under
/// mcp-front's default call timeout (60 s), so a slow stop is reported, not cut off.
const STOP_WAIT: Duration = Duration::from_secs(45);
/// How many candidates of `[create] vmids` are tried against `/cluster/nextid`.
const NEXTID_TRIES: usize = 32;

type Form = Vec<(String, String)>;

fn invalid(msg: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorKind::Invalid, msg)
}

/// Percent-encodes like PVE's `uri_escape` (cloud-init `sshkeys` must be sent so).
fn uri_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A guest's configuration as Proxmox stores it (not redacted: it never leaves the
/// helper; `decide` reads it).
pub async fn settings(svc: &Service, vmid: VmId) -> Result<Option<GuestSettings>, PveError> {
    let snap = svc.cache.get(&svc.pve).await?;
    let Some(g) = snap.get(vmid) else {
        return Ok(None);
    };
    let path = format!(
        "/nodes/{}/{}/{}/config",
        g.node,
        g.guest_type.as_str(),
        vmid
    );
    let raw: serde_json::Map<String, serde_json::Value> = svc.pve.get(&path, &[]).await?;
    Ok(Some(to_settings(raw)))
}

pub(super) fn to_settings(raw: serde_json::Map<String, serde_json::Value>) -> GuestSettings {
    raw.into_iter()
        .filter_map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => return None,
                other => other.to_string(),
            };
            Some((k, v))
        })
        .collect()
}

/// The configuration inside a vzdump backup (`vzdump/extractconfig`), every section.
pub async fn backup_settings(
    svc: &Service,
    node: &NodeName,
    volume: &VolumeId,
) -> Result<crate::policy::ConfigFile, PveError> {
    let text: String = svc
        .pve
        .get(
            &format!("/nodes/{node}/vzdump/extractconfig"),
            &[("volume", volume.as_str())],
        )
        .await?;
    Ok(crate::policy::ConfigFile::parse(&text))
}

/// Whether a new guest may take `vmid`: no guest has it (`/cluster/nextid` also sees
/// guests the token cannot) and no storage holds volumes or backups named for it,
/// which would otherwise become the new guest's.
pub async fn vmid_free(svc: &Service, vmid: VmId) -> Result<bool, PveError> {
    let taken = svc.cache.get(&svc.pve).await?.get(vmid).is_some();
    if taken || !nextid_free(svc, vmid).await? {
        return Ok(false);
    }
    Ok(!leftover_owners(svc).await?.contains(&vmid))
}

async fn nextid_free(svc: &Service, vmid: VmId) -> Result<bool, PveError> {
    let id_text = vmid.to_string();
    match svc
        .pve
        .get::<serde_json::Value>("/cluster/nextid", &[("vmid", &id_text)])
        .await
    {
        Ok(_) => Ok(true),
        Err(PveError::Http { status: 400, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RawStorageResource {
    storage: String,
    node: String,
    #[serde(default)]
    shared: Option<Num>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawVolume {
    volid: String,
    #[serde(default)]
    vmid: Option<Num>,
}

/// Every guest that some storage holds a volume or backup of (guests that exist
/// included), from one content listing of each available storage (shared storages
/// once).
pub async fn leftover_owners(svc: &Service) -> Result<HashSet<VmId>, PveError> {
    let stores: Vec<RawStorageResource> = svc
        .pve
        .get("/cluster/resources", &[("type", "storage")])
        .await?;
    let mut seen_shared = HashSet::new();
    let mut owners = HashSet::new();
    for s in stores {
        if s.status.as_deref().is_some_and(|st| st != "available") {
            continue;
        }
        let shared = s.shared.is_some_and(|v| v.u64() != 0);
        if shared && !seen_shared.insert(s.storage.clone()) {
            continue;
        }
        let (Ok(node), Ok(storage)) = (NodeName::parse(&s.node), StorageId::parse(&s.storage))
        else {
            continue;
        };
        let volumes: Vec<RawVolume> = svc
            .pve
            .get(&format!("/nodes/{node}/storage/{storage}/content"), &[])
            .await?;
        for v in volumes {
            owners.extend(v.vmid.and_then(|n| VmId::new(n.u64()).ok()));
            if let Ok(vol) = crate::policy::refs::volume(&v.volid) {
                owners.extend(vol.guests());
            }
        }
    }
    Ok(owners)
}

/// The lowest vmid of `[create] vmids` that [`vmid_free`] would accept: no guest
/// has it (confirmed by `/cluster/nextid`) and no storage holds anything of it.
pub async fn next_free_vmid(svc: &Service, policy: &Policy) -> Result<Option<VmId>, ErrorBody> {
    let Some(create) = &policy.create else {
        return Ok(None);
    };
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let leftovers = leftover_owners(svc).await.map_err(upstream_error)?;
    let (lo, hi) = (create.vmids.0.get(), create.vmids.1.get());
    let mut tried = 0;
    for id in lo..=hi {
        let Ok(vmid) = VmId::new(u64::from(id)) else {
            continue;
        };
        if snap.get(vmid).is_some() || leftovers.contains(&vmid) {
            continue;
        }
        if tried == NEXTID_TRIES {
            break;
        }
        tried += 1;
        if nextid_free(svc, vmid).await.map_err(upstream_error)? {
            return Ok(Some(vmid));
        }
    }
    Ok(None)
}

async fn post(svc: &Service, method: ApiMethod, path: &str, form: &Form) -> OpResult {
    svc.pve
        .call_form(method, path, form)
        .await
        .map_err(upstream_error)
        .map(|data| Payload::Api(ApiResult { data }))
}

fn data(p: Payload) -> serde_json::Value {
    match p {
        Payload::Api(a) => a.data,
        _ => serde_json::Value::Null,
    }
}

fn new_guest(vmid: VmId, node: NodeName, data: &serde_json::Value) -> OpResult {
    match started_task(data)? {
        Payload::Task(task) => Ok(Payload::NewGuest(NewGuest {
            vmid,
            node,
            task,
            notes: Vec::new(),
        })),
        other => Ok(other),
    }
}

fn push(form: &mut Form, k: &str, v: impl ToString) {
    form.push((k.to_owned(), v.to_string()));
}

/// Pool and tags every new guest gets from `[create]`.
fn placement(policy: &Policy, form: &mut Form, extra_tags: &[String]) {
    let Some(create) = &policy.create else {
        return;
    };
    if let Some(pool) = &create.pool {
        push(form, "pool", pool);
    }
    let mut tags: Vec<String> = extra_tags.to_vec();
    for t in &create.tags {
        if !tags.iter().any(|x| x.eq_ignore_ascii_case(t.as_str())) {
            tags.push(t.to_string());
        }
    }
    if !tags.is_empty() {
        push(form, "tags", tags.join(";"));
    }
}

/// Encodes one setting for Proxmox (cloud-init SSH keys are URL-encoded for VMs).
fn encode(kind: GuestType, key: &str, value: &str) -> String {
    if key == "sshkeys" && kind == GuestType::Qemu {
        uri_escape(value)
    } else {
        value.to_owned()
    }
}

pub async fn create(svc: &Service, policy: &Policy, c: &GuestCreate) -> OpResult {
    let vmid = c.vmid.ok_or_else(|| invalid("no vmid was chosen"))?;
    let mut form: Form = vec![("vmid".into(), vmid.to_string())];
    for (k, v, origin) in create_settings(c) {
        if origin == Origin::Field || origin == Origin::Listed {
            form.push((k.clone(), encode(c.guest_type, &k, &v)));
        }
    }
    placement(policy, &mut form, &[]);
    // Proxmox sizes a disk imported from an image from the image (decide checked it
    // against [bounds]), whatever size was asked: say so.
    let imported = match &c.image {
        Some(image) => Some((
            image,
            super::storage::volume_gib(svc, &c.node, image)
                .await
                .map_err(upstream_error)?,
        )),
        None => None,
    };
    let path = format!("/nodes/{}/{}", c.node, c.guest_type.as_str());
    let d = data(post(svc, ApiMethod::Post, &path, &form).await?);
    svc.cache.invalidate().await;
    let mut made = new_guest(vmid, c.node.clone(), &d)?;
    if let (Payload::NewGuest(g), Some((image, gib))) = (&mut made, imported) {
        let asked = c.disk.size_gib.get();
        let grow = if asked > gib {
            format!("; grow it with disk_resize to the {asked} GiB asked")
        } else {
            String::new()
        };
        g.notes.push(format!(
            "disk scsi0 is imported from {image} and takes its size, {gib} GiB{grow}"
        ));
    }
    Ok(made)
}

pub async fn clone(svc: &Service, policy: &Policy, c: &GuestClone) -> OpResult {
    let g = lookup(svc, c.vmid).await?;
    let newid = c.newid.ok_or_else(|| invalid("no vmid was chosen"))?;
    let mut form: Form = vec![("newid".into(), newid.to_string())];
    if let Some(name) = &c.name {
        let key = match g.guest_type {
            GuestType::Qemu => "name",
            GuestType::Lxc => "hostname",
        };
        push(&mut form, key, name);
    }
    let target = c.target.clone().unwrap_or_else(|| g.node.clone());
    if target != g.node {
        push(&mut form, "target", &target);
    }
    push(&mut form, "full", u8::from(c.full));
    if let Some(s) = &c.storage {
        push(&mut form, "storage", s);
    }
    if let Some(d) = &c.description {
        push(&mut form, "description", d);
    }
    if let Some(pool) = policy.create.as_ref().and_then(|c| c.pool.as_ref()) {
        push(&mut form, "pool", pool);
    }
    let d = data(
        post(
            svc,
            ApiMethod::Post,
            &format!("{}/clone", guest_path(&g)),
            &form,
        )
        .await?,
    );
    svc.cache.invalidate().await;
    new_guest(newid, target, &d)
}

pub async fn template(svc: &Service, vmid: VmId) -> OpResult {
    let g = lookup(svc, vmid).await?;
    let path = format!("{}/template", guest_path(&g));
    let d = data(post(svc, ApiMethod::Post, &path, &Form::new()).await?);
    svc.cache.invalidate().await;
    if d.is_null() {
        // Containers convert synchronously.
        return super::guests::status(svc, vmid).await;
    }
    started_task(&d)
}

pub async fn configure(svc: &Service, policy: &Policy, c: &GuestConfigure) -> OpResult {
    let g = lookup(svc, c.vmid).await?;
    let mut form: Form = c
        .set
        .iter()
        .map(|(k, v)| (k.to_string(), encode(g.guest_type, k.as_str(), v.as_str())))
        .collect();
    if !c.delete.is_empty() {
        let keys: Vec<&str> = c.delete.iter().map(ConfigKey::as_str).collect();
        push(&mut form, "delete", keys.join(","));
    }
    let path = format!("{}/config", guest_path(&g));
    let d = data(post(svc, ApiMethod::Put, &path, &form).await?);
    svc.cache.invalidate().await;
    if d.is_string() {
        return started_task(&d);
    }
    config::read(svc, policy, c.vmid).await
}

pub async fn resize(svc: &Service, policy: &Policy, r: &DiskResize) -> OpResult {
    let g = lookup(svc, r.vmid).await?;
    let form: Form = vec![
        ("disk".into(), r.disk.to_string()),
        ("size".into(), format!("{}G", r.size_gib)),
    ];
    let d = data(
        post(
            svc,
            ApiMethod::Put,
            &format!("{}/resize", guest_path(&g)),
            &form,
        )
        .await?,
    );
    svc.cache.invalidate().await;
    if d.is_string() {
        return started_task(&d);
    }
    config::read(svc, policy, r.vmid).await
}

pub async fn migrate(svc: &Service, m: &GuestMigrate) -> OpResult {
    let g = lookup(svc, m.vmid).await?;
    let running = g.status == GuestState::Running;
    if running && !m.online {
        return Err(invalid(format!(
            "guest {} is running: migrate it online (online: true) or stop it first",
            m.vmid
        )));
    }
    let mut form: Form = vec![("target".into(), m.target.to_string())];
    if running {
        match g.guest_type {
            GuestType::Qemu => {
                push(&mut form, "online", 1);
                // A live migration copies disks on storages only this node reaches
                // when told to; decide checked their storages against [bounds].
                let config = settings(svc, m.vmid).await.map_err(upstream_error)?;
                let shared = super::storage::shared_storages(svc)
                    .await
                    .map_err(upstream_error)?;
                if config
                    .is_some_and(|c| !crate::policy::local_disk_storages(&c, &shared).is_empty())
                {
                    push(&mut form, "with-local-disks", 1);
                }
            }
            GuestType::Lxc => push(&mut form, "restart", 1),
        }
    }
    let d = data(
        post(
            svc,
            ApiMethod::Post,
            &format!("{}/migrate", guest_path(&g)),
            &form,
        )
        .await?,
    );
    svc.cache.invalidate().await;
    started_task(&d)
}

/// Waits until a task stops; `Ok(())` when it succeeded.
async fn wait_task(svc: &Service, upid: &Upid, limit: Duration) -> Result<(), ErrorBody> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        if let Payload::Task(t) = task(svc, upid).await?
            && t.status == TaskState::Stopped
        {
            return if t.succeeded() {
                Ok(())
            } else {
                Err(ErrorBody::new(
                    ErrorKind::Upstream,
                    format!(
                        "task {upid} failed: {}",
                        t.exitstatus.unwrap_or_else(|| "unknown error".into())
                    ),
                ))
            };
        }
        if start.elapsed() > limit {
            return Err(ErrorBody::new(
                ErrorKind::Timeout,
                format!("task {upid} still runs after {} s", limit.as_secs()),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

pub async fn delete(svc: &Service, del: &GuestDelete) -> OpResult {
    let g = lookup(svc, del.vmid).await?;
    if g.status != GuestState::Stopped {
        let stop = format!("{}/status/stop", guest_path(&g));
        let d = data(post(svc, ApiMethod::Post, &stop, &Form::new()).await?);
        if let Payload::Task(t) = started_task(&d)? {
            wait_task(svc, &t.upid, STOP_WAIT).await.map_err(|e| {
                ErrorBody::new(
                    e.kind,
                    format!(
                        "guest {} was not deleted: stopping it failed: {}",
                        del.vmid, e.message
                    ),
                )
            })?;
        }
    }
    let mut form = Form::new();
    if del.purge {
        push(&mut form, "purge", 1);
    }
    if del.destroy_unreferenced_disks {
        push(&mut form, "destroy-unreferenced-disks", 1);
    }
    let d = data(post(svc, ApiMethod::Delete, &guest_path(&g), &form).await?);
    svc.cache.invalidate().await;
    started_task(&d)
}

pub async fn restore(svc: &Service, policy: &Policy, r: &BackupRestore) -> OpResult {
    let (kind, _) = r
        .volume
        .backup_of()
        .ok_or_else(|| invalid(format!("{} is not a vzdump backup", r.volume)))?;
    let vmid = r.vmid.ok_or_else(|| invalid("no vmid was chosen"))?;
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let existing = snap.get(vmid).map(|g| NodeName::clone(&g.node));
    drop(snap);
    let node = existing.clone().unwrap_or_else(|| r.node.clone());
    let mut form: Form = vec![("vmid".into(), vmid.to_string())];
    match kind {
        GuestType::Qemu => push(&mut form, "archive", &r.volume),
        GuestType::Lxc => {
            push(&mut form, "ostemplate", &r.volume);
            push(&mut form, "restore", 1);
            push(&mut form, "unprivileged", 1);
        }
    }
    match (&r.storage, kind) {
        (Some(s), _) => push(&mut form, "storage", s),
        // PVE restores a container to `local` unless told: keep the backup's rootfs
        // storage, which decide checked against [bounds] storages.
        (None, GuestType::Lxc) => {
            let cfg = backup_settings(svc, &node, &r.volume)
                .await
                .map_err(upstream_error)?;
            if let Some(storage) = cfg
                .main
                .get("rootfs")
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.split_once(':'))
                .map(|(s, _)| s.to_owned())
            {
                push(&mut form, "storage", storage);
            }
        }
        (None, GuestType::Qemu) => {}
    }
    if existing.is_some() {
        push(&mut form, "force", 1);
    } else {
        push(&mut form, "unique", 1);
        if let Some(pool) = policy.create.as_ref().and_then(|c| c.pool.as_ref()) {
            push(&mut form, "pool", pool);
        }
    }
    let path = format!("/nodes/{node}/{}", kind.as_str());
    let d = data(post(svc, ApiMethod::Post, &path, &form).await?);
    svc.cache.invalidate().await;
    new_guest(vmid, node, &d)
}

pub async fn volume_delete(svc: &Service, v: &VolumeDelete) -> OpResult {
    let path = format!(
        "/nodes/{}/storage/{}/content/{}",
        v.node,
        v.volume.storage(),
        v.volume
    );
    let d = data(post(svc, ApiMethod::Delete, &path, &Form::new()).await?);
    if d.is_string() {
        return started_task(&d);
    }
    Ok(Payload::Volumes(Vec::new()))
}

pub async fn download(svc: &Service, s: &StorageDownload) -> OpResult {
    let mut form: Form = vec![
        ("url".into(), s.url.to_string()),
        ("content".into(), s.content.as_str().into()),
        ("filename".into(), s.filename.to_string()),
        ("verify-certificates".into(), "1".into()),
    ];
    if let Some(c) = &s.checksum {
        push(&mut form, "checksum", &c.value);
        push(&mut form, "checksum-algorithm", c.algorithm.as_str());
    }
    let path = format!("/nodes/{}/storage/{}/download-url", s.node, s.storage);
    let d = data(post(svc, ApiMethod::Post, &path, &form).await?);
    started_task(&d)
}

pub async fn cancel(svc: &Service, t: &TaskCancel) -> OpResult {
    let path = format!("/nodes/{}/tasks/{}", t.upid.node(), t.upid);
    post(svc, ApiMethod::Delete, &path, &Form::new()).await?;
    task(svc, &t.upid).await
}

#[derive(Deserialize)]
struct ExecStarted {
    pid: Num,
}

#[derive(Deserialize, Default)]
struct ExecStatus {
    #[serde(default)]
    exited: Option<Num>,
    #[serde(default)]
    exitcode: Option<Num>,
    #[serde(default)]
    signal: Option<Num>,
    #[serde(default, rename = "out-data")]
    out: Option<String>,
    #[serde(default, rename = "err-data")]
    err: Option<String>,
    #[serde(default, rename = "out-truncated")]
    out_truncated: Option<Num>,
    #[serde(default, rename = "err-truncated")]
    err_truncated: Option<Num>,
}

/// An output stream of a command run in the guest, made fit to show
/// ([`sanitize_text`](crate::pve::sanitize_text): lines and tabs kept, other controls
/// dropped, hidden characters escaped) and cut to at most `max` bytes, escapes included;
/// sets `truncated` if cut.
fn cap(s: Option<String>, max: usize, truncated: &mut bool) -> String {
    let mut s = crate::pve::sanitize_text_owned(s.unwrap_or_default());
    *truncated |= crate::pve::cut_text(&mut s, max);
    s
}

pub async fn agent_exec(svc: &Service, policy: &Policy, a: &AgentExec) -> OpResult {
    let g = lookup(svc, a.vmid).await?;
    if g.guest_type != GuestType::Qemu {
        return Err(invalid(format!(
            "guest {} is a container: only VMs have a QEMU guest agent",
            a.vmid
        )));
    }
    let started = Instant::now();
    let form: Form = a
        .argv
        .args()
        .iter()
        .map(|arg| ("command".to_owned(), arg.clone()))
        .collect();
    let base = format!("{}/agent", guest_path(&g));
    let pid: ExecStarted = serde_json::from_value(data(
        post(svc, ApiMethod::Post, &format!("{base}/exec"), &form).await?,
    ))
    .map_err(|e| ErrorBody::new(ErrorKind::Upstream, format!("unexpected exec answer: {e}")))?;
    let pid = pid.pid.u64().to_string();
    let limit = policy.agent.timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        let st: ExecStatus = svc
            .pve
            .get(&format!("{base}/exec-status"), &[("pid", &pid)])
            .await
            .map_err(upstream_error)?;
        if st.exited.is_some_and(|e| e.u64() != 0) {
            let mut truncated = st.out_truncated.is_some_and(|t| t.u64() != 0)
                || st.err_truncated.is_some_and(|t| t.u64() != 0);
            let max = policy.agent.max_output_bytes;
            let stdout = cap(st.out, max, &mut truncated);
            let stderr = cap(st.err, max.saturating_sub(stdout.len()), &mut truncated);
            return Ok(Payload::Command(CommandOutput {
                exit_code: st.exitcode.map(|c| c.0 as i32),
                signal: st.signal.map(|s| s.0 as i32),
                stdout,
                stderr,
                truncated,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }));
        }
        if started.elapsed() > limit {
            return Err(ErrorBody::new(
                ErrorKind::Timeout,
                format!(
                    "{} still runs in guest {} after {} s ([agent] timeout_secs; pid {pid} in the guest)",
                    a.argv,
                    a.vmid,
                    limit.as_secs()
                ),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

#[derive(Deserialize)]
struct RawRule {
    #[serde(default)]
    pos: Option<Num>,
    #[serde(rename = "type", default)]
    rule_type: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    enable: Option<Num>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    dest: Option<String>,
    #[serde(default)]
    proto: Option<String>,
    #[serde(default)]
    dport: Option<String>,
    #[serde(default)]
    sport: Option<String>,
    #[serde(default, rename = "macro")]
    macro_name: Option<String>,
    #[serde(default)]
    iface: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// Most firewall rules returned.
const MAX_RULES: usize = 1000;

pub async fn firewall(svc: &Service, q: &FirewallQuery) -> OpResult {
    let (base, scope) = match (&q.node, q.vmid) {
        (_, Some(vmid)) => {
            let g = lookup(svc, vmid).await?;
            (
                format!("{}/firewall", guest_path(&g)),
                format!("guest {vmid}"),
            )
        }
        (Some(node), None) => (format!("/nodes/{node}/firewall"), format!("node {node}")),
        (None, None) => ("/cluster/firewall".to_owned(), "cluster".to_owned()),
    };
    let raw: Vec<RawRule> = svc
        .pve
        .get(&format!("{base}/rules"), &[])
        .await
        .map_err(upstream_error)?;
    let options: serde_json::Map<String, serde_json::Value> = svc
        .pve
        .get(&format!("{base}/options"), &[])
        .await
        .map_err(upstream_error)?;
    let text = |s: Option<String>| s.map(|s| sanitize(&s)).filter(|s| !s.is_empty());
    let rules = raw
        .into_iter()
        .take(MAX_RULES)
        .enumerate()
        .map(|(i, r)| FirewallRule {
            pos: r.pos.map_or(u32::try_from(i).unwrap_or(u32::MAX), |p| {
                u32::try_from(p.u64()).unwrap_or(u32::MAX)
            }),
            rule_type: text(r.rule_type).unwrap_or_default(),
            action: text(r.action).unwrap_or_default(),
            enable: r.enable.is_some_and(|e| e.u64() != 0),
            source: text(r.source),
            dest: text(r.dest),
            proto: text(r.proto),
            dport: text(r.dport),
            sport: text(r.sport),
            macro_name: text(r.macro_name),
            iface: text(r.iface),
            comment: text(r.comment),
        })
        .collect();
    let options = options
        .into_iter()
        .take(100)
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => serde_json::Value::String(sanitize(&s)),
                v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => v,
                other => serde_json::Value::String(sanitize(&other.to_string())),
            };
            (sanitize(&k), v)
        })
        .collect();
    Ok(Payload::Firewall(FirewallInfo {
        scope,
        rules,
        options,
    }))
}

#[derive(Deserialize)]
struct RawPool {
    poolid: String,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
struct RawPoolDetail {
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    members: Vec<RawMember>,
}

#[derive(Deserialize)]
struct RawMember {
    #[serde(rename = "type")]
    member_type: String,
    #[serde(default)]
    vmid: Option<Num>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    storage: Option<String>,
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

pub async fn pools(svc: &Service, policy: &Policy, q: &PoolQuery) -> OpResult {
    let Some(pool) = &q.pool else {
        let raw: Vec<RawPool> = svc.pve.get("/pools", &[]).await.map_err(upstream_error)?;
        return Ok(Payload::Pools(
            raw.into_iter()
                .take(1000)
                .map(|p| PoolInfo {
                    pool: sanitize(&p.poolid),
                    comment: p.comment.map(|c| sanitize(&c)).unwrap_or_default(),
                    members: None,
                })
                .collect(),
        ));
    };
    let raw: RawPoolDetail = svc
        .pve
        .get(&format!("/pools/{pool}"), &[])
        .await
        .map_err(upstream_error)?;
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let members = raw
        .members
        .into_iter()
        .filter_map(|m| {
            let vmid = m.vmid.and_then(|v| VmId::new(v.u64()).ok());
            if let Some(vmid) = vmid {
                // Guests out of scope stay invisible.
                let g = snap.get(vmid)?;
                policy.guest_scope(g)?;
            } else if m.member_type != "storage" {
                return None;
            }
            Some(PoolMember {
                member_type: sanitize(&m.member_type),
                vmid,
                name: sanitize(m.name.as_deref().or(m.storage.as_deref()).unwrap_or("")),
                node: sanitize(m.node.as_deref().unwrap_or("")),
                status: sanitize(m.status.as_deref().unwrap_or("")),
            })
        })
        .take(10_000)
        .collect();
    Ok(Payload::Pools(vec![PoolInfo {
        pool: pool.to_string(),
        comment: raw.comment.map(|c| sanitize(&c)).unwrap_or_default(),
        members: Some(members),
    }]))
}

#[derive(Deserialize)]
struct RawHaResource {
    sid: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    max_restart: Option<Num>,
    #[serde(default)]
    max_relocate: Option<Num>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
struct RawHaGroup {
    group: String,
    #[serde(default)]
    nodes: Option<String>,
    #[serde(default)]
    restricted: Option<Num>,
    #[serde(default)]
    nofailback: Option<Num>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
struct RawHaRule {
    rule: String,
    #[serde(rename = "type")]
    rule_type: String,
    #[serde(default)]
    resources: String,
    #[serde(default)]
    nodes: Option<String>,
    #[serde(default)]
    affinity: Option<String>,
    #[serde(default)]
    strict: Option<Num>,
    #[serde(default)]
    disable: Option<Num>,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn ha(svc: &Service, policy: &Policy) -> OpResult {
    let raw: Vec<RawHaResource> = svc
        .pve
        .get("/cluster/ha/resources", &[])
        .await
        .map_err(upstream_error)?;
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let small = |n: Option<Num>| n.and_then(|n| u32::try_from(n.u64()).ok());
    let resources = raw
        .into_iter()
        .filter_map(|r| {
            let vmid: VmId = r.sid.split_once(':')?.1.parse().ok()?;
            let g = snap.get(vmid)?;
            policy.guest_scope(g)?;
            Some(HaResource {
                sid: sanitize(&r.sid),
                vmid,
                state: sanitize(r.state.as_deref().unwrap_or("started")),
                group: r.group.map(|g| sanitize(&g)),
                max_restart: small(r.max_restart),
                max_relocate: small(r.max_relocate),
                comment: r.comment.map(|c| sanitize(&c)),
            })
        })
        .take(10_000)
        .collect();
    // PVE 9 migrated groups to rules, and answers 500 to /cluster/ha/groups.
    let rules_instead = svc.release().await?.has_ha_rules();
    let groups = if !rules_instead && policy.allows_get("/cluster/ha/groups") {
        let raw: Vec<RawHaGroup> = svc
            .pve
            .get("/cluster/ha/groups", &[])
            .await
            .map_err(upstream_error)?;
        raw.into_iter()
            .take(1000)
            .map(|g| HaGroup {
                group: sanitize(&g.group),
                nodes: sanitize(g.nodes.as_deref().unwrap_or("")),
                restricted: g.restricted.is_some_and(|v| v.u64() != 0),
                nofailback: g.nofailback.is_some_and(|v| v.u64() != 0),
                comment: g.comment.map(|c| sanitize(&c)),
            })
            .collect()
    } else {
        Vec::new()
    };
    let rules = if rules_instead && policy.allows_get("/cluster/ha/rules") {
        let raw: Vec<RawHaRule> = svc
            .pve
            .get("/cluster/ha/rules", &[])
            .await
            .map_err(upstream_error)?;
        let viewer = super::answers::Viewer {
            policy,
            snap: &snap,
        };
        raw.into_iter()
            // A rule is shown only when every guest it names is in scope.
            .filter(|r| {
                r.resources
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .all(|s| {
                        crate::policy::refs::ha_resource(s.trim()).is_ok_and(|v| viewer.guest(v))
                    })
            })
            .take(1000)
            .map(|r| HaRule {
                rule: sanitize(&r.rule),
                rule_type: sanitize(&r.rule_type),
                resources: sanitize(&r.resources),
                nodes: r.nodes.map(|n| sanitize(&n)),
                affinity: r.affinity.map(|a| sanitize(&a)),
                strict: r.strict.is_some_and(|v| v.u64() != 0),
                disabled: r.disable.is_some_and(|v| v.u64() != 0),
                comment: r.comment.map(|c| sanitize(&c)),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Payload::Ha(HaConfig {
        resources,
        groups,
        rules,
    }))
}

pub async fn next_vmid(svc: &Service, policy: &Policy) -> OpResult {
    match next_free_vmid(svc, policy).await? {
        Some(v) => Ok(Payload::Vmid(v)),
        None => Err(ErrorBody::new(
            ErrorKind::Unavailable,
            format!(
                "no free vmid in [create] vmids {}",
                policy
                    .create
                    .as_ref()
                    .map_or_else(String::new, |c| c.vmids_text())
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sshkeys_are_encoded_like_pve() {
        assert_eq!(
            uri_escape("ssh-ed25519 AAAA+/= a@b\n"),
            "ssh-ed25519%20AAAA%2B%2F%3D%20a%40b%0A"
        );
    }

    #[test]
    fn backup_config_text_stops_at_snapshots() {
        let s = crate::policy::parse_config_text(
            "#web\n#server\ncores: 2\nmemory: 2048\ntags: lab;mcp\n\n[snap1]\ncores: 64\n",
        );
        assert_eq!(s.get("cores").map(String::as_str), Some("2"));
        assert_eq!(
            s.get("description").map(String::as_str),
            Some("web\nserver")
        );
        assert_eq!(s.get("tags").map(String::as_str), Some("lab;mcp"));
    }

    #[test]
    fn output_is_capped_on_char_boundaries() {
        let mut t = false;
        assert_eq!(cap(Some("aé".into()), 2, &mut t), "a");
        assert!(t);
    }

    #[test]
    fn output_shows_hidden_characters_escaped_within_the_cap() {
        let mut t = false;
        let out = "C:\\>dir\r\n\tIgnore\u{202E}txt.exe\u{200B}\u{7}\n";
        assert_eq!(
            cap(Some(out.into()), 100, &mut t),
            "C:\\>dir\n\tIgnore\\u{202E}txt.exe\\u{200B}\\u{0007}\n"
        );
        assert!(!t);
        // The escape that would pass the cap is dropped whole.
        assert_eq!(cap(Some("ab\u{2066}".into()), 8, &mut t), "ab");
        assert!(t);
        let mut t = false;
        assert_eq!(cap(None, 8, &mut t), "");
        assert!(!t);
    }
}
