//! Refused handshakes, audited within bounds: whoever cannot complete a handshake writes a bounded number of
//! bounded rows.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::api::AppState;
use crate::model::AuditEntry;

/// Most kinds of refused handshake (peer address, reason, subject presented) audited in one minute; past it, the
/// rest of the minute's refusals are only counted.
const KINDS_PER_MINUTE: usize = 32;

/// Longest reason or subject text an audit entry of a refused handshake keeps, in characters.
const REFUSAL_TEXT: usize = 200;

/// Refused handshakes, counted rather than stored one row each: whoever cannot complete a handshake writes a
/// bounded number of bounded rows. The first of each kind in a minute is audited at once; its repeats are counted
/// and written as one row when the minute ends (see [`KINDS_PER_MINUTE`], [`REFUSAL_TEXT`]).
#[derive(Default)]
pub(super) struct Refusals {
    minute: std::sync::Mutex<Minute>,
}

#[derive(Default)]
struct Minute {
    /// refusals of each kind this minute; the first of each is already audited
    kinds: HashMap<RefusalKind, u64>,
    /// refusals past [`KINDS_PER_MINUTE`] kinds
    beyond: u64,
}

#[derive(PartialEq, Eq, Hash)]
struct RefusalKind {
    address: IpAddr,
    reason: String,
    /// SHA-256 (first 8 bytes) of the certificate's description, `-` when none was presented
    subject: String,
}

impl Refusals {
    /// Counts one refusal; returns the audit detail to write now when it is the first of its kind this minute.
    fn note(&self, peer: SocketAddr, reason: &str, presented: Option<&str>) -> Option<String> {
        use sha2::Digest as _;
        let reason = bounded(reason);
        let subject = presented.map_or_else(
            || "-".to_string(),
            |text| conformance::hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8]),
        );
        let kind = RefusalKind { address: peer.ip(), reason: reason.clone(), subject: subject.clone() };
        let mut minute = self.minute.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = minute.kinds.get_mut(&kind) {
            *count += 1;
            return None;
        }
        if minute.kinds.len() >= KINDS_PER_MINUTE {
            minute.beyond += 1;
            return None;
        }
        minute.kinds.insert(kind, 1);
        Some(match presented {
            Some(text) => format!("{peer}: {reason}; presented {} (subject SHA-256 {subject})", bounded(text)),
            None => format!("{peer}: {reason}"),
        })
    }

    /// Ends the minute: the rows that say how often each kind came again, and how many were past the limit.
    pub(super) fn close_minute(&self) -> Vec<String> {
        let minute = std::mem::take(&mut *self.minute.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut rows: Vec<String> = minute
            .kinds
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(kind, count)| {
                format!(
                    "{}: {} more times within a minute: {} (subject SHA-256 {})",
                    kind.address,
                    count - 1,
                    kind.reason,
                    kind.subject
                )
            })
            .collect();
        if minute.beyond > 0 {
            rows.push(format!(
                "{} more refused handshakes within a minute, of more than {KINDS_PER_MINUTE} kinds",
                minute.beyond
            ));
        }
        rows
    }
}

/// Outside text for the audit log: escaped, and cut to [`REFUSAL_TEXT`] characters.
fn bounded(text: &str) -> String {
    let text = crate::checks::shown(text);
    match text.char_indices().nth(REFUSAL_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.into_owned(),
    }
}

/// Counts a refused handshake, and audits and logs it when it is the first of its kind this minute.
pub(super) async fn reject(
    state: &Arc<AppState>,
    refusals: &Refusals,
    peer: SocketAddr,
    reason: &str,
    presented: Option<&str>,
) {
    state.metrics.tls_rejected();
    // Logged like it is audited: the first of its kind a minute, so a flood does not flood the log either.
    if let Some(detail) = refusals.note(peer, reason, presented) {
        tracing::info!(%detail, "connection refused");
        audit_refusals(state.clone(), vec![detail]).await;
    }
}

/// Audits refused handshakes, within the store's reserve for offices ([`Store::audit_unauthenticated`]).
pub(super) async fn audit_refusals(state: Arc<AppState>, details: Vec<String>) {
    for detail in details {
        let entry = AuditEntry {
            at: crate::clock::now(),
            office: None,
            action: "auth_failure".into(),
            message_id: None,
            detail: Some(detail),
        };
        if let Err(error) = state.store.audit_unauthenticated(&entry).await {
            tracing::error!(%error, "could not audit a refused handshake");
        }
    }
}
