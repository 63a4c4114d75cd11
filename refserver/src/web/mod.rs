//! The web page for office staff, served over the same mutual-TLS listener as the API (the browser presents the
//! office's client certificate): `/` is a plain-JavaScript page (send, inbox, outbox) that calls the JSON API;
//! `/preview/{id}/{name}` shows a received file as its standard form, rendered here by the `forms` crate. The
//! assets are compiled into the binary, and the Content-Security-Policy allows nothing from elsewhere.

use crate::model::Office;
use protocol::ErrorCode;
use std::sync::Arc;

use bytes::Bytes;
use conformance::report::markup_escape as esc;
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
pub async fn serve(
    state: &Arc<AppState>,
    me: &Arc<str>,
    office: &Office,
    method: &Method,
    segments: &[&str],
    query: Option<&str>,
) -> Response<Body> {
    let result = match (method, segments) {
        (&Method::GET, [""]) => Ok(respond(StatusCode::OK, "text/html; charset=utf-8", index_html().to_string())),
        (&Method::GET, ["assets", "app.js"]) => {
            Ok(respond(StatusCode::OK, "text/javascript; charset=utf-8", APP_JS.into()))
        }
        (&Method::GET, ["assets", "app.css"]) => {
            Ok(respond(StatusCode::OK, "text/css; charset=utf-8", app_css().into()))
        }
        (&Method::GET, ["preview", id, name]) => preview_page(state, me, id, name).await,
        (&Method::GET, ["evidence"]) => evidence_page(state, office, query).await,
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

/// The page's styles, then the forms' own.
fn app_css() -> &'static str {
    static CSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSS.get_or_init(|| format!("{APP_CSS}\n{}", forms::CSS))
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
    let message = api::access::visible_message(state, me, id).await?;
    if !message.files.iter().any(|f| f.name == name) {
        return Err(ApiError::new(ErrorCode::NotFound, format!("message {id} has no file {name}")));
    }
    let bytes = state.store.file(id, name).await?.unwrap_or_default();
    let supplement = match message.files.iter().find(|f| f.kind.as_deref() == Some("UPHOSOKU") && f.name != name) {
        Some(file) => state.store.file(id, &file.name).await?.map(|bytes| (file.name.clone(), bytes)),
        None => None,
    };
    api::access::record_access(state, me, "preview", id, name).await?;
    let (name, id) = (name.to_string(), id.to_string());
    let (from, to) = (message.from.clone(), message.to.clone());
    let body = tokio::task::spawn_blocking(move || {
        let supplement = supplement.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
        let form = forms::render(&name, &bytes, supplement);
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

/// The office's exchange record for a period as a page to print on A4 (「送受信記録を印刷」), in Japanese with
/// English beside it. The signed forms (CSV, JSON) are a link away; the page says how to check them.
async fn evidence_page(
    state: &Arc<AppState>,
    office: &Office,
    query: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let params = api::http::query_pairs(query);
    let record = api::access::evidence_record(state, office, &params, "page").await?;
    let shown = |time: &str| time.replacen('T', " ", 1).trim_end_matches("+09:00").to_string();
    let optional = |time: &Option<String>| time.as_deref().map(shown).unwrap_or_else(|| "—".into());
    let mut rows = String::new();
    for message in &record.messages {
        let direction = if message.direction == "sent" {
            "送信<br><small>sent</small>"
        } else {
            "受信<br><small>received</small>"
        };
        for (index, file) in message.files.iter().enumerate() {
            let first = index == 0;
            let cell =
                |text: String| if first { format!("<td>{text}</td>") } else { "<td class=\"cont\"></td>".to_string() };
            rows.push_str(&format!(
                "<tr>{}{}{}<td><code>{}</code></td><td><code class=\"digest\">{}</code></td>{}{}</tr>",
                cell(direction.to_string()),
                cell(esc(&shown(&message.sent_at)).to_string()),
                cell(format!("{}<br><small>{}</small>", esc(&message.counterpart_name), esc(&message.counterpart))),
                esc(&file.name),
                esc(&file.sha256),
                cell(esc(&optional(&message.downloaded_at)).to_string()),
                cell(esc(&optional(&message.acknowledged_at)).to_string()),
            ));
        }
    }
    if record.messages.is_empty() {
        rows.push_str("<tr><td colspan=\"7\">この期間の送受信はありません。 <small>Nothing sent or received in this period.</small></td></tr>");
    }
    let mut refused = String::new();
    for refusal in &record.refusals {
        for file in &refusal.files {
            refused.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code class=\"digest\">{}</code></td><td>{}</td></tr>",
                esc(&shown(&refusal.at)),
                esc(refusal.to.as_deref().unwrap_or("")),
                esc(&file.name),
                esc(&file.sha256),
                esc(&refusal.rules.join(" ")),
            ));
        }
    }
    if record.refusals.is_empty() {
        refused.push_str("<tr><td colspan=\"5\">ありません。 <small>None.</small></td></tr>");
    }
    let download = format!("/v1/evidence?from={}&to={}&format=zip", record.from, record.to);
    let body = format!(
        "<nav class=\"toolbar no-print\" aria-label=\"送受信記録の操作\"><a href=\"/#record\">← 戻る Back</a>\
         <button type=\"button\" id=\"print\">印刷 Print</button>\
         <a href=\"{download}\" download=\"送受信記録_{number}_{from}_{to}.zip\">署名付きで保存 Save, signed (ZIP)</a></nav>\
         <main class=\"preview\"><div class=\"sheet evidence\">\
         <div class=\"form-title\"><h1>送受信記録</h1><span>Exchange record</span></div>\
         <table class=\"head\"><tr><th>事業所 <small>Office</small></th><td>{name} <small>({number})</small></td>\
         <th>期間 <small>Period</small></th><td>{from} ～ {to}</td></tr>\
         <tr><th>作成日時 <small>Generated</small></th><td>{generated}</td><th>作成者 <small>By</small></th><td>{relay}</td></tr></table>\
         <h2>送信・受信 <small>Messages sent and received</small> ({count})</h2>\
         <table class=\"grid evidence-messages\"><thead><tr><th>区分<br><small>Direction</small></th>\
         <th>送信日時<br><small>Sent</small></th><th>相手事業所<br><small>Counterpart</small></th>\
         <th>ファイル名<br><small>File</small></th><th>SHA-256</th><th>初回ダウンロード<br><small>First downloaded</small></th>\
         <th>受領確認<br><small>Acknowledged</small></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>不適合で受け付けなかった送信 <small>Sends refused as non-conforming</small> ({refused_count})</h2>\
         <table class=\"grid evidence-refusals\"><thead><tr><th>日時<br><small>At</small></th><th>送信先<br><small>To</small></th>\
         <th>ファイル名<br><small>File</small></th><th>SHA-256</th><th>規則<br><small>Rules</small></th></tr></thead>\
         <tbody>{refused}</tbody></table>\
         <p class=\"note\">時刻は日本時間です。ファイルの内容（利用者の情報）は載せていません。この記録の電子版（CSV・JSON）には中継サーバーの\
         電子署名（{algorithm}、署名者 {signer}、署名用証明書 SHA-256 {fingerprint}）が付き、<code>careplan-refserver evidence verify</code> で改ざんのないことを確かめられます。<br>\
         <small>Times are Japan time. No file content (no user data) is shown. The electronic forms (CSV, JSON) carry the relay's \
         signature and can be checked with <code>careplan-refserver evidence verify</code>.</small></p></div></main>",
        name = esc(&office.name),
        number = esc(&office.number),
        from = esc(&record.from),
        to = esc(&record.to),
        generated = esc(&shown(&record.generated_at)),
        relay = esc(&record.relay),
        count = record.messages.len(),
        refused_count = record.refusals.len(),
        algorithm = esc(&record.signature_algorithm),
        signer = esc(&record.signer),
        fingerprint = esc(&record.signer_sha256),
    );
    let title = format!("送受信記録 {} {}～{} Exchange record", office.number, record.from, record.to);
    Ok(respond(StatusCode::OK, "text/html; charset=utf-8", page(&title, &body)))
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
