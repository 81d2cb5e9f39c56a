//! A small fake pve-helper: speaks the proto frames on a Unix socket with canned answers.
//!
//! Special inputs make it misbehave: a `list_vms` name filter "restart" is answered and
//! then the connection is closed; `node_status` for node "dropme" (first time only) and
//! any action on guest 113 close the connection without an answer. Its policy grants
//! everything and wants `reset` and `delete` confirmed; the task of guest 105 runs for
//! 20 polls. New guests get vmid 9001 unless told otherwise; a configuration change
//! of `description` alone applies at once, any other runs as a task.

use pve_mcp_proto::*;
use serde_json::json;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::{
    io::AsyncWriteExt,
    net::{UnixListener, UnixStream, unix::OwnedWriteHalf},
    sync::{Mutex as AsyncMutex, Notify},
};

pub const UPID_101: &str = "UPID:pve1:0000A1B2:0123ABCD:65F0A1B2:qmstart:101:mcp@pve!mcp:";
pub const UPID_104: &str = "UPID:pve1:0000A1B3:0123ABCD:65F0A1B3:qmstart:104:mcp@pve!mcp:";
pub const UPID_105: &str = "UPID:pve1:0000A1B4:0123ABCD:65F0A1B4:qmstart:105:mcp@pve!mcp:";
pub const UPID_CREATE: &str = "UPID:pve1:0000A1B5:0123ABCD:65F0A1B5:qmcreate:9001:mcp@pve!mcp:";
pub const UPID_DESTROY: &str = "UPID:pve1:0000A1B6:0123ABCD:65F0A1B6:qmdestroy:101:mcp@pve!mcp:";

/// What the fake policy allows: every tool, `reset` and `delete` only after
/// confirmation.
pub fn capabilities() -> Capabilities {
    Capabilities {
        guests: vec!["100-299".into()],
        guests_except: vec![],
        grants: vec![GrantSummary {
            rule: "guests".into(),
            guests: vec![],
            operations: vec![
                Operation::Power(GuestAction::Start),
                Operation::Power(GuestAction::Stop),
                Operation::Power(GuestAction::Shutdown),
                Operation::Power(GuestAction::Reboot),
                Operation::Power(GuestAction::Reset),
                Operation::Delete,
                Operation::ConfigWrite,
            ],
            confirm: vec![Operation::Power(GuestAction::Reset), Operation::Delete],
        }],
        api: vec!["GET /version".into(), "GET /nodes/**".into()],
        node_list: true,
        node_detail: true,
        storage_all: false,
        storage_node: false,
        storage_content: false,
        cluster_status: false,
        ha_status: false,
        backup_storages: vec![],
        task_list: true,
        node_tasks: true,
        commands: vec!["pvesm status *".into()],
        limits: String::new(),
        create: Some(CreateSummary {
            types: vec!["qemu".into(), "lxc".into()],
            vmids: "9000-9099".into(),
            nodes: vec!["pve1".into()],
            pool: None,
            tags: vec![],
        }),
        config_keys: vec!["cores".into(), "description".into()],
        ..Capabilities::default()
    }
}

#[derive(Debug, Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    /// When set, the policy no longer allows commands.
    pub no_commands: std::sync::atomic::AtomicBool,
    pub requests: Mutex<Vec<Request>>,
    polls: Mutex<HashMap<String, usize>>,
    dropped_once: Mutex<bool>,
}

impl Seen {
    pub fn count(&self, f: impl Fn(&Request) -> bool) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| f(r))
            .count()
    }
}

#[derive(Debug)]
pub struct FakeHelper {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub seen: Arc<Seen>,
}

impl Drop for FakeHelper {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl FakeHelper {
    /// Listens in a fresh temporary directory; `major` is the version it welcomes with.
    pub fn start(name: &str, major: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("mcp-front-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("helper.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let seen = Arc::new(Seen::default());
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve_connection(stream, s.clone(), major));
            }
        });
        Self { dir, socket, seen }
    }

    pub fn missing_socket(&self) -> PathBuf {
        Path::new(&self.dir).join("nothing-here.sock")
    }
}

/// What to do with one call.
enum Act {
    Reply(Response),
    ReplyThenClose(Response),
    Close,
    ReplyAfter(Duration, Response),
}

async fn serve_connection(stream: UnixStream, seen: Arc<Seen>, major: u16) {
    let (mut read, write) = stream.into_split();
    let write = Arc::new(AsyncMutex::new(write));
    let Ok(FrontFrame::Hello { .. }) = read_frame(&mut read, MAX_REQUEST_FRAME).await else {
        return;
    };
    let welcome = HelperFrame::Welcome {
        proto_version: ProtoVersion { major, minor: 0 },
        helper_version: "fake".into(),
    };
    send(&write, &welcome).await;
    let closed = Arc::new(Notify::new());
    loop {
        let frame = tokio::select! {
            _ = closed.notified() => return,
            frame = read_frame::<FrontFrame, _>(&mut read, MAX_REQUEST_FRAME) => frame,
        };
        let Ok(FrontFrame::Call { id, request, .. }) = frame else {
            return;
        };
        seen.requests.lock().unwrap().push(request.clone());
        let act = answer(&seen, &request);
        let (write, closed) = (write.clone(), closed.clone());
        tokio::spawn(async move {
            let reply = |response| HelperFrame::Reply { id, response };
            match act {
                Act::Reply(r) => send(&write, &reply(r)).await,
                Act::ReplyAfter(delay, r) => {
                    tokio::time::sleep(delay).await;
                    send(&write, &reply(r)).await;
                }
                Act::ReplyThenClose(r) => {
                    send(&write, &reply(r)).await;
                    close(&write, &closed).await;
                }
                Act::Close => close(&write, &closed).await,
            }
        });
    }
}

async fn send(write: &AsyncMutex<OwnedWriteHalf>, frame: &HelperFrame) {
    let _ = write_frame(&mut *write.lock().await, frame, MAX_RESPONSE_FRAME).await;
}

async fn close(write: &AsyncMutex<OwnedWriteHalf>, closed: &Notify) {
    let _ = write.lock().await.shutdown().await;
    closed.notify_one();
}

fn ok(p: Payload) -> Response {
    Response::Ok(p)
}

fn answer(seen: &Seen, request: &Request) -> Act {
    match request {
        Request::Describe(_) => {
            let mut caps = capabilities();
            if seen.no_commands.load(Ordering::SeqCst) {
                caps.commands.clear();
            }
            Act::Reply(ok(Payload::Capabilities(caps)))
        }
        Request::ListGuests(q) => {
            let page = ok(Payload::Guests(guest_page()));
            match &q.name {
                Some(n) if n.as_str() == "restart" => Act::ReplyThenClose(page),
                _ => Act::Reply(page),
            }
        }
        Request::GuestStatus(g) => match g.vmid.get() {
            101 => Act::ReplyAfter(
                Duration::from_millis(500),
                ok(Payload::Guest(guest_detail())),
            ),
            id => Act::Reply(Response::Err(ErrorBody::new(
                ErrorKind::NotFound,
                format!("guest {id} does not exist or is outside the policy's scope"),
            ))),
        },
        Request::GuestAction(a) => match (a.vmid.get(), a.action) {
            (113, _) => Act::Close,
            (_, GuestAction::Stop) => Act::Reply(Response::Err(ErrorBody {
                kind: ErrorKind::Denied,
                message: format!("action \"stop\" on VM {} is not allowed", a.vmid),
                rule: Some("guests.actions".into()),
                upstream_status: None,
            })),
            (_, GuestAction::Reset) if !a.confirmed => Act::Reply(Response::Err(ErrorBody {
                kind: ErrorKind::ConfirmationRequired,
                message: format!(
                    "action \"reset\" on guest {} needs the user's confirmation",
                    a.vmid
                ),
                rule: Some("guests.confirm".into()),
                upstream_status: None,
            })),
            (104, _) => Act::Reply(ok(Payload::Task(task(UPID_104, false)))),
            (105, _) => Act::Reply(ok(Payload::Task(task(UPID_105, false)))),
            _ => Act::Reply(ok(Payload::Task(task(UPID_101, false)))),
        },
        Request::TaskStatus(t) => {
            let mut polls = seen.polls.lock().unwrap();
            let n = polls.entry(t.upid.to_string()).or_default();
            *n += 1;
            let done = match t.upid.as_str() {
                UPID_101 | UPID_CREATE | UPID_DESTROY => *n >= 3,
                UPID_105 => *n >= 20,
                _ => false,
            };
            Act::Reply(ok(Payload::Task(task(t.upid.as_str(), done))))
        }
        Request::NodeStatus(q) => {
            let name = q.node.as_ref().map(|n| n.as_str().to_owned());
            let mut dropped = seen.dropped_once.lock().unwrap();
            if name.as_deref() == Some("dropme") && !*dropped {
                *dropped = true;
                return Act::Close;
            }
            Act::Reply(ok(Payload::Nodes(nodes(name.as_deref()))))
        }
        Request::Api(call) => Act::Reply(ok(Payload::Api(ApiResult {
            data: json!({"method": call.method.as_str(), "path": call.path.as_str(),
                         "params": call.params.len(), "version": "8.2.4"}),
        }))),
        Request::GuestAgent(q) => Act::Reply(ok(Payload::Agent(AgentAnswer {
            vmid: q.vmid,
            command: q.command,
            os: None,
            interfaces: Vec::new(),
        }))),
        Request::GuestMetrics(q) => Act::Reply(ok(Payload::Metrics(MetricsSummary {
            vmid: q.vmid,
            timeframe: q.timeframe,
            points: 0,
            step_secs: 0,
            from: 0,
            to: 0,
            cpu: Stat::default(),
            maxcpu: 1.0,
            mem: Stat::default(),
            maxmem: 0,
            netin: Stat::default(),
            netout: Stat::default(),
            diskread: Stat::default(),
            diskwrite: Stat::default(),
        }))),
        Request::BackupStart(_) => Act::Reply(ok(Payload::Task(task(UPID_101, false)))),
        Request::ListStorage(_) => Act::Reply(ok(Payload::Storages(Vec::new()))),
        Request::StorageContent(_) | Request::ListBackups(_) => {
            Act::Reply(ok(Payload::Volumes(Vec::new())))
        }
        Request::ClusterStatus(_) => Act::Reply(ok(Payload::Cluster(ClusterInfo {
            name: Some("sim".into()),
            quorate: Some(true),
            config_version: Some(3),
            nodes: Vec::new(),
            ha: None,
            ha_note: None,
        }))),
        Request::ListTasks(_) => Act::Reply(ok(Payload::Tasks(TaskList {
            total: 0,
            tasks: Vec::new(),
        }))),
        Request::TaskLog(t) => Act::Reply(ok(Payload::TaskLog(TaskLogTail {
            upid: t.upid.clone(),
            total_lines: 1,
            first_line: 1,
            lines: vec!["TASK OK".into()],
        }))),
        Request::GuestConfig(g) => Act::Reply(ok(Payload::Config(GuestConfig {
            vmid: g.vmid,
            guest_type: GuestType::Qemu,
            node: NodeName::parse("pve1").unwrap(),
            config: [("cores".to_owned(), "2".to_owned())].into(),
            redacted: Vec::new(),
        }))),
        Request::SnapshotList(g) => Act::Reply(ok(Payload::Snapshots(SnapshotList {
            vmid: g.vmid,
            guest_type: GuestType::Qemu,
            snapshots: Vec::new(),
            current_parent: None,
        }))),
        Request::SnapshotCreate(_) | Request::SnapshotRollback(_) | Request::SnapshotDelete(_) => {
            Act::Reply(ok(Payload::Task(task(UPID_101, false))))
        }
        Request::RunCommand(c) => Act::Reply(ok(Payload::Command(CommandOutput {
            exit_code: Some(0),
            signal: None,
            stdout: format!("{:?}\n", c.argv.args()),
            stderr: String::new(),
            truncated: false,
            duration_ms: 3,
        }))),
        Request::GuestDelete(d) if !d.confirmed => Act::Reply(Response::Err(ErrorBody {
            kind: ErrorKind::ConfirmationRequired,
            message: format!(
                "\"delete\" of guest {} needs the user's confirmation",
                d.vmid
            ),
            rule: Some("guests.confirm".into()),
            upstream_status: None,
        })),
        Request::GuestDelete(_) => Act::Reply(ok(Payload::Task(task(UPID_DESTROY, false)))),
        Request::GuestCreate(c) => Act::Reply(ok(Payload::NewGuest(NewGuest {
            vmid: c.vmid.unwrap_or(VmId::new(9001).unwrap()),
            node: c.node.clone(),
            task: task(UPID_CREATE, false),
            notes: Vec::new(),
        }))),
        Request::GuestConfigure(c) if c.set.len() == 1 && c.set.get("description").is_some() => {
            Act::Reply(ok(Payload::Config(GuestConfig {
                vmid: c.vmid,
                guest_type: GuestType::Qemu,
                node: NodeName::parse("pve1").unwrap(),
                config: [
                    ("cores".to_owned(), "2".to_owned()),
                    ("description".to_owned(), "web front".to_owned()),
                ]
                .into(),
                redacted: Vec::new(),
            })))
        }
        Request::GuestConfigure(_) => Act::Reply(ok(Payload::Task(task(UPID_101, false)))),
        Request::NextVmid(_) => Act::Reply(ok(Payload::Vmid(VmId::new(9001).unwrap()))),
        Request::AgentExec(_) => Act::Reply(ok(Payload::Command(CommandOutput {
            exit_code: Some(3),
            signal: None,
            stdout: "inactive\n".into(),
            stderr: String::new(),
            truncated: false,
            duration_ms: 7,
        }))),
        Request::TaskCancel(t) => {
            let mut stopped = task(t.upid.as_str(), true);
            stopped.exitstatus = Some("interrupted by signal".into());
            Act::Reply(ok(Payload::Task(stopped)))
        }
        Request::GuestClone(_)
        | Request::GuestTemplate(_)
        | Request::DiskResize(_)
        | Request::GuestMigrate(_)
        | Request::BackupRestore(_)
        | Request::VolumeDelete(_)
        | Request::StorageDownload(_)
        | Request::Firewall(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::DiskMove(_)
        | Request::FirewallEdit(_)
        | Request::NodeNetworks(_) => Act::Reply(Response::Err(ErrorBody::new(
            ErrorKind::Invalid,
            format!("the fake helper does not simulate {}", request.op()),
        ))),
    }
}

fn guest(vmid: u64, name: &str, running: bool) -> GuestSummary {
    GuestSummary {
        vmid: VmId::new(vmid).unwrap(),
        name: name.into(),
        guest_type: if vmid < 200 {
            GuestType::Qemu
        } else {
            GuestType::Lxc
        },
        node: NodeName::parse("pve1").unwrap(),
        status: if running {
            GuestState::Running
        } else {
            GuestState::Stopped
        },
        pool: None,
        tags: vec!["lab".into()],
        template: false,
        lock: None,
        cpu: if running { 0.25 } else { 0.0 },
        maxcpu: 2.0,
        mem: if running { 512 << 20 } else { 0 },
        maxmem: 2 << 30,
        uptime: if running { 7200 } else { 0 },
    }
}

fn guest_page() -> GuestPage {
    GuestPage {
        total: 3,
        offset: 0,
        limit: 100,
        counts: GuestCounts {
            running: 2,
            stopped: 1,
            other: 0,
            qemu: 2,
            lxc: 1,
        },
        guests: vec![
            guest(101, "web-01", true),
            guest(102, "db-01", false),
            guest(201, "cache", true),
        ],
    }
}

fn guest_detail() -> GuestDetail {
    GuestDetail {
        guest: guest(101, "web-01", true),
        qmpstatus: Some("running".into()),
        ha_state: None,
        disk: 0,
        maxdisk: 32 << 30,
        netin: 1 << 20,
        netout: 2 << 20,
        diskread: 3 << 20,
        diskwrite: 4 << 20,
    }
}

fn task(upid: &str, done: bool) -> TaskInfo {
    TaskInfo {
        upid: Upid::parse(upid).unwrap(),
        node: NodeName::parse("pve1").unwrap(),
        task_type: "qmstart".into(),
        status: if done {
            TaskState::Stopped
        } else {
            TaskState::Running
        },
        exitstatus: done.then(|| "OK".into()),
        starttime: 0x65F0A1B2,
        log_tail: vec![],
    }
}

fn nodes(name: Option<&str>) -> Vec<NodeInfo> {
    let node = |n: &str| NodeInfo {
        node: NodeName::parse(n).unwrap(),
        status: "online".into(),
        cpu: 0.1,
        maxcpu: 8,
        mem: 4 << 30,
        maxmem: 32 << 30,
        disk: 10 << 30,
        maxdisk: 100 << 30,
        uptime: 86_400,
        loadavg: name.map(|_| [0.1, 0.2, 0.3]),
        kversion: None,
        pveversion: name.map(|_| "pve-manager/8.2.4".into()),
        cpu_model: None,
    };
    match name {
        Some(n) => vec![node(n)],
        None => vec![node("pve1"), node("pve2")],
    }
}
