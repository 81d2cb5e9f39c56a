//! Binding the listening socket with its mode and group, and the signals that reload
//! the policy (SIGHUP) or stop the daemon (SIGTERM, SIGINT).

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

/// The identity of the policy file's current content, as far as `stat` tells.
fn file_stamp(path: &Path) -> Option<(std::time::SystemTime, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len(), m.ino()))
}

fn reload(service: &Service, why: &str) {
    match service.reload() {
        Ok(warnings) => tracing::info!(warnings, why, "policy reloaded"),
        Err(e) => tracing::error!("policy reload ({why}) failed, keeping the old policy:\n{e}"),
    }
}

/// Waits for SIGTERM or SIGINT, reloading the policy on every SIGHUP and whenever the
/// file changes meanwhile. A bad file keeps the old policy in force.
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
    let mut stamp = file_stamp(service.policy_path());
    loop {
        tokio::select! {
            _ = hup.recv() => {
                stamp = file_stamp(service.policy_path());
                reload(&service, "SIGHUP");
            }
            _ = tick.tick() => {
                let now = file_stamp(service.policy_path());
                if now.is_some() && now != stamp {
                    stamp = now;
                    reload(&service, "file changed");
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("stopping");
}
