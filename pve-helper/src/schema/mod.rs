//! Proxmox VE's published API schema (`api/pve-9.json.gz`, the API viewer's
//! `apidoc.js`): which endpoints exist, and which parameters each takes with their
//! types, formats and property-string sub-keys. It is data shipped with the helper,
//! trusted, parsed once on first use; what it is applied to (paths and parameters of
//! raw API calls) is hostile.

mod load;
mod params;

pub use params::{
    Format, Named, Param, Params, PropString, Props, Ty, check_scalar, missing_required,
};

use crate::pve::release::Release;
use pve_mcp_proto::{ApiMethod, ApiPath};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The compressed schemas as shipped (see `api/README.md` for their sources and dates).
const PVE9_GZ: &[u8] = include_bytes!("../../../api/pve-9.json.gz");
const PVE8_GZ: &[u8] = include_bytes!("../../../api/pve-8.json.gz");

/// One method of one endpoint: its path template and parameters (path parameters
/// included, as Proxmox merges them).
#[derive(Debug)]
pub struct Endpoint {
    pub method: ApiMethod,
    /// `/nodes/{node}/qemu/{vmid}/config`.
    pub template: String,
    pub params: Params,
}

/// A path resolved against the schema: the endpoint and the values of its path
/// parameters, by name.
#[derive(Debug)]
pub struct Resolved<'a> {
    pub endpoint: &'a Endpoint,
    pub path_params: Vec<(&'a str, String)>,
}

/// The whole schema, as a trie of path segments.
#[derive(Debug, Default)]
pub struct Schema {
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

/// Why a path does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// No endpoint has this path.
    NoPath,
    /// The path exists, but not with this method; the methods it has.
    NoMethod(Vec<ApiMethod>),
}

impl Schema {
    /// The schema of the newest release pve-mcp knows (Proxmox VE 9).
    pub fn get() -> &'static Schema {
        Self::for_release(Release::Pve9)
    }

    /// The schema of `release`, parsed on first use.
    pub fn for_release(release: Release) -> &'static Schema {
        static PVE9: OnceLock<Schema> = OnceLock::new();
        static PVE8: OnceLock<Schema> = OnceLock::new();
        let (cell, gz) = match release {
            Release::Pve9 => (&PVE9, PVE9_GZ),
            Release::Pve8 => (&PVE8, PVE8_GZ),
        };
        cell.get_or_init(|| match load::parse_gz(gz) {
            Ok(s) => s,
            Err(e) => {
                // Shipped data that does not parse is a build defect; an empty schema
                // refuses every raw call, which fails closed.
                tracing::error!("the shipped Proxmox API schema ({release}) does not load: {e}");
                Schema::default()
            }
        })
    }

    /// How many methods (endpoint and HTTP method pairs) the schema has.
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

    /// The endpoint `method path` addresses. Literal segments win over variables, as
    /// in Proxmox's router, with backtracking when a literal leads nowhere.
    pub fn resolve(&self, method: ApiMethod, path: &ApiPath) -> Result<Resolved<'_>, Unresolved> {
        let segs: Vec<&str> = path.segments().collect();
        let mut vars = Vec::new();
        let node = walk(&self.root, &segs, &mut vars).ok_or(Unresolved::NoPath)?;
        match node.methods.iter().find(|e| e.method == method) {
            Some(endpoint) => Ok(Resolved {
                endpoint,
                path_params: vars,
            }),
            None => Err(Unresolved::NoMethod(
                node.methods.iter().map(|e| e.method).collect(),
            )),
        }
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
    // A volume id is the rest of the path: Proxmox's storage content routes take
    // `{volume}` with its slashes (`local:backup/vzdump-...`).
    if name == "volume" && next.variable.is_none() && next.literal.is_empty() {
        vars.push((name.as_str(), segs.join("/")));
        return (!next.methods.is_empty()).then_some(&**next);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(
        method: ApiMethod,
        path: &str,
    ) -> Result<(String, Vec<(String, String)>), Unresolved> {
        Schema::get()
            .resolve(method, &ApiPath::parse(path).unwrap())
            .map(|r| {
                (
                    r.endpoint.template.clone(),
                    r.path_params
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
    }

    #[test]
    fn the_shipped_schemas_load_whole() {
        let s = Schema::get();
        assert_eq!(s.len(), 680, "methods in api/pve-9.json.gz");
        assert_eq!(s.endpoints().len(), 680);
        let s = Schema::for_release(Release::Pve8);
        assert_eq!(s.len(), 605, "methods in api/pve-8.json.gz");
        // PVE 9 added HA rules; PVE 8 has none.
        let rules = ApiPath::parse("/cluster/ha/rules").unwrap();
        assert!(Schema::get().resolve(ApiMethod::Get, &rules).is_ok());
        assert!(s.resolve(ApiMethod::Get, &rules).is_err());
    }

    #[test]
    fn paths_resolve_with_their_parameters() {
        let (t, p) = resolve(ApiMethod::Put, "/nodes/pve1/qemu/102/config").unwrap();
        assert_eq!(t, "/nodes/{node}/qemu/{vmid}/config");
        assert_eq!(
            p,
            [
                ("node".into(), "pve1".into()),
                ("vmid".into(), "102".into())
            ]
        );
        // Literal segments win: /nodes/{node}/qemu is not a guest.
        let (t, _) = resolve(ApiMethod::Get, "/nodes/pve1/qemu").unwrap();
        assert_eq!(t, "/nodes/{node}/qemu");
        let (t, p) = resolve(ApiMethod::Get, "/nodes/pve1/qemu/+250/status/current").unwrap();
        assert_eq!(t, "/nodes/{node}/qemu/{vmid}/status/current");
        assert_eq!(p[1].1, "+250");
        assert_eq!(resolve(ApiMethod::Get, "/version").unwrap().0, "/version");
        let (t, p) = resolve(
            ApiMethod::Delete,
            "/nodes/pve1/storage/nas/content/nas:backup/vzdump-qemu-101-x.vma.zst",
        )
        .unwrap();
        assert_eq!(t, "/nodes/{node}/storage/{storage}/content/{volume}");
        assert_eq!(p[2].1, "nas:backup/vzdump-qemu-101-x.vma.zst");
        assert_eq!(resolve(ApiMethod::Get, "/"), Err(Unresolved::NoPath));
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        assert_eq!(
            resolve(ApiMethod::Get, "/nodes/pve1/nothing-here"),
            Err(Unresolved::NoPath)
        );
        assert_eq!(
            resolve(ApiMethod::Delete, "/version"),
            Err(Unresolved::NoMethod(vec![ApiMethod::Get]))
        );
    }
}
