//! Smoke test of the README's no-Proxmox demo: the whole session (simulator, real
//! helper, real front, MCP client) runs and every step behaves as the policy says.

use pve_mcp_tests::{
    demo::{DemoOptions, Ended, run},
    stack::workspace_bin,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_session_succeeds() {
    // Under cargo, this builds the front and the helper if they are missing or stale.
    workspace_bin("pve-helper");
    workspace_bin("mcp-front");
    let mut out = Vec::new();
    let ended = run(&DemoOptions::default(), &mut out).await;
    let out = String::from_utf8_lossy(&out);
    match ended {
        Ok(ended) => assert_eq!(ended, Ended::Finished, "{out}"),
        Err(e) => panic!("the demo failed: {e:#}\n\nits output:\n{out}"),
    }
    assert!(
        out.contains("All steps behaved as the policy says."),
        "{out}"
    );
}
