//! MCP progress notifications while a call waits for a task or a long call: at most
//! one a second, silent when the client sent no progress token.
//!
//! Input is our own wording and the client's progress token, sent back as it came.

use rmcp::{RoleServer, model::ProgressNotificationParam, service::RequestContext};
use std::time::{Duration, Instant};

/// Least time between two progress notifications.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Progress notifications for one wait, at most one per [`PROGRESS_EVERY`]; silent
/// when the client sent no progress token.
pub(crate) struct Progress<'a> {
    ctx: &'a RequestContext<RoleServer>,
    token: Option<rmcp::model::ProgressToken>,
    what: String,
    total: Duration,
    last: Option<Instant>,
}

impl<'a> Progress<'a> {
    /// Progress of waiting for `what` (named in each message), at most `total` long.
    pub(crate) fn new(ctx: &'a RequestContext<RoleServer>, what: String, total: Duration) -> Self {
        Self {
            ctx,
            token: ctx.meta.get_progress_token(),
            what,
            total,
            last: None,
        }
    }

    pub(crate) async fn send(&mut self, since: Instant) {
        let Some(token) = &self.token else { return };
        if self
            .last
            .is_some_and(|last| last.elapsed() < PROGRESS_EVERY)
        {
            return;
        }
        self.last = Some(Instant::now());
        let secs = since.elapsed().as_secs_f64();
        let param = ProgressNotificationParam::new(token.clone(), secs)
            .with_total(self.total.as_secs_f64())
            .with_message(format!("{}: running for {secs:.1} s", self.what));
        if let Err(e) = self.ctx.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}
