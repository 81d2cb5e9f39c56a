//! Port lists as Proxmox spells them (`22`, `8000:8999`, `22,80,443`) and whether a
//! rule's list lies wholly inside the allowed ports. Service names (`ssh`, read from
//! `/etc/services` by Proxmox) are refused: only numbers are judged.

/// Allowed ports: inclusive ranges, sorted and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    /// The set of the policy's entries, each a port or a range `LOW:HIGH`.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for e in entries {
            ranges.push(range(e)?);
        }
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::new();
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        Ok(Self(merged))
    }

    fn covers(&self, (lo, hi): (u16, u16)) -> bool {
        self.0.iter().any(|&(a, b)| a <= lo && hi <= b)
    }

    /// Whether every port of the rule's list `value` is allowed.
    pub fn judge(&self, field: &str, value: &str) -> Result<(), String> {
        for item in value.split(',') {
            let r = range(item).map_err(|e| format!("{field} {value:?}: {e}"))?;
            if !self.covers(r) {
                return Err(format!(
                    "{field} {item:?} is outside [firewall] {field}s{}",
                    self.shown()
                ));
            }
        }
        Ok(())
    }

    /// Whether every port (a rule without the field) is allowed.
    pub fn judge_all(&self, field: &str) -> Result<(), String> {
        if self.covers((0, u16::MAX)) {
            return Ok(());
        }
        Err(format!(
            "a rule without {field} matches every port, outside [firewall] {field}s{}; give \
             {field}",
            self.shown()
        ))
    }

    fn shown(&self) -> String {
        if self.0.is_empty() {
            return " (it lists none)".into();
        }
        let items: Vec<String> = self
            .0
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}:{b}")
                }
            })
            .collect();
        format!(" ({})", items.join(", "))
    }
}

/// One port or `LOW:HIGH`, digits only.
fn range(item: &str) -> Result<(u16, u16), String> {
    let number = |s: &str| -> Result<u16, String> {
        if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{item:?} is not a port number or a range LOW:HIGH of them (service names are \
                 not judged)"
            ));
        }
        s.parse::<u16>()
            .map_err(|_| format!("{item:?}: a port is at most 65535"))
    };
    let (lo, hi) = match item.split_once(':') {
        Some((lo, hi)) => (number(lo)?, number(hi)?),
        None => {
            let p = number(item)?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(format!("{item:?}: the range is backwards"));
    }
    Ok((lo, hi))
}
