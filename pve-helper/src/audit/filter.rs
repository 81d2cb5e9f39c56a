//! Which records `pve-helper audit` shows: a time window, a client, a guest, a kind
//! of decision. The admin's command-line words are parsed here; times without a
//! zone are the node's local time, as `journalctl --since` reads them.

use super::entry::Entry;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Which decisions to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionFilter {
    /// Allowed and carried out (whatever Proxmox then answered).
    Allow,
    /// Everything refused: denied, not found, needing confirmation, rate limited,
    /// undecidable, and connections refused.
    Deny,
    /// Refused by a rule of the policy or its fixed floor.
    Denied,
    /// A guest out of scope.
    #[value(alias = "not_found")]
    NotFound,
    /// Waiting for the user's confirmation.
    Confirm,
    /// Over the rate or concurrency limit.
    Limited,
    /// Allowed (or confirmable) and answered as a plan: nothing was done.
    Plan,
}

impl DecisionFilter {
    fn admits(self, decision: &str) -> bool {
        match self {
            Self::Allow => decision == "allow",
            Self::Deny => decision != "allow" && decision != "plan",
            Self::Denied => decision == "deny",
            Self::NotFound => decision == "not_found",
            Self::Confirm => decision == "confirm",
            Self::Limited => decision == "limited",
            Self::Plan => decision == "plan",
        }
    }
}

/// A local user, by name or uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFilter {
    Uid(u32),
    Name(String),
}

/// The records to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub client: Option<ClientFilter>,
    pub guest: Option<u32>,
    pub decision: Option<DecisionFilter>,
    /// Also the front's reads of its own permissions (`describe`), which every
    /// session makes and which reveal nothing of the cluster.
    pub describe: bool,
}

impl Filter {
    /// Whether `e`, made by the user called `client` (if known), is shown.
    pub fn admits(&self, e: &Entry, client: Option<&str>) -> bool {
        (self.describe || e.tool != "describe")
            && self.since.is_none_or(|t| e.time >= t)
            && self.until.is_none_or(|t| e.time < t)
            && self.guest.is_none_or(|g| e.guest == Some(g))
            && self.decision.is_none_or(|d| d.admits(&e.decision))
            && match &self.client {
                None => true,
                Some(ClientFilter::Uid(u)) => e.uid == Some(*u),
                Some(ClientFilter::Name(n)) => client == Some(n.as_str()),
            }
    }
}

impl std::str::FromStr for ClientFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<u32>() {
            Ok(uid) => Ok(Self::Uid(uid)),
            Err(_) if !s.is_empty() => Ok(Self::Name(s.to_owned())),
            Err(_) => Err("an empty user name".into()),
        }
    }
}

/// A point in time as the admin writes it: `today`, `yesterday`, `now`; an age
/// (`2h`, `30min`, `7d`); a local date or date and time (`2026-12-06`,
/// `2026-12-06 14:30`, `2026-12-06T14:30:00`); or RFC 3339 with a zone.
pub fn parse_when(s: &str, now: DateTime<Local>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let midnight = |days_back: u64| {
        let day = now.date_naive() - chrono::Days::new(days_back);
        local(day.and_hms_opt(0, 0, 0).unwrap_or_default())
    };
    match s {
        "now" => return Ok(now.with_timezone(&Utc)),
        "today" => return midnight(0),
        "yesterday" => return midnight(1),
        _ => {}
    }
    if let Ok(age) = humantime::parse_duration(s) {
        let age = chrono::Duration::from_std(age).map_err(|_| format!("{s:?} is too long ago"))?;
        return now
            .checked_sub_signed(age)
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{s:?} is too long ago"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return local(t);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(day.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    Err(format!(
        "{s:?} is not a time: try today, yesterday, 2h, 7d, 2026-12-06 or \"2026-12-06 14:30\""
    ))
}

/// A local time without a zone; the earlier of two when the clock went back.
fn local(t: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    Local
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{t} does not exist in the local time zone"))
}

#[cfg(test)]
mod tests;
