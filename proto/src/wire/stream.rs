//! The socket's two halves, each woken only for its own direction: reading waits on a
//! registration for readability alone, and writing registers for room only while a
//! frame is held up by a full socket.
//!
//! Why not Tokio's own halves: Tokio registers a Unix stream for reading and writing
//! both, and Linux reports a Unix stream writable each time its peer reads from it
//! (`unix_write_space`). So the front was woken for nothing each time the helper read
//! a call, and the helper each time the front read an answer: a third wake-up of each
//! process per call, where two do the work, on the path of every call. Trusts nothing
//! read: the frame codec above it bounds and checks every byte.

use std::{
    io::{self, Read, Write},
    net::Shutdown,
    os::unix::net::UnixStream,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, unix::AsyncFd};

/// Splits a connected, non-blocking stream (as [`tokio::net::UnixStream::into_std`]
/// gives it) into its halves; must run inside a Tokio runtime with I/O enabled.
/// Dropping the write half shuts the stream down for writing, as Tokio's does.
pub fn split(stream: UnixStream) -> io::Result<(ReadHalf, WriteHalf)> {
    stream.set_nonblocking(true)?;
    let stream = Arc::new(register(stream, Interest::READABLE)?);
    let write = WriteHalf {
        stream: stream.clone(),
        room: None,
    };
    Ok((ReadHalf { stream }, write))
}

/// Registers `stream` with the runtime for `interest` alone.
///
/// Tokio deprecates the safe constructor because a type's `as_raw_fd` might change or
/// close its descriptor while registered; its replacement is `unsafe`, which this
/// workspace forbids. An owned `UnixStream` keeps one open descriptor for as long as
/// the registration owns it, which is the replacement's whole safety condition.
#[allow(deprecated)]
fn register(stream: UnixStream, interest: Interest) -> io::Result<AsyncFd<UnixStream>> {
    AsyncFd::with_interest(stream, interest)
}

/// The reading half of a [`split`] stream.
#[derive(Debug)]
pub struct ReadHalf {
    stream: Arc<AsyncFd<UnixStream>>,
}

/// The writing half of a [`split`] stream.
#[derive(Debug)]
pub struct WriteHalf {
    stream: Arc<AsyncFd<UnixStream>>,
    /// A second descriptor of the stream, registered for room while a write waits for
    /// it; dropped (so unregistered) once the frame is flushed.
    room: Option<AsyncFd<UnixStream>>,
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut ready = ready!(self.stream.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match ready.try_io(|fd| fd.get_ref().read(unfilled)) {
                Ok(read) => {
                    buf.advance(read?);
                    return Poll::Ready(Ok(()));
                }
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.room.is_none() {
            match self.stream.get_ref().write(data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
        // Registering reports room that came since the write above, so none is missed.
        let this = &mut *self;
        let room = match &mut this.room {
            Some(room) => room,
            none => none.insert(register(
                this.stream.get_ref().try_clone()?,
                Interest::WRITABLE,
            )?),
        };
        loop {
            let mut ready = ready!(room.poll_write_ready(cx))?;
            if let Ok(written) = ready.try_io(|fd| fd.get_ref().write(data)) {
                return Poll::Ready(written);
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.room = None;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.get_ref().shutdown(Shutdown::Write))
    }
}

impl Drop for WriteHalf {
    fn drop(&mut self) {
        let _ = self.stream.get_ref().shutdown(Shutdown::Write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_held_up_by_a_full_socket_waits_for_room_then_lets_go_of_it() {
        let (a, b) = UnixStream::pair().unwrap();
        let (_, mut writer) = split(a).unwrap();
        let (mut reader, _) = split(b).unwrap();
        let sent: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        // Nothing reads yet: write until the socket is full.
        let mut written = 0;
        while written < sent.len() {
            let step =
                poll_fn(|cx| Poll::Ready(Pin::new(&mut writer).poll_write(cx, &sent[written..])));
            match step.await {
                Poll::Ready(n) => written += n.unwrap(),
                Poll::Pending => break,
            }
        }
        assert!(written < sent.len(), "4 MiB fit in the socket");
        assert!(writer.room.is_some(), "a full socket is watched for room");
        let mut received = vec![0; sent.len()];
        tokio::join!(
            async { reader.read_exact(&mut received).await.unwrap() },
            async {
                writer.write_all(&sent[written..]).await.unwrap();
                writer.flush().await.unwrap();
            },
        );
        assert!(received == sent, "the bytes arrived whole and in order");
        assert!(writer.room.is_none(), "flushing stops watching for room");
    }

    #[tokio::test]
    async fn dropping_the_write_half_ends_the_peers_reading_not_its_writing() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a_read, a_write) = split(a).unwrap();
        let (mut b_read, mut b_write) = split(b).unwrap();
        drop(a_write);
        assert_eq!(b_read.read(&mut [0; 8]).await.unwrap(), 0, "end of stream");
        b_write.write_all(b"still open").await.unwrap();
        drop(b_write);
        let mut got = Vec::new();
        a_read.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"still open");
    }
}
