//! A guest configuration file as Proxmox writes it (what `vzdump/extractconfig`
//! returns from a backup), read as Proxmox's own parsers read it (qemu-server's
//! `parse_vm_config`, pve-container's `parse_pct_config`): the current settings, every
//! other section (snapshots, `[PENDING]`, `[pve:pending]`, `[special:cloudinit]`),
//! raw `lxc.*` keys written with `:` or `=`, and every line neither parser would
//! read. The text comes from a backup anyone may have written: hostile. Also
//! [`GuestSettings`], a guest's configuration as key → value text, which everything
//! that judges settings (the floor, `[bounds]`, `decide`) reads.

use std::collections::BTreeMap;

/// A guest's configuration as key → value text, as Proxmox reports it.
pub type GuestSettings = BTreeMap<String, String>;

/// A configuration file, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// The settings before the first section: what a restore gives the guest.
    pub main: GuestSettings,
    /// Every other section, by its header (`[snap1]`, `[PENDING]`, ...).
    pub sections: Vec<(String, GuestSettings)>,
    /// Lines no Proxmox parser reads as settings.
    pub unreadable: Vec<String>,
}

impl From<GuestSettings> for ConfigFile {
    fn from(main: GuestSettings) -> Self {
        Self {
            main,
            ..Self::default()
        }
    }
}

impl ConfigFile {
    /// Every setting of every section, the current ones first.
    pub fn all_settings(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once(&self.main)
            .chain(self.sections.iter().map(|(_, s)| s))
            .flat_map(|s| s.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Reads `text` line by line, as Proxmox does: blank lines skipped; `[...]`
    /// starts a section; `#` lines are the description; `lxc.KEY: VALUE` and
    /// `lxc.KEY = VALUE` are raw LXC keys; `KEY: VALUE` a setting.
    pub fn parse(text: &str) -> Self {
        let mut file = Self::default();
        let mut current: Option<(String, GuestSettings)> = None;
        let mut description: Vec<String> = Vec::new();
        let flush_description = |settings: &mut GuestSettings, d: &mut Vec<String>| {
            if !d.is_empty() {
                settings
                    .entry("description".to_owned())
                    .or_insert_with(|| d.join("\n"));
                d.clear();
            }
        };
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with('[') && line.trim_end().ends_with(']') {
                match &mut current {
                    Some((_, s)) => flush_description(s, &mut description),
                    None => flush_description(&mut file.main, &mut description),
                }
                if let Some(done) = current.take() {
                    file.sections.push(done);
                }
                current = Some((line.trim_end().to_owned(), GuestSettings::new()));
                continue;
            }
            let settings = match &mut current {
                Some((_, s)) => s,
                None => &mut file.main,
            };
            if let Some(d) = line.strip_prefix('#') {
                description.push(d.to_owned());
                continue;
            }
            match read_line(line) {
                Some((k, v)) => {
                    settings.insert(k, v);
                }
                None => file.unreadable.push(line.chars().take(120).collect()),
            }
        }
        match &mut current {
            Some((_, s)) => flush_description(s, &mut description),
            None => flush_description(&mut file.main, &mut description),
        }
        if let Some(done) = current.take() {
            file.sections.push(done);
        }
        file
    }
}

/// One setting line: `lxc.KEY` with `:` or `=` (pve-container), or
/// `^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$`.
fn read_line(line: &str) -> Option<(String, String)> {
    if line.starts_with("lxc.") {
        let end = line
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c)))
            .unwrap_or(line.len());
        let (key, rest) = line.split_at(end);
        let rest = rest.trim_start();
        let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
        return Some((key.to_owned(), value.trim().to_owned()));
    }
    let (key, value) = line.split_once(':')?;
    let bytes = key.as_bytes();
    let ok = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-');
    let value = value.trim();
    (ok && !value.is_empty()).then(|| (key.to_owned(), value.to_owned()))
}

/// The current settings of a configuration file (the description from its `#`
/// lines).
pub fn parse_config_text(text: &str) -> GuestSettings {
    ConfigFile::parse(text).main
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_raw_lxc_keys_and_unreadable_lines_are_all_read() {
        let f = ConfigFile::parse(
            "#web\n#server\ncores: 2\nmemory: 2048\ntags: lab;mcp\n\
             lxc.apparmor.profile = unconfined\nlxc.cgroup2.devices.allow: c 10:200 rwm\n\
             \n[snap1]\ncores: 64\nhostpci0: 0000:01:00.0\n\
             [PENDING]\nargs: -monitor stdio\n\
             Cores: 1\n:x\nnot a line\n",
        );
        assert_eq!(f.main.get("cores").map(String::as_str), Some("2"));
        assert_eq!(
            f.main.get("description").map(String::as_str),
            Some("web\nserver")
        );
        assert_eq!(
            f.main.get("lxc.apparmor.profile").map(String::as_str),
            Some("unconfined")
        );
        assert_eq!(
            f.main.get("lxc.cgroup2.devices.allow").map(String::as_str),
            Some("c 10:200 rwm")
        );
        assert_eq!(f.sections.len(), 2);
        assert_eq!(f.sections[0].0, "[snap1]");
        assert_eq!(
            f.sections[0].1.get("hostpci0").map(String::as_str),
            Some("0000:01:00.0")
        );
        assert_eq!(
            f.sections[1].1.get("args").map(String::as_str),
            Some("-monitor stdio")
        );
        assert_eq!(f.unreadable, ["Cores: 1", ":x", "not a line"]);
        assert!(f.all_settings().any(|(k, _)| k == "hostpci0"));
    }
}
