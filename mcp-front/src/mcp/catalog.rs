//! The tool list as `tools/list` shows it: the router's tools, minus those the policy
//! leaves nothing to do for, with descriptions reflowed into plain paragraphs (doc
//! comments are hard-wrapped) and the policy's own words appended where they help.
//!
//! Input is our own router and the helper's description; nothing here is untrusted.

use crate::{mcp::schema, tools};
use pve_mcp_proto::Capabilities;
use rmcp::model::{JsonObject, Tool};
use serde_json::Value;
use std::{borrow::Cow, sync::Arc};

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

/// The tools to list: `all` filtered and annotated by `caps`, or every tool (reflowed)
/// when the policy is not known.
pub fn tools(all: Vec<Tool>, caps: Option<&Capabilities>) -> Vec<Tool> {
    all.into_iter()
        .filter(|t| caps.is_none_or(|caps| tools::spec(&t.name).is_some_and(|s| s.is_listed(caps))))
        .map(|mut tool| {
            let mut description = reflow(tool.description.as_deref().unwrap_or_default());
            let spec = tools::spec(&tool.name);
            if let Some(note) = caps.and_then(|caps| spec.and_then(|s| s.note(caps))) {
                description.push_str("\n\n");
                description.push_str(&note);
            }
            tool.description = Some(Cow::Owned(description));
            tool.input_schema = reflow_object(&tool.input_schema);
            tool.output_schema = tool.output_schema.as_ref().map(reflow_object);
            tool
        })
        .collect()
}

#[cfg(test)]
mod tests;
