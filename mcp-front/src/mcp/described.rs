//! The JSON Schemas of the tools' arguments and answers, generated only where the tool
//! list is made ([`describing`]), never in a session.
//!
//! A session lists the tools from the list made ahead of time (`catalog`), and its
//! router needs no schema to call a tool: generating every schema there cost each
//! session about 2 MB (1.45 MB of heap and 0.9 MB of code run once). Tools therefore
//! take their arguments as [`Parameters`] and name their answer's schema with
//! [`output`]: both give the real schema on the thread [`describing`] runs (where
//! `catalog::describe` builds the router), and a bare object schema anywhere else.
//!
//! Nothing here is untrusted: the types are our own. Arguments are read by rmcp's own
//! extractor, with its errors.

use rmcp::{
    handler::server::{
        common::{FromContextPart, schema_for_empty_input},
        tool::{ToolCallContext, schema_for_output},
        wrapper,
    },
    model::JsonObject,
};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use std::{any::Any, borrow::Cow, cell::Cell, sync::Arc};

thread_local! {
    /// Whether this thread is describing the tools: set only on [`describing`]'s own.
    static DESCRIBING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on a thread of its own, where schemas are generated; `None` if it
/// panicked. rmcp keeps the schemas it makes in that thread's caches, which go with it.
pub fn describing<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    std::thread::spawn(move || {
        DESCRIBING.set(true);
        f()
    })
    .join()
    .ok()
}

/// A tool's arguments: rmcp's [`wrapper::Parameters`], with the schema only where the
/// tool list is made.
#[derive(Debug)]
pub struct Parameters<P>(pub P);

impl<P: JsonSchema> JsonSchema for Parameters<P> {
    fn schema_name() -> Cow<'static, str> {
        P::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        if DESCRIBING.get() {
            P::json_schema(generator)
        } else {
            schemars::json_schema!({ "type": "object" })
        }
    }
}

impl<S, P: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<P> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        wrapper::Parameters::<P>::from_context_part(context).map(|p| Self(p.0))
    }
}

/// The schema of a tool's answer `T` where the tool list is made; a bare object
/// schema anywhere else.
pub fn output<T: JsonSchema + Any>() -> Arc<JsonObject> {
    if DESCRIBING.get() {
        schema_for_output::<T>()
    } else {
        schema_for_empty_input()
    }
}
