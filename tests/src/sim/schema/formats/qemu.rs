//! The formats qemu-server registers: drive paths and names, boot order, hotplug
//! features, CPU sets, and the property strings the schema only names (written out
//! here from qemu-server's sources): cloud-init IP configs and custom files, watchdog,
//! RNG, SMBIOS, PCI passthrough, the VM's CPU (with its validator), AMD SEV and Intel
//! TDX; `pve-qm-ide` is the IDE drive format the schema prints for `ide[n]`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::super::Api;
use super::super::pattern::is;
use super::storage::volume_id;
use super::{CodeFormat, Registered, fail, written};
use crate::sim::schema::perl_values::Raw;
use crate::sim::schema::version::PveVersion;

pub(super) fn lookup(name: &str, version: PveVersion) -> Option<Registered> {
    let code: CodeFormat = match name {
        "pve-volume-id-or-qm-path" => |v, _| volume_id_or_qm_path(v),
        "pve-volume-id-or-absolute-path" => |v, _| volume_id_or_absolute_path(v),
        "pve-qm-bootdisk" => bootdisk,
        "pve-qm-bootdev" => bootdev,
        "pve-hotplug-features" => hotplug_features,
        "pve-cpuset" => cpuset,
        "pve-phys-bits" => phys_bits,
        _ => return hash(name, version),
    };
    Some(Registered::Code(code))
}

fn volume_id_or_absolute_path(v: &str) -> Result<(), String> {
    if v.starts_with('/') {
        return Ok(());
    }
    volume_id(v)
}

fn volume_id_or_qm_path(v: &str) -> Result<(), String> {
    if v == "none" || v == "cdrom" {
        return Ok(());
    }
    volume_id_or_absolute_path(v)
}

/// `name` is `prefix` and a number below `max`, written as Perl writes it.
fn member(v: &str, prefix: &str, max: u32) -> bool {
    v.strip_prefix(prefix)
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .filter(|n| n.len() == 1 || !n.starts_with('0'))
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n < max)
}

/// `is_valid_drivename`: `ide0`-`ide3`, `sata0`-`sata5`, `scsi0`-`scsi30`,
/// `virtio0`-`virtio15`, `efidisk0`, `tpmstate0`.
fn is_drive(v: &str) -> bool {
    member(v, "ide", 4)
        || member(v, "sata", 6)
        || member(v, "scsi", 31)
        || member(v, "virtio", 16)
        || v == "efidisk0"
        || v == "tpmstate0"
}

fn bootdisk(v: &str, _: PveVersion) -> Result<(), String> {
    if is_drive(v) {
        Ok(())
    } else {
        fail(format!("invalid boot disk '{v}'"))
    }
}

/// `verify_bootdev`: a drive (not an EFI or TPM disk), a NIC, a USB or PCI device.
fn bootdev(v: &str, _: PveVersion) -> Result<(), String> {
    let special = v.starts_with("efidisk") || v.starts_with("tpmstate");
    if (is_drive(v) && !special)
        || member(v, "net", 32)
        || member(v, "usb", 14)
        || member(v, "hostpci", 16)
    {
        Ok(())
    } else {
        fail(format!("invalid boot device '{v}'"))
    }
}

/// `parse_hotplug_features`: `0`, `1` (the default set), or a list of features.
fn hotplug_features(v: &str, _: PveVersion) -> Result<(), String> {
    if v == "0" {
        return Ok(());
    }
    let v = if v == "1" { "network,disk,usb" } else { v };
    for feature in super::split_list(v) {
        if !is("^(network|disk|cpu|memory|usb|cloudinit)$", feature) {
            return fail(format!("invalid hotplug feature '{feature}'"));
        }
    }
    Ok(())
}

/// `PVE::CpuSet::parse_cpuset`: CPU numbers and ranges below 8192, comma-separated.
fn cpuset(v: &str, _: PveVersion) -> Result<(), String> {
    let ok = !v.is_empty()
        && v.split(',').all(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let n = |s: &str| s.parse::<u32>().ok().filter(|n| *n < 8192);
            is(r"^\d+(-\d+)?$", part) && matches!((n(a), n(b)), (Some(a), Some(b)) if a <= b)
        });
    if ok {
        Ok(())
    } else {
        fail("unable to parse cpuset option".into())
    }
}

/// `parse_phys_bits`: 8 to 64, or `host`.
fn phys_bits(v: &str, _: PveVersion) -> Result<(), String> {
    let ok = v == "host"
        || (is(r"^\d{1,2}$", v) && v.parse::<u32>().is_ok_and(|n| (8..=64).contains(&n)));
    if ok {
        Ok(())
    } else {
        fail("value must be an integer between 8 and 64 or 'host'".into())
    }
}

const IPCONFIG: &str = r#"{
    "ip": {"type": "string", "format": "pve-ipv4-config", "optional": 1},
    "gw": {"type": "string", "format": "ipv4", "optional": 1, "requires": "ip"},
    "ip6": {"type": "string", "format": "pve-ipv6-config", "optional": 1},
    "gw6": {"type": "string", "format": "ipv6", "optional": 1, "requires": "ip6"}
}"#;

const CICUSTOM: &str = r#"{
    "meta": {"type": "string", "optional": 1, "format": "pve-volume-id"},
    "network": {"type": "string", "optional": 1, "format": "pve-volume-id"},
    "user": {"type": "string", "optional": 1, "format": "pve-volume-id"},
    "vendor": {"type": "string", "optional": 1, "format": "pve-volume-id"}
}"#;

const WATCHDOG: &str = r#"{
    "model": {"default_key": 1, "type": "string", "enum": ["i6300esb", "ib700"], "optional": 1},
    "action": {"type": "string", "optional": 1,
               "enum": ["reset", "shutdown", "poweroff", "pause", "debug", "none"]}
}"#;

const BOOT: &str = r#"{
    "legacy": {"optional": 1, "default_key": 1, "type": "string", "pattern": "[acdn]{1,4}"},
    "order": {"optional": 1, "type": "string", "format": "pve-qm-bootdev-list"}
}"#;

const RNG: &str = r#"{
    "source": {"type": "string", "default_key": 1,
               "enum": ["/dev/urandom", "/dev/random", "/dev/hwrng"]},
    "max_bytes": {"type": "integer", "optional": 1},
    "period": {"type": "integer", "optional": 1}
}"#;

const SMBIOS1: &str = r#"{
    "uuid": {"type": "string", "optional": 1,
             "pattern": "[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}"},
    "version": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "serial": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "manufacturer": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "product": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "sku": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "family": {"type": "string", "optional": 1, "pattern": "[A-Za-z0-9+\\/]+={0,2}"},
    "base64": {"type": "boolean", "optional": 1}
}"#;

const HOSTPCI: &str = r#"{
    "host": {"default_key": 1, "optional": 1, "type": "string",
             "pattern": "(?^:(?^:(?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\\.[a-f0-9])?)(;(?^:(?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\\.[a-f0-9])?))*)"},
    "mapping": {"optional": 1, "type": "string", "format": "pve-configid"},
    "rombar": {"type": "boolean", "optional": 1},
    "romfile": {"type": "string", "pattern": "[^,;]+", "optional": 1},
    "pcie": {"type": "boolean", "optional": 1},
    "x-vga": {"type": "boolean", "optional": 1},
    "legacy-igd": {"type": "boolean", "optional": 1},
    "mdev": {"type": "string", "pattern": "[^/\\.:]+", "optional": 1},
    "vendor-id": {"type": "string", "pattern": "(?^:^0x[0-9a-fA-F]{4}$)", "optional": 1},
    "device-id": {"type": "string", "pattern": "(?^:^0x[0-9a-fA-F]{4}$)", "optional": 1},
    "sub-vendor-id": {"type": "string", "pattern": "(?^:^0x[0-9a-fA-F]{4}$)", "optional": 1},
    "sub-device-id": {"type": "string", "pattern": "(?^:^0x[0-9a-fA-F]{4}$)", "optional": 1},
    "driver": {"type": "string", "optional": 1, "enum": ["vfio", "keep"]}
}"#;

const CPU: &str = r#"{
    "cputype": {"type": "string", "default_key": 1, "optional": 1},
    "reported-model": {"type": "string", "optional": 1},
    "hidden": {"type": "boolean", "optional": 1},
    "hv-vendor-id": {"type": "string", "pattern": "(?^:[a-zA-Z0-9]{1,12})", "optional": 1},
    "flags": {"type": "string", "optional": 1,
              "pattern": "(?^:(?^:([+-])([a-zA-Z0-9\\-_\\.]+))(;(?^:([+-])([a-zA-Z0-9\\-_\\.]+)))*)"},
    "guest-phys-bits": {"type": "integer", "minimum": 32, "maximum": 64, "optional": 1},
    "phys-bits": {"type": "string", "format": "pve-phys-bits", "optional": 1},
    "level": {"type": "integer", "minimum": 0, "maximum": 4294967295, "optional": 1}
}"#;

const SEV: &str = r#"{
    "type": {"type": "string", "default_key": 1, "enum": ["std", "es", "snp"], "maxLength": 3},
    "no-debug": {"type": "boolean", "optional": 1},
    "no-key-sharing": {"type": "boolean", "optional": 1},
    "allow-smt": {"type": "boolean", "optional": 1},
    "kernel-hashes": {"type": "boolean", "optional": 1}
}"#;

const TDX: &str = r#"{
    "type": {"type": "string", "default_key": 1, "enum": ["tdx"]},
    "attestation": {"type": "boolean"},
    "vsock-cid": {"type": "integer", "minimum": 2, "optional": 1},
    "vsock-port": {"type": "integer", "minimum": 0, "optional": 1}
}"#;

/// The x86-64 models of QEMU's `cpu-models-x86_64.json` and qemu-server's built-in ones.
const CPU_MODELS: &[&str] = &[
    "486",
    "athlon",
    "Broadwell",
    "Broadwell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Cascadelake-Server",
    "Cascadelake-Server-noTSX",
    "Cascadelake-Server-v2",
    "Cascadelake-Server-v4",
    "Cascadelake-Server-v5",
    "ClearwaterForest",
    "Conroe",
    "Cooperlake",
    "Cooperlake-v2",
    "core2duo",
    "coreduo",
    "Denverton",
    "Dhyana",
    "EPYC",
    "EPYC-Genoa",
    "EPYC-Genoa-v2",
    "EPYC-IBPB",
    "EPYC-Milan",
    "EPYC-Milan-v2",
    "EPYC-Rome",
    "EPYC-Rome-v2",
    "EPYC-Rome-v3",
    "EPYC-Rome-v4",
    "EPYC-Turin",
    "EPYC-v3",
    "EPYC-v4",
    "GraniteRapids",
    "GraniteRapids-v2",
    "Haswell",
    "Haswell-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "host",
    "Icelake-Client",
    "Icelake-Client-noTSX",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Icelake-Server-v3",
    "Icelake-Server-v4",
    "Icelake-Server-v5",
    "Icelake-Server-v6",
    "IvyBridge",
    "IvyBridge-IBRS",
    "KnightsMill",
    "kvm32",
    "kvm64",
    "max",
    "Nehalem",
    "Nehalem-IBRS",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "Penryn",
    "pentium",
    "pentium2",
    "pentium3",
    "phenom",
    "qemu32",
    "qemu64",
    "SandyBridge",
    "SandyBridge-IBRS",
    "SapphireRapids",
    "SapphireRapids-v2",
    "SierraForest",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Client-v4",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Skylake-Server-v4",
    "Skylake-Server-v5",
    "Snowridge",
    "Westmere",
    "Westmere-IBRS",
    "x86-64-v2",
    "x86-64-v2-AES",
    "x86-64-v3",
    "x86-64-v4",
];

/// The flags a VM's own CPU may set (`supported_cpu_flags_names`).
const CPU_FLAGS: &[&str] = &[
    "aes",
    "amd-no-ssb",
    "amd-ssbd",
    "hv-evmcs",
    "hv-tlbflush",
    "ibpb",
    "md-clear",
    "nested-virt",
    "pcid",
    "pdpe1gb",
    "spec-ctrl",
    "ssbd",
    "virt-ssbd",
];

/// `validate_vm_cpu_conf`: a known model (the cluster defines no custom ones), only
/// the VM-specific flags, no reported model.
fn vm_cpu_conf(cpu: &BTreeMap<String, Raw>) -> Result<(), String> {
    let Some(cputype) = cpu.get("cputype").filter(|v| v.truthy()) else {
        return Err("CPU is missing cputype\n".to_owned());
    };
    let cputype = cputype.perl_string();
    if let Some(name) = cputype.strip_prefix("custom-") {
        return Err(format!("Custom cputype '{name}' not found\n"));
    }
    if !CPU_MODELS.contains(&cputype.as_str()) {
        return Err(format!(
            "Built-in cputype '{cputype}' is not defined (missing 'custom-' prefix?)\n"
        ));
    }
    if let Some(flags) = cpu.get("flags").filter(|v| v.truthy()) {
        let flags = flags.perl_string();
        let ok = flags.split(';').all(|f| {
            f.strip_prefix(['+', '-'])
                .is_some_and(|name| CPU_FLAGS.contains(&name))
        });
        if !ok {
            return Err(format!(
                "VM-specific CPU flags must be a subset of: {}\n",
                CPU_FLAGS.join(", ")
            ));
        }
    }
    if cpu.contains_key("reported-model") {
        return Err(
            "Property 'reported-model' not allowed in VM-specific CPU config.\n".to_owned(),
        );
    }
    Ok(())
}

/// The IDE drive format, as the schema of VM creation prints it for `ide[n]`.
fn ide(version: PveVersion) -> Option<&'static Map<String, Value>> {
    Api::get(version)
        .endpoint("POST", "/nodes/{node}/qemu")?
        .parameters
        .get("properties")?
        .get("ide[n]")?
        .get("format")?
        .as_object()
}

fn hash(name: &str, version: PveVersion) -> Option<Registered> {
    type Cell = OnceLock<Map<String, Value>>;
    static IPCONFIG_F: Cell = OnceLock::new();
    static CICUSTOM_F: Cell = OnceLock::new();
    static WATCHDOG_F: Cell = OnceLock::new();
    static BOOT_F: Cell = OnceLock::new();
    static RNG_F: Cell = OnceLock::new();
    static SMBIOS1_F: Cell = OnceLock::new();
    static HOSTPCI_F: Cell = OnceLock::new();
    static CPU_F: Cell = OnceLock::new();
    static SEV_F: Cell = OnceLock::new();
    static TDX_F: Cell = OnceLock::new();
    let plain = |cell: &'static Cell, json: &str| Registered::Hash(written(cell, json), None);
    let found = match name {
        "pve-qm-ipconfig" => plain(&IPCONFIG_F, IPCONFIG),
        "pve-qm-cicustom" => plain(&CICUSTOM_F, CICUSTOM),
        "pve-qm-watchdog" => plain(&WATCHDOG_F, WATCHDOG),
        "pve-qm-boot" => plain(&BOOT_F, BOOT),
        "pve-qm-rng" => plain(&RNG_F, RNG),
        "pve-qm-smbios1" => plain(&SMBIOS1_F, SMBIOS1),
        "pve-qm-hostpci" => plain(&HOSTPCI_F, HOSTPCI),
        "pve-qemu-sev-fmt" => plain(&SEV_F, SEV),
        "pve-qemu-tdx-fmt" => plain(&TDX_F, TDX),
        "pve-vm-cpu-conf" => Registered::Hash(written(&CPU_F, CPU), Some(vm_cpu_conf)),
        "pve-qm-ide" => Registered::Hash(ide(version)?, None),
        _ => return None,
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::super::super::check::Ctx;
    use super::super::check_format;
    use super::*;
    use serde_json::json;

    fn check(format: &str, value: &str) -> Result<(), String> {
        let mut cx = Ctx::new(PveVersion::Pve8);
        check_format(&mut cx, &json!(format), value, "p")
    }

    #[test]
    fn qemu_formats_answer_like_pve() {
        assert!(check("pve-volume-id-or-qm-path", "cdrom").is_ok());
        assert!(check("pve-volume-id-or-qm-path", "/dev/sdb").is_ok());
        assert!(check("pve-qm-ipconfig", "ip=10.0.0.5/24,gw=10.0.0.1").is_ok());
        assert_eq!(
            check("pve-qm-ipconfig", "gw=10.0.0.1").unwrap_err(),
            "format error\np.ip: missing property - 'p.gw' requires this property\n"
        );
        assert!(check("pve-qm-ide", "local:iso/d.iso,media=cdrom").is_ok());
        assert!(check("pve-qm-ide", "local:iso/d.iso,media=floppy").is_err());
        assert!(check("pve-qm-boot", "order=scsi0;ide2;net0").is_ok());
        assert_eq!(
            check("pve-qm-boot", "order=scsi0;efidisk0").unwrap_err(),
            "format error\np.order: invalid format - invalid boot device 'efidisk0'\n\n"
        );
        assert!(check("pve-hotplug-features", "network,disk").is_ok());
        assert!(check("pve-hotplug-features", "network,gpu").is_err());
        assert!(check("pve-cpuset", "0-3,8").is_ok() && check("pve-cpuset", "3-1").is_err());
        assert!(check("pve-vm-cpu-conf", "host,flags=+aes;-pcid").is_ok());
        assert!(check("pve-vm-cpu-conf", "x86-64-v2-AES,hidden=1").is_ok());
        assert_eq!(
            check("pve-vm-cpu-conf", "Pentium9").unwrap_err(),
            "Built-in cputype 'Pentium9' is not defined (missing 'custom-' prefix?)\n"
        );
        assert!(check("pve-vm-cpu-conf", "host,flags=+avx512f").is_err());
        assert!(check("pve-qm-rng", "/dev/urandom,max_bytes=1024").is_ok());
        assert!(check("pve-qm-rng", "max_bytes=1024").is_err());
        assert!(check("pve-qm-hostpci", "0000:01:00.0;0000:01:00.1,pcie=1").is_ok());
        assert!(
            check(
                "pve-qm-smbios1",
                "uuid=12345678-1234-1234-1234-123456789abc"
            )
            .is_ok()
        );
        assert!(check("pve-qemu-sev-fmt", "snp,allow-smt=0").is_ok());
    }
}
