//! `PVE::JSONSchema`'s checks of one value against one schema, `check_prop` and
//! `check_type`, with the messages each release words (pve-common 8.3 for PVE 8, 9.x
//! for PVE 9). Objects (a method's parameters, a property string's keys) are checked
//! in [`super::object`]. Schemas are trusted (the shipped API); values are hostile and
//! every problem becomes a message.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::formats;
use super::pattern;
use super::perl_values::{Raw, perl_float};
use super::version::PveVersion;

pub(in crate::sim) use super::property_string::parse_boolean;

/// Errors by parameter path, as `add_error` collects them.
pub type Errors = BTreeMap<String, String>;

/// What a check needs besides the schema: the release, and the named formats met that
/// the simulator does not implement (they pass, and are reported).
#[derive(Debug)]
pub struct Ctx {
    pub version: PveVersion,
    pub unknown_formats: BTreeSet<String>,
}

impl Ctx {
    pub fn new(version: PveVersion) -> Ctx {
        Ctx {
            version,
            unknown_formats: BTreeSet::new(),
        }
    }
}

/// `add_error`: a second error for a path is joined with a literal `\n` (Perl's `'\n'`).
pub fn add_error(errors: &mut Errors, path: &str, msg: &str) {
    let path = if path.is_empty() { "_root" } else { path };
    match errors.get_mut(path) {
        Some(old) => {
            old.push_str("\\n");
            old.push_str(msg);
        }
        None => {
            errors.insert(path.to_owned(), msg.to_owned());
        }
    }
}

/// Perl's truth of a schema attribute (`optional => 1`, `default_key => 1`).
pub fn flag(schema: &Value, key: &str) -> bool {
    truthy(schema.get(key))
}

/// Perl's truth of a schema value.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(_) => true,
    }
}

/// A schema number (`maximum => 4094`, `minimum => '0'`) and how Perl prints it.
fn schema_number(v: &Value) -> Option<(f64, String)> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            let text = if n.is_i64() || n.is_u64() {
                n.to_string()
            } else {
                perl_float(f)
            };
            Some((f, text))
        }
        Value::String(s) => Some((perl_numify(s), s.clone())),
        _ => None,
    }
}

/// `is_number`: `^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$`.
pub fn is_number(v: &str) -> bool {
    pattern::is(r"^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$", v)
}

/// `is_integer`: `^[+-]?\d+$`.
pub fn is_integer(v: &str) -> bool {
    pattern::is(r"^[+-]?\d+$", v)
}

/// A numeric string's value, as Perl's `>` sees it.
fn perl_numify(s: &str) -> f64 {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let fixed = if t.ends_with('.') {
        format!("{t}0")
    } else if let Some(rest) = t.strip_prefix('.') {
        format!("0.{rest}")
    } else if let Some(rest) = t.strip_prefix("-.") {
        format!("-0.{rest}")
    } else {
        t.to_owned()
    };
    fixed.parse().unwrap_or(0.0)
}

/// Characters, as Perl's `length` counts them in a decoded string.
fn length(v: &str) -> usize {
    v.chars().count()
}

/// `check_type`: whether `value` (defined) is of type `ty`; adds the complaint if not.
pub fn check_type(path: &str, ty: Option<&Value>, value: &Raw, errors: &mut Errors) -> bool {
    let Some(ty) = ty else {
        return true;
    };
    let t = match ty {
        Value::String(t) => t.as_str(),
        Value::Array(types) => {
            let ok = types
                .iter()
                .any(|t| check_type(path, Some(t), value, &mut Errors::new()));
            if !ok {
                let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
                add_error(
                    errors,
                    path,
                    &format!("type check ('{}') failed", names.join("|")),
                );
            }
            return ok;
        }
        _ => return true,
    };
    let fail = |errors: &mut Errors, msg: String| {
        add_error(errors, path, &msg);
        false
    };
    match (t, value.ref_name(), value) {
        ("any", _, _) => true,
        ("null", _, _) => fail(
            errors,
            format!("type check ('{t}') failed - value is not null"),
        ),
        ("array", Some("ARRAY"), _) | ("object", Some("HASH"), _) => true,
        ("array" | "object" | "coderef", _, _) => {
            fail(errors, format!("type check ('{t}') failed"))
        }
        ("boolean", Some("JSON::PP::Boolean"), _) => true,
        (_, Some(vt), _) => fail(errors, format!("type check ('{t}') failed - got {vt}")),
        ("boolean", None, Raw::Str(s)) if s != "0" && s != "1" => {
            fail(errors, format!("type check ('{t}') failed - got '{s}'"))
        }
        ("integer", None, Raw::Str(s)) if !is_integer(s) => {
            fail(errors, format!("type check ('{t}') failed - got '{s}'"))
        }
        ("number", None, Raw::Str(s)) if !is_number(s) => {
            fail(errors, format!("type check ('{t}') failed - got '{s}'"))
        }
        _ => true,
    }
}

/// `check_prop`: `value` (`None` when absent or `undef`) against `schema` at `path`.
pub fn check_prop(
    cx: &mut Ctx,
    value: Option<&Raw>,
    schema: &Value,
    path: &str,
    errors: &mut Errors,
    instance_type: Option<&str>,
) {
    if !schema.is_object() {
        add_error(errors, path, "Invalid schema definition.");
        return;
    }
    let v9 = cx.version == PveVersion::Pve9;
    let mut optional_for_type = false;
    if let Some(Value::Array(variants)) = schema.get("oneOf") {
        if schema.get("type-property").is_some() {
            optional_for_type = true;
            for inner in variants {
                let Some(it) = instance_type else {
                    break;
                };
                let Some(Value::Array(types)) = inner.get("instance-types") else {
                    add_error(
                        errors,
                        path,
                        "missing 'instance-types' in oneOf alternative",
                    );
                    return;
                };
                if !types.iter().any(|t| t.as_str() == Some(it)) {
                    continue;
                }
                optional_for_type = flag(inner, "optional");
                check_prop(cx, value, inner, path, errors, None);
            }
        } else {
            let mut collected = Errors::new();
            let mut valid = false;
            for (i, inner) in variants.iter().enumerate() {
                let mut inner_errors = Errors::new();
                check_prop(
                    cx,
                    value,
                    inner,
                    &format!("{path}.oneOf[{i}]"),
                    &mut inner_errors,
                    None,
                );
                if inner_errors.is_empty() {
                    valid = true;
                    break;
                }
                for (p, m) in inner_errors {
                    add_error(&mut collected, &p, &m);
                }
            }
            if !valid {
                for (p, m) in collected {
                    add_error(errors, &p, &m);
                }
            }
        }
    } else if let Some(it) = instance_type {
        let Some(Value::Array(types)) = schema.get("instance-types") else {
            add_error(errors, path, "missing 'instance-types'");
            return;
        };
        // PVE 8 looked the list up under a misspelt key and never found it.
        if v9 && !types.iter().any(|t| t.as_str() == Some(it)) {
            optional_for_type = true;
        }
    }
    if v9 && schema.get("alias").is_some() {
        return;
    }
    let value = match value {
        None | Some(Raw::Undef) => {
            if schema.get("type").and_then(Value::as_str) == Some("null") {
                return;
            }
            let alias = !v9 && schema.get("alias").is_some();
            if !flag(schema, "optional") && !alias && !flag(schema, "group") && !optional_for_type {
                add_error(errors, path, "property is missing and it is not optional");
            }
            return;
        }
        Some(v) => v,
    };
    if !check_type(path, schema.get("type"), value, errors) {
        return;
    }
    match value {
        Raw::List(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for (i, el) in items.iter().enumerate() {
                    check_prop(
                        cx,
                        Some(el),
                        item_schema,
                        &format!("{path}[{i}]"),
                        errors,
                        None,
                    );
                }
            }
        }
        // An object parameter's members, and a JSON boolean, are not checked further.
        Raw::Object | Raw::Bool(_) | Raw::Undef => {}
        Raw::Str(s) => check_scalar(cx, s, schema, path, errors),
    }
}

/// The checks of a plain value: format, pattern, lengths, range, enumeration, in
/// `check_prop`'s order, each stopping at the first complaint.
fn check_scalar(cx: &mut Ctx, s: &str, schema: &Value, path: &str, errors: &mut Errors) {
    if cx.version == PveVersion::Pve9
        && (schema.get("allOf").is_some()
            || (schema.get("oneOf").is_some() && schema.get("type-property-schema").is_some()))
    {
        add_error(errors, path, "value must be an object");
        return;
    }
    if let Some(format) = schema.get("format")
        && let Err(why) = formats::check_format(cx, format, s, path)
    {
        add_error(errors, path, &format!("invalid format - {why}"));
        return;
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str)
        && pattern::schema_pattern(p, s) == Some(false)
    {
        add_error(errors, path, "value does not match the regex pattern");
        return;
    }
    if let Some((max, text)) = schema.get("maxLength").and_then(schema_number)
        && length(s) as f64 > max
    {
        add_error(
            errors,
            path,
            &format!("value may only be {text} characters long"),
        );
        return;
    }
    if let Some((min, text)) = schema.get("minLength").and_then(schema_number)
        && (length(s) as f64) < min
    {
        add_error(
            errors,
            path,
            &format!("value must be at least {text} characters long"),
        );
        return;
    }
    if is_number(s) {
        let n = perl_numify(s);
        if let Some((max, text)) = schema.get("maximum").and_then(schema_number)
            && n > max
        {
            add_error(
                errors,
                path,
                &format!("value must have a maximum value of {text}"),
            );
            return;
        }
        if let Some((min, text)) = schema.get("minimum").and_then(schema_number)
            && n < min
        {
            add_error(
                errors,
                path,
                &format!("value must have a minimum value of {text}"),
            );
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        let names: Vec<String> = allowed
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => super::perl_values::perl_number(n),
                other => other.to_string(),
            })
            .collect();
        if !names.iter().any(|n| n == s) {
            add_error(
                errors,
                path,
                &format!(
                    "value '{s}' does not have a value in the enumeration '{}'",
                    names.join(", ")
                ),
            );
        }
    }
}
