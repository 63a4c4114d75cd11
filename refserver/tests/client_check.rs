//! `serve --record` writes what clients do; `client-check` passes a client that follows the protocol and fails
//! one that does not acknowledge, sends without keys, resends rejected files and polls too fast.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::i18n::Lang;
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, ServerConfig};
use suites::client::{check, read};
use suites::relay::send_form;
use suites::Outcome;

fn unit(folder: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    files: &[(String, Vec<u8>)],
    key: Option<&str>,
) -> (u16, serde_json::Value) {
    let form = send_form(HOME_HELP, files);
    let mut request = client.post(format!("{base}/v1/messages")).multipart(form);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn session(good: bool) -> Vec<(&'static str, Outcome)> {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let recording = dir.path().join("recording.jsonl");
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.record = Some(recording.clone());
    let running = server::start(config).await.unwrap();
    let base = format!("https://127.0.0.1:{}", running.local_addr.port());
    let (sender, receiver) = (sandbox.client(CARE_MANAGER).unwrap(), sandbox.client(HOME_HELP).unwrap());

    let bad_files: Vec<(String, Vec<u8>)> = unit("valid/withdrawals", "DLT1KYO_")
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap().replace("20250425", "20250230").into_bytes()))
        .collect();
    let (status, _) = send(&sender, &base, &bad_files, Some("bad-1")).await;
    assert_eq!(status, 422);
    if !good {
        // Resends the rejected files unchanged, and without a key.
        send(&sender, &base, &bad_files, None).await;
    }
    let (status, sent) =
        send(&sender, &base, &unit("valid/withdrawals", "DLT1KYO_"), if good { Some("ok-1") } else { None }).await;
    assert_eq!(status, 201);
    let id = sent["id"].as_str().unwrap();
    receiver.get(format!("{base}/v1/inbox")).send().await.unwrap();
    if !good {
        receiver.get(format!("{base}/v1/inbox")).send().await.unwrap();
    }
    let name = sent["files"][0]["name"].as_str().unwrap();
    receiver.get(format!("{base}/v1/messages/{id}/files/{name}")).send().await.unwrap();
    if good {
        receiver.post(format!("{base}/v1/messages/{id}/ack")).send().await.unwrap();
    }
    running.shutdown().await;

    let records = read(&std::fs::read_to_string(&recording).unwrap()).unwrap();
    check(&records, 1_000, "recording", Lang::En).results.into_iter().map(|r| (r.id, r.outcome)).collect()
}

#[tokio::test]
async fn a_client_that_follows_the_protocol_passes() {
    let outcomes = session(true).await;
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Pass), "{outcomes:?}");
}

#[tokio::test]
async fn a_careless_client_fails_the_checks_it_breaks() {
    let outcomes = session(false).await;
    let failed: Vec<&str> = outcomes.iter().filter(|(_, o)| *o == Outcome::Fail).map(|(id, _)| *id).collect();
    assert_eq!(failed, vec!["C01", "C02", "C04", "C05"], "{outcomes:?}");
}
