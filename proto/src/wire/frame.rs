//! Length-prefixed JSON frames; trusts nothing about the peer's length prefix.

use serde::{Serialize, de::DeserializeOwned};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest frame the helper accepts from a front (a request).
pub const MAX_REQUEST_FRAME: u32 = 256 * 1024;
/// Largest frame the front accepts from the helper (a response).
pub const MAX_RESPONSE_FRAME: u32 = 16 * 1024 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection cleanly between frames.
    #[error("connection closed")]
    Closed,
    /// The length prefix announced more than the receiver accepts.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: u32, max: u32 },
    /// A frame with a zero length prefix.
    #[error("empty frame")]
    Empty,
    /// The body is not a valid message of the expected type.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// A frame did not arrive whole in time after its first byte.
    #[error("frame not received whole within {0} s of its first byte")]
    SlowBody(u64),
    /// The connection failed or closed in the middle of a frame.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one frame and decodes it as `T`, refusing anything longer than `max` bytes.
pub async fn read_frame<T, R>(reader: &mut R, max: u32) -> Result<T, FrameError>
where
    T: DeserializeOwned,
    R: AsyncRead + Unpin,
{
    read_frame_timed(reader, max, None).await
}

/// Like [`read_frame`], but once the first byte of a frame has arrived the rest of it
/// (prefix and body) must follow within `body_timeout`: a sender that trickles bytes
/// cannot hold the reader forever. Waiting for a frame to begin is not bounded (an
/// idle peer is fine).
pub async fn read_frame_timed<T, R>(
    reader: &mut R,
    max: u32,
    body_timeout: Option<std::time::Duration>,
) -> Result<T, FrameError>
where
    T: DeserializeOwned,
    R: AsyncRead + Unpin,
{
    let mut prefix = [0u8; 4];
    match reader.read_exact(&mut prefix[..1]).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(FrameError::Closed);
        }
        Err(e) => return Err(FrameError::Io(e)),
    }
    let rest = async {
        reader.read_exact(&mut prefix[1..]).await?;
        let len = u32::from_be_bytes(prefix);
        if len == 0 {
            return Err(FrameError::Empty);
        }
        if len > max {
            return Err(FrameError::TooLarge { len, max });
        }
        let mut body = vec![0u8; len as usize];
        reader.read_exact(&mut body).await?;
        Ok(body)
    };
    let body = match body_timeout {
        None => rest.await?,
        Some(t) => tokio::time::timeout(t, rest)
            .await
            .map_err(|_| FrameError::SlowBody(t.as_secs()))??,
    };
    // One UTF-8 check of the whole frame, then no check per string while decoding.
    let text = std::str::from_utf8(&body)
        .map_err(|e| FrameError::Malformed(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    serde_json::from_str(text).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Encodes `value` and writes it as one frame, refusing to send more than `max` bytes.
pub async fn write_frame<T, W>(writer: &mut W, value: &T, max: u32) -> Result<(), FrameError>
where
    T: Serialize,
    W: AsyncWrite + Unpin,
{
    let buf = encode_frame(value, max)?;
    write_encoded(writer, &buf).await
}

/// Encodes `value` as one frame (length prefix included), refusing more than `max`
/// bytes: for a sender that encodes in one place and writes in another.
pub fn encode_frame<T: Serialize>(value: &T, max: u32) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0u8; 4];
    serde_json::to_writer(&mut buf, value).map_err(|e| FrameError::Malformed(e.to_string()))?;
    let len = u32::try_from(buf.len() - 4).unwrap_or(u32::MAX);
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    buf[..4].copy_from_slice(&len.to_be_bytes());
    Ok(buf)
}

/// Writes a frame made by [`encode_frame`].
pub async fn write_encoded<W: AsyncWrite + Unpin>(
    writer: &mut W,
    frame: &[u8],
) -> Result<(), FrameError> {
    writer.write_all(frame).await?;
    writer.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[tokio::test]
    async fn round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &serde_json::json!({"a": 1}), 100)
            .await
            .unwrap();
        assert_eq!(&buf[..4], &7u32.to_be_bytes());
        let v: Value = read_frame(&mut buf.as_slice(), 100).await.unwrap();
        assert_eq!(v["a"], 1);
    }

    #[tokio::test]
    async fn refuses_oversized_prefix_without_reading_body() {
        let buf = u32::MAX.to_be_bytes();
        let err = read_frame::<Value, _>(&mut buf.as_slice(), 1024)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            FrameError::TooLarge {
                len: u32::MAX,
                max: 1024
            }
        ));
    }

    #[tokio::test]
    async fn truncated_body_and_clean_close_differ() {
        let err = read_frame::<Value, _>(&mut &[][..], 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::Closed));
        let mut buf = 10u32.to_be_bytes().to_vec();
        buf.extend_from_slice(b"{\"a\"");
        let err = read_frame::<Value, _>(&mut buf.as_slice(), 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::Io(_)));
    }

    #[tokio::test]
    async fn empty_and_malformed_frames_are_errors() {
        let buf = 0u32.to_be_bytes();
        let err = read_frame::<Value, _>(&mut buf.as_slice(), 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::Empty));
        let mut buf = 3u32.to_be_bytes().to_vec();
        buf.extend_from_slice(b"{x}");
        let err = read_frame::<Value, _>(&mut buf.as_slice(), 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::Malformed(_)));
    }

    #[tokio::test]
    async fn a_trickled_prefix_or_body_times_out() {
        let t = Some(std::time::Duration::from_millis(50));
        // Two bytes of a prefix, then silence: no longer an idle peer.
        let (mut a, mut b) = tokio::io::duplex(64);
        b.write_all(&[0, 0]).await.unwrap();
        let err = read_frame_timed::<Value, _>(&mut a, 1024, t)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::SlowBody(_)), "{err}");
        // A whole prefix, half a body.
        let (mut a, mut b) = tokio::io::duplex(64);
        b.write_all(&[0, 0, 0, 8, b'{']).await.unwrap();
        let err = read_frame_timed::<Value, _>(&mut a, 1024, t)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::SlowBody(_)), "{err}");
        // Silence before a frame begins is fine; the peer closing then is a clean end.
        let (mut a, b) = tokio::io::duplex(64);
        drop(b);
        let err = read_frame_timed::<Value, _>(&mut a, 1024, t)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::Closed), "{err}");
    }

    #[tokio::test]
    async fn writer_refuses_oversized_frame() {
        let mut buf = Vec::new();
        let err = write_frame(&mut buf, &"x".repeat(100), 10)
            .await
            .unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { .. }));
        assert!(buf.is_empty());
    }
}
