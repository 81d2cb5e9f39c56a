//! The verdict `decide` returns: allow, deny, not found or confirm, each naming the
//! rule that decided it. Built only by `decide`; rendered to words at the edge (audit
//! lines, denials, `explain`).

/// The verdict on one request, naming the rule that decided it.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        rule: String,
    },
    /// Refused by the policy or the fixed floor; `reason` says what to change.
    Deny {
        rule: String,
        reason: String,
    },
    /// A guest the request names does not exist or is out of scope: the two are
    /// indistinguishable on purpose.
    NotFound {
        reason: String,
    },
    /// Allowed once the user confirms it (the policy marks the action `confirm`).
    Confirm {
        rule: String,
        reason: String,
    },
}

impl Decision {
    pub fn rule(&self) -> &str {
        match self {
            Self::Allow { rule } | Self::Deny { rule, .. } | Self::Confirm { rule, .. } => rule,
            Self::NotFound { .. } => "guests (out of scope)",
        }
    }

    /// `allow`, `deny`, `not_found` or `confirm`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Self::Allow { .. } => "allow",
            Self::Deny { .. } => "deny",
            Self::NotFound { .. } => "not_found",
            Self::Confirm { .. } => "confirm",
        }
    }
}
