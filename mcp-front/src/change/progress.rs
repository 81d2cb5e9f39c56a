//! MCP progress notifications while a call waits for a task or a long call: at most
//! one for each whole second waited, silent when the client sent no progress token.
//!
//! Input is our own wording and the client's progress token, sent back as it came.

use rmcp::{RoleServer, model::ProgressNotificationParam, service::RequestContext};
use std::time::{Duration, Instant};

/// Least time between two progress notifications.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Progress notifications for one wait, at most one for each [`PROGRESS_EVERY`]
/// waited; silent when the client sent no progress token.
pub(crate) struct Progress<'a> {
    ctx: &'a RequestContext<RoleServer>,
    token: Option<rmcp::model::ProgressToken>,
    what: String,
    total: Duration,
    /// How many whole [`PROGRESS_EVERY`] had been waited at the last notification.
    /// (Counting from the wait's start, not from the last notification: one sent a
    /// little late must not make the next, on time, look too early.)
    sent_at: Option<u128>,
}

impl<'a> Progress<'a> {
    /// Progress of waiting for `what` (named in each message), at most `total` long.
    pub(crate) fn new(ctx: &'a RequestContext<RoleServer>, what: String, total: Duration) -> Self {
        Self {
            ctx,
            token: ctx.meta.get_progress_token(),
            what,
            total,
            sent_at: None,
        }
    }

    pub(crate) async fn send(&mut self, since: Instant) {
        let Some(token) = &self.token else { return };
        let waited = since.elapsed();
        let Some(periods) = due(self.sent_at, waited) else {
            return;
        };
        self.sent_at = Some(periods);
        let secs = waited.as_secs_f64();
        let param = ProgressNotificationParam::new(token.clone(), secs)
            .with_total(self.total.as_secs_f64())
            .with_message(format!("{}: running for {secs:.1} s", self.what));
        if let Err(e) = self.ctx.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}

/// Whether a notification is due after `waited`, the last one sent after `sent_at`
/// whole periods: then how many whole periods have been waited.
fn due(sent_at: Option<u128>, waited: Duration) -> Option<u128> {
    let periods = waited.as_millis() / PROGRESS_EVERY.as_millis();
    sent_at.is_none_or(|sent| periods > sent).then_some(periods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notification_for_each_whole_second_waited() {
        let ms = Duration::from_millis;
        assert_eq!(due(None, ms(0)), Some(0), "the first at once");
        assert_eq!(due(Some(0), ms(999)), None);
        // One sent late does not hold back the next, on time.
        assert_eq!(due(Some(0), ms(1_005)), Some(1));
        assert_eq!(due(Some(1), ms(2_000)), Some(2));
        assert_eq!(due(Some(2), ms(2_900)), None);
        assert_eq!(due(Some(2), ms(5_100)), Some(5), "after a long step, once");
    }
}
