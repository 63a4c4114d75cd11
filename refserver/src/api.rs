//! The HTTP API (see `refserver/openapi.yaml`). The caller's office number comes from its client certificate,
//! never from the request. Every error is `{"error": code, "message": text}` with a stable code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use conformance::filename::{self, FileName};
use conformance::validate::{validate_files, Options};
use futures_util::StreamExt;
use http_body_util::{BodyStream, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use protocol::RecordedRequest;

use conformance::hex::encode as hex;
use protocol::ErrorCode;

use crate::checks::shown;
use crate::metrics::Metrics;
use crate::model::{AuditEntry, Cursor, Inserted, Mailbox, MessageMeta, NewFile, NewMessage, Status};
use crate::store::{Store, StoreError};

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

#[cfg(feature = "faults")]
fn configured_fault(config: &ApiConfig, which: fn(&crate::faults::Faults) -> bool) -> bool {
    which(&config.faults)
}

#[cfg(not(feature = "faults"))]
fn configured_fault(_: &ApiConfig, _: fn(&crate::faults::Faults) -> bool) -> bool {
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
    cursors: Cursors,
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
    fn office_share(&self) -> usize {
        kib((self.config.upload_budget / 2).max(self.config.max_body))
    }

    /// `office`'s own queue for the upload budget (FIFO, as every tokio semaphore).
    fn office_uploads(&self, office: &str) -> Arc<tokio::sync::Semaphore> {
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
struct Cursors(ring::hmac::Key);

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
    fn hide(&self, office: &str, seq: i64) -> i64 {
        let seq = seq.unsigned_abs() & ((1 << (2 * CURSOR_HALF)) - 1);
        let (mut left, mut right) = (seq >> CURSOR_HALF, seq & CURSOR_HALF_MASK);
        for round in 0..4 {
            (left, right) = (right, left ^ self.round(office, round, right));
        }
        i64::try_from((left << CURSOR_HALF) | right).unwrap_or(0)
    }

    /// The sequence number behind `cursor`, which `office` was given; a number no cursor can be is refused.
    fn reveal(&self, office: &str, cursor: i64) -> Result<i64, ApiError> {
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
fn kib(bytes: usize) -> usize {
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

/// The digest of a send's files, attached to its response for the recording.
#[derive(Clone)]
pub(crate) struct UploadDigest(pub(crate) String);

pub type Body = Full<Bytes>;

/// An API error: its stable code (which sets the HTTP status), message, and the validator's report for
/// `validation_failed`.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub report: Option<protocol::ValidationReport>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), report: None }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        if let StoreError::Full = error {
            tracing::warn!("store full: refusing a write");
            return ApiError::new(
                ErrorCode::InsufficientStorage,
                "the relay's store is full; nothing was stored, try later",
            );
        }
        tracing::error!(%error, "store failure");
        ApiError::new(ErrorCode::Internal, "the relay could not access its store")
    }
}

/// A wire body as JSON (the protocol's types always serialise).
pub(crate) fn to_json(body: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or_default()
}

pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
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

pub fn error_response(error: &ApiError) -> Response<Body> {
    let body = protocol::ErrorBody { error: error.code, message: error.message.clone(), report: error.report.clone() };
    json_response(error.status(), &to_json(&body))
}

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

fn today() -> String {
    now().get(..10).unwrap_or("1970-01-01").to_string()
}

fn new_id(sender: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    hasher.update(sender.as_bytes());
    hasher.update(now().as_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let digest = hasher.finalize();
    format!("m_{}", hex(&digest[..10]))
}

/// `application/x-www-form-urlencoded` query parameters.
fn query(request: &Request<Incoming>) -> Vec<(String, String)> {
    query_pairs(request.uri().query())
}

/// The pairs of a query string (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte), by the
/// `form_urlencoded` crate of the `url` project.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map_or_else(Vec::new, |query| form_urlencoded::parse(query.as_bytes()).into_owned().collect())
}

/// One segment of a URL path, percent-decoded (RFC 3986: `+` stays a plus sign), invalid UTF-8 replaced.
pub(crate) fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// An audit entry; its detail (file names, paths, reasons: text from outside) is stored [`shown`], so reading
/// the log shows what was there.
fn audit_entry(office: &str, action: &str, message_id: Option<&str>, detail: Option<String>) -> AuditEntry {
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

pub(crate) async fn metrics(state: &Arc<AppState>) -> Result<Response<Body>, ApiError> {
    // Store reads are short indexed lookups on a pooled connection: they run inline; only writes (which wait
    // for a commit) and validation (CPU) leave the async workers.
    let counts = state.store.status_counts().await?;
    let mut response = Response::new(Full::new(Bytes::from(state.metrics.render(&counts))));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    Ok(response)
}

pub(crate) async fn directory(state: &Arc<AppState>, request: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = query(request);
    let mut offices = state.store.offices(param(&params, "q")).await?;
    if fault(state, |f| f.hide_offices) {
        offices.clear();
    }
    let directory = protocol::Directory { offices: offices.iter().map(protocol::Office::from).collect() };
    Ok(json_response(StatusCode::OK, &to_json(&directory)))
}

/// The caller's directory entry; `403 unknown_office` when its certificate names no registered office.
pub(crate) async fn registered_office(state: &AppState, me: &str) -> Result<crate::model::Office, ApiError> {
    state
        .store
        .office(me)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownOffice, format!("office {me} is not registered")))
}

/// The caller's own directory entry: who the certificate says it is.
pub(crate) async fn whoami(state: &Arc<AppState>, me: &Arc<str>) -> Result<Response<Body>, ApiError> {
    let office = registered_office(state, me).await?;
    Ok(json_response(
        StatusCode::OK,
        &to_json(&protocol::Me {
            number: office.number,
            name: office.name,
            kinds: office.kinds,
            licence_until: office.licence_until,
        }),
    ))
}

/// Validates files as a send would, storing nothing: the web page checks dropped files with this.
pub(crate) async fn dry_run(
    state: &Arc<AppState>,
    me: &str,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let (upload, _permit) = read_upload(state, me, request).await?;
    let report = tokio::task::spawn_blocking(move || {
        let files = upload.files.iter().map(|(n, b)| (n.as_str(), b.as_slice()));
        crate::checks::build(&validate_files(files, &Options::default()))
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "validation failed to run"))?;
    Ok(json_response(StatusCode::OK, &to_json(&report)))
}

/// Most long polls one office may have waiting at once.
const MAX_WAITING_POLLS: usize = 8;

/// Longest `wait` an inbox request may ask for: well inside the request deadline and graceful shutdown.
const MAX_WAIT_SECONDS: i64 = 20;

pub(crate) async fn mailbox(
    state: &Arc<AppState>,
    me: &Arc<str>,
    request: &Request<Incoming>,
    mailbox: Mailbox,
) -> Result<Response<Body>, ApiError> {
    let params = query(request);
    let status =
        match param(&params, "status") {
            None | Some("") => None,
            Some(text) => Some(Status::parse(text).ok_or_else(|| {
                ApiError::new(ErrorCode::BadRequest, "status must be sent, downloaded or acknowledged")
            })?),
        };
    let number = |name: &str| -> Result<Option<i64>, ApiError> {
        param(&params, name)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<i64>().map_err(|_| ApiError::new(ErrorCode::BadRequest, format!("{name} must be a number")))
            })
            .transpose()
    };
    let position = |name: &str| number(name)?.map(|cursor| state.cursors.reveal(me, cursor)).transpose();
    let cursor = match param(&params, "order") {
        None | Some("") | Some("desc") if param(&params, "after").is_none() => {
            Cursor::NewestFirst { before: position("before")? }
        }
        Some("asc") if param(&params, "before").is_none() => Cursor::OldestFirst { after: position("after")? },
        _ => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "order must be desc (newest first, paged with before=) or asc (oldest first, paged with after=)",
            ))
        }
    };
    let limit = number("limit")?.map_or(50, |l| l.clamp(1, state.config.max_page as i64) as usize);
    // Long poll: an empty inbox page is held until a message arrives or `wait` seconds pass.
    let wait = match mailbox {
        Mailbox::Inbox => number("wait")?.map_or(0, |w| w.clamp(0, MAX_WAIT_SECONDS)) as u64,
        Mailbox::Outbox => 0,
    };
    // With the `ignore_order` fault, oldest-first requests are answered newest first.
    let cursor = match cursor {
        Cursor::OldestFirst { .. } if fault(state, |f| f.ignore_order) => Cursor::NewestFirst { before: None },
        cursor => cursor,
    };
    let page = |mut page: crate::model::Page| {
        if fault(state, |f| f.hide_inbox) && mailbox == Mailbox::Inbox {
            page.messages.clear();
        }
        if fault(state, |f| f.break_pagination) {
            page.messages.reverse();
            page.next = None;
        }
        page.next = page.next.map(|seq| state.cursors.hide(me, seq));
        json_response(StatusCode::OK, &to_json(&protocol::Page::from(page)))
    };
    // Past the office's cap a poll is answered at once, as if it had not asked to wait.
    let place = if wait == 0 { None } else { state.arrivals.take_place(me, MAX_WAITING_POLLS) };
    if place.is_none() {
        return Ok(page(state.store.list(me, mailbox, status, cursor, limit).await?));
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
    let signal = state.arrivals.signal(me);
    loop {
        // Registered before looking, so an arrival between the look and the wait is not missed.
        let arrival = signal.notified();
        tokio::pin!(arrival);
        arrival.as_mut().enable();
        let found = state.store.list(me, mailbox, status, cursor, limit).await?;
        let now = tokio::time::Instant::now();
        if !found.messages.is_empty() || now >= deadline {
            return Ok(page(found));
        }
        // Woken by an arrival, or looking again anyway after a while: a wake-up lost between relay nodes costs
        // latency, never the message. Counted in `careplan_inbox_waiting` while parked.
        let _parked = state.metrics.inbox_waiting();
        let _ = tokio::time::timeout_at(deadline.min(now + state.config.look_again), arrival).await;
    }
}

/// The message, if `me` is its sender or recipient; anyone else gets 404 so existence does not leak.
pub(crate) async fn visible_message(state: &Arc<AppState>, me: &str, id: &str) -> Result<MessageMeta, ApiError> {
    visible(state, me, id, state.store.message(id).await?)
}

fn visible(state: &AppState, me: &str, id: &str, message: Option<MessageMeta>) -> Result<MessageMeta, ApiError> {
    match message {
        Some(message) if message.from == me || message.to == me || fault(state, |f| f.leak_messages) => Ok(message),
        _ => Err(ApiError::new(ErrorCode::NotFound, format!("no message {id}"))),
    }
}

pub(crate) async fn download(
    state: &Arc<AppState>,
    me: &Arc<str>,
    id: &str,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let message = visible_message(state, me, id).await?;
    let Some(file) = message.files.iter().find(|f| f.name == name) else {
        return Err(ApiError::new(ErrorCode::NotFound, format!("message {id} has no file {name}")));
    };
    let mut bytes = state.store.file(id, name).await?.unwrap_or_default();
    if fault(state, |f| f.alter_bytes) {
        if let Some(first) = bytes.first_mut() {
            *first ^= 0x01;
        }
    }
    // Personal data leaves the relay only once the access is in the audit log: when the store cannot record it
    // (full), the caller gets 507 and the bytes stay stored for a later try. Only the recipient's download moves
    // the message on; the sender taking its own file back is recorded as such.
    if message.to.as_str() == &**me && !fault(state, |f| f.forget_downloads) {
        let entry = audit_entry(me, "download", Some(id), Some(name.to_string()));
        state.store.mark_downloaded(id, &now(), entry).await?;
    } else {
        record_access(state, me, "download_by_sender", id, name).await?;
    }
    state.metrics.add_sent_bytes(bytes.len());
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type_of(&file.name)));
    // A browser saves the file under its standard-spec name instead of showing it (RFC 6266 quoted-string).
    let quoted = file.name.replace('\\', "\\\\").replace('"', "\\\"");
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{quoted}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", file.sha256)) {
        headers.insert("etag", value);
    }
    if let Ok(value) = HeaderValue::from_str(&file.sha256) {
        headers.insert("x-content-sha256", value);
    }
    Ok(response)
}

/// `GET /v1/messages/{id}/anonymised`: every file of a message the caller sent or received with the personal data
/// replaced (`conformance::anonymise`, under a key drawn for this download and forgotten after it), with the report
/// of what was replaced, in one zip — for an office that sends a problem file to its vendor. The copies are checked
/// to show the originals' findings before anything is sent. It moves no status; the access is audited.
pub(crate) async fn anonymised(state: &Arc<AppState>, me: &Arc<str>, id: &str) -> Result<Response<Body>, ApiError> {
    let message = visible_message(state, me, id).await?;
    let mut files = Vec::with_capacity(message.files.len());
    for file in &message.files {
        files.push((file.name.clone(), state.store.file(id, &file.name).await?.unwrap_or_default()));
    }
    record_access(state, me, "download_anonymised", id, &format!("{} files", files.len())).await?;
    let archive = tokio::task::spawn_blocking(move || anonymised_archive(&files))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "anonymising failed to run"))??;
    let mut response = Response::new(Full::new(Bytes::from(archive)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    let name =
        format!("{}_anonymised.zip", message.serial.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn anonymised_archive(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ApiError> {
    use conformance::anonymise::{anonymise_files, check_copies, report_text, Key};
    let mut secret = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
        .map_err(|_| ApiError::new(ErrorCode::Internal, "no random key for anonymising"))?;
    let options = Options::default();
    let originals = || files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
    let copies = anonymise_files(originals(), &Key::new(&secret), &options);
    check_copies(originals(), &copies, &options).map_err(|difference| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the anonymised files would not show the originals' findings ({difference}); nothing was sent"),
        )
    })?;
    let report = report_text(&copies, false);
    let copied = copies.iter().map(|copy| (copy.path.as_str(), copy.bytes.as_slice()));
    crate::zip::stored(copied.chain([("anonymised-report.txt", report.as_bytes())]))
        .map_err(|error| ApiError::new(ErrorCode::Internal, format!("the zip could not be written: {error}")))
}

/// `GET /v1/evidence?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv|zip`: the caller's exchange record (送受信記録)
/// for the period, signed by the relay. `json` and `csv` carry the detached signature in the `Careplan-Signature`
/// header (base64 of DER); `zip` bundles the CSV, the JSON and each one's `.sig` for an office to keep.
pub(crate) async fn evidence(
    state: &Arc<AppState>,
    me: &Arc<str>,
    request: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    use crate::evidence;
    let params = query(request);
    let format = param(&params, "format").unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "csv" | "zip") {
        return Err(ApiError::new(ErrorCode::BadRequest, "format must be json, csv or zip"));
    }
    let (office, record) = evidence_record(state, me, &params, &format).await?;
    let sign =
        |bytes: &[u8]| state.signer.sign(bytes).map_err(|error| ApiError::new(ErrorCode::Internal, error.to_string()));
    let stem = format!("送受信記録_{}_{}_{}", office.number, record.from, record.to);
    let (body, content_type, signature, extension) = match format.as_str() {
        "csv" => {
            let csv = evidence::csv(&record);
            let signature = sign(&csv)?;
            (csv, "text/csv; charset=Shift_JIS", Some(signature), "csv")
        }
        "zip" => {
            let (json, csv) = (evidence::json(&record), evidence::csv(&record));
            let (csv_signature, json_signature) = (sign(&csv)?, sign(&json)?);
            let (csv_sig, json_sig) =
                (evidence::base64_encode(&csv_signature), evidence::base64_encode(&json_signature));
            let names =
                [format!("{stem}.csv"), format!("{stem}.csv.sig"), format!("{stem}.json"), format!("{stem}.json.sig")];
            let archive = crate::zip::stored([
                (names[0].as_str(), csv.as_slice()),
                (names[1].as_str(), csv_sig.as_bytes()),
                (names[2].as_str(), json.as_slice()),
                (names[3].as_str(), json_sig.as_bytes()),
            ])
            .map_err(|error| ApiError::new(ErrorCode::Internal, format!("the zip could not be written: {error}")))?;
            (archive, "application/zip", None, "zip")
        }
        _ => {
            let json = evidence::json(&record);
            let signature = sign(&json)?;
            (json, "application/json", Some(signature), "json")
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(signature) = signature {
        if let Ok(value) = HeaderValue::from_str(&evidence::base64_encode(&signature)) {
            headers.insert(protocol::SIGNATURE_HEADER, value);
        }
    }
    // RFC 6266 with RFC 5987 for the Japanese name; the plain name for clients that read only that.
    let ascii = format!("exchange-record_{}_{}_{}.{extension}", office.number, record.from, record.to);
    let encoded: String = format!("{stem}.{extension}")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The caller's exchange record for the period `from`..`to` of the query, audited as read (`how`: the form).
pub(crate) async fn evidence_record(
    state: &Arc<AppState>,
    me: &Arc<str>,
    params: &[(String, String)],
    how: &str,
) -> Result<(crate::model::Office, protocol::EvidenceRecord), ApiError> {
    use crate::evidence::{self, EvidenceError, Period};
    let period = Period::parse(param(params, "from"), param(params, "to"))
        .map_err(|error| ApiError::new(ErrorCode::BadRequest, error.to_string()))?;
    let office = registered_office(state, me).await?;
    let record =
        evidence::build(&*state.store, &office, period, &now(), &state.signer).await.map_err(|error| match error {
            EvidenceError::Store(error) => ApiError::from(error),
            other => ApiError::new(ErrorCode::Internal, other.to_string()),
        })?;
    audit(state, me, "evidence", None, Some(format!("{} {} {how}", record.from, record.to))).await;
    Ok((office, record))
}

/// The media type a file is served as: the family-structure image (UPKIHON_IMAGE, checked as JPEG at upload) as
/// `image/jpeg`, every other file as the standard spec's Shift_JIS CSV.
fn content_type_of(name: &str) -> &'static str {
    if is_image_name(name) {
        "image/jpeg"
    } else {
        "text/csv; charset=Shift_JIS"
    }
}

fn is_image_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, extension)| extension.eq_ignore_ascii_case("jpg") || extension.eq_ignore_ascii_case("jpeg"))
}

pub(crate) async fn acknowledge(state: &Arc<AppState>, me: &Arc<str>, id: &str) -> Result<Response<Body>, ApiError> {
    let message = visible_message(state, me, id).await?;
    if message.to.as_str() != &**me {
        return Err(ApiError::new(ErrorCode::NotRecipient, "only the recipient acknowledges a message"));
    }
    let updated = if fault(state, |f| f.lose_acks) {
        Some(MessageMeta { status: Status::Acknowledged, ..message })
    } else {
        state.store.acknowledge(id, &now(), audit_entry(me, "ack", Some(id), None)).await?
    };
    let updated = updated.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no message {id}")))?;
    Ok(json_response(StatusCode::OK, &to_json(&protocol::Message::from(updated))))
}

/// SHA-256 over the files of a send (each name, size and SHA-256, in name order): equal for a resend of the same
/// content.
fn upload_digest(files: &[(String, Vec<u8>)], digests: &[String]) -> String {
    let mut sorted: Vec<(&str, usize, &str)> = files
        .iter()
        .zip(digests)
        .map(|((name, bytes), digest)| (name.as_str(), bytes.len(), digest.as_str()))
        .collect();
    sorted.sort_unstable();
    let mut hasher = Sha256::new();
    for (name, len, digest) in sorted {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((len as u64).to_le_bytes());
        hasher.update(digest.as_bytes());
    }
    hex(&hasher.finalize())
}

/// A file name that cannot escape a folder, confuse a file system, or read as another name where it is shown
/// (no control, bidi, zero-width, format, private-use, unassigned or filler characters: see [`shown`]).
fn safe_file_name(name: &str) -> bool {
    names_no_path(name) && shown(name) == name
}

/// A file name that cannot escape a folder or confuse a file system.
fn names_no_path(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && !name.contains(['/', '\\', '\0']) && name != "." && name != ".."
}

/// The form of a send as the relay reads it: the recipient (absent in a dry run) and the files, named and in order.
#[derive(Debug)]
pub struct Upload {
    pub to: Option<String>,
    pub files: Vec<(String, Vec<u8>)>,
}

fn too_large(config: &ApiConfig) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the body is larger than {} bytes", config.max_body))
}

/// The shares of the upload budget one upload holds: its office's and the relay's.
pub(crate) struct UploadPermit<'a> {
    _office: tokio::sync::OwnedSemaphorePermit,
    _relay: tokio::sync::SemaphorePermit<'a>,
}

/// Reads a send's form from `office`, once its declared size (the whole limit when undeclared) fits in the office's
/// share and then in the relay's budget; the returned permit holds both until the caller has finished with the
/// files. The body must keep up with [`ApiConfig::min_body_rate`].
async fn read_upload<'a>(
    state: &'a Arc<AppState>,
    office: &str,
    request: Request<Incoming>,
) -> Result<(Upload, UploadPermit<'a>), ApiError> {
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let declared = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > state.config.max_body) {
        return Err(too_large(&state.config));
    }
    let share = u32::try_from(kib(declared.unwrap_or(state.config.max_body))).unwrap_or(u32::MAX).max(1);
    let shutting_down = |_| ApiError::new(ErrorCode::ShuttingDown, "the relay is shutting down; try again");
    // The office's queue first: its uploads wait behind each other, not in front of other offices'.
    let office_permit = state.office_uploads(office).acquire_many_owned(share).await.map_err(shutting_down)?;
    let relay_permit = state.uploads.acquire_many(share).await.map_err(shutting_down)?;
    let body = Limited::new(request.into_body(), state.config.max_body);
    let stream = BodyStream::new(body).filter_map(|frame| async move {
        match frame {
            Ok(frame) => frame.into_data().ok().map(Ok),
            Err(error) => Some(Err(error)),
        }
    });
    let stream = keeping_pace(stream, state.config.min_body_rate, state.config.body_grace);
    let upload = parse_upload(&content_type, stream, &state.config).await?;
    Ok((upload, UploadPermit { _office: office_permit, _relay: relay_permit }))
}

/// A body that arrived slower than the relay's minimum rate.
#[derive(Debug, thiserror::Error)]
#[error("the body arrives slower than {0} bytes per second")]
struct TooSlow(usize);

type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// `stream`, ended with [`TooSlow`] once it has delivered fewer than `rate` bytes a second since `grace` after its
/// start.
fn keeping_pace<S, E>(
    stream: S,
    rate: usize,
    grace: std::time::Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, BodyError>> + Send + 'static
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<BodyError> + 'static,
{
    let started = tokio::time::Instant::now();
    let rate = rate.max(1);
    futures_util::stream::unfold((Box::pin(stream), 0u64, false), move |(mut stream, received, ended)| async move {
        if ended {
            return None;
        }
        let due = started + grace + std::time::Duration::from_secs_f64(received as f64 / rate as f64);
        match tokio::time::timeout_at(due, stream.next()).await {
            Ok(Some(Ok(bytes))) => {
                let received = received + bytes.len() as u64;
                Some((Ok(bytes), (stream, received, false)))
            }
            Ok(Some(Err(error))) => Some((Err(error.into()), (stream, received, true))),
            Ok(None) => None,
            Err(_) => Some((Err(Box::new(TooSlow(rate)) as BodyError), (stream, received, true))),
        }
    })
}

/// Reads a send's `multipart/form-data` body (`content_type` is its Content-Type header) within `config`'s
/// limits. Any bytes give an answer, never a panic: the fuzz targets call this directly.
pub async fn parse_upload<S, E>(content_type: &str, stream: S, config: &ApiConfig) -> Result<Upload, ApiError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the body must be multipart/form-data with a boundary"))?;
    let too_large = || too_large(config);
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["to", "file"])
        .size_limit(multer::SizeLimit::new().whole_stream(config.max_body as u64).for_field("to", 64));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut to = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(multipart_error(error, &too_large)),
        };
        match field.name() {
            Some("to") => {
                let text = field.text().await.map_err(|e| multipart_error(e, &too_large))?;
                to = Some(text.trim().to_string());
            }
            _ => {
                if files.len() >= config.max_files {
                    return Err(ApiError::new(
                        ErrorCode::TooManyFiles,
                        format!("at most {} files per send", config.max_files),
                    ));
                }
                let name = field.file_name().unwrap_or("").to_string();
                let allowed = if configured_fault(config, |f| f.accept_invisible_names) {
                    names_no_path(&name)
                } else {
                    safe_file_name(&name)
                };
                if !allowed {
                    return Err(ApiError::new(
                        ErrorCode::BadFileName,
                        format!("file name \"{}\" is not allowed", shown(&name)),
                    ));
                }
                let bytes = field.bytes().await.map_err(|e| multipart_error(e, &too_large))?;
                if files.iter().any(|(existing, _)| *existing == name) {
                    return Err(ApiError::new(ErrorCode::DuplicateFile, format!("file {name} is sent twice")));
                }
                files.push((name, Vec::from(bytes)));
            }
        }
    }
    if files.is_empty() {
        return Err(ApiError::new(ErrorCode::BadRequest, "the form has no `file` part"));
    }
    Ok(Upload { to, files })
}

fn multipart_error(error: multer::Error, too_large: &dyn Fn() -> ApiError) -> ApiError {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => too_large(),
        multer::Error::StreamReadFailed(inner) if inner.to_string().contains("length limit") => too_large(),
        multer::Error::StreamReadFailed(inner) if inner.downcast_ref::<TooSlow>().is_some() => ApiError::new(
            ErrorCode::RequestTimeout,
            format!("本文の届く速さが遅すぎるため打ち切りました（{inner}）。 / The body was cut off: {inner}."),
        ),
        multer::Error::UnknownField { field_name } => {
            ApiError::new(ErrorCode::BadRequest, format!("unknown form field {field_name:?}; use `to` and `file`"))
        }
        other => ApiError::new(ErrorCode::BadRequest, format!("malformed multipart body: {other}")),
    }
}

pub(crate) async fn send(
    state: &Arc<AppState>,
    me: &Arc<str>,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let mut attempt = Attempt::default();
    let result = match idempotency_key(&request) {
        Ok(key) => {
            let key = key.filter(|_| !fault(state, |f| f.ignore_idempotency));
            accept_upload(state, me, request, key, &mut attempt).await
        }
        Err(error) => Err(error),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            // On record with what was sent (names, digests) and, for files that do not conform, the rules they
            // break: what an office's exchange record lists as refused.
            let rules: Vec<String> = error.report.as_ref().map_or_else(Vec::new, |report| {
                let mut rules: Vec<String> =
                    report.findings().filter(|f| f.severity == "error").map(|f| f.rule.clone()).collect();
                rules.sort();
                rules.dedup();
                rules
            });
            let detail = crate::evidence::refusal_detail(
                error.code.as_str(),
                &error.message,
                attempt.to.as_deref(),
                &attempt.files,
                &rules,
            );
            audit(state, me, "reject", None, Some(detail)).await;
            error_answer(state, &error)
        }
    };
    if let Some(digest) = attempt.digest {
        response.extensions_mut().insert(UploadDigest(digest));
    }
    Ok(response)
}

/// What is known of a send as it is read: the recipient it names, its files' names and SHA-256, and the digest of
/// the whole upload (for the recording).
#[derive(Default)]
struct Attempt {
    to: Option<String>,
    files: Vec<(String, String)>,
    digest: Option<String>,
}

/// Longest Idempotency-Key the relay keeps.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The send's Idempotency-Key, if it has one; a key the relay cannot keep as given (empty, over
/// [`MAX_IDEMPOTENCY_KEY`] characters, not visible ASCII) is refused rather than ignored, which would turn a
/// retry into a duplicate.
fn idempotency_key(request: &Request<Incoming>) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(
            ErrorCode::BadIdempotencyKey,
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ));
    }
    Ok(Some(key.to_string()))
}

/// Checks and stores a send, noting in `attempt` what it learns of the upload as it goes.
async fn accept_upload(
    state: &Arc<AppState>,
    me: &Arc<str>,
    request: Request<Incoming>,
    idempotency_key: Option<String>,
    attempt: &mut Attempt,
) -> Result<Response<Body>, ApiError> {
    let sender = registered_office(state, me).await?;
    if fault(state, |f| f.refuse_sends) {
        return Err(ApiError::new(ErrorCode::Internal, "sends are refused (planted fault)"));
    }
    if sender.licence_until < today() {
        return Err(ApiError::new(
            ErrorCode::LicenceLapsed,
            format!(
                "the licence of office {me} ended on {}; renew it to send (receiving still works)",
                sender.licence_until
            ),
        ));
    }
    let (Upload { to, files }, _permit) = read_upload(state, me, request).await?;
    let digests: Vec<String> = files.iter().map(|(_, bytes)| hex(&Sha256::digest(bytes))).collect();
    attempt.files = files.iter().map(|(name, _)| name.clone()).zip(digests.iter().cloned()).collect();
    attempt.to.clone_from(&to);
    let digest = upload_digest(&files, &digests);
    attempt.digest = Some(digest.clone());
    state.metrics.add_received_bytes(files.iter().map(|(_, b)| b.len()).sum());
    let to = to.ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "the form has no `to` field"))?;
    if to.len() != 10 || !to.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(ErrorCode::BadRecipient, "`to` must be a 10-digit office number"));
    }
    let names: Vec<Option<FileName>> = files.iter().map(|(name, _)| filename::parse(name).ok()).collect();
    if *to == **me {
        // One office number may hold several services (S1 更新履歴 4.0 「複数サービス提供事業所への対応」): it may send
        // from one of its kinds to another, never from a kind to itself.
        let between_kinds =
            names.iter().all(|name| name.as_ref().is_some_and(|name| name.sender.kind != name.recipient.kind));
        if !between_kinds {
            return Err(ApiError::new(
                ErrorCode::SameOffice,
                "an office sends to its own number only from one of its service kinds to another",
            ));
        }
    }
    let Some(recipient) = state.store.office(&to).await? else {
        return Err(ApiError::new(ErrorCode::UnknownRecipient, format!("no registered office {}", to)));
    };
    let request_digest = if fault(state, |f| f.replay_conflicts) {
        String::new()
    } else {
        hex(&Sha256::digest(format!("{to}\0{digest}")))
    };
    for name in names.iter().flatten() {
        let own = *name.sender.office == **me && sender.kinds.contains(&name.sender.kind);
        if !own && !fault(state, |f| f.allow_impersonation) {
            return Err(ApiError::new(
                ErrorCode::SenderMismatch,
                format!(
                    "file names must carry your own office {me} and one of your kinds {:?} as sender",
                    sender.kinds
                ),
            ));
        }
        if name.recipient.office != to || !recipient.kinds.contains(&name.recipient.kind) {
            return Err(ApiError::new(
                ErrorCode::RecipientMismatch,
                format!("file names must carry the recipient {to} and one of its kinds {:?}", recipient.kinds),
            ));
        }
    }
    // The family-structure image is served as image/jpeg: it must be one (JPEG start-of-image marker).
    if let Some((name, _)) =
        files.iter().find(|(name, bytes)| is_image_name(name) && !bytes.starts_with(&[0xFF, 0xD8, 0xFF]))
    {
        return Err(ApiError::new(
            ErrorCode::NotAJpeg,
            format!("{} is named as a JPEG image but is not one; nothing was stored", shown(name)),
        ));
    }
    let serials: std::collections::BTreeSet<&str> = names.iter().flatten().map(|n| n.serial.as_str()).collect();
    if serials.len() > 1 {
        return Err(ApiError::new(ErrorCode::NotOneSendUnit, "all files of a send must share one ファイル連番"));
    }

    let serial = serials.into_iter().next().unwrap_or_default().to_string();
    let unit = names.iter().flatten().next().map(|n| n.kind.clone());
    let (id, to) = (new_id(me), to);
    let entry = audit_entry(me, "send", Some(&id), Some(format!("to {to}")));
    let (from, accept_invalid) = (me.to_string(), fault(state, |f| f.accept_invalid));
    let drop_last_file = fault(state, |f| f.drop_last_file);
    // Validation is CPU work: off the async workers. Nothing is stored unless the files pass.
    let validated = tokio::task::spawn_blocking(move || {
        let report = validate_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
        if report.errors() > 0 && !accept_invalid {
            return Err((report.errors(), crate::checks::build(&report)));
        }
        let kinds = report.files.iter().map(|f| f.kind_code().map(String::from));
        let subject = crate::checks::subject_of(&report, &files);
        let mut files = files;
        if drop_last_file && files.len() > 1 {
            files.pop();
        }
        Ok(NewMessage {
            id,
            from,
            to,
            serial,
            unit,
            idempotency_key,
            request_digest,
            created_at: now(),
            subject,
            files: files
                .into_iter()
                .zip(kinds.zip(digests))
                .map(|((name, bytes), (kind, sha256))| NewFile { sha256, name, kind, bytes })
                .collect(),
        })
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "validation failed to run"))?;
    let message = validated.map_err(|(errors, report)| ApiError {
        code: ErrorCode::ValidationFailed,
        message: format!("the files have {errors} error findings; nothing was stored"),
        report: Some(report),
    })?;
    let duplicate = fault(state, |f| f.duplicate_sends).then(|| message.duplicate(new_id(me)));
    let (stored, replayed) = match state.store.insert_message(message, entry).await? {
        Inserted::New(stored) => {
            if let Some(duplicate) = duplicate {
                state.store.insert_message(duplicate, audit_entry(me, "send", None, None)).await?;
            }
            state.arrivals.arrived(&stored.to);
            (stored, false)
        }
        Inserted::Replayed(stored) => (stored, true),
        Inserted::KeyConflict(existing) => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyConflict,
                format!(
                    "this Idempotency-Key was used for message {existing} with another recipient or other files; \
                     nothing was stored: use a new key for a new send"
                ),
            ))
        }
    };
    let mut response = json_response(StatusCode::CREATED, &to_json(&protocol::Message::from(stored)));
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_that_could_escape_are_refused() {
        assert!(safe_file_name("UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV"));
        for bad in
            ["../etc/passwd", "a/b.CSV", "a\\b.CSV", "..", "", "a\0b", "a\nb", "A\u{202E}VSC.exe", "A\u{2028}.CSV"]
        {
            assert!(!safe_file_name(bad), "{bad:?}");
        }
    }

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

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%E3%81%95%E3%81%8F%E3%82%89"), "さくら");
        // In a path a plus sign is itself (RFC 3986); only a query turns it into a space.
        assert_eq!(percent_decode("a+b%2"), "a+b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(
            query_pairs(Some("from=2025-05-01&to=2025%2D05%2D31&q=a+b%2Bc&&flag&q=")),
            [("from", "2025-05-01"), ("to", "2025-05-31"), ("q", "a b+c"), ("flag", ""), ("q", "")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .to_vec()
        );
        assert!(query_pairs(None).is_empty());
    }
}
