//! One tool as the rest of the front knows it: its name, the guest operation it needs a
//! grant of, whether the policy in force leaves it anything to do (then it is listed)
//! and the policy's words appended to its description. Each family declares its tools'
//! entries next to their handlers; `tools::TOOLS` gathers them, and `tools/list`, the
//! server instructions and `my_permissions` are all drawn from that one table. Every
//! field is required: a tool cannot be entered without its listing rule.
//!
//! The rules read the helper's description of the policy; they are informational
//! only: the helper judges every call whatever is listed.

use pve_mcp_proto::{Capabilities, Operation};

/// A tool's entry in the table.
#[derive(Debug)]
pub struct ToolSpec {
    /// The tool's name, as its handler is named.
    pub name: &'static str,
    /// The guest operation whose grant the tool needs, if it needs one: the
    /// instructions name these tools with the guests their grants cover.
    pub grant: Option<Operation>,
    /// Whether the policy leaves anything for the tool to do; only then is it listed.
    pub listed: fn(&Capabilities) -> bool,
    /// The policy's words appended to the tool's description, if it needs any.
    pub note: fn(&Capabilities) -> Option<String>,
}

impl ToolSpec {
    /// Whether the tool is listed under the policy described by `caps`.
    pub fn is_listed(&self, caps: &Capabilities) -> bool {
        (self.listed)(caps)
    }

    /// The tool's note under the policy described by `caps`.
    pub fn note(&self, caps: &Capabilities) -> Option<String> {
        (self.note)(caps)
    }
}

/// The note of a tool whose description needs none.
pub fn no_note(_: &Capabilities) -> Option<String> {
    None
}
