//! Reading the clients directory: which files are clients' policies, and whether each
//! may be trusted as one. A file is `LOGIN.toml`, a regular file (not a link), owned
//! by root or by the helper's own user, writable by no one else; other names that end
//! in `.toml` are refused, files with other names (`.dpkg-old`, `~`, dot files) are
//! not policies and are left alone. Every refusal names the file and says why.

use crate::{paths, policy::is_login_name};
use std::{
    fs::File,
    io::Read as _,
    os::unix::fs::{MetadataExt as _, OpenOptionsExt as _},
    path::{Path, PathBuf},
};

/// One file of the directory that claims to be a client's policy.
#[derive(Debug)]
pub enum Found {
    /// Its text, to be parsed as `login`'s policy.
    File {
        login: String,
        path: PathBuf,
        text: String,
    },
    /// Not read, and why; `login` when its name is one.
    Refused {
        login: Option<String>,
        problem: String,
    },
}

/// The files of `dir` that claim to be clients' policies, sorted by name. A missing
/// directory holds none; an unreadable or unsafe one is an error.
pub fn scan(dir: &Path) -> Result<Vec<Found>, String> {
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{shown}: cannot read the clients directory: {e}")),
    };
    if !meta.is_dir() {
        return Err(format!("{shown}: the clients directory is not a directory"));
    }
    if let Some(why) = unsafe_owner_or_mode(&meta) {
        return Err(format!("{shown}: the clients directory {why}"));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{shown}: cannot read the clients directory: {e}"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("{shown}: cannot read the clients directory: {e}"))?;
        names.push(entry.file_name());
    }
    names.sort();
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let path = dir.join(&name);
            let Some(name) = name.to_str() else {
                return name
                    .to_string_lossy()
                    .ends_with(".toml")
                    .then(|| Found::Refused {
                        login: None,
                        problem: format!("{}: the file name is not UTF-8", path.display()),
                    });
            };
            let stem = name
                .strip_suffix(".toml")
                .filter(|_| !name.starts_with('.'))?;
            Some(read(stem, path))
        })
        .collect())
}

/// Reads `path` as the policy of the user `stem` names, if it is one and the file
/// may be trusted.
fn read(stem: &str, path: PathBuf) -> Found {
    let shown = path.display();
    if !is_login_name(stem) {
        return Found::Refused {
            login: None,
            problem: format!(
                "{shown}: {stem:?} is not a login name; a client's policy is named LOGIN.toml \
                 (letters, digits, '_', '-', '.', at most 32, not only digits)"
            ),
        };
    }
    let refused = |why: String| Found::Refused {
        login: Some(stem.to_owned()),
        problem: format!("{shown}: {why}"),
    };
    // O_NOFOLLOW: a link is refused by the open itself, not by a check before it.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits() | nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(&path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            return refused(
                "is a symbolic link; a client's policy must be a regular file in the clients \
                 directory"
                    .into(),
            );
        }
        Err(e) => return refused(format!("cannot open: {e}")),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return refused(format!("cannot read: {e}")),
    };
    if !meta.is_file() {
        return refused("is not a regular file".into());
    }
    if let Some(why) = unsafe_owner_or_mode(&meta) {
        return refused(why);
    }
    match read_capped(file) {
        Ok(text) => Found::File {
            login: stem.to_owned(),
            path,
            text,
        },
        Err(why) => refused(why),
    }
}

fn read_capped(file: File) -> Result<String, String> {
    let mut bytes = Vec::new();
    file.take(paths::MAX_CLIENT_POLICY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > paths::MAX_CLIENT_POLICY {
        return Err(format!("is larger than {} bytes", paths::MAX_CLIENT_POLICY));
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned())
}

/// Why a file or directory may not hold a policy: owned by someone other than root
/// or this process's user, or writable by group or others.
fn unsafe_owner_or_mode(meta: &std::fs::Metadata) -> Option<String> {
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != 0 && meta.uid() != me {
        return Some(format!(
            "is owned by uid {}, neither root nor the helper's user: only they may write a policy",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    (mode & 0o022 != 0).then(|| {
        format!(
            "is writable by group or others (mode {mode:04o}): anyone who can write it can \
             change a client's policy; chmod go-w it"
        )
    })
}
