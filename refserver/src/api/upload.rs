//! Sends and dry runs: reading the multipart form within the upload budget and the minimum body rate, the
//! Idempotency-Key, the checks of sender, recipient and file names, validation with `conformance`, and storing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use conformance::filename::{self, FileName};
use conformance::validate::{validate_files, Options};
use futures_util::StreamExt;
use http_body_util::{BodyStream, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use conformance::hex::encode as hex;
use protocol::ErrorCode;

use crate::checks::shown;
use crate::model::{AuditEntry, Inserted, NewFile, NewMessage, Office};

use super::access::{audit, audit_entry};
use super::http::{is_image_name, json_response, to_json, ApiError, Body};
use super::state::{configured_fault, error_answer, fault, kib, ApiConfig, AppState};
use crate::clock::{now, today};

/// The digest of a send's files, attached to its response for the recording.
#[derive(Clone)]
pub(crate) struct UploadDigest(pub(crate) String);

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
    sender: &Office,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let mut attempt = Attempt::default();
    let result = match idempotency_key(&request) {
        Ok(key) => {
            let key = key.filter(|_| !fault(state, |f| f.ignore_idempotency));
            accept_upload(state, me, sender, request, key, &mut attempt).await
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
    sender: &Office,
    request: Request<Incoming>,
    idempotency_key: Option<String>,
    attempt: &mut Attempt,
) -> Result<Response<Body>, ApiError> {
    licensed(state, sender)?;
    let (Upload { to, files }, _permit) = read_upload(state, me, request).await?;
    let digests = attempt.note(&to, &files);
    state.metrics.add_received_bytes(files.iter().map(|(_, b)| b.len()).sum());
    let to = to.ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "the form has no `to` field"))?;
    if to.len() != 10 || !to.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(ErrorCode::BadRecipient, "`to` must be a 10-digit office number"));
    }
    let names: Vec<Option<FileName>> = files.iter().map(|(name, _)| filename::parse(name).ok()).collect();
    if *to == **me && !between_own_kinds(&names) {
        return Err(ApiError::new(
            ErrorCode::SameOffice,
            "an office sends to its own number only from one of its service kinds to another",
        ));
    }
    let Some(recipient) = state.store.office(&to).await? else {
        return Err(ApiError::new(ErrorCode::UnknownRecipient, format!("no registered office {}", to)));
    };
    check_addresses(state, sender, &recipient, &names)?;
    check_images(&files)?;
    let serial = one_send_unit(&names)?;
    let request_digest = if fault(state, |f| f.replay_conflicts) {
        String::new()
    } else {
        hex(&Sha256::digest(format!("{to}\0{}", attempt.digest.as_deref().unwrap_or_default())))
    };
    let unit = names.iter().flatten().next().map(|n| n.kind.clone());
    let id = new_id(me);
    let entry = audit_entry(me, "send", Some(&id), Some(format!("to {to}")));
    let message = NewMessage {
        id,
        from: me.to_string(),
        to,
        serial,
        unit,
        idempotency_key,
        request_digest,
        created_at: String::new(),
        subject: Default::default(),
        files: Vec::new(),
    };
    let inserted = validated_and_stored(state, message, entry, files, digests).await?;
    stored(state, inserted).await
}

impl Attempt {
    /// Notes the recipient, the files' names and SHA-256 and the upload's digest; returns the files' SHA-256.
    fn note(&mut self, to: &Option<String>, files: &[(String, Vec<u8>)]) -> Vec<String> {
        let digests: Vec<String> = files.iter().map(|(_, bytes)| hex(&Sha256::digest(bytes))).collect();
        self.files = files.iter().map(|(name, _)| name.clone()).zip(digests.iter().cloned()).collect();
        self.to.clone_from(to);
        self.digest = Some(upload_digest(files, &digests));
        digests
    }
}

/// Whether the sender's licence still allows sending.
fn licensed(state: &AppState, sender: &Office) -> Result<(), ApiError> {
    let me = &sender.number;
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
    Ok(())
}

/// One office number may hold several services (S1 更新履歴 4.0 「複数サービス提供事業所への対応」): it may send to
/// its own number from one of its kinds to another, never from a kind to itself.
fn between_own_kinds(names: &[Option<FileName>]) -> bool {
    names.iter().all(|name| name.as_ref().is_some_and(|name| name.sender.kind != name.recipient.kind))
}

/// Every file name carries the sender's own office and one of its kinds, and the recipient and one of its kinds.
fn check_addresses(
    state: &AppState,
    sender: &Office,
    recipient: &Office,
    names: &[Option<FileName>],
) -> Result<(), ApiError> {
    let (me, to) = (&sender.number, &recipient.number);
    for name in names.iter().flatten() {
        let own = name.sender.office == *me && sender.kinds.contains(&name.sender.kind);
        if !own && !fault(state, |f| f.allow_impersonation) {
            return Err(ApiError::new(
                ErrorCode::SenderMismatch,
                format!(
                    "file names must carry your own office {me} and one of your kinds {:?} as sender",
                    sender.kinds
                ),
            ));
        }
        if name.recipient.office != *to || !recipient.kinds.contains(&name.recipient.kind) {
            return Err(ApiError::new(
                ErrorCode::RecipientMismatch,
                format!("file names must carry the recipient {to} and one of its kinds {:?}", recipient.kinds),
            ));
        }
    }
    Ok(())
}

/// The family-structure image is served as image/jpeg: it must be one (JPEG start-of-image marker).
fn check_images(files: &[(String, Vec<u8>)]) -> Result<(), ApiError> {
    match files.iter().find(|(name, bytes)| is_image_name(name) && !bytes.starts_with(&[0xFF, 0xD8, 0xFF])) {
        Some((name, _)) => Err(ApiError::new(
            ErrorCode::NotAJpeg,
            format!("{} is named as a JPEG image but is not one; nothing was stored", shown(name)),
        )),
        None => Ok(()),
    }
}

/// The one ファイル連番 all files of a send share, with one sender and one recipient (office and kind): one send
/// unit as the validator groups them ([`FileName::send_unit`]).
fn one_send_unit(names: &[Option<FileName>]) -> Result<String, ApiError> {
    let units: std::collections::BTreeSet<String> = names.iter().flatten().map(FileName::send_unit).collect();
    if units.len() > 1 {
        return Err(ApiError::new(
            ErrorCode::NotOneSendUnit,
            "all files of a send must share one ファイル連番, sender and recipient (one send unit)",
        ));
    }
    Ok(names.iter().flatten().next().map(|name| name.serial.clone()).unwrap_or_default())
}

/// `message` with its files, subject and time handed to the store once the files pass validation, both on the
/// blocking pool: validating is CPU work, and storing may write and sync the files before it returns (the
/// embedded store). Nothing is stored unless they pass; the answer is the store's, once the change is durable.
async fn validated_and_stored(
    state: &AppState,
    message: NewMessage,
    entry: AuditEntry,
    files: Vec<(String, Vec<u8>)>,
    digests: Vec<String>,
) -> Result<Inserted, ApiError> {
    let accept_invalid = fault(state, |f| f.accept_invalid);
    let store = Arc::clone(&state.store);
    let stored = tokio::task::spawn_blocking(move || {
        let report = validate_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
        if report.errors() > 0 && !accept_invalid {
            return Err((report.errors(), crate::checks::build(&report)));
        }
        let kinds = report.files.iter().map(|f| f.kind_code().map(String::from));
        let subject = crate::checks::subject_of(&report, &files);
        let message = NewMessage {
            created_at: now(),
            subject,
            files: files
                .into_iter()
                .zip(kinds.zip(digests))
                .map(|((name, bytes), (kind, sha256))| NewFile { sha256, name, kind, bytes })
                .collect(),
            ..message
        };
        Ok(store.insert_message(message, entry))
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "validation failed to run"))?;
    let stored = stored.map_err(|(errors, report)| ApiError {
        code: ErrorCode::ValidationFailed,
        message: format!("the files have {errors} error findings; nothing was stored"),
        report: Some(report),
    })?;
    Ok(stored.await?)
}

/// Answers a stored send `201` (a replay under its key marked so); a reused key's other send is `409`.
async fn stored(state: &Arc<AppState>, inserted: Inserted) -> Result<Response<Body>, ApiError> {
    let (stored, replayed) = match inserted {
        Inserted::New(stored) => {
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

    /// A send is one send unit: one ファイル連番 from one office and kind to one office and kind. Two serials, or
    /// one serial to two services of one office (care software exporting to every provider at once), are two
    /// units and refused as one send.
    #[test]
    fn a_send_is_one_send_unit() {
        let names =
            |names: &[&str]| -> Vec<Option<FileName>> { names.iter().map(|name| filename::parse(name).ok()).collect() };
        let unit = names(&[
            "UPPLAN_202506_1370001002_43_1370002058_11_20250601090000.CSV",
            "UPSIKYU_202506_1370001002_43_1370002058_11_20250601090000.CSV",
        ]);
        assert_eq!(one_send_unit(&unit).ok().as_deref(), Some("20250601090000"));
        for two in [
            [
                "UPPLAN_202506_1370001002_43_1370002058_11_20250601090000.CSV",
                "UPSIKYU_202506_1370001002_43_1370002058_11_20250601090001.CSV",
            ],
            [
                "UPPLAN_202506_1370001002_43_1370002058_11_20250601090000.CSV",
                "UPPLAN_202506_1370001002_43_1370002058_13_20250601090000.CSV",
            ],
        ] {
            let refused = one_send_unit(&names(&two)).err().map(|error| error.code);
            assert_eq!(refused, Some(ErrorCode::NotOneSendUnit), "{two:?}");
        }
    }
}
