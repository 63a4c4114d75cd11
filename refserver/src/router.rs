//! Which endpoint or page a request reaches: the route table, the guards every request passes (registered office,
//! cross-site requests), and what is recorded of each answer (audit of refusals, metrics, security headers). Above
//! the API endpoints (`api`) and the web page (`web`), which know nothing of each other's routes.

use std::sync::Arc;

use conformance::report::printable;
use conformance::suite::client::RecordedRequest;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::api::{
    acknowledge, audit, directory, download, dry_run, error_answer, fault, json_response, mailbox, metrics,
    percent_decode, registered_office, send, visible_message, whoami, ApiError, AppState, Body, UploadDigest,
};
use crate::store::Mailbox;

/// Handles one request from the office `me` (from its certificate).
pub async fn handle(state: Arc<AppState>, me: Arc<str>, request: Request<Incoming>) -> Response<Body> {
    let started = std::time::Instant::now();
    let route = route_name(request.method(), request.uri().path());
    let (method, path) = (request.method().to_string(), request.uri().to_string());
    let idempotency_key = request.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(String::from);
    let (mut response, code) = match dispatch(&state, &me, request).await {
        Ok(response) => (response, ""),
        Err(error) => {
            if error.status.is_server_error() {
                tracing::error!(code = error.code, message = %printable(&error.message), "request failed");
            }
            (error_answer(&state, &error), error.code)
        }
    };
    if response.status().is_client_error() && AUDITED_REFUSALS.contains(&route) {
        // Probing other offices' messages, or being refused on a message route or page, is on record.
        let detail = format!("{method} {} → {} {code}", printable(&path), response.status().as_u16());
        audit(&state, &me, "refused", None, Some(detail.trim_end().to_string())).await;
    }
    let headers = response.headers_mut();
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
const AUDITED_REFUSALS: &[&str] = &["message", "download", "ack", "inbox", "outbox", "validate", "page", "other"];

/// Routes that change something or hand out personal data, refused to requests another site makes the browser send
/// (see [`cross_site_refusal`]).
const GUARDED_ROUTES: &[&str] = &["validate", "send", "download", "ack"];

/// Why a request to a [`GUARDED_ROUTES`] route may not act, if it may not. The office's browser presents its
/// certificate on every request, including those a page on another site triggers (a form, an image, a fetch), so
/// the certificate alone does not show that the office's own software or our page asked. Such a request is refused
/// when the browser says it is cross-site (`Sec-Fetch-Site`), when its `Origin` is not the relay's own, or when it
/// lacks the client header that only a same-origin script or an API client can send (a cross-site script would
/// need CORS, which the relay never grants).
fn cross_site_refusal(request: &Request<Incoming>) -> Option<&'static str> {
    let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if let Some(site) = header("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Some("Sec-Fetch-Site is not same-origin");
        }
    }
    if let Some(origin) = header("origin") {
        let own = header("host").map(|host| format!("https://{host}"));
        if own.as_deref() != Some(origin) {
            return Some("Origin is not the relay's own");
        }
    }
    if header(conformance::suite::relay::CLIENT_HEADER).is_none() {
        return Some("the X-Careplan-Client header is missing");
    }
    None
}

/// Every endpoint: (method, path template, route name). The router dispatches on this table, metrics label
/// requests with the route name, and a test checks that `openapi.yaml` documents exactly these.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "healthz"),
    ("GET", "/metrics", "metrics"),
    ("GET", "/v1/me", "me"),
    ("GET", "/v1/offices", "offices"),
    ("POST", "/v1/validate", "validate"),
    ("POST", "/v1/messages", "send"),
    ("GET", "/v1/inbox", "inbox"),
    ("GET", "/v1/outbox", "outbox"),
    ("GET", "/v1/messages/{id}", "message"),
    ("GET", "/v1/messages/{id}/files/{name}", "download"),
    ("POST", "/v1/messages/{id}/ack", "ack"),
];

fn template_matches(template: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
    parts.len() == segments.len() && parts.iter().zip(segments).all(|(p, s)| p.starts_with('{') || p == s)
}

/// The route of a request: `Ok(name)`, or `Err(true)` when the path exists with another method.
fn route(method: &Method, segments: &[&str]) -> Result<&'static str, bool> {
    let mut path_known = false;
    for (route_method, template, name) in ROUTES {
        if template_matches(template, segments) {
            if method.as_str() == *route_method {
                return Ok(name);
            }
            path_known = true;
        }
    }
    Err(path_known)
}

fn route_name(method: &Method, path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if crate::web::is_page(&segments) {
        return "page";
    }
    route(method, &segments).unwrap_or("other")
}

async fn dispatch(
    state: &Arc<AppState>,
    me: &Arc<str>,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let path = request.uri().path().to_string();
    let decoded: Vec<String> = path.trim_matches('/').split('/').map(percent_decode).collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let method = request.method().clone();
    // A certificate of an office that is not (or no longer) registered reaches nothing but the health check.
    let registered = if segments == ["healthz"] { Ok(()) } else { registered_office(state, me).map(|_| ()) };
    if crate::web::is_page(&segments) {
        return match registered {
            Ok(()) => Ok(crate::web::serve(state, me, &method, &segments).await),
            Err(error) => Ok(crate::web::error_page(&error)),
        };
    }
    registered?;
    let name = match route(&method, &segments) {
        Ok(name) => name,
        Err(true) => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{method} is not allowed on {path}"),
            ))
        }
        Err(false) => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no endpoint {path}"))),
    };
    if GUARDED_ROUTES.contains(&name) && !fault(state, |f| f.allow_cross_site) {
        if let Some(reason) = cross_site_refusal(&request) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site_refused",
                format!(
                    "他のサイトから送られた可能性のある要求は受け付けません（{reason}）。介護ソフトまたは中継サーバーの画面から操作してください。 / \
                     A request that another site may have made your browser send is refused ({reason}); use your care software or the relay's page."
                ),
            ));
        }
    }
    let id = segments.get(2).copied().unwrap_or("");
    match name {
        "healthz" => Ok(json_response(StatusCode::OK, &json!({"status": "ok"}))),
        "metrics" => metrics(state).await,
        "me" => whoami(state, me).await,
        "offices" => directory(state, &request).await,
        "validate" => dry_run(state, request).await,
        "send" => send(state, me, request).await,
        "inbox" => mailbox(state, me, &request, Mailbox::Inbox).await,
        "outbox" => mailbox(state, me, &request, Mailbox::Outbox).await,
        "message" => {
            let message = visible_message(state, me, id).await?;
            Ok(json_response(StatusCode::OK, &serde_json::to_value(&message).unwrap_or_default()))
        }
        "download" => download(state, me, id, segments.get(4).copied().unwrap_or("")).await,
        "ack" => acknowledge(state, me, id).await,
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no endpoint {path}"))),
    }
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
        let mut served: Vec<(String, String)> = ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn routes_match_templates_and_methods() {
        assert_eq!(route(&Method::GET, &["v1", "messages", "m_1", "files", "A.CSV"]), Ok("download"));
        assert_eq!(route(&Method::DELETE, &["v1", "messages", "m_1"]), Err(true));
        assert_eq!(route(&Method::GET, &["v2"]), Err(false));
    }
}
