//! `GET /nodes/{node}/{qemu,lxc}/{vmid}/rrddata` as PVE serves it from rrdcached: 70
//! points at the timeframe's step (hour: 1 min, day: 30 min, week: 3 h), each with
//! `time`, `cpu` (fraction), `maxcpu`, `mem`, `maxmem`, `disk`, `maxdisk`, and the
//! per-second rates `netin`, `netout`, `diskread`, `diskwrite`. Values are a
//! deterministic wave around the guest's usage; a stopped guest reports no usage.

use serde_json::{Value, json};

use crate::sim::cluster::state::{Cluster, Guest};

/// Points per timeframe, as in PVE's RRA definitions.
const POINTS: u64 = 70;

/// The step of a timeframe in seconds, or `None` for one PVE does not know.
pub fn step(timeframe: &str) -> Option<u64> {
    match timeframe {
        "hour" => Some(60),
        "day" => Some(1800),
        "week" => Some(10_800),
        "month" => Some(43_200),
        "year" => Some(604_800),
        _ => None,
    }
}

pub fn rrddata(g: &Guest, timeframe: &str, max: bool) -> Value {
    let step = step(timeframe).unwrap_or(60);
    let end = Cluster::epoch_now() / step * step;
    let running = g.is_running();
    let cpus = f64::from(g.seed.cores.unwrap_or(1) * g.seed.sockets);
    let points: Vec<Value> = (0..POINTS)
        .map(|i| {
            let time = end - (POINTS - 1 - i) * step;
            // A wave of period 12 points around the usage; MAX rounds up a little.
            let wave = 1.0 + 0.5 * ((i % 12) as f64 / 11.0 - 0.5) + if max { 0.1 } else { 0.0 };
            let (cpu, mem, rate) = if running {
                (
                    g.cpu() * wave,
                    (g.mem() as f64 * wave.min(1.2)) as u64,
                    wave,
                )
            } else {
                (0.0, 0, 0.0)
            };
            json!({
                "time": time, "cpu": cpu, "maxcpu": cpus,
                "mem": mem, "maxmem": g.seed.maxmem(),
                "disk": 0, "maxdisk": g.maxdisk,
                "netin": 2_000.0 * rate, "netout": 1_500.0 * rate,
                "diskread": 40_000.0 * rate, "diskwrite": 25_000.0 * rate,
            })
        })
        .collect();
    Value::Array(points)
}
