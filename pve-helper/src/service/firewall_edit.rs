//! Executing a guest firewall change the policy allowed, on the guest's own node:
//! `PUT .../firewall/options` for `enable`; for rules, the calls pve-firewall takes
//! (`POST .../rules`, `PUT` and `DELETE .../rules/{pos}`), each rule change sent with
//! the digest of the list it was judged on, so that Proxmox refuses it if the list
//! changed meanwhile. Answered with the guest's firewall as it then is.
//!
//! Proxmox adds every new rule at the top. A new rule is added disabled (inert),
//! moved to its place, and only then enabled, each step checking that the other rules
//! are still the ones judged: it is never in force above a rule the bounds keep above
//! it, even one an admin adds meanwhile.

use super::guests::{guest_path, lookup};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::policy::firewall::{GuestRules, RuleFields, rule_fields};
use crate::pve::{PveError, plan};
use pve_mcp_proto::{
    ApiMethod, ErrorBody, ErrorKind, FirewallChange, FirewallEdit, FirewallQuery, VmId,
};

/// At most this many rules are read; a guest with more is refused as unreadable.
const MAX_RULES: usize = 4096;

type Form = Vec<(String, String)>;

/// The guest's firewall rules, as Proxmox holds them, with their digest.
pub async fn rules(svc: &Service, vmid: VmId) -> Result<GuestRules, PveError> {
    let Ok(g) = lookup(svc, vmid).await else {
        return Ok(GuestRules::default());
    };
    read(svc, &format!("{}/firewall/rules", guest_path(&g))).await
}

async fn read(svc: &Service, path: &str) -> Result<GuestRules, PveError> {
    let raw: Vec<serde_json::Map<String, serde_json::Value>> = svc.pve.get(path, &[]).await?;
    if raw.len() > MAX_RULES {
        return Err(PveError::Decode(format!(
            "more than {MAX_RULES} firewall rules"
        )));
    }
    Ok(GuestRules::from_listing(raw))
}

fn stale(vmid: VmId) -> ErrorBody {
    ErrorBody::new(
        ErrorKind::Invalid,
        format!(
            "the firewall rules of guest {vmid} changed while the change was made; read them \
             again"
        ),
    )
}

pub async fn run(svc: &Service, policy: &Policy, e: &FirewallEdit) -> OpResult {
    let g = lookup(svc, e.vmid).await?;
    let base = format!("{}/firewall", guest_path(&g));
    let send = |method, path: String, form: Form| async move {
        svc.pve
            .call_form(method, &path, &form)
            .await
            .map_err(upstream_error)
    };
    let rules_path = format!("{base}/rules");
    if let FirewallChange::Enable { enable } = e.change {
        let form = vec![("enable".to_owned(), u8::from(enable).to_string())];
        send(ApiMethod::Put, format!("{base}/options"), form).await?;
    } else {
        let now = read(svc, &rules_path).await.map_err(upstream_error)?;
        let judged = e.digest.as_ref().map(|d| d.as_str().to_owned());
        if now.digest != judged {
            return Err(stale(e.vmid));
        }
        let digest = || judged.clone().map(|d| ("digest".to_owned(), d));
        match &e.change {
            FirewallChange::Delete { pos } => {
                let form = digest().into_iter().collect();
                send(ApiMethod::Delete, format!("{rules_path}/{pos}"), form).await?;
            }
            FirewallChange::Move { pos, to } => {
                // pve-firewall puts the rule before the one at `moveto` as it was.
                let moveto = if to > pos { to + 1 } else { *to };
                let mut form: Form = vec![("moveto".to_owned(), moveto.to_string())];
                form.extend(digest());
                send(ApiMethod::Put, format!("{rules_path}/{pos}"), form).await?;
            }
            FirewallChange::Update { pos, set, delete } => {
                let mut form: Form = set
                    .pairs()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                if !delete.is_empty() {
                    let d: Vec<&str> = delete.iter().map(|d| d.as_str()).collect();
                    form.push(("delete".to_owned(), d.join(",")));
                }
                form.extend(digest());
                send(ApiMethod::Put, format!("{rules_path}/{pos}"), form).await?;
            }
            FirewallChange::Add { rule, pos } => {
                let at = pos.map_or(now.floor(&policy.firewall, None), |p| {
                    usize::try_from(p).unwrap_or(usize::MAX)
                });
                let new = rule_fields(rule);
                let placed = Placed {
                    path: &rules_path,
                    vmid: e.vmid,
                    judged: &now.rules,
                };
                add(svc, &placed, &new, at, rule.enable == Some(true)).await?;
            }
            FirewallChange::Enable { .. } => {}
        }
    }
    super::lifecycle::firewall(
        svc,
        &FirewallQuery {
            node: None,
            vmid: Some(e.vmid),
        },
    )
    .await
}

/// Where a new rule goes: the guest's rules, as judged.
struct Placed<'a> {
    path: &'a str,
    vmid: VmId,
    judged: &'a [RuleFields],
}

/// A new rule at position `at`: added disabled at the top (where Proxmox puts it),
/// moved down when `at` is lower, then enabled if `enabled`. Each step checks that the list is
/// the one judged with the new rule where it was put, so that a rule an admin added
/// meanwhile is never jumped over; a step that finds otherwise stops, and says where
/// the new rule was left (disabled, so inert).
async fn add(
    svc: &Service,
    p: &Placed<'_>,
    rule: &RuleFields,
    at: usize,
    enabled: bool,
) -> Result<(), ErrorBody> {
    let call = |method, path: String, form: Form| async move {
        svc.pve
            .call_form(method, &path, &form)
            .await
            .map(drop)
            .map_err(upstream_error)
    };
    let mut form: Form = rule.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    form.retain(|(k, _)| k != "enable");
    form.push(("enable".to_owned(), "0".to_owned()));
    call(ApiMethod::Post, p.path.to_owned(), form).await?;
    let mut inert = rule.clone();
    inert.insert("enable".into(), "0".into());
    let left = |at: usize, e: ErrorBody| ErrorBody {
        message: format!(
            "{} The new rule was left disabled at position {at}: delete it, or read the \
             rules and move it.",
            e.message
        ),
        ..e
    };
    if at > 0 {
        let d = digest_if_at(svc, p, 0, &inert)
            .await
            .map_err(|e| left(0, e))?;
        let mut form: Form = vec![("moveto".to_owned(), (at + 1).to_string())];
        form.extend(d.map(|d| ("digest".to_owned(), d)));
        call(ApiMethod::Put, format!("{}/0", p.path), form)
            .await
            .map_err(|e| left(0, e))?;
    }
    if enabled {
        let d = digest_if_at(svc, p, at, &inert)
            .await
            .map_err(|e| left(at, e))?;
        let mut form: Form = vec![("enable".to_owned(), "1".to_owned())];
        form.extend(d.map(|d| ("digest".to_owned(), d)));
        call(ApiMethod::Put, format!("{}/{at}", p.path), form)
            .await
            .map_err(|e| left(at, e))?;
    }
    Ok(())
}

/// The rules' digest once `want` is at position `at` and the others are the rules
/// judged, in their order (none in a plan, whose writes were not made).
async fn digest_if_at(
    svc: &Service,
    p: &Placed<'_>,
    at: usize,
    want: &RuleFields,
) -> Result<Option<String>, ErrorBody> {
    if plan::active() {
        return Ok(None);
    }
    let now = read(svc, p.path).await.map_err(upstream_error)?;
    let mut others = now.rules.clone();
    let here = (at < others.len()).then(|| others.remove(at));
    match here {
        Some(r) if same(&r, want) && others == p.judged => Ok(now.digest),
        _ => Err(stale(p.vmid)),
    }
}

/// Whether a rule Proxmox reports is the one sent (the fields sent, as sent; Proxmox
/// adds `ipversion`, and spells a macro its own way).
fn same(reported: &RuleFields, sent: &RuleFields) -> bool {
    sent.iter().all(|(k, v)| match reported.get(k) {
        Some(r) if k == "macro" => r.eq_ignore_ascii_case(v),
        r => r == Some(v),
    })
}
