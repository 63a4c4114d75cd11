//! The guards a request passes before an endpoint acts, beyond the registered-office check every request gets:
//! requests another site may have made the office's browser send, and the operator-only counters.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::Request;
use protocol::{ErrorCode, Route};

use crate::api::state::fault;
use crate::api::{ApiError, AppState};

/// Routes that change something or hand out personal data, refused to requests another site makes the browser send
/// (see [`cross_site_refusal`]).
const GUARDED_ROUTES: &[Route] =
    &[Route::Validate, Route::Send, Route::Download, Route::Anonymised, Route::Ack, Route::Evidence];

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
    if header(protocol::CLIENT_HEADER).is_none() {
        return Some("the X-Careplan-Client header is missing");
    }
    None
}

/// Refuses a request to a [`GUARDED_ROUTES`] route that another site may have made the browser send.
pub fn same_site(state: &Arc<AppState>, route: Route, request: &Request<Incoming>) -> Result<(), ApiError> {
    if !GUARDED_ROUTES.contains(&route) || fault(state, |f| f.allow_cross_site) {
        return Ok(());
    }
    match cross_site_refusal(request) {
        None => Ok(()),
        Some(reason) => Err(ApiError::new(
            ErrorCode::CrossSiteRefused,
            format!(
                "他のサイトから送られた可能性のある要求は受け付けません（{reason}）。介護ソフトまたは中継サーバーの画面から操作してください。 / \
                 A request that another site may have made your browser send is refused ({reason}); use your care software or the relay's page."
            ),
        )),
    }
}

/// Whether `peer` is the operator's: `/metrics` shows relay-wide counts (how many messages every office exchanged),
/// which are not an office's to read.
fn is_operator(state: &AppState, peer: std::net::IpAddr) -> bool {
    match state.config.metrics_from.as_slice() {
        [] => peer.is_loopback(),
        addresses => addresses.contains(&peer),
    }
}

/// Refuses `/metrics` to anyone but the operator.
pub fn operator(state: &AppState, peer: std::net::IpAddr) -> Result<(), ApiError> {
    if is_operator(state, peer) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::OperatorOnly,
            "中継サーバー全体の計数は運用者だけが読めます。 / The relay-wide counters are for its operator only.",
        ))
    }
}
