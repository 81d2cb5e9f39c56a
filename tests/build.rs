//! Which third-party programs the end-to-end tests can drive: the MCP clients of
//! `tests/clients/install.sh` and the fakepve of `tests/fakepve/install.sh`, found
//! where those scripts put them (`$PVE_MCP_CLIENTS`, default
//! `~/.cache/pve-mcp-ci/clients`, each with its `.pinned` stamp).
//!
//! A program that is missing sets no cfg, and the tests that need it are marked
//! `#[ignore = "… not installed: bash tests/…/install.sh"]` by `cfg_attr`, so the
//! README's `cargo test` shows each skip with its reason and counts it. With
//! `PVE_MCP_REQUIRE_CLIENTS` set (as `.ci/run` does), every cfg is set whatever is
//! installed, and a missing program fails its test instead.
//!
//! The cache directory is created (empty) when missing, so that Cargo can watch it:
//! an install there reruns this script, and nothing else does. The tests read the
//! directory and fakepve's pinned release from `PVE_MCP_CLIENTS_CACHE` and
//! `PVE_MCP_FAKEPVE_PINNED`, set here at compile time.

use std::path::{Path, PathBuf};

/// cfg name, directory under the cache, the install script and its variable that
/// pins the version (the stamp must name it), and the program that must exist.
const PROGRAMS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "have_mcp_python1",
        "py-mcp1",
        CLIENTS,
        "PY_MCP1",
        "bin/python",
    ),
    (
        "have_mcp_python2",
        "py-mcp2",
        CLIENTS,
        "PY_MCP2",
        "bin/python",
    ),
    (
        "have_node22",
        "node22",
        CLIENTS,
        "NODE22",
        "node_modules/node/bin/node",
    ),
    (
        "have_mcp_inspector",
        "inspector",
        CLIENTS,
        "INSPECTOR",
        "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
    ),
    ("have_fakepve", "fakepve", FAKEPVE, "FAKEPVE", "bin/python"),
];
const CLIENTS: &str = "clients/install.sh";
const FAKEPVE: &str = "fakepve/install.sh";

/// The value of `NAME=value` at the start of a line of `script`.
fn pinned(script: &str, name: &str) -> String {
    let text = std::fs::read_to_string(script).unwrap_or_else(|e| panic!("{script}: {e}"));
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{script} pins no {name}"))
        .trim()
        .to_owned()
}

fn cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("PVE_MCP_CLIENTS") {
        return dir.into();
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| "/nonexistent".into())
        .join("pve-mcp-ci/clients")
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed={CLIENTS}");
    println!("cargo::rerun-if-changed={FAKEPVE}");
    println!("cargo::rerun-if-env-changed=PVE_MCP_CLIENTS");
    println!("cargo::rerun-if-env-changed=PVE_MCP_REQUIRE_CLIENTS");
    println!("cargo::rerun-if-env-changed=XDG_CACHE_HOME");
    println!("cargo::rerun-if-env-changed=HOME");
    let required = std::env::var_os("PVE_MCP_REQUIRE_CLIENTS").is_some();
    let root = cache();
    // The tests find the programs where this script looked, in one way only.
    println!("cargo::rustc-env=PVE_MCP_CLIENTS_CACHE={}", root.display());
    println!(
        "cargo::rustc-env=PVE_MCP_FAKEPVE_PINNED={}",
        pinned(FAKEPVE, "FAKEPVE")
    );
    if std::fs::create_dir_all(&root).is_ok() {
        println!("cargo::rerun-if-changed={}", root.display());
    }
    for (cfg, dir, script, variable, program) in PROGRAMS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        let stamp = std::fs::read_to_string(root.join(dir).join(".pinned")).unwrap_or_default();
        let present =
            stamp.trim() == pinned(script, variable) && root.join(dir).join(program).exists();
        if present || required {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
