//! What the relay does besides answering: the retention purge and reloading the CA and CRL on SIGHUP.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::api::AppState;
use crate::model::AuditEntry;
use crate::tls;

/// How often the retention purge runs (on a shared database: once per interval across the nodes).
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// SIGHUP reloads the CA certificate and CRL even when their files look unchanged (e.g. copied with their times).
pub(super) async fn reload_on_hangup(tls: Arc<tls::Reloading>, mut shutdown: watch::Receiver<bool>) {
    let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return;
    };
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                tls.reload();
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Purges messages older than `retention` once per [`PURGE_INTERVAL`], auditing what it removed.
pub(super) async fn retention_loop(state: Arc<AppState>, retention: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        let cutoff = time::OffsetDateTime::now_utc() - retention;
        if let Ok(cutoff) = cutoff.format(&time::format_description::well_known::Rfc3339) {
            let purged = async {
                // On a shared database one node purges per interval; the others find it claimed.
                if !state.store.claim_purge(PURGE_INTERVAL).await? {
                    return Ok(0);
                }
                let count = state.store.purge_before(&cutoff).await?;
                if count > 0 {
                    let detail = Some(format!("{count} messages created before {cutoff}"));
                    let entry = AuditEntry {
                        at: crate::clock::now(),
                        office: None,
                        action: "purge".into(),
                        message_id: None,
                        detail,
                    };
                    state.store.audit(&entry).await?;
                    state.store.compact().await?;
                }
                Ok::<_, crate::store::StoreError>(count)
            };
            if let Err(error) = purged.await {
                tracing::error!(%error, "retention purge failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_INTERVAL) => {}
            _ = shutdown.changed() => return,
        }
    }
}
