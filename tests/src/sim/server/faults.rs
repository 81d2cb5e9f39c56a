//! Injectable faults for fault-tolerance tests: added latency, error statuses, hangs,
//! connection resets mid-body and garbage bodies. Set from [`crate::sim::SimHandle::set_faults`]
//! or `POST /_sim/faults` (JSON, see [`Faults`]); they apply to `/api2/...` requests only.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The faults to inject. JSON form (all fields optional):
/// `{"latency_ms":50,"fail_status":[503,"Service Unavailable"],"hang":false,
///   "reset":false,"garbage":false,"count":3,"path_prefix":"/api2/json/cluster"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay added before every answer (also hung and failed ones).
    #[serde(rename = "latency_ms", with = "millis")]
    pub latency: Duration,
    /// Answer with this status and message (PVE's error shape: reason phrase and
    /// `{"data":null,"message":...}`).
    pub fail_status: Option<(u16, String)>,
    /// Read the request, then never answer (until the simulator shuts down).
    pub hang: bool,
    /// Send the headers and half the body, then drop the connection.
    pub reset: bool,
    /// Answer 200 with a body that is not valid JSON.
    pub garbage: bool,
    /// Apply `fail_status`/`hang`/`reset`/`garbage` to this many requests, then clear them
    /// (latency stays); `None` = until changed.
    pub count: Option<u64>,
    /// Only requests whose path starts with this are affected (latency included).
    pub path_prefix: Option<String>,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    None,
    Fail(u16, String),
    Hang,
    Reset,
    Garbage,
}

/// The body sent by the `garbage` fault.
pub const GARBAGE_BODY: &[u8] = b"{\"data\":[{\"id\":\"qemu/100\",\"vmid\":100,\"status\":<html>";

impl Faults {
    /// Whether any fault other than latency is set.
    fn has_action(&self) -> bool {
        self.fail_status.is_some() || self.hang || self.reset || self.garbage
    }

    /// Decides the fault for a request to `path` and counts it down.
    pub fn decide(&mut self, path: &str) -> (Duration, FaultAction) {
        if let Some(prefix) = &self.path_prefix
            && !path.starts_with(prefix.as_str())
        {
            return (Duration::ZERO, FaultAction::None);
        }
        if !self.has_action() || self.count == Some(0) {
            return (self.latency, FaultAction::None);
        }
        let action = if self.hang {
            FaultAction::Hang
        } else if self.reset {
            FaultAction::Reset
        } else if self.garbage {
            FaultAction::Garbage
        } else if let Some((code, msg)) = &self.fail_status {
            FaultAction::Fail(*code, msg.clone())
        } else {
            FaultAction::None
        };
        if let Some(n) = self.count.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.fail_status = None;
                self.hang = false;
                self.reset = false;
                self.garbage = false;
                self.count = None;
            }
        }
        (self.latency, action)
    }

    /// Checks values a client sent: the status must be a valid HTTP status.
    pub fn validate(&self) -> Result<(), String> {
        match &self.fail_status {
            Some((code, _)) if !(100..=999).contains(code) => {
                Err(format!("fail_status {code} is not an HTTP status"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_clears() {
        let mut f = Faults {
            fail_status: Some((503, "busy".into())),
            count: Some(2),
            latency: Duration::from_millis(5),
            ..Faults::default()
        };
        assert_eq!(
            f.decide("/api2/json/x").1,
            FaultAction::Fail(503, "busy".into())
        );
        assert_eq!(
            f.decide("/api2/json/x").1,
            FaultAction::Fail(503, "busy".into())
        );
        assert_eq!(
            f.decide("/api2/json/x"),
            (Duration::from_millis(5), FaultAction::None)
        );
    }

    #[test]
    fn path_prefix_limits_faults() {
        let mut f = Faults {
            hang: true,
            path_prefix: Some("/api2/json/cluster".into()),
            ..Faults::default()
        };
        assert_eq!(f.decide("/api2/json/nodes").1, FaultAction::None);
        assert_eq!(
            f.decide("/api2/json/cluster/resources").1,
            FaultAction::Hang
        );
    }

    #[test]
    fn json_form() -> Result<(), serde_json::Error> {
        let f: Faults = serde_json::from_str(r#"{"latency_ms":20,"garbage":true}"#)?;
        assert_eq!(f.latency, Duration::from_millis(20));
        assert!(f.garbage);
        assert!(serde_json::from_str::<Faults>(r#"{"bogus":1}"#).is_err());
        Ok(())
    }
}
