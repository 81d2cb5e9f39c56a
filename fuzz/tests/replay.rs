//! Replays the seeds and every input that once failed a property (`regressions/`)
//! through the fuzz targets' checks. Runs on stable: `cargo test` in `fuzz/`.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            check(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn seeds_and_regressions_hold() {
    let n = replay("frame", pve_mcp_fuzz::frame::check)
        + replay("request", pve_mcp_fuzz::request::check)
        + replay("api_path", pve_mcp_fuzz::api_path::check)
        + replay("argv", pve_mcp_fuzz::argv::check)
        + replay("policy", pve_mcp_fuzz::policy::check)
        + replay("listing", pve_mcp_fuzz::listing::check);
    assert!(n >= 30, "only {n} inputs");
}
