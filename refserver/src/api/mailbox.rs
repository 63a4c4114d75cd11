//! Inbox and outbox pages (newest or oldest first, opaque cursors), the inbox long poll, and acknowledgements.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use protocol::ErrorCode;

use crate::model::{Cursor, Mailbox, Status};

use super::access::{audit_entry, visible_message};
use super::http::{json_response, param, query, to_json, ApiError, Body};
use super::state::{fault, AppState};
use crate::clock::now;

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

pub(crate) async fn acknowledge(state: &Arc<AppState>, me: &Arc<str>, id: &str) -> Result<Response<Body>, ApiError> {
    let message = visible_message(state, me, id).await?;
    if message.to.as_str() != &**me {
        return Err(ApiError::new(ErrorCode::NotRecipient, "only the recipient acknowledges a message"));
    }
    let updated = state.store.acknowledge(id, &now(), audit_entry(me, "ack", Some(id), None)).await?;
    let updated = updated.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no message {id}")))?;
    Ok(json_response(StatusCode::OK, &to_json(&protocol::Message::from(updated))))
}
