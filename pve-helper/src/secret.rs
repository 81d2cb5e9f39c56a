//! The API token: read once through an owner and mode check, kept only here and in
//! the PVE client, never printed. Its `Debug` shows the token id, never the secret.

use std::{
    fmt,
    io::Read,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
};

/// A Proxmox API token, `USER@REALM!TOKENID=SECRET`.
pub struct ApiToken {
    id: String,
    secret: String,
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiToken({}, secret redacted)", self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read token file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "token file {path} is readable by group or others (mode {mode:04o}); run: chmod 600 {path}"
    )]
    Mode { path: PathBuf, mode: u32 },
    #[error("token file {path} is owned by uid {owner}, not by the helper's uid {uid}")]
    Owner { path: PathBuf, owner: u32, uid: u32 },
    #[error("token file {path} does not hold one line USER@REALM!TOKENID=SECRET")]
    Format { path: PathBuf },
}

impl ApiToken {
    /// The token id, `USER@REALM!TOKENID`: not secret, fine to log.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `Authorization` header value. Only the PVE client calls this.
    pub(crate) fn header_value(&self) -> String {
        format!("PVEAPIToken={}={}", self.id, self.secret)
    }

    /// Parses `USER@REALM!TOKENID=SECRET`.
    pub fn parse(line: &str) -> Option<Self> {
        let (id, secret) = line.trim_end_matches(['\n', '\r']).split_once('=')?;
        let (user, tokenid) = id.split_once('!')?;
        let (name, realm) = user.split_once('@')?;
        let word = |s: &str, extra: &[u8]| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
        };
        let ok = word(name, b"-_.")
            && word(realm, b"-_.")
            && word(tokenid, b"-_.")
            && word(secret, b"-_");
        ok.then(|| Self {
            id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// Reads the token from `path`, refusing a file that others could read or that
    /// belongs to someone else.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let read_err = |source| TokenError::Read {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        let mode = meta.mode() & 0o7777;
        let uid = nix::unistd::geteuid().as_raw();
        let credential = std::env::var_os("CREDENTIALS_DIRECTORY")
            .is_some_and(|dir| path.parent() == Some(Path::new(&dir)));
        match file_access(mode, meta.uid(), uid, credential) {
            Access::Private => {}
            Access::Readable => {
                return Err(TokenError::Mode {
                    path: path.to_owned(),
                    mode,
                });
            }
            Access::Foreign => {
                return Err(TokenError::Owner {
                    path: path.to_owned(),
                    owner: meta.uid(),
                    uid,
                });
            }
        }
        let mut text = String::new();
        file.take(4096)
            .read_to_string(&mut text)
            .map_err(read_err)?;
        let line = text.lines().next().unwrap_or("");
        Self::parse(line).ok_or_else(|| TokenError::Format {
            path: path.to_owned(),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Access {
    Private,
    Readable,
    Foreign,
}

/// Whether a token file of this mode and owner is private to us. A systemd credential
/// (`LoadCredential=`) lives in a directory only the service may enter; systemd 257
/// hands it over as root's, mode 0440, readable through an ACL: only "others" bits
/// and owners other than root or us are refused there.
fn file_access(mode: u32, owner: u32, uid: u32, credential: bool) -> Access {
    let exposed = if credential { 0o007 } else { 0o077 };
    if mode & exposed != 0 {
        Access::Readable
    } else if owner != uid && !(credential && owner == 0) {
        Access::Foreign
    } else {
        Access::Private
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn parse_and_redact() {
        let t = ApiToken::parse("mcp@pve!mcp=0b7e-11aa\n").unwrap();
        assert_eq!(t.id(), "mcp@pve!mcp");
        assert!(!format!("{t:?}").contains("0b7e"));
        for bad in [
            "mcp@pve!mcp",
            "mcp@pve=x",
            "mcp!x=y",
            "m cp@pve!x=y",
            "a@b!c=d e",
            "a@b!c=",
        ] {
            assert!(ApiToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn systemd_credentials_may_be_roots_and_group_readable() {
        assert_eq!(file_access(0o600, 7, 7, false), Access::Private);
        assert_eq!(file_access(0o640, 7, 7, false), Access::Readable);
        assert_eq!(file_access(0o600, 0, 7, false), Access::Foreign);
        assert_eq!(file_access(0o440, 0, 7, true), Access::Private);
        assert_eq!(file_access(0o400, 7, 7, true), Access::Private);
        assert_eq!(file_access(0o444, 0, 7, true), Access::Readable);
        assert_eq!(file_access(0o400, 8, 7, true), Access::Foreign);
    }

    #[test]
    fn refuses_readable_token_file() {
        let dir = std::env::temp_dir().join(format!("pve-helper-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("token");
        std::fs::write(&p, "mcp@pve!mcp=s3cr3t\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = ApiToken::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("readable by group or others (mode 0640)") && !e.contains("s3cr3t"),
            "{e}"
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(ApiToken::load(&p).unwrap().id(), "mcp@pve!mcp");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
