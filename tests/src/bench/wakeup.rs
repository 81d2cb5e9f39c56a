//! What a wake-up costs on this machine, apart from pve-mcp: two threads pass one byte
//! back and forth over a Unix socket pair, each asleep in its read until the other
//! writes, as the client, the front, the helper and the simulator wake each other on a
//! call. Measured with the two threads on two processors, then on the same one. A
//! status call through pve-mcp wakes a process six times where its direct GET wakes one
//! twice: the four more are part of its overhead above the floor, each costing about
//! half a round trip here, of the one kind or the other as the system places the
//! processes.

use super::{
    pin::{Pinned, allowed},
    report::Summary,
};
use serde::Serialize;
use std::{
    io::{Read, Write},
    os::unix::net::UnixStream,
    time::Instant,
};

/// Round trips measured each way, after [`WARM_UP`] unmeasured.
pub const ROUND_TRIPS: usize = 2_000;
const WARM_UP: usize = 100;

/// One-byte round trips (two wake-ups each) between two threads.
#[derive(Debug, Clone, Serialize)]
pub struct Wakeups {
    /// The threads on two processors.
    pub across: Summary,
    /// Both on one processor.
    pub same: Summary,
}

/// Both kinds of round trip, on the first two processors this thread may run on;
/// `None` where it may run on one only.
pub fn measure() -> anyhow::Result<Option<Wakeups>> {
    let (first, second) = match allowed()?[..] {
        [first, second, ..] => (first, second),
        _ => return Ok(None),
    };
    Ok(Some(Wakeups {
        across: round_trips(first, second)?,
        same: round_trips(first, first)?,
    }))
}

/// [`ROUND_TRIPS`] round trips between this thread, on processor `mine`, and one on
/// `theirs`.
fn round_trips(mine: usize, theirs: usize) -> anyhow::Result<Summary> {
    let _pinned = Pinned::to(mine)?;
    let (mut here, mut there) = UnixStream::pair()?;
    let echo = std::thread::spawn(move || -> anyhow::Result<()> {
        let _pinned = Pinned::to(theirs)?;
        let mut byte = [0u8];
        while there.read(&mut byte)? == 1 {
            there.write_all(&byte)?;
        }
        Ok(())
    });
    let mut byte = [0u8];
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..WARM_UP + ROUND_TRIPS {
        let started = Instant::now();
        here.write_all(&byte)?;
        here.read_exact(&mut byte)?;
        if i >= WARM_UP {
            samples.push(started.elapsed());
        }
    }
    // Its read then ends, and with it the thread.
    drop(here);
    echo.join()
        .map_err(|_| anyhow::anyhow!("the echoing thread panicked"))??;
    Ok(Summary::of(&samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_are_measured_where_two_processors_are_allowed_and_the_pin_is_undone() {
        let before = allowed().unwrap();
        let measured = measure().unwrap();
        assert_eq!(allowed().unwrap(), before, "the thread is free again");
        let Some(w) = measured else {
            assert_eq!(before.len(), 1, "not measured although two were allowed");
            return;
        };
        for s in [&w.across, &w.same] {
            assert_eq!(s.n, ROUND_TRIPS);
            assert!(s.min_ms > 0.0 && s.min_ms <= s.p50_ms && s.p50_ms <= s.max_ms);
        }
    }
}
