//! `PVE::JSONSchema::parse_property_string`: `virtio,bridge=vmbr0,tag=5` read with a
//! format's keys (default key, aliases and key aliases, booleans as `parse_boolean`
//! reads them), then checked with `check_object` (no unknown keys); a failure is the
//! `die` text `check_prop` puts after "invalid format - ". PVE 9 also refuses a key set
//! twice through an alias, and reads a boolean default key as a boolean. Formats are
//! trusted; data is hostile.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::check::{Ctx, Errors, flag};
use super::object::{Props, check_object};
use super::perl_values::Raw;
use super::version::PveVersion;

/// A named format's validator, run on the parsed keys (`register_format`'s third
/// argument); its error is a `die` text.
pub type Validator = fn(&BTreeMap<String, Raw>) -> Result<(), String>;

/// `parse_boolean`: `1|on|yes|true` and `0|off|no|false`, any case.
pub(in crate::sim) fn parse_boolean(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "on" | "yes" | "true" => Some("1"),
        "0" | "off" | "no" | "false" => Some("0"),
        _ => None,
    }
}

fn is_boolean(schema: Option<&Value>) -> bool {
    schema.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("boolean")
}

/// `$part =~ /^([^=]+)=(.+)$/`: a non-empty key before the first `=`, a non-empty value
/// without a newline (but for one at the very end, which `$` allows).
fn key_value(part: &str) -> Option<(&str, &str)> {
    let (k, v) = part.split_once('=')?;
    let v = v.strip_suffix('\n').unwrap_or(v);
    (!k.is_empty() && !v.is_empty() && !v.contains('\n')).then_some((k, v))
}

/// Parses `data` with `format` for parameter `path`; the error is PVE's `die` text.
pub fn parse(
    cx: &mut Ctx,
    format: &Map<String, Value>,
    data: &str,
    path: &str,
    validator: Option<Validator>,
) -> Result<BTreeMap<String, Raw>, String> {
    let v9 = cx.version == PveVersion::Pve9;
    let mut res: BTreeMap<String, Raw> = BTreeMap::new();
    let mut default_key: Option<&str> = None;
    let mut parts: Vec<&str> = data.split(',').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    for part in parts {
        if part.chars().all(char::is_whitespace) {
            continue;
        }
        if let Some((k, v)) = key_value(part) {
            if res.contains_key(k) {
                return Err(format!(
                    "duplicate key in comma-separated list property: {k}\n"
                ));
            }
            let mut key = k;
            let mut schema = format.get(k);
            if let Some(alias) = schema.and_then(|s| s.get("alias")).and_then(Value::as_str) {
                if let Some(ka) = schema
                    .and_then(|s| s.get("keyAlias"))
                    .and_then(Value::as_str)
                {
                    if res.contains_key(ka) {
                        return Err(format!("key alias '{ka}' is already defined\n"));
                    }
                    res.insert(ka.to_owned(), Raw::Str(k.to_owned()));
                }
                key = alias;
                schema = format.get(alias);
                if v9 && res.contains_key(key) {
                    return Err(format!("key '{key}' is already defined (via alias)\n"));
                }
            }
            if schema.is_none() {
                return Err(format!(
                    "invalid key in comma-separated list property: {key}\n"
                ));
            }
            let v = match parse_boolean(v).filter(|_| is_boolean(schema)) {
                Some(b) => b.to_owned(),
                None => v.to_owned(),
            };
            res.insert(key.to_owned(), Raw::Str(v));
        } else if !part.contains('=') {
            if let Some(dk) = default_key {
                return Err(format!(
                    "duplicate key in comma-separated list property: {dk}\n"
                ));
            }
            let Some((key, schema)) = format.iter().find(|(_, s)| flag(s, "default_key")) else {
                return Err(
                    "value without key, but schema does not define a default key\n".to_owned(),
                );
            };
            default_key = Some(key);
            if res.get(key.as_str()).is_some_and(Raw::truthy) {
                return Err(format!(
                    "duplicate key in comma-separated list property: {key}\n"
                ));
            }
            let value = match parse_boolean(part).filter(|_| v9 && is_boolean(Some(schema))) {
                Some(b) => b.to_owned(),
                None => part.to_owned(),
            };
            res.insert(key.clone(), Raw::Str(value));
        } else {
            return Err("missing key in comma-separated list property\n".to_owned());
        }
    }
    let mut errors = Errors::new();
    check_object(
        cx,
        path,
        Props::new(format),
        &res,
        Some(&Value::from(0)),
        &mut errors,
    );
    if !errors.is_empty() {
        let mut msg = "format error\n".to_owned();
        for (k, v) in &errors {
            msg.push_str(&format!("{k}: {v}\n"));
        }
        return Err(msg);
    }
    if let Some(validate) = validator {
        validate(&res)?;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn net() -> Map<String, Value> {
        json!({
            "model": {"type": "string", "default_key": 1, "enum": ["virtio", "e1000"]},
            "macaddr": {"type": "string", "optional": 1, "format": "mac-addr"},
            "virtio": {"alias": "macaddr", "keyAlias": "model"},
            "e1000": {"alias": "macaddr", "keyAlias": "model"},
            "bridge": {"type": "string", "optional": 1, "format": "pve-bridge-id"},
            "tag": {"type": "integer", "optional": 1, "minimum": 1, "maximum": 4094},
            "firewall": {"type": "boolean", "optional": 1},
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn parses_like_pve() {
        let mut cx = Ctx::new(PveVersion::Pve8);
        let f = net();
        let p = parse(
            &mut cx,
            &f,
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=yes",
            "net0",
            None,
        )
        .unwrap();
        assert_eq!(p["model"], Raw::Str("virtio".into()));
        assert_eq!(p["macaddr"], Raw::Str("BC:24:11:00:00:01".into()));
        assert_eq!(p["firewall"], Raw::Str("1".into()));
        assert!(parse(&mut cx, &f, "virtio,bridge=vmbr1,", "net0", None).is_ok());
        assert_eq!(
            parse(&mut cx, &f, "virtio,foo=1", "net0", None).unwrap_err(),
            "invalid key in comma-separated list property: foo\n"
        );
        assert_eq!(
            parse(&mut cx, &f, "virtio,e1000", "net0", None).unwrap_err(),
            "duplicate key in comma-separated list property: model\n"
        );
        assert_eq!(
            parse(&mut cx, &f, "virtio,bridge=", "net0", None).unwrap_err(),
            "missing key in comma-separated list property\n"
        );
        assert_eq!(
            parse(
                &mut cx,
                &f,
                "virtio,tag=0,firewall=maybe,bridge=a b",
                "net1",
                None
            )
            .unwrap_err(),
            "format error\nnet1.bridge: invalid format - invalid bridge ID 'a b'\n\n\
             net1.firewall: type check ('boolean') failed - got 'maybe'\n\
             net1.tag: value must have a minimum value of 1\n"
        );
        assert_eq!(
            parse(&mut cx, &f, "bridge=vmbr0", "net0", None).unwrap_err(),
            "format error\nnet0.model: property is missing and it is not optional\n"
        );
        // A second macaddr through the alias: PVE 8 takes the last, PVE 9 refuses.
        assert!(
            parse(
                &mut cx,
                &f,
                "macaddr=BC:24:11:00:00:01,virtio=BC:24:11:00:00:02",
                "net0",
                None
            )
            .is_ok()
        );
        let mut cx9 = Ctx::new(PveVersion::Pve9);
        assert_eq!(
            parse(
                &mut cx9,
                &f,
                "macaddr=BC:24:11:00:00:01,virtio=BC:24:11:00:00:02",
                "net0",
                None
            )
            .unwrap_err(),
            "key 'macaddr' is already defined (via alias)\n"
        );
    }
}
