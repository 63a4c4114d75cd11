//! Accepting connections: the mutual-TLS handshake within its deadline, the office its certificate names, and
//! HTTP/1.1 on it with a header-read timeout and a per-request deadline; a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::refusals::{audit_refusals, reject, Refusals};
use super::ServerConfig;
use crate::api::{self, ApiError, AppState};
use crate::tls;

/// Serves every connection `listener` accepts until `shutdown`, then lets the open ones finish (up to 30 s).
pub(super) async fn accept_loop(
    listener: TcpListener,
    tls: Arc<tls::Reloading>,
    state: Arc<AppState>,
    config: ServerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let refusals = Arc::new(Refusals::default());
    let mut minutes = tokio::time::interval(Duration::from_secs(60));
    loop {
        let (tcp, peer) = tokio::select! {
            _ = minutes.tick() => {
                tokio::spawn(audit_refusals(state.clone(), refusals.close_minute()));
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, state, config) = (TlsAcceptor::from(tls.config()), state.clone(), config.clone());
        let (reloading, refusals) = (tls.clone(), refusals.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let refused = Arc::new(std::sync::Mutex::new(None));
            let handshake = tokio::time::timeout(config.handshake_timeout, acceptor.accept(tcp));
            let tls = match tls::REFUSED_CERTIFICATE.scope(refused.clone(), handshake).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    let presented = refused.lock().ok().and_then(|slot| slot.clone());
                    return reject(&state, &refusals, peer, &error.to_string(), presented.as_deref()).await;
                }
                Err(_) => return reject(&state, &refusals, peer, "handshake timed out", None).await,
            };
            let certificate = tls.get_ref().1.peer_certificates().and_then(|certs| certs.first());
            let anonymous = certificate.is_none() && allows_anonymous(&config);
            let office = certificate.and_then(|certificate| config.office_from.office_of(certificate));
            let Some(office) = office.or(anonymous.then(String::new)) else {
                let subject = certificate.map(tls::describe);
                let reason = format!("client certificate has no 10-digit office number in {}", config.office_from);
                return reject(&state, &refusals, peer, &reason, subject.as_deref()).await;
            };
            let connection = Arc::new(crate::router::Connection {
                office: Arc::from(office),
                serial: certificate.map(tls::serial_of).unwrap_or_default(),
                opened: std::time::Instant::now(),
                max_age: config.max_connection_age,
                tls: reloading,
                peer: peer.ip(),
            });
            let service = service_fn(move |request| {
                let (state, connection, deadline) = (state.clone(), connection.clone(), config.request_timeout);
                async move {
                    let handled = crate::router::handle(state, connection, request);
                    let response = match tokio::time::timeout(deadline, handled).await {
                        Ok(response) => response,
                        Err(_) => api::error_response(&timeout_error()),
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(config.header_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(tls), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    audit_refusals(state.clone(), refusals.close_minute()).await;
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish within 30 s of shutdown");
    }
}

/// Whether the deliberate fault that serves clients without a certificate (as no office: `/healthz` only) is on.
#[cfg(feature = "faults")]
fn allows_anonymous(config: &ServerConfig) -> bool {
    config.api.faults.allow_anonymous
}

#[cfg(not(feature = "faults"))]
fn allows_anonymous(_: &ServerConfig) -> bool {
    false
}

fn timeout_error() -> ApiError {
    ApiError { code: protocol::ErrorCode::RequestTimeout, message: "the request took too long".into(), report: None }
}
