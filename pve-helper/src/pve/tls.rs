//! TLS trust for the Proxmox connection: a pinned SHA-256 certificate fingerprint, a
//! CA file, or (only when explicitly configured) no verification.

use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::WebPkiSupportedAlgorithms,
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use std::{fmt::Write, path::Path, sync::Arc};

/// How the server certificate is trusted.
#[derive(Debug, Clone)]
pub enum Trust {
    /// SHA-256 of the end-entity certificate (DER), 32 bytes.
    Fingerprint([u8; 32]),
    /// PEM bundle of CA certificates.
    CaFile(std::path::PathBuf),
    /// No verification at all.
    Insecure,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("fingerprint {0:?} is not 32 colon-separated hex bytes (AB:CD:...)")]
    Fingerprint(String),
    #[error("cannot use CA file {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Parses `AB:CD:...` (colons optional, any case) into 32 bytes.
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], TlsError> {
    let hex: String = s.chars().filter(|c| *c != ':').collect();
    let bad = || TlsError::Fingerprint(s.chars().take(120).collect());
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Formats a fingerprint the way Proxmox shows it: `AB:CD:...`.
pub fn format_fingerprint(fp: &[u8]) -> String {
    let mut s = String::with_capacity(fp.len() * 3);
    for (i, b) in fp.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// SHA-256 of a DER certificate.
pub fn sha256(der: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Builds the rustls client configuration for `trust`, with the ring provider.
pub fn client_config(trust: &Trust) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match trust {
        Trust::CaFile(path) => {
            let ca_err = |message: String| TlsError::CaFile {
                path: path.display().to_string(),
                message,
            };
            let mut roots = rustls::RootCertStore::empty();
            let certs = read_pem_certs(path).map_err(ca_err)?;
            for cert in certs {
                roots.add(cert).map_err(|e| ca_err(e.to_string()))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Fingerprint(fp) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                pin: Some(*fp),
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                pin: None,
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in the file".into());
    }
    Ok(certs)
}

/// Accepts exactly the certificate whose SHA-256 is pinned (or any, when `pin` is
/// `None` for the explicit insecure mode); handshake signatures are still verified.
#[derive(Debug)]
struct PinnedVerifier {
    pin: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// The error a fingerprint mismatch surfaces as, naming both fingerprints.
#[derive(Debug)]
struct Mismatch {
    expected: String,
    got: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "server certificate fingerprint {} does not match the pinned fingerprint {}",
            self.got, self.expected
        )
    }
}

impl std::error::Error for Mismatch {}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(pin) = self.pin else {
            return Ok(ServerCertVerified::assertion());
        };
        let got = sha256(end_entity.as_ref());
        if got == pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(Mismatch {
                    expected: format_fingerprint(&pin),
                    got: format_fingerprint(&got),
                }))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_round_trip() {
        let s = "AB:".repeat(31) + "CD";
        let fp = parse_fingerprint(&s).unwrap();
        assert_eq!(format_fingerprint(&fp), s);
        assert_eq!(
            parse_fingerprint(&s.replace(':', "").to_lowercase()).unwrap(),
            fp
        );
        assert!(parse_fingerprint("AB:CD").is_err());
        assert!(parse_fingerprint(&"ZZ:".repeat(32)).is_err());
    }
}
