//! The tool list as `tools/list` shows it: the router's tools, minus those the policy
//! leaves nothing to do for, with descriptions reflowed into plain paragraphs (doc
//! comments are hard-wrapped) and the policy's own words appended where they help.
//!
//! The list with every tool ([`LISTED`]) is made ahead of time ([`describe`]), so that
//! no session generates a schema (see `described`); a test checks it is the router's.
//! `tools/list` answers with its lines as they are ([`tools_json`]), a note written into
//! a tool's description where the policy has one: the tools read as values cost a
//! session 0.7 MB of its memory.
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

/// Name of the stand-in tool that carries [`tools_json`]'s text from the handler to the
/// transport, which writes the text in place of the list (`transport::message_line`).
/// No tool has a name like it.
pub const LISTED_JSON: &str = "\u{0}pve-mcp:listed-json";

/// The tools to list under the policy described by `caps`, as [`tools`] gives them,
/// written as the JSON text of the list's items (`{..},{..}`): [`LISTED`]'s lines, no
/// schema read, a note written into the description of the tools the policy has one for.
pub fn tools_json(caps: Option<&Capabilities>) -> String {
    /// The one member of a listed tool read to choose it.
    #[derive(serde::Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
    }
    let mut items: Vec<Cow<'static, str>> = Vec::new();
    for line in LISTED.lines().filter(|l| l.starts_with('{')) {
        let line = line.strip_suffix(',').unwrap_or(line);
        let Ok(Named { name }) = serde_json::from_str::<Named>(line) else {
            tracing::error!("a line of the tool list does not read: it is not listed");
            continue;
        };
        let Some(caps) = caps else {
            items.push(Cow::Borrowed(line));
            continue;
        };
        let Some(spec) = tools::spec(&name).filter(|s| s.is_listed(caps)) else {
            continue;
        };
        match spec.note(caps) {
            None => items.push(Cow::Borrowed(line)),
            Some(note) => match with_note(line, &note) {
                Some(noted) => items.push(Cow::Owned(noted)),
                None => tracing::error!(tool = %name, "a listed tool has no description"),
            },
        }
    }
    items.join(",")
}

/// A listed tool's line with `note` added to its description as its last paragraph.
fn with_note(line: &str, note: &str) -> Option<String> {
    // The tool's own description comes before its schemas; inside a string a quote is
    // escaped, so this is a member's name.
    let at = line.find("\"description\":")? + "\"description\":".len();
    if line
        .find("\"inputSchema\":")
        .is_some_and(|schema| schema < at)
    {
        return None;
    }
    let mut value = serde_json::Deserializer::from_str(line.get(at..)?).into_iter::<String>();
    let description = value.next()?.ok()?;
    let end = at + value.byte_offset();
    let noted = serde_json::to_string(&format!("{description}\n\n{note}")).ok()?;
    Some(format!("{}{noted}{}", line.get(..at)?, line.get(end..)?))
}

/// The stand-in that carries `items` ([`tools_json`]) as a listed tool.
pub fn stand_in(items: String) -> Tool {
    Tool::new(LISTED_JSON, items, Arc::new(JsonObject::new()))
}

/// [`tools_json`]'s tools as values.
#[cfg(test)]
pub fn tools(caps: Option<&Capabilities>) -> Vec<Tool> {
    serde_json::from_str(&format!("[{}]", tools_json(caps))).unwrap_or_default()
}

#[cfg(test)]
mod tests;
