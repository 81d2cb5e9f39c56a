//! Reads the shipped schema: gunzip, then the API viewer's tree (`paths` → method →
//! `parameters.properties`) into [`Endpoint`]s. Property-string formats repeated
//! across endpoints are shared, so the whole schema stays small in memory.

use super::params::{Format, Named, Param, Params, Props, Ty};
use super::{Endpoint, Schema};
use pve_mcp_proto::ApiMethod;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

#[derive(Deserialize)]
struct RawSchema {
    paths: BTreeMap<String, BTreeMap<String, RawMethod>>,
}

#[derive(Deserialize)]
struct RawMethod {
    #[serde(default)]
    parameters: RawParameters,
}

#[derive(Deserialize, Default)]
struct RawParameters {
    #[serde(default)]
    properties: BTreeMap<String, Value>,
}

/// Interns property-string formats by their JSON text.
#[derive(Default)]
struct Interner(HashMap<String, Arc<Props>>);

pub(super) fn parse_gz(gz: &[u8]) -> Result<Schema, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| format!("gunzip: {e}"))?;
    parse(&text)
}

pub(super) fn parse(text: &str) -> Result<Schema, String> {
    let raw: RawSchema = serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))?;
    let mut schema = Schema::default();
    let mut interner = Interner::default();
    for (template, methods) in raw.paths {
        for (method, m) in methods {
            let method: ApiMethod = method.parse().map_err(|e| format!("{template}: {e}"))?;
            let mut params = Params::default();
            for (name, spec) in &m.parameters.properties {
                let param = interner.param(spec);
                match name.strip_suffix("[n]") {
                    Some(prefix) => params.numbered.push((prefix.to_owned(), param)),
                    None => {
                        params.exact.insert(name.clone(), param);
                    }
                }
            }
            schema.insert(Endpoint {
                method,
                template: template.clone(),
                params,
            });
        }
    }
    Ok(schema)
}

impl Interner {
    fn param(&mut self, spec: &Value) -> Param {
        let get = |k: &str| spec.get(k);
        let flag =
            |k: &str| get(k).is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true));
        let ty = match get("type").and_then(Value::as_str) {
            Some("string") => Ty::String,
            Some("integer") => Ty::Integer,
            Some("number") => Ty::Number,
            Some("boolean") => Ty::Boolean,
            Some("array") => match get("items") {
                Some(items) => Ty::Array(Box::new(self.param(items))),
                None => Ty::Array(Box::new(Param::plain(Ty::String))),
            },
            _ => Ty::Other,
        };
        let format = match get("format") {
            Some(Value::String(name)) => Format::Named(Named::from_name(name)),
            Some(f @ Value::Object(keys)) => {
                let key = f.to_string();
                let props = match self.0.get(&key) {
                    Some(p) => p.clone(),
                    None => {
                        let props = Arc::new(Props {
                            keys: keys
                                .iter()
                                .map(|(k, v)| (k.clone(), self.param(v)))
                                .collect(),
                        });
                        self.0.insert(key, props.clone());
                        props
                    }
                };
                Format::Props(props)
            }
            _ => Format::None,
        };
        Param {
            ty,
            format,
            optional: flag("optional"),
            alias: get("alias").and_then(Value::as_str).map(str::to_owned),
            key_alias: get("keyAlias").and_then(Value::as_str).map(str::to_owned),
            default_key: flag("default_key"),
            requires: get("requires").and_then(Value::as_str).map(str::to_owned),
        }
    }
}

impl Param {
    fn plain(ty: Ty) -> Self {
        Self {
            ty,
            format: Format::None,
            optional: true,
            alias: None,
            key_alias: None,
            default_key: false,
            requires: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_property_strings_are_read() {
        let s = super::super::Schema::get();
        let path = pve_mcp_proto::ApiPath::parse("/nodes/x/qemu/100/config").unwrap();
        let r = s.resolve(ApiMethod::Put, &path).unwrap();
        let p = &r.endpoint.params;
        assert_eq!(p.get("vmid").unwrap().format, Format::Named(Named::Vmid));
        assert_eq!(
            p.get("delete").unwrap().format,
            Format::Named(Named::ConfigIdList)
        );
        let Format::Props(scsi) = &p.get("scsi5").unwrap().format else {
            panic!("scsi5 is a property string")
        };
        assert_eq!(scsi.default_key(), Some("file"));
        assert_eq!(scsi.keys["volume"].alias.as_deref(), Some("file"));
        assert_eq!(
            scsi.keys["import-from"].format,
            Format::Named(Named::VolumeOrPath)
        );
        // The same drive format is one allocation for every endpoint using it.
        let r2 = s
            .resolve(
                ApiMethod::Post,
                &pve_mcp_proto::ApiPath::parse("/nodes/x/qemu/100/config").unwrap(),
            )
            .unwrap();
        let Format::Props(scsi2) = &r2.endpoint.params.get("scsi0").unwrap().format else {
            panic!()
        };
        assert!(Arc::ptr_eq(scsi, scsi2));
    }

    #[test]
    fn a_broken_schema_is_an_error() {
        assert!(parse("{").is_err());
        assert!(parse(r#"{"paths": {"/x": {"PATCH": {}}}}"#).is_err());
    }
}
