//! Fuzzing of the relay's request parsing without a nightly toolchain: proptest generates hostile requests —
//! arbitrary header values, multipart bodies with odd field names, file names and bytes, and raw garbage — and
//! sends them over real mutual TLS to one relay. No request may produce a 5xx, hang, or take the relay down.
//! Seeded from the fixture corpus: valid file names and contents are among the generated parts.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use proptest::prelude::*;
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, ServerConfig};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Target {
    runtime: tokio::runtime::Runtime,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    seeds: Vec<(String, Vec<u8>)>,
    _dir: tempfile::TempDir,
}

/// One relay for all cases (started once; the process ends with the test binary).
static TARGET: LazyLock<Target> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.api.max_body = 256 * 1024;
    config.header_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(5);
    let running = runtime.block_on(server::start(config)).unwrap();
    let port = running.local_addr.port();
    std::mem::forget(running);
    let tls = sandbox.tls_client_config(CARE_MANAGER).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/valid/kaigo2-new-plan");
    let seeds = std::fs::read_dir(fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    Target { runtime, port, tls, seeds, _dir: dir }
});

/// Sends raw bytes over one TLS connection; the status line's code, or None when the relay closed without one.
fn exchange(request: Vec<u8>) -> Option<u16> {
    let target = &*TARGET;
    target.runtime.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", target.port)).await.ok()?;
        let mut stream = tokio_rustls::TlsConnector::from(target.tls.clone())
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .ok()?;
        let _ = stream.write_all(&request).await;
        let mut response = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
        assert!(read.is_ok(), "the relay neither answered nor closed within 10 s");
        let text = String::from_utf8_lossy(&response);
        text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok())
    })
}

fn multipart(boundary: &str, parts: &[(String, Option<String>, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(file_name) = file_name {
            body.extend_from_slice(format!("; filename=\"{file_name}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn request(content_type: &str, extra_header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Careplan-Client: 1\r\nContent-Type: {content_type}\r\n{extra_header}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn part_strategy() -> impl Strategy<Value = (String, Option<String>, Vec<u8>)> {
    let seeds = TARGET.seeds.clone();
    let names = prop_oneof![Just("file".to_string()), Just("to".to_string()), "[a-z\\\\\"]{0,8}"];
    let file_names = prop_oneof![
        Just(None),
        proptest::sample::select(seeds.iter().map(|(n, _)| Some(n.clone())).collect::<Vec<_>>()),
        Just(Some("../../etc/passwd".to_string())),
        "[ -~]{0,40}".prop_map(Some),
    ];
    let contents = prop_oneof![
        proptest::sample::select(seeds.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>()),
        proptest::collection::vec(any::<u8>(), 0..512),
        Just(HOME_HELP.as_bytes().to_vec()),
    ];
    (names, file_names, contents)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_multipart_never_gets_a_server_error(
        parts in proptest::collection::vec(part_strategy(), 0..6),
        boundary in "[A-Za-z0-9]{1,20}",
        declared in prop_oneof![Just(None), "[ -~]{0,30}".prop_map(Some)],
        key in "[ -~]{0,40}",
    ) {
        let content_type = match &declared {
            None => format!("multipart/form-data; boundary={boundary}"),
            Some(other) => other.clone(),
        };
        let body = multipart(&boundary, &parts);
        let status = exchange(request(&content_type, &format!("Idempotency-Key: {key}\r\n"), &body));
        // A well-framed HTTP request gets an HTTP answer, and never a server error.
        prop_assert!(status.is_some_and(|s| s < 500), "status {status:?}");
        prop_assert_eq!(exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec()), Some(200));
    }

    #[test]
    fn raw_garbage_never_gets_a_server_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // Garbage may get no HTTP answer at all (the connection is closed), but never a server error, and the
        // relay must still serve the next office.
        let status = exchange(bytes);
        prop_assert!(status.is_none_or(|s| s < 500), "status {status:?}");
        prop_assert_eq!(exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec()), Some(200));
    }
}
