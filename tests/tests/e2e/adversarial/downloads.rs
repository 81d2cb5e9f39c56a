//! Downloads from where the policy does not allow (`[storage] download_from`): another
//! host, a look-alike host, user info before the host, a path that leaves a listed
//! directory (`..`, `%2e%2e`), another scheme, a file name out of the storage, and a
//! storage not listed; through the raw API and through `storage_download`.

use super::case::{Class, Expect};
use super::runner::{Runner, api};
use serde_json::{Value, json};

pub async fn run(r: &mut Runner) {
    let mut cases: Vec<(String, Value)> = Vec::new();
    let mut add = |name: String, method: &str, path: &str, data: Value| {
        cases.push((name, api(method, path, data)));
    };
    for (what, url) in [
        ("an unlisted host", "https://evil.example.com/debian.iso"),
        (
            "a look-alike host",
            "https://releases.ubuntu.com.evil.example/debian.iso",
        ),
        (
            "userinfo before the host",
            "https://releases.ubuntu.com@evil.example/debian.iso",
        ),
        ("plain http", "http://releases.ubuntu.com/debian.iso"),
        (
            "an encoded slash",
            "https://releases.ubuntu.com%2F@evil.example/debian.iso",
        ),
        ("another scheme", "file:///etc/pve/priv/authkey.key"),
    ] {
        add(
            format!("POST download-url from {what}"),
            "POST",
            "/nodes/pve1/storage/local/download-url",
            json!({"url": url, "content": "iso", "filename": "x.iso"}),
        );
    }
    add(
        "POST download-url to a parent directory".into(),
        "POST",
        "/nodes/pve1/storage/local/download-url",
        json!({"url": "https://releases.ubuntu.com/24.04/ubuntu.iso", "content": "iso", "filename": "../../x.iso"}),
    );
    add(
        "POST download-url out of the listed directory".into(),
        "POST",
        "/nodes/pve1/storage/local/download-url",
        json!({"url": "https://cloud-images.ubuntu.com/releases/../daily/x.img", "content": "iso", "filename": "x.img"}),
    );
    add(
        "POST download-url of a snippet".into(),
        "POST",
        "/nodes/pve1/storage/local/download-url",
        json!({"url": "https://releases.ubuntu.com/24.04/evil.sh", "content": "snippets", "filename": "evil.sh"}),
    );
    add(
        "POST download-url to a storage not listed".into(),
        "POST",
        "/nodes/pve1/storage/nas/download-url",
        json!({"url": "https://releases.ubuntu.com/24.04/ubuntu.iso", "content": "iso", "filename": "x.iso"}),
    );
    for (name, args) in cases {
        r.model(
            Class::RawWrites,
            &name,
            "proxmox_api",
            args,
            Expect::Refused,
        )
        .await;
    }
    tool(r).await;
}

async fn tool(r: &mut Runner) {
    let c = Class::RawWrites;
    use Expect::{Denied, Refused};
    for (what, url, expect) in [
        (
            "an unlisted host",
            "https://evil.example.com/debian.iso",
            Denied("storage.download_from"),
        ),
        (
            "a look-alike host",
            "https://releases.ubuntu.com.evil.example/debian.iso",
            Denied("storage.download_from"),
        ),
        (
            "userinfo before the host",
            "https://releases.ubuntu.com@evil.example/debian.iso",
            Refused,
        ),
        (
            "an encoded slash",
            "https://releases.ubuntu.com%2F@evil.example/debian.iso",
            Refused,
        ),
        (
            "a backslash",
            "https://releases.ubuntu.com\\@evil.example/debian.iso",
            Refused,
        ),
        (
            "a dot-dot path out of the listed directory",
            "https://cloud-images.ubuntu.com/releases/../daily/x.img",
            Refused,
        ),
        (
            "an encoded dot-dot path out of the listed directory",
            "https://cloud-images.ubuntu.com/releases/%2e%2e/daily/x.img",
            Refused,
        ),
        (
            "a listed directory spelled without its slash",
            "https://cloud-images.ubuntu.com/releases-evil/x.img",
            Denied("storage.download_from"),
        ),
    ] {
        r.model(c, &format!("storage_download from {what}"), "storage_download",
            json!({"node": "pve1", "storage": "local", "url": url, "content": "iso", "filename": "x.iso"}),
            expect)
            .await;
    }
    for (what, filename) in [
        ("a parent directory", "../../../etc/pve/x.iso"),
        ("an absolute path", "/etc/pve/x.iso"),
        ("a snippet", "../snippets/evil.sh"),
    ] {
        r.model(c, &format!("storage_download to {what}"), "storage_download",
            json!({"node": "pve1", "storage": "local", "url": "https://releases.ubuntu.com/24.04/ubuntu.iso",
                   "content": "iso", "filename": filename}),
            Refused)
            .await;
    }
}
