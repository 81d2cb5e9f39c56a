//! `PVE::JSONSchema::check_object` and `validate`: an object's properties (a method's
//! parameters, where `name[n]` stands for a numbered family, or a property string's
//! keys) each checked with [`check_prop`], missing ones, `requires`, unknown names, and
//! PVE 9's alias remapping; before a method's parameters are validated, `-list` strings
//! given as lists are joined and plain values given for arrays wrapped
//! (`$normalize_legacy_param_formats`). Schemas are trusted; values are hostile.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::check::{Ctx, Errors, add_error, check_prop, truthy};
use super::perl_values::Raw;
use super::version::PveVersion;
use crate::sim::errors::schema;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The properties of an object schema. At a method's top level, `name[n]` stands for
/// the family `name0`, `name1`, ... as the API viewer prints it.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    pub map: &'a Map<String, Value>,
}

/// How many members a numbered family has (qemu-server's `$MAX_*`, pve-container's,
/// corosync's links, the ACME domains of a node).
fn family_size(prefix: &str) -> Option<u32> {
    let n = match prefix {
        "ide" | "serial" => 4,
        "sata" => 6,
        "scsi" => 31,
        "virtio" | "hostpci" => 16,
        "net" | "ipconfig" => 32,
        "unused" | "mp" | "dev" => 256,
        "numa" | "link" => 8,
        "parallel" => 3,
        "usb" => 14,
        "virtiofs" => 10,
        "acmedomain" => 6,
        _ => return None,
    };
    Some(n)
}

impl<'a> Props<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Props<'a> {
        Props { map }
    }

    /// The schema of property `key`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        if let Some(s) = self.map.get(key) {
            return Some(s);
        }
        let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || digits == key.len() {
            return None;
        }
        let (prefix, n) = key.split_at(key.len() - digits);
        if n.len() > 1 && n.starts_with('0') {
            return None;
        }
        let n: u32 = n.parse().ok()?;
        if n >= family_size(prefix)? {
            return None;
        }
        self.map.get(&format!("{prefix}[n]"))
    }

    /// The properties that are no family (`name[n]` members are all optional).
    fn plain(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter().filter(|(k, _)| !k.ends_with("[n]"))
    }
}

/// `get_instance_type`: the value of the property a `type-property` names.
fn instance_type<'v>(schema: &Value, value: &'v BTreeMap<String, Raw>) -> Option<&'v str> {
    let prop = schema.get("type-property")?.as_str()?;
    value.get(prop).and_then(Raw::as_str)
}

/// `check_object` of `value` against `props` at `path`; `additional` is the schema's
/// `additionalProperties` (`None` when it has none: anything else is allowed).
pub fn check_object(
    cx: &mut Ctx,
    path: &str,
    props: Props<'_>,
    value: &BTreeMap<String, Raw>,
    additional: Option<&Value>,
    errors: &mut Errors,
) {
    let mut remapped;
    let mut value = value;
    if cx.version == PveVersion::Pve9 {
        remapped = value.clone();
        for k in value.keys() {
            let Some(alias) = props
                .get(k)
                .and_then(|s| s.get("alias"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if remapped.get(alias).is_some_and(|v| *v != Raw::Undef) {
                let msg = format!("cannot set both '{k}' and its alias target '{alias}'");
                add_error(errors, &join(path, k), &msg);
            } else if let Some(v) = remapped.remove(k) {
                remapped.insert(alias.to_owned(), v);
            }
        }
        value = &remapped;
    }
    for (k, schema) in props.plain() {
        let it = instance_type(schema, value);
        check_prop(cx, value.get(k), schema, &join(path, k), errors, it);
    }
    for (k, v) in value {
        let newpath = join(path, k);
        if let Some(schema) = props.get(k) {
            if !props.map.contains_key(k) {
                // A family member: checked here, as Perl's loop over its own key would.
                check_prop(cx, Some(v), schema, &newpath, errors, None);
            }
            if let Some(req) = schema.get("requires").and_then(Value::as_str)
                && value.get(req).is_none_or(|r| *r == Raw::Undef)
            {
                let msg = match cx.version {
                    PveVersion::Pve8 => {
                        format!("missing property - '{newpath}' requires this property")
                    }
                    PveVersion::Pve9 => format!("missing property required by '{newpath}'"),
                };
                add_error(errors, &join(path, req), &msg);
            }
            continue;
        }
        match additional {
            Some(Value::Object(_)) => {
                if let Some(a) = additional {
                    check_prop(cx, Some(v), a, &newpath, errors, None);
                }
            }
            Some(a) if !truthy(Some(a)) => add_error(errors, &newpath, schema::NOT_IN_SCHEMA),
            _ => {}
        }
    }
}

/// `$normalize_legacy_param_formats`: a list given for a `*-list` string is joined with
/// commas, a plain value given for an `array` becomes a list of one.
pub fn normalize(props: Props<'_>, params: &mut BTreeMap<String, Raw>) {
    for (key, value) in params.iter_mut() {
        let Some(schema) = props.get(key) else {
            continue;
        };
        if !value.truthy() {
            continue;
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let list_format = schema
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| f.ends_with("-list"));
        match value {
            Raw::List(items) if ty == "string" && list_format => {
                let joined: Vec<String> = items.iter().map(Raw::perl_string).collect();
                *value = Raw::Str(joined.join(","));
            }
            Raw::Str(_) if ty == "array" => {
                let one = std::mem::replace(value, Raw::Undef);
                *value = Raw::List(vec![one]);
            }
            _ => {}
        }
    }
}

/// `validate($params, $method->{parameters})`: the method's parameters, normalized
/// first, against its schema; the errors by parameter name.
pub fn validate(cx: &mut Ctx, parameters: &Value, params: &BTreeMap<String, Raw>) -> Errors {
    let mut errors = Errors::new();
    let empty = Map::new();
    let map = merged_properties(parameters).unwrap_or(&empty);
    let props = Props::new(map);
    let mut params = params.clone();
    normalize(props, &mut params);
    let additional = parameters.get("additionalProperties");
    // PVE 9's two `allOf` methods (HA rules) refuse unknown parameters too.
    let additional = match (additional, parameters.get("allOf")) {
        (None, Some(_)) => Some(&Value::Bool(false)),
        (a, _) => a,
    };
    check_object(cx, "", props, &params, additional, &mut errors);
    errors
}

/// The `properties` of a method's parameters; for PVE 9's `allOf` methods, the first
/// part's (the others are `oneOf` variants by rule type, which the simulator does not
/// serve).
fn merged_properties(parameters: &Value) -> Option<&Map<String, Value>> {
    if let Some(p) = parameters.get("properties").and_then(Value::as_object) {
        return Some(p);
    }
    parameters
        .get("allOf")?
        .as_array()?
        .first()?
        .get("properties")?
        .as_object()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, Raw> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Raw::Str((*v).to_owned())))
            .collect()
    }

    #[test]
    fn scalars_are_checked_in_pves_order_with_its_words() {
        let params = json!({"additionalProperties": 0, "properties": {
            "vmid": {"type": "integer", "format": "pve-vmid", "minimum": 100, "maximum": 999999999},
            "n": {"type": "integer", "optional": 1, "minimum": 1, "maximum": 4094},
            "b": {"type": "boolean", "optional": 1},
            "e": {"type": "string", "optional": 1, "enum": ["a", "b"]},
            "s": {"type": "string", "optional": 1, "maxLength": 3},
            "t": {"type": "string", "optional": 1, "requires": "e"},
        }});
        let mut cx = Ctx::new(PveVersion::Pve8);
        let e = validate(
            &mut cx,
            &params,
            &raw(&[("n", "0"), ("b", "yes"), ("e", "c"), ("x", "1")]),
        );
        assert_eq!(e["vmid"], "property is missing and it is not optional");
        assert_eq!(e["n"], "value must have a minimum value of 1");
        assert_eq!(e["b"], "type check ('boolean') failed - got 'yes'");
        assert_eq!(
            e["e"],
            "value 'c' does not have a value in the enumeration 'a, b'"
        );
        assert_eq!(
            e["x"],
            "property is not defined in schema and the schema does not allow additional properties"
        );
        let e = validate(
            &mut cx,
            &params,
            &raw(&[("vmid", "99"), ("s", "abcd"), ("t", "1")]),
        );
        assert_eq!(
            e["vmid"],
            "invalid format - value does not look like a valid VM ID\n"
        );
        assert_eq!(e["s"], "value may only be 3 characters long");
        assert_eq!(e["e"], "missing property - 't' requires this property");
        let mut cx9 = Ctx::new(PveVersion::Pve9);
        let e = validate(&mut cx9, &params, &raw(&[("vmid", "100"), ("t", "1")]));
        assert_eq!(e["e"], "missing property required by 't'");
        let mut list = raw(&[("vmid", "100")]);
        list.insert("s".into(), Raw::List(vec![Raw::Str("a".into())]));
        list.insert("b".into(), Raw::Bool(true));
        let e = validate(&mut cx9, &params, &list);
        assert_eq!(e["s"], "type check ('string') failed - got ARRAY");
        assert!(!e.contains_key("b"), "{e:?}");
    }

    #[test]
    fn families_stand_for_their_members() {
        let params = json!({"additionalProperties": 0, "properties": {
            "net[n]": {"type": "string", "optional": 1, "maxLength": 5},
        }});
        let mut cx = Ctx::new(PveVersion::Pve8);
        let e = validate(
            &mut cx,
            &params,
            &raw(&[
                ("net0", "x"),
                ("net31", "toolong"),
                ("net32", "x"),
                ("net01", "x"),
            ]),
        );
        assert!(!e.contains_key("net0"));
        assert_eq!(e["net31"], "value may only be 5 characters long");
        assert!(e["net32"].starts_with("property is not defined"));
        assert!(e["net01"].starts_with("property is not defined"));
    }
}
