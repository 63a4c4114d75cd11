//! The office directory, the caller's own entry and the relay-wide metrics.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};

use super::http::{json_response, param, query, to_json, ApiError, Body};
use super::state::{fault, AppState};
use crate::model::Office;

pub(crate) async fn metrics(state: &Arc<AppState>) -> Result<Response<Body>, ApiError> {
    // A read answers through a `Pending` like a write (SQLite's on the calling thread, PostgreSQL's on the
    // store's runtime): nothing here blocks an async worker.
    let counts = state.store.status_counts().await?;
    let mut response = Response::new(Full::new(Bytes::from(state.metrics.render(&counts, state.store.round_trips()))));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    Ok(response)
}

/// The most offices one directory answer lists: a search, not an export of the registry.
const DIRECTORY_PAGE: usize = 200;

pub(crate) async fn directory(state: &Arc<AppState>, request: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = query(request);
    let mut offices = state.store.offices(param(&params, "q"), Some(DIRECTORY_PAGE)).await?;
    if fault(state, |f| f.hide_offices) {
        offices.clear();
    }
    let directory = protocol::Directory { offices: offices.iter().map(protocol::Office::from).collect() };
    Ok(json_response(StatusCode::OK, &to_json(&directory)))
}

/// The caller's own directory entry: who the certificate says it is.
pub(crate) fn whoami(office: Office) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &to_json(&protocol::Me {
            number: office.number,
            name: office.name,
            kinds: office.kinds,
            licence_until: office.licence_until,
        }),
    )
}
