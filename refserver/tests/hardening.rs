//! The relay against the probes of issue #31, over real mutual TLS on loopback: access withdrawn while a connection
//! is open, uploads one office stalls, handshake noise against a small store, a record an office signed itself,
//! spreadsheet formulas in the exchange record, and the smaller refusals.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use refserver::pki;
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::store::{AuditEntry, Office, SqliteStore, Store};
use reqwest::StatusCode;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use transport::PkiPaths;

use common::*;

/// Generous ceiling of anything a test waits for: far above what each takes, far below the relay's own deadlines.
const CEILING: Duration = Duration::from_secs(10);

fn sandbox(relay: &Relay) -> Sandbox {
    Sandbox { pki: relay.dir.path().join("pki"), data: relay.dir.path().join("data") }
}

fn paths(relay: &Relay) -> PkiPaths {
    PkiPaths::new(relay.dir.path().join("pki"))
}

/// A TLS connection to the relay as `config`'s client.
async fn connect(relay: &Relay, config: Arc<rustls::ClientConfig>) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(relay.addr).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await
}

/// A kept-alive connection of `office`, spoken to as raw HTTP/1.1 so the test sees which connection answers.
async fn open(relay: &Relay, office: &str) -> TlsStream<TcpStream> {
    connect(relay, sandbox(relay).tls_client_config(office).unwrap()).await.unwrap()
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Careplan-Client: 1\r\n\r\n").into_bytes()
}

/// One answer on `stream`: status, head (lower case) and body; `None` when the relay closed the connection instead.
async fn answer(stream: &mut TlsStream<TcpStream>) -> Option<(u16, String, Vec<u8>)> {
    let read = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = buffer[end..].to_vec();
        while body.len() < length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        Some((status, head, body))
    };
    tokio::time::timeout(CEILING, read).await.expect("an answer or a close within the ceiling")
}

/// Whether the relay closed `stream` (EOF or an error) within the ceiling.
async fn closed(stream: &mut TlsStream<TcpStream>) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(CEILING, stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

fn audit_log(relay: &Relay) -> Vec<AuditEntry> {
    SqliteStore::open(&relay.dir.path().join("data")).unwrap().audit_log(None, None).wait().unwrap()
}

/// #31.1: a certificate revoked while its connection is open answers nothing more on it, and the connection ends.
#[tokio::test]
async fn a_revoked_certificate_is_refused_on_its_open_connection() {
    let relay = Relay::start().await;
    let mut stream = open(&relay, HOME_HELP).await;
    stream.write_all(&get("/v1/inbox")).await.unwrap();
    assert_eq!(answer(&mut stream).await.map(|a| a.0), Some(200));
    assert_eq!(pki::revoke_office(&paths(&relay), HOME_HELP).unwrap().len(), 1);

    stream.write_all(&get("/v1/inbox")).await.unwrap();
    let (status, head, body) = answer(&mut stream).await.expect("the refusal is answered");
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 403, "the revoked office still reads its inbox on the open connection: {body}");
    assert!(body.contains("certificate_revoked"), "{body}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(closed(&mut stream).await, "the connection stays open");
    let refused = audit_log(&relay).into_iter().any(|e| {
        e.office.as_deref() == Some(HOME_HELP) && e.detail.as_deref().is_some_and(|d| d.contains("certificate_revoked"))
    });
    assert!(refused, "the refusal is not on record");
    relay.stop().await;
}

/// #31.1 and #31.6: an office taken out of the registry is refused on its open connection, which ends, and the
/// refusal is on record.
#[tokio::test]
async fn a_removed_office_is_refused_on_its_open_connection_and_on_record() {
    let relay = Relay::start().await;
    let mut stream = open(&relay, DAY_SERVICE).await;
    stream.write_all(&get("/v1/me")).await.unwrap();
    assert_eq!(answer(&mut stream).await.map(|a| a.0), Some(200));
    remove_office(&relay.dir.path().join("data"), DAY_SERVICE);

    stream.write_all(&get("/v1/me")).await.unwrap();
    let (status, head, _) = answer(&mut stream).await.expect("the refusal is answered");
    assert_eq!(status, 403);
    assert!(head.contains("connection: close"), "{head}");
    assert!(closed(&mut stream).await, "the connection stays open");
    let log = audit_log(&relay);
    let refused = log.iter().any(|e| {
        e.office.as_deref() == Some(DAY_SERVICE)
            && e.action == "refused"
            && e.detail.as_deref().is_some_and(|d| d.contains("unknown_office"))
    });
    assert!(refused, "the removed office's 403 is not on record: {log:#?}");
    relay.stop().await;
}

/// #31.1: no connection outlives the maximum age: the first answer after it says `Connection: close`.
#[tokio::test]
async fn a_connection_ends_at_its_maximum_age() {
    let relay = Relay::start_with(|config| config.max_connection_age = Duration::from_millis(500)).await;
    let mut stream = open(&relay, HOME_HELP).await;
    stream.write_all(&get("/v1/inbox")).await.unwrap();
    let (status, head, _) = answer(&mut stream).await.unwrap();
    assert_eq!(status, 200);
    assert!(!head.contains("connection: close"), "{head}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    stream.write_all(&get("/v1/inbox")).await.unwrap();
    let (status, head, _) = answer(&mut stream).await.expect("answered once more");
    assert_eq!(status, 200);
    assert!(head.contains("connection: close"), "an old connection is kept: {head}");
    assert!(closed(&mut stream).await, "the connection stays open");
    relay.stop().await;

    // A connection kept idle (no next request to answer) ends with the header timeout.
    let relay = Relay::start_with(|config| config.header_timeout = Duration::from_millis(500)).await;
    let mut stream = open(&relay, HOME_HELP).await;
    stream.write_all(&get("/v1/inbox")).await.unwrap();
    assert_eq!(answer(&mut stream).await.map(|a| a.0), Some(200));
    assert!(closed(&mut stream).await, "an idle connection stays open");
    relay.stop().await;
}

/// A dry run that declares 64 MiB, sends the start of its form, and stalls.
async fn stalled_upload(relay: &Relay, office: &str) -> TlsStream<TcpStream> {
    let mut stream = open(relay, office).await;
    let head = "POST /v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Careplan-Client: 1\r\n\
                Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 67108864\r\n\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"A.CSV\"\r\n\r\n1,2,3\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// #31.2: two stalled 64 MiB uploads of one office (the whole default budget) do not hold another office's small
/// send, which answers while they are still stalled; and the stalled bodies are cut within seconds, not 120 s.
#[tokio::test]
async fn two_stalled_uploads_of_one_office_do_not_stop_another_offices_send() {
    let relay = Relay::start().await;
    let mut stalled = [stalled_upload(&relay, DAY_SERVICE).await, stalled_upload(&relay, DAY_SERVICE).await];
    // Both are past their headers and waiting on the budget or holding it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let files = plan_unit();
    let started = std::time::Instant::now();
    let send = relay.send(CARE_MANAGER, HOME_HELP, &files, None);
    let (status, body) = tokio::time::timeout(CEILING, send).await.expect("the other office's send is answered");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let took = started.elapsed();
    // Ordering, not timing: the stalled uploads have had no answer yet when the send is answered.
    for stream in &mut stalled {
        let mut byte = [0u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(10), stream.read(&mut byte)).await;
        assert!(early.is_err(), "a stalled upload was answered before the other office's send");
    }
    assert!(took < CEILING, "{took:?}");
    for stream in &mut stalled {
        let (status, _, body) = tokio::time::timeout(Duration::from_secs(30), answer(stream))
            .await
            .expect("the stalled body is cut within seconds")
            .expect("with an answer");
        assert_eq!(status, 408, "{}", String::from_utf8_lossy(&body));
    }
    relay.stop().await;
}

/// A certificate the relay's CA never issued, whose subject carries ~20 KiB of text.
fn self_signed_with_a_long_subject(index: usize) -> Arc<rustls::ClientConfig> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("{:010}", 9_000_000_000u64 + index as u64));
    for field in 0..150u64 {
        params.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99999, field]),
            format!("{}{field:03}", "OU-padding-".repeat(12)),
        );
    }
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).unwrap();
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer))
        .with_client_auth_cert(chain, key)
        .unwrap();
    Arc::new(config)
}

/// Trusts any server: the probes only need the relay to see their certificate.
#[derive(Debug)]
struct AnyServer;

impl rustls::client::danger::ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider().signature_verification_algorithms.supported_schemes()
    }
}

/// #31.3: 600 bare connects and 100 handshakes with 20 KiB subjects leave a few bounded audit rows, and a store
/// limited to 2 MB still takes a valid send.
#[tokio::test(flavor = "multi_thread")]
async fn handshake_noise_is_counted_not_stored_and_cannot_fill_the_store() {
    let mut relay = Relay::start_with(|config| config.max_store_bytes = Some(2 * 1024 * 1024)).await;
    for _ in 0..600 {
        drop(TcpStream::connect(relay.addr).await.unwrap());
    }
    for index in 0..100 {
        let mut stream = connect(&relay, self_signed_with_a_long_subject(index)).await;
        // TLS 1.3: the refusal arrives after the client's side of the handshake.
        if let Ok(stream) = stream.as_mut() {
            let _ = stream.write_all(&get("/healthz")).await;
            let _ = stream.read(&mut [0u8; 16]).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::CREATED, "unauthenticated noise stopped a send: {body}");
    relay.server.take().unwrap().shutdown().await;
    let log = audit_log(&relay);
    let failures: Vec<&str> =
        log.iter().filter(|e| e.action == "auth_failure").filter_map(|e| e.detail.as_deref()).collect();
    let bytes: usize = failures.iter().map(|d| d.len()).sum();
    assert!(!failures.is_empty(), "the refusals are on record");
    assert!(failures.len() <= 100, "{} rows for 700 refused handshakes", failures.len());
    assert!(failures.iter().all(|d| d.len() <= 1024), "an unbounded subject is stored");
    assert!(bytes <= 64 * 1024, "{bytes} bytes stored for refused handshakes");
}

/// #31.3: entries about refused handshakes never take the last quarter of a limited store: what offices do is
/// still audited (and their sends stored) after any amount of them.
#[test]
fn refused_handshakes_leave_the_last_quarter_of_a_limited_store_to_offices() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_limited(&dir.path().join("data"), Some(512 * 1024)).unwrap();
    let entry = |action: &str| AuditEntry {
        at: refserver::api::now(),
        office: None,
        action: action.into(),
        message_id: None,
        detail: Some("x".repeat(2000)),
    };
    for _ in 0..400 {
        store.audit_unauthenticated(&entry("auth_failure")).wait().expect("left out, never an error");
    }
    for i in 0..20 {
        store
            .audit(&entry("evidence"))
            .wait()
            .unwrap_or_else(|e| panic!("an office's entry {i} fits in the reserve: {e}"));
    }
}

/// #31.4: a record an office signed with its own key, offered with its own certificate as the signer, fails; the
/// relay's own record verifies and names the certificate that signed it by its SHA-256.
#[tokio::test]
async fn only_the_relays_signing_certificate_verifies_a_record() {
    use refserver::evidence::verify;
    let relay = Relay::start().await;
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let url = relay.url("/v1/evidence?from=2000-01-01&to=2000-12-31&format=json");
    let today = time::OffsetDateTime::now_utc().date();
    let url = url.replace("2000-01-01", &(today - time::Duration::days(1)).to_string());
    let url = url.replace("2000-12-31", &(today + time::Duration::days(1)).to_string());
    let response = relay.client(CARE_MANAGER).get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let signature = response.headers()[protocol::SIGNATURE_HEADER].to_str().unwrap().to_string();
    let record = response.bytes().await.unwrap().to_vec();
    let pki = paths(&relay);
    let verified = verify(&record, signature.as_bytes(), &pki).expect("the relay's own record verifies");
    let named: serde_json::Value = serde_json::from_slice(&record).unwrap();
    assert_eq!(named["signer_sha256"].as_str(), Some(verified.sha256.as_str()), "{named}");

    // The forger: the real CA certificate, an office's certificate as "signing.pem", the record signed with its key.
    let forged = tempfile::tempdir().unwrap();
    let folder = PkiPaths::new(forged.path());
    std::fs::copy(pki.ca_cert(), folder.ca_cert()).unwrap();
    std::fs::copy(pki.office_cert(CARE_MANAGER), folder.signing_cert()).unwrap();
    let pem = std::fs::read(pki.office_key(CARE_MANAGER)).unwrap();
    let Some(PrivateKeyDer::Pkcs8(der)) = rustls_pemfile::private_key(&mut pem.as_slice()).unwrap() else {
        panic!("an office key in PKCS#8");
    };
    let rng = ring::rand::SystemRandom::new();
    let key = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        der.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    let edited = String::from_utf8(record).unwrap().replacen("\"sent\"", "\"received\"", 1).into_bytes();
    let forged_signature = key.sign(&rng, &edited).unwrap();
    let outcome = verify(&edited, forged_signature.as_ref(), &folder);
    assert!(outcome.is_err(), "a record an office signed verifies: {outcome:?}");
    relay.stop().await;
}

/// The cells of a Shift_JIS CSV the relay wrote, unquoted.
fn cells(csv: &[u8]) -> Vec<String> {
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(csv);
    text.split("\r\n")
        .flat_map(|line| {
            line.split("\",\"").map(|cell| cell.trim_matches('"').replace("\"\"", "\"")).collect::<Vec<_>>()
        })
        .collect()
}

/// A relay whose home-help office is registered under `name`, as a careless or hostile registry import leaves it.
async fn relay_with_home_help_named(name: &str) -> Relay {
    let relay = Relay::start().await;
    let store = SqliteStore::open(&relay.dir.path().join("data")).unwrap();
    let office = Office {
        number: HOME_HELP.into(),
        name: name.into(),
        kinds: vec!["11".into()],
        licence_until: "2099-12-31".into(),
    };
    store.put_office(&office).wait().unwrap();
    drop(store);
    relay
}

/// #31.5: an office name and a refused file name that a spreadsheet would run as a formula are written as text.
#[tokio::test]
async fn the_exchange_record_csv_holds_no_formula() {
    let relay = relay_with_home_help_named("@SUM(1+1)*cmd|' /C calc'!A0").await;
    let files = plan_unit();
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut refused = files.clone();
    refused.push(("=1+cmd|' -C calc'!A0.CSV".into(), b"x".to_vec()));
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &refused, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("from={}&to={}", today - time::Duration::days(1), today + time::Duration::days(1));
    let response =
        relay.client(CARE_MANAGER).get(relay.url(&format!("/v1/evidence?{period}&format=csv"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cells = cells(&response.bytes().await.unwrap());
    assert!(cells.iter().any(|c| c.contains("SUM(1+1)")), "the hostile name is in the record: {cells:?}");
    assert!(cells.iter().any(|c| c.contains("calc'!A0.CSV")), "the refused name is in the record: {cells:?}");
    let formulas: Vec<&String> = cells.iter().filter(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r'])).collect();
    assert!(formulas.is_empty(), "cells a spreadsheet evaluates: {formulas:?}");
    relay.stop().await;
}

/// #31.6: file names with invisible characters other than bidi and zero-width ones are refused at upload.
#[tokio::test]
async fn names_with_invisible_characters_are_refused_at_upload() {
    let relay = Relay::start().await;
    let files = plan_unit();
    for invisible in ['\u{2060}', '\u{00AD}', '\u{3164}', '\u{E0041}', '\u{180E}', '\u{2064}', '\u{E000}', '\u{FFA0}'] {
        let mut named = files.clone();
        named[0].0 = named[0].0.replacen(".CSV", &format!("{invisible}.CSV"), 1);
        let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &named, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_file_name")),
            "U+{:04X}: {body}",
            invisible as u32
        );
    }
    relay.stop().await;
}

/// #31.6: a send another site made a browser send (no client header) is refused and on record.
#[tokio::test]
async fn a_cross_site_send_is_on_record() {
    let relay = Relay::start().await;
    let mut stream = open(&relay, CARE_MANAGER).await;
    let body = "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n1370002058\r\n--b--\r\n";
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = answer(&mut stream).await.unwrap();
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let log = audit_log(&relay);
    let on_record = log.iter().any(|e| {
        e.office.as_deref() == Some(CARE_MANAGER)
            && e.detail.as_deref().is_some_and(|d| d.contains("cross_site_refused"))
    });
    assert!(on_record, "the cross-site send is not on record: {log:#?}");
    relay.stop().await;
}

/// #31.6: the request log (`serve --record`) is private to the relay's user.
#[tokio::test]
async fn the_request_log_is_owner_only() {
    let record = tempfile::tempdir().unwrap();
    let path = record.path().join("requests.jsonl");
    let relay = Relay::start_with(|config| config.record = Some(path.clone())).await;
    let (status, _) = relay.get(CARE_MANAGER, "/v1/inbox").await;
    assert_eq!(status, StatusCode::OK);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the request log is {mode:o}");
    relay.stop().await;
}

/// #31.6: one office's waiting long polls are capped: past the cap a poll is answered at once (it holds nothing),
/// and those within it still wait for a message.
#[tokio::test(flavor = "multi_thread")]
async fn one_offices_waiting_long_polls_are_capped() {
    let relay = Relay::start().await;
    let client = relay.client(HOME_HELP);
    let url = relay.url("/v1/inbox?status=sent&wait=20");
    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..10 {
        let (client, url, answered) = (client.clone(), url.clone(), answered.clone());
        tokio::spawn(async move {
            let status = client.get(url).send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string());
            let _ = answered.send(status);
        });
    }
    for _ in 0..2 {
        let status = tokio::time::timeout(CEILING, answers.recv()).await.expect("a poll past the cap answers at once");
        assert_eq!(status, Some(Ok(200)));
    }
    // The other eight still wait: nothing more has answered, until a message arrives.
    assert!(tokio::time::timeout(Duration::from_millis(300), answers.recv()).await.is_err(), "more than two answered");
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for _ in 0..8 {
        let status = tokio::time::timeout(CEILING, answers.recv()).await.expect("a waiting poll is woken");
        assert_eq!(status, Some(Ok(200)));
    }
    relay.stop().await;
}

/// #31.6: `/metrics` (relay-wide counters) answers only the operator's addresses — loopback unless others are given
/// — not every office.
#[tokio::test]
async fn metrics_answer_only_the_operators_addresses() {
    let relay = Relay::start().await;
    let (status, _) = relay.get(CARE_MANAGER, "/metrics").await;
    assert_eq!(status, StatusCode::OK, "loopback is the operator's by default");
    relay.stop().await;
    let relay = Relay::start_with(|config| config.api.metrics_from = vec!["192.0.2.7".parse().unwrap()]).await;
    let (status, body) = relay.get(CARE_MANAGER, "/metrics").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an office reads the relay-wide counters: {body}");
    relay.stop().await;
}

/// #31.6: `evidence verify` prints the names of a ZIP's entries escaped: a name carrying terminal control sequences
/// cannot retitle or recolour the terminal of whoever checks the record.
#[tokio::test]
async fn evidence_verify_prints_entry_names_escaped() {
    let relay = Relay::start().await;
    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("from={}&to={}", today - time::Duration::days(1), today + time::Duration::days(1));
    let url = relay.url(&format!("/v1/evidence?{period}&format=zip"));
    let archive = relay.client(CARE_MANAGER).get(url).send().await.unwrap().bytes().await.unwrap();
    let entries = refserver::zip::entries(&archive).expect("a zip");
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[31m";
    let renamed: Vec<(String, Vec<u8>)> =
        entries.into_iter().map(|(name, bytes)| (format!("{hostile}{name}"), bytes)).collect();
    let saved = relay.dir.path().join("renamed.zip");
    std::fs::write(&saved, refserver::zip::stored(renamed.iter().map(|(n, b)| (n.as_str(), b.as_slice()))).unwrap())
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_careplan-refserver"))
        .args(["evidence", "verify", saved.to_str().unwrap(), "--pki", paths(&relay).dir.to_str().unwrap()])
        .output()
        .unwrap();
    let printed = [output.stdout, output.stderr].concat();
    let printed = String::from_utf8_lossy(&printed);
    assert!(!printed.contains('\u{1b}') && !printed.contains('\u{7}'), "control characters printed raw: {printed:?}");
    assert!(printed.contains("\\u{001B}"), "{printed}");
    relay.stop().await;
}

/// #31.6: paging cursors are the office's own: the same message gives its sender and its recipient different
/// cursors, an office's consecutive messages do not give consecutive numbers, and paging with them still works.
#[tokio::test]
async fn paging_cursors_are_opaque_and_the_offices_own() {
    let relay = Relay::start().await;
    let mut ids = Vec::new();
    for key in ["c1", "c2", "c3"] {
        let mut files = plan_unit();
        for (name, _) in &mut files {
            *name = name.replace("20250425090000", &format!("2025042509000{}", &key[1..]));
        }
        let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let (_, inbox) = relay.get(HOME_HELP, "/v1/inbox?limit=1").await;
    let (_, outbox) = relay.get(CARE_MANAGER, "/v1/outbox?limit=1").await;
    assert_eq!(
        (inbox["messages"][0]["id"].as_str(), outbox["messages"][0]["id"].as_str()),
        (Some(&*ids[2]), Some(&*ids[2]))
    );
    let (first, theirs) = (inbox["next"].as_i64().unwrap(), outbox["next"].as_i64().unwrap());
    assert_ne!(first, theirs, "sender and recipient see one relay-wide cursor for the same message");
    let (_, second) = relay.get(HOME_HELP, &format!("/v1/inbox?limit=1&before={first}")).await;
    assert_eq!(second["messages"][0]["id"].as_str(), Some(&*ids[1]), "{second}");
    let next = second["next"].as_i64().unwrap();
    assert_ne!(first - next, 1, "consecutive messages give consecutive cursors");
    let (_, third) = relay.get(HOME_HELP, &format!("/v1/inbox?limit=1&before={next}")).await;
    assert_eq!(third["messages"][0]["id"].as_str(), Some(&*ids[0]), "{third}");
    let (_, oldest) = relay.get(HOME_HELP, "/v1/inbox?order=asc&limit=1").await;
    let after = oldest["next"].as_i64().unwrap();
    let (_, then) = relay.get(HOME_HELP, &format!("/v1/inbox?order=asc&limit=1&after={after}")).await;
    assert_eq!(then["messages"][0]["id"].as_str(), Some(&*ids[1]), "{then}");
    relay.stop().await;
}

/// #31.6: a name with an invisible character reaches the exchange record (JSON, and so the printed page) escaped.
#[tokio::test]
async fn the_exchange_record_shows_names_escaped() {
    let relay = relay_with_home_help_named("ヘルパー\u{2060}ステーション\u{3164}").await;
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("from={}&to={}", today - time::Duration::days(1), today + time::Duration::days(1));
    let (status, record) = relay.get(CARE_MANAGER, &format!("/v1/evidence?{period}&format=json")).await;
    assert_eq!(status, StatusCode::OK);
    let name = record["messages"][0]["counterpart_name"].as_str().unwrap_or_default();
    assert_eq!(name, "ヘルパー\\u{2060}ステーション\\u{3164}", "{record}");
    relay.stop().await;
}
