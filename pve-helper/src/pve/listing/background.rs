//! Reading a listing on a thread of its own while it arrives: the runtime's thread only
//! receives the answer and hands each chunk over, so receiving and reading go on side by
//! side, and the helper keeps serving other requests while a large listing is read.
//! What is left to read when the last byte is in is read in parts side by side
//! ([`ListingDecoder::finish`]).
//!
//! The thread copies each chunk into the listing's text as soon as it is handed over
//! (reading entries in between, a little at a time), so the chunks waiting for it stay
//! few. The text it read is let go of as it goes, and the receiving side waits while
//! more than [`WINDOW`] bytes are unread ([`BodySink::ready`]), so a large listing
//! never sits whole in memory. It stops when the answer is complete or when the fetch
//! is given up (its channel closes). Without a thread (one could not be started), the
//! chunks are read as they come, on the caller's thread.

use super::ListingDecoder;
use crate::pve::{
    BodySink, PveError,
    resources::{Guest, Snapshot},
};
use bytes::Bytes;
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
    mpsc,
};

/// How much text the thread reads between looking for new chunks.
const STEP: usize = 64 * 1024;

/// How far the reading may be behind what was received before receiving waits.
pub const WINDOW: usize = 1024 * 1024;

/// How far the reading thread got, for the receiving side to wait on.
#[derive(Debug, Default)]
struct Backlog {
    /// Bytes of the answer read, or all taken while the thread waits for more (then it
    /// is not behind: an entry longer than the window must not stop the answer).
    read: AtomicUsize,
    /// The thread is gone: nothing to wait for.
    stopped: AtomicBool,
    moved: tokio::sync::Notify,
}

impl Backlog {
    fn publish(&self, read: usize) {
        self.read.store(read, Ordering::Release);
        self.moved.notify_one();
    }

    fn caught_up(&self, handed: usize) -> bool {
        self.stopped.load(Ordering::Acquire)
            || handed.saturating_sub(self.read.load(Ordering::Acquire)) <= WINDOW
    }
}

/// Tells the receiving side the thread is gone, however it ends.
struct Stopped(Arc<Backlog>);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        self.0.moved.notify_one();
    }
}

/// The listing, and the memory its text took, emptied for the next one.
type Finished = (Result<Snapshot, PveError>, String);

/// What the receiving side hands the reading thread.
enum Msg {
    Announced(usize),
    Chunk(Bytes),
    /// The last byte is in.
    End,
}

/// A listing read on its own thread while it arrives; a [`BodySink`].
#[derive(Debug)]
pub struct Background(Reading);

#[derive(Debug)]
enum Reading {
    Thread {
        chunks: mpsc::Sender<Msg>,
        done: tokio::sync::oneshot::Receiver<Finished>,
        backlog: Arc<Backlog>,
        /// Bytes handed over.
        handed: usize,
    },
    /// No thread could be started: read here.
    Here(Box<ListingDecoder>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Announced(n) => write!(f, "Announced({n})"),
            Msg::Chunk(b) => write!(f, "Chunk({} bytes)", b.len()),
            Msg::End => f.write_str("End"),
        }
    }
}

impl Background {
    /// Starts the reading thread, writing the answer into `buffer` and its guests into
    /// `guests` ([`ListingDecoder::with_buffers`], on that thread).
    pub fn start(buffer: String, guests: Vec<Guest>) -> Self {
        let (chunks, rx) = mpsc::channel();
        let (tx, done) = tokio::sync::oneshot::channel();
        let backlog = Arc::new(Backlog::default());
        let stopped = Stopped(backlog.clone());
        // The buffers go to the thread inside the closure, and the decoder is made there
        // (the guests before let go of there): if the thread cannot be started, the
        // closure (and the buffers) is dropped, and reading happens here.
        let started = std::thread::Builder::new()
            .name("listing".into())
            .spawn(move || {
                read(
                    rx,
                    ListingDecoder::with_buffers(buffer, guests),
                    tx,
                    stopped,
                )
            });
        match started {
            Ok(_) => Self(Reading::Thread {
                chunks,
                done,
                backlog,
                handed: 0,
            }),
            Err(e) => {
                tracing::warn!("reading the guest listing on this thread: no thread for it ({e})");
                Self(Reading::Here(Box::default()))
            }
        }
    }

    /// The listing, once the whole answer has been handed over, and the memory its
    /// text took, emptied, for the next one.
    pub async fn finish(self) -> Finished {
        match self.0 {
            Reading::Here(decoder) => decoder.finish_keeping(),
            Reading::Thread { chunks, done, .. } => {
                // A closed channel: the thread is gone, and `done` says so below.
                let _ = chunks.send(Msg::End);
                done.await.unwrap_or_else(|_| {
                    let stopped = "the guest listing's reading stopped before its end";
                    (Err(PveError::Decode(stopped.into())), String::new())
                })
            }
        }
    }
}

impl BodySink for Background {
    fn announced(&mut self, len: usize) {
        match &mut self.0 {
            Reading::Thread { chunks, .. } => drop(chunks.send(Msg::Announced(len))),
            Reading::Here(decoder) => decoder.announced(len),
        }
    }

    fn chunk(&mut self, bytes: Bytes) {
        match &mut self.0 {
            Reading::Thread { chunks, handed, .. } => {
                *handed += bytes.len();
                drop(chunks.send(Msg::Chunk(bytes)));
            }
            Reading::Here(decoder) => decoder.feed(&bytes),
        }
    }

    /// Done once the thread has read all but [`WINDOW`] bytes of what it was handed.
    fn ready(&mut self) -> impl std::future::Future<Output = ()> + Send {
        let waiting = match &self.0 {
            Reading::Thread {
                backlog, handed, ..
            } => Some((backlog.clone(), *handed)),
            Reading::Here(_) => None,
        };
        async move {
            let Some((backlog, handed)) = waiting else {
                return;
            };
            loop {
                let moved = backlog.moved.notified();
                if backlog.caught_up(handed) {
                    return;
                }
                moved.await;
            }
        }
    }
}

/// The reading thread: takes every chunk waiting, reads a step, and again; finishes at
/// [`Msg::End`], and gives up when the receiving side did (the channel closed).
fn read(
    chunks: mpsc::Receiver<Msg>,
    mut decoder: ListingDecoder,
    done: tokio::sync::oneshot::Sender<Finished>,
    stopped: Stopped,
) {
    let backlog = &stopped.0;
    // Whether text taken is still unread.
    let mut unread = false;
    // Bytes of the chunks taken: of an answer that stopped being UTF-8, more than the
    // decoder keeps (nothing after that byte), all of which it has read.
    let mut taken = 0;
    loop {
        let msg = match unread {
            true => match chunks.try_recv() {
                Ok(msg) => Some(msg),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => return,
            },
            false => match chunks.recv() {
                Ok(msg) => Some(msg),
                Err(mpsc::RecvError) => return,
            },
        };
        match msg {
            Some(Msg::Announced(len)) => decoder.announced(len),
            Some(Msg::Chunk(bytes)) => {
                decoder.append(&bytes);
                taken += bytes.len();
                unread = true;
            }
            Some(Msg::End) => {
                // The receiving side may have given up meanwhile: nothing to tell.
                let _ = done.send(decoder.finish_keeping());
                return;
            }
            // Far behind (receiving waits, and Proxmox with it), what was taken is read
            // in parts side by side, as the rest is at the end; else a step at a time.
            None => {
                unread = !decoder.catch_up() && decoder.advance(STEP);
                backlog.publish(match unread {
                    true => decoder.read_so_far(),
                    false => taken,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
