//! The stdio transport, with a JSON-RPC guard in front of rmcp: every line the client
//! writes is judged here first, so malformed or out-of-order input gets the JSON-RPC
//! error the spec names and the session goes on, instead of being dropped in silence
//! (rmcp ignores unparsable lines) or ending the session (rmcp gives up on anything but
//! a request before the lifecycle starts).
//!
//! Trust: stdin is untrusted. Lines are capped at [`MAX_LINE`] bytes and never buffered
//! beyond that; every reply is one JSON line on stdout, written by a single task, so
//! nothing but whole protocol messages ever reaches stdout.

use crate::mcp::{
    catalog,
    jsonrpc::{Phase, Verdict, classify, oversized_reply},
};
use crate::tools::reply::{STRUCTURED_JSON, structured_json};
use rmcp::{
    model::{JsonRpcMessage, JsonRpcResponse, ServerResult},
    service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage},
    transport::Transport,
};
use serde_json::Value;
use std::{borrow::Cow, io, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

/// Longest accepted message line. A tool call is far smaller (the helper refuses
/// requests over 256 KiB); a longer line is answered with an error and discarded.
pub const MAX_LINE: usize = 1024 * 1024;
/// Bytes of an oversized line kept to find its id.
const HEAD: usize = 4096;
/// Outgoing lines queued before `send` waits for the writer.
const QUEUE: usize = 256;
/// How long closing waits for queued answers to be written.
pub const FLUSH_ON_CLOSE: Duration = Duration::from_secs(2);

/// What one bounded line read produced.
enum Line {
    /// A whole line is in `line`.
    Whole,
    /// The line was longer than [`MAX_LINE`]; its head is in `line`.
    Oversized,
    Eof,
}

/// A line-delimited JSON-RPC transport over any reader and writer (stdin and stdout
/// in production), guarded by [`classify`].
pub struct GuardedTransport<R> {
    read: BufReader<R>,
    line: Vec<u8>,
    /// Dropping the rest of an oversized line, up to its newline.
    discarding: bool,
    phase: Phase,
    out: Option<mpsc::Sender<Vec<u8>>>,
    /// A reply of ours that could not be queued yet (kept across a cancelled receive).
    pending: Option<Vec<u8>>,
    writer: Option<JoinHandle<()>>,
    /// Told when the writer has written every queued line and stopped.
    drained: Option<oneshot::Receiver<()>>,
}

impl<R> std::fmt::Debug for GuardedTransport<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedTransport")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl<R> GuardedTransport<R>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    /// Starts the writer task on `write`; must run inside a Tokio runtime.
    pub fn new<W>(read: R, write: W) -> Self
    where
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (done, drained) = oneshot::channel();
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            phase: Phase::default(),
            out: Some(tx),
            pending: None,
            writer: Some(tokio::spawn(write_lines(write, rx, done))),
            drained: Some(drained),
        }
    }

    /// Resolves once every line queued before the transport was dropped is written.
    /// rmcp drops the transport without closing it when `initialize` fails, after
    /// queuing the error: awaiting this keeps the process alive until it is sent.
    pub fn drained(&mut self) -> Option<oneshot::Receiver<()>> {
        self.drained.take()
    }

    /// Reads one line, never holding more than [`MAX_LINE`] bytes of it. Cancel-safe:
    /// a partial line stays in `self.line` for the next call.
    async fn read_line(&mut self) -> io::Result<Line> {
        loop {
            let available = self.read.fill_buf().await?;
            if available.is_empty() {
                return Ok(Line::Eof);
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let take = newline.map_or(available.len(), |i| i + 1);
            let mut oversized = false;
            if !self.discarding {
                if self.line.len() + take > MAX_LINE {
                    let room = HEAD.saturating_sub(self.line.len());
                    self.line.extend_from_slice(&available[..take.min(room)]);
                    oversized = true;
                } else {
                    self.line.extend_from_slice(&available[..take]);
                }
            }
            self.read.consume(take);
            match (newline.is_some(), self.discarding, oversized) {
                (true, true, _) => self.discarding = false,
                (true, false, false) => return Ok(Line::Whole),
                (true, false, true) => return Ok(Line::Oversized),
                (false, false, true) => {
                    self.discarding = true;
                    return Ok(Line::Oversized);
                }
                (false, _, _) => {}
            }
        }
    }

    /// Queues our own reply; cancel-safe (the reply waits in `pending`).
    async fn flush_pending(&mut self) -> Option<()> {
        if let Some(reply) = self.pending.take() {
            let out = self.out.as_ref()?;
            let permit = match out.reserve().await {
                Ok(permit) => permit,
                Err(_) => return None,
            };
            permit.send(reply);
        }
        Some(())
    }
}

/// Writes each queued line to `write`, flushing after each; stops at the first error,
/// or when every sender is gone and the queue is empty (then tells `done`).
async fn write_lines<W: AsyncWrite + Unpin>(
    mut write: W,
    mut rx: mpsc::Receiver<Vec<u8>>,
    done: oneshot::Sender<()>,
) {
    while let Some(line) = rx.recv().await {
        let written = async {
            write.write_all(&line).await?;
            write.flush().await
        };
        if let Err(e) = written.await {
            tracing::debug!(error = %e, "stdout closed; no more answers can be sent");
            return;
        }
    }
    let _ = done.send(());
}

fn to_line(value: &impl serde::Serialize) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}

/// One outgoing message as a line; a tool result's structured content that travels as
/// JSON text ([`crate::tools::reply::structured`]), and a tool list that does
/// ([`catalog::tools_json`]), are written in place of their stand-ins.
fn message_line(mut item: TxJsonRpcMessage<RoleServer>) -> io::Result<Vec<u8>> {
    if let Some(items) = take_listed_json(&mut item) {
        return with_tools(item, &items);
    }
    let Some(json) = take_structured_json(&mut item) else {
        return to_line(&item);
    };
    let mut line = Vec::with_capacity(json.len() + 1024);
    serde_json::to_writer(&mut line, &item)?;
    // `{"jsonrpc":..,"id":..,"result":{..}}`: the result is the last member, so its
    // object closes just before the message's. Anything else gets the value.
    if !line.ends_with(b"}}") {
        return put_back(item, &json);
    }
    line.truncate(line.len() - 2);
    line.extend_from_slice(b",\"structuredContent\":");
    line.extend_from_slice(json.as_bytes());
    line.extend_from_slice(b"}}\n");
    Ok(line)
}

/// Takes the JSON text out of a tool result's stand-in, leaving no structured content.
fn take_structured_json(item: &mut TxJsonRpcMessage<RoleServer>) -> Option<String> {
    let JsonRpcMessage::Response(JsonRpcResponse {
        result: ServerResult::CallToolResult(result),
        ..
    }) = item
    else {
        return None;
    };
    structured_json(result.structured_content.as_ref()?)?;
    match result.structured_content.take() {
        Some(Value::Object(mut m)) => match m.remove(STRUCTURED_JSON) {
            Some(Value::String(json)) => Some(json),
            _ => None,
        },
        _ => None,
    }
}

/// Takes the JSON text of a tool list out of its stand-in, leaving the list empty.
fn take_listed_json(item: &mut TxJsonRpcMessage<RoleServer>) -> Option<String> {
    let JsonRpcMessage::Response(JsonRpcResponse {
        result: ServerResult::ListToolsResult(result),
        ..
    }) = item
    else {
        return None;
    };
    match result.tools.as_slice() {
        [only] if only.name == catalog::LISTED_JSON => {}
        _ => return None,
    }
    let stand_in = result.tools.pop()?;
    stand_in.description.map(Cow::into_owned)
}

/// The message with `items` as its (emptied) tool list.
fn with_tools(mut item: TxJsonRpcMessage<RoleServer>, items: &str) -> io::Result<Vec<u8>> {
    let mut line = Vec::with_capacity(items.len() + 256);
    serde_json::to_writer(&mut line, &item)?;
    // `{..,"result":{..,"tools":[]}}`: the list is the result's last member, and the
    // result the message's. Anything else gets the values.
    let empty: &[u8] = b"\"tools\":[]}}";
    if !line.ends_with(empty) {
        if let JsonRpcMessage::Response(JsonRpcResponse {
            result: ServerResult::ListToolsResult(result),
            ..
        }) = &mut item
        {
            result.tools = serde_json::from_str(&format!("[{items}]"))?;
        }
        return to_line(&item);
    }
    line.truncate(line.len() - 3);
    line.extend_from_slice(items.as_bytes());
    line.extend_from_slice(b"]}}\n");
    Ok(line)
}

fn put_back(mut item: TxJsonRpcMessage<RoleServer>, json: &str) -> io::Result<Vec<u8>> {
    if let JsonRpcMessage::Response(JsonRpcResponse {
        result: ServerResult::CallToolResult(result),
        ..
    }) = &mut item
    {
        result.structured_content = Some(serde_json::from_str(json)?);
    }
    to_line(&item)
}

impl<R> Transport<RoleServer> for GuardedTransport<R>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), io::Error>> + Send + 'static {
        let out = self.out.clone();
        async move {
            let line = message_line(item)?;
            let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "stdout is closed");
            out.ok_or_else(closed)?
                .send(line)
                .await
                .map_err(|_| closed())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            self.flush_pending().await?;
            let read = match self.read_line().await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(error = %e, "reading stdin failed");
                    return None;
                }
            };
            let verdict = match read {
                Line::Eof => return None,
                Line::Oversized => Verdict::Reply(oversized_reply(&self.line, MAX_LINE)),
                Line::Whole => classify(&self.line, &mut self.phase),
            };
            self.line.clear();
            match verdict {
                Verdict::Forward(message) => return Some(*message),
                Verdict::Reply(reply) => self.pending = to_line(&reply).ok(),
                Verdict::Drop(why) => tracing::debug!("ignored a message: {why}"),
            }
        }
    }

    async fn close(&mut self) -> Result<(), io::Error> {
        self.out = None;
        if let Some(writer) = self.writer.take()
            && tokio::time::timeout(FLUSH_ON_CLOSE, writer).await.is_err()
        {
            tracing::debug!("answers still queued at exit were dropped");
        }
        Ok(())
    }
}

/// The transport on the process's stdin and stdout.
pub fn stdio() -> GuardedTransport<rmcp::transport::StdioReader> {
    let (read, write) = rmcp::transport::stdio_pipes();
    GuardedTransport::new(read, write)
}

#[cfg(test)]
mod tests;
