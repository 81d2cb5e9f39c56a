//! Values that travel on the socket, each valid by construction: a newtype parses
//! its input as Proxmox reads it (or stricter) and refuses the rest with an
//! [`InvalidValue`] naming the rule, on deserialization too. The helper still treats
//! every one as hostile input and judges it by the policy.

/// Why a value was refused; the message names the field's rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

pub(crate) fn invalid<T>(msg: impl Into<String>) -> Result<T, InvalidValue> {
    Err(InvalidValue(msg.into()))
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

pub(crate) fn truncate(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

macro_rules! bounded_number {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $name(u64);

        impl $name {
            pub const MIN: u64 = $min;
            pub const MAX: u64 = $max;

            pub fn new(n: u64) -> Result<Self, InvalidValue> {
                if (Self::MIN..=Self::MAX).contains(&n) {
                    Ok(Self(n))
                } else {
                    invalid(format!(
                        "{} {n} is out of range: must be {} to {}",
                        $what,
                        Self::MIN,
                        Self::MAX
                    ))
                }
            }

            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = InvalidValue;
            fn try_from(n: u64) -> Result<Self, InvalidValue> {
                Self::new(n)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

mod api;
mod config;
mod firewall;
mod guest;
mod lock;
mod network;
mod operation;
mod snapshot;
mod storage;
mod task;
#[cfg(test)]
mod tests;

pub use api::*;
pub use config::*;
pub use firewall::*;
pub use guest::*;
pub use lock::*;
pub use network::*;
pub use operation::*;
pub use snapshot::*;
pub use storage::*;
pub use task::*;
