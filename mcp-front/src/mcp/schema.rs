//! Makes the JSON Schemas schemars generates portable across MCP clients and model
//! providers, and short (a model reads every listed schema in every session):
//! references inlined (no `$defs`), an optional field typed as its value rather than
//! "value or null", no Rust-only numeric `format`s (`uint32`, ...), which validators
//! such as ajv warn about, and no `$schema` (MCP's default dialect is the one schemars
//! writes). Numeric ranges, enums, patterns and defaults stay: they tell a model what
//! to send. Lengths and counts (`maxLength`, `minItems`, ...) go: a model never needs
//! them, and every value is checked again, with a precise error, when it is parsed.
//!
//! Input is our own generated schemas; a shape this does not know is left as it is.

use serde_json::{Map, Value};

/// How deep references are followed (ours nest two levels at most).
const MAX_DEPTH: usize = 8;

/// Formats schemars derives from Rust number types; not JSON Schema formats.
const RUST_FORMATS: &[&str] = &[
    "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float",
    "double",
];

/// Keywords dropped wherever they appear (see the module's documentation).
const SIZE_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

/// Rewrites `schema` in place.
pub fn make_portable(schema: &mut Value) {
    if let Some(o) = schema.as_object_mut() {
        o.remove("$schema");
    }
    let defs = schema
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .and_then(|d| match d {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    inline(schema, &defs, 0);
    simplify(schema);
}

/// Replaces each `{"$ref": "#/$defs/N", ...}` by definition N, its own keywords winning.
fn inline(value: &mut Value, defs: &Map<String, Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name));
            if let Some(Value::Object(def)) = target {
                map.remove("$ref");
                for (k, v) in def {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
                inline(value, defs, depth + 1);
                return;
            }
            map.values_mut().for_each(|v| inline(v, defs, depth));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline(v, defs, depth)),
        _ => {}
    }
}

fn is_null_type(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        && v.as_object().is_some_and(|o| o.len() == 1)
}

/// Drops the `null` alternative of a schema: `type: [T, "null"]` becomes `type: T`, and
/// `anyOf: [S, {type: null}]` becomes S (the outer keywords winning).
fn drop_null(schema: &mut Map<String, Value>) {
    if schema.get("default") == Some(&Value::Null) {
        schema.remove("default");
    }
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema.insert("type".into(), only);
        }
    }
    let Some(Value::Array(any)) = schema.get("anyOf") else {
        return;
    };
    let rest: Vec<Value> = any.iter().filter(|v| !is_null_type(v)).cloned().collect();
    if rest.len() == any.len() {
        return;
    }
    schema.remove("anyOf");
    match <[Value; 1]>::try_from(rest) {
        Ok([Value::Object(only)]) => {
            for (k, v) in only {
                schema.entry(k).or_insert(v);
            }
        }
        Ok([other]) => {
            schema.insert("anyOf".into(), Value::Array(vec![other]));
        }
        Err(rest) => {
            schema.insert("anyOf".into(), Value::Array(rest));
        }
    }
}

fn simplify(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| RUST_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            map.retain(|k, _| !SIZE_KEYWORDS.contains(&k.as_str()));
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if let Value::Object(p) = property
                        && !required.contains(name)
                    {
                        drop_null(p);
                    }
                }
            }
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    // A map of names to schemas: its keys are names, not keywords.
                    ("properties" | "patternProperties", Value::Object(named)) => {
                        named.values_mut().for_each(simplify)
                    }
                    // Values, not schemas.
                    ("enum" | "const" | "default" | "examples", _) => {}
                    (_, v) => simplify(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(simplify),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_fields_lose_null_refs_are_inlined_rust_formats_and_sizes_go() {
        let mut s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {"State": {"type": "string", "enum": ["a", "b"], "description": "S"}},
            "properties": {
                "limit": {"type": ["integer", "null"], "format": "uint64", "maximum": 9, "default": null},
                "maxLength": {"type": "string", "minLength": 1, "maxLength": 8, "default": {"maxLength": 1}},
                "keys": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 4},
                "state": {"anyOf": [{"$ref": "#/$defs/State"}, {"type": "null"}], "description": "D"},
                "exit": {"type": ["integer", "null"], "format": "int32"},
                "when": {"type": "string", "format": "date-time"}
            },
            "required": ["exit"]
        });
        make_portable(&mut s);
        assert_eq!(
            s,
            json!({
                "type": "object",
                "properties": {
                    "limit": {"type": "integer", "maximum": 9},
                    "maxLength": {"type": "string", "default": {"maxLength": 1}},
                    "keys": {"type": "array", "items": {"type": "string"}},
                    "state": {"type": "string", "enum": ["a", "b"], "description": "D"},
                    "exit": {"type": ["integer", "null"]},
                    "when": {"type": "string", "format": "date-time"}
                },
                "required": ["exit"]
            })
        );
    }
}
