//! Proxmox VE's published API schema (`api/pve-8.json.gz`, `api/pve-9.json.gz`: the API
//! viewer's tree, see `api/README.md`) as the simulator judges every request by it,
//! independently of pve-helper's own reading: the endpoint must exist ([`Api::resolve`],
//! as `PVE::RESTHandler::find_handler` walks its routers), the token must hold what its
//! `permissions` ask ([`permissions`], `PVE::RPCEnvironment::check_api2_permissions`),
//! and the parameters must pass `PVE::JSONSchema::validate` ([`object`] and [`check`],
//! with named [`formats`] and [`property_string`]s). [`admit`] runs these steps in pveproxy's order,
//! [`tally`] counts what was judged and refused. Request parameters reach it as Perl
//! values (`perl_values`), and [`version`] says which release's schema judges. The schema is trusted data shipped with
//! the repository; paths and parameters are hostile.

mod admit;
pub mod check;
#[cfg(test)]
mod coverage;
mod formats;
pub mod object;
mod pattern;
pub(crate) mod perl_values;
mod permissions;
mod property_string;
pub mod tally;
pub mod version;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use version::PveVersion;

pub use admit::{Judge, Request, Verdict, admit};
pub use tally::{Figures, Rejection, Tally};

const PVE8_GZ: &[u8] = include_bytes!("../../../../api/pve-8.json.gz");
const PVE9_GZ: &[u8] = include_bytes!("../../../../api/pve-9.json.gz");

/// One method of one endpoint.
#[derive(Debug)]
pub struct Endpoint {
    pub method: String,
    /// `/nodes/{node}/qemu/{vmid}/config`.
    pub template: String,
    /// The schema's `parameters`: `properties` (path parameters included, `name[n]` for a
    /// numbered family) and `additionalProperties`.
    pub parameters: Value,
    /// The schema's `permissions`, if it has any.
    pub permissions: Option<Value>,
    /// Whether an API token may call it (`allowtoken`).
    pub allowtoken: bool,
    /// The path parameter naming the node the call is proxied to (`proxyto`).
    pub proxyto: Option<String>,
}

/// The API of one release, as a tree of path segments.
#[derive(Debug, Default)]
pub struct Api {
    root: Node,
    methods: usize,
}

#[derive(Debug, Default)]
struct Node {
    literal: BTreeMap<String, Node>,
    /// A `{name}` segment and what follows it.
    variable: Option<(String, Box<Node>)>,
    methods: Vec<Endpoint>,
}

/// An endpoint found for a request's path, with its path parameters by name.
#[derive(Debug)]
pub struct Found<'a> {
    pub endpoint: &'a Endpoint,
    pub path_params: Vec<(&'a str, String)>,
}

/// Why a path finds no endpoint (PVE answers 501 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    NoPath,
    NoMethod,
}

impl Api {
    /// The API of `version`, read once.
    pub fn get(version: PveVersion) -> &'static Api {
        static PVE8: OnceLock<Api> = OnceLock::new();
        static PVE9: OnceLock<Api> = OnceLock::new();
        match version {
            PveVersion::Pve8 => PVE8.get_or_init(|| load(PVE8_GZ, None)),
            PveVersion::Pve9 => {
                PVE9.get_or_init(|| load(PVE9_GZ, Some(Api::get(PveVersion::Pve8))))
            }
        }
    }

    /// How many methods the schema has (the API root's `GET /` included).
    pub fn len(&self) -> usize {
        self.methods
    }

    pub fn is_empty(&self) -> bool {
        self.methods == 0
    }

    fn insert(&mut self, endpoint: Endpoint) {
        let mut node = &mut self.root;
        for seg in endpoint.template.split('/').filter(|s| !s.is_empty()) {
            node = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let (_, next) = node
                        .variable
                        .get_or_insert_with(|| (name.to_owned(), Box::default()));
                    next
                }
                None => node.literal.entry(seg.to_owned()).or_default(),
            };
        }
        node.methods.push(endpoint);
        self.methods += 1;
    }

    /// The endpoint for `method` and the path's non-empty `segments`. A `{name}` segment
    /// matches `\S+`; the storage content routes' `{volume}` takes the rest of the path
    /// (`fragmentDelimiter => ''`).
    pub fn resolve(&self, method: &str, segments: &[&str]) -> Result<Found<'_>, NotFound> {
        let mut vars = Vec::new();
        let node = walk(&self.root, segments, &mut vars).ok_or(NotFound::NoPath)?;
        match node.methods.iter().find(|e| e.method == method) {
            Some(endpoint) => Ok(Found {
                endpoint,
                path_params: vars,
            }),
            None => Err(NotFound::NoMethod),
        }
    }

    /// The endpoint of `method` at `template`, if the schema has it.
    pub fn endpoint(&self, method: &str, template: &str) -> Option<&Endpoint> {
        let mut node = &self.root;
        for seg in template.split('/').filter(|s| !s.is_empty()) {
            node = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(_) => &node.variable.as_ref()?.1,
                None => node.literal.get(seg)?,
            };
        }
        node.methods.iter().find(|e| e.method == method)
    }

    /// Every endpoint, in path order.
    pub fn endpoints(&self) -> Vec<&Endpoint> {
        fn collect<'a>(n: &'a Node, out: &mut Vec<&'a Endpoint>) {
            out.extend(n.methods.iter());
            for child in n.literal.values() {
                collect(child, out);
            }
            if let Some((_, child)) = &n.variable {
                collect(child, out);
            }
        }
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }
}

/// `\S+`, as a path segment must be to fill a `{name}`.
fn fills_variable(segment: &str) -> bool {
    !segment.is_empty() && !segment.chars().any(char::is_whitespace)
}

fn walk<'a>(node: &'a Node, segs: &[&str], vars: &mut Vec<(&'a str, String)>) -> Option<&'a Node> {
    let Some((first, rest)) = segs.split_first() else {
        return (!node.methods.is_empty()).then_some(node);
    };
    if let Some(next) = node.literal.get(*first)
        && let Some(found) = walk(next, rest, vars)
    {
        return Some(found);
    }
    let (name, next) = node.variable.as_ref()?;
    if name == "volume" && next.variable.is_none() && next.literal.is_empty() {
        let whole = segs.join("/");
        if !fills_variable(&whole) {
            return None;
        }
        vars.push((name.as_str(), whole));
        return (!next.methods.is_empty()).then_some(&**next);
    }
    if !fills_variable(first) {
        return None;
    }
    vars.push((name.as_str(), (*first).to_owned()));
    match walk(next, rest, vars) {
        Some(found) => Some(found),
        None => {
            vars.pop();
            None
        }
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(_) => true,
    }
}

/// Reads a shipped schema. PVE 9's viewer drops `proxyto`; it is taken from PVE 8's
/// endpoint of the same path, or else the `{node}` path parameter.
fn load(gz: &[u8], proxy_from: Option<&Api>) -> Api {
    let mut text = String::new();
    let parsed = flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()));
    let root = match parsed {
        Ok(v) => v,
        Err(e) => {
            // Shipped data that does not parse is a defect: an empty API refuses all.
            tracing::error!("pve-sim: the shipped API schema does not load: {e}");
            return Api::default();
        }
    };
    let mut api = Api::default();
    api.insert(Endpoint {
        method: "GET".into(),
        template: "/".into(),
        parameters: json!({"additionalProperties": 0, "properties": {}}),
        permissions: Some(json!({"user": "all"})),
        allowtoken: true,
        proxyto: None,
    });
    let empty = Map::new();
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (template, methods) in paths {
        let Some(methods) = methods.as_object() else {
            continue;
        };
        for (method, info) in methods {
            let proxyto = match (info.get("proxyto"), proxy_from) {
                (Some(Value::String(p)), _) => Some(p.clone()),
                (Some(_), _) => None,
                (None, Some(older)) => match older.endpoint(method, template) {
                    Some(e) => e.proxyto.clone(),
                    None => template.contains("{node}").then(|| "node".to_owned()),
                },
                (None, None) => None,
            };
            api.insert(Endpoint {
                method: method.clone(),
                template: template.clone(),
                parameters: info.get("parameters").cloned().unwrap_or_else(|| json!({})),
                permissions: info.get("permissions").cloned(),
                allowtoken: info.get("allowtoken").is_none() || truthy(info.get("allowtoken")),
                proxyto,
            });
        }
    }
    api
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemas_load_whole() {
        assert_eq!(Api::get(PveVersion::Pve8).len(), 606);
        assert_eq!(Api::get(PveVersion::Pve9).len(), 681);
    }

    #[test]
    fn paths_resolve_like_pve_routers() {
        let api = Api::get(PveVersion::Pve9);
        let f = api
            .resolve(
                "GET",
                &[
                    "nodes",
                    "pve1",
                    "storage",
                    "nas",
                    "content",
                    "nas:backup",
                    "x.vma",
                ],
            )
            .unwrap();
        assert_eq!(
            f.endpoint.template,
            "/nodes/{node}/storage/{storage}/content/{volume}"
        );
        assert_eq!(f.path_params[2], ("volume", "nas:backup/x.vma".to_owned()));
        assert_eq!(f.endpoint.proxyto.as_deref(), Some("node"));
        assert_eq!(
            api.resolve("GET", &["nodes", "pve 1", "status"])
                .unwrap_err(),
            NotFound::NoPath
        );
        assert_eq!(
            api.resolve("PUT", &["version"]).unwrap_err(),
            NotFound::NoMethod
        );
        assert!(api.resolve("GET", &["cluster", "ha", "rules"]).is_ok());
        let v8 = Api::get(PveVersion::Pve8);
        assert!(v8.resolve("GET", &["cluster", "ha", "rules"]).is_err());
        let rrd = v8
            .endpoint("GET", "/nodes/{node}/qemu/{vmid}/rrddata")
            .unwrap();
        assert_eq!(rrd.proxyto, None);
        assert!(api.resolve("GET", &[]).is_ok());
    }
}
