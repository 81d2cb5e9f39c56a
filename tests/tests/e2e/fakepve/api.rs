//! fakepve's API as `root@pam` (a ticket, as the web UI logs in), trusting exactly
//! fakepve's certificate: how the test reads back what a step did, and makes the
//! helper's identity as `pveum` would. Parameters are form-encoded, as PVE's clients
//! send them.

use serde_json::Value;
use std::{sync::Arc, time::Duration};

/// fakepve's documented default login.
const ROOT: (&str, &str) = ("root@pam", "secret");

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// fakepve's API, as root.
pub struct Api {
    client: reqwest::Client,
    base: String,
    headers: Vec<(&'static str, String)>,
}

impl Api {
    /// A client of the fakepve at `url` trusting exactly its certificate (`der`),
    /// logged in as root.
    pub async fn login(url: &str, der: &[u8]) -> Api {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(der.to_vec()))
            .expect("fakepve's certificate is a trust anchor");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client builds");
        let mut api = Api {
            client,
            base: format!("{url}/api2/json"),
            headers: Vec::new(),
        };
        let (status, body) = api
            .call(
                "POST",
                "/access/ticket",
                &[("username", ROOT.0), ("password", ROOT.1)],
            )
            .await;
        assert_eq!(status, 200, "root logs in: {body}");
        let data = &body["data"];
        api.headers = vec![
            (
                "Cookie",
                format!("PVEAuthCookie={}", data["ticket"].as_str().unwrap()),
            ),
            (
                "CSRFPreventionToken",
                data["CSRFPreventionToken"].as_str().unwrap().to_owned(),
            ),
        ];
        api
    }

    /// One call: parameters go in the query of a GET or DELETE, else in a form body.
    /// Returns the status and the JSON body.
    pub async fn call(&self, method: &str, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let query = matches!(method, "GET" | "DELETE") && !params.is_empty();
        let url = match query {
            true => format!("{}{path}?{}", self.base, form(params)),
            false => format!("{}{path}", self.base),
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, url);
        for (name, value) in &self.headers {
            req = req.header(*name, value);
        }
        if !query && !params.is_empty() {
            req = req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form(params));
        }
        let resp = req.send().await.expect("fakepve answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    /// A GET that must succeed; returns its `data`.
    pub async fn get(&self, path: &str) -> Value {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.call("GET", path, params).await;
        assert_eq!(status, 200, "GET {path} {params:?}: {body}");
        body["data"].clone()
    }

    /// Every guest, as `/cluster/resources` lists them.
    pub async fn guests(&self) -> Vec<Value> {
        let all = self.get_with("/cluster/resources", &[("type", "vm")]).await;
        all.as_array().cloned().unwrap_or_default()
    }

    /// One guest's entry in `/cluster/resources` (`type`, `node`, `status`, `pool`, ...).
    pub async fn guest(&self, vmid: u32) -> Option<Value> {
        let all = self.guests().await;
        all.into_iter()
            .find(|g| g["vmid"].as_u64() == Some(u64::from(vmid)))
    }

    /// The node a guest is on.
    pub async fn node_of(&self, vmid: u32) -> String {
        let guest = self.guest(vmid).await;
        let guest = guest.unwrap_or_else(|| panic!("guest {vmid} exists"));
        guest["node"].as_str().unwrap_or_default().to_owned()
    }

    /// `/nodes/NODE/TYPE/VMID` of a guest.
    pub async fn base(&self, vmid: u32) -> String {
        let guest = self.guest(vmid).await;
        let guest = guest.unwrap_or_else(|| panic!("guest {vmid} exists"));
        let (kind, node) = (
            guest["type"].as_str().unwrap(),
            guest["node"].as_str().unwrap(),
        );
        format!("/nodes/{node}/{kind}/{vmid}")
    }

    /// A guest's configuration.
    pub async fn config(&self, vmid: u32) -> Value {
        let base = self.base(vmid).await;
        self.get(&format!("{base}/config")).await
    }

    /// One key of a guest's configuration, as text.
    pub async fn config_key(&self, vmid: u32, key: &str) -> String {
        let config = self.config(vmid).await;
        match &config[key] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// A guest's run state, from its `status/current`.
    pub async fn status(&self, vmid: u32) -> String {
        let base = self.base(vmid).await;
        let status = self.get(&format!("{base}/status/current")).await;
        status["status"].as_str().unwrap_or_default().to_owned()
    }

    /// The volume ids on a storage of a node.
    pub async fn volumes(&self, node: &str, storage: &str) -> Vec<String> {
        let content = self
            .get(&format!("/nodes/{node}/storage/{storage}/content"))
            .await;
        content
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|v| v["volid"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A task's status.
    pub async fn task(&self, upid: &str) -> Value {
        let node = upid.split(':').nth(1).expect("a UPID names its node");
        self.get(&format!("/nodes/{node}/tasks/{}/status", encode(upid)))
            .await
    }
}
