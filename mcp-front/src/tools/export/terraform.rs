//! A guest's configuration as Terraform for the `bpg/proxmox` provider: a
//! `proxmox_virtual_environment_vm` or `proxmox_virtual_environment_container`
//! resource, written with `hcl-rs` (which escapes quotes, `${` and control characters in
//! strings). What the provider has no attribute for is left out and named in a comment,
//! secrets (the keys the helper redacted) too; no value of theirs is ever written.
//! Where Proxmox's default differs from the provider's (`onboot`, `scsihw`, the CPU
//! type, container swap), the attribute is written even when the configuration omits
//! the key, so that applying the export keeps the guest as it is.
//!
//! Input is a configuration the helper judged and redacted; its values are data, written
//! only inside HCL string literals, with hidden characters as `\uXXXX` escapes.

use super::props::{Props, flag, percent_decode, size_gib, storage_of};
use crate::render::untrusted::{self, is_hidden};
use hcl::{Attribute, Block, Body, Expression, Structure};
use pve_mcp_proto::GuestType;
use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write,
};

/// The provider the export is written for.
pub const PROVIDER: &str = "bpg/proxmox";

/// Keys Proxmox maintains itself: never part of what a guest is configured to be.
const GENERATED: &[&str] = &[
    "digest",
    "meta",
    "vmgenid",
    "lock",
    "parent",
    "runningmachine",
    "runningcpu",
];

/// The guest to export.
#[derive(Debug)]
pub struct Guest<'a> {
    pub vmid: u32,
    pub kind: GuestType,
    pub node: &'a str,
    pub config: &'a BTreeMap<String, String>,
    /// Keys whose value (or part of it) the helper redacted.
    pub redacted: &'a [String],
    /// The pool it is in, and whether it runs, when its status was read.
    pub pool: Option<&'a str>,
    pub running: Option<bool>,
}

/// The export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// `proxmox_virtual_environment_vm.web_01`.
    pub resource: String,
    pub hcl: String,
    /// Redacted keys, left out.
    pub secrets: Vec<String>,
    /// Keys the export has no attribute for, left out.
    pub left_out: Vec<String>,
}

/// The configuration, each key taken at most once; what is never taken is left out.
struct Config<'a> {
    map: &'a BTreeMap<String, String>,
    secret: BTreeSet<&'a str>,
    taken: BTreeSet<String>,
}

impl<'a> Config<'a> {
    /// The value of `key`, unless it is a secret, without taking it.
    fn peek(&self, key: &str) -> Option<&'a str> {
        if self.secret.contains(key) {
            return None;
        }
        self.map.get(key).map(String::as_str)
    }

    /// The value of `key`, unless it is a secret.
    fn take(&mut self, key: &str) -> Option<&'a str> {
        if self.secret.contains(key) {
            return None;
        }
        let (k, v) = self.map.get_key_value(key)?;
        self.taken.insert(k.clone());
        Some(v)
    }

    /// The value of `key` as a whole number, unless it is a secret or not a number.
    fn take_u64(&mut self, key: &str) -> Option<u64> {
        self.take(key).and_then(|v| v.parse().ok())
    }

    /// Every key `prefix` + a number, in numeric order, with its number.
    fn numbered(&self, prefix: &str) -> Vec<(u32, &'a str)> {
        let mut keys: Vec<(u32, &'a str)> = self
            .map
            .keys()
            .filter_map(|k| {
                let n = k.strip_prefix(prefix)?;
                (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| n.parse().ok().map(|n| (n, k.as_str())))?
            })
            .collect();
        keys.sort_unstable();
        keys
    }
}

/// Attributes and blocks of one HCL body, added in order.
#[derive(Default)]
struct Section(Vec<Structure>);

impl Section {
    fn attr(&mut self, key: &str, value: impl Into<Expression>) {
        self.0.push(Attribute::new(key, value).into());
    }

    fn opt<T: Into<Expression>>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.attr(key, v);
        }
    }

    /// The block, unless it would be empty.
    fn block(&mut self, ident: &str, inner: Section) {
        if !inner.0.is_empty() {
            self.0
                .push(Block::builder(ident).add_structures(inner.0).build().into());
        }
    }
}

fn list(items: impl IntoIterator<Item = impl Into<String>>) -> Expression {
    Expression::from(
        items
            .into_iter()
            .map(|s| Expression::from(s.into()))
            .collect::<Vec<_>>(),
    )
}

/// A resource label from the guest's name: `web-01` -> `web_01`.
fn label(name: Option<&str>, vmid: u32) -> String {
    let mut out = String::new();
    for c in name.unwrap_or_default().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    match out.chars().next() {
        None => format!("guest_{vmid}"),
        Some(c) if c.is_ascii_digit() => format!("guest_{out}"),
        Some(_) => out.to_owned(),
    }
}

/// Tags as Proxmox stores them (`a;b`, also `,` or spaces).
fn tags(v: &str) -> Vec<&str> {
    v.split([';', ',', ' ']).filter(|t| !t.is_empty()).collect()
}

/// `order=3,up=60,down=60` as a `startup` block.
fn startup(out: &mut Section, v: Option<&str>) {
    let Some(p) = v.map(Props::parse) else { return };
    let mut s = Section::default();
    s.opt("order", p.number("order"));
    s.opt("up_delay", p.number("up"));
    s.opt("down_delay", p.number("down"));
    out.block("startup", s);
}

/// `searchdomain` and `nameserver` as a `dns` block.
fn dns(c: &mut Config<'_>, out: &mut Section) {
    let mut d = Section::default();
    d.opt("domain", c.take("searchdomain"));
    if let Some(servers) = c.take("nameserver") {
        d.attr("servers", list(servers.split_whitespace()));
    }
    out.block("dns", d);
}

/// `ip=`, `gw=`, `ip6=`, `gw6=` of an `ipconfigN` or a container's `netN`.
fn ip_config(p: &Props) -> Section {
    let mut ip = Section::default();
    for (version, addr, gw) in [("ipv4", "ip", "gw"), ("ipv6", "ip6", "gw6")] {
        let mut s = Section::default();
        s.opt("address", p.get(addr));
        s.opt("gateway", p.get(gw));
        ip.block(version, s);
    }
    ip
}

/// A rate in MB/s, as a number Terraform reads.
fn rate(p: &Props) -> Option<f64> {
    p.get("rate").and_then(|r| r.parse::<f64>().ok())
}

fn vm(c: &mut Config<'_>, g: &Guest<'_>, out: &mut Section) {
    out.opt("name", c.take("name"));
    out.opt("description", c.take("description"));
    out.attr("node_name", g.node);
    out.attr("vm_id", u64::from(g.vmid));
    out.opt("pool_id", g.pool);
    if let Some(t) = c.take("tags") {
        out.attr("tags", list(tags(t)));
    }
    out.attr("on_boot", c.take("onboot").and_then(flag).unwrap_or(false));
    out.opt("started", g.running);
    if c.take("template").and_then(flag) == Some(true) {
        out.attr("template", true);
    }
    out.opt("acpi", c.take("acpi").and_then(flag));
    out.opt("tablet_device", c.take("tablet").and_then(flag));
    out.opt("bios", c.take("bios"));
    out.opt("machine", c.take("machine"));
    out.opt("keyboard_layout", c.take("keyboard"));
    out.attr("scsi_hardware", c.take("scsihw").unwrap_or("lsi"));
    // Only the `order=` form; the legacy `cdn` letters are left out.
    let boot = c.peek("boot").map(Props::parse);
    if let Some(devices) = boot.as_ref().and_then(|b| b.get("order")) {
        c.take("boot");
        out.attr(
            "boot_order",
            list(devices.split(';').filter(|d| !d.is_empty())),
        );
    }
    if let Some(p) = c.take("agent").map(Props::parse) {
        let mut a = Section::default();
        let enabled = p.head.as_deref().and_then(flag).or(p.flag("enabled"));
        a.attr("enabled", enabled.unwrap_or(false));
        a.opt("trim", p.flag("fstrim_cloned_disks"));
        a.opt("type", p.get("type"));
        out.block("agent", a);
    }

    let mut cpu = Section::default();
    cpu.opt("cores", c.take_u64("cores"));
    cpu.opt("sockets", c.take_u64("sockets"));
    let model = c.take("cpu").map(Props::parse).unwrap_or_default();
    cpu.attr(
        "type",
        model
            .head
            .as_deref()
            .or(model.get("cputype"))
            .unwrap_or("kvm64"),
    );
    if let Some(flags) = model.get("flags") {
        cpu.attr("flags", list(flags.split(';').filter(|f| !f.is_empty())));
    }
    cpu.opt("hotplugged", c.take_u64("vcpus"));
    cpu.opt(
        "limit",
        c.take("cpulimit").and_then(|v| v.parse::<f64>().ok()),
    );
    cpu.opt("units", c.take_u64("cpuunits"));
    cpu.opt("numa", c.take("numa").and_then(flag));
    out.block("cpu", cpu);

    let mut memory = Section::default();
    memory.opt("dedicated", c.take_u64("memory"));
    memory.opt("floating", c.take_u64("balloon"));
    memory.opt("shared", c.take_u64("shares"));
    out.block("memory", memory);

    let mut os = Section::default();
    os.opt("type", c.take("ostype"));
    out.block("operating_system", os);

    vm_drives(c, out);
    vm_network(c, out);
    vm_initialization(c, out);

    if let Some(p) = c.take("vga").map(Props::parse) {
        let mut v = Section::default();
        v.opt("type", p.head.as_deref().or(p.get("type")));
        v.opt("memory", p.number("memory"));
        out.block("vga", v);
    }
    for (_, key) in c.numbered("serial") {
        if let Some(device) = c.take(key) {
            let mut s = Section::default();
            s.attr("device", device);
            out.block("serial_device", s);
        }
    }
    startup(out, c.take("startup"));
}

/// Buses whose numbered keys are a VM's drives, in the order the provider lists them.
const BUSES: [&str; 4] = ["scsi", "virtio", "sata", "ide"];

fn vm_drives(c: &mut Config<'_>, out: &mut Section) {
    for bus in BUSES {
        for (_, key) in c.numbered(bus) {
            let Some(p) = c.peek(key).map(Props::parse) else {
                continue;
            };
            let head = p.head.clone().unwrap_or_default();
            if head.contains("cloudinit") {
                // The cloud-init drive: `initialization` says where it goes.
                continue;
            }
            if p.get("media") == Some("cdrom") {
                c.take(key);
                let mut d = Section::default();
                d.attr("enabled", true);
                d.attr("file_id", head);
                d.attr("interface", key);
                out.block("cdrom", d);
                continue;
            }
            let (Some(storage), Some(size)) = (storage_of(&head), p.get("size").and_then(size_gib))
            else {
                continue;
            };
            if bus == "ide" {
                continue;
            }
            c.take(key);
            let mut d = Section::default();
            d.attr("interface", key);
            d.attr("datastore_id", storage);
            d.attr("size", size);
            let format = p.get("format").unwrap_or(match head.rsplit('.').next() {
                Some("qcow2") => "qcow2",
                Some("vmdk") => "vmdk",
                _ => "raw",
            });
            d.attr("file_format", format);
            d.opt("iothread", p.flag("iothread"));
            d.opt("ssd", p.flag("ssd"));
            d.opt("discard", p.get("discard"));
            d.opt("cache", p.get("cache"));
            d.opt("aio", p.get("aio"));
            d.opt("backup", p.flag("backup"));
            d.opt("replicate", p.flag("replicate"));
            out.block("disk", d);
        }
    }
    if let Some(p) = c.take("efidisk0").map(Props::parse) {
        let mut e = Section::default();
        e.opt("datastore_id", p.head.as_deref().and_then(storage_of));
        e.opt("file_format", p.get("format"));
        e.opt("type", p.get("efitype"));
        e.opt("pre_enrolled_keys", p.flag("pre-enrolled-keys"));
        out.block("efi_disk", e);
    }
    if let Some(p) = c.take("tpmstate0").map(Props::parse) {
        let mut t = Section::default();
        t.opt("datastore_id", p.head.as_deref().and_then(storage_of));
        t.opt("version", p.get("version"));
        out.block("tpm_state", t);
    }
}

/// Keys of a VM's `netN` that are not its model.
const NET_KEYS: &[&str] = &[
    "bridge",
    "tag",
    "firewall",
    "rate",
    "mtu",
    "queues",
    "link_down",
    "trunks",
    "macaddr",
    "model",
];

fn vm_network(c: &mut Config<'_>, out: &mut Section) {
    for (_, key) in c.numbered("net") {
        let Some(p) = c.take(key).map(Props::parse) else {
            continue;
        };
        let mut n = Section::default();
        n.opt("bridge", p.get("bridge"));
        let model = p.keys.iter().find(|(k, _)| !NET_KEYS.contains(&k.as_str()));
        n.opt("model", model.map(|(k, _)| k.as_str()).or(p.get("model")));
        n.opt(
            "mac_address",
            model.map(|(_, v)| v.as_str()).or(p.get("macaddr")),
        );
        n.opt("vlan_id", p.number("tag"));
        n.opt("firewall", p.flag("firewall"));
        n.opt("mtu", p.number("mtu"));
        n.opt("queues", p.number("queues"));
        n.opt("rate_limit", rate(&p));
        n.opt("trunks", p.get("trunks"));
        if p.flag("link_down") == Some(true) {
            n.attr("enabled", false);
        }
        out.block("network_device", n);
    }
}

fn vm_initialization(c: &mut Config<'_>, out: &mut Section) {
    let mut init = Section::default();
    let drive = BUSES
        .iter()
        .flat_map(|bus| c.numbered(bus))
        .find(|(_, key)| {
            c.peek(key)
                .and_then(|v| Props::parse(v).head)
                .is_some_and(|h| h.contains("cloudinit"))
        });
    if let Some((_, key)) = drive
        && let Some(value) = c.take(key)
    {
        init.opt(
            "datastore_id",
            Props::parse(value).head.as_deref().and_then(storage_of),
        );
        init.attr("interface", key);
    }
    dns(c, &mut init);
    for (_, key) in c.numbered("ipconfig") {
        if let Some(p) = c.take(key).map(Props::parse) {
            init.block("ip_config", ip_config(&p));
        }
    }
    let mut user = Section::default();
    user.opt("username", c.take("ciuser"));
    if let Some(keys) = c.take("sshkeys") {
        let keys = percent_decode(keys);
        user.attr(
            "keys",
            list(keys.lines().map(str::trim).filter(|k| !k.is_empty())),
        );
    }
    init.block("user_account", user);
    if let Some(p) = c.take("cicustom").map(Props::parse) {
        for (part, attr) in [
            ("user", "user_data_file_id"),
            ("network", "network_data_file_id"),
            ("vendor", "vendor_data_file_id"),
            ("meta", "meta_data_file_id"),
        ] {
            init.opt(attr, p.get(part));
        }
    }
    out.block("initialization", init);
}

fn container(c: &mut Config<'_>, g: &Guest<'_>, out: &mut Section) {
    out.opt("description", c.take("description"));
    out.attr("node_name", g.node);
    out.attr("vm_id", u64::from(g.vmid));
    out.opt("pool_id", g.pool);
    if let Some(t) = c.take("tags") {
        out.attr("tags", list(tags(t)));
    }
    out.attr(
        "start_on_boot",
        c.take("onboot").and_then(flag).unwrap_or(false),
    );
    out.opt("started", g.running);
    if c.take("template").and_then(flag) == Some(true) {
        out.attr("template", true);
    }
    out.opt("unprivileged", c.take("unprivileged").and_then(flag));
    out.opt("protection", c.take("protection").and_then(flag));

    let mut init = Section::default();
    init.opt("hostname", c.take("hostname"));
    dns(c, &mut init);
    let nets: Vec<Props> = c
        .numbered("net")
        .into_iter()
        .filter_map(|(_, key)| c.take(key).map(Props::parse))
        .collect();
    for p in &nets {
        init.block("ip_config", ip_config(p));
    }
    out.block("initialization", init);

    let mut cpu = Section::default();
    cpu.opt("architecture", c.take("arch"));
    cpu.opt("cores", c.take_u64("cores"));
    cpu.opt("units", c.take_u64("cpuunits"));
    out.block("cpu", cpu);

    let mut memory = Section::default();
    memory.opt("dedicated", c.take_u64("memory"));
    memory.attr("swap", c.take_u64("swap").unwrap_or(512));
    out.block("memory", memory);

    if let Some(p) = c.peek("rootfs").map(Props::parse)
        && let (Some(storage), Some(size)) = (
            p.head.as_deref().and_then(storage_of),
            p.get("size").and_then(size_gib),
        )
    {
        c.take("rootfs");
        let mut d = Section::default();
        d.attr("datastore_id", storage);
        d.attr("size", size);
        out.block("disk", d);
    }
    for (_, key) in c.numbered("mp") {
        let Some(p) = c.take(key).map(Props::parse) else {
            continue;
        };
        let head = p.head.clone().unwrap_or_default();
        let mut m = Section::default();
        // A bind mount names a host path; a volume, the storage it is allocated on.
        m.attr(
            "volume",
            if head.starts_with('/') {
                head.as_str()
            } else {
                storage_of(&head).unwrap_or(head.as_str())
            },
        );
        m.opt("path", p.get("mp"));
        m.opt("size", p.get("size"));
        m.opt("backup", p.flag("backup"));
        m.opt("read_only", p.flag("ro"));
        m.opt("quota", p.flag("quota"));
        m.opt("replicate", p.flag("replicate"));
        m.opt("shared", p.flag("shared"));
        m.opt("acl", p.flag("acl"));
        if let Some(o) = p.get("mountoptions") {
            m.attr(
                "mount_options",
                list(o.split(';').filter(|o| !o.is_empty())),
            );
        }
        out.block("mount_point", m);
    }
    for p in &nets {
        let mut n = Section::default();
        n.opt("name", p.get("name"));
        n.opt("bridge", p.get("bridge"));
        n.opt("mac_address", p.get("hwaddr"));
        n.opt("vlan_id", p.number("tag"));
        n.opt("firewall", p.flag("firewall"));
        n.opt("mtu", p.number("mtu"));
        n.opt("rate_limit", rate(p));
        if p.flag("link_down") == Some(true) {
            n.attr("enabled", false);
        }
        out.block("network_interface", n);
    }

    let mut os = Section::default();
    os.attr(
        "template_file_id",
        "var.template_file_id"
            .parse::<Expression>()
            .unwrap_or_else(|_| Expression::from("")),
    );
    os.opt("type", c.take("ostype"));
    out.block("operating_system", os);

    if let Some(p) = c.take("features").map(Props::parse) {
        let mut f = Section::default();
        f.opt("nesting", p.flag("nesting"));
        f.opt("fuse", p.flag("fuse"));
        f.opt("keyctl", p.flag("keyctl"));
        if let Some(m) = p.get("mount") {
            f.attr("mount", list(m.split(';').filter(|m| !m.is_empty())));
        }
        out.block("features", f);
    }
    let mut console = Section::default();
    console.opt("enabled", c.take("console").and_then(flag));
    console.opt("type", c.take("cmode"));
    console.opt("tty_count", c.take_u64("tty"));
    out.block("console", console);
    startup(out, c.take("startup"));
}

/// Writes `s` with every hidden character (see [`is_hidden`]) but the line feed as an
/// HCL `\u` escape. The formatter writes line feeds only between lines and escapes
/// control characters in strings itself; the others can only be in string literals:
/// labels are made of ASCII, the comments name keys already escaped for display.
fn escape_hidden(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match u32::from(c) {
            _ if c == '\n' => out.push(c),
            n if is_hidden(c) && n <= 0xFFFF => {
                let _ = write!(out, "\\u{n:04X}");
            }
            n if is_hidden(c) => {
                let _ = write!(out, "\\U{n:08X}");
            }
            _ => out.push(c),
        }
    }
    out
}

/// `a, b, c`, each escaped for display in a comment line.
fn names(keys: &[String]) -> String {
    keys.iter()
        .map(|k| untrusted::line(k).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The export of `g`.
pub fn export(g: &Guest<'_>) -> Export {
    let mut c = Config {
        map: g.config,
        secret: g.redacted.iter().map(String::as_str).collect(),
        taken: BTreeSet::new(),
    };
    let (kind, words) = match g.kind {
        GuestType::Qemu => ("proxmox_virtual_environment_vm", "VM"),
        GuestType::Lxc => ("proxmox_virtual_environment_container", "Container"),
    };
    let name = match g.kind {
        GuestType::Qemu => g.config.get("name"),
        GuestType::Lxc => g.config.get("hostname"),
    };
    let label = label(name.map(String::as_str), g.vmid);
    let mut body = Section::default();
    match g.kind {
        GuestType::Qemu => vm(&mut c, g, &mut body),
        GuestType::Lxc => container(&mut c, g, &mut body),
    }
    let resource = Block::builder("resource")
        .add_label(kind)
        .add_label(label.as_str())
        .add_structures(body.0)
        .build();

    let mut structures: Vec<Structure> = Vec::new();
    if g.kind == GuestType::Lxc {
        structures.push(
            Block::builder("variable")
                .add_label("template_file_id")
                .add_attribute((
                    "description",
                    "The template the container was made from, e.g. \
                     local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst (its configuration \
                     does not record it)",
                ))
                .build()
                .into(),
        );
    }
    structures.push(resource.into());
    let body: Body = Body::builder().add_structures(structures).build();
    let formatted = hcl::to_string(&body).unwrap_or_default();

    let secrets: Vec<String> = g
        .redacted
        .iter()
        .filter(|k| g.config.contains_key(*k))
        .cloned()
        .collect();
    let left_out: Vec<String> = g
        .config
        .keys()
        .filter(|k| {
            !c.taken.contains(*k)
                && !c.secret.contains(k.as_str())
                && !GENERATED.contains(&k.as_str())
        })
        .cloned()
        .collect();

    let mut hcl = format!(
        "# {words} {} on node {}, as pve-mcp read its configuration, for the {PROVIDER} \
         provider.\n# To manage it rather than create another: terraform import \
         {kind}.{label} {}/{}\n",
        g.vmid, g.node, g.node, g.vmid
    );
    if !secrets.is_empty() {
        let _ = writeln!(
            hcl,
            "# Left out, secrets (set them from a sensitive variable): {}",
            names(&secrets)
        );
    }
    if !left_out.is_empty() {
        let _ = writeln!(hcl, "# Left out, not exported: {}", names(&left_out));
    }
    hcl.push_str(&escape_hidden(&formatted));
    Export {
        resource: format!("{kind}.{label}"),
        hcl,
        secrets,
        left_out,
    }
}
