//! `pve-bench` runs at a tiny size and prints a well-formed report. No timing is
//! asserted: the figures come from `scripts/bench.sh` in release mode.

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_runs_at_a_tiny_size_and_reports_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_pve-bench"))
        .args([
            "--guests",
            "12,20",
            "--nodes",
            "2",
            "--rounds",
            "3",
            "--sessions",
            "2",
        ])
        .args([
            "--duration-secs",
            "0.3",
            "--cold-starts",
            "2",
            "--cold-cache",
            "1",
            "--json",
        ])
        .output()
        .expect("pve-bench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pve-bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert!(report["mcp_front_bytes"].as_u64().unwrap() > 0);
    assert!(report["pve_helper_bytes"].as_u64().unwrap() > 0);
    // The machine's wake-ups, both kinds, where this process may run on two processors.
    let processors = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wakeups = &report["wakeups"];
    match processors {
        1 => assert!(wakeups.is_null(), "{wakeups}"),
        _ => {
            for kind in ["across", "same"] {
                assert_eq!(wakeups[kind]["n"], 2000, "{wakeups}");
                assert!(wakeups[kind]["p50_ms"].as_f64().unwrap() > 0.0, "{wakeups}");
            }
        }
    }
    let sizes = report["sizes"].as_array().unwrap();
    assert_eq!(
        sizes
            .iter()
            .map(|s| s["guests"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [12, 20]
    );
    for size in sizes {
        assert_eq!(size["cold_start"]["n"], 2);
        assert!(size["front_idle_rss_bytes"].as_u64().unwrap() > 0);
        let tools = size["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 7, "4 warm rows and 3 after idleness");
        for row in tools {
            assert!(row["latency"]["n"].as_u64().unwrap() >= 1, "{row}");
            assert!(row["floor"]["p50_ms"].as_f64().unwrap() > 0.0, "{row}");
            assert!(row["upstream_per_call"].as_f64().is_some(), "{row}");
        }
        // node_status needs one upstream GET, warm or idle; vm_status with the
        // listing expired two; a cold listing one.
        assert_eq!(tools[0]["upstream_per_call"], 1.0);
        assert_eq!(tools[4]["upstream_per_call"], 1.0);
        assert_eq!(tools[5]["upstream_per_call"], 2.0);
        assert_eq!(tools[6]["upstream_per_call"], 1.0);
        // The status rows again with every process on one processor, where this
        // process may run on more than one.
        let one_cpu = size["one_cpu"].as_array().unwrap();
        let expected: &[&str] = match processors {
            1 => &[],
            _ => &[
                "node_status {node}, on one CPU",
                "vm_status {vmid: 101}, on one CPU",
            ],
        };
        let calls: Vec<&str> = one_cpu
            .iter()
            .map(|r| r["call"].as_str().unwrap())
            .collect();
        assert_eq!(calls, expected);
        for row in one_cpu {
            assert!(row["latency"]["n"].as_u64().unwrap() >= 1, "{row}");
            assert!(row["floor"]["p50_ms"].as_f64().unwrap() > 0.0, "{row}");
            assert!(row["on_cpu"]["front_us"].as_f64().unwrap() > 0.0, "{row}");
        }
        // As for the warm rows: node_status one GET a call; vm_status one, and the
        // listing again whenever its 1.5 s ran out during the timed calls.
        if let [status, guest] = &one_cpu[..] {
            assert_eq!(status["upstream_per_call"], 1.0, "{status}");
            let per_call = guest["upstream_per_call"].as_f64().unwrap();
            assert!((1.0..=2.0).contains(&per_call), "{guest}");
        }
        let c = &size["concurrency"];
        assert!(c["calls"].as_u64().unwrap() > 0);
        assert!(c["upstream_tls_handshakes"].as_u64().unwrap() >= 1);
        assert!(c["helper_peak_rss_bytes"].as_u64().unwrap() > 0);
        assert!(c["front_peak_rss_bytes"].as_u64().unwrap() > 0);
    }

    let table = Command::new(env!("CARGO_BIN_EXE_pve-bench"))
        .args([
            "--guests",
            "10",
            "--rounds",
            "2",
            "--sessions",
            "1",
            "--duration-secs",
            "0.2",
        ])
        .args(["--cold-starts", "1", "--cold-cache", "0"])
        .output()
        .expect("pve-bench runs");
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("== 10 guests on 3 nodes =="), "{text}");
    assert!(text.contains("list_vms {} (cache hit)"), "{text}");
    if processors > 1 {
        assert!(text.contains("wake-ups on this machine"), "{text}");
    }
}
