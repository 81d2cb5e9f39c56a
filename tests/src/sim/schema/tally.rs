//! What the schema checks of one simulator judged: requests judged, refused by the
//! schema (no such endpoint, bad parameters), denied for the token's privileges, not
//! simulated, and the named formats met that the simulator does not implement; the
//! refused and denied requests themselves (bounded). A simulator writes them to
//! `target/tmp/pve-mcp-figures/schema-BINARY.RUN-PID-N.txt` when it stops, for `.ci/run`
//! (RUN: `pve` or, under `PVE_MCP_SIM_PVE=9`, `pve9`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Refused and denied requests remembered, each.
const MAX_KEPT: usize = 200;

/// A request the schema check refused or denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub status: u16,
    pub method: String,
    pub path: String,
    /// Per-parameter errors (400), or the message under `""` (403, 501).
    pub errors: BTreeMap<String, String>,
}

/// A snapshot of a [`Tally`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub judged: u64,
    /// Refused by the schema: no such endpoint (501) or invalid parameters (400).
    pub rejected: u64,
    /// Refused for the token's privileges (403).
    pub denied: u64,
    /// Endpoints of the schema the simulator does not serve (501).
    pub unsimulated: u64,
    /// Named formats met that the simulator does not implement, with how often.
    pub unknown_formats: BTreeMap<String, u64>,
    pub rejections: Vec<Rejection>,
    pub denials: Vec<Rejection>,
}

/// The live counters of one simulator.
#[derive(Debug, Default)]
pub struct Tally {
    judged: AtomicU64,
    rejected: AtomicU64,
    denied: AtomicU64,
    unsimulated: AtomicU64,
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    formats: BTreeMap<String, u64>,
    rejections: Vec<Rejection>,
    denials: Vec<Rejection>,
}

impl Tally {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn judged(&self) {
        self.judged.fetch_add(1, Ordering::Relaxed);
    }

    pub fn unsimulated(&self) {
        self.unsimulated.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejected(&self, r: Rejection) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let mut k = self.kept();
        if k.rejections.len() < MAX_KEPT {
            k.rejections.push(r);
        }
    }

    pub fn denied(&self, r: Rejection) {
        self.denied.fetch_add(1, Ordering::Relaxed);
        let mut k = self.kept();
        if k.denials.len() < MAX_KEPT {
            k.denials.push(r);
        }
    }

    pub fn unknown_formats<'a>(&self, names: impl IntoIterator<Item = &'a String>) {
        let mut k = self.kept();
        for n in names {
            *k.formats.entry(n.clone()).or_default() += 1;
        }
    }

    pub fn figures(&self) -> Figures {
        let k = self.kept();
        Figures {
            judged: self.judged.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            denied: self.denied.load(Ordering::Relaxed),
            unsimulated: self.unsimulated.load(Ordering::Relaxed),
            unknown_formats: k.formats.clone(),
            rejections: k.rejections.clone(),
            denials: k.denials.clone(),
        }
    }
}

impl Figures {
    /// The figures file: a summary line, then one line per refused or denied request
    /// (`rejected STATUS METHOD PATH ERRORS-AS-JSON`).
    pub fn render(&self, release: &str, expected_invalid: bool) -> String {
        let formats: Vec<String> = self
            .unknown_formats
            .iter()
            .map(|(n, c)| format!("{n}:{c}"))
            .collect();
        let mut out = format!(
            "judged {} rejected {} denied {} unsimulated {} expected-invalid {} pve {} formats {}\n",
            self.judged,
            self.rejected,
            self.denied,
            self.unsimulated,
            if expected_invalid { "yes" } else { "no" },
            release,
            if formats.is_empty() {
                "-".to_owned()
            } else {
                formats.join(",")
            },
        );
        for (what, list) in [("rejected", &self.rejections), ("denied", &self.denials)] {
            for r in list {
                let errors = serde_json::to_string(&r.errors).unwrap_or_default();
                out.push_str(&format!(
                    "{what} {} {} {} {errors}\n",
                    r.status, r.method, r.path
                ));
            }
        }
        out
    }
}

/// The directory `cargo` keeps this build in (`target`), found from the running
/// executable (`target/debug/deps/NAME-HASH` or `target/release/pve-sim`) and
/// recognized by its `CACHEDIR.TAG`.
fn target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(4)
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// The executable's name without cargo's `-HASH` suffix (`e2e`, `pve-sim`).
fn binary_name() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown".into());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    }
}

/// Writes `text` as this simulator's figures; the first write of a process removes the
/// files an earlier run of the same binary, with the same default release, left.
pub fn write_figures(text: &str) {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let Some(dir) = target_dir().map(|t| t.join("tmp").join("pve-mcp-figures")) else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // A run with another default release (`PVE_MCP_SIM_PVE`, as `.ci/run`'s second
    // pass) keeps its own files: it must not remove the first pass's.
    let run = std::env::var("PVE_MCP_SIM_PVE")
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map_or_else(|| "pve".to_owned(), |v| format!("pve{v}"));
    let name = format!("{}.{run}", binary_name());
    let pid = std::process::id();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    if seq == 0 {
        let ours = format!("schema-{name}-{pid}-");
        let earlier = format!("schema-{name}-");
        let stale = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let f = e.file_name().to_string_lossy().into_owned();
                f.starts_with(&earlier)
                    && !f.starts_with(&ours)
                    && f[earlier.len()..]
                        .split('-')
                        .next()
                        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
            });
        for e in stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let _ = std::fs::write(dir.join(format!("schema-{name}-{pid}-{seq}.txt")), text);
}
