//! `helper.toml`: where the socket, the policy and Proxmox are. Admin input, parsed
//! strictly (unknown keys are errors, reported with their position).

use crate::paths;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_socket")]
    pub socket: PathBuf,
    /// Group given to the socket (mode 0660), e.g. `pve-mcp-clients`.
    #[serde(default)]
    pub socket_group: Option<String>,
    #[serde(default = "default_policy")]
    pub policy: PathBuf,
    /// The clients directory: `LOGIN.toml` in it is that login user's own policy.
    /// Default: `clients.d` beside `policy`.
    #[serde(default)]
    pub clients_dir: Option<PathBuf>,
    /// Also append each audit record as a JSON line to this file.
    #[serde(default)]
    pub audit_file: Option<PathBuf>,
    pub pve: PveConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PveConfig {
    /// Base URL of the Proxmox API, e.g. `https://127.0.0.1:8006`.
    pub url: String,
    /// Token file; `$CREDENTIALS_DIRECTORY/pve-token` takes precedence when present.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the server certificate, `AB:CD:...`.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// CA bundle (PEM) to verify the server certificate against instead.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification entirely. Logged as a warning at every start.
    #[serde(default)]
    pub insecure: bool,
    /// Per-request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_socket() -> PathBuf {
    PathBuf::from(paths::SOCKET)
}

fn default_policy() -> PathBuf {
    PathBuf::from(paths::POLICY_FILE)
}

fn default_timeout() -> u64 {
    30
}

/// The policy file: given, else the configuration's, else the default.
pub fn policy_file(file: Option<PathBuf>, config: &Path) -> PathBuf {
    file.unwrap_or_else(|| {
        Config::load(config)
            .map(|c| c.policy)
            .unwrap_or_else(|_| PathBuf::from(paths::POLICY_FILE))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let start = e.span().map_or(0, |s| s.start).min(text.len());
            let before = &text[..start];
            ConfigError::Parse {
                path: path.to_owned(),
                line: before.matches('\n').count() + 1,
                col: before.rfind('\n').map_or(start, |i| start - i - 1) + 1,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        if !cfg.pve.url.starts_with("https://") {
            return Err(invalid(format!(
                "[pve] url {:?} must start with https://",
                cfg.pve.url
            )));
        }
        let trust = [
            cfg.pve.fingerprint.is_some(),
            cfg.pve.ca_file.is_some(),
            cfg.pve.insecure,
        ];
        if trust.iter().filter(|t| **t).count() != 1 {
            return Err(invalid(
                "[pve] needs exactly one of fingerprint, ca_file or insecure = true".into(),
            ));
        }
        if cfg.policy.parent() == Some(cfg.clients_dir().as_path()) {
            return Err(invalid(format!(
                "clients_dir {:?} holds the policy file itself: give the clients' policies a \
                 directory of their own",
                cfg.clients_dir()
            )));
        }
        if !(1..=600).contains(&cfg.pve.timeout_secs) {
            return Err(invalid("[pve] timeout_secs must be 1 to 600".into()));
        }
        Ok(cfg)
    }

    /// The clients directory: `clients_dir`, else `clients.d` beside the policy.
    pub fn clients_dir(&self) -> PathBuf {
        self.clients_dir
            .clone()
            .unwrap_or_else(|| crate::paths::default_clients_dir(&self.policy))
    }

    /// Where the token is read from: the systemd credential if there is one, else
    /// `token_file`, else the default token file.
    pub fn token_path(&self) -> PathBuf {
        if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
            let p = Path::new(&dir).join(paths::TOKEN_CREDENTIAL);
            if p.exists() {
                return p;
            }
        }
        self.pve
            .token_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(paths::TOKEN_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_trust() {
        let ok =
            "socket = \"/tmp/s\"\n[pve]\nurl = \"https://127.0.0.1:8006\"\nfingerprint = \"AB\"\n";
        assert_eq!(
            Config::parse(ok, Path::new("h.toml")).unwrap().socket,
            PathBuf::from("/tmp/s")
        );
        let none = "[pve]\nurl = \"https://x\"\n";
        assert!(Config::parse(none, Path::new("h.toml")).is_err());
        let http = "[pve]\nurl = \"http://x\"\ninsecure = true\n";
        assert!(Config::parse(http, Path::new("h.toml")).is_err());
        let beside = "policy = \"/etc/p/policy.toml\"\nclients_dir = \"/etc/p\"\n\
                      [pve]\nurl = \"https://x\"\ninsecure = true\n";
        let e = Config::parse(beside, Path::new("h.toml")).unwrap_err();
        assert!(
            e.to_string().contains("holds the policy file itself"),
            "{e}"
        );
        let own = Config::parse(
            &beside.replace("/etc/p\"", "/etc/p/c\""),
            Path::new("h.toml"),
        );
        assert_eq!(own.unwrap().clients_dir(), PathBuf::from("/etc/p/c"));
        let typo = "[pve]\nurl = \"https://x\"\nfingerprnt = \"AB\"\n";
        let e = Config::parse(typo, Path::new("h.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("h.toml:3:1: unknown field `fingerprnt`"),
            "{e}"
        );
    }
}
