//! Who may see what, and its audit: the caller's registered office, a message visible to its sender and recipient
//! only (404 for anyone else), and the audit entries of reads and refusals.

use std::sync::Arc;

use protocol::ErrorCode;

use crate::checks::shown;
use crate::model::{AuditEntry, MessageMeta, Office};

use super::http::{param, ApiError};
use super::state::{fault, AppState};
use crate::clock::now;

/// An audit entry; its detail (file names, paths, reasons: text from outside) is stored [`shown`], so reading
/// the log shows what was there.
pub(crate) fn audit_entry(office: &str, action: &str, message_id: Option<&str>, detail: Option<String>) -> AuditEntry {
    AuditEntry {
        at: now(),
        office: Some(office.to_string()),
        action: action.to_string(),
        message_id: message_id.map(String::from),
        detail: detail.map(|text| shown(&text).into_owned()),
    }
}

/// Audits a read of personal data that changes nothing else; fails (and the caller shows nothing) when the audit
/// entry cannot be stored.
pub(crate) async fn record_access(
    state: &Arc<AppState>,
    office: &str,
    action: &str,
    message_id: &str,
    file: &str,
) -> Result<(), ApiError> {
    Ok(state.store.audit(&audit_entry(office, action, Some(message_id), Some(file.to_string()))).await?)
}

/// Audits something that changes nothing stored (a refused request).
pub(crate) async fn audit(
    state: &Arc<AppState>,
    office: &str,
    action: &str,
    message_id: Option<&str>,
    detail: Option<String>,
) {
    let entry = audit_entry(office, action, message_id, detail);
    if let Err(error) = state.store.audit(&entry).await {
        tracing::error!(?error, "audit write failed");
    }
}

/// The caller's directory entry; `403 unknown_office` when its certificate names no registered office.
pub(crate) async fn registered_office(state: &AppState, me: &str) -> Result<Office, ApiError> {
    state
        .store
        .office(me)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownOffice, format!("office {me} is not registered")))
}

/// The message, if `me` is its sender or recipient; anyone else gets 404 so existence does not leak.
pub(crate) async fn visible_message(state: &Arc<AppState>, me: &str, id: &str) -> Result<MessageMeta, ApiError> {
    visible(state, me, id, state.store.message(id).await?)
}

pub(crate) fn visible(
    state: &AppState,
    me: &str,
    id: &str,
    message: Option<MessageMeta>,
) -> Result<MessageMeta, ApiError> {
    match message {
        Some(message) if message.from == me || message.to == me || fault(state, |f| f.leak_messages) => Ok(message),
        _ => Err(ApiError::new(ErrorCode::NotFound, format!("no message {id}"))),
    }
}

/// The caller's exchange record for the period `from`..`to` of the query, audited as read (`how`: the form).
pub(crate) async fn evidence_record(
    state: &Arc<AppState>,
    office: &Office,
    params: &[(String, String)],
    how: &str,
) -> Result<protocol::EvidenceRecord, ApiError> {
    use crate::evidence::{self, EvidenceError, Period};
    let period = Period::parse(param(params, "from"), param(params, "to"))
        .map_err(|error| ApiError::new(ErrorCode::BadRequest, error.to_string()))?;
    let record =
        evidence::build(&*state.store, office, period, &now(), &state.signer).await.map_err(|error| match error {
            EvidenceError::Store(error) => ApiError::from(error),
            other => ApiError::new(ErrorCode::Internal, other.to_string()),
        })?;
    audit(state, &office.number, "evidence", None, Some(format!("{} {} {how}", record.from, record.to))).await;
    Ok(record)
}
