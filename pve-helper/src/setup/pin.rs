//! Pinning the local pveproxy certificate: its SHA-256 fingerprint, and the one-key
//! edit of `helper.toml` that records it while keeping every other byte (the admin's
//! comments and layout) as it was. Files written here are replaced atomically.

use crate::pve::tls::{format_fingerprint, sha256};
use serde::Deserialize;
use std::{
    io::Write,
    os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("cannot read certificate {path}: {message}")]
    Cert { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The certificate pveproxy serves: its custom one if present, else the node's.
pub fn local_cert(proxy: &Path, node: &Path) -> PathBuf {
    if proxy.exists() {
        proxy.to_owned()
    } else {
        node.to_owned()
    }
}

/// SHA-256 fingerprint (`AB:CD:...`) of the first certificate in a PEM file.
pub fn cert_fingerprint(path: &Path) -> Result<String, PinError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let err = |message: String| PinError::Cert {
        path: path.to_owned(),
        message,
    };
    let first = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .next()
        .ok_or_else(|| err("no certificate in the file".into()))?
        .map_err(|e| err(e.to_string()))?;
    Ok(format_fingerprint(&sha256(first.as_ref())))
}

#[derive(Deserialize)]
struct Doc {
    pve: Option<Spanned<PveTable>>,
}

#[derive(Deserialize)]
struct PveTable {
    fingerprint: Option<Spanned<String>>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    insecure: bool,
}

/// What [`set_fingerprint`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinEdit {
    /// The text already pins this fingerprint.
    Unchanged,
    /// The new text.
    Changed(String),
}

/// Sets `[pve] fingerprint` in helper.toml text, replacing only the value's bytes (or
/// adding one line after the `[pve]` header). Refuses when the admin chose another
/// trust (`ca_file`, `insecure`): setup does not override that decision.
pub fn set_fingerprint(text: &str, fingerprint: &str) -> Result<PinEdit, String> {
    let doc: Doc = toml::from_str(text).map_err(|e| e.message().trim_end().to_owned())?;
    let pve = doc.pve.ok_or("there is no [pve] table")?;
    let pve = pve.into_inner();
    if pve.ca_file.is_some() || pve.insecure {
        return Err(
            "[pve] uses ca_file or insecure = true: not pinning a fingerprint over that choice"
                .into(),
        );
    }
    let value = format!("\"{fingerprint}\"");
    if let Some(old) = pve.fingerprint {
        if old.get_ref().eq_ignore_ascii_case(fingerprint) {
            return Ok(PinEdit::Unchanged);
        }
        let span = old.span();
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..span.start]);
        out.push_str(&value);
        out.push_str(&text[span.end..]);
        return Ok(PinEdit::Changed(out));
    }
    // No key yet: add it right below the `[pve]` header line.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let head = line.split('#').next().unwrap_or("").trim();
        if head == "[pve]" {
            let mut out = String::with_capacity(text.len() + value.len() + 16);
            out.push_str(&text[..offset]);
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("fingerprint = {value}\n"));
            out.push_str(&text[offset..]);
            return Ok(PinEdit::Changed(out));
        }
    }
    Err("cannot find the [pve] header line to add fingerprint below it".into())
}

/// Pins `fingerprint` in the helper.toml at `path`; returns whether the file changed.
pub fn pin_in_config(path: &Path, fingerprint: &str) -> Result<bool, PinError> {
    let text = std::fs::read_to_string(path).map_err(|e| PinError::Config {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    match set_fingerprint(&text, fingerprint).map_err(|message| PinError::Config {
        path: path.to_owned(),
        message,
    })? {
        PinEdit::Unchanged => Ok(false),
        PinEdit::Changed(new) => {
            replace_file(path, new.as_bytes(), None)?;
            Ok(true)
        }
    }
}

/// Replaces `path` atomically (write a sibling, fsync, rename). The new file keeps the
/// old one's owner, group and mode, or gets `fresh_mode` (and the writer's owner) when
/// there was none. With `fresh_mode`, an existing file is given that mode too.
pub fn replace_file(path: &Path, content: &[u8], fresh_mode: Option<u32>) -> Result<(), PinError> {
    let werr = |source| PinError::Write {
        path: path.to_owned(),
        source,
    };
    let old = std::fs::metadata(path).ok();
    let mode = fresh_mode
        .or(old.as_ref().map(|m| m.mode() & 0o7777))
        .unwrap_or(0o600);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.pve-helper-new"));
    let _ = std::fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        if let Some(m) = &old {
            nix::unistd::fchown(
                &f,
                Some(nix::unistd::Uid::from_raw(m.uid())),
                Some(nix::unistd::Gid::from_raw(m.gid())),
            )
            .map_err(std::io::Error::from)?;
        }
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        werr(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

    #[test]
    fn replaces_only_the_value() {
        let text = "# top\nsocket = \"/s\"\n[pve]\n# the pin\nfingerprint = \"00:11\"   # old\nurl = \"https://x\"\n";
        let PinEdit::Changed(out) = set_fingerprint(text, FP).unwrap() else {
            panic!("unchanged")
        };
        assert_eq!(
            out,
            text.replace("\"00:11\"", &format!("\"{FP}\"")),
            "{out}"
        );
        assert_eq!(set_fingerprint(&out, FP).unwrap(), PinEdit::Unchanged);
        let lower = out.replace(FP, &FP.to_lowercase());
        assert_eq!(set_fingerprint(&lower, FP).unwrap(), PinEdit::Unchanged);
    }

    #[test]
    fn adds_a_missing_key_below_the_header() {
        let text = "[pve] # node\nurl = \"https://x\"\n";
        let PinEdit::Changed(out) = set_fingerprint(text, FP).unwrap() else {
            panic!("unchanged")
        };
        assert_eq!(
            out,
            format!("[pve] # node\nfingerprint = \"{FP}\"\nurl = \"https://x\"\n")
        );
    }

    #[test]
    fn respects_another_trust_choice() {
        for text in [
            "[pve]\nurl = \"https://x\"\nca_file = \"/ca.pem\"\n",
            "[pve]\nurl = \"https://x\"\ninsecure = true\n",
            "socket = \"/s\"\n",
            "[pve\n",
        ] {
            assert!(set_fingerprint(text, FP).is_err(), "{text}");
        }
    }

    #[test]
    fn fingerprints_the_first_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("c.pem");
        // A DER blob need not be a valid certificate to be fingerprinted.
        let der = b"pve-mcp test certificate";
        let body = "cHZlLW1jcCB0ZXN0IGNlcnRpZmljYXRl";
        std::fs::write(
            &pem,
            format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"),
        )
        .unwrap();
        assert_eq!(
            cert_fingerprint(&pem).unwrap(),
            format_fingerprint(&sha256(der))
        );
        std::fs::write(&pem, "nothing\n").unwrap();
        assert!(cert_fingerprint(&pem).is_err());
    }

    #[test]
    fn replace_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("helper.toml");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace_file(&p, b"new", None).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let mode = std::fs::metadata(&p).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
        replace_file(&dir.path().join("token"), b"t", Some(0o600)).unwrap();
        let mode = std::fs::metadata(dir.path().join("token")).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
