//! Downloads: a file byte for byte (the recipient's moves the message to downloaded), and the anonymised copies.

use std::sync::Arc;

use bytes::Bytes;
use conformance::validate::Options;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::Response;

use protocol::ErrorCode;

use super::access::{audit_entry, record_access, visible_message};
use super::http::{content_type_of, ApiError, Body};
use super::state::{fault, AppState};
use crate::clock::now;

pub(crate) async fn download(
    state: &Arc<AppState>,
    me: &Arc<str>,
    id: &str,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let message = visible_message(state, me, id).await?;
    let Some(file) = message.files.iter().find(|f| f.name == name).filter(|_| !fault(state, |f| f.lose_files)) else {
        return Err(ApiError::new(ErrorCode::NotFound, format!("message {id} has no file {name}")));
    };
    let bytes = state.store.file(id, name).await?.unwrap_or_default();
    // Personal data leaves the relay only once the access is in the audit log: when the store cannot record it
    // (full), the caller gets 507 and the bytes stay stored for a later try. Only the recipient's download moves
    // the message on; the sender taking its own file back is recorded as such.
    if message.to.as_str() == &**me {
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
