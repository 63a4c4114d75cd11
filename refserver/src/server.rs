//! The relay process: accept TCP, complete the mutual-TLS handshake (bounded in time), serve HTTP/1.1 with a
//! header-read timeout and a per-request deadline, purge old messages, and shut down gracefully.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::api::{self, ApiConfig, ApiError, AppState};
use crate::pgstore::PgStore;
use crate::store::{AuditEntry, SqliteStore, Store, StoreError};
use crate::tls;
use transport::PkiPaths;

/// How often the retention purge runs (on a shared database: once per interval across the nodes).
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Memory for the latest messages, served to their recipients without a trip to SQLite.
const RECENT_BYTES: usize = 64 << 20;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub pki: PathBuf,
    pub api: ApiConfig,
    /// messages older than this are purged (and the purge audited)
    pub retention: Duration,
    /// a TLS handshake must finish within this
    pub handshake_timeout: Duration,
    /// request headers must arrive within this
    pub header_timeout: Duration,
    /// a whole request (body included) must be handled within this
    pub request_timeout: Duration,
    /// append one JSON line per request to this file (`serve --record`)
    pub record: Option<PathBuf>,
    /// largest size of the store's database, in bytes; sends beyond it get 507
    pub max_store_bytes: Option<u64>,
    /// a PostgreSQL database (`postgres://…`) instead of the embedded store in `data`
    pub store_url: Option<String>,
    /// a connection older than this is closed after its next answer: access is decided again on a new one
    pub max_connection_age: Duration,
}

impl ServerConfig {
    pub fn new(listen: SocketAddr, data: PathBuf, pki: PathBuf) -> ServerConfig {
        ServerConfig {
            listen,
            data,
            pki,
            api: ApiConfig::default(),
            retention: Duration::from_secs(400 * 24 * 3600),
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            record: None,
            max_store_bytes: None,
            store_url: None,
            max_connection_age: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Postgres(#[from] crate::pgstore::OpenError),
    #[error(transparent)]
    NotPrivate(#[from] crate::private::NotPrivate),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error("the relay's signing key: {0}")]
    Signing(#[from] crate::evidence::EvidenceError),
    #[error("cannot open the recording {0}: {1}")]
    Record(PathBuf, std::io::Error),
}

/// A started relay: where it listens, and how to stop it.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (up to 30 s), and waits.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    crate::private::check(&config.pki)?;
    if config.store_url.is_none() && config.data.exists() {
        crate::private::check(&config.data)?;
    }
    #[cfg(feature = "faults")]
    let build: tls::Builder = match config.api.faults {
        faults if faults.accept_expired => tls::server_config_accepting_expired,
        faults if faults.allow_anonymous => tls::server_config_allowing_anonymous,
        _ => tls::server_config,
    };
    #[cfg(not(feature = "faults"))]
    let build: tls::Builder = tls::server_config;
    let tls = Arc::new(tls::Reloading::new(PkiPaths::new(&config.pki), build)?);
    let store: Arc<dyn Store> = match config.store_url.clone() {
        // Connecting waits on the network: off the async workers. No copy of recent messages: another node's
        // change would not reach it.
        Some(url) => Arc::new(
            tokio::task::spawn_blocking(move || PgStore::open(&url))
                .await
                .map_err(|error| StoreError::Writer(error.to_string()))??,
        ),
        None => Arc::new(SqliteStore::open_limited(&config.data, config.max_store_bytes)?.with_recent(RECENT_BYTES)),
    };
    let listener = TcpListener::bind(config.listen).await.map_err(|e| ServerError::Listen(config.listen, e))?;
    let local_addr = listener.local_addr().map_err(|e| ServerError::Listen(config.listen, e))?;
    let recorder = match &config.record {
        Some(path) => Some(api::Recorder::create(path).map_err(|e| ServerError::Record(path.clone(), e))?),
        None => None,
    };
    let pki = PkiPaths::new(&config.pki);
    crate::pki::ensure_signing(&pki)?;
    let signer = crate::evidence::Signer::load(&pki)?;
    let state = Arc::new(AppState::new(store, config.api.clone(), recorder, signer));
    // Sends stored by other relay nodes wake this node's waiting inboxes too (the state is held weakly: the
    // store lives inside it).
    let waiters = Arc::downgrade(&state);
    state.store.watch_arrivals(Arc::new(move |office: &str| {
        if let Some(state) = waiters.upgrade() {
            state.arrivals.arrived(office);
        }
    }));
    let (shutdown, watch_shutdown) = watch::channel(false);
    tokio::spawn(retention_loop(state.clone(), config.retention, watch_shutdown.clone()));
    tokio::spawn(reload_on_hangup(tls.clone(), watch_shutdown.clone()));
    let task = tokio::spawn(accept_loop(listener, tls, state, config, watch_shutdown));
    tracing::info!(%local_addr, "relay listening");
    Ok(RunningServer { local_addr, shutdown, task })
}

/// SIGHUP reloads the CA certificate and CRL even when their files look unchanged (e.g. copied with their times).
async fn reload_on_hangup(tls: Arc<tls::Reloading>, mut shutdown: watch::Receiver<bool>) {
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

async fn accept_loop(
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
            let Some(office) = certificate.and_then(tls::office_of).or(anonymous.then(String::new)) else {
                let subject = certificate.map(tls::describe);
                let reason = "client certificate has no 10-digit office number in its CN";
                return reject(&state, &refusals, peer, reason, subject.as_deref()).await;
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

/// Most kinds of refused handshake (peer address, reason, subject presented) audited in one minute; past it, the
/// rest of the minute's refusals are only counted.
const KINDS_PER_MINUTE: usize = 32;

/// Longest reason or subject text an audit entry of a refused handshake keeps, in characters.
const REFUSAL_TEXT: usize = 200;

/// Refused handshakes, counted rather than stored one row each: whoever cannot complete a handshake writes a
/// bounded number of bounded rows. The first of each kind in a minute is audited at once; its repeats are counted
/// and written as one row when the minute ends (see [`KINDS_PER_MINUTE`], [`REFUSAL_TEXT`]).
#[derive(Default)]
struct Refusals {
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
    fn close_minute(&self) -> Vec<String> {
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

async fn reject(state: &Arc<AppState>, refusals: &Refusals, peer: SocketAddr, reason: &str, presented: Option<&str>) {
    state.metrics.tls_rejected();
    // Logged like it is audited: the first of its kind a minute, so a flood does not flood the log either.
    if let Some(detail) = refusals.note(peer, reason, presented) {
        tracing::info!(%detail, "connection refused");
        audit_refusals(state.clone(), vec![detail]).await;
    }
}

/// Audits refused handshakes, within the store's reserve for offices ([`Store::audit_unauthenticated`]).
async fn audit_refusals(state: Arc<AppState>, details: Vec<String>) {
    for detail in details {
        let entry = AuditEntry {
            at: api::now(),
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

async fn retention_loop(state: Arc<AppState>, retention: Duration, mut shutdown: watch::Receiver<bool>) {
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
                    let entry =
                        AuditEntry { at: api::now(), office: None, action: "purge".into(), message_id: None, detail };
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
