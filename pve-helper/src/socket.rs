//! Binding the listening socket with its mode and group, and the signals that reload
//! the policies (SIGHUP, or a policy file that changed) or stop the daemon (SIGTERM,
//! SIGINT).

use crate::service::Service;
use std::{
    io,
    os::unix::fs::{FileTypeExt, PermissionsExt},
    path::Path,
    sync::Arc,
};
use tokio::{
    net::UnixListener,
    signal::unix::{SignalKind, signal},
};

/// Binds `path` with mode 0660 (and group `group`), replacing a stale socket file but
/// never another kind of file.
///
/// The socket is bound, given its mode and group and made to listen under a temporary
/// name beside `path`, then renamed into place: a client that finds `path` can connect
/// at once, and never finds a socket that refuses it or has the wrong group.
pub fn bind(path: &Path, group: Option<&str>) -> io::Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::other(
                "exists and is not a socket; refusing to replace it",
            ));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(io::Error::other(
                "another helper is already listening there",
            ));
        }
        std::fs::remove_file(path)?;
    }
    let staged = staging_path(path);
    if staged.as_os_str().len() >= SUN_PATH_MAX {
        // No room for the longer name: bind in place, as the path allows.
        return listen_at(path, group);
    }
    let _ = std::fs::remove_file(&staged);
    let listener = listen_at(&staged, group).and_then(|l| {
        std::fs::rename(&staged, path)?;
        Ok(l)
    });
    if listener.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    listener
}

/// The longest path a Unix socket address holds, with its terminating NUL.
const SUN_PATH_MAX: usize = 108;

/// The temporary name `path` is bound under: `.NAME.PID` in the same directory, so the
/// rename stays on one file system.
fn staging_path(path: &Path) -> std::path::PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{}", std::process::id()))
}

fn listen_at(path: &Path, group: Option<&str>) -> io::Result<UnixListener> {
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o117));
    let listener = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = listener?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(group) = group {
        let gid = nix::unistd::Group::from_name(group)
            .map_err(io::Error::from)?
            .ok_or_else(|| io::Error::other(format!("group {group:?} does not exist")))?
            .gid;
        nix::unistd::chown(path, None, Some(gid)).map_err(io::Error::from)?;
    }
    Ok(listener)
}

/// How often the policy file is checked for changes.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// What `stat` tells of the policy files: the main file's, then each of the clients
/// directory's, by name; `None` while the main file is missing.
type Stamp = Option<Vec<(std::ffi::OsString, std::time::SystemTime, u64, u64)>>;

/// When a changed policy file is loaded: once it has stayed the same for a whole
/// [`WATCH_INTERVAL`], so that a file an editor is still writing (truncated, half
/// written) is not taken for the new policy.
#[derive(Debug)]
struct Watch {
    loaded: Stamp,
    seen: Stamp,
}

impl Watch {
    fn new(loaded: Stamp) -> Self {
        Self {
            seen: loaded.clone(),
            loaded,
        }
    }

    /// Takes the file's stamp now; true when it is time to load it.
    fn observe(&mut self, now: Stamp) -> bool {
        if now.is_none() || now == self.loaded {
            self.seen = now;
            return false;
        }
        if now != self.seen {
            self.seen = now;
            return false;
        }
        self.loaded = now;
        true
    }
}

/// The identity of the policy files' current content, as far as `stat` tells: a
/// file added to, changed in or removed from the clients directory changes it.
fn file_stamp(service: &Service) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let stat = |path: &Path| {
        let m = std::fs::symlink_metadata(path).ok()?;
        Some((m.modified().ok()?, m.len(), m.ino()))
    };
    let policies = service.policies();
    let (t, len, ino) = stat(&policies.main.path)?;
    let mut out = vec![(std::ffi::OsString::new(), t, len, ino)];
    if let Ok(entries) = std::fs::read_dir(&policies.dir) {
        for e in entries.flatten() {
            if let Some((t, len, ino)) = stat(&e.path()) {
                out.push((e.file_name(), t, len, ino));
            }
        }
    }
    out.sort();
    Some(out)
}

/// Reloads every policy file and logs one line of what happened: which files' changes
/// are in force, or which were refused and why (their clients keep the old policy).
fn reload(service: &Service, why: &str) {
    let r = service.reload();
    for w in &r.warnings {
        tracing::warn!("{w}");
    }
    let changed: Vec<String> = r.changed.iter().map(|p| p.display().to_string()).collect();
    if r.problems.is_empty() {
        tracing::info!(why, changed = changed.join(", "), "policy reloaded");
    } else {
        let taken = if changed.is_empty() {
            "none".to_owned()
        } else {
            changed.join(", ")
        };
        tracing::error!(
            "policy reload ({why}) failed, keeping the old policy of each file below; the \
             other changes are taken (taken: {taken}):\n{}",
            r.problems.join("\n")
        );
    }
}

/// Waits for SIGTERM or SIGINT, reloading the policy on every SIGHUP and whenever the
/// file has changed and then stayed the same for a [`WATCH_INTERVAL`]. A bad file keeps
/// the old policy in force.
pub async fn signals(service: Arc<Service>) {
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    let mut tick = tokio::time::interval(WATCH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watch = Watch::new(file_stamp(&service));
    loop {
        tokio::select! {
            _ = hup.recv() => {
                watch = Watch::new(file_stamp(&service));
                reload(&service, "SIGHUP");
            }
            _ = tick.tick() => {
                if watch.observe(file_stamp(&service)) {
                    reload(&service, "file changed");
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("stopping");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn stamp(secs: u64, len: u64) -> Stamp {
        Some(vec![(
            "".into(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            len,
            7,
        )])
    }

    #[tokio::test]
    async fn the_socket_appears_listening_with_its_mode_and_nothing_else_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("helper.sock");
        let listener = bind(&path, None).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o660);
        let client = tokio::net::UnixStream::connect(&path).await.unwrap();
        let (_accepted, _) = listener.accept().await.unwrap();
        drop(client);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["helper.sock"], "no staging file left behind");
        // A second helper is refused; a stale socket is replaced; a file is never.
        let err = bind(&path, None).unwrap_err().to_string();
        assert!(err.contains("already listening"), "{err}");
        drop(listener);
        bind(&path, None).expect("a stale socket is replaced");
        let file = dir.path().join("plain");
        std::fs::write(&file, "keep").unwrap();
        let err = bind(&file, None).unwrap_err().to_string();
        assert!(err.contains("not a socket"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    }

    #[test]
    fn a_changed_file_is_loaded_once_it_has_settled() {
        let mut w = Watch::new(stamp(1, 100));
        assert!(!w.observe(stamp(1, 100)), "unchanged");
        // An editor truncates, then writes: neither is loaded while it changes.
        assert!(!w.observe(stamp(2, 0)));
        assert!(!w.observe(stamp(3, 120)));
        assert!(w.observe(stamp(3, 120)), "the same for a whole interval");
        assert!(!w.observe(stamp(3, 120)), "loaded once");
        // A file that goes away and comes back as it was is not loaded again.
        assert!(!w.observe(None));
        assert!(!w.observe(stamp(3, 120)));
        assert!(!w.observe(stamp(3, 120)));
    }
}
