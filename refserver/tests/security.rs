//! What the relay promises about the personal data it carries, over real mutual TLS on loopback (issue #15):
//! files at rest private to its user and purged for good, every refusal and probe on record, certificates that
//! can be revoked while it runs, and answers that a browser neither sniffs nor caches. Cross-site requests and
//! reused idempotency keys are cases R32, R33 and R22 of the relay-protocol suite (tests/protocol_suite.rs).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use refserver::model::AuditEntry;
use refserver::pki;
use refserver::sandbox::{CARE_MANAGER, HOME_HELP};
use refserver::server;
use refserver::store::{SqliteStore, Store};
use reqwest::StatusCode;
use transport::PkiPaths;

use common::*;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file and folder under `root`, `root` included.
fn tree(root: &Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![root.to_path_buf()];
    let mut index = 0;
    while index < all.len() {
        if all[index].is_dir() {
            let children: Vec<_> = std::fs::read_dir(&all[index]).unwrap().map(|e| e.unwrap().path()).collect();
            all.extend(children);
        }
        index += 1;
    }
    all
}

/// Whether any file under the data folder (the database, its write-ahead log, the files beside it) holds `needle`.
fn store_holds(data: &Path, needle: &[u8]) -> bool {
    tree(data)
        .iter()
        .any(|path| std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)))
}

#[tokio::test]
async fn files_at_rest_are_private_and_a_purge_leaves_no_copy() {
    let mut relay = Relay::start().await;
    let files = plan_unit();
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (data, pki) = (relay.dir.path().join("data"), relay.dir.path().join("pki"));
    for path in tree(&data).into_iter().chain(tree(&pki)) {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{} is {:o}", path.display(), mode(&path));
    }
    assert!(data.join("relay.sqlite3-wal").exists(), "the write-ahead log is among the files checked");
    assert!(std::fs::read_dir(data.join("files")).unwrap().count() > 0, "the files beside it are among them");
    relay.server.take().unwrap().shutdown().await;

    // A line of 第1表 (氏名, 住所 of the user) as stored.
    let table1 = &files.iter().find(|(name, _)| name.starts_with("UP1KYO")).unwrap().1;
    let marker = &table1[20..100];
    assert!(store_holds(&data, marker), "the sent plan is in the store's files (the search can find it)");
    let store = SqliteStore::open(&data).unwrap();
    assert_eq!(store.purge_before("2999-01-01T00:00:00Z").wait().unwrap(), 1);
    store.compact().wait().unwrap();
    drop(store);
    assert!(!store_holds(&data, marker), "the purged plan's bytes stay readable in the store's files");
}

#[tokio::test]
async fn the_relay_will_not_start_on_a_key_others_can_read() {
    let mut relay = Relay::start().await;
    relay.server.take().unwrap().shutdown().await;
    let key = PkiPaths::new(relay.dir.path().join("pki")).office_key(CARE_MANAGER);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = server::start(config(relay.dir.path())).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains(&format!("{CARE_MANAGER}.key")) && refused.contains("chmod -R go-rwx"), "{refused:?}");
}

fn audit_log(relay: &Relay) -> Vec<AuditEntry> {
    SqliteStore::open(&relay.dir.path().join("data")).unwrap().audit_log(None, None).wait().unwrap()
}

#[tokio::test]
async fn refusals_probes_replays_and_sender_downloads_are_audited() {
    let relay = Relay::start().await;
    let files = plan_unit();
    let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, Some("audit-1")).await;
    let id = sent["id"].as_str().unwrap().to_string();
    let (status, _) = relay.send(CARE_MANAGER, HOME_HELP, &files, Some("audit-1")).await;
    assert_eq!(status, StatusCode::CREATED, "a replay");
    let (status, _) = relay.get(DAY_SERVICE, &format!("/v1/messages/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a third office probing");
    let preview = format!("/preview/{id}/{}", files[0].0);
    let response = relay.client(DAY_SERVICE).get(relay.url(&preview)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "a third office probing through the page");
    let own = format!("/v1/messages/{id}/files/{}", files[0].0);
    let response = relay.client(CARE_MANAGER).get(relay.url(&own)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the sender takes its own file back");
    let mut spoofed = files.clone();
    spoofed[0].0 = format!("UP1KYO_{CARE_MANAGER}_43_{HOME_HELP}_11_20250425090000\u{202E}VSC.exe");
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &spoofed, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_file_name")), "{body}");
    let (cert, key) = PkiPaths::new(relay.dir.path().join("pki")).negative("revoked");
    assert!(relay.client_with(&cert, &key).get(relay.url("/healthz")).send().await.is_err());

    // The refused handshake is audited after the client has heard of it: wait (bounded) until it is on record.
    let started = std::time::Instant::now();
    let mut log = audit_log(&relay);
    while !log.iter().any(|e| e.action == "auth_failure") && started.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        log = audit_log(&relay);
    }
    let find = |action: &str, office: Option<&str>| {
        log.iter().find(|e| e.action == action && e.office.as_deref() == office).unwrap_or_else(|| {
            panic!("no {action} by {office:?} in {log:#?}");
        })
    };
    assert_eq!(find("replay", Some(CARE_MANAGER)).message_id.as_deref(), Some(id.as_str()));
    let probes: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "refused" && e.office.as_deref() == Some(DAY_SERVICE))
        .filter_map(|e| e.detail.as_deref())
        .collect();
    assert!(probes.iter().any(|d| d.starts_with("GET /v1/messages/") && d.ends_with("404 not_found")), "{probes:?}");
    assert!(probes.iter().any(|d| d.starts_with("GET /preview/") && d.ends_with("404")), "{probes:?}");
    assert_eq!(find("download_by_sender", Some(CARE_MANAGER)).detail.as_deref(), Some(files[0].0.as_str()));
    let rejected = log.iter().filter(|e| e.action == "reject").filter_map(|e| e.detail.as_deref());
    let escaped: Vec<&str> = rejected.filter(|d| d.contains("bad_file_name")).collect();
    assert!(escaped.iter().all(|d| d.contains("\\u{202E}") && !d.contains('\u{202E}')), "{escaped:?}");
    assert_eq!(escaped.len(), 1, "{log:#?}");
    let handshake = find("auth_failure", None).detail.clone().unwrap_or_default();
    assert!(handshake.contains("presented subject CN=9900000004"), "{handshake}");
    relay.stop().await;
}

#[tokio::test]
async fn a_reissued_or_removed_office_certificate_stops_working_without_a_restart() {
    let relay = Relay::start().await;
    let paths = PkiPaths::new(relay.dir.path().join("pki"));
    let identity_pem = |office: &str| paths.identity_pem(office).unwrap();
    let ca = std::fs::read(paths.ca_cert()).unwrap();
    let fresh = |identity: &[u8]| transport::https_client(&ca, identity).unwrap();
    let me = |client: reqwest::Client| {
        let url = relay.url("/v1/me");
        async move { client.get(url).send().await.map(|r| r.status()).map_err(|e| e.to_string()) }
    };

    let before = identity_pem(HOME_HELP);
    assert_eq!(me(fresh(&before)).await, Ok(StatusCode::OK));
    pki::issue_office(&paths, HOME_HELP, "ヘルパーステーションひまわり").unwrap();
    assert!(me(fresh(&before)).await.is_err(), "the replaced certificate still connects");
    assert_eq!(me(fresh(&identity_pem(HOME_HELP))).await, Ok(StatusCode::OK), "the new one works");

    let day_service = identity_pem(DAY_SERVICE);
    remove_office(&relay.dir.path().join("data"), DAY_SERVICE);
    assert_eq!(me(fresh(&day_service)).await, Ok(StatusCode::FORBIDDEN), "unregistered: nothing but /healthz");
    assert_eq!(pki::revoke_office(&paths, DAY_SERVICE).unwrap().len(), 1);
    assert!(me(fresh(&day_service)).await.is_err(), "a revoked certificate still connects");

    // A certificate the CA issued to an office that was never registered reaches only the health check.
    pki::issue_office(&paths, "1370007777", "未登録の事業所").unwrap();
    let stranger = fresh(&identity_pem("1370007777"));
    for (path, expected) in [("/healthz", 200), ("/v1/me", 403), ("/v1/inbox", 403), ("/", 403), ("/metrics", 403)] {
        let status = stranger.get(relay.url(path)).send().await.unwrap().status();
        assert_eq!(status.as_u16(), expected, "{path}");
    }
    relay.stop().await;
}

#[tokio::test]
async fn answers_are_neither_sniffed_nor_cached_and_uploads_are_what_their_names_say() {
    let relay = Relay::start().await;
    let files = plan_unit();
    let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    let id = sent["id"].as_str().unwrap().to_string();
    let ack = relay.client(HOME_HELP).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(ack.status(), StatusCode::OK);
    let acknowledged: serde_json::Value = ack.json().await.unwrap();
    assert_eq!(acknowledged["downloaded_at"], serde_json::Value::Null, "acked unread is not downloaded");
    let download = format!("/v1/messages/{id}/files/{}", files[0].0);
    for path in ["/v1/inbox", download.as_str(), "/v1/messages/no-such"] {
        let response = relay.client(HOME_HELP).get(relay.url(path)).send().await.unwrap();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert!(header("strict-transport-security").is_some_and(|v| v.starts_with("max-age=")), "{path}");
    }

    // A 利用者基本情報 unit whose family-structure image is not a JPEG.
    let renamed = |name: &str| {
        let (head, tail) = name.split_once("_1370").unwrap();
        let serial = tail.rsplit('_').next().unwrap();
        format!("{head}_{CARE_MANAGER}_43_{HOME_HELP}_11_{serial}")
    };
    let image_unit: Vec<(String, Vec<u8>)> = unit("valid/yoshien1-prevention", "_20250420100000")
        .into_iter()
        .filter(|(name, _)| name.starts_with("UPKIHON"))
        .map(|(name, bytes)| {
            let bytes = if name.ends_with(".JPG") { b"<html><script>alert(1)</script>".to_vec() } else { bytes };
            let name = if name.starts_with("UPKIHON_IMAGE") {
                format!("UPKIHON_IMAGE_{CARE_MANAGER}_43_{HOME_HELP}_11_20250420100000_0001.JPG")
            } else {
                renamed(&name)
            };
            (name, bytes)
        })
        .collect();
    assert!(image_unit.iter().any(|(name, _)| name.ends_with(".JPG")), "{image_unit:?}");
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &image_unit, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_jpeg")), "{body}");

    // File names addressed to the right office under a kind it is not registered for (訪問介護 holds only 11).
    let wrong_kind: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.replace(&format!("_{HOME_HELP}_11_"), &format!("_{HOME_HELP}_15_")), bytes.clone()))
        .collect();
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &wrong_kind, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("recipient_mismatch")), "{body}");
    relay.stop().await;
}
