//! The simulator's TLS identity: a self-signed certificate generated at start (SAN
//! 127.0.0.1 and localhost, subject like a PVE node certificate), its SHA-256 fingerprint
//! in PVE's `AB:CD:...` form, and a rustls server config using the ring provider only.

use std::io;
use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A generated certificate and the server config serving it.
#[derive(Clone)]
pub struct TlsIdentity {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub fingerprint: String,
    pub server_config: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Lower-case hex of `bytes`.
pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `AB:CD:...`: upper-case hex pairs of the SHA-256 of `der`, joined by `:`.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The rustls crypto provider the simulator (and its test clients) use: ring.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Generates a fresh certificate and builds the server config (HTTP/1.1 only, like pveproxy).
pub fn generate() -> io::Result<TlsIdentity> {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(other)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationalUnitName, "PVE Cluster Node");
    dn.push(DnType::OrganizationName, "Proxmox Virtual Environment");
    dn.push(DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    let key = KeyPair::generate().map_err(other)?;
    let cert = params.self_signed(&key).map_err(other)?;
    let cert_der = cert.der().to_vec();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key_der)
        .map_err(other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsIdentity {
        cert_pem: cert.pem(),
        fingerprint: fingerprint(&cert_der),
        cert_der,
        server_config: Arc::new(config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_format() {
        let f = fingerprint(b"abc");
        assert_eq!(f.len(), 32 * 3 - 1);
        assert!(f.starts_with("BA:78:16:BF:8F:01:CF:EA"));
    }

    #[test]
    fn generates_a_certificate() -> io::Result<()> {
        let id = generate()?;
        assert!(id.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(id.fingerprint, fingerprint(&id.cert_der));
        Ok(())
    }
}
