//! API token authentication as pveproxy does it (`PVE::APIServer::Formatter::
//! extract_auth_value`, `PVE::AccessControl::verify_token`): the `Authorization` header is
//! untrusted input; the secret is compared in constant time and never logged.

use std::fmt;

use crate::sim::errors::ApiError;

/// The one API token the simulated cluster knows: `USER@REALM!TOKENID=SECRET`.
#[derive(Clone)]
pub struct TokenAuth {
    tokenid: String,
    secret: Vec<u8>,
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("tokenid", &self.tokenid)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// PVE's token name rule (`pve-tokenid` format): `[A-Za-z][A-Za-z0-9.\-_]+`.
fn valid_token_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b".-_".contains(c))
}

/// Splits `user@realm!name` into `(user@realm, name)` if PVE would accept it.
pub fn split_tokenid(tokenid: &str) -> Option<(&str, &str)> {
    let (user, name) = tokenid.rsplit_once('!')?;
    let (uname, realm) = user.rsplit_once('@')?;
    let ok = !uname.is_empty() && !realm.is_empty() && valid_token_name(name);
    ok.then_some((user, name))
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Finds `key` at the start or after whitespace, followed by `=` or a space, and returns
/// the value up to the next `;`, percent-decoded (Perl: `(?:^|\s)KEY(?:=| )([^;]*)`).
fn extract_auth_value(header: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = header[from..].find(key) {
        let at = from + pos;
        from = at + key.len();
        let boundary = at == 0 || header[..at].ends_with(char::is_whitespace);
        let rest = &header[at + key.len()..];
        if boundary && (rest.starts_with('=') || rest.starts_with(' ')) {
            let value = rest[1..].split(';').next().unwrap_or("");
            let value = crate::sim::params::percent_decode(value);
            return (!value.is_empty()).then_some(value);
        }
    }
    None
}

impl TokenAuth {
    /// Parses `USER@REALM!TOKENID=SECRET` (the secret is everything after the last `=`).
    pub fn parse(full: &str) -> Result<TokenAuth, String> {
        let (tokenid, secret) = full
            .rsplit_once('=')
            .ok_or("token must look like USER@REALM!TOKENID=SECRET")?;
        if split_tokenid(tokenid).is_none() {
            return Err(format!("'{tokenid}' is not a valid token ID"));
        }
        let secret_ok = !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b'%');
        if !secret_ok {
            return Err("the token secret must be printable ASCII without ';' or '%'".into());
        }
        Ok(TokenAuth {
            tokenid: tokenid.to_owned(),
            secret: secret.as_bytes().to_vec(),
        })
    }

    /// A token with a random UUID secret, like `pveum user token add` makes.
    pub fn random(tokenid: &str) -> Result<TokenAuth, String> {
        TokenAuth::parse(&format!("{tokenid}={}", random_uuid()))
    }

    /// `USER@REALM!TOKENID`.
    pub fn tokenid(&self) -> &str {
        &self.tokenid
    }

    /// The full `USER@REALM!TOKENID=SECRET` string a client needs.
    pub fn full(&self) -> String {
        format!("{}={}", self.tokenid, String::from_utf8_lossy(&self.secret))
    }

    /// Authenticates a request from its `Authorization` and `Cookie` headers; returns the
    /// authenticated token ID (PVE's "user" for token requests).
    pub fn check(
        &self,
        authorization: Option<&str>,
        cookie: Option<&str>,
    ) -> Result<&str, ApiError> {
        let ticket = cookie
            .and_then(|c| extract_auth_value(c, "PVEAuthCookie"))
            .or_else(|| authorization.and_then(|a| extract_auth_value(a, "PVEAuthCookie")));
        if ticket.is_some() {
            // The simulator issues no tickets, so every ticket fails verification.
            return Err(ApiError::Unauthorized("Authentication failed!"));
        }
        let Some(token) = authorization.and_then(|a| extract_auth_value(a, "PVEAPIToken")) else {
            return Err(ApiError::Unauthorized("No ticket"));
        };
        let Some((tokenid, value)) = token.rsplit_once('=') else {
            return Err(ApiError::Unauthorized("Authentication failed!"));
        };
        let id_ok = tokenid == self.tokenid;
        let secret_ok = ct_eq(value.as_bytes(), &self.secret);
        if id_ok && secret_ok {
            Ok(&self.tokenid)
        } else {
            Err(ApiError::Unauthorized("Authentication failed!"))
        }
    }
}

/// A random version-4 UUID string.
pub fn random_uuid() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    // SystemRandom only fails if the OS has no entropy source; fall back to the clock.
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        let t = crate::sim::cluster::state::Cluster::epoch_now().to_le_bytes();
        b[..8].copy_from_slice(&t);
        b[8..].copy_from_slice(&std::process::id().to_le_bytes().repeat(2));
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = super::tls::hex_lower(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> TokenAuth {
        TokenAuth::parse("mcp@pve!mcp=0123-abcd").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn accepts_the_real_header_forms() {
        let a = auth();
        assert_eq!(
            a.check(Some("PVEAPIToken=mcp@pve!mcp=0123-abcd"), None),
            Ok("mcp@pve!mcp")
        );
        assert_eq!(
            a.check(Some("PVEAPIToken mcp@pve!mcp=0123-abcd"), None),
            Ok("mcp@pve!mcp")
        );
        assert_eq!(
            a.check(Some("PVEAPIToken=mcp%40pve%21mcp=0123-abcd"), None),
            Ok("mcp@pve!mcp")
        );
    }

    #[test]
    fn rejects_like_pve() {
        let a = auth();
        let failed = Err(ApiError::Unauthorized("Authentication failed!"));
        let none = Err(ApiError::Unauthorized("No ticket"));
        assert_eq!(a.check(None, None), none);
        assert_eq!(a.check(Some("Bearer x"), None), none);
        assert_eq!(
            a.check(Some("PVEAPIToken=mcp@pve!mcp:0123-abcd"), None),
            failed
        );
        assert_eq!(
            a.check(Some("PVEAPIToken=mcp@pve!mcp=0123-abce"), None),
            failed
        );
        assert_eq!(
            a.check(Some("PVEAPIToken=root@pam!mcp=0123-abcd"), None),
            failed
        );
        assert_eq!(a.check(None, Some("PVEAuthCookie=PVE:root@pam:1")), failed);
    }

    #[test]
    fn parses_token_configs() {
        assert!(TokenAuth::parse("mcp@pve!mcp").is_err());
        assert!(TokenAuth::parse("mcp!x=1").is_err());
        assert!(TokenAuth::parse("mcp@pve!m=1").is_err());
        let r = TokenAuth::random("mcp@pve!mcp").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.full().len(), "mcp@pve!mcp=".len() + 36);
        assert!(!format!("{r:?}").contains(&r.full()[12..]));
    }
}
