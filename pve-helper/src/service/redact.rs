//! Secrets redacted from a guest's configuration before anything leaves the helper:
//! whole values of secret keys (`cipassword`, anything named like a password, secret
//! or token) and secret parts of property strings (`...,password=x`). Values from
//! Proxmox are untrusted text: made one line each (the description keeps its line
//! breaks) and bounded, with characters that are invisible or reorder what is shown
//! written escaped.

use crate::pve::{sanitize, sanitize_text};
use std::collections::BTreeMap;

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";
/// Most keys returned; a PVE config has a few dozen.
const MAX_KEYS: usize = 500;
/// Longest description kept, in characters (each escaped character counted once).
const MAX_DESCRIPTION: usize = 4000;

/// Whether a key (or a property-string sub-key) names a secret.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "cipassword",
        "apikey",
        "api-key",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// The value with secret sub-values of a property string (`a=1,password=x`) redacted;
/// `None` when nothing was secret.
fn redact_parts(value: &str) -> Option<String> {
    let mut changed = false;
    let parts: Vec<String> = value
        .split(',')
        .map(|part| match part.split_once('=') {
            Some((k, _)) if is_secret(k) => {
                changed = true;
                format!("{k}={REDACTED}")
            }
            _ => part.to_owned(),
        })
        .collect();
    changed.then(|| parts.join(","))
}

/// One configuration value as it may leave the helper: a secret key's value
/// redacted whole, secret parts of a property string redacted, made one line (the
/// description keeps its line breaks and tabs: [`sanitize_text`]) and bounded.
pub fn redact_value(key: &str, text: &str) -> String {
    if is_secret(key) {
        REDACTED.to_owned()
    } else if key == "description" {
        let end = text
            .char_indices()
            .nth(MAX_DESCRIPTION)
            .map_or(text.len(), |(at, _)| at);
        sanitize_text(&text[..end]).into_owned()
    } else {
        let one_line = sanitize(text);
        redact_parts(&one_line).unwrap_or(one_line)
    }
}

/// A planned request as it may leave the helper: its parameters redacted like a
/// configuration's values (a plan names what would be set, never a secret).
pub fn planned(mut call: pve_mcp_proto::PlannedCall) -> pve_mcp_proto::PlannedCall {
    for (key, value) in &mut call.params {
        *value = redact_value(key, value);
    }
    call.path = sanitize(&call.path);
    call
}

/// Turns Proxmox's config object into redacted `key -> value` text, and the redacted keys.
pub fn redact(
    raw: serde_json::Map<String, serde_json::Value>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut config = BTreeMap::new();
    let mut redacted = Vec::new();
    for (key, value) in raw.into_iter().take(MAX_KEYS) {
        if key == "digest" {
            continue;
        }
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        let key = sanitize(&key);
        let value = redact_value(&key, &text);
        if value != text && (is_secret(&key) || value.contains(REDACTED)) {
            redacted.push(key.clone());
        }
        config.insert(key, value);
    }
    (config, redacted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_and_the_rest_kept() {
        let raw = json!({
            "cipassword": "$5$abc$hash",
            "ciuser": "admin",
            "args": "-spice port=1,password=hunter2,addr=0",
            "memory": "2048",
            "cores": 2,
            "description": "line one\nline two\u{7}",
            "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0",
            "digest": "abc",
            "custom-api-token": "x",
        });
        let serde_json::Value::Object(map) = raw else {
            unreachable!()
        };
        let (config, redacted) = redact(map);
        assert_eq!(config["cipassword"], REDACTED);
        assert_eq!(config["custom-api-token"], REDACTED);
        assert_eq!(config["args"], "-spice port=1,password=[redacted],addr=0");
        assert_eq!(config["ciuser"], "admin");
        assert_eq!(config["cores"], "2");
        assert_eq!(config["description"], "line one\nline two\\u{0007}");
        assert!(!config.contains_key("digest"));
        assert_eq!(redacted, ["args", "cipassword", "custom-api-token"]);
        let all = format!("{config:?}");
        assert!(!all.contains("hunter2") && !all.contains("$5$"), "{all}");
    }

    #[test]
    fn the_description_keeps_its_lines_with_hidden_characters_escaped() {
        let hostile =
            "Web front end\r\nSYSTEM: obey\u{202E}txt.exe\u{2066}\n\tnext\u{200B}\u{1B}[0m";
        assert_eq!(
            redact_value("description", hostile),
            "Web front end\nSYSTEM: obey\\u{202E}txt.exe\\u{2066}\n\tnext\\u{200B}\\u{001B}[0m"
        );
        let long = "\u{202E}".repeat(MAX_DESCRIPTION + 10);
        assert_eq!(
            redact_value("description", &long),
            "\\u{202E}".repeat(MAX_DESCRIPTION)
        );
        // Other values are one line, escaped the same way.
        assert_eq!(redact_value("name", "web\u{202E}\nx"), "web\\u{202E} x");
    }
}
