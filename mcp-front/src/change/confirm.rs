//! Confirmation of actions the policy marks `confirm`: the helper refuses such an
//! action with `ConfirmationRequired` until it is resent with `confirmed: true`, which
//! happens only after the *user* said yes through the client, never on the model's
//! word: tool arguments cannot carry a confirmation.
//!
//! - 2025-06-18 to 2025-11-25, client with form elicitation: an `elicitation/create`
//!   request, answered in the same tool call.
//! - 2026-07-28, client with form elicitation: an `InputRequiredResult` carrying the
//!   elicitation; the client asks and calls again with the answer and our
//!   `requestState`, an opaque single-use handle to a pending confirmation kept here,
//!   bound to that very operation (guest, action and every argument), valid for
//!   [`PENDING_TTL`].
//! - Any other client: a tool error saying why and how the admin can change it.
//!
//! Trust: the client's answers are believed (the client is the user's agent); the
//! request state is checked against what is pending, so it cannot confirm another
//! action or be replayed.

use crate::{
    change::operation::Operation, helper::HelperClient, policy::action::PolicyAction,
    tools::reply::tool_error,
};
use pve_mcp_proto::{ErrorBody, GuestRef, Payload, Request, Response, VmId};
use rmcp::{
    RoleServer,
    model::{
        ClientCapabilities, ClientResult, ElicitRequest, ElicitRequestParams, ElicitResult,
        ElicitationAction, ElicitationSchemaBuilder, InputRequest, InputRequests,
        InputRequiredResult, InputResponses, ProtocolVersion, ServerRequest,
    },
    service::{PeerRequestOptions, RequestContext},
};
use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long a 2026-07-28 confirmation may take between the question and the answer.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// Most confirmations pending at once; the oldest is forgotten beyond that.
const MAX_PENDING: usize = 32;
/// How long the question waits to name the guest before naming only its id.
const NAME_LOOKUP: Duration = Duration::from_secs(2);
/// The key of our question in `inputRequests` and of its answer in `inputResponses`.
const KEY: &str = "confirm";

/// What asking the user produced.
pub enum Asked {
    /// The user confirmed: resend with `confirmed: true`.
    Yes,
    /// Not confirmed (declined, cancelled, or the client cannot ask): this result says so.
    No(rmcp::model::CallToolResult),
    /// 2026-07-28: return this; the client asks and calls again.
    Later(InputRequiredResult),
}

/// One confirmation asked for over the 2026-07-28 round trip.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    /// The operation asked about, unconfirmed.
    op: Operation,
    asked: Instant,
}

/// Confirmations awaiting the client's second call, by request state.
#[derive(Debug, Clone, Default)]
pub struct Confirmations {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

impl Confirmations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a question about `request` and returns its request state.
    fn remember(&self, request: &Operation) -> String {
        let state = format!(
            "confirm-{:016x}{:016x}",
            RandomState::new().hash_one(Instant::now()),
            RandomState::new().hash_one(request.phrase())
        );
        let mut pending = self.lock();
        pending.retain(|_, p| p.asked.elapsed() < PENDING_TTL);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.asked)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        let entry = Pending {
            op: request.unconfirmed(),
            asked: Instant::now(),
        };
        pending.insert(state.clone(), entry);
        state
    }

    /// Checks the client's second call: `Ok` when the user confirmed this very action.
    /// The pending entry is used up either way.
    pub fn resume(
        &self,
        state: &str,
        responses: &InputResponses,
        request: &Operation,
    ) -> Result<(), rmcp::model::CallToolResult> {
        let (what, tool) = (request.phrase(), request.tool());
        let Some(pending) = self.lock().remove(state) else {
            return Err(tool_error(format!(
                "Not done: the confirmation to {what} is unknown or was already used; call \
                 {tool} again to ask the user anew."
            )));
        };
        if pending.op != request.unconfirmed() {
            return Err(tool_error(format!(
                "Not done: the user was asked to confirm {}, not to {what}; call {tool} again \
                 to ask for this one.",
                pending.op.phrase()
            )));
        }
        if pending.asked.elapsed() >= PENDING_TTL {
            return Err(tool_error(format!(
                "Not done: the confirmation to {what} expired; call {tool} again."
            )));
        }
        let answer = responses
            .get(KEY)
            .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok());
        match answer {
            Some(answer) => verdict(&answer, &what).map_err(|no| no.into_result()),
            None => Err(tool_error(format!(
                "Not done: the client did not return the user's answer to the confirmation \
                 to {what}."
            ))),
        }
    }
}

/// Why an action did not happen.
struct Refusal(String);

impl Refusal {
    fn into_result(self) -> rmcp::model::CallToolResult {
        tool_error(self.0)
    }
}

/// Whether `answer` confirms; anything but an accepted form whose `confirm` field is
/// not false is a no.
fn verdict(answer: &ElicitResult, what: &str) -> Result<(), Refusal> {
    let unchecked = answer
        .content
        .as_ref()
        .and_then(|c| c.get(KEY))
        .is_some_and(|v| v == false);
    match answer.action {
        ElicitationAction::Accept if !unchecked => Ok(()),
        ElicitationAction::Accept | ElicitationAction::Decline => Err(Refusal(format!(
            "Not done: the user declined to {what}. Do not retry it unless the user asks."
        ))),
        _ => Err(Refusal(format!(
            "Not done: the user dismissed the confirmation to {what}; nothing was changed."
        ))),
    }
}

/// Whether `caps` declare form elicitation (an empty `elicitation` means form).
fn has_form_elicitation(caps: Option<&ClientCapabilities>) -> bool {
    caps.and_then(|c| c.elicitation.as_ref())
        .is_some_and(|e| e.form.is_some() || e.url.is_none())
}

/// Asks the user to confirm `request`, which the helper refused with `refusal`.
pub async fn ask(
    helper: &HelperClient,
    confirmations: &Confirmations,
    request: &Operation,
    refusal: &ErrorBody,
    ctx: &RequestContext<RoleServer>,
) -> Asked {
    let version = ctx
        .protocol_version()
        .unwrap_or(ProtocolVersion::V_2025_03_26);
    let form = has_form_elicitation(ctx.client_capabilities().as_ref());
    let what = request.phrase();
    if !form || version < ProtocolVersion::V_2025_06_18 {
        return Asked::No(unsupported(refusal, request.name()));
    }
    let Some(question) = elicitation(question(helper, request).await) else {
        return Asked::No(unsupported(refusal, request.name()));
    };
    if version >= ProtocolVersion::V_2026_07_28 {
        let state = confirmations.remember(request);
        let requests = InputRequests::from([(KEY.to_owned(), InputRequest::Elicitation(question))]);
        return Asked::Later(InputRequiredResult::new(Some(requests), Some(state)));
    }
    let peer = &ctx.peer;
    let sent = peer
        .send_cancellable_request(
            ServerRequest::ElicitRequest(question),
            PeerRequestOptions::no_options(),
        )
        .await;
    let handle = match sent {
        Ok(handle) => handle,
        Err(e) => return Asked::No(tool_error(format!("Not done: cannot ask the user: {e}"))),
    };
    let id = handle.id.clone();
    let answer = tokio::select! {
        _ = ctx.ct.cancelled() => {
            cancel_question(peer, id).await;
            return Asked::No(tool_error(format!("Cancelled: {what} was not confirmed.")));
        }
        answer = handle.await_response() => answer,
    };
    match answer {
        Ok(ClientResult::ElicitResult(answer)) => match verdict(&answer, &what) {
            Ok(()) => Asked::Yes,
            Err(no) => Asked::No(no.into_result()),
        },
        Ok(_) => Asked::No(tool_error(format!(
            "Not done: the client answered the confirmation to {what} with something else."
        ))),
        Err(e) => Asked::No(tool_error(format!(
            "Not done: asking the user to confirm {what} failed: {e}. {}",
            admin_hint(request.name())
        ))),
    }
}

/// Withdraws our question when the tool call that asked it was cancelled.
async fn cancel_question(peer: &rmcp::Peer<RoleServer>, id: rmcp::model::RequestId) {
    let param = rmcp::model::CancelledNotificationParam::new(
        Some(id),
        Some("the tool call was cancelled".into()),
    );
    if let Err(e) = peer.notify_cancelled(param).await {
        tracing::debug!(error = %e, "could not withdraw the confirmation question");
    }
}

/// What the user reads: the action, the guest (by name when the helper tells it) and
/// the rule that asks.
async fn question(helper: &HelperClient, request: &Operation) -> String {
    let what = match request.guest() {
        Some(vmid) => request.phrase_with(&guest_words(helper, vmid).await),
        None => request.phrase(),
    };
    format!(
        "The assistant wants to {what}. The pve-mcp policy asks you to confirm \"{}\" \
         actions. Allow it?",
        request.name()
    )
}

/// `VM 101 "web" on node pve1 (now running)`, or `guest 101` when the helper does not
/// say in time.
async fn guest_words(helper: &HelperClient, vmid: VmId) -> String {
    let status = Request::GuestStatus(GuestRef { vmid });
    let answer = tokio::time::timeout(NAME_LOOKUP, helper.call(&status)).await;
    match answer {
        Ok(Ok(Response::Ok(Payload::Guest(d)))) => format!(
            "{} {} \"{}\" on node {} (now {})",
            if d.guest.guest_type == pve_mcp_proto::GuestType::Lxc {
                "container"
            } else {
                "VM"
            },
            vmid,
            crate::render::untrusted::line(&d.guest.name),
            d.guest.node,
            d.guest.status.as_str()
        ),
        _ => format!("guest {vmid}"),
    }
}

fn elicitation(message: String) -> Option<ElicitRequest> {
    let schema = ElicitationSchemaBuilder::new()
        .required_bool_with(KEY, |b| {
            b.title("Allow this action")
                .description("Keep it checked and accept to carry it out; decline to refuse.")
                .with_default(true)
        })
        .build()
        .ok()?;
    Some(ElicitRequest::new(
        ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema: schema,
        },
    ))
}

fn admin_hint(action: PolicyAction) -> String {
    format!(
        "An admin can let \"{action}\" run without confirmation by removing it from `confirm` \
         in the [guests] section or the [[rule]] that grants it in the policy \
         (/etc/pve-mcp/policy.toml), then reloading the \
         helper (systemctl reload pve-mcp-helper)."
    )
}

/// The refusal for a client that cannot ask its user.
fn unsupported(refusal: &ErrorBody, action: PolicyAction) -> rmcp::model::CallToolResult {
    let reason = crate::render::untrusted::line(refusal.message.trim_end_matches('.'));
    tool_error(format!(
        "Confirmation required: {reason}. This MCP client cannot ask its user to confirm (it \
         did not declare form elicitation), so nothing was done. Tell the user; they can do \
         it themselves in Proxmox, or use a client that supports elicitation. {}",
        admin_hint(action)
    ))
}

#[cfg(test)]
mod tests;
