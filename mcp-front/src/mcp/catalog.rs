//! The tool list as `tools/list` shows it: the router's tools, minus those the policy
//! leaves nothing to do for, with descriptions reflowed into plain paragraphs (doc
//! comments are hard-wrapped) and the policy's own words appended where they help.
//!
//! The list with every tool ([`LISTED`]) is made ahead of time ([`describe`]), so that
//! no session generates a schema (see `described`); a test checks it is the router's.
//!
//! Input is our own router and the helper's description; nothing here is untrusted.

use crate::{
    mcp::{described, schema},
    tools,
};
use pve_mcp_proto::Capabilities;
use rmcp::model::{JsonObject, Tool};
use serde_json::Value;
use std::{borrow::Cow, sync::Arc};

/// Every tool as listed when the policy is not known: [`describe`]'s, as [`text`]
/// writes it (one tool a line).
pub const LISTED: &str = include_str!("catalog/tools.json");

/// Joins hard-wrapped lines; blank lines still separate paragraphs.
pub fn reflow(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Reflows every `description` string in a JSON Schema.
fn reflow_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if key == "description" => *s = reflow(s),
                    _ => reflow_schema(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reflow_schema),
        _ => {}
    }
}

/// A schema as listed: portable (see `schema`), its descriptions reflowed.
fn reflow_object(schema: &Arc<JsonObject>) -> Arc<JsonObject> {
    let mut value = Value::Object(JsonObject::clone(schema));
    schema::make_portable(&mut value);
    reflow_schema(&mut value);
    match value {
        Value::Object(map) => Arc::new(map),
        _ => schema.clone(),
    }
}

/// Every tool the router serves as listed: its description and schemas reflowed, its
/// schemas portable.
pub fn describe() -> Vec<Tool> {
    described::describing(|| tools::router().list_all())
        .unwrap_or_default()
        .into_iter()
        .map(|mut tool| {
            let description = reflow(tool.description.as_deref().unwrap_or_default());
            tool.description = Some(Cow::Owned(description));
            tool.input_schema = reflow_object(&tool.input_schema);
            tool.output_schema = tool.output_schema.as_ref().map(reflow_object);
            tool
        })
        .collect()
}

/// `tools` as [`LISTED`] holds them: a JSON list, one tool a line.
pub fn text(tools: &[Tool]) -> String {
    let lines: Vec<String> = tools
        .iter()
        .map(|t| serde_json::to_string(t).unwrap_or_default())
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// The tools of [`LISTED`]; none if it did not read (a test makes sure it does).
fn listed() -> Vec<Tool> {
    serde_json::from_str(LISTED).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the tool list does not read: no tool is listed");
        Vec::new()
    })
}

/// The tool named `name`, as listed when the policy is not known.
pub fn tool(name: &str) -> Option<Tool> {
    listed().into_iter().find(|t| t.name == name)
}

/// The tools to list under the policy described by `caps`, annotated by it; every
/// tool when the policy is not known.
pub fn tools(caps: Option<&Capabilities>) -> Vec<Tool> {
    let Some(caps) = caps else {
        return listed();
    };
    listed()
        .into_iter()
        .filter(|t| tools::spec(&t.name).is_some_and(|s| s.is_listed(caps)))
        .map(|mut tool| {
            if let Some(note) = tools::spec(&tool.name).and_then(|s| s.note(caps)) {
                let mut description = tool.description.take().unwrap_or_default().into_owned();
                description.push_str("\n\n");
                description.push_str(&note);
                tool.description = Some(Cow::Owned(description));
            }
            tool
        })
        .collect()
}

#[cfg(test)]
mod tests;
