//! The exchange record (送受信記録) endpoint: built, signed and served as JSON, CSV or a zip of both with their
//! signatures.

use crate::model::Office;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{Request, Response};

use protocol::ErrorCode;

use super::access::evidence_record;
use super::http::{param, query, ApiError, Body};
use super::state::AppState;

/// `GET /v1/evidence?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv|zip`: the caller's exchange record (送受信記録)
/// for the period, signed by the relay. `json` and `csv` carry the detached signature in the `Careplan-Signature`
/// header (base64 of DER); `zip` bundles the CSV, the JSON and each one's `.sig` for an office to keep.
pub(crate) async fn evidence(
    state: &Arc<AppState>,
    office: &Office,
    request: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    use crate::evidence;
    let params = query(request);
    let format = param(&params, "format").unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "csv" | "zip") {
        return Err(ApiError::new(ErrorCode::BadRequest, "format must be json, csv or zip"));
    }
    let record = evidence_record(state, office, &params, &format).await?;
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
