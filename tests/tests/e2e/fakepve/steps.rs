//! The workflow's session and what each step is expected to give: success, or a
//! documented fakepve gap (its exact error, or the state it leaves). Every step is
//! asserted as expected and listed in a report printed at the end, so a change on
//! either side shows: a closed fakepve gap fails its step with a message saying what
//! to flip.

use super::{api::Api, fake::Fake};
use pve_mcp_tests::client::{Client, is_error, text};
use serde_json::Value;
use std::time::Duration;

/// Longest wait for one tool call (fakepve's tasks take well under a second).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a tool call must give.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// The tool succeeds (and a task it reports ended `OK`).
    Ok,
    /// The tool fails on a fakepve gap: `gap` says which, `error` is in the tool's text.
    Gap {
        gap: &'static str,
        error: &'static str,
    },
}

/// The session driving the workflow, fakepve (its API as root, and the launcher),
/// and what each step gave.
pub struct Lab {
    pub client: Client,
    pub root: Api,
    pub fake: Fake,
    lines: Vec<String>,
}

impl Lab {
    pub fn new(client: Client, root: Api, fake: Fake) -> Lab {
        Lab {
            client,
            root,
            fake,
            lines: Vec::new(),
        }
    }

    /// Calls `tool` and asserts the result is what `expect` says; returns the result.
    pub async fn call(&mut self, step: &str, tool: &str, args: Value, expect: Expect) -> Value {
        let r = self.answer(step, tool, &args).await;
        let said = text(&r);
        let status = r["structuredContent"]
            .get("exitstatus")
            .and_then(Value::as_str);
        let failed = is_error(&r) || status.is_some_and(|s| s != "OK");
        match expect {
            Expect::Ok => {
                assert!(!failed, "{step}: {tool} {args}: {said}\n{r}");
                self.lines.push(format!("ok       {step} ({tool})"));
            }
            Expect::Gap { gap, error } => {
                assert!(
                    failed,
                    "{step}: fakepve no longer has the gap ({gap}): {tool} {args} succeeds: {said}"
                );
                assert!(
                    said.contains(error),
                    "{step}: {tool} {args}: {said}\nwanted: {error}"
                );
                self.lines.push(format!("gap      {step} ({tool}): {gap}"));
            }
        }
        r
    }

    async fn answer(&self, step: &str, tool: &str, args: &Value) -> Value {
        let call = self.client.call(tool, args.clone());
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => panic!("{step}: {tool} {args} is not answered: {e}"),
            Err(_) => panic!("{step}: {tool} {args} took more than {CALL_TIMEOUT:?}"),
        }
    }

    /// A tool that must succeed; returns its structured content.
    pub async fn ok(&mut self, step: &str, tool: &str, args: Value) -> Value {
        let r = self.call(step, tool, args, Expect::Ok).await;
        r["structuredContent"].clone()
    }

    /// A tool that must ask the user first (a `confirm` action; the user accepts) and
    /// then succeed; returns its structured content.
    pub async fn confirmed(&mut self, step: &str, tool: &str, args: Value) -> Value {
        let asked = self.client.questions().len();
        let done = self.ok(step, tool, args.clone()).await;
        let questions = self.client.questions();
        assert_eq!(
            questions.len(),
            asked + 1,
            "{step}: {tool} {args} asks once: {questions:?}"
        );
        done
    }

    /// A tool that must answer "not found" for a guest outside the scope, exactly as
    /// for a guest that does not exist.
    pub async fn not_found(&mut self, step: &str, tool: &str, args: Value) {
        let r = self.answer(step, tool, &args).await;
        let said = text(&r);
        assert!(is_error(&r), "{step}: {tool} {args}: {said}");
        assert!(
            said.contains("does not exist or is not visible"),
            "{step}: {said}"
        );
        self.lines
            .push(format!("ok       {step} ({tool}: not found)"));
    }

    /// A fakepve gap seen in the state it leaves: `still` says it still holds (the
    /// test fails when it no longer does, naming the gap).
    pub fn gap(&mut self, step: &str, gap: &str, still: bool, seen: &str) {
        assert!(
            still,
            "{step}: fakepve no longer has the gap ({gap}); it now shows {seen}: update the test"
        );
        self.lines.push(format!("gap      {step}: {gap}"));
    }

    /// A step checked in fakepve's state, for the report.
    pub fn checked(&mut self, step: &str, what: &str) {
        self.lines.push(format!("ok       {step}: {what}"));
    }

    /// The report: every step and what it gave.
    pub fn report(&self) -> String {
        let mut out = String::from("fakepve workflow:\n");
        for l in &self.lines {
            out.push_str(&format!("  {l}\n"));
        }
        out
    }
}

impl Drop for Lab {
    /// A failed step still shows what the steps before it gave.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.report());
        }
    }
}
