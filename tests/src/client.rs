//! A real MCP client (rmcp's) over the stdio of a spawned `mcp-front`, with helpers
//! that return results as JSON so tests can assert on exactly what a model would see,
//! and the progress notifications the server sent (rmcp gives every call a token).

use rmcp::{
    ClientHandler, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
        ElicitationAction, ElicitationCapability, ErrorData, FormElicitationCapability,
        Implementation, ProgressNotificationParam, ProtocolVersion, ReadResourceRequestParams,
        Tool,
    },
    service::{NotificationContext, RequestContext, RunningService},
    transport::TokioChildProcess,
};
use serde_json::Value;
use std::{
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
};

#[derive(Debug)]
pub struct Client {
    service: RunningService<RoleClient, User>,
}

/// The person behind the client: absent (no elicitation), or one who answers every
/// confirmation the server asks with a fixed yes or no, keeping the questions; and the
/// progress notifications shown to them.
#[derive(Debug, Clone, Default)]
pub struct User {
    answer: Option<bool>,
    questions: Arc<Mutex<Vec<String>>>,
    progress: Arc<Mutex<Vec<Value>>>,
}

impl ClientHandler for User {
    fn get_info(&self) -> ClientConfig {
        let mut caps = ClientCapabilities::default();
        if self.answer.is_some() {
            caps.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        }
        ClientConfig::new(caps, Implementation::new("pve-mcp-tests", "0"))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let message = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. } => message.clone(),
            other => format!("{other:?}"),
        };
        if let Ok(mut q) = self.questions.lock() {
            q.push(message);
        }
        Ok(match self.answer {
            Some(yes) => ElicitResult::new(ElicitationAction::Accept)
                .with_content(serde_json::json!({ "confirm": yes })),
            None => ElicitResult::new(ElicitationAction::Decline),
        })
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let (Ok(mut p), Ok(v)) = (self.progress.lock(), serde_json::to_value(params)) {
            p.push(v);
        }
    }
}

impl Client {
    /// Spawns `cmd` (stderr appended to `stderr_log`) and runs the MCP handshake, as a
    /// client that cannot ask its user anything.
    pub async fn spawn(cmd: tokio::process::Command, stderr_log: &Path) -> anyhow::Result<Self> {
        Self::spawn_as(cmd, stderr_log, User::default()).await
    }

    /// Like [`Client::spawn`], for a client whose user answers every confirmation
    /// with `answer`.
    pub async fn spawn_confirming(
        cmd: tokio::process::Command,
        stderr_log: &Path,
        answer: bool,
    ) -> anyhow::Result<Self> {
        let user = User {
            answer: Some(answer),
            ..User::default()
        };
        Self::spawn_as(cmd, stderr_log, user).await
    }

    async fn spawn_as(
        cmd: tokio::process::Command,
        stderr_log: &Path,
        user: User,
    ) -> anyhow::Result<Self> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_log)?;
        let (transport, _) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::from(log))
            .spawn()?;
        let service = user.serve(transport).await?;
        Ok(Self { service })
    }

    /// The confirmations the server asked this client's user, in order.
    pub fn questions(&self) -> Vec<String> {
        self.service
            .service()
            .questions
            .lock()
            .map(|q| q.clone())
            .unwrap_or_default()
    }

    /// The progress notifications the server sent so far, in order, as JSON
    /// (`progressToken`, `progress`, `total`, `message`).
    pub fn progress(&self) -> Vec<Value> {
        self.service
            .service()
            .progress
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// Checks that a call that waited reported progress: at least two notifications,
    /// the last with `total` and a message that starts with `message`.
    pub fn assert_waited_with_progress(&self, total: f64, message: &str) {
        let progress = self.progress();
        assert!(progress.len() >= 2, "progress while waiting: {progress:?}");
        let last = &progress[progress.len() - 1];
        assert_eq!(last["total"], total, "{last}");
        assert!(
            last["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message)),
            "{last}"
        );
    }

    /// The negotiated server info (name, version, instructions).
    pub fn server_info(&self) -> Value {
        serde_json::to_value(self.service.peer_info()).unwrap_or(Value::Null)
    }

    pub async fn tools(&self) -> anyhow::Result<Vec<Tool>> {
        Ok(self.service.list_all_tools().await?)
    }

    /// Calls a tool; returns the whole result (`content`, `structuredContent`, `isError`).
    pub async fn call(&self, tool: &str, args: Value) -> anyhow::Result<Value> {
        let Value::Object(args) = args else {
            anyhow::bail!("arguments must be an object")
        };
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(args);
        let result = self.service.call_tool(params).await?;
        Ok(serde_json::to_value(result)?)
    }

    /// The resources the server lists, as JSON.
    pub async fn resources(&self) -> anyhow::Result<Vec<Value>> {
        let list = self.service.list_all_resources().await?;
        Ok(list
            .into_iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect())
    }

    /// Reads one resource; returns the whole result (`contents`).
    pub async fn read_resource(&self, uri: &str) -> anyhow::Result<Value> {
        let result = self
            .service
            .read_resource(ReadResourceRequestParams::new(uri))
            .await?;
        Ok(serde_json::to_value(result)?)
    }

    pub async fn close(self) -> anyhow::Result<()> {
        self.service.cancel().await?;
        Ok(())
    }
}

/// The text content of a tool result, joined.
pub fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The guests of a `list_vms` page (its structured content), each as an object: the
/// page lists them as a table of `columns` and `rows`.
pub fn listed_guests(page: &Value) -> Vec<Value> {
    let columns: Vec<&str> = page["guests"]["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    page["guests"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let fields = columns.iter().zip(row.as_array().into_iter().flatten());
            Value::Object(fields.map(|(c, v)| ((*c).to_owned(), v.clone())).collect())
        })
        .collect()
}

/// Whether a tool result is an error.
pub fn is_error(result: &Value) -> bool {
    result["isError"].as_bool().unwrap_or(false)
}
