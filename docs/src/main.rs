//! `pve-mcp-docs`: writes the man pages generated from Markdown (see the library), or
//! with `--check` fails naming each page that differs from its source.

use std::{path::Path, process::ExitCode};

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: pve-mcp-docs [--check]  (not {other:?})");
            return ExitCode::from(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match pve_mcp_docs::pages::write_all(&root, check) {
        Ok(done) => {
            for line in done {
                eprintln!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pve-mcp-docs: {e}");
            ExitCode::FAILURE
        }
    }
}
