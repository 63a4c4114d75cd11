//! What every endpoint shares: the API's limits and behaviour (`ApiConfig`), the relay's state (`AppState`: the
//! store, metrics, upload budget, long-poll arrivals, the signer), each office's paging cursors and the request
//! recording.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use protocol::RecordedRequest;

use protocol::ErrorCode;

use crate::metrics::Metrics;
use crate::store::Store;

use super::http::{error_response, ApiError, Body};

/// Limits and behaviour of the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// largest request body accepted, in bytes
    pub max_body: usize,
    /// most files in one send
    pub max_files: usize,
    /// most messages per page
    pub max_page: usize,
    /// request bodies (sends and dry runs) read and checked at once, in bytes: a burst of large uploads waits its
    /// turn instead of exhausting memory (each is held in memory while it is validated). One office holds at most
    /// half of it (or one largest body, if that is more): see [`AppState::office_share`]
    pub upload_budget: usize,
    /// slowest a request body may arrive once its grace has passed, in bytes per second: a stalled upload gives its
    /// share of the budget back within seconds, not at the request deadline
    pub min_body_rate: usize,
    /// how long a body may take before [`ApiConfig::min_body_rate`] applies
    pub body_grace: std::time::Duration,
    /// the addresses `/metrics` answers (relay-wide counters are the operator's): loopback ones when empty
    pub metrics_from: Vec<std::net::IpAddr>,
    /// how long an inbox long poll waits for a wake-up before it looks at the inbox again by itself (a wake-up
    /// lost between relay nodes costs at most this much latency); tests set it beyond the longest wait, so only a
    /// wake-up can answer a waiting poll
    pub look_again: std::time::Duration,
    #[cfg(feature = "faults")]
    pub faults: crate::faults::Faults,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_body: 64 * 1024 * 1024,
            max_files: 64,
            max_page: 100,
            upload_budget: 128 * 1024 * 1024,
            min_body_rate: 32 * 1024,
            body_grace: std::time::Duration::from_secs(5),
            metrics_from: Vec::new(),
            look_again: std::time::Duration::from_secs(5),
            #[cfg(feature = "faults")]
            faults: crate::faults::Faults::default(),
        }
    }
}

/// Whether a deliberate fault is on (always false without the `faults` feature).
pub(crate) fn fault(state: &AppState, which: fn(&crate::faults::Faults) -> bool) -> bool {
    configured_fault(&state.config, which)
}

/// An error as the API answers it; with the `plain_errors` fault, as bare text.
pub(crate) fn error_answer(state: &AppState, error: &ApiError) -> Response<Body> {
    if fault(state, |f| f.plain_errors) {
        let mut response = Response::new(Full::new(Bytes::from(error.message.clone())));
        *response.status_mut() = error.status();
        return response;
    }
    error_response(error)
}

#[cfg(feature = "faults")]
pub(crate) fn configured_fault(config: &ApiConfig, which: fn(&crate::faults::Faults) -> bool) -> bool {
    which(&config.faults)
}

#[cfg(not(feature = "faults"))]
pub(crate) fn configured_fault(_: &ApiConfig, _: fn(&crate::faults::Faults) -> bool) -> bool {
    false
}

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: ApiConfig,
    pub metrics: Metrics,
    /// where `serve --record` writes one JSON line per request
    pub recorder: Option<Recorder>,
    /// inbox long-polls waiting for a send
    pub arrivals: crate::arrivals::Arrivals,
    /// KiB of request bodies in flight (see [`ApiConfig::upload_budget`])
    pub uploads: tokio::sync::Semaphore,
    /// each office's KiB in flight, at most [`AppState::office_share`]: one office's uploads, however many
    /// connections they come on, cannot take the whole budget
    office_uploads: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// signs offices' exchange records
    pub signer: crate::evidence::Signer,
    /// turns sequence numbers into each office's paging cursors
    pub(crate) cursors: Cursors,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        config: ApiConfig,
        recorder: Option<Recorder>,
        signer: crate::evidence::Signer,
    ) -> AppState {
        let uploads = tokio::sync::Semaphore::new(kib(config.upload_budget.max(config.max_body)));
        AppState {
            store,
            config,
            metrics: Metrics::default(),
            recorder,
            arrivals: Default::default(),
            uploads,
            office_uploads: Default::default(),
            cursors: Cursors(signer.derived_key("paging cursors")),
            signer,
        }
    }

    /// KiB of the upload budget one office may hold at once: half of it, or one largest body if that is more.
    pub(crate) fn office_share(&self) -> usize {
        kib((self.config.upload_budget / 2).max(self.config.max_body))
    }

    /// `office`'s own queue for the upload budget (FIFO, as every tokio semaphore).
    pub(crate) fn office_uploads(&self, office: &str) -> Arc<tokio::sync::Semaphore> {
        let mut offices = self.office_uploads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        offices
            .entry(office.to_string())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.office_share())))
            .clone()
    }
}

/// Paging cursors as offices see them: the store's sequence number under a permutation of 52-bit numbers keyed per
/// office (four Feistel rounds over HMAC-SHA-256), so a cursor says nothing of how many messages other offices
/// exchanged, every node that shares the PKI reads it, and it stays a number JavaScript holds exactly.
pub(crate) struct Cursors(ring::hmac::Key);

/// Bits of each half of a cursor.
const CURSOR_HALF: u32 = 26;

const CURSOR_HALF_MASK: u64 = (1 << CURSOR_HALF) - 1;

impl Cursors {
    fn round(&self, office: &str, round: u8, half: u64) -> u64 {
        let mut context = ring::hmac::Context::with_key(&self.0);
        context.update(office.as_bytes());
        context.update(&[0, round]);
        context.update(&half.to_le_bytes());
        let tag = context.sign();
        let mut first = [0u8; 8];
        first.iter_mut().zip(tag.as_ref()).for_each(|(to, from)| *to = *from);
        u64::from_le_bytes(first) & CURSOR_HALF_MASK
    }

    /// The cursor `office` is given for the sequence number `seq` (below 2^52).
    pub(crate) fn hide(&self, office: &str, seq: i64) -> i64 {
        let seq = seq.unsigned_abs() & ((1 << (2 * CURSOR_HALF)) - 1);
        let (mut left, mut right) = (seq >> CURSOR_HALF, seq & CURSOR_HALF_MASK);
        for round in 0..4 {
            (left, right) = (right, left ^ self.round(office, round, right));
        }
        i64::try_from((left << CURSOR_HALF) | right).unwrap_or(0)
    }

    /// The sequence number behind `cursor`, which `office` was given; a number no cursor can be is refused.
    pub(crate) fn reveal(&self, office: &str, cursor: i64) -> Result<i64, ApiError> {
        let not_a_cursor = || ApiError::new(ErrorCode::BadRequest, "before and after take a `next` the relay gave");
        let cursor = u64::try_from(cursor).ok().filter(|c| *c >> (2 * CURSOR_HALF) == 0).ok_or_else(not_a_cursor)?;
        let (mut left, mut right) = (cursor >> CURSOR_HALF, cursor & CURSOR_HALF_MASK);
        for round in (0..4).rev() {
            (left, right) = (right ^ self.round(office, round, left), left);
        }
        i64::try_from((left << CURSOR_HALF) | right).map_err(|_| not_a_cursor())
    }
}

/// Bytes as semaphore permits: KiB, rounded up.
pub(crate) fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

/// Appends one [`RecordedRequest`] per request to a file (JSON lines), for `careplan-conformance client-check`.
pub struct Recorder {
    file: std::sync::Mutex<std::fs::File>,
}

impl Recorder {
    /// Opens the log owner-only (an existing one is narrowed to 0600): it names offices, messages and files.
    pub fn create(path: &std::path::Path) -> std::io::Result<Recorder> {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(Recorder { file: std::sync::Mutex::new(file) })
    }

    pub(crate) fn write(&self, record: &RecordedRequest) {
        use std::io::Write as _;
        let line = serde_json::to_string(record).unwrap_or_default() + "\n";
        if let Ok(mut file) = self.file.lock() {
            if let Err(error) = file.write_all(line.as_bytes()) {
                tracing::error!(%error, "cannot write the request recording");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_for_its_office() {
        let cursors = Cursors(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"test"));
        for seq in [0, 1, 2, 3, 1000, 123_456_789, (1 << 52) - 1] {
            let cursor = cursors.hide("1370002058", seq);
            assert!((0..1 << 52).contains(&cursor));
            assert_eq!(cursors.reveal("1370002058", cursor).ok(), Some(seq));
            assert_ne!(cursors.hide("1370001002", seq), cursor);
        }
        assert!(cursors.reveal("1370002058", -1).is_err());
        assert!(cursors.reveal("1370002058", 1 << 52).is_err());
    }
}
