//! The adversarial suite, written from the assistant's side: a hostile model, under a
//! permissive-but-bounded policy (`data/adversarial-policy.toml`: the lab builder with
//! delete by tag, extra config keys and broad raw API reads and writes), calls every
//! tool and the raw API through the real mcp-front and pve-helper, against a simulated
//! cluster where out-of-scope guests share nodes, names and tags with the lab's, and
//! have backups, orphan disks, HA resources and rules, jobs and tasks of every type
//! (`adversarial/world.rs`).
//!
//! Each case expects a precise outcome: an answer with nothing out of scope in it, or a
//! refusal naming its rule, or "does not exist or is not visible", or a confirmation;
//! and no write reaching the simulator when refused (`adversarial/case.rs`). The classes
//! of attack are the submodules. The suite runs every case, writes "N cases, B
//! bypasses, L leaks, I imprecise" per class to `target/tmp/pve-mcp-figures/
//! adversarial.txt`, and fails listing every bypass, leak and imprecise refusal by case.

pub mod archives;
pub mod bounds;
pub mod case;
pub mod cluster_writes;
pub mod confirm;
pub mod disk_moves;
pub mod downloads;
pub mod firewall_rules;
pub mod oracles;
pub mod oracles_volumes;
pub mod parsing;
pub mod raw_bounds;
pub mod raw_creates;
pub mod raw_reads;
pub mod raw_writes;
pub mod report;
pub mod reuse;
pub mod runner;
pub mod side_channels;
pub mod spellings;
pub mod tasks;
pub mod tools;
pub mod world;
pub mod world_backups;
pub mod world_guests;
pub mod world_records;
pub mod world_tasks;

use runner::Runner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_model_sees_and_does_nothing_beyond_the_policy() {
    let mut r = Runner::start().await;
    tools::run(&mut r).await;
    raw_reads::run(&mut r).await;
    side_channels::run(&mut r).await;
    tasks::run(&mut r).await;
    oracles::run(&mut r).await;
    parsing::run(&mut r).await;
    bounds::run(&mut r).await;
    raw_writes::run(&mut r).await;
    reuse::run(&mut r).await;
    confirm::run(&mut r).await;
    disk_moves::run(&mut r).await;
    firewall_rules::run(&mut r).await;
    assert!(
        r.world.stack.helper_pid().is_some(),
        "the helper is still running"
    );
    let figures = report::figures(&r.outcomes);
    crate::hardening::report("adversarial", &figures);
    let failures = report::failures(&r.outcomes);
    assert!(failures.is_empty(), "{figures}\n\n{failures}");
}
