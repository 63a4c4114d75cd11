//! Which endpoint or page a request reaches: the route table, the registered-office check every request passes
//! (the other guards are in `guard`), and what is recorded of each answer (audit of refusals, metrics, security
//! headers). Above the API endpoints (`api`) and the web page (`web`), which know nothing of each other's routes.

use protocol::ErrorCode;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL};
use hyper::{Method, Request, Response, StatusCode};
use protocol::RecordedRequest;
use protocol::{Health, Message, Route};

use crate::api::access::{audit, visible_message};
use crate::api::http::{json_response, percent_decode, to_json};
use crate::api::state::error_answer;
use crate::api::{
    acknowledge, anonymised, directory, download, dry_run, evidence, mailbox, metrics, registered_office, send, whoami,
    ApiError, AppState, Body, UploadDigest,
};
use crate::checks::shown;
use crate::guard;
use crate::model::Mailbox;

/// One client connection as each of its requests sees it: access is decided again at every request, so a
/// certificate revoked or an office removed while the connection is open acts no more on it.
pub struct Connection {
    /// the office its certificate names
    pub office: Arc<str>,
    /// that certificate's serial ([`crate::tls::serial_of`])
    pub serial: Vec<u8>,
    pub opened: std::time::Instant,
    /// after this age the connection is closed after its next answer (a new one passes the handshake again)
    pub max_age: std::time::Duration,
    pub tls: Arc<crate::tls::Reloading>,
    /// the client's address
    pub peer: std::net::IpAddr,
}

/// Refusals that end the connection as well: whoever it was opened for may no longer act.
const WITHDRAWN: &[ErrorCode] = &[ErrorCode::CertificateRevoked, ErrorCode::UnknownOffice];

/// Handles one request on `connection`.
pub async fn handle(state: Arc<AppState>, connection: Arc<Connection>, request: Request<Incoming>) -> Response<Body> {
    let started = std::time::Instant::now();
    let me = &connection.office;
    let route = route_name(request.method(), request.uri().path());
    let (method, path) = (request.method().to_string(), request.uri().to_string());
    let idempotency_key = request.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(String::from);
    let answered = if connection.tls.is_revoked(&connection.serial) {
        Err(ApiError::new(
            ErrorCode::CertificateRevoked,
            "この証明書は失効しています。 / This certificate has been revoked.",
        ))
    } else {
        dispatch(&state, &connection, request).await
    };
    let (mut response, code) = match answered {
        Ok(response) => (response, None),
        Err(error) => {
            if error.status().is_server_error() {
                tracing::error!(code = error.code.as_str(), message = %shown(&error.message), "request failed");
            }
            (error_answer(&state, &error), Some(error.code))
        }
    };
    let on_record = code.is_some_and(|code| WITHDRAWN.contains(&code) || code == ErrorCode::CrossSiteRefused);
    if response.status().is_client_error() && (AUDITED_REFUSALS.contains(&route) || on_record) {
        // Probing other offices' messages, being refused on a message route or page, acting with withdrawn access
        // or from another site is on record.
        let code = code.map(ErrorCode::as_str).unwrap_or_default();
        let detail = format!("{method} {} → {} {code}", shown(&path), response.status().as_u16());
        audit(&state, me, "refused", None, Some(detail.trim_end().to_string())).await;
    }
    let headers = response.headers_mut();
    if code.is_some_and(|code| WITHDRAWN.contains(&code)) || connection.opened.elapsed() >= connection.max_age {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    // Nothing the relay answers is to be sniffed into another type or kept in a cache: it is personal data.
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000"));
    state.metrics.observe(route, response.status().as_u16(), started.elapsed());
    if let Some(recorder) = &state.recorder {
        let at_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        recorder.write(&RecordedRequest {
            at_ms: u64::try_from(at_ms).unwrap_or(0),
            office: me.to_string(),
            method,
            path,
            status: response.status().as_u16(),
            idempotency_key,
            upload_digest: response.extensions().get::<UploadDigest>().map(|d| d.0.clone()),
        });
    }
    response
}

/// Routes whose refusals (403, 404, 409, …) go into the audit log: whoever probes for or at messages is on record.
/// A refused send is audited by the send itself, with the reason.
const AUDITED_REFUSALS: &[&str] =
    &["message", "download", "anonymised", "ack", "inbox", "outbox", "validate", "evidence", "page", "other"];

/// The name a request is counted and audited under: its route's, `page` for the web page, else `other`.
fn route_name(method: &Method, path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if crate::web::is_page(&segments) {
        return "page";
    }
    Route::of(method.as_str(), &segments).map_or("other", Route::name)
}

async fn dispatch(
    state: &Arc<AppState>,
    connection: &Connection,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let me = &connection.office;
    let path = request.uri().path().to_string();
    let decoded: Vec<String> = path.trim_matches('/').split('/').map(percent_decode).collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let method = request.method().clone();
    let route = Route::of(method.as_str(), &segments);
    if matches!(route, Ok(Route::Healthz)) {
        return Ok(health());
    }
    // A certificate of an office that is not (or no longer) registered reaches nothing but the health check. The
    // registry entry is read once here, for this request, and handed to whatever needs it.
    let registered = registered_office(state, me).await;
    if crate::web::is_page(&segments) {
        return match registered {
            Ok(office) => Ok(crate::web::serve(state, me, &office, &method, &segments, request.uri().query()).await),
            Err(error) => Ok(crate::web::error_page(&error)),
        };
    }
    let office = registered?;
    let route = match route {
        Ok(route) => route,
        Err(true) => {
            return Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {path}")))
        }
        Err(false) => return Err(ApiError::new(ErrorCode::NotFound, format!("no endpoint {path}"))),
    };
    guard::same_site(state, route, &request)?;
    let id = segments.get(2).copied().unwrap_or("");
    match route {
        Route::Healthz => Ok(health()),
        Route::Metrics => {
            guard::operator(state, connection.peer)?;
            metrics(state).await
        }
        Route::Me => Ok(whoami(office)),
        Route::Offices => directory(state, &request).await,
        Route::Validate => dry_run(state, me, request).await,
        Route::Send => send(state, me, &office, request).await,
        Route::Inbox => mailbox(state, me, &request, Mailbox::Inbox).await,
        Route::Outbox => mailbox(state, me, &request, Mailbox::Outbox).await,
        Route::Message => {
            let message = visible_message(state, me, id).await?;
            Ok(json_response(StatusCode::OK, &to_json(&Message::from(message))))
        }
        Route::Download => download(state, me, id, segments.get(4).copied().unwrap_or("")).await,
        Route::Ack => acknowledge(state, me, id).await,
        Route::Anonymised => anonymised(state, me, id).await,
        Route::Evidence => evidence(state, &office, &request).await,
    }
}

/// The health check's answer: the one route open to a certificate whose office is not registered.
fn health() -> Response<Body> {
    json_response(StatusCode::OK, &to_json(&Health { status: "ok".into() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openapi.yaml` documents exactly the routes the relay serves.
    #[test]
    fn openapi_documents_every_route() {
        let spec = include_str!("../openapi.yaml");
        let mut documented = Vec::new();
        let mut path = None;
        for line in spec.lines() {
            if let Some(p) = line.strip_prefix("  /").and_then(|rest| rest.strip_suffix(':')) {
                path = Some(format!("/{p}"));
            } else if let (Some(p), Some(method)) =
                (&path, line.strip_prefix("    ").and_then(|rest| rest.strip_suffix(':')))
            {
                if ["get", "post", "put", "delete", "patch"].contains(&method) {
                    documented.push((method.to_ascii_uppercase(), p.clone()));
                }
            } else if !line.starts_with(' ') {
                path = None;
            }
        }
        documented.sort();
        let mut served: Vec<(String, String)> =
            Route::ALL.iter().map(|r| (r.method().to_string(), r.template().to_string())).collect();
        served.sort();
        assert_eq!(documented, served);
    }

    /// `openapi.yaml`'s enum of error codes is exactly the relay's.
    #[test]
    fn openapi_documents_every_error_code() {
        let spec = include_str!("../openapi.yaml");
        let start = spec.find("enum: [bad_request").expect("the Error schema's enum");
        let list = &spec[start + "enum: [".len()..];
        let list = &list[..list.find(']').expect("end of the enum")];
        let mut documented: Vec<&str> = list.split(',').map(str::trim).collect();
        documented.sort_unstable();
        let mut served: Vec<&str> = protocol::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        served.sort_unstable();
        assert_eq!(documented, served);
    }

    /// The property names `openapi.yaml` lists in the schema block that starts at `header` (a line of its own),
    /// at `indent` spaces.
    fn documented_properties(header: &str, indent: usize) -> std::collections::BTreeSet<String> {
        let spec = include_str!("../openapi.yaml");
        let start = spec.find(&format!("\n{header}\n")).unwrap_or_else(|| panic!("{header:?} in openapi.yaml"));
        let header_indent = header.len() - header.trim_start().len();
        spec[start + header.len() + 2..]
            .lines()
            .take_while(|line| line.trim().is_empty() || line.len() - line.trim_start().len() > header_indent)
            .filter(|line| line.len() - line.trim_start().len() == indent)
            .filter_map(|line| line.trim_start().split_once(':').map(|(key, _)| key.to_string()))
            .collect()
    }

    fn keys(value: &serde_json::Value) -> std::collections::BTreeSet<String> {
        value.as_object().map(|object| object.keys().cloned().collect()).unwrap_or_default()
    }

    /// The bodies `openapi.yaml` describes have exactly the fields the protocol crate serialises: the message with
    /// its subject, and the one validation report of the dry run and of `validation_failed`.
    #[test]
    fn openapi_schemas_have_the_protocols_fields() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/invalid/FLD006-february-30");
        let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| Some((entry.file_name().into_string().ok()?, std::fs::read(entry.path()).ok()?)))
            .filter(|(name, _)| name.ends_with(".CSV"))
            .collect();
        let report = crate::checks::build(&conformance::validate::validate_files(
            files.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
            &conformance::validate::Options::default(),
        ));
        let report = to_json(&report);
        let with_finding = report["files"].as_array().and_then(|files| {
            files.iter().find(|file| file["findings"].as_array().is_some_and(|findings| !findings.is_empty()))
        });
        let file = with_finding.unwrap_or(&serde_json::Value::Null);
        let finding = &file["findings"][0];
        assert!(finding.is_object(), "the sample has a finding: {report}");
        assert_eq!(keys(&report), documented_properties("    ValidationReport:", 8));
        assert_eq!(keys(file), documented_properties("        files:", 14));
        assert_eq!(keys(finding), documented_properties("    Finding:", 8));

        let message = protocol::Message {
            id: String::new(),
            from: String::new(),
            to: String::new(),
            serial: String::new(),
            unit: None,
            status: protocol::Status::Sent,
            created_at: String::new(),
            downloaded_at: None,
            acknowledged_at: None,
            subject: protocol::Subject::default(),
            files: Vec::new(),
        };
        let message = to_json(&message);
        assert_eq!(keys(&message), documented_properties("    Message:", 8));
        assert_eq!(keys(&message["subject"]), documented_properties("    Subject:", 8));

        let record = protocol::EvidenceRecord {
            relay: String::new(),
            office: protocol::Office { number: String::new(), name: String::new(), kinds: Vec::new() },
            from: String::new(),
            to: String::new(),
            generated_at: String::new(),
            signer: String::new(),
            signer_sha256: String::new(),
            signature_algorithm: String::new(),
            messages: Vec::new(),
            refusals: Vec::new(),
        };
        assert_eq!(keys(&to_json(&record)), documented_properties("    EvidenceRecord:", 8));
    }
}
