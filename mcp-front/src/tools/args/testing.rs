//! Helpers the argument tests of every tool family share: parse arguments as the model
//! sends them, and read the error a refused argument gives.

use crate::tools::args::ArgError;
use serde_json::Value;

pub(crate) fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(v)
}

/// The error `f` gives for the arguments `v`, which must deserialize.
pub(crate) fn refused<T: serde::de::DeserializeOwned, R: std::fmt::Debug>(
    v: Value,
    f: impl Fn(T) -> Result<R, ArgError>,
) -> String {
    let args = parse::<T>(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
    match f(args) {
        Ok(r) => panic!("{v} accepted as {r:?}"),
        Err(e) => e.0,
    }
}

pub(crate) const HASH: &str = "$6$saltsalt$abcdefghijklmnopqrstuv./0123456789";

pub(crate) fn key() -> String {
    format!("ssh-ed25519 {} me@host", "A".repeat(68))
}

pub(crate) fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}
