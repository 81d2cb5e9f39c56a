//! How long reading a listing takes, and how much processor time, each way it can be
//! read: a report, not a test. Run with
//! `cargo test --release -p pve-helper --lib listing_timing -- --ignored --nocapture`.

use super::*;
use std::time::{Duration, Instant};

/// A listing of `guests` guests as Proxmox VE writes it, in its order (by id as a
/// string: `qemu/1000` before `qemu/101`).
fn listing(guests: usize) -> String {
    let entry = |i: usize| {
        format!(
            r#"{{"id":"qemu/{v}","type":"qemu","vmid":{v},"name":"web-{i:03}","node":"pve{n}","status":"running","tags":"mcp;web","pool":"lab","template":0,"cpu":0.0123,"maxcpu":4,"mem":{mem},"maxmem":4294967296,"disk":0,"maxdisk":34359738368,"uptime":{up},"netin":{net},"netout":654321,"diskread":1000,"diskwrite":2000,"hastate":"started"}}"#,
            v = 100 + i,
            n = i % 3 + 1,
            mem = 1_073_741_824 + i * 4096,
            up = i * 37,
            net = i * i,
        )
    };
    let mut entries: Vec<(String, String)> = (0..guests)
        .map(|i| ((100 + i).to_string(), entry(i)))
        .collect();
    entries.sort();
    let entries: Vec<String> = entries.into_iter().map(|(_, e)| e).collect();
    format!("{{\"data\":[{}]}}", entries.join(","))
}

/// The processor time this process (all its threads) has used so far.
fn cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
        return Duration::ZERO;
    };
    let time =
        |t: nix::sys::time::TimeVal| Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
    time(usage.user_time()) + time(usage.system_time())
}

/// The median time of `reps` readings, and the processor time one took on average.
fn measure(reps: usize, guests: usize, read: &dyn Fn() -> Snapshot) -> (Duration, Duration) {
    let started = cpu();
    let mut times: Vec<_> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(read().len(), guests);
            t.elapsed()
        })
        .collect();
    let per_reading = (cpu() - started) / reps as u32;
    times.sort();
    (times[reps / 2], per_reading)
}

/// Takes `body` 512 KiB at a time, reading what it can in between, as the reading
/// thread does when the answer arrives faster than it reads: in parts side by side
/// once it is far behind ([`ListingDecoder::catch_up`]), else a step at a time.
fn caught_up(body: &str, mut d: ListingDecoder) -> Snapshot {
    for chunk in body.as_bytes().chunks(512 * 1024) {
        d.append(chunk);
        if !d.catch_up() {
            while d.advance(64 * 1024) {}
        }
    }
    d.finish().unwrap()
}

#[test]
#[ignore = "timing report, not a test"]
fn listing_timing() {
    for (guests, reps) in [(3_000, 50), (30_000, 20)] {
        let body = listing(guests);
        println!("{guests} guests ({} KiB):", body.len() / 1024);
        // Each way copies the answer out of 16 KiB chunks, as it arrives from the
        // network, into memory of its own.
        let whole = || {
            let mut whole = Vec::with_capacity(body.len());
            for chunk in body.as_bytes().chunks(16 * 1024) {
                whole.extend_from_slice(chunk);
            }
            decode(&whole).unwrap()
        };
        // Read as the chunks come (`feed`), or taken first and read at the end.
        let chunked = |read_as_they_come: bool| {
            let mut d = ListingDecoder::default();
            BodySink::announced(&mut d, body.len());
            for chunk in body.as_bytes().chunks(16 * 1024) {
                match read_as_they_come {
                    true => d.feed(chunk),
                    false => d.append(chunk),
                }
            }
            d.finish().unwrap()
        };
        let ways: [(&str, &dyn Fn() -> Snapshot); 5] = [
            ("whole", &whole),
            ("in 16 KiB chunks as they come", &|| chunked(true)),
            ("at the end, in parts side by side", &|| chunked(false)),
            ("catching up in parts, a thread each", &|| {
                caught_up(&body, ListingDecoder::default())
            }),
            ("catching up in parts, threads kept", &|| {
                caught_up(
                    &body,
                    ListingDecoder::with_buffers(String::new(), Vec::new()),
                )
            }),
        ];
        for (way, read) in ways {
            let (median, cpu) = measure(reps, guests, read);
            println!("  {way:<38} median {median:>10.3?}, processor time {cpu:>10.3?}");
        }
    }
}
