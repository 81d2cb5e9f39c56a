//! Letting the assistant's SSH key in: validated public keys appended (once) to the
//! client user's `authorized_keys`, each with `restrict`, owned by that user, 0600 in a
//! 0700 `.ssh`. The key file is admin input; each line is checked before it is used.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not an SSH public key line (TYPE BASE64 [COMMENT])")]
    Invalid { path: PathBuf, line: usize },
    #[error("{path}: no public key in the file")]
    Empty { path: PathBuf },
    #[error("user {0} does not exist (is the pve-mcp package installed?)")]
    NoUser(String),
    #[error("cannot update {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// `TYPE BASE64` of one public key line (the comment dropped), or `None`.
pub fn parse_key(line: &str) -> Option<String> {
    let mut parts = line.split_ascii_whitespace();
    let kind = parts.next()?;
    let body = parts.next()?;
    let b64 = body.len() >= 16
        && body.len() <= 16 * 1024
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    (KEY_TYPES.contains(&kind) && b64).then(|| format!("{kind} {body}"))
}

/// The keys of a public key file (blank lines and `#` comments skipped).
pub fn read_keys(path: &Path) -> Result<Vec<String>, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        keys.push(parse_key(line).ok_or_else(|| KeyError::Invalid {
            path: path.to_owned(),
            line: i + 1,
        })?);
    }
    if keys.is_empty() {
        return Err(KeyError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

/// Appends the keys missing from `user`'s `authorized_keys`; returns the file and how
/// many keys were added.
pub fn authorize(user: &str, keys: &[String]) -> Result<(PathBuf, usize), KeyError> {
    let account = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .ok_or_else(|| KeyError::NoUser(user.to_owned()))?;
    let ssh_dir = account.dir.join(".ssh");
    let file = ssh_dir.join("authorized_keys");
    let werr = |path: &Path| {
        let path = path.to_owned();
        move |source| KeyError::Write { path, source }
    };
    let chown = |p: &Path| {
        nix::unistd::chown(p, Some(account.uid), Some(account.gid)).map_err(std::io::Error::from)
    };
    if !ssh_dir.is_dir() {
        std::fs::create_dir_all(&ssh_dir).map_err(werr(&ssh_dir))?;
    }
    std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o700))
        .and_then(|()| chown(&ssh_dir))
        .map_err(werr(&ssh_dir))?;
    let present = std::fs::read_to_string(&file).unwrap_or_default();
    let known: Vec<String> = present
        .lines()
        .filter_map(|l| {
            l.split_ascii_whitespace()
                .position(|w| KEY_TYPES.contains(&w))
                .map(|i| {
                    l.split_ascii_whitespace()
                        .skip(i)
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
        })
        .collect();
    let new: Vec<&String> = keys.iter().filter(|k| !known.contains(k)).collect();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&file)
        .map_err(werr(&file))?;
    let mut text = String::new();
    if !present.is_empty() && !present.ends_with('\n') {
        text.push('\n');
    }
    for k in &new {
        text.push_str(&format!("restrict {k} pve-mcp\n"));
    }
    f.write_all(text.as_bytes())
        .and_then(|()| f.set_permissions(std::fs::Permissions::from_mode(0o600)))
        .and_then(|()| chown(&file))
        .map_err(werr(&file))?;
    Ok((file, new.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines() {
        let k = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0dummykeybody0123456789abcdef me@ws";
        assert_eq!(
            parse_key(k).unwrap(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0dummykeybody0123456789abcdef"
        );
        for bad in [
            "",
            "ssh-ed25519",
            "command=\"sh\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
            "ssh-ed25519 AAAA$(id)AAAAAAAAAAAAAAAA",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        ] {
            assert!(parse_key(bad).is_none(), "{bad}");
        }
    }
}
