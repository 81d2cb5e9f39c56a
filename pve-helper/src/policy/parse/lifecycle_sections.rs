//! The parser of the lifecycle sections: `[create]`, `[bounds]`, `[config]`,
//! `[migrate]`, `[storage]` and `[agent]`, from untrusted admin text into the
//! `lifecycle_rules` types, with positions for every error. Judged in `decide`.

use super::diagnostics::Ctx;
use crate::policy::facts::GuestFacts;
use crate::policy::floor;
use crate::policy::lifecycle_rules::{
    AgentRules, Bounds, ConfigKeys, Create, Media, VolumePattern,
};
use crate::policy::model::Scope;
use crate::policy::pattern::ArgPattern;
use pve_mcp_proto::{Bridge, GuestType, HttpsUrl, NodeName, PoolName, StorageId, Tag, VmId};
use serde::Deserialize;
use std::{fmt, time::Duration};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCreate {
    #[serde(default)]
    types: Vec<Spanned<String>>,
    vmids: Option<Spanned<String>>,
    #[serde(default)]
    nodes: Vec<Spanned<String>>,
    pool: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBounds {
    max_cores: Option<Spanned<i64>>,
    max_memory_mib: Option<Spanned<i64>>,
    max_disk_gib: Option<Spanned<i64>>,
    #[serde(default)]
    storages: Vec<Spanned<String>>,
    #[serde(default)]
    bridges: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    keys: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMigrate {
    #[serde(default)]
    nodes: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMedia {
    #[serde(default)]
    storages: Vec<Spanned<String>>,
    #[serde(default)]
    download_from: Vec<Spanned<String>>,
    #[serde(default)]
    delete: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    #[serde(default)]
    exec: Vec<Spanned<Vec<String>>>,
    timeout_secs: Option<Spanned<i64>>,
    max_output_bytes: Option<Spanned<i64>>,
}

/// Parses each entry with `parse`, reporting errors and duplicates at their position.
fn list<T: PartialEq + fmt::Display>(
    cx: &mut Ctx,
    raw: Vec<Spanned<String>>,
    what: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for s in raw {
        match parse(s.get_ref()) {
            Ok(v) if out.contains(&v) => cx.error(s.span(), format!("duplicate {what} {v}")),
            Ok(v) => out.push(v),
            Err(e) => cx.error(s.span(), e),
        }
    }
    out
}

fn err_text<T>(r: Result<T, pve_mcp_proto::InvalidValue>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// Whether some guest made from scratch under `c` would be in `scope`: probed on every
/// node and kind, at the first thousand vmids of the range and at its last.
fn lands_in_scope(c: &Create, scope: &Scope) -> bool {
    let (lo, hi) = (c.vmids.0.get(), c.vmids.1.get());
    let vmids = (lo..=hi.min(lo.saturating_add(999)))
        .chain([hi])
        .filter_map(|v| VmId::new(u64::from(v)).ok());
    let pool = c.pool.as_ref().map(|p| p.as_str().to_owned());
    let tags: Vec<String> = c.tags.iter().map(ToString::to_string).collect();
    vmids.into_iter().any(|vmid| {
        c.nodes.iter().any(|node| {
            [GuestType::Qemu, GuestType::Lxc]
                .into_iter()
                .any(|guest_type| {
                    let g = GuestFacts {
                        vmid,
                        node: node.clone(),
                        guest_type,
                        pool: pool.clone(),
                        tags: tags.clone(),
                        running: false,
                    };
                    !scope.deny.iter().any(|s| s.matches(&g))
                        && scope.allow.iter().any(|s| s.matches(&g))
                })
        })
    })
}

pub(super) fn create(cx: &mut Ctx, raw: Spanned<RawCreate>, scope: &Scope) -> Option<Create> {
    let span = raw.span();
    let raw = raw.into_inner();
    let types = list(cx, raw.types, "type", |s| err_text(s.parse::<GuestType>()));
    let nodes = list(cx, raw.nodes, "node", |s| err_text(NodeName::parse(s)));
    let tags = list(cx, raw.tags, "tag", |s| err_text(Tag::parse(s)));
    let pool = raw.pool.and_then(|p| match PoolName::parse(p.get_ref()) {
        Ok(p) => Some(p),
        Err(e) => {
            cx.error(p.span(), e.to_string());
            None
        }
    });
    let Some(vmids) = raw.vmids else {
        cx.error(
            span,
            "[create] needs vmids, the range new guests take, e.g. vmids = \"9000-9099\"",
        );
        return None;
    };
    let range = match vmids.get_ref().split_once('-') {
        Some((lo, hi)) => lo.parse::<VmId>().ok().zip(hi.parse::<VmId>().ok()),
        None => vmids.get_ref().parse::<VmId>().ok().map(|v| (v, v)),
    };
    let Some((lo, hi)) = range.filter(|(lo, hi)| lo <= hi) else {
        cx.error(
            vmids.span(),
            format!(
                "vmids {:?} must be a range LOW-HIGH of guest ids (100 to 999999999), e.g. \
                 \"9000-9099\"",
                vmids.get_ref()
            ),
        );
        return None;
    };
    if nodes.is_empty() {
        cx.warn(
            span.clone(),
            "[create] nodes is empty: no guest can be created, cloned or restored anywhere",
        );
    }
    let create = Create {
        types,
        vmids: (lo, hi),
        nodes,
        pool,
        tags,
    };
    if !create.nodes.is_empty() && !lands_in_scope(&create, scope) {
        cx.warn(
            span,
            "new guests would be out of scope: [guests] allow covers neither their vmids nor \
             their [create] pool and tags (or [guests] deny removes them), so every \
             guest_create is refused (rule create.pool); set pool or tags to ones [guests] \
             allow covers",
        );
    }
    Some(create)
}

pub(super) fn bounds(cx: &mut Ctx, raw: RawBounds) -> Bounds {
    Bounds {
        max_cores: raw
            .max_cores
            .and_then(|v| cx.bounded(&v, "max_cores", 1..1025)),
        max_memory_mib: raw
            .max_memory_mib
            .and_then(|v| cx.bounded(&v, "max_memory_mib", 16..16 * 1024 * 1024 + 1)),
        max_disk_gib: raw
            .max_disk_gib
            .and_then(|v| cx.bounded(&v, "max_disk_gib", 1..128 * 1024 + 1)),
        storages: list(cx, raw.storages, "storage", |s| {
            err_text(StorageId::parse(s))
        }),
        bridges: list(cx, raw.bridges, "bridge", |s| err_text(Bridge::parse(s))),
        sources: list(cx, raw.sources, "source", VolumePattern::parse),
    }
}

/// Keys a dedicated tool or request field owns, which `[config] keys` may not list.
const OWNED_KEYS: &[(&str, &str)] = &[
    (
        "template",
        "guest_template converts a guest into a template",
    ),
    (
        "unprivileged",
        "a container's privilege is fixed when it is created",
    ),
    (
        "delete",
        "guest_configure removes keys with its delete list",
    ),
    ("digest", "the helper does not pass config digests"),
    ("lock", "locks are Proxmox's own"),
];

pub(super) fn config(cx: &mut Ctx, raw: RawConfig) -> ConfigKeys {
    let mut out: Vec<String> = Vec::new();
    for k in raw.keys {
        let spelled = k.get_ref().as_str();
        let stem = spelled.strip_suffix('*').unwrap_or(spelled);
        let well_formed = !stem.contains('*')
            && (stem.is_empty() && spelled == "*" || pve_mcp_proto::ConfigKey::parse(stem).is_ok());
        if !well_formed || spelled == "*" {
            cx.error(
                k.span(),
                format!(
                    "config key {spelled:?} must be a key such as \"cores\" or a numbered \
                     family such as \"net*\""
                ),
            );
            continue;
        }
        let sample = if spelled.ends_with('*') {
            format!("{stem}0")
        } else {
            stem.to_owned()
        };
        if let Some(why) = floor::config_key_floor(&sample) {
            cx.error(
                k.span(),
                format!("config key {spelled:?} tries to open the fixed floor: {why}"),
            );
            continue;
        }
        if let Some((_, why)) = OWNED_KEYS.iter().find(|(o, _)| *o == sample) {
            cx.error(
                k.span(),
                format!("config key {spelled:?} cannot be listed: {why}"),
            );
            continue;
        }
        if out.iter().any(|o| o == spelled) {
            cx.error(k.span(), format!("duplicate config key {spelled:?}"));
            continue;
        }
        out.push(spelled.to_owned());
    }
    ConfigKeys(out)
}

pub(super) fn migrate(cx: &mut Ctx, raw: RawMigrate) -> Vec<NodeName> {
    list(cx, raw.nodes, "node", |s| err_text(NodeName::parse(s)))
}

pub(super) fn media(cx: &mut Ctx, raw: RawMedia) -> Media {
    let storages = list(cx, raw.storages, "storage", |s| {
        err_text(StorageId::parse(s))
    });
    let mut download_from: Vec<String> = Vec::new();
    for u in raw.download_from {
        let text = u.get_ref();
        match HttpsUrl::parse(text) {
            Ok(_) if download_from.contains(text) => {
                cx.error(u.span(), format!("duplicate URL prefix {text:?}"))
            }
            Ok(_) => {
                let path = text.trim_start_matches("https://");
                if !path.contains('/') {
                    cx.error(
                        u.span(),
                        format!(
                            "URL prefix {text:?} must name a path ending with /, e.g. \
                             \"{text}/\": a bare host also matches look-alike hosts"
                        ),
                    );
                } else {
                    if !text.ends_with('/') {
                        cx.warn(
                            u.span(),
                            format!(
                                "URL prefix {text:?} does not end with /: it also matches \
                                 longer names"
                            ),
                        );
                    }
                    download_from.push(text.clone());
                }
            }
            Err(e) => cx.error(u.span(), e.to_string()),
        }
    }
    if storages.is_empty() && (raw.delete || !download_from.is_empty()) {
        cx.warn(
            0..0,
            "[storage] names no storages: no download and no deletion is possible",
        );
    }
    Media {
        storages,
        download_from,
        delete: raw.delete,
    }
}

pub(super) fn agent(cx: &mut Ctx, raw: RawAgent) -> AgentRules {
    let mut rules = AgentRules::default();
    for e in raw.exec {
        let span = e.span();
        let args = e.into_inner();
        if args.is_empty() || args[0].is_empty() || args[0].starts_with('{') || args[0] == "*" {
            cx.error(
                span,
                "an [agent] exec entry needs a program, then argument patterns",
            );
            continue;
        }
        let parsed: Result<Vec<ArgPattern>, String> =
            args.iter().map(|a| ArgPattern::parse(a)).collect();
        match parsed {
            Ok(p) if p.contains(&ArgPattern::Vmid) || p.contains(&ArgPattern::Node) => cx.error(
                span,
                "{vmid} and {node} mean nothing inside a guest; use * or exact arguments",
            ),
            Ok(p) if rules.exec.contains(&p) => cx.error(span, "duplicate [agent] exec entry"),
            Ok(p) => rules.exec.push(p),
            Err(e) => cx.error(span, e),
        }
    }
    if let Some(t) = raw
        .timeout_secs
        .and_then(|v| cx.bounded(&v, "timeout_secs", 1..3601))
    {
        rules.timeout = Duration::from_secs(t);
    }
    if let Some(m) = raw
        .max_output_bytes
        .and_then(|v| cx.bounded(&v, "max_output_bytes", 1..4 * 1024 * 1024 + 1))
    {
        rules.max_output_bytes = usize::try_from(m).unwrap_or(usize::MAX);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_patterns_match_within_one_component() {
        let p = VolumePattern::parse("local:iso/*").unwrap();
        assert!(p.matches("local:iso/debian-12.iso"));
        assert!(!p.matches("local:iso/sub/x.iso"));
        assert!(!p.matches("other:iso/debian-12.iso"));
        assert!(!p.matches("local:vztmpl/x.tar.zst"));
        let p = VolumePattern::parse("local:vztmpl/debian-*.tar.zst").unwrap();
        assert!(p.matches("local:vztmpl/debian-12-standard.tar.zst"));
        assert!(!p.matches("local:vztmpl/ubuntu-24.tar.zst"));
        for bad in ["iso/*", "local:/etc/*", "local:iso/../*", "x:iso/*"] {
            assert!(VolumePattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_warns_when_new_guests_would_land_out_of_scope() {
        let warned = |allow: &str, create: &str| {
            let text = format!(
                "[clients]\nusers = [\"u\"]\n[guests]\nallow = [{allow}]\n[create]\n\
                 vmids = \"9000-9099\"\nnodes = [\"pve1\"]\n{create}\n"
            );
            let (_, diags) =
                crate::policy::Policy::parse(&text, std::path::Path::new("p.toml")).expect("valid");
            diags
                .iter()
                .any(|d| d.message.contains("new guests would be out of scope"))
        };
        assert!(warned("\"pool:lab\"", "pool = \"ci\""));
        assert!(warned("\"pool:lab\"", ""));
        assert!(warned("\"tag:mcp\"", "tags = [\"lab\"]"));
        assert!(!warned("\"pool:lab\"", "pool = \"lab\""));
        assert!(!warned(
            "\"tag:mcp\"",
            "pool = \"lab\"\ntags = [\"mcp\", \"x\"]"
        ));
        assert!(!warned("\"9099\"", ""), "the range's last vmid is covered");
        assert!(
            !warned("\"9050\"", ""),
            "a vmid inside the range is covered"
        );
    }

    #[test]
    fn config_key_families_take_digits_only() {
        let k = ConfigKeys(vec!["net*".into(), "cores".into()]);
        assert_eq!(k.listing("net0"), Some("net*"));
        assert_eq!(k.listing("net12"), Some("net*"));
        assert_eq!(k.listing("netx"), None);
        assert_eq!(k.listing("net"), None);
        assert_eq!(k.listing("cores"), Some("cores"));
        assert_eq!(k.listing("cores0"), None);
    }
}
