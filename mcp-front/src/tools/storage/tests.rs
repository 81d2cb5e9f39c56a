use super::*;
use crate::{
    change::operation::Operation,
    tools::args::{
        LONG_WAIT_SECS,
        testing::{parse, refused, with},
    },
};
use serde_json::{Value, json};
use std::time::Duration;

#[test]
fn volume_deletes_are_backups_isos_or_templates() {
    let plan = |v: Value| parse::<VolumeDeleteArgs>(v).unwrap().into_plan();
    for volume in [
        "nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst",
        "local:iso/debian-12.iso",
        "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    ] {
        let p = plan(json!({"node": "pve1", "volume": volume})).unwrap();
        assert!(matches!(p.request, Operation::VolumeDelete(ref v) if v.volume.as_str() == volume));
    }
    let e = refused(
        json!({"node": "pve1", "volume": "local-lvm:vm-101-disk-0"}),
        VolumeDeleteArgs::into_plan,
    );
    assert!(
        e.starts_with("volume: local-lvm:vm-101-disk-0 is not a backup, ISO image or container"),
        "{e}"
    );
    let e = refused(
        json!({"node": "pve1", "volume": "local:../x"}),
        VolumeDeleteArgs::into_plan,
    );
    assert!(e.starts_with("volume path \"../x\" is invalid"), "{e}");
}

#[test]
fn downloads() {
    let iso = json!({"node": "pve1", "storage": "local", "content": "iso",
                     "url": "https://cdimage.debian.org/debian-12.iso",
                     "filename": "debian-12.iso",
                     "checksum": {"algorithm": "sha256", "value": "AB".repeat(32)}});
    let p = parse::<StorageDownloadArgs>(iso.clone())
        .unwrap()
        .into_plan()
        .unwrap();
    let Operation::Download(d) = p.request else {
        panic!()
    };
    assert_eq!(
        d.checksum.unwrap().value,
        "ab".repeat(32),
        "hex is folded to lowercase"
    );
    assert_eq!(p.wait, Some(Duration::from_secs(LONG_WAIT_SECS)));
    for (extra, want) in [
        (
            json!({"url": "http://cdimage.debian.org/x.iso"}),
            "url: URL \"http://",
        ),
        (
            json!({"url": "https://user@host/x.iso"}),
            "url: URL \"https://user@host/x.iso\" is invalid",
        ),
        (
            json!({"filename": "debian-12.tar.zst"}),
            "filename: debian-12.tar.zst does not fit content iso",
        ),
        (
            json!({"filename": "../x.iso"}),
            "filename: file name \"../x.iso\" is invalid",
        ),
        (
            json!({"content": "vztmpl"}),
            "filename: debian-12.iso does not fit content vztmpl",
        ),
        (
            json!({"checksum": {"algorithm": "sha512", "value": "ab".repeat(32)}}),
            "checksum.value: checksum must be 128 lowercase hex digits for sha512",
        ),
        (json!({"storage": "x"}), "storage id \"x\" is invalid"),
    ] {
        let e = refused(
            with(iso.clone(), extra.clone()),
            StorageDownloadArgs::into_plan,
        );
        assert!(e.starts_with(want), "{extra}: {e}");
    }
    assert!(parse::<StorageDownloadArgs>(with(iso, json!({"content": "images"}))).is_err());
}
