//! The relay process: its configuration, and `start`, which checks the PKI and store folders are private, opens
//! the store, loads the signing key and sets the relay's loops going: connections (mutual TLS, HTTP/1.1 with
//! deadlines), refused handshakes audited within bounds, retention and reloads; a graceful stop.

mod connections;
mod refusals;
mod upkeep;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{self, ApiConfig, AppState};
use crate::store::{Opener, Store, StoreError, StoreLocation};
use crate::tls;
use transport::PkiPaths;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// where the relay keeps everything
    pub store: StoreLocation,
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
    /// a connection older than this is closed after its next answer: access is decided again on a new one
    pub max_connection_age: Duration,
    /// where a client certificate carries the office number (`serve --office-from`; default: the subject CN)
    pub office_from: crate::identity::OfficeFrom,
}

impl ServerConfig {
    /// A relay on `listen` over the store at `store` (a folder: the embedded store in it) and the PKI in `pki`.
    pub fn new(listen: SocketAddr, store: impl Into<StoreLocation>, pki: PathBuf) -> ServerConfig {
        ServerConfig {
            listen,
            store: store.into(),
            pki,
            api: ApiConfig::default(),
            retention: Duration::from_secs(400 * 24 * 3600),
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            record: None,
            max_connection_age: Duration::from_secs(600),
            office_from: crate::identity::OfficeFrom::default(),
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
    Postgres(#[from] crate::store::OpenError),
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
    if let StoreLocation::Embedded { dir, .. } = &config.store {
        if dir.exists() {
            crate::private::check(dir)?;
        }
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
    // Connecting to a database waits on the network: off the async workers.
    let location = config.store.clone();
    let store: Arc<dyn Store> = tokio::task::spawn_blocking(move || location.open(Opener::Relay))
        .await
        .map_err(|_| StoreError::Panicked { during: "opening the store" })??;
    let listener = TcpListener::bind(config.listen).await.map_err(|e| ServerError::Listen(config.listen, e))?;
    let local_addr = listener.local_addr().map_err(|e| ServerError::Listen(config.listen, e))?;
    let recorder = match &config.record {
        Some(path) => Some(api::Recorder::create(path).map_err(|e| ServerError::Record(path.clone(), e))?),
        None => None,
    };
    let pki = PkiPaths::new(&config.pki);
    crate::pki::ensure_signing(&pki)?;
    let signer = crate::evidence::Signer::load(&pki)?;
    #[cfg(feature = "faults")]
    let store = crate::faults::wrap(store, config.api.faults);
    let state = Arc::new(AppState::new(store, config.api.clone(), recorder, signer));
    // Sends stored by other relay nodes wake this node's waiting inboxes too (the state is held weakly: the
    // store lives inside it).
    let waiters = Arc::downgrade(&state);
    let store = Arc::clone(&state.store);
    // On a blocking thread: a PostgreSQL store returns once it listens (a few seconds at most).
    let watching = tokio::task::spawn_blocking(move || {
        store.watch_arrivals(Arc::new(move |office: &str| {
            if let Some(state) = waiters.upgrade() {
                state.arrivals.arrived(office);
            }
        }));
    });
    if let Err(error) = watching.await {
        tracing::warn!(%error, "not watching for other nodes' sends: waiting inboxes find them at their next look");
    }
    let (shutdown, watch_shutdown) = watch::channel(false);
    tokio::spawn(upkeep::retention_loop(state.clone(), config.retention, watch_shutdown.clone()));
    tokio::spawn(upkeep::reload_on_hangup(tls.clone(), watch_shutdown.clone()));
    let task = tokio::spawn(connections::accept_loop(listener, tls, state, config, watch_shutdown));
    tracing::info!(%local_addr, "relay listening");
    Ok(RunningServer { local_addr, shutdown, task })
}
