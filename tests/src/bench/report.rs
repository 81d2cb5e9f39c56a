//! The benchmark's results: percentile summaries, the per-size report (serialized as
//! is for `--json`) and its rendering as a compact text table.

use super::context::ContextCost;
use serde::Serialize;
use std::{fmt::Write, time::Duration};

/// Percentiles of a set of timings, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// Nearest-rank percentiles; an empty set gives zeros with `n = 0`.
    pub fn of(samples: &[Duration]) -> Summary {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: usize| {
            if ms.is_empty() {
                0.0
            } else {
                ms[((ms.len() * p).div_ceil(100)).clamp(1, ms.len()) - 1]
            }
        };
        Summary {
            n: ms.len(),
            p50_ms: pct(50),
            p95_ms: pct(95),
            min_ms: ms.first().copied().unwrap_or(0.0),
            max_ms: ms.last().copied().unwrap_or(0.0),
        }
    }

    /// The floor of two requests made one after the other: percentiles added (an upper
    /// bound for p95), `n` the smaller.
    pub fn plus(&self, other: &Summary) -> Summary {
        Summary {
            n: self.n.min(other.n),
            p50_ms: self.p50_ms + other.p50_ms,
            p95_ms: self.p95_ms + other.p95_ms,
            min_ms: self.min_ms + other.min_ms,
            max_ms: self.max_ms + other.max_ms,
        }
    }
}

/// One tool call measured over one session, with its direct floor.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRow {
    /// The tool and its arguments, plus a note such as `(cold cache)`.
    pub call: String,
    /// Size of the JSON-RPC answer line the client read.
    pub answer_bytes: usize,
    pub latency: Summary,
    /// Upstream HTTP requests the simulator saw, divided by the calls made.
    pub upstream_per_call: f64,
    /// The upstream path the floor GETs.
    pub floor_path: String,
    pub floor: Summary,
    /// `latency.p50_ms - floor.p50_ms`.
    pub overhead_p50_ms: f64,
    /// The front's and the helper's time on a processor per call, with their context
    /// switches per call (warm rows only).
    pub on_cpu: Option<PerCall>,
}

/// What each of the two processes spent on one call, averaged over the timed calls.
#[derive(Debug, Clone, Serialize)]
pub struct PerCall {
    pub front_us: f64,
    pub front_switches: f64,
    pub helper_us: f64,
    pub helper_switches: f64,
}

/// Many concurrent sessions, each with its own `mcp-front`.
#[derive(Debug, Clone, Serialize)]
pub struct Concurrency {
    pub sessions: usize,
    pub seconds: f64,
    pub calls: usize,
    pub calls_per_sec: f64,
    pub latency: Summary,
    pub upstream_requests: u64,
    /// TCP connections and TLS handshakes the simulator accepted during the run.
    pub upstream_connections: u64,
    /// The fewest connections possible: the simulator, like pveproxy, closes each
    /// connection after 100 requests.
    pub min_connections: u64,
    pub upstream_tls_handshakes: u64,
    /// `VmHWM` of the helper (restarted just before the run) and the largest of the fronts'.
    pub helper_peak_rss_bytes: u64,
    pub front_peak_rss_bytes: u64,
}

/// Everything measured for one cluster size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub guests: usize,
    pub nodes: usize,
    pub cold_start: Summary,
    /// The largest `VmHWM` of a fresh front right after it answered `initialize`.
    pub front_idle_rss_bytes: u64,
    pub tools: Vec<ToolRow>,
    /// The warm status rows again with every process on one processor
    /// ([`super::one_cpu`]); empty where only one was allowed.
    pub one_cpu: Vec<ToolRow>,
    pub concurrency: Concurrency,
    /// Where the time of each call after idleness goes.
    pub idle_breakdown: Vec<super::stages::Breakdown>,
    /// The goals for this size, and whether this run met them.
    pub targets: Vec<super::targets::Target>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `release` or `debug`: how the measured binaries were built.
    pub profile: String,
    pub mcp_front_bytes: u64,
    pub pve_helper_bytes: u64,
    /// What the tools and a listing cost a model's context.
    pub context: ContextCost,
    /// What a wake-up costs on this machine; `None` where one processor is allowed.
    pub wakeups: Option<super::wakeup::Wakeups>,
    pub sizes: Vec<SizeReport>,
    /// How to read the figures.
    pub notes: Vec<String>,
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl Report {
    /// The report as text tables, one per cluster size.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "pve-bench ({} binaries): mcp-front {:.2} MiB, pve-helper {:.2} MiB on disk",
            self.profile,
            mb(self.mcp_front_bytes),
            mb(self.pve_helper_bytes)
        );
        if let Some(w) = &self.wakeups {
            let _ = writeln!(
                out,
                "wake-ups on this machine (not pve-mcp): a one-byte round trip between two threads, p50 {:.3} ms across two processors, {:.3} ms on one (n={} each)",
                w.across.p50_ms, w.same.p50_ms, w.across.n
            );
        }
        self.context.write_table(&mut out);
        for size in &self.sizes {
            size.write_table(&mut out);
        }
        out.push('\n');
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        out
    }
}

impl ContextCost {
    fn write_table(&self, out: &mut String) {
        let b = &self.budget;
        let kib = |n: usize| n as f64 / 1024.0;
        let _ = writeln!(out, "\n== context cost (bytes a model reads) ==");
        let _ = writeln!(
            out,
            "{:<44} {:>9} {:>9} {:>5}",
            "what", "KiB", "budget", "met"
        );
        let mut row = |what: String, got: usize, max: Option<usize>| {
            let _ = writeln!(
                out,
                "{what:<44} {:>9.1} {:>9} {:>5}",
                kib(got),
                max.map_or("-".into(), |m| format!("{:.1}", kib(m))),
                max.map_or("", |m| if got <= m { "yes" } else { "NO" })
            );
        };
        row(
            format!("tools/list, every tool ({} tools)", self.tools),
            self.tools_model_bytes,
            Some(b.tools_model_bytes),
        );
        row(
            "  whole answer line (with output schemas)".into(),
            self.tools_list_answer_bytes,
            None,
        );
        row(
            "the six seed tools".into(),
            self.seed_model_bytes,
            Some(b.seed_model_bytes),
        );
        row(
            format!(
                "list_vms {{}} at {} guests, whole answer",
                self.list_vms_guests
            ),
            self.list_vms_answer_bytes,
            Some(b.list_vms_answer_bytes),
        );
        row("  its text".into(), self.list_vms_text_bytes, None);
        let mut largest: Vec<_> = self.per_tool.iter().collect();
        largest.sort_by_key(|t| std::cmp::Reverse(t.model_bytes));
        let top: Vec<String> = largest
            .iter()
            .take(5)
            .map(|t| format!("{} {:.1}", t.name, kib(t.model_bytes)))
            .collect();
        let _ = writeln!(out, "largest tools (KiB): {}", top.join(", "));
    }
}

impl SizeReport {
    fn write_on_cpu(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{:<34} {:>9} {:>9} | {:>9} {:>9}",
            "on a processor per call (us)", "front", "switches", "helper", "switches"
        );
        for (call, c) in self
            .tools
            .iter()
            .chain(&self.one_cpu)
            .filter_map(|t| Some((&t.call, t.on_cpu.as_ref()?)))
        {
            let _ = writeln!(
                out,
                "{call:<34} {:>9.1} {:>9.2} | {:>9.1} {:>9.2}",
                c.front_us, c.front_switches, c.helper_us, c.helper_switches
            );
        }
    }

    fn write_table(&self, out: &mut String) {
        let c = &self.cold_start;
        let _ = writeln!(
            out,
            "\n== {} guests on {} nodes ==",
            self.guests, self.nodes
        );
        let _ = writeln!(
            out,
            "cold start, spawn -> initialize answer: p50 {:.2} ms  p95 {:.2} ms  (n={}); \
             front peak RSS then {:.1} MiB",
            c.p50_ms,
            c.p95_ms,
            c.n,
            mb(self.front_idle_rss_bytes)
        );
        let _ = writeln!(
            out,
            "{:<34} {:>7} {:>8} {:>8} {:>5} {:>8} | {:>8} {:>8} {:>5} | {:>9}",
            "call (ms)", "KiB", "p50", "p95", "n", "up/call", "floor50", "floor95", "n", "overhead"
        );
        for t in self.tools.iter().chain(&self.one_cpu) {
            let _ = writeln!(
                out,
                "{:<34} {:>7.1} {:>8.3} {:>8.3} {:>5} {:>8.3} | {:>8.3} {:>8.3} {:>5} | {:>+9.3}",
                t.call,
                t.answer_bytes as f64 / 1024.0,
                t.latency.p50_ms,
                t.latency.p95_ms,
                t.latency.n,
                t.upstream_per_call,
                t.floor.p50_ms,
                t.floor.p95_ms,
                t.floor.n,
                t.overhead_p50_ms
            );
        }
        self.write_on_cpu(out);
        super::stages::write_table(out, &self.idle_breakdown);
        let k = &self.concurrency;
        let _ = writeln!(
            out,
            "{} sessions x {:.1} s: {} calls ({:.0}/s), p50 {:.2} ms p95 {:.2} ms; upstream {} \
             requests on {} connections (min {}; {} TLS handshakes)",
            k.sessions,
            k.seconds,
            k.calls,
            k.calls_per_sec,
            k.latency.p50_ms,
            k.latency.p95_ms,
            k.upstream_requests,
            k.upstream_connections,
            k.min_connections,
            k.upstream_tls_handshakes
        );
        let _ = writeln!(
            out,
            "peak RSS (VmHWM): pve-helper {:.1} MiB, mcp-front {:.1} MiB (largest of {})",
            mb(k.helper_peak_rss_bytes),
            mb(k.front_peak_rss_bytes),
            k.sessions
        );
        super::targets::write_table(out, &self.targets);
        if !self.one_cpu.is_empty() {
            let figures: Vec<String> = self
                .one_cpu
                .iter()
                .map(|t| {
                    let call = t.call.trim_end_matches(super::one_cpu::SUFFIX);
                    format!("{call} {:+.3} ms", t.overhead_p50_ms)
                })
                .collect();
            let _ = writeln!(
                out,
                "above their GET on one processor (not a target): {}",
                figures.join(", ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&d);
        assert_eq!(
            (s.n, s.p50_ms, s.p95_ms, s.min_ms, s.max_ms),
            (100, 50.0, 95.0, 1.0, 100.0)
        );
        assert_eq!(Summary::of(&[]).n, 0);
        assert_eq!(Summary::of(&[Duration::from_millis(3)]).p95_ms, 3.0);
    }
}
