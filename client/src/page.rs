//! The local page: what waits in the outbox, what was sent or refused, what arrived and what the care software has
//! not yet taken — served on a loopback address only, from the client's folders and state — and each listed file
//! shown as its form (the `forms` crate, the renderer the relay's page uses, with the 利用者補足情報 of the same
//! unit for the person). The office's browser talks to this page, never to the relay, and holds no certificate.
//! Read-only; a preview reads only a regular file inside one of the client's four folders.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use conformance::report::markup_escape as esc;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{Config, Folder};
use crate::error::ClientError;
use crate::status::{file_names, Entry, Overview, Place};

const PAGE_CSS: &str = include_str!("page.css");

/// Nothing from elsewhere, no script: the page is lists and forms.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; \
                      form-action 'none'";

/// Connections served at once: a browser opens several (and some it sends nothing on).
const CONNECTIONS: usize = 8;

/// The longest request head read; anything longer is not this page's.
const HEAD_LIMIT: usize = 8192;

/// A path segment as written into a link: everything but unreserved characters escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Binds `addr`, which must be a loopback address.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ClientError> {
    if !addr.ip().is_loopback() {
        return Err(ClientError::Config(format!(
            "画面はループバックアドレスでのみ公開します / the page listens on a loopback address only, not {addr}"
        )));
    }
    tokio::net::TcpListener::bind(addr).await.map_err(|source| ClientError::io(Path::new("page"), source))
}

/// Serves the page until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: &Config) {
    let config = Arc::new(config.clone());
    let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: do not spin on it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let config = config.clone();
        tokio::spawn(async move {
            connection(stream, config).await;
            drop(slot);
        });
    }
}

async fn connection(mut stream: tokio::net::TcpStream, config: Arc<Config>) {
    let Some(head) = read_head(&mut stream).await else { return };
    // Rendering a form validates the file whole: off the runtime's threads.
    let response = tokio::task::spawn_blocking(move || answer(&head, &config))
        .await
        .unwrap_or_else(|_| response("500 Internal Server Error", "text/plain; charset=utf-8", "failed\n"));
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request head, read until its blank line (or the peer's end) within 5 seconds; none past [`HEAD_LIMIT`].
async fn read_head(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > HEAD_LIMIT {
            return None;
        }
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await.ok()?.ok()?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// The whole HTTP response to a request's head.
fn answer(head: &str, config: &Config) -> String {
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let host = lines
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("host")))
        .map(|(_, value)| value.trim())
        .unwrap_or_default();
    let host_name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    // A page of another site that makes the browser resolve its name to 127.0.0.1 sends its own Host: refused.
    if !["127.0.0.1", "localhost", "[::1]"].contains(&host_name) {
        return plain("403 Forbidden", "このアドレスでは表示できません / wrong host");
    }
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or("/"));
    if method != "GET" {
        return plain("405 Method Not Allowed", "表示のみです / this page only shows");
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let Some(path) = path.strip_prefix('/') else { return not_found() };
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [""] => match crate::status::overview(config, 200) {
            Ok(overview) => html_response(&overview_html(&overview, config)),
            Err(error) => plain("500 Internal Server Error", &error.to_string()),
        },
        ["assets", "page.css"] => response("200 OK", "text/css; charset=utf-8", &format!("{PAGE_CSS}\n{}", forms::CSS)),
        ["preview", folder, rest @ ..] => match preview(config, folder, rest) {
            Ok(html) => html_response(&html),
            Err(Refused::BadAddress) => {
                plain("400 Bad Request", "このアドレスは表示できません / not a file of the client's folders")
            }
            Err(Refused::NotFound) => not_found(),
        },
        _ => not_found(),
    }
}

/// Why a preview is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// not a folder and plain file names (a `..`, a separator, an absolute path, a hidden name)
    BadAddress,
    /// no such regular file inside the folder
    NotFound,
}

/// The preview page of `/preview/<folder>/<name>` (`/preview/<folder>/<unit>/<name>` in `sent` and `refused`).
fn preview(config: &Config, folder: &str, rest: &[&str]) -> Result<String, Refused> {
    let folder = Folder::ALL.into_iter().find(|f| f.as_str() == folder).ok_or(Refused::NotFound)?;
    let names: Vec<String> =
        rest.iter().map(|segment| plain_name(segment)).collect::<Option<_>>().ok_or(Refused::BadAddress)?;
    let (unit, name) = match (folder.has_units(), names.as_slice()) {
        (true, [unit, name]) => (Some(unit.as_str()), name.as_str()),
        (false, [name]) => (None, name.as_str()),
        _ => return Err(Refused::BadAddress),
    };
    let base = config.folder(folder);
    let path = located(base, unit, name).ok_or(Refused::NotFound)?;
    let bytes = std::fs::read(&path).map_err(|_| Refused::NotFound)?;
    let body = if name.to_ascii_lowercase().ends_with(".txt") {
        // A refused unit's report.
        format!("<pre class=\"text\">{}</pre>", esc(&String::from_utf8_lossy(&bytes)))
    } else {
        let siblings = path.parent().map(file_names).unwrap_or_default();
        let supplement = forms::supplement_of(name, siblings.iter().map(String::as_str))
            .and_then(|other| Some((other, std::fs::read(located(base, unit, other)?).ok()?)));
        forms::render(name, &bytes, supplement.as_ref().map(|(other, bytes)| (*other, bytes.as_slice())))
    };
    let (ja, en) = folder_label(folder);
    let place = unit.map_or(String::new(), |unit| format!(" / {}", esc(unit)));
    Ok(document(
        &format!("{name} — プレビュー Preview"),
        &format!(
            "<nav class=\"toolbar\" aria-label=\"プレビュー操作\"><a href=\"/\">← 一覧へ戻る Back</a>\
             <span>{ja} <small>{en}</small>{place}</span><span class=\"file-name\">{}</span></nav>\
             <main class=\"preview\">{body}</main>",
            esc(name)
        ),
    ))
}

/// A path segment decoded, if it is a plain file name: not empty, not hidden (so neither `.` nor `..`), no
/// separator of any system, no drive or stream (`:`), no NUL, and one normal path component.
fn plain_name(segment: &str) -> Option<String> {
    let name = percent_decode_str(segment).decode_utf8().ok()?.into_owned();
    let odd = |c: char| matches!(c, '/' | '\\' | ':' | '\0');
    let mut components = Path::new(&name).components();
    let single = matches!((components.next(), components.next()), (Some(Component::Normal(_)), None));
    (!name.is_empty() && !name.starts_with('.') && !name.contains(odd) && single).then_some(name)
}

/// The regular file `name` (in `unit`) under `base`, if it is one there once symbolic links are followed.
fn located(base: &Path, unit: Option<&str>, name: &str) -> Option<PathBuf> {
    let base = base.canonicalize().ok()?;
    let mut path = base.clone();
    path.extend(unit);
    path.push(name);
    let path = path.canonicalize().ok()?;
    (path.starts_with(&base) && path.is_file()).then_some(path)
}

fn folder_label(folder: Folder) -> (&'static str, &'static str) {
    match folder {
        Folder::Outbox => ("送信フォルダー", "outbox"),
        Folder::Inbox => ("受信フォルダー", "inbox"),
        Folder::Sent => ("送信済み", "sent"),
        Folder::Refused => ("送信不可", "refused"),
    }
}

/// Where a listed file's preview is.
fn preview_href(place: &Place) -> String {
    let segment = |text: &str| utf8_percent_encode(text, SEGMENT).to_string();
    let unit = place.unit.as_deref().map_or(String::new(), |unit| format!("{}/", segment(unit)));
    format!("/preview/{}/{unit}{}", place.folder.as_str(), segment(&place.name))
}

fn overview_html(overview: &Overview, config: &Config) -> String {
    let file = |place: &Place| {
        if place.present {
            format!("<li><a href=\"{}\">{}</a></li>", esc(&preview_href(place)), esc(&place.name))
        } else {
            format!("<li>{} <small>取り込み済み / taken</small></li>", esc(&place.name))
        }
    };
    let entry = |Entry { text, files }: &Entry| {
        let files: String = files.iter().map(file).collect();
        format!("<li>{}<ul class=\"files\">{files}</ul></li>", esc(text))
    };
    let body: String = overview
        .sections()
        .into_iter()
        .map(|(title, entries)| {
            let rows: String = entries.iter().map(entry).collect();
            format!("<section><h2>{}（{}）</h2><ul class=\"entries\">{rows}</ul></section>", esc(title), entries.len())
        })
        .collect();
    document(
        "careplan-client",
        &format!(
            "<header class=\"top\"><h1>ケアプランデータ連携クライアント <small>careplan-client</small></h1>\
             <p>中継サーバー <small>Relay</small> {} ・ ファイル名を押すと様式で表示します <small>Open a file to see it as its \
             form</small></p></header><main>{body}</main>",
            esc(&config.relay)
        ),
    )
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/page.css\"></head>\
         <body>{body}</body></html>",
        esc(title)
    )
}

fn html_response(body: &str) -> String {
    response("200 OK", "text/html; charset=utf-8", body)
}

fn not_found() -> String {
    plain("404 Not Found", "ありません / not found")
}

fn plain(status: &str, text: &str) -> String {
    response(status, "text/plain; charset=utf-8", &format!("{text}\n"))
}

fn response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\ncontent-security-policy: {POLICY}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_taken() {
        for good in
            ["UP2KYO_1370001002_43_1370002058_11_20250425090000.CSV", "report.txt", "a%20b.CSV", "%E5%88%A9.CSV"]
        {
            assert!(plain_name(good).is_some(), "{good}");
        }
        for bad in
            ["", ".", "..", "%2e%2e", "%2E%2E", ".hidden", "a%2Fb", "%2Fetc%2Fpasswd", "..%5Cx", "C%3A", "a%00", "%FF"]
        {
            assert_eq!(plain_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_listed_name_links_to_its_own_preview() {
        let place = Place { folder: Folder::Sent, unit: Some("u 1".into()), name: "a/..b.CSV".into(), present: true };
        let href = preview_href(&place);
        assert_eq!(href, "/preview/sent/u%201/a%2F..b.CSV");
        let rest: Vec<&str> = href.trim_start_matches("/preview/sent/").split('/').collect();
        // The slash inside the name stays escaped, so the name is refused rather than read as a path.
        assert_eq!(rest.iter().map(|s| plain_name(s)).collect::<Vec<_>>(), vec![Some("u 1".into()), None]);
    }
}
