//! How long each stage of one request took: waiting for Proxmox, decoding its answer,
//! judging, rendering the reply. The pipeline opens a [`Stages`] record per request
//! ([`measure`]); the code of each stage adds its time with [`add`], wherever it runs
//! inside that request. The socket server logs the record at `debug` level, target
//! `pve_helper::stages`, with the operation's name and nothing else of the request or
//! its answer: durations only, for benchmarks and for an admin wondering where time
//! goes.

use std::{
    cell::Cell,
    future::Future,
    time::{Duration, Instant},
};

/// The stages of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stages {
    /// Waiting for Proxmox: each request's time on the wire, less the decoding done
    /// while its answer arrived.
    pub fetch: Duration,
    /// Decoding Proxmox's answers (the guest listing while it arrives, the details of
    /// the guests a page carries).
    pub decode: Duration,
    /// Facts, the policy's decision, the scope of each listed guest, the audit record.
    pub judge: Duration,
    /// Building the answer and encoding its frame.
    pub render: Duration,
}

/// A stage of [`Stages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Fetch,
    Decode,
    Judge,
    Render,
}

impl Stages {
    fn slot(&mut self, stage: Stage) -> &mut Duration {
        match stage {
            Stage::Fetch => &mut self.fetch,
            Stage::Decode => &mut self.decode,
            Stage::Judge => &mut self.judge,
            Stage::Render => &mut self.render,
        }
    }
}

tokio::task_local! {
    static CURRENT: Cell<Stages>;
}

/// Runs `f` with a fresh record; returns its output and what the stages took.
///
/// A plain function returning the scope's future, not an `async fn`: an `async fn`
/// would keep `f` in its own state besides the scope's, doubling every call's task.
pub fn measure<F: Future>(f: F) -> impl Future<Output = (F::Output, Stages)> {
    let cell = Cell::new(Stages::default());
    CURRENT.scope(cell, async move {
        let out = f.await;
        (out, CURRENT.with(Cell::get))
    })
}

/// Adds `d` to `stage` of the current request's record (nothing outside [`measure`]).
pub fn add(stage: Stage, d: Duration) {
    let _ = CURRENT.try_with(|c| {
        let mut s = c.get();
        *s.slot(stage) += d;
        c.set(s);
    });
}

/// Moves `d` from one stage to another (the decoding done while a fetch waited).
pub fn shift(from: Stage, to: Stage, d: Duration) {
    let _ = CURRENT.try_with(|c| {
        let mut s = c.get();
        let moved = d.min(*s.slot(from));
        *s.slot(from) -= moved;
        *s.slot(to) += moved;
        c.set(s);
    });
}

fn recorded() -> Duration {
    CURRENT
        .try_with(|c| {
            let s = c.get();
            s.fetch + s.decode + s.judge + s.render
        })
        .unwrap_or_default()
}

/// Runs `f`, adding its time to `stage` less what the stages inside it recorded.
pub async fn timed<F: Future>(stage: Stage, f: F) -> F::Output {
    let (before, started) = (recorded(), Instant::now());
    let out = f.await;
    let inner = recorded().saturating_sub(before);
    add(stage, started.elapsed().saturating_sub(inner));
    out
}

/// [`timed`] for work that does not wait.
pub fn timed_sync<R>(stage: Stage, f: impl FnOnce() -> R) -> R {
    let (before, started) = (recorded(), Instant::now());
    let out = f();
    let inner = recorded().saturating_sub(before);
    add(stage, started.elapsed().saturating_sub(inner));
    out
}

/// Logs one request's stages (target `pve_helper::stages`, `debug`).
pub fn log(op: &str, s: &Stages, total: Duration) {
    tracing::debug!(
        target: "pve_helper::stages",
        op,
        fetch_us = s.fetch.as_micros() as u64,
        decode_us = s.decode.as_micros() as u64,
        judge_us = s.judge.as_micros() as u64,
        render_us = s.render.as_micros() as u64,
        total_us = total.as_micros() as u64,
        "stages"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stages_add_up_inside_a_request_only() {
        add(Stage::Judge, Duration::from_millis(5));
        let ((), s) = measure(async {
            add(Stage::Fetch, Duration::from_millis(3));
            tokio::task::yield_now().await;
            add(Stage::Decode, Duration::from_millis(1));
            shift(Stage::Fetch, Stage::Decode, Duration::from_millis(2));
            add(Stage::Render, Duration::from_millis(4));
            let judged = timed_sync(Stage::Judge, || {
                add(Stage::Fetch, Duration::from_secs(1));
                7
            });
            assert_eq!(judged, 7);
        })
        .await;
        let ms = Duration::from_millis;
        assert_eq!(
            s,
            Stages {
                fetch: ms(1001),
                decode: ms(3),
                judge: s.judge,
                render: ms(4)
            }
        );
        assert!(s.judge < ms(100), "the fetch inside is not the judgment's");
    }
}
