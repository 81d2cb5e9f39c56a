//! The socket between mcp-front and pve-helper: length-prefixed JSON frames, capped
//! before their body is read, and the conversation they carry.

mod conversation;
mod frame;
mod helper_frame;
pub mod stream;
#[cfg(test)]
mod tests;

pub use conversation::*;
pub use frame::{
    FrameError, MAX_REQUEST_FRAME, MAX_RESPONSE_FRAME, encode_frame, read_frame, read_frame_timed,
    write_encoded, write_frame,
};
