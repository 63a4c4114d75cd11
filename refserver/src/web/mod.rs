//! The web page for office staff, served over the same mutual-TLS listener as the API (the browser presents the
//! office's client certificate): `/` is a plain-JavaScript page (send, inbox, outbox) that calls the JSON API;
//! `/preview/{id}/{name}` shows a received file as its standard form, rendered here. The assets are compiled into
//! the binary, and the Content-Security-Policy allows nothing from elsewhere.

pub mod preview;

use protocol::ErrorCode;
use std::sync::Arc;

use bytes::Bytes;
use conformance::report::markup_escape as esc;
use conformance::validate::{validate_files, Options};
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};

use crate::api::{self, ApiError, AppState, Body};

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether a path belongs to the page rather than the API.
pub fn is_page(segments: &[&str]) -> bool {
    !matches!(segments.first(), Some(&"v1" | &"healthz" | &"metrics"))
}

/// Answers a page request; errors become a small page in both languages.
pub async fn serve(state: &Arc<AppState>, me: &Arc<str>, method: &Method, segments: &[&str]) -> Response<Body> {
    let result = match (method, segments) {
        (&Method::GET, [""]) => Ok(respond(StatusCode::OK, "text/html; charset=utf-8", index_html().to_string())),
        (&Method::GET, ["assets", "app.js"]) => {
            Ok(respond(StatusCode::OK, "text/javascript; charset=utf-8", APP_JS.into()))
        }
        (&Method::GET, ["assets", "app.css"]) => Ok(respond(StatusCode::OK, "text/css; charset=utf-8", APP_CSS.into())),
        (&Method::GET, ["preview", id, name]) => preview_page(state, me, id, name).await,
        _ => Err(ApiError::new(ErrorCode::NotFound, "このページはありません / no such page")),
    };
    result.unwrap_or_else(|error| error_page(&error))
}

/// An error as a small page in both languages.
pub fn error_page(error: &ApiError) -> Response<Body> {
    let body = page(
        "エラー Error",
        &format!(
            "<main class=\"error-page\"><h1>{} {}</h1><p>{}</p><p><a href=\"/\">トップへ戻る Back</a></p></main>",
            error.status().as_u16(),
            esc(error.status().canonical_reason().unwrap_or("")),
            esc(&error.message)
        ),
    );
    respond(error.status(), "text/html; charset=utf-8", body)
}

/// The page with the spec's file kinds (code → 第N表 and title) filled in, for labelling received files.
fn index_html() -> &'static str {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| {
        let kinds: serde_json::Map<String, serde_json::Value> = conformance::spec::spec()
            .kinds
            .iter()
            .map(|kind| (kind.code.clone(), serde_json::json!({"table": kind.table.ja, "title": kind.title.ja})))
            .collect();
        // Inside a <script> element: `<` is escaped so no text can close it.
        let json = serde_json::Value::Object(kinds).to_string().replace('<', "\\u003c");
        INDEX_HTML.replace("\"{{KINDS}}\"", &json)
    })
}

fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    // Pages show personal data: never kept in a shared or disk cache.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
         <body>{body}<script src=\"/assets/app.js\"></script></body></html>\n",
        esc(title)
    )
}

/// A file of a message the caller sent or received, shown as its form. Reading it is audited like a download
/// (personal data is shown only once the access is recorded), but leaves the message's status alone: only taking
/// the original file counts as downloaded.
async fn preview_page(state: &Arc<AppState>, me: &Arc<str>, id: &str, name: &str) -> Result<Response<Body>, ApiError> {
    let message = api::visible_message(state, me, id).await?;
    if !message.files.iter().any(|f| f.name == name) {
        return Err(ApiError::new(ErrorCode::NotFound, format!("message {id} has no file {name}")));
    }
    let bytes = state.store.file(id, name)?.unwrap_or_default();
    let supplement = match message.files.iter().find(|f| f.kind.as_deref() == Some("UPHOSOKU") && f.name != name) {
        Some(file) => state.store.file(id, &file.name)?.map(|bytes| (file.name.clone(), bytes)),
        None => None,
    };
    api::record_access(state, me, "preview", id, name).await?;
    let (name, id) = (name.to_string(), id.to_string());
    let (from, to) = (message.from.clone(), message.to.clone());
    let body = tokio::task::spawn_blocking(move || {
        let decode = |name: &str, bytes: &[u8]| {
            let keep = Options { keep_documents: true, ..Options::default() };
            validate_files([(name, bytes)], &keep).files.into_iter().next().and_then(|f| f.document)
        };
        let person = supplement
            .and_then(|(supplement_name, bytes)| decode(&supplement_name, &bytes))
            .and_then(|doc| preview::Person::from_supplement(&doc));
        let form = match decode(&name, &bytes) {
            Some(doc) => preview::form(&doc, person.as_ref()),
            None => "<p class=\"notice\">このファイルは標準仕様のCSVとして読めないため、様式で表示できません。\
                     元のファイルをダウンロードしてください。 / This file cannot be read as a standard-spec CSV; \
                     download the original.</p>"
                .to_string(),
        };
        let download = format!("/v1/messages/{}/files/{}", url_segment(&id), url_segment(&name));
        page(
            &format!("{name} — プレビュー Preview"),
            &format!(
                "<nav class=\"toolbar no-print\" aria-label=\"プレビュー操作\"><a href=\"/#inbox\">← 一覧へ戻る Back</a>\
                 <button type=\"button\" id=\"print\">印刷 Print</button>\
                 <a href=\"{}\" download=\"{}\">元のCSVをダウンロード Download original</a>\
                 <span class=\"file-name\">{}</span></nav><main class=\"preview\">{form}</main>\
                 <footer class=\"meta\">送信元 From {} → 送信先 To {} ・ メッセージ {} ・ {}</footer>",
                esc(&download),
                esc(&name),
                esc(&name),
                esc(&from),
                esc(&to),
                esc(&id),
                esc(&name)
            ),
        )
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "the preview failed to render"))?;
    Ok(respond(StatusCode::OK, "text/html; charset=utf-8", body))
}

/// Percent-encodes a path segment (ids and file names are ASCII in practice, but nothing here relies on it).
fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
