//! Golden policy tests: each file in `tests/golden/` holds a policy (inline or a path),
//! the guests Proxmox would report, their configurations and the configurations inside
//! backups (as the config files read: `key: value` lines), and requests with the
//! decision expected for each, written in the `pve-helper explain` request language or
//! as JSON. Data, not code: adding a case means adding four lines to a file.

use pve_helper::{
    explain::{parse_guest, parse_request},
    policy::{Facts, Policy, decide, parse_config_text},
};
use pve_mcp_proto::{Request, VmId};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    policy: Option<String>,
    policy_file: Option<PathBuf>,
    #[serde(default)]
    guests: Vec<String>,
    #[serde(default)]
    summary: Vec<String>,
    /// Guest configurations by vmid, for the requests judged on them (clone sources,
    /// guests to change, resize or delete).
    #[serde(default)]
    configs: BTreeMap<String, String>,
    /// The configuration inside each backup, by volume id, for restores.
    #[serde(default)]
    backups: BTreeMap<String, String>,
    /// The configuration each snapshot holds, by `VMID/NAME`, for rollbacks; a
    /// snapshot not listed holds its guest's configuration.
    #[serde(default)]
    snapshots: BTreeMap<String, String>,
    /// Storages every node reaches (disks elsewhere are local), for migrations.
    #[serde(default)]
    shared_storages: Vec<String>,
    /// The size in GiB of the images new VMs import their disk from.
    image_gib: Option<u64>,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    request: String,
    expect: String,
    rule: Option<String>,
    reason: Option<String>,
    /// The task the request names was started by this helper.
    #[serde(default)]
    own_task: bool,
    /// The vmid the request gives a new guest is taken by a guest no listing shows,
    /// or a storage holds volumes of it.
    #[serde(default)]
    vmid_taken: bool,
}

fn run_file(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let g: Golden = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let policy = match (&g.policy, &g.policy_file) {
        (Some(p), None) => Policy::parse(p, Path::new("policy.toml")),
        (None, Some(f)) => Policy::load(&path.parent().unwrap().join(f)),
        _ => panic!(
            "{}: give exactly one of policy and policy_file",
            path.display()
        ),
    }
    .unwrap_or_else(|e| panic!("{}: the policy is invalid:\n{e}", path.display()))
    .0;
    let mut facts = Facts::default();
    for spec in &g.guests {
        let guest =
            parse_guest(spec).unwrap_or_else(|e| panic!("{}: guest {spec:?}: {e}", path.display()));
        facts.guests.insert(guest.vmid, guest);
    }
    for (vmid, text) in &g.configs {
        let vmid: VmId = vmid
            .parse()
            .unwrap_or_else(|e| panic!("{}: configs key {vmid:?}: {e}", path.display()));
        facts.configs.insert(vmid, parse_config_text(text));
    }
    let mut failures = Vec::new();
    let summary = policy.summary();
    for want in &g.summary {
        if !summary.contains(want.as_str()) {
            failures.push(format!("summary lacks {want:?}:\n{summary}"));
        }
    }
    for case in &g.cases {
        let request = parse_request(&case.request)
            .unwrap_or_else(|e| panic!("{}: {:?}: {e}", path.display(), case.request));
        let mut facts = facts.clone();
        facts.own_task = case.own_task;
        facts.vmid_free = Some(!case.vmid_taken);
        facts.shared_storages = Some(g.shared_storages.iter().cloned().collect());
        facts.image_gib = g.image_gib;
        if let Request::SnapshotRollback(t) = &request {
            let key = format!("{}/{}", t.vmid, t.name);
            facts.snapshot_config = Some(match g.snapshots.get(&key) {
                Some(text) => parse_config_text(text),
                None => facts.configs.get(&t.vmid).cloned().unwrap_or_default(),
            });
        }
        if let Request::BackupRestore(r) = &request {
            facts.backup_config = g
                .backups
                .get(r.volume.as_str())
                .map(|t| pve_helper::policy::ConfigFile::parse(t));
        }
        let d = decide(&policy, &request, &facts);
        let reason = match &d {
            pve_helper::policy::Decision::Allow { .. } => String::new(),
            pve_helper::policy::Decision::Deny { reason, .. }
            | pve_helper::policy::Decision::NotFound { reason }
            | pve_helper::policy::Decision::Confirm { reason, .. } => reason.clone(),
        };
        let ok = d.verdict() == case.expect
            && case
                .rule
                .as_ref()
                .is_none_or(|r| d.rule().to_string() == *r)
            && case
                .reason
                .as_ref()
                .is_none_or(|r| reason.contains(r.as_str()));
        if reason.contains("  ") {
            failures.push(format!("{:?}: a run of spaces in {reason:?}", case.request));
        }
        if !ok {
            failures.push(format!(
                "{:?}: expected {} (rule {:?}, reason containing {:?}), got {} (rule {:?}, reason {:?})",
                case.request, case.expect, case.rule, case.reason, d.verdict(), d.rule(), reason
            ));
        }
    }
    failures
}

#[test]
fn golden_policy_decisions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "golden files are missing");
    let mut report = String::new();
    let mut cases = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        cases += text.matches("[[case]]").count();
        for failure in run_file(f) {
            report.push_str(&format!(
                "{}: {failure}\n",
                f.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(report.is_empty(), "golden failures:\n{report}");
    assert!(cases >= 60, "only {cases} golden cases");
}

/// Every file in `tests/broken/` starts with `# expect: LINE:COL: text` lines; `check`
/// must exit 1 and report exactly those errors, with the file name.
#[test]
fn check_reports_each_mistake_with_its_position() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 6);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no # expect: lines",
            f.display()
        );
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pve-helper"))
            .arg("check")
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", f.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                l.starts_with(f.to_str().unwrap())
                    && !l.contains(": warning: ")
                    && !l.ends_with("error(s)")
            })
            .collect();
        for want in &expected {
            let (pos, msg) = want.split_once(": ").unwrap();
            let prefix = format!("{}:{pos}: ", f.display());
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&prefix) && e.contains(msg)),
                "{}: missing {want:?} in\n{stderr}",
                f.display()
            );
        }
        assert_eq!(
            errors.len(),
            expected.len(),
            "{}: unexpected errors in\n{stderr}",
            f.display()
        );
    }
}
