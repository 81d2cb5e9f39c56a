//! Reads the shipped schema: gunzip, then the API viewer's tree (`paths` → method →
//! `parameters.properties`) into [`Endpoint`]s, path by path. Each parameter is read
//! from its text (borrowed, never built into a JSON tree: reading the schema takes a
//! fraction of the memory), the members we use typed and the rest skipped. Parameters
//! and property-string formats repeated across endpoints are read once and shared, so
//! the whole schema stays small in memory.

use super::params::{Format, Named, Param, Params, Props, Ty};
use super::{Endpoint, Schema};
use pve_mcp_proto::ApiMethod;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

/// The schema's paths, each path's methods still as text.
#[derive(Deserialize)]
struct RawSchema<'a> {
    #[serde(borrow)]
    paths: BTreeMap<String, &'a RawValue>,
}

#[derive(Deserialize)]
struct RawMethod<'a> {
    #[serde(default, borrow)]
    parameters: RawParameters<'a>,
}

#[derive(Deserialize, Default)]
struct RawParameters<'a> {
    #[serde(default, borrow)]
    properties: BTreeMap<String, &'a RawValue>,
}

/// The members of a parameter's description we use, each any JSON value (one of
/// another type than we use is read as absent, as a JSON tree's accessors would).
#[derive(Deserialize, Default)]
struct RawParam<'a> {
    #[serde(rename = "type", default, borrow)]
    ty: Option<&'a RawValue>,
    #[serde(default, borrow)]
    items: Option<&'a RawValue>,
    #[serde(default, borrow)]
    format: Option<&'a RawValue>,
    #[serde(default, borrow)]
    optional: Option<&'a RawValue>,
    #[serde(default, borrow)]
    alias: Option<&'a RawValue>,
    #[serde(rename = "keyAlias", default, borrow)]
    key_alias: Option<&'a RawValue>,
    #[serde(default, borrow)]
    default_key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    requires: Option<&'a RawValue>,
}

/// A string value, or `None` for any other.
fn text(v: Option<&RawValue>) -> Option<String> {
    v.and_then(|v| serde_json::from_str(v.get()).ok())
}

/// `1` or `true`.
fn flag(v: Option<&RawValue>) -> bool {
    v.is_some_and(|v| matches!(v.get(), "1" | "true"))
}

/// Interns parameters and property-string formats by their JSON text.
#[derive(Default)]
struct Interner<'a> {
    params: HashMap<&'a str, Arc<Param>>,
    formats: HashMap<&'a str, Arc<Props>>,
}

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
        // One path's methods at a time: no tree of the whole is built.
        let methods: BTreeMap<String, RawMethod> =
            serde_json::from_str(methods.get()).map_err(|e| format!("{template}: {e}"))?;
        for (method, m) in methods {
            let method: ApiMethod = method.parse().map_err(|e| format!("{template}: {e}"))?;
            let mut params = Params::default();
            for (name, spec) in m.parameters.properties {
                let param = interner
                    .shared(spec)
                    .map_err(|e| format!("{template}: {e}"))?;
                match name.strip_suffix("[n]") {
                    Some(prefix) => params.numbered.push((prefix.to_owned(), param)),
                    None => {
                        params.exact.insert(name, param);
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

impl<'a> Interner<'a> {
    /// An endpoint's parameter, one for every endpoint that describes it alike.
    fn shared(&mut self, spec: &'a RawValue) -> Result<Arc<Param>, serde_json::Error> {
        if let Some(p) = self.params.get(spec.get()) {
            return Ok(p.clone());
        }
        let p = Arc::new(self.param(spec)?);
        self.params.insert(spec.get(), p.clone());
        Ok(p)
    }

    fn param(&mut self, spec: &'a RawValue) -> Result<Param, serde_json::Error> {
        let raw: RawParam<'a> = match spec.get().starts_with('{') {
            true => serde_json::from_str(spec.get())?,
            false => RawParam::default(),
        };
        let ty = match text(raw.ty).as_deref() {
            Some("string") => Ty::String,
            Some("integer") => Ty::Integer,
            Some("number") => Ty::Number,
            Some("boolean") => Ty::Boolean,
            Some("array") => match raw.items {
                Some(items) => Ty::Array(Box::new(self.param(items)?)),
                None => Ty::Array(Box::new(Param::plain(Ty::String))),
            },
            _ => Ty::Other,
        };
        let format = match raw.format {
            Some(f) if f.get().starts_with('"') => {
                text(Some(f)).map_or(Format::None, |name| Format::Named(Named::from_name(&name)))
            }
            Some(f) if f.get().starts_with('{') => Format::Props(self.props(f)?),
            _ => Format::None,
        };
        Ok(Param {
            ty,
            format,
            optional: flag(raw.optional),
            alias: text(raw.alias),
            key_alias: text(raw.key_alias),
            default_key: flag(raw.default_key),
            requires: text(raw.requires),
        })
    }

    /// A property string's keys, read once for every endpoint that uses them.
    fn props(&mut self, format: &'a RawValue) -> Result<Arc<Props>, serde_json::Error> {
        if let Some(props) = self.formats.get(format.get()) {
            return Ok(props.clone());
        }
        let keys: BTreeMap<String, &'a RawValue> = serde_json::from_str(format.get())?;
        let props = Arc::new(Props {
            keys: keys
                .into_iter()
                .map(|(k, v)| Ok((k, self.param(v)?)))
                .collect::<Result<_, serde_json::Error>>()?,
        });
        self.formats.insert(format.get(), props.clone());
        Ok(props)
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
