//! Clients that try to hold or overload the relay are cut off quickly, and other offices keep being served.
//! Raw TLS connections on loopback; every wait is bounded.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::time::{Duration, Instant};

use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, RunningServer, ServerConfig};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

async fn relay(dir: &std::path::Path, adjust: impl FnOnce(&mut ServerConfig)) -> (Sandbox, RunningServer) {
    let sandbox = Sandbox::care_manager_and_home_help(dir).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    adjust(&mut config);
    let running = server::start(config).await.unwrap();
    (sandbox, running)
}

/// A raw mutual-TLS stream as the care manager.
async fn raw_tls(sandbox: &Sandbox, port: u16) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = sandbox.tls_client_config(CARE_MANAGER).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    TlsConnector::from(config).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
}

/// Reads until the server closes or answers; the time it took and what came back.
async fn until_closed(stream: &mut tokio_rustls::client::TlsStream<TcpStream>, limit: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut buffer = vec![0u8; 4096];
    let mut received = Vec::new();
    while let Ok(Ok(n)) = tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await
    {
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
    }
    (started.elapsed(), String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn slowloris_headers_are_cut_off_and_others_are_served_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, running) = relay(dir.path(), |c| c.header_timeout = Duration::from_millis(500)).await;
    let port = running.local_addr.port();
    let mut slow = raw_tls(&sandbox, port).await;
    // 60 bytes at 10 per second would take 6 s; the server must cut the connection after ~0.5 s.
    let trickle = tokio::spawn(async move {
        let started = Instant::now();
        let mut written = 0;
        for byte in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*byte]).await.is_err() || slow.flush().await.is_err() {
                break;
            }
            written += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, answer) = until_closed(&mut slow, Duration::from_secs(10)).await;
        (started.elapsed(), written, answer)
    });
    // Another office meanwhile: served promptly.
    let client = sandbox.client(HOME_HELP).unwrap();
    let started = Instant::now();
    let status = client.get(format!("https://127.0.0.1:{port}/healthz")).send().await.unwrap().status();
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "other clients wait {:?}", started.elapsed());
    let (elapsed, written, answer) = trickle.await.unwrap();
    assert!(written >= 3, "the connection was usable before the timeout ({written} bytes)");
    assert!(elapsed >= Duration::from_millis(400), "cut before the header timeout: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "the slow client was held open for {elapsed:?}");
    assert!(!answer.contains("200 OK"), "{answer}");
    running.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_off_by_the_request_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, running) = relay(dir.path(), |c| c.request_timeout = Duration::from_millis(800)).await;
    let mut stream = raw_tls(&sandbox, running.local_addr.port()).await;
    // Announces 1 MB (under the limit), sends a few bytes, then nothing.
    let head = "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n--B\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (elapsed, response) = until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(elapsed >= Duration::from_millis(700), "answered before the deadline: {elapsed:?} {response}");
    assert!(elapsed < Duration::from_secs(5), "held for {elapsed:?}");
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    running.shutdown().await;
}

#[tokio::test]
async fn ten_thousand_parts_and_a_huge_to_field_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, running) = relay(dir.path(), |_| {}).await;
    let url = format!("https://127.0.0.1:{}/v1/messages", running.local_addr.port());
    let client = sandbox.client(CARE_MANAGER).unwrap();
    let mut form = reqwest::multipart::Form::new().text("to", HOME_HELP);
    for i in 0..10_000 {
        form = form.part("file", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name(format!("F{i}.CSV")));
    }
    let started = Instant::now();
    let response = client.post(&url).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "too_many_files");
    assert!(started.elapsed() < Duration::from_secs(10));

    let form = reqwest::multipart::Form::new().text("to", "1".repeat(1_000_000));
    let response = client.post(&url).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 413, "a megabyte `to` is not read into memory");
    running.shutdown().await;
}
