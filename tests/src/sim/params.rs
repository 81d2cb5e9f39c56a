//! Request parameters, from untrusted query strings and bodies: percent-decoding, form and
//! JSON bodies (as `PVE::APIServer::AnyEvent::extract_params` merges them), and the schema
//! checks `PVE::JSONSchema` applies, with its exact error messages.

use std::collections::BTreeMap;

use super::errors::schema;

/// Percent-decodes `s` (`+` stays `+`, like Perl's `uri_unescape`); invalid escapes stay
/// as they are and invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `application/x-www-form-urlencoded` data (`+` is a space here).
fn decode_form(s: &str, into: &mut BTreeMap<String, String>) {
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(&k.replace('+', " "));
        let v = percent_decode(&v.replace('+', " "));
        into.insert(k, v);
    }
}

/// The merged parameters of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(pub BTreeMap<String, String>);

/// A body PVE could not decode: it answers 500 with the decoder's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBody(pub String);

impl Params {
    /// Body parameters (JSON when the content type says so, else form data), then query
    /// parameters on top; `_dc` (the ExtJS cache buster) is dropped.
    pub fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Params, BadBody> {
        let mut map = BTreeMap::new();
        if !body.is_empty() {
            let json = content_type
                .and_then(|ct| ct.split(';').next())
                .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
            if json {
                let value: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| BadBody(format!("malformed JSON string: {e}")))?;
                let serde_json::Value::Object(obj) = value else {
                    return Err(BadBody("malformed JSON string: not an object".into()));
                };
                for (k, v) in obj {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Bool(b) => u8::from(b).to_string(),
                        other => other.to_string(),
                    };
                    map.insert(k, v);
                }
            } else {
                decode_form(&String::from_utf8_lossy(body), &mut map);
            }
        }
        if let Some(q) = query {
            decode_form(q, &mut map);
        }
        map.remove("_dc");
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean parameter that passed [`validate`]: `1` is true.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("1")
    }
}

/// The type of a parameter in an endpoint's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int { min: i64 },
    Str,
    Enum(&'static [&'static str]),
}

fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Checks `params` against `schema` (`additionalProperties => 0`), adding PVE's message
/// for each offending parameter to `errors`.
pub fn validate(params: &Params, schema: &[(&str, Ty)], errors: &mut BTreeMap<String, String>) {
    for (name, value) in &params.0 {
        let Some((_, ty)) = schema.iter().find(|(n, _)| n == name) else {
            errors.insert(name.clone(), schema::NOT_IN_SCHEMA.to_owned());
            continue;
        };
        let problem = match ty {
            Ty::Bool if value != "0" && value != "1" => Some(schema::type_check("boolean", value)),
            Ty::Int { .. } if !is_integer(value) => Some(schema::type_check("integer", value)),
            Ty::Int { min } => match value.parse::<i128>() {
                Ok(v) if v < i128::from(*min) => Some(schema::minimum(*min)),
                _ => None,
            },
            Ty::Enum(allowed) if !allowed.contains(&value.as_str()) => {
                Some(schema::not_in_enum(value, allowed))
            }
            _ => None,
        };
        if let Some(p) = problem {
            errors.insert(name.clone(), p);
        }
    }
}

/// Checks a `vmid` from the path like PVE's `pve-vmid` option: integer, then the format.
pub fn check_vmid(raw: &str) -> Result<u32, String> {
    if !is_integer(raw) {
        return Err(schema::type_check("integer", raw));
    }
    let b = raw.as_bytes();
    let format_ok = (3..=9).contains(&b.len()) && b[0] != b'0' && b.iter().all(u8::is_ascii_digit);
    match raw.parse::<u32>() {
        Ok(v) if format_ok => Ok(v),
        _ => Err(schema::BAD_VMID.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_uri_unescape() {
        assert_eq!(percent_decode("UPID%3Apve1%3A%21x"), "UPID:pve1:!x");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn merges_body_and_query() {
        let p = Params::parse(Some("type=vm&_dc=1"), None, b"timeout=5&forceStop=1")
            .unwrap_or_default();
        assert_eq!(p.get("type"), Some("vm"));
        assert_eq!(p.get("_dc"), None);
        assert!(p.flag("forceStop"));
        let j = Params::parse(
            None,
            Some("application/json"),
            br#"{"todisk":true,"timeout":3}"#,
        )
        .unwrap_or_default();
        assert_eq!(j.get("todisk"), Some("1"));
        assert_eq!(j.get("timeout"), Some("3"));
        assert!(Params::parse(None, Some("application/json"), b"{").is_err());
    }

    #[test]
    fn schema_messages() {
        let p =
            Params::parse(Some("type=pool&full=yes&start=-1&x=1"), None, b"").unwrap_or_default();
        let mut e = BTreeMap::new();
        let schema = [
            ("type", Ty::Enum(&["vm", "node"])),
            ("full", Ty::Bool),
            ("start", Ty::Int { min: 0 }),
        ];
        validate(&p, &schema, &mut e);
        assert_eq!(
            e["type"],
            "value 'pool' does not have a value in the enumeration 'vm, node'"
        );
        assert_eq!(e["full"], "type check ('boolean') failed - got 'yes'");
        assert_eq!(e["start"], "value must have a minimum value of 0");
        assert!(e["x"].starts_with("property is not defined in schema"));
    }

    #[test]
    fn vmid_checks() {
        assert_eq!(check_vmid("101"), Ok(101));
        assert_eq!(
            check_vmid("abc"),
            Err("type check ('integer') failed - got 'abc'".into())
        );
        assert!(check_vmid("99").unwrap_err().contains("valid VM ID"));
        assert!(check_vmid("0101").is_err());
        assert!(check_vmid("1000000000").is_err());
        assert_eq!(check_vmid("999999999"), Ok(999_999_999));
    }
}
