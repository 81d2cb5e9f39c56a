//! `PVE::RPCEnvironment::check_api2_permissions` for the simulated API token: an
//! endpoint's `permissions` (`user => 'all'`, or a `check` of `perm`, `and`, `or`,
//! `userid-param`, `userid-group`, `perm-modify`) evaluated against the token's role,
//! which holds the same privileges on every path (a role on `/`, propagated, as
//! `pve-helper setup` grants it). A refusal is what `raise_perm_exc` is given. The
//! permissions are trusted (the shipped schema); the parameters they name are not.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::perl_values::Raw;

/// The caller: an API token (`USER@REALM!TOKENID`) with a role.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub userid: &'a str,
    pub privileges: &'a BTreeSet<String>,
}

/// Why a check failed: the text inside `Permission check failed (...)`, or `None` for
/// a bare `Permission check failed`.
pub type Refusal = Option<String>;

/// `check_api2_permissions($perm, $token, $params)`.
pub fn check_api2(
    perm: Option<&Value>,
    token: Token<'_>,
    params: &BTreeMap<String, Raw>,
) -> Result<(), Refusal> {
    let Some(perm) = perm else {
        return Err(Some("user != root@pam".to_owned()));
    };
    if perm.get("user").and_then(Value::as_str) == Some("all") {
        return Ok(());
    }
    match perm.get("check") {
        Some(check) => exec(check, token, params).map(drop),
        None => Err(None),
    }
}

/// `template_replace`: `{name}` becomes the parameter (`-` when it is false).
fn template(path: &str, params: &BTreeMap<String, Raw>) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        match params.get(name).filter(|v| v.truthy()) {
            Some(v) => out.push_str(&v.perl_string()),
            None => out.push('-'),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// `PVE::AccessControl::normalize_path`; `None` for a path it refuses.
fn normalize(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let mut p = String::new();
    for c in path.chars() {
        if !(c == '/' && p.ends_with('/')) {
            p.push(c);
        }
    }
    if p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    let ok = p
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    ok.then_some(p)
}

/// `check` (all privileges, naming the first missing) or `check_any` (naming them all).
fn check_full(
    token: Token<'_>,
    path: &str,
    privs: &[&str],
    any: bool,
    noerr: bool,
) -> Result<bool, Refusal> {
    let has = |p: &&str| token.privileges.contains(*p);
    let ok = if any {
        privs.iter().any(has)
    } else {
        privs.iter().all(has)
    };
    if ok || noerr {
        return Ok(ok);
    }
    let what = if any {
        privs.join("|")
    } else {
        privs
            .iter()
            .find(|p| !has(p))
            .copied()
            .unwrap_or_default()
            .to_owned()
    };
    Err(Some(format!("{path}, {what}")))
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `exec_api2_perm_check`; with `noerr`, a failure is `Ok(false)`.
fn exec(check: &Value, token: Token<'_>, params: &BTreeMap<String, Raw>) -> Result<bool, Refusal> {
    exec_with(check, token, params, false)
}

fn exec_with(
    check: &Value,
    token: Token<'_>,
    params: &BTreeMap<String, Raw>,
    noerr: bool,
) -> Result<bool, Refusal> {
    let items = check.as_array().map(Vec::as_slice).unwrap_or_default();
    let test = items.first().and_then(Value::as_str).unwrap_or_default();
    match test {
        "and" => {
            for sub in &items[1..] {
                exec_with(sub, token, params, false)?;
            }
            Ok(true)
        }
        "or" => {
            for sub in &items[1..] {
                if exec_with(sub, token, params, true)? {
                    return Ok(true);
                }
            }
            if noerr { Ok(false) } else { Err(None) }
        }
        "perm" => {
            let path = items.get(1).and_then(Value::as_str).unwrap_or_default();
            let privs = strings(items.get(2));
            let options: BTreeMap<&str, &Value> = items[3.min(items.len())..]
                .chunks(2)
                .filter_map(|kv| Some((kv.first()?.as_str()?, kv.get(1)?)))
                .collect();
            let any = options
                .get("any")
                .is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true));
            if let Some(required) = options.get("require_param").and_then(|v| v.as_str())
                && params.get(required).is_none_or(|v| *v == Raw::Undef)
            {
                return if noerr { Ok(false) } else { Err(None) };
            }
            let path = normalize(&template(path, params)).unwrap_or_default();
            check_full(token, &path, &privs, any, noerr)
        }
        "userid-param" => {
            let userid = params
                .get("userid")
                .map(Raw::perl_string)
                .unwrap_or_default();
            match items.get(1).and_then(Value::as_str) {
                // A token (`USER@REALM!TOKENID`) is never the user a parameter names.
                Some("self") if userid == token.userid => Ok(true),
                Some("self") => {
                    if noerr {
                        Ok(false)
                    } else {
                        Err(None)
                    }
                }
                _ => {
                    let realm = userid.rsplit_once('@').map(|(_, r)| r).unwrap_or_default();
                    let path = format!("/access/realm/{realm}");
                    check_full(token, &path, &["Realm.AllocateUser"], false, noerr)
                }
            }
        }
        "userid-group" => {
            let privs = strings(items.get(1));
            check_full(token, "/access/groups", &privs, true, noerr)
        }
        "perm-modify" => {
            let path = items.get(1).and_then(Value::as_str).unwrap_or_default();
            let path = normalize(&template(path, params)).unwrap_or_default();
            let mut privs = vec!["Permissions.Modify"];
            if path.starts_with("/storage/") {
                privs.push("Datastore.Allocate");
            } else if path.starts_with("/vms/") {
                privs.push("VM.Allocate");
            } else if path.starts_with("/pool/") {
                privs.push("Pool.Allocate");
            }
            check_full(token, &path, &privs, true, noerr)
        }
        _ => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_read_like_pve() {
        let privs: BTreeSet<String> = ["VM.Audit", "VM.Clone", "VM.Allocate"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let token = Token {
            userid: "mcp@pve!mcp",
            privileges: &privs,
        };
        let params: BTreeMap<String, Raw> = [
            ("vmid".to_owned(), Raw::Str("101".into())),
            ("newid".to_owned(), Raw::Str("150".into())),
        ]
        .into();
        let clone = json!({"check": ["and", ["perm", "/vms/{vmid}", ["VM.Clone"]],
            ["or", ["perm", "/vms/{newid}", ["VM.Allocate"]],
                   ["perm", "/pool/{pool}", ["VM.Allocate"], "require_param", "pool"]]]});
        assert_eq!(check_api2(Some(&clone), token, &params), Ok(()));
        let agent = json!({"check": ["perm", "/vms/{vmid}",
            ["VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"], "any", 1]});
        assert_eq!(
            check_api2(Some(&agent), token, &params),
            Err(Some(
                "/vms/101, VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted".into()
            ))
        );
        let power = json!({"check": ["perm", "/vms/{vmid}", ["VM.Audit", "VM.PowerMgmt"]]});
        assert_eq!(
            check_api2(Some(&power), token, &params),
            Err(Some("/vms/101, VM.PowerMgmt".into()))
        );
        assert_eq!(
            check_api2(None, token, &params),
            Err(Some("user != root@pam".into()))
        );
        assert_eq!(
            check_api2(Some(&json!({"user": "all"})), token, &params),
            Ok(())
        );
        let missing = json!({"check": ["perm", "/pool/{pool}", ["Pool.Audit"]]});
        assert_eq!(
            check_api2(Some(&missing), token, &params),
            Err(Some("/pool/-, Pool.Audit".into()))
        );
    }
}
