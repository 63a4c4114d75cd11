//! Accepted means durable: the relay process is killed with SIGKILL right after answering sends, restarted on the
//! same store, and every message that got `201` is there with identical bytes. Also: retention purges old
//! messages and audits the purge. Loopback only; bounded (20 sends, two processes, 30 s timeouts).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::net::TcpListener;
use std::time::{Duration, Instant};

use refserver::model::{AuditEntry, NewFile, NewMessage};
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, ServerConfig};
use refserver::store::{SqliteStore, Store, StoreLocation};
use suites::relay::send_form;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("relay did not come up within 30 s");
}

#[tokio::test]
async fn messages_answered_201_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let unit: Vec<(String, Vec<u8>)> = {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/valid/withdrawals");
        let name = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .find(|n| n.starts_with("DLT1KYO_"))
            .unwrap();
        vec![(name.clone(), std::fs::read(folder.join(&name)).unwrap())]
    };
    let (sender, receiver) = (sandbox.client(CARE_MANAGER).unwrap(), sandbox.client(HOME_HELP).unwrap());

    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let mut relay = sandbox
        .spawn_relay(std::path::Path::new(env!("CARGO_BIN_EXE_careplan-refserver")), port)
        .expect("relay starts");
    wait_ready(&sender, &base).await;
    let mut accepted = Vec::new();
    for i in 0..20 {
        let form = send_form(HOME_HELP, &unit);
        let response = sender
            .post(format!("{base}/v1/messages"))
            .header("Idempotency-Key", format!("k{i}"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        accepted.push(body["id"].as_str().unwrap().to_string());
    }
    // No graceful shutdown: SIGKILL right after the last 201.
    relay.kill().expect("SIGKILL");
    relay.wait().expect("killed");

    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let mut relay = sandbox
        .spawn_relay(std::path::Path::new(env!("CARGO_BIN_EXE_careplan-refserver")), port)
        .expect("relay starts");
    wait_ready(&receiver, &base).await;
    for id in &accepted {
        let response = receiver.get(format!("{base}/v1/messages/{id}/files/{}", unit[0].0)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{id} was lost");
        assert_eq!(response.bytes().await.unwrap().as_ref(), unit[0].1.as_slice(), "{id} changed");
    }
    let inbox: serde_json::Value =
        receiver.get(format!("{base}/v1/inbox?limit=100")).send().await.unwrap().json().await.unwrap();
    assert_eq!(inbox["messages"].as_array().unwrap().len(), accepted.len(), "nothing duplicated, nothing lost");
    relay.kill().unwrap();
    relay.wait().unwrap();
}

#[tokio::test]
async fn retention_purges_old_messages_and_audits_the_purge() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let store = SqliteStore::open(&sandbox.data).unwrap();
    for (id, created_at) in [("m_old", "2020-01-01T00:00:00Z"), ("m_new", "2099-01-01T00:00:00Z")] {
        store
            .insert_message(
                NewMessage {
                    id: id.into(),
                    from: CARE_MANAGER.into(),
                    to: HOME_HELP.into(),
                    serial: "20200101000000".into(),
                    unit: None,
                    idempotency_key: None,
                    request_digest: String::new(),
                    created_at: created_at.into(),
                    subject: Default::default(),
                    files: vec![NewFile {
                        name: "A.CSV".into(),
                        kind: None,
                        sha256: "00".into(),
                        bytes: b"x".to_vec(),
                    }],
                },
                AuditEntry {
                    at: created_at.into(),
                    office: Some(CARE_MANAGER.into()),
                    action: "send".into(),
                    message_id: Some(id.into()),
                    detail: None,
                },
            )
            .wait()
            .unwrap();
    }
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.retention = Duration::from_secs(24 * 3600);
    let running = server::start(config).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.message("m_old").wait().unwrap().is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.shutdown().await;
    assert!(store.message("m_old").wait().unwrap().is_none(), "the old message is purged at start-up");
    assert!(store.file("m_old", "A.CSV").wait().unwrap().is_none(), "its files go with it");
    assert!(store.message("m_new").wait().unwrap().is_some(), "recent messages stay");
    let purges: Vec<AuditEntry> =
        store.audit_log(None, None).wait().unwrap().into_iter().filter(|e| e.action == "purge").collect();
    assert_eq!(purges.len(), 1);
    assert!(purges[0].detail.as_deref().unwrap_or("").starts_with("1 messages"), "{purges:?}");
}

#[tokio::test]
async fn a_full_store_answers_507_and_keeps_everything_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.store = StoreLocation::Embedded { dir: sandbox.data.clone(), max_bytes: Some(512 * 1024) };
    let running = server::start(config).await.unwrap();
    let base = format!("https://127.0.0.1:{}", running.local_addr.port());
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/valid/kaigo2-new-plan");
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("_20250425090000."))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    let (sender, receiver) = (sandbox.client(CARE_MANAGER).unwrap(), sandbox.client(HOME_HELP).unwrap());
    let mut accepted = Vec::new();
    let mut full = None;
    for i in 0..400 {
        let form = send_form(HOME_HELP, &files);
        let response = sender
            .post(format!("{base}/v1/messages"))
            .header("Idempotency-Key", format!("fill-{i}"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        match status {
            201 => accepted.push(body["id"].as_str().unwrap().to_string()),
            507 => {
                full = Some(body);
                break;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let body = full.expect("the store filled up within 400 sends");
    assert_eq!(body["error"], "insufficient_storage");
    assert!(accepted.len() > 5, "only {} sends fitted", accepted.len());
    // Downloads still fit while their audit entries do; once the store cannot record one, the download is
    // refused, so nothing leaves unlogged.
    let name = &files[0].0;
    let mut served = 0;
    let refused = loop {
        let url = format!("{base}/v1/messages/{}/files/{name}", accepted[served % accepted.len()]);
        let status = receiver.get(url).send().await.unwrap().status();
        if status != 200 || served == 20_000 {
            break status;
        }
        served += 1;
    };
    assert_eq!(refused, 507, "a download that cannot be audited is refused (after {served} served)");
    running.shutdown().await;

    // With room again (the operator raised the limit), everything accepted is there, byte for byte, and each
    // download is in the audit log.
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    let running = server::start(config).await.unwrap();
    let base = format!("https://127.0.0.1:{}", running.local_addr.port());
    for id in &accepted {
        let response = receiver.get(format!("{base}/v1/messages/{id}/files/{name}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{id} lost after the store filled");
        assert_eq!(response.bytes().await.unwrap().as_ref(), files[0].1.as_slice());
    }
    let inbox: serde_json::Value =
        receiver.get(format!("{base}/v1/inbox?limit=100")).send().await.unwrap().json().await.unwrap();
    let listed = inbox["messages"].as_array().unwrap().len();
    assert_eq!(listed, accepted.len().min(100), "nothing half-stored");
    running.shutdown().await;
    let downloads = SqliteStore::open(&sandbox.data).unwrap().audit_log(Some(HOME_HELP), None).wait().unwrap();
    let audited = downloads.iter().filter(|e| e.action == "download").count();
    assert_eq!(audited, served + accepted.len(), "every served download is audited, the refused one is not");
}

/// A store written before messages kept their 利用者 opens, keeps its messages and shows them without one.
#[test]
fn a_store_from_before_the_subject_columns_opens_and_keeps_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = rusqlite::Connection::open(dir.path().join("relay.sqlite3")).unwrap();
        old.execute_batch(
            "CREATE TABLE messages (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL,
                recipient TEXT NOT NULL, serial TEXT NOT NULL, unit TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL,
                downloaded_at TEXT, acknowledged_at TEXT, idempotency_key TEXT);
             INSERT INTO messages (id, sender, recipient, serial, status, created_at)
                VALUES ('m_old', '1370001002', '1370002058', '20200101000000', 'sent', '2020-01-01T00:00:00Z');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let message = store.message("m_old").wait().unwrap().expect("kept");
    assert_eq!(message.from, "1370001002");
    assert_eq!(message.subject, Default::default());
}

/// A store from before #34 kept file bytes in its `files` table: opened by this relay, the migration writes them
/// out beside the database (owner-only, named by id and position), drops them from the table (the pages that held
/// them zeroed), and every file downloads as it was stored; opening it again finds nothing left to move.
#[test]
fn a_store_with_file_bytes_in_the_database_moves_them_out_and_serves_them() {
    use refserver::store::sqlite::{files, MIGRATIONS};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("relay.sqlite3");
    let marker = "#34: bytes of a version-3 store, moved out by its migration".as_bytes().to_vec();
    {
        let old = rusqlite::Connection::open(&database).unwrap();
        old.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        for step in &MIGRATIONS[..3] {
            old.execute_batch(step).unwrap();
        }
        old.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO messages (id, sender, recipient, serial, status, created_at)
                VALUES ('m_v3', '1370001002', '1370002058', '20200101000000', 'sent', '2020-01-01T00:00:00Z');",
        )
        .unwrap();
        for (position, name, bytes) in [(0, "A.CSV", marker.clone()), (1, "B.JPG", vec![0xFF, 0xD8, 0xFF, 0])] {
            old.execute(
                "INSERT INTO files (message_id, position, name, kind, size, sha256, bytes)
                 VALUES ('m_v3', ?1, ?2, NULL, ?3, 'digest', ?4)",
                rusqlite::params![position, name, bytes.len() as i64, bytes],
            )
            .unwrap();
        }
        old.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    }
    let holds_marker = || std::fs::read(&database).unwrap().windows(marker.len()).any(|w| w == marker.as_slice());
    assert!(holds_marker(), "the old store holds the bytes in its database file");

    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.file("m_v3", "A.CSV").wait().unwrap(), Some(marker.clone()));
    assert_eq!(store.file("m_v3", "B.JPG").wait().unwrap(), Some(vec![0xFF, 0xD8, 0xFF, 0]));
    assert_eq!(store.message("m_v3").wait().unwrap().unwrap().files.len(), 2);
    let folder = dir.path().join(files::FOLDER);
    let moved = folder.join(files::disk_name("m_v3", 0).unwrap());
    assert_eq!(std::fs::read(&moved).unwrap(), marker);
    assert_eq!(std::fs::metadata(&moved).unwrap().permissions().mode() & 0o777, 0o600);
    store.compact().wait().unwrap();
    drop(store);
    assert!(!holds_marker(), "the bytes stay readable in the database file after the migration");
    let connection = rusqlite::Connection::open(&database).unwrap();
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    let columns: Vec<String> = connection
        .prepare("SELECT name FROM pragma_table_info('files')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!((version, columns.contains(&"bytes".to_string())), (MIGRATIONS.len() as i64, false), "{columns:?}");
    drop(connection);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(reopened.sweep().unwrap(), Default::default(), "every row has its file, no file is left over");
    assert_eq!(reopened.file("m_v3", "A.CSV").wait().unwrap(), Some(marker));
}

/// Commits only append to the WAL; a thread of the store's own copies them into the database file, so the WAL
/// does not grow without end (the writer itself never checkpoints). The commits carry 16 KiB audit entries: a
/// file's bytes go beside the database, not through it.
#[test]
fn committed_writes_reach_the_database_file_without_the_writer_checkpointing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let database = dir.path().join("relay.sqlite3");
    let before = std::fs::metadata(&database).unwrap().len();
    for n in 0..40 {
        let id = format!("m_{n:04}");
        let message = NewMessage {
            id: id.clone(),
            from: CARE_MANAGER.into(),
            to: HOME_HELP.into(),
            serial: "20250101000000".into(),
            unit: None,
            idempotency_key: None,
            request_digest: String::new(),
            created_at: "2025-01-01T00:00:00Z".into(),
            subject: Default::default(),
            files: vec![NewFile { name: "A.CSV".into(), kind: None, sha256: "00".into(), bytes: b"x".to_vec() }],
        };
        let audit = AuditEntry {
            at: "2025-01-01T00:00:00Z".into(),
            office: Some(CARE_MANAGER.into()),
            action: "send".into(),
            message_id: Some(id),
            detail: Some("x".repeat(16 * 1024)),
        };
        store.insert_message(message, audit).wait().unwrap();
    }
    // 40 × 16 KiB committed: the database file holds them once the checkpoint thread has run.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&database).unwrap().len() < before + 40 * 16 * 1024 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(std::fs::metadata(&database).unwrap().len() >= before + 40 * 16 * 1024, "no checkpoint reached the file");
    drop(store);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert!(reopened.message("m_0039").wait().unwrap().is_some());
}
