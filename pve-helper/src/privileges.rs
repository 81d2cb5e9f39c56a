//! Start-up hardening: refuse root (unless told), drop every capability, forbid
//! privilege gain and core dumps (the token lives in this process's memory), and close
//! descriptors inherited from whoever started the helper (commands would inherit them).

use caps::{CapSet, CapsHashSet};

#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error(
        "refusing to run as root: run as the pve-mcp system user (systemd does), or pass --allow-root for tests"
    )]
    Root,
    #[error("cannot drop capabilities: {0}")]
    Caps(String),
    #[error("capabilities remain after dropping them: {0}")]
    Remaining(String),
    #[error("cannot harden the process: {0}")]
    Prctl(String),
}

/// Applies the hardening; returns a note for the log when the bounding set could not
/// be emptied (it is only emptied with CAP_SETPCAP; systemd empties it for us).
pub fn harden(allow_root: bool) -> Result<Option<String>, PrivilegeError> {
    if nix::unistd::geteuid().is_root() && !allow_root {
        return Err(PrivilegeError::Root);
    }
    close_inherited_fds();
    nix::sys::prctl::set_dumpable(false).map_err(|e| PrivilegeError::Prctl(e.to_string()))?;
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0)
        .map_err(|e| PrivilegeError::Prctl(e.to_string()))?;
    nix::sys::prctl::set_no_new_privs().map_err(|e| PrivilegeError::Prctl(e.to_string()))?;
    let mut note = None;
    let bounding =
        caps::read(None, CapSet::Bounding).map_err(|e| PrivilegeError::Caps(e.to_string()))?;
    if !bounding.is_empty() {
        let has_setpcap =
            caps::has_cap(None, CapSet::Effective, caps::Capability::CAP_SETPCAP).unwrap_or(false);
        if has_setpcap {
            for cap in &bounding {
                caps::drop(None, CapSet::Bounding, *cap)
                    .map_err(|e| PrivilegeError::Caps(e.to_string()))?;
            }
        } else {
            note = Some(format!(
                "capability bounding set is not empty ({} capabilities); no-new-privs is set",
                bounding.len()
            ));
        }
    }
    for set in [
        CapSet::Ambient,
        CapSet::Inheritable,
        CapSet::Effective,
        CapSet::Permitted,
    ] {
        caps::set(None, set, &CapsHashSet::new())
            .map_err(|e| PrivilegeError::Caps(format!("{set:?}: {e}")))?;
    }
    for set in [
        CapSet::Effective,
        CapSet::Permitted,
        CapSet::Inheritable,
        CapSet::Ambient,
    ] {
        let left = caps::read(None, set).map_err(|e| PrivilegeError::Caps(e.to_string()))?;
        if !left.is_empty() {
            return Err(PrivilegeError::Remaining(format!("{set:?}: {left:?}")));
        }
    }
    Ok(note)
}

/// Closes every descriptor above stderr that the helper did not open itself, except
/// those systemd passes for socket activation (`LISTEN_FDS` from fd 3, when
/// `LISTEN_PID` is ours). Run at start-up, before any thread or file is opened: a
/// shell or service manager's stray descriptors must not reach allow-listed commands.
fn close_inherited_fds() {
    let activated = std::env::var("LISTEN_PID")
        .ok()
        .filter(|p| p.parse() == Ok(std::process::id()))
        .and_then(|_| std::env::var("LISTEN_FDS").ok()?.parse::<i32>().ok())
        .unwrap_or(0);
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    // Collected first: the directory's own descriptor is closed once `dir` is done.
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2 && !(3..3 + activated).contains(fd))
        .collect();
    for fd in fds {
        // EBADF for the directory's descriptor, already closed.
        let _ = nix::unistd::close(fd);
    }
}
