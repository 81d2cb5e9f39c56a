//! What each part of `cluster_health` makes of Proxmox's answers: a level, a one-line
//! summary and the lines behind it. Shapes as pve-manager answers them (PVE 8 and 9):
//! `/cluster/status`, `/cluster/ceph/status` (Ceph's own status document),
//! `/nodes/{node}/disks/zfs`, `/disks/list`, `/replication`, `/certificates/info`,
//! `/apt/update` and `/cluster/tasks`.
//!
//! Input is Proxmox's answer as the helper passed it on (filtered to the scope): data,
//! read leniently; every text taken from it is escaped for display.

use crate::render::untrusted::line;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// How a part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warning,
    Problem,
    /// Its read could not be made (refused by the policy, or Proxmox failed).
    Unknown,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "WARNING",
            Self::Problem => "PROBLEM",
            Self::Unknown => "unknown",
        }
    }
}

/// What was found, before it is put in words.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// Lines that are fine, shown with the details.
    pub fine: Vec<String>,
}

impl Findings {
    pub fn level(&self) -> Level {
        if !self.problems.is_empty() {
            Level::Problem
        } else if !self.warnings.is_empty() {
            Level::Warning
        } else {
            Level::Ok
        }
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `/cluster/status`: quorum and each node's membership. Returns the online nodes too.
pub fn quorum(data: &Value) -> (Findings, Vec<String>) {
    let mut f = Findings::default();
    let entries = items(data);
    let cluster = entries.iter().find(|e| e["type"] == "cluster");
    let nodes: Vec<&Value> = entries.iter().filter(|e| e["type"] == "node").collect();
    let online: Vec<String> = nodes
        .iter()
        .filter(|n| n["online"].as_i64() == Some(1) || n["online"] == true)
        .map(|n| text(n, "name").to_owned())
        .collect();
    match cluster {
        Some(c) if c["quorate"].as_i64() == Some(1) || c["quorate"] == true => f
            .fine
            .push(format!("cluster {} is quorate", line(text(c, "name")))),
        Some(c) => f.problems.push(format!(
            "cluster {} has lost quorum: changes to guests are blocked",
            line(text(c, "name"))
        )),
        None => f.fine.push("a single node, not a cluster".into()),
    }
    for n in &nodes {
        let name = text(n, "name");
        if online.iter().any(|o| o == name) {
            f.fine.push(format!("node {} online", line(name)));
        } else {
            f.problems.push(format!("node {} is offline", line(name)));
        }
    }
    (f, online)
}

/// Ceph's status document: overall health, its checks, and the OSDs.
pub fn ceph(data: &Value) -> Findings {
    let mut f = Findings::default();
    let status = data["health"]["status"]
        .as_str()
        .unwrap_or("HEALTH_UNKNOWN");
    let checks = data["health"]["checks"].as_object();
    for (name, check) in checks.into_iter().flatten() {
        let message = check["summary"]["message"].as_str().unwrap_or_default();
        let said = format!("{}: {}", line(name), line(message));
        match check["severity"].as_str() {
            Some("HEALTH_ERR") => f.problems.push(said),
            _ => f.warnings.push(said),
        }
    }
    match status {
        "HEALTH_OK" => f.fine.push("Ceph reports HEALTH_OK".into()),
        "HEALTH_WARN" if f.warnings.is_empty() => {
            f.warnings.push("Ceph reports HEALTH_WARN".into())
        }
        "HEALTH_ERR" if f.problems.is_empty() => f.problems.push("Ceph reports HEALTH_ERR".into()),
        "HEALTH_WARN" | "HEALTH_ERR" => {}
        other => f.warnings.push(format!("Ceph reports {}", line(other))),
    }
    // Ceph 16+ puts the counts in `osdmap`; older releases in `osdmap.osdmap`.
    let map = match &data["osdmap"]["osdmap"] {
        Value::Object(_) => &data["osdmap"]["osdmap"],
        _ => &data["osdmap"],
    };
    if let (Some(total), Some(up), Some(inn)) = (
        map["num_osds"].as_u64(),
        map["num_up_osds"].as_u64(),
        map["num_in_osds"].as_u64(),
    ) {
        let said = format!("OSDs: {up} up, {inn} in, of {total}");
        if up < total || inn < total {
            f.warnings.push(said);
        } else {
            f.fine.push(said);
        }
    }
    f
}

/// One node's ZFS pools.
pub fn zfs(node: &str, data: &Value, f: &mut Findings) {
    for pool in items(data) {
        let health = text(pool, "health");
        let said = format!(
            "pool {} on {}: {}",
            line(text(pool, "name")),
            line(node),
            line(health)
        );
        match health {
            "ONLINE" => f.fine.push(said),
            "DEGRADED" => f.warnings.push(said),
            _ => f.problems.push(said),
        }
    }
}

/// One node's disks, by their SMART health.
pub fn disks(node: &str, data: &Value, f: &mut Findings) {
    for disk in items(data) {
        let health = text(disk, "health");
        let model = text(disk, "model");
        let said = format!(
            "{} on {} ({}): SMART {}",
            line(text(disk, "devpath")),
            line(node),
            line(if model.is_empty() {
                "unknown model"
            } else {
                model
            }),
            line(if health.is_empty() {
                "not read"
            } else {
                health
            })
        );
        match health {
            "PASSED" | "OK" => f.fine.push(said),
            "" | "UNKNOWN" => f.fine.push(said),
            _ => f.problems.push(said),
        }
        if let Some(wear) = disk["wearout"].as_u64()
            && wear <= 10
        {
            f.warnings.push(format!(
                "{} on {}: {wear}% of its rated writes left",
                line(text(disk, "devpath")),
                line(node)
            ));
        }
    }
}

/// One node's replication jobs (those of guests in scope: the helper filters).
pub fn replication(node: &str, data: &Value, f: &mut Findings) {
    for job in items(data) {
        let id = line(text(job, "id")).into_owned();
        let fails = job["fail_count"].as_u64().unwrap_or(0);
        let error = text(job, "error");
        if fails > 0 || !error.is_empty() {
            f.problems.push(format!(
                "job {id} on {} failed {fails} time(s) in a row: {}",
                line(node),
                line(if error.is_empty() {
                    "no error text"
                } else {
                    error
                })
            ));
        } else {
            let last = job["last_sync"].as_i64().unwrap_or(0);
            f.fine
                .push(format!("job {id} on {}: last sync at {last}", line(node)));
        }
    }
}

/// Days of validity left below which a certificate is a warning.
pub const CERT_WARN_DAYS: i64 = 30;

/// One node's certificates, by how long they remain valid.
pub fn certificates(node: &str, data: &Value, now: i64, f: &mut Findings) {
    for cert in items(data) {
        let name = line(text(cert, "filename")).into_owned();
        let Some(not_after) = cert["notafter"].as_i64() else {
            continue;
        };
        let days = (not_after - now).div_euclid(86_400);
        if not_after <= now {
            f.problems
                .push(format!("{name} on {} has expired", line(node)));
        } else if days < CERT_WARN_DAYS {
            f.warnings
                .push(format!("{name} on {} expires in {days} day(s)", line(node)));
        } else {
            f.fine
                .push(format!("{name} on {}: {days} days left", line(node)));
        }
    }
}

/// One node's pending package updates (as of its last `apt update`).
pub fn updates(node: &str, data: &Value, f: &mut Findings) {
    let packages = items(data);
    if packages.is_empty() {
        f.fine.push(format!("{}: up to date", line(node)));
        return;
    }
    let names: Vec<String> = packages
        .iter()
        .take(10)
        .map(|p| line(text(p, "Package")).into_owned())
        .collect();
    let more = packages.len().saturating_sub(names.len());
    let mut said = format!(
        "{}: {} package update(s) pending ({}",
        line(node),
        packages.len(),
        names.join(", ")
    );
    if more > 0 {
        said.push_str(&format!(" and {more} more"));
    }
    said.push(')');
    f.warnings.push(said);
}

/// How far back failed tasks count.
pub const TASK_WINDOW_SECS: i64 = 86_400;

/// Tasks of the last day that ended in an error or with warnings.
pub fn tasks(data: &Value, now: i64, f: &mut Findings) {
    let mut ok = 0;
    for task in items(data) {
        let start = task["starttime"].as_i64().unwrap_or(0);
        let status = text(task, "status");
        if start < now - TASK_WINDOW_SECS || status.is_empty() {
            continue;
        }
        let said = format!(
            "{} {} on {} by {}: {}",
            line(text(task, "type")),
            line(text(task, "id")),
            line(text(task, "node")),
            line(text(task, "user")),
            line(status)
        );
        if status == "OK" {
            ok += 1;
        } else if status.starts_with("WARNINGS") {
            f.warnings.push(said);
        } else {
            f.problems.push(said);
        }
    }
    f.fine
        .push(format!("{ok} task(s) ended OK in the last 24 h"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quorum_names_offline_nodes_and_a_lost_quorum() {
        let (f, online) = quorum(&json!([
            {"type": "cluster", "name": "lab", "quorate": 1, "nodes": 3},
            {"type": "node", "name": "pve1", "online": 1},
            {"type": "node", "name": "pve2", "online": 0},
        ]));
        assert_eq!(online, ["pve1"]);
        assert_eq!(f.problems, ["node pve2 is offline"]);
        let (f, _) = quorum(&json!([{"type": "cluster", "name": "lab", "quorate": 0}]));
        assert_eq!(f.level(), Level::Problem);
    }

    #[test]
    fn ceph_checks_and_osds() {
        let f = ceph(&json!({
            "health": {"status": "HEALTH_WARN", "checks": {
                "OSD_DOWN": {"severity": "HEALTH_WARN", "summary": {"message": "1 osds down"}}
            }},
            "osdmap": {"num_osds": 6, "num_up_osds": 5, "num_in_osds": 6}
        }));
        assert_eq!(
            f.warnings,
            ["OSD_DOWN: 1 osds down", "OSDs: 5 up, 6 in, of 6"]
        );
        let f = ceph(&json!({"health": {"status": "HEALTH_OK"},
            "osdmap": {"osdmap": {"num_osds": 3, "num_up_osds": 3, "num_in_osds": 3}}}));
        assert_eq!(f.level(), Level::Ok);
        assert_eq!(f.fine, ["Ceph reports HEALTH_OK", "OSDs: 3 up, 3 in, of 3"]);
    }

    #[test]
    fn node_parts_grade_what_they_find() {
        let mut f = Findings::default();
        zfs(
            "pve1",
            &json!([{"name": "rpool", "health": "ONLINE"}, {"name": "tank", "health": "FAULTED"}]),
            &mut f,
        );
        disks(
            "pve1",
            &json!([{"devpath": "/dev/sda", "health": "FAILED", "model": "X"},
            {"devpath": "/dev/nvme0n1", "health": "PASSED", "wearout": 5}]),
            &mut f,
        );
        replication(
            "pve1",
            &json!([{"id": "101-0", "fail_count": 2, "error": "no space"}]),
            &mut f,
        );
        let now = 1_700_000_000;
        certificates(
            "pve1",
            &json!([
                {"filename": "pve-ssl.pem", "notafter": now + 5 * 86_400},
                {"filename": "old.pem", "notafter": now - 1}
            ]),
            now,
            &mut f,
        );
        updates(
            "pve1",
            &json!([{"Package": "pve-manager"}, {"Package": "zfsutils-linux"}]),
            &mut f,
        );
        tasks(
            &json!([
                {"type": "vzdump", "id": "101", "node": "pve1", "user": "root@pam", "status": "job errors", "starttime": now - 60},
                {"type": "qmstart", "id": "102", "node": "pve1", "user": "root@pam", "status": "OK", "starttime": now - 60},
                {"type": "qmstart", "id": "103", "node": "pve1", "user": "root@pam", "status": "error", "starttime": now - 2 * 86_400}
            ]),
            now,
            &mut f,
        );
        assert_eq!(
            f.problems,
            [
                "pool tank on pve1: FAULTED",
                "/dev/sda on pve1 (X): SMART FAILED",
                "job 101-0 on pve1 failed 2 time(s) in a row: no space",
                "old.pem on pve1 has expired",
                "vzdump 101 on pve1 by root@pam: job errors",
            ]
        );
        assert_eq!(
            f.warnings,
            [
                "/dev/nvme0n1 on pve1: 5% of its rated writes left",
                "pve-ssl.pem on pve1 expires in 5 day(s)",
                "pve1: 2 package update(s) pending (pve-manager, zfsutils-linux)",
            ]
        );
        assert!(
            f.fine
                .contains(&"1 task(s) ended OK in the last 24 h".to_owned())
        );
    }

    #[test]
    fn text_from_proxmox_is_escaped() {
        let mut f = Findings::default();
        zfs(
            "pve1",
            &json!([{"name": "t\u{202E}ank\nx", "health": "DEGRADED"}]),
            &mut f,
        );
        assert_eq!(
            f.warnings,
            ["pool t\\u{202E}ank\\u{000A}x on pve1: DEGRADED"]
        );
    }
}
