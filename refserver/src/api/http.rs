//! HTTP helpers every endpoint and the page use: the API error and how it is answered, JSON responses, query
//! strings and path segments, the media type a stored file is served as.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};

use protocol::ErrorCode;

use crate::store::StoreError;

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

pub fn error_response(error: &ApiError) -> Response<Body> {
    let body = protocol::ErrorBody { error: error.code, message: error.message.clone(), report: error.report.clone() };
    json_response(error.status(), &to_json(&body))
}

/// `application/x-www-form-urlencoded` query parameters.
pub(crate) fn query(request: &Request<Incoming>) -> Vec<(String, String)> {
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

/// The media type a file is served as: the family-structure image (UPKIHON_IMAGE, checked as JPEG at upload) as
/// `image/jpeg`, every other file as the standard spec's Shift_JIS CSV.
pub(crate) fn content_type_of(name: &str) -> &'static str {
    if is_image_name(name) {
        "image/jpeg"
    } else {
        "text/csv; charset=Shift_JIS"
    }
}

pub(crate) fn is_image_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, extension)| extension.eq_ignore_ascii_case("jpg") || extension.eq_ignore_ascii_case("jpeg"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
