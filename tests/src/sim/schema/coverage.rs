//! What the simulator serves, walked against both schemas: every Perl pattern of either
//! schema compiles, and every named format the served endpoints' parameters use is
//! modelled, but for the few listed (they pass, and are counted when met).

use std::collections::BTreeSet;

use serde_json::Value;

use super::formats::is_modelled;
use super::version::PveVersion;
use super::{Api, Endpoint, pattern};
use crate::sim::api::dispatch::served;

/// A path of `template` with plausible values for its parameters.
fn sample(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            let v = match seg {
                "{node}" => "pve1",
                "{vmid}" => "100",
                "{storage}" => "local",
                "{volume}" => "local:iso/x.iso",
                "{upid}" => "UPID:pve1:00000001:00000001:00000001:qmstart:100:root@pam:",
                "{snapname}" => "base",
                "{poolid}" => "prod",
                "{sid}" => "vm:100",
                "{rule}" => "r1",
                "{id}" => "100-0",
                other => other,
            };
            v.to_owned()
        })
        .collect()
}

fn served_endpoints(version: PveVersion) -> Vec<&'static Endpoint> {
    Api::get(version)
        .endpoints()
        .into_iter()
        .filter(|e| {
            let segs = sample(&e.template);
            let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
            served(&e.method, &segs)
        })
        .collect()
}

/// Every `format` and `pattern` under a parameter spec.
fn walk<'a>(spec: &'a Value, formats: &mut BTreeSet<&'a str>, patterns: &mut BTreeSet<&'a str>) {
    match spec {
        Value::Object(map) => {
            if let Some(Value::String(f)) = map.get("format") {
                formats.insert(f);
            }
            if let Some(Value::String(p)) = map.get("pattern") {
                patterns.insert(p);
            }
            for v in map.values() {
                walk(v, formats, patterns);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, formats, patterns)),
        _ => {}
    }
}

#[test]
fn every_pattern_compiles() {
    for version in [PveVersion::Pve8, PveVersion::Pve9] {
        let mut patterns = BTreeSet::new();
        let mut formats = BTreeSet::new();
        for e in Api::get(version).endpoints() {
            walk(&e.parameters, &mut formats, &mut patterns);
        }
        let broken: Vec<&&str> = patterns
            .iter()
            .filter(|p| pattern::schema_pattern(p, "").is_none())
            .collect();
        assert!(broken.is_empty(), "{version:?}: {broken:?}");
    }
}

#[test]
fn the_served_endpoints_formats_are_modelled() {
    for version in [PveVersion::Pve8, PveVersion::Pve9] {
        let served = served_endpoints(version);
        assert!(served.len() > 100, "{version:?}: {}", served.len());
        let mut formats = BTreeSet::new();
        for e in &served {
            walk(&e.parameters, &mut formats, &mut BTreeSet::new());
        }
        let missing: Vec<&str> = formats
            .into_iter()
            .filter(|f| !is_modelled(f, version))
            .collect();
        assert_eq!(missing, Vec::<&str>::new(), "{version:?}");
    }
}
