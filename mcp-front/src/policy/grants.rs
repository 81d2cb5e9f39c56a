//! The vocabulary the tools' listing rules and notes, and the server instructions,
//! share about the described policy: whether a guest operation is granted (and asks for
//! confirmation), which guests its grants cover, and short lists of names.
//!
//! Input is the helper's description of the policy; informational only: the helper
//! still judges every call.

use crate::policy::bounds::Bounds;
use pve_mcp_proto::{Capabilities, CreateSummary, Operation};

/// How many entries of one list the instructions and notes show.
const SHOWN: usize = 12;

/// Whether the policy puts any guest in scope.
pub(crate) fn in_scope(caps: &Capabilities) -> bool {
    !caps.guests.is_empty()
}

/// Whether some grant allows `op`, and whether some grant asks to confirm it.
pub(crate) fn granted(caps: &Capabilities, op: Operation) -> (bool, bool) {
    let has = |list: &Vec<Operation>| list.contains(&op);
    (
        caps.grants.iter().any(|g| has(&g.operations)),
        caps.grants.iter().any(|g| has(&g.confirm)),
    )
}

/// The listing rule of a tool that needs only a grant of `op` on guests in scope.
pub(crate) fn granted_in_scope(caps: &Capabilities, op: Operation) -> bool {
    in_scope(caps) && granted(caps, op).0
}

/// Which guests the grants of `op` cover: `every guest in scope` or their selectors.
pub(crate) fn covered(caps: &Capabilities, op: Operation) -> String {
    let grants: Vec<_> = caps
        .grants
        .iter()
        .filter(|g| g.operations.contains(&op))
        .collect();
    if grants.iter().any(|g| g.guests.is_empty()) {
        return "every guest in scope".into();
    }
    let selectors: Vec<&String> = grants.iter().flat_map(|g| g.guests.iter()).collect();
    format!("guests matching {}", some(&selectors))
}

/// `Allowed on X.` and the confirmation, for a granted `op`: the note of a tool that
/// needs only that grant.
pub(crate) fn grant(caps: &Capabilities, op: Operation) -> String {
    let mut out = format!("Allowed on {}.", covered(caps, op));
    if granted(caps, op).1 {
        out.push_str(CONFIRMED);
    }
    out
}

/// What a note says of a confirmed operation.
pub(crate) const CONFIRMED: &str = " The user confirms first (the call waits).";

/// `a, b, c and 4 more`.
pub(crate) fn some(items: &[impl AsRef<str>]) -> String {
    let shown: Vec<&str> = items.iter().take(SHOWN).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// [`some`], or `none` for an empty list.
pub(crate) fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        some(items)
    }
}

/// `qemu, lxc with vmids 9000-9099 on nodes pve1, pve2, put in pool lab, tagged mcp`.
pub(crate) fn create_words(c: &CreateSummary) -> String {
    let mut out = format!(
        "{} with vmids {} on nodes {}",
        or_none(&c.types),
        c.vmids,
        or_none(&c.nodes)
    );
    if let Some(pool) = &c.pool {
        out.push_str(&format!(", put in pool {pool}"));
    }
    if !c.tags.is_empty() {
        out.push_str(&format!(", tagged {}", some(&c.tags)));
    }
    out
}

/// ` Bounds: at most 8 cores, ...; storages local-lvm.`, or nothing when unbounded.
pub(crate) fn bounds(caps: &Capabilities) -> String {
    let words = Bounds::from(caps.bounds.clone()).words();
    if words.is_empty() {
        String::new()
    } else {
        format!(" Bounds: {words}.")
    }
}

/// ` Further config keys: a, b.`, or nothing when the policy lists none.
pub(crate) fn config_keys(caps: &Capabilities, label: &str) -> String {
    if caps.config_keys.is_empty() {
        String::new()
    } else {
        format!(" {label}: {}.", some(&caps.config_keys))
    }
}
