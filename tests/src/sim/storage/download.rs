//! Storage writes: `POST /nodes/{node}/storage/{storage}/download-url` (a `download`
//! worker; nothing is fetched, the file appears with a size derived from its name) and
//! `DELETE /nodes/{node}/storage/{storage}/content/{volume}` (an `imgdel` worker), as
//! pve-storage's `PVE::API2::Storage::Status` and `::Content` do them. A download's
//! checksum is checked against the simulated file, whose content digest is the digest
//! of its URL (`sha1`, `sha256`, `sha384`, `sha512`; `md5` and `sha224` are accepted
//! unchecked). URLs, file names and volume IDs are untrusted and only compared.

use std::time::Instant;

use ring::digest;

use super::volumes::{self, FileVolume};
use crate::sim::cluster::dataset;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::disks;
use crate::sim::guests::lifecycle::work::{LifeWork, Spawn, what};
use crate::sim::params::Params;
use crate::sim::tasks::store::Job;

/// What a download worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadWork {
    pub node: String,
    pub file: FileVolume,
    pub url: String,
    pub checksum: Option<(String, String)>,
    pub compression: bool,
}

/// What an `imgdel` worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteWork {
    pub node: String,
    pub volid: String,
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

/// `PVE::Storage::normalize_content_filename`.
fn normalize_filename(name: &str) -> String {
    let base = name
        .trim_end_matches('\n')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The simulated file's checksum with `algorithm`, if the simulator can compute it.
fn checksum_of(url: &str, algorithm: &str) -> Option<String> {
    let alg = match algorithm {
        "sha1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => &digest::SHA256,
        "sha384" => &digest::SHA384,
        "sha512" => &digest::SHA512,
        _ => return None,
    };
    Some(crate::sim::server::tls::hex_lower(
        digest::digest(alg, url.as_bytes()).as_ref(),
    ))
}

impl Cluster {
    /// `POST .../download-url`.
    pub fn request_download(
        &mut self,
        node: &str,
        storage: &str,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let s = dataset::storage(storage)
            .ok_or_else(|| err(format!("storage '{storage}' does not exist")))?;
        if s.path.is_none() {
            return Err(err(format!(
                "can't upload to storage type '{}', not a file based storage!",
                s.plugintype
            )));
        }
        let content = params.get("content").unwrap_or_default();
        if !s.holds(content) {
            return Err(err(format!(
                "storage '{storage}' is not configured for content-type '{content}'"
            )));
        }
        let filename = normalize_filename(params.get("filename").unwrap_or_default());
        let lower = filename.to_ascii_lowercase();
        let (ok, format) = match content {
            "iso" => (lower.ends_with(".iso") || lower.ends_with(".img"), "iso"),
            "vztmpl" => {
                let ext = [".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"]
                    .into_iter()
                    .find(|e| lower.ends_with(e));
                (
                    ext.is_some(),
                    ext.map_or("tgz", |e| match e {
                        ".tar.zst" => "tzst",
                        ".tar.xz" => "txz",
                        ".tar.bz2" => "tbz2",
                        _ => "tgz",
                    }),
                )
            }
            _ => {
                let ext = ["ova", "qcow2", "raw", "vmdk"]
                    .into_iter()
                    .find(|e| filename.ends_with(&format!(".{e}")));
                (ext.is_some() && filename.len() > 5, ext.unwrap_or("raw"))
            }
        };
        if !ok {
            let why = if content == "import" {
                "invalid filename or wrong extension"
            } else {
                "wrong file extension"
            };
            return Err(ApiError::param("filename", why));
        }
        let url = params.get("url").unwrap_or_default().to_owned();
        let h = hash(&filename);
        let size = match content {
            "iso" => (300 << 20) + (h % (700 << 20)),
            "vztmpl" => (90 << 20) + (h % (120 << 20)),
            _ => (250 << 20) + (h % (400 << 20)),
        };
        let file = FileVolume {
            volid: format!("{storage}:{content}/{filename}"),
            content: match content {
                "iso" => "iso",
                "vztmpl" => "vztmpl",
                _ => "import",
            },
            format: format.to_owned(),
            size,
            ctime: Cluster::epoch_now(),
            vmid: None,
            kind: None,
            notes: None,
            virtual_size: if content == "import" { 2 << 30 } else { 0 },
            config: None,
        };
        let work = DownloadWork {
            node: node.to_owned(),
            file,
            url,
            checksum: params
                .get("checksum-algorithm")
                .zip(params.get("checksum"))
                .map(|(a, c)| (a.to_owned(), c.to_ascii_lowercase())),
            compression: params.get("compression").is_some(),
        };
        let spawn = Spawn {
            node,
            task_type: "download",
            id: filename,
            user,
            log: Vec::new(),
            guest: None,
            length: 2,
        };
        Ok(self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Download(work))), now))
    }

    /// Runs a download worker.
    pub(crate) fn apply_download(
        &mut self,
        w: &DownloadWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let path = volumes::path(&w.file.volid);
        if w.compression && w.file.content != "iso" {
            return Err(format!(
                "decompression not supported for {}",
                w.file.content
            ));
        }
        log.push(format!("downloading {} to {path}", w.url));
        if volumes::file(self, &w.node, &w.file.volid).is_some() {
            return Err(format!("refusing to override existing file '{path}'"));
        }
        log.push(format!(
            "{} 100%[===================>] {}M  98.1MB/s    in 4.2s",
            w.file.volid.rsplit('/').next().unwrap_or_default(),
            w.file.size >> 20
        ));
        if let Some((algorithm, expected)) = &w.checksum {
            log.push("calculating checksum...".into());
            if let Some(got) = checksum_of(&w.url, algorithm)
                && &got != expected
            {
                log.push(String::new());
                return Err(format!(
                    "checksum mismatch: got '{got}' != expect '{expected}'"
                ));
            }
            log.push("OK, checksum verified".into());
        }
        log.push(format!("download of '{}' to '{path}' finished", w.url));
        self.files.add(&w.node, w.file.clone());
        Ok(())
    }

    /// `DELETE .../content/{volume}`: the volume ID is resolved and parsed at once (400 or
    /// 500), the file goes in the worker.
    pub fn request_delete_volume(
        &mut self,
        node: &str,
        storage: &str,
        volume: &str,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let volid = match volume.split_once(':') {
            Some((sid, _)) if sid != storage => {
                return Err(ApiError::param(
                    "volume",
                    format!("storage ID mismatch ({sid} != {storage})\n"),
                ));
            }
            Some(_) => volume.to_owned(),
            None => format!("{storage}:{volume}"),
        };
        let vtype = disks::vtype(&volid)?;
        let owner = volid
            .split_once(':')
            .map(|(_, name)| name)
            .and_then(|name| {
                let name = name.rsplit('/').next().unwrap_or(name);
                let rest = name
                    .strip_prefix("vzdump-qemu-")
                    .or_else(|| name.strip_prefix("vzdump-lxc-"))
                    .or_else(|| name.strip_prefix("vm-"))
                    .or_else(|| name.strip_prefix("base-"))?;
                rest.split('-').next()?.parse::<u32>().ok()
            })
            .filter(|_| vtype == "backup" || vtype == "images");
        let id = match owner {
            Some(vmid) => format!("{vmid}@{storage}"),
            None => storage.to_owned(),
        };
        let work = DeleteWork {
            node: node.to_owned(),
            volid,
        };
        let spawn = Spawn {
            node,
            task_type: "imgdel",
            id,
            user,
            log: Vec::new(),
            guest: None,
            length: 1,
        };
        Ok(self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Delete(work))), now))
    }

    /// Runs an `imgdel` worker.
    pub(crate) fn apply_delete(
        &mut self,
        w: &DeleteWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let user = self.guests.iter().find(|g| {
            let visible = g.seed.node == w.node
                || dataset::storage(w.volid.split(':').next().unwrap_or_default())
                    .is_some_and(|s| s.shared);
            visible && g.volumes().iter().any(|v| v.volid == w.volid)
        });
        if let Some(g) = user {
            let kind = g.seed.kind;
            return Err(format!(
                "unable to delete volume '{}' - in use by {} {}",
                w.volid,
                what(kind),
                g.seed.vmid
            ));
        }
        if volumes::file(self, &w.node, &w.volid).is_some() {
            self.files.remove(&w.node, &w.volid);
        } else {
            log.push(format!(
                "disk image '{}' does not exist",
                volumes::path(&w.volid)
            ));
        }
        log.push(format!("Removed volume '{}'", w.volid));
        Ok(())
    }
}
