//! The local page: what waits in the outbox, what was sent or refused, what arrived and what the care software has
//! not yet taken — served on a loopback address only, from the client's folders and state. The office's browser
//! talks to this page, never to the relay, and holds no certificate. Read-only; the form previews are not here yet
//! (the relay's renderer lives in `refserver`, which the client does not link).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::Config;
use crate::error::ClientError;
use crate::status::Overview;

/// Binds `addr`, which must be a loopback address.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ClientError> {
    if !addr.ip().is_loopback() {
        return Err(ClientError::Config(format!(
            "画面はループバックアドレスでのみ公開します / the page listens on a loopback address only, not {addr}"
        )));
    }
    tokio::net::TcpListener::bind(addr).await.map_err(|source| ClientError::io(std::path::Path::new("page"), source))
}

/// Serves the page until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: &Config) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        // One short request at a time: the page is for the one clerk at this PC.
        let mut request = vec![0u8; 8192];
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut request)).await;
        let Ok(Ok(length)) = read else { continue };
        let response = answer(&String::from_utf8_lossy(&request[..length]), config);
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
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
        return response("403 Forbidden", "text/plain; charset=utf-8", "このアドレスでは表示できません / wrong host\n");
    }
    if !(request_line.starts_with("GET / ") || request_line == "GET /") {
        return response("404 Not Found", "text/plain; charset=utf-8", "ありません / not found\n");
    }
    match crate::status::overview(config, 200) {
        Ok(overview) => response("200 OK", "text/html; charset=utf-8", &html(&overview)),
        Err(error) => response("500 Internal Server Error", "text/plain; charset=utf-8", &format!("{error}\n")),
    }
}

fn response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\ncontent-security-policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}

fn html(overview: &Overview) -> String {
    let escape = conformance::report::markup_escape;
    let body: String = overview
        .sections()
        .into_iter()
        .map(|(title, items)| {
            let rows: String = items.iter().map(|item| format!("<li>{}</li>", escape(item))).collect();
            format!("<h2>{title}（{}）</h2><ul>{rows}</ul>", items.len())
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>careplan-client</title></head>\
         <body><h1>ケアプランデータ連携クライアント / careplan-client</h1>{body}</body></html>"
    )
}
