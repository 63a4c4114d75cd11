//! Clients that try to hold or overload the relay are cut off quickly, and other offices keep being served.
//! Raw TLS connections on loopback; every wait is bounded. "Meanwhile" is judged by events, not by the clock: an
//! attacker holds its connection for seconds (the relay's own timeout), and the other office must have been served
//! before the relay cut the attacker off — a relay that served one connection at a time would serve it after.

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

/// The longest any awaited state may take here: only a hang reaches it.
const CEILING: Duration = Duration::from_secs(60);

/// Another office asks for its inbox while an attack runs and is served (within [`CEILING`], which only a hang
/// reaches); when it was served, to compare with when the attack ended.
async fn other_office_is_served(sandbox: &Sandbox, port: u16) -> Instant {
    let client = sandbox.client(HOME_HELP).unwrap();
    let started = Instant::now();
    let request = client.get(format!("https://127.0.0.1:{port}/v1/inbox")).send();
    let response = tokio::time::timeout(CEILING, request).await.expect("served within the ceiling").unwrap();
    assert_eq!(response.status(), 200);
    eprintln!("another office was served in {:?} during the attack", started.elapsed());
    Instant::now()
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
    const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
    let (sandbox, running) = relay(dir.path(), |c| c.header_timeout = HEADER_TIMEOUT).await;
    let port = running.local_addr.port();
    let (mut reading, mut writing) = tokio::io::split(raw_tls(&sandbox, port).await);
    // A header that never ends, 10 bytes a second, for as long as the relay lets it (up to the ceiling).
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let trickle = tokio::spawn({
        let written = written.clone();
        async move {
            let started = Instant::now();
            let header = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a'));
            for byte in header {
                if started.elapsed() > CEILING
                    || writing.write_all(&[*byte]).await.is_err()
                    || writing.flush().await.is_err()
                {
                    break;
                }
                written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    // When the relay cuts the slow client off: its side of the connection ends.
    let cut = tokio::spawn(async move {
        let started = Instant::now();
        let (mut buffer, mut received) = (vec![0u8; 4096], Vec::new());
        while let Ok(Ok(n)) =
            tokio::time::timeout(CEILING.saturating_sub(started.elapsed()), reading.read(&mut buffer)).await
        {
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..n]);
        }
        (Instant::now(), started.elapsed(), String::from_utf8_lossy(&received).into_owned())
    });
    let served = other_office_is_served(&sandbox, port).await;
    let (cut_at, elapsed, answer) = cut.await.unwrap();
    trickle.abort();
    let written = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(served < cut_at, "the other office was served only after the slow client was cut off");
    assert!(written >= 3, "the connection was usable before the timeout ({written} bytes)");
    assert!(elapsed >= HEADER_TIMEOUT - Duration::from_millis(100), "cut before the header timeout: {elapsed:?}");
    assert!(elapsed < CEILING, "the slow client was never cut off ({written} bytes in {elapsed:?})");
    assert!(!answer.contains("200 OK"), "{answer}");
    running.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_off_by_the_request_deadline() {
    let dir = tempfile::tempdir().unwrap();
    const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
    let (sandbox, running) = relay(dir.path(), |c| c.request_timeout = REQUEST_TIMEOUT).await;
    let mut stream = raw_tls(&sandbox, running.local_addr.port()).await;
    // Announces 1 MB (under the limit), sends a few bytes, then nothing.
    let head = "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Careplan-Client: 1\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n--B\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (served, ((elapsed, response), answered)) =
        tokio::join!(other_office_is_served(&sandbox, running.local_addr.port()), async {
            let answer = until_closed(&mut stream, CEILING).await;
            (answer, Instant::now())
        });
    assert!(served < answered, "the other office was served only after the hanging body was cut off");
    assert!(
        elapsed >= REQUEST_TIMEOUT - Duration::from_millis(100),
        "answered before the deadline: {elapsed:?} {response}"
    );
    assert!(elapsed < CEILING, "held for {elapsed:?}");
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
    let (response, _) = tokio::join!(
        client.post(&url).multipart(form).send(),
        other_office_is_served(&sandbox, running.local_addr.port())
    );
    let response = response.unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "too_many_files");
    assert!(started.elapsed() < CEILING, "refused within the ceiling");

    let form = reqwest::multipart::Form::new().text("to", "1".repeat(1_000_000));
    let (response, _) = tokio::join!(
        client.post(&url).multipart(form).send(),
        other_office_is_served(&sandbox, running.local_addr.port())
    );
    let response = response.unwrap();
    assert_eq!(response.status(), 413, "a megabyte `to` is not read into memory");
    running.shutdown().await;
}

/// A ClientHello offering only `version` (0x0300 SSL 3.0, 0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2) and
/// `suites`, without any extension: what an old or downgrading client sends.
fn legacy_client_hello(version: u16, suites: &[u16]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend([0x5a; 32]); // random
    body.push(0); // no session id
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    suites.iter().for_each(|suite| body.extend(suite.to_be_bytes()));
    body.extend([0x01, 0x00]); // compression: null only
    let mut handshake = vec![0x01]; // ClientHello
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16]; // handshake record
    record.extend(version.min(0x0301).to_be_bytes());
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[tokio::test]
async fn old_protocol_versions_and_weak_cipher_suites_are_refused_at_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, running) = relay(dir.path(), |_| {}).await;
    let port = running.local_addr.port();
    // TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_RC4_128_SHA: no forward secrecy.
    let weak = [0x002f, 0x000a, 0x0005];
    let strong_tls12 = [0xc02b, 0xc02f]; // ECDHE-ECDSA/RSA-AES128-GCM-SHA256
    for (what, hello) in [
        ("SSL 3.0", legacy_client_hello(0x0300, &strong_tls12)),
        ("TLS 1.0", legacy_client_hello(0x0301, &strong_tls12)),
        ("TLS 1.1", legacy_client_hello(0x0302, &strong_tls12)),
        ("TLS 1.2 with only weak suites", legacy_client_hello(0x0303, &weak)),
    ] {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        tcp.write_all(&hello).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "{what}: the relay neither refused nor closed within 5 s");
        // One fatal alert record (type 21, level 2: protocol_version 70 or handshake_failure 40), then closed.
        assert!(answer.len() >= 7 && answer[0] == 0x15 && answer[5] == 2, "{what}: answered {answer:02x?}");
        assert!([40, 70].contains(&answer[6]), "{what}: alert {}", answer[6]);
        other_office_is_served(&sandbox, port).await;
    }
    running.shutdown().await;
}

#[tokio::test]
async fn renegotiation_is_refused_and_other_offices_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, running) = relay(dir.path(), |_| {}).await;
    let port = running.local_addr.port();
    let paths = sandbox.paths();
    // OpenSSL's client can ask for a TLS 1.2 renegotiation ("R" on its input); rustls has none to give.
    let mut client = std::process::Command::new("openssl")
        .args(["s_client", "-tls1_2", "-servername", "localhost", "-connect", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(paths.office_cert(CARE_MANAGER))
        .arg("-key")
        .arg(paths.office_key(CARE_MANAGER))
        .arg("-CAfile")
        .arg(paths.ca_cert())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the openssl command (Debian package openssl) drives this test");
    {
        use std::io::Write;
        let mut input = client.stdin.take().unwrap();
        input.write_all(b"R\n").unwrap();
        other_office_is_served(&sandbox, port).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    } // closing its input ends the client
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.try_wait().unwrap().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = client.kill();
    let output = client.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(said.contains("Protocol  : TLSv1.2"), "the first handshake completed: {said}");
    assert!(said.contains("RENEGOTIATING"), "the client asked to renegotiate: {said}");
    assert!(said.contains("no renegotiation"), "the relay refused the renegotiation: {said}");
    other_office_is_served(&sandbox, port).await;
    running.shutdown().await;
}
