//! Pinning the benchmark's threads to processors: the one-processor rows
//! ([`super::one_cpu`]) and the machine's wake-ups ([`super::wakeup`]).

use nix::{
    sched::{CpuSet, sched_getaffinity, sched_setaffinity},
    unistd::Pid,
};

/// What the calling thread may run on before it was pinned, restored when dropped.
#[derive(Debug)]
pub struct Pinned {
    before: CpuSet,
}

/// The processors the calling thread may run on.
pub fn allowed() -> nix::Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

impl Pinned {
    /// Pins the calling thread, and with it every thread and process it starts from
    /// now on, to the first processor it may run on; `None` when it may run on one only.
    pub fn to_first() -> anyhow::Result<Option<Pinned>> {
        match allowed()?[..] {
            [first, _, ..] => Ok(Some(Pinned::to(first)?)),
            _ => Ok(None),
        }
    }

    /// Pins the calling thread (and what it starts from now on) to processor `cpu`.
    pub fn to(cpu: usize) -> nix::Result<Pinned> {
        let this = Pid::from_raw(0);
        let before = sched_getaffinity(this)?;
        let mut one = CpuSet::new();
        one.set(cpu)?;
        sched_setaffinity(this, &one)?;
        Ok(Pinned { before })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(Pid::from_raw(0), &self.before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_the_thread_and_what_it_starts_run_on_its_first_processor_until_dropped() {
        let before = allowed().unwrap();
        let Some(pinned) = Pinned::to_first().unwrap() else {
            assert_eq!(before.len(), 1, "not pinned although more were allowed");
            return;
        };
        assert_eq!(allowed().unwrap(), [before[0]]);
        let started = std::thread::spawn(|| allowed().unwrap());
        assert_eq!(started.join().unwrap(), [before[0]]);
        drop(pinned);
        assert_eq!(allowed().unwrap(), before);
    }
}
