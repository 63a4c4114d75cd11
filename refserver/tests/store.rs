//! One suite for every `Store`: the embedded SQLite store and the PostgreSQL store (on a throw-away cluster under
//! `target/`) must keep the same promises — offices, messages with their bytes, idempotent sends, mailboxes in both
//! orders, the status machine with its audit entries, the exchange record's window, retention, and sends from many
//! threads at once numbered in commit order.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use refserver::model::{AuditEntry, Cursor, Inserted, Mailbox, NewFile, NewMessage, Office, Status, Subject};
use refserver::store::PgStore;
use refserver::store::{SqliteStore, Store, StoreLocation};

const A: &str = "1370001002";
const B: &str = "1370002058";
const C: &str = "1370003183";

fn audit(office: &str, action: &str, id: Option<&str>) -> AuditEntry {
    AuditEntry {
        at: "2025-05-01T00:00:00Z".into(),
        office: Some(office.into()),
        action: action.into(),
        message_id: id.map(String::from),
        detail: None,
    }
}

fn message(id: &str, from: &str, to: &str, created_at: &str, key: Option<&str>, digest: &str) -> NewMessage {
    NewMessage {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        serial: "20250425090000".into(),
        unit: Some("UP1KYO".into()),
        idempotency_key: key.map(String::from),
        request_digest: digest.into(),
        created_at: created_at.into(),
        subject: Subject { user_name: Some("加藤　和子".into()), insured_number: None, target_month: None },
        files: vec![
            NewFile {
                name: format!("{id}-1.CSV"),
                kind: Some("UP1KYO".into()),
                sha256: "aa".into(),
                bytes: b"1,2\r\n".to_vec(),
            },
            NewFile { name: format!("{id}-2.CSV"), kind: None, sha256: "bb".into(), bytes: vec![0x82, 0xA0, 0, 0xFF] },
        ],
    }
}

fn insert(store: &dyn Store, message: NewMessage) -> Inserted {
    let from = message.from.clone();
    store.insert_message(message, audit(&from, "send", None)).wait().unwrap()
}

fn offices(store: &dyn Store) {
    let office = |number: &str, name: &str| Office {
        number: number.into(),
        name: name.into(),
        kinds: vec!["43".into(), "46".into()],
        licence_until: "2099-12-31".into(),
    };
    store.put_office(&office(A, "ケアプランセンターさくら")).wait().unwrap();
    store.put_office(&office(B, "ヘルパーステーションひまわり")).wait().unwrap();
    store.put_office(&office(B, "ヘルパーステーションひまわり東")).wait().unwrap();
    assert_eq!(store.office(B).wait().unwrap().unwrap().name, "ヘルパーステーションひまわり東", "put replaces");
    assert_eq!(store.office(A).wait().unwrap().unwrap().kinds, vec!["43", "46"]);
    assert!(store.office(C).wait().unwrap().is_none());
    let numbers =
        |query| -> Vec<String> { store.offices(query, None).wait().unwrap().into_iter().map(|o| o.number).collect() };
    assert_eq!(numbers(None), vec![A, B]);
    assert_eq!(numbers(Some("137000100")), vec![A], "by number prefix");
    assert_eq!(numbers(Some("ひまわり")), vec![B], "by part of the name");
    assert!(store.remove_office(B, audit(B, "office_removed", None)).wait().unwrap());
    assert!(!store.remove_office(B, audit(B, "office_removed", None)).wait().unwrap());
    let removals = store.audit_log(Some(B), None).wait().unwrap();
    assert_eq!(removals.iter().filter(|e| e.action == "office_removed").count(), 1, "audited once, when removed");
}

fn messages_and_mailboxes(store: &dyn Store) {
    for (index, created) in ["2025-05-01T00:00:01Z", "2025-05-01T00:00:02Z", "2025-05-01T00:00:03Z"].iter().enumerate()
    {
        let inserted = insert(store, message(&format!("m_{index}"), A, B, created, None, "d"));
        let Inserted::New(stored) = inserted else { panic!("new") };
        assert_eq!((stored.status, stored.files.len()), (Status::Sent, 2));
        assert_eq!(stored.subject.user_name.as_deref(), Some("加藤　和子"));
    }
    let stored = store.message("m_1").wait().unwrap().unwrap();
    assert_eq!((stored.from.as_str(), stored.to.as_str(), stored.files[1].size), (A, B, 4));
    assert_eq!(store.file("m_1", "m_1-2.CSV").wait().unwrap().unwrap(), vec![0x82, 0xA0, 0, 0xFF], "bytes as sent");
    assert!(store.file("m_1", "nope").wait().unwrap().is_none());
    assert!(store.message("m_9").wait().unwrap().is_none());

    let ids = |page: &refserver::model::Page| page.messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    let newest = store.list(B, Mailbox::Inbox, None, Cursor::NewestFirst { before: None }, 2).wait().unwrap();
    assert_eq!(ids(&newest), vec!["m_2", "m_1"]);
    let rest = store.list(B, Mailbox::Inbox, None, Cursor::NewestFirst { before: newest.next }, 2).wait().unwrap();
    assert_eq!((ids(&rest), rest.next), (vec!["m_0".to_string()], None));
    let oldest = store.list(B, Mailbox::Inbox, None, Cursor::OldestFirst { after: None }, 2).wait().unwrap();
    assert_eq!(ids(&oldest), vec!["m_0", "m_1"]);
    let after = store.list(B, Mailbox::Inbox, None, Cursor::OldestFirst { after: oldest.next }, 2).wait().unwrap();
    assert_eq!(ids(&after), vec!["m_2"]);
    let outbox = store.list(A, Mailbox::Outbox, None, Cursor::NewestFirst { before: None }, 10).wait().unwrap();
    assert_eq!(outbox.messages.len(), 3);
    assert!(store
        .list(A, Mailbox::Inbox, None, Cursor::NewestFirst { before: None }, 10)
        .wait()
        .unwrap()
        .messages
        .is_empty());

    // sent → downloaded → acknowledged; an ack without a download leaves downloaded_at empty.
    store.mark_downloaded("m_0", "2025-05-02T00:00:00Z", audit(B, "download", Some("m_0"))).wait().unwrap();
    store.mark_downloaded("m_0", "2025-05-03T00:00:00Z", audit(B, "download", Some("m_0"))).wait().unwrap();
    let acked = store.acknowledge("m_0", "2025-05-04T00:00:00Z", audit(B, "ack", Some("m_0"))).wait().unwrap().unwrap();
    assert_eq!(acked.status, Status::Acknowledged);
    assert_eq!(acked.downloaded_at.as_deref(), Some("2025-05-02T00:00:00Z"), "the first download counts");
    let acked = store.acknowledge("m_1", "2025-05-04T00:00:00Z", audit(B, "ack", Some("m_1"))).wait().unwrap().unwrap();
    assert_eq!((acked.status, acked.downloaded_at), (Status::Acknowledged, None));
    store.mark_downloaded("m_1", "2025-05-05T00:00:00Z", audit(B, "download", Some("m_1"))).wait().unwrap();
    assert_eq!(store.message("m_1").wait().unwrap().unwrap().status, Status::Acknowledged, "a later download stays");
    let unread =
        store.list(B, Mailbox::Inbox, Some(Status::Sent), Cursor::NewestFirst { before: None }, 10).wait().unwrap();
    assert_eq!(ids(&unread), vec!["m_2"]);
    let counts = store.status_counts().wait().unwrap();
    assert_eq!(counts, vec![("acknowledged".to_string(), 2), ("sent".to_string(), 1)]);
    let actions: Vec<String> = store.audit_log(Some(B), None).wait().unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "download").count(), 3, "each download is on record: {actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "ack").count(), 2);

    let window = store.exchanged(B, "2025-05-01T00:00:02", "2025-05-01T00:00:03").wait().unwrap();
    assert_eq!(window.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), vec!["m_1"], "[start, end)");
    assert_eq!(window[0].files.len(), 2);
    assert!(store.exchanged(C, "2025", "2026").wait().unwrap().is_empty());
}

fn idempotent_sends(store: &dyn Store) {
    let first = insert(store, message("m_k1", A, C, "2025-06-01T00:00:00Z", Some("key-1"), "digest-1"));
    assert!(matches!(first, Inserted::New(_)));
    let again = insert(store, message("m_k2", A, C, "2025-06-01T00:00:01Z", Some("key-1"), "digest-1"));
    let Inserted::Replayed(replayed) = again else { panic!("a replay, not {again:?}") };
    assert_eq!(replayed.id, "m_k1");
    let other = insert(store, message("m_k3", A, C, "2025-06-01T00:00:02Z", Some("key-1"), "digest-2"));
    assert!(matches!(other, Inserted::KeyConflict(ref id) if id == "m_k1"), "{other:?}");
    assert!(store.message("m_k2").wait().unwrap().is_none() && store.message("m_k3").wait().unwrap().is_none());
    let same_key_other_sender = insert(store, message("m_k4", B, C, "2025-06-01T00:00:03Z", Some("key-1"), "x"));
    assert!(matches!(same_key_other_sender, Inserted::New(_)), "keys are per sender");
    let replays = store.audit_log(Some(A), None).wait().unwrap();
    assert_eq!(replays.iter().filter(|e| e.action == "replay").count(), 1);
}

fn retention(store: &dyn Store) {
    let purged = store.purge_before("2025-05-01T00:00:02Z").wait().unwrap();
    assert_eq!(purged, 1, "m_0 only");
    assert!(store.message("m_0").wait().unwrap().is_none());
    assert!(store.file("m_0", "m_0-1.CSV").wait().unwrap().is_none(), "its files go with it");
    assert!(store.message("m_1").wait().unwrap().is_some());
    store.compact().wait().unwrap();
}

/// Sends from many threads at once: every one stored once, and numbered in commit order — a client paging its
/// mailbox oldest first (`after=` its last sequence number) *while* the sends commit never asks again for what lies
/// before its cursor, so a message that committed after a higher-numbered one would be skipped for good. The reader
/// pages during the writes and must end with all 80, each once, strictly increasing. Run for an inbox (two senders
/// to one recipient) and an outbox (one sender to two recipients). Planted on PostgreSQL, each failing 3 runs of 3:
/// the send without its advisory lock, with a pause between drawing the number and committing; the send holding
/// its sender's lock only (the inbox case); its recipient's only (the outbox case); the locks not read by the insert.
fn concurrent_sends(store: &(dyn Store + Sync), mailbox: Mailbox) {
    use std::sync::atomic::{AtomicBool, Ordering};
    // A reads its inbox or its outbox; the ids of each case are apart from every other case's messages.
    let tag = if mailbox == Mailbox::Inbox { "i" } else { "o" };
    let writing = AtomicBool::new(true);
    let seen = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|thread| {
                scope.spawn(move || {
                    let other = [B, C][thread % 2];
                    let (from, to) = if mailbox == Mailbox::Inbox { (other, A) } else { (A, other) };
                    for n in 0..10 {
                        let id = format!("m_c{tag}{thread}_{n}");
                        assert!(matches!(
                            insert(store, message(&id, from, to, "2025-07-01T00:00:00Z", None, "d")),
                            Inserted::New(_)
                        ));
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let (mut seen, mut after, mut pages) = (Vec::new(), None, 0usize);
            loop {
                // Read before the page: a page asked for after the last commit ends the reading.
                let done = !writing.load(Ordering::SeqCst);
                let page = store.list(A, mailbox, None, Cursor::OldestFirst { after }, 7).wait().unwrap();
                pages += 1;
                seen.extend(
                    page.messages
                        .iter()
                        .filter(|m| m.id.starts_with(&format!("m_c{tag}")))
                        .map(|m| (m.seq, m.id.clone())),
                );
                after = page.next.or(page.messages.last().map(|m| m.seq)).or(after);
                if done && page.next.is_none() {
                    return (seen, pages);
                }
                std::thread::yield_now();
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        writing.store(false, Ordering::SeqCst);
        reader.join().unwrap()
    });
    let (seen, pages) = seen;
    let ids: std::collections::BTreeSet<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(
        (seen.len(), ids.len()),
        (80, 80),
        "paging the {mailbox:?} while sends commit sees every send once ({pages} pages): a late commit behind the \
         cursor is skipped"
    );
    assert!(seen.windows(2).all(|pair| pair[0].0 < pair[1].0), "strictly increasing: {seen:?}");
}

/// The tools list and copy every office; the directory's page limit is for the API only. (Copying a registry of
/// more than 200 offices into PostgreSQL once stopped at 200.)
fn a_registry_larger_than_a_page(store: &dyn Store) {
    let before = store.offices(None, None).wait().unwrap().len();
    for number in 0..250 {
        let office = Office {
            number: format!("27{number:08}"),
            name: format!("事業所{number}"),
            kinds: vec!["11".into()],
            licence_until: "2099-12-31".into(),
        };
        store.put_office(&office).wait().unwrap();
    }
    assert_eq!(store.offices(None, None).wait().unwrap().len(), before + 250);
    assert_eq!(store.offices(Some("27"), Some(200)).wait().unwrap().len(), 200);
    for number in 0..250 {
        store.remove_office(&format!("27{number:08}"), audit("2700000000", "office_removed", None)).wait().unwrap();
    }
}

fn every_case(store: &(dyn Store + Sync)) {
    offices(store);
    a_registry_larger_than_a_page(store);
    messages_and_mailboxes(store);
    idempotent_sends(store);
    retention(store);
    concurrent_sends(store, Mailbox::Inbox);
    concurrent_sends(store, Mailbox::Outbox);
}

#[test]
fn the_sqlite_store_keeps_every_promise() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    every_case(&store);
    assert!(store.claim_purge(std::time::Duration::from_secs(3600)).wait().unwrap(), "one process: always its own");
}

#[test]
fn the_postgresql_store_keeps_every_promise() {
    let Some(cluster) = common::postgres() else { return };
    let store = PgStore::open(&cluster.database("store_suite").unwrap()).unwrap();
    every_case(&store);
    // A second node opening the same database finds the schema in place and sees the same messages.
    let url = cluster.database_url("store_suite");
    let second = PgStore::open(&url).unwrap();
    assert!(second.message("m_1").wait().unwrap().is_some());
    // One node purges per interval: the first claim wins, the other node's within the interval does not.
    let interval = std::time::Duration::from_secs(3600);
    assert!(store.claim_purge(interval).wait().unwrap());
    assert!(!second.claim_purge(interval).wait().unwrap());
    assert!(!store.claim_purge(interval).wait().unwrap());
    assert!(second.claim_purge(std::time::Duration::ZERO).wait().unwrap(), "past the interval it is claimable again");
    // A database a newer relay has migrated is refused, not written with an old idea of its tables.
    cluster.execute(&url, "INSERT INTO schema_version (version) VALUES (99)").unwrap();
    let refused = PgStore::open(&url).err().map(|error| error.to_string()).unwrap_or_default();
    assert!(refused.contains("version 99, newer than this relay knows (4)"), "{refused}");
}

/// The same promises over verify-full TLS (#37), as a node on another machine than the database keeps them.
#[test]
fn the_postgresql_store_keeps_every_promise_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ours = common::pki(dir.path(), "db-pki");
    let Some(cluster) = common::tls_cluster(&ours, None) else { return };
    let url = common::verify_full(&cluster.database("store_suite_tls").unwrap(), &ours);
    every_case(&PgStore::open(&url).unwrap());
}

/// A relay of the one-lock kind (before schema version 4) still running beside a new one: its send holds the old
/// lock for all sends, exclusively, until it commits, and a new send waits for it (the new ones take it shared),
/// so the two kinds never number sends out of commit order (planted: the send without the shared lock goes ahead
/// and this fails).
#[test]
fn a_send_waits_for_a_send_of_an_older_relay_still_running() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("one_lock").unwrap();
    let store = PgStore::open(&url).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (older, connection) = runtime.block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls)).unwrap();
    runtime.spawn(connection);
    let lock = format!("BEGIN; SELECT pg_advisory_xact_lock({})", refserver::store::postgres::ONE_LOCK);
    runtime.block_on(older.batch_execute(&lock)).unwrap();
    let sending =
        std::thread::spawn(move || insert(&store, message("m_after_old", C, A, "2025-08-01T00:00:00Z", None, "d")));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!sending.is_finished(), "a send went ahead while an older relay's send held the one lock");
    runtime.block_on(older.batch_execute("COMMIT")).unwrap();
    assert!(matches!(sending.join().unwrap(), Inserted::New(_)));
}

/// The relay itself on PostgreSQL: a send, the recipient's download and acknowledgement, the exchange record —
/// through the same API, over mutual TLS.
#[tokio::test]
async fn a_relay_on_postgresql_carries_a_whole_exchange() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("relay_exchange").unwrap();
    let relay = common::Relay::start_with(|config| {
        common::on_postgresql(config, &url);
    })
    .await;
    let files = common::plan_unit();
    let (status, sent) = relay.send(A, B, &files, Some("pg-1")).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let (status, again) = relay.send(A, B, &files, Some("pg-1")).await;
    assert_eq!((status, again["id"].as_str()), (reqwest::StatusCode::CREATED, Some(id)), "a retry is a replay");
    let download = relay.url(&format!("/v1/messages/{id}/files/{}", files[0].0));
    let bytes = relay.client(B).get(download).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), files[0].1.as_slice());
    let ack = relay.client(B).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(ack.status(), reqwest::StatusCode::OK);
    let (_, outbox) = relay.get(A, "/v1/outbox").await;
    assert_eq!(outbox["messages"][0]["status"], "acknowledged");
    let store = PgStore::open(&cluster.database_url("relay_exchange")).unwrap();
    let actions: Vec<String> = store.audit_log(Some(B), None).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"download".to_string()) && actions.contains(&"ack".to_string()), "{actions:?}");
    relay.stop().await;
}

/// Two relay nodes on one database: a send on node A is downloaded and acknowledged on node B and shows as
/// acknowledged on A; an inbox long poll parked on B is woken by the send on A (PostgreSQL NOTIFY): B never looks
/// again by itself within the poll's wait, and A takes the send only once B counts the poll as parked, so only the
/// notification can answer it before its deadline (planted: the send without `pg_notify` — the poll ends at its
/// 20 s deadline and this fails; likewise B's LISTEN made 2 s slow with B's start not waiting for it, the race a
/// loaded machine once showed); a retry of the send on B under the same key is a replay.
#[tokio::test]
async fn two_relay_nodes_on_one_database_serve_any_office_on_either() {
    const WAIT: std::time::Duration = std::time::Duration::from_secs(20);
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("two_nodes").unwrap();
    let register = |config: &mut refserver::server::ServerConfig| {
        common::on_postgresql(config, &url);
    };
    let mut second_config = None;
    let a = common::Relay::start_with(|config| {
        register(config);
        second_config = Some(config.clone());
    })
    .await;
    let mut second_config = second_config.unwrap();
    second_config.api.look_again = std::time::Duration::from_secs(3600);
    let b = refserver::server::start(second_config).await.unwrap();
    let on_b = |path: &str| format!("https://127.0.0.1:{}{path}", b.local_addr.port());

    // B's recipient waits; once B has it parked, A takes the send.
    let waiting = {
        let request = a.client(B).get(on_b(&format!("/v1/inbox?status=sent&wait={}", WAIT.as_secs())));
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let page: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            (started.elapsed(), page)
        })
    };
    common::wait_until_parked(&a.client(A), &on_b("/metrics"), 1).await;
    assert!(!waiting.is_finished(), "the poll on B is still waiting when A takes the send");
    let files = common::plan_unit();
    let (status, sent) = a.send(A, B, &files, Some("two-nodes-1")).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap().to_string();
    let (waited, page) = common::within_ceiling(waiting).await;
    assert_eq!(page["messages"][0]["id"].as_str(), Some(id.as_str()), "{page}");
    assert!(waited < WAIT, "woken by the other node's send, not ended by its {WAIT:?} deadline: {waited:?}");

    // The same send retried on B is the same message.
    let form = suites::relay::send_form(B, &files);
    let retry = a.client(A).post(on_b("/v1/messages")).multipart(form).header("Idempotency-Key", "two-nodes-1");
    let retried: serde_json::Value = retry.send().await.unwrap().json().await.unwrap();
    assert_eq!(retried["id"].as_str(), Some(id.as_str()));

    // Download and acknowledge on B; A sees it.
    let download = a.client(B).get(on_b(&format!("/v1/messages/{id}/files/{}", files[0].0))).send().await.unwrap();
    assert_eq!(download.bytes().await.unwrap().as_ref(), files[0].1.as_slice());
    let ack = a.client(B).post(on_b(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(ack.status(), reqwest::StatusCode::OK);
    let (_, message) = a.get(A, &format!("/v1/messages/{id}")).await;
    assert_eq!(message["status"], "acknowledged");
    b.shutdown().await;
    a.stop().await;
}

/// The embedded store's file bytes (#34): each written once, into a file of its own beside the database, named
/// after the message's id and the file's position (never the sender's name for it), owner-only; neither the
/// database nor its write-ahead log holds them. A replay or a conflict under a used key leaves no file behind, and
/// a purge removes the files of the messages it deletes.
#[test]
fn the_sqlite_store_writes_file_bytes_once_beside_the_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let marker = b"#34 file bytes written once: this line is only in the file".to_vec();
    let mut sent = message("m_once", A, B, "2025-05-01T00:00:00Z", Some("once"), "d");
    sent.files[0].bytes.clone_from(&marker);
    assert!(matches!(insert(&store, sent), Inserted::New(_)));
    let folder = dir.path().join(refserver::store::sqlite::files::FOLDER);
    let on_disk = || {
        let mut names: Vec<String> =
            std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    };
    assert_eq!(on_disk(), vec!["m_once.0", "m_once.1"], "named by id and position, not by m_once-1.CSV");
    assert_eq!(std::fs::read(folder.join("m_once.0")).unwrap(), marker);
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&folder), mode(&folder.join("m_once.0"))), (0o700, 0o600));
    assert_eq!(store.file("m_once", "m_once-1.CSV").wait().unwrap(), Some(marker.clone()));
    for database in ["relay.sqlite3", "relay.sqlite3-wal"] {
        let bytes = std::fs::read(dir.path().join(database)).unwrap_or_default();
        assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_slice()), "{database} holds the file's bytes");
    }

    let replay = insert(&store, message("m_replay", A, B, "2025-05-01T00:00:01Z", Some("once"), "d"));
    assert!(matches!(replay, Inserted::Replayed(_)), "{replay:?}");
    let conflict = insert(&store, message("m_conflict", A, B, "2025-05-01T00:00:02Z", Some("once"), "other"));
    assert!(matches!(conflict, Inserted::KeyConflict(_)), "{conflict:?}");
    assert_eq!(on_disk(), vec!["m_once.0", "m_once.1"], "a replay's or a conflict's files are removed");

    assert_eq!(store.purge_before("2999-01-01T00:00:00Z").wait().unwrap(), 1);
    assert!(on_disk().is_empty(), "the purge removes the files: {:?}", on_disk());
}

/// The relay's start-up sweep (#34): a file no row names (a send killed before its commit, a stray file) is
/// removed; a row whose file is missing or torn is reported, and its download fails instead of serving less.
/// A tool opening the store sweeps nothing: a relay on it may be between a send's files and its commit.
#[test]
fn the_relays_start_up_removes_orphans_and_reports_missing_and_torn_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    for id in ["m_kept", "m_missing", "m_torn"] {
        insert(&store, message(id, A, B, "2025-05-01T00:00:00Z", None, "d"));
    }
    drop(store);
    let folder = dir.path().join(refserver::store::sqlite::files::FOLDER);
    std::fs::write(folder.join("m_orphan.0"), b"a send that never committed").unwrap();
    std::fs::write(folder.join("stray"), b"not the store's").unwrap();
    std::fs::remove_file(folder.join("m_missing.1")).unwrap();
    std::fs::write(folder.join("m_torn.0"), b"1,").unwrap();

    let tool = StoreLocation::embedded(dir.path()).open(refserver::store::Opener::Tool).unwrap();
    assert!(folder.join("m_orphan.0").exists(), "a tool does not sweep");
    drop(tool);
    let store = SqliteStore::open(dir.path()).unwrap();
    let swept = store.sweep().unwrap();
    assert_eq!(swept.orphans, 2, "{swept:?}");
    assert_eq!(swept.missing, vec!["m_missing.1 m_missing-2.CSV"]);
    assert_eq!(swept.damaged, vec!["m_torn.0 m_torn-1.CSV"]);
    assert!(!folder.join("m_orphan.0").exists() && !folder.join("stray").exists());
    assert_eq!(store.file("m_kept", "m_kept-2.CSV").wait().unwrap(), Some(vec![0x82, 0xA0, 0, 0xFF]));
    let missing = store.file("m_missing", "m_missing-2.CSV").wait().unwrap_err().to_string();
    assert!(missing.contains("m_missing.1"), "{missing}");
    let torn = store.file("m_torn", "m_torn-1.CSV").wait().unwrap_err().to_string();
    assert!(torn.contains("2 bytes on disk, 5 stored"), "{torn}");
    let again = store.sweep().unwrap();
    assert_eq!((again.orphans, again.missing, again.damaged), (0, swept.missing, swept.damaged), "reported again");
}

/// The size limit (`--max-store-mb`) holds database and files together (#34): sends are refused as full before
/// their files pass it, a refused send leaves no file, and a purge makes room again.
#[test]
fn the_sqlite_store_limit_counts_the_files() {
    const LIMIT: u64 = 512 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_limited(dir.path(), Some(LIMIT)).unwrap();
    let folder = dir.path().join(refserver::store::sqlite::files::FOLDER);
    let big = |n: usize| {
        let mut sent = message(&format!("m_big{n}"), A, B, "2025-05-01T00:00:00Z", None, "d");
        sent.files[0].bytes = vec![b'x'; 40 * 1024];
        sent
    };
    let mut stored = 0;
    let full = loop {
        match store.insert_message(big(stored), audit(A, "send", None)).wait() {
            Ok(_) => stored += 1,
            Err(error) => break error,
        }
        assert!(stored < 100, "never full");
    };
    assert!(matches!(full, refserver::store::StoreError::Full), "{full}");
    assert!(stored >= 5, "only {stored} sends fitted");
    let files: u64 = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    let database = std::fs::metadata(dir.path().join("relay.sqlite3")).unwrap().len();
    assert!(files + database <= LIMIT, "{files} bytes of files and a {database}-byte database over {LIMIT}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2 * stored, "the refused send left no file");
    store.purge_before("2999-01-01T00:00:00Z").wait().unwrap();
    assert!(store.insert_message(big(stored), audit(A, "send", None)).wait().is_ok(), "the purge made room");
}

/// The relay's round trips to PostgreSQL per request (`careplan_store_round_trips_total` before and after each,
/// less what reading `/metrics` costs itself), with the cache warm: every request kind of an exchange is held to
/// its count, so a store call added on the way fails here.
#[tokio::test]
async fn each_request_on_postgresql_takes_its_round_trips_and_no_more() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("round_trips").unwrap();
    let relay = common::Relay::start_with(|config| {
        common::on_postgresql(config, &url);
    })
    .await;
    let metrics = relay.url("/metrics");
    let trips = || async {
        let text = relay.client(A).get(&metrics).send().await.unwrap().text().await.unwrap();
        let line = text.lines().find_map(|l| l.strip_prefix("careplan_store_round_trips_total ")).unwrap();
        line.parse::<u64>().unwrap()
    };
    let files = common::plan_unit();
    let mut counted = std::collections::BTreeMap::new();
    // The first rounds warm the cache and each connection's statements; the last is counted.
    for round in 0..12 {
        let first = trips().await;
        let own = trips().await - first;
        let mut count = |name: &'static str, before: u64, after: u64| {
            if round == 11 {
                counted.insert(name, after - before - own);
            }
        };
        let before = trips().await;
        let (status, sent) = relay.send(A, B, &files, None).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{sent}");
        count("send", before, trips().await);
        let id = sent["id"].as_str().unwrap().to_string();
        let before = trips().await;
        let (_, inbox) = relay.get(B, "/v1/inbox?status=sent&order=asc&limit=20").await;
        count("inbox", before, trips().await);
        assert_eq!(inbox["messages"][0]["id"].as_str(), Some(id.as_str()), "{inbox}");
        let before = trips().await;
        let (status, _) = relay.get(B, &format!("/v1/messages/{id}")).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        count("message", before, trips().await);
        let before = trips().await;
        let download = relay.url(&format!("/v1/messages/{id}/files/{}", files[0].0));
        let bytes = relay.client(B).get(download).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(bytes.as_ref(), files[0].1.as_slice());
        count("download", before, trips().await);
        let before = trips().await;
        let ack = relay.client(B).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
        assert_eq!(ack.status(), reqwest::StatusCode::OK);
        count("ack", before, trips().await);
    }
    eprintln!("round trips per request: {counted:?} ({} files a send)", files.len());
    // Before #34.2 (the same unit): send 15, inbox 3, message 3, download 8, ack 9.
    let expected = [("ack", 2), ("download", 3), ("inbox", 1), ("message", 1), ("send", 1)];
    assert_eq!(counted, expected.into_iter().collect(), "round trips per request");
    relay.stop().await;
}

fn registered(number: &str) -> Office {
    Office {
        number: number.into(),
        name: "テスト".into(),
        kinds: vec!["43".into()],
        licence_until: "2099-12-31".into(),
    }
}

/// Waits (up to the ceiling) until `store`'s office cache is `live` and has dropped more than `dropped` entries.
fn wait_for_cache(store: &PgStore, live: bool, dropped: Option<u64>) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        let seen = store.office_cache();
        if seen.live == live && dropped.is_none_or(|dropped| seen.invalidations > dropped) {
            return started.elapsed();
        }
        assert!(started.elapsed() < common::CEILING, "office cache never reached live={live}: {seen:?}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The office cache of a relay node (#34.2): a lookup it answered once costs no round trip after, and a change of
/// the registry through another connection — another node, the `office` commands — reaches it through the
/// registry's trigger: the node's next lookup after the notification finds the office gone (planted: a cache that
/// ignores notifications serves the removed office here).
#[test]
fn an_office_removed_elsewhere_is_not_served_from_the_cache() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("office_cache").unwrap();
    let node = PgStore::open(&url).unwrap().with_office_cache();
    let registry = PgStore::open(&url).unwrap();
    wait_for_cache(&node, true, None);
    let dropped = node.office_cache().invalidations;
    registry.put_office(&registered(C)).wait().unwrap();
    // The registration's own notification heard first: arriving after the first lookup it would drop C again.
    wait_for_cache(&node, true, Some(dropped));
    let before = node.round_trips().unwrap();
    assert!(node.office(C).wait().unwrap().is_some());
    assert!(node.office(C).wait().unwrap().is_some());
    assert_eq!(node.round_trips().unwrap() - before, 1, "the second lookup is answered from memory");
    let dropped = node.office_cache().invalidations;
    assert!(registry.remove_office(C, audit(C, "office_removed", None)).wait().unwrap());
    let heard = wait_for_cache(&node, true, Some(dropped));
    eprintln!("the notification reached the node {heard:?} after the removal's commit returned");
    assert!(node.office(C).wait().unwrap().is_none(), "a removed office is served from the cache");
    // A changed office (its licence) is read afresh too.
    let dropped = node.office_cache().invalidations;
    registry.put_office(&registered(C)).wait().unwrap();
    wait_for_cache(&node, true, Some(dropped));
    assert!(node.office(C).wait().unwrap().is_some());
    let dropped = node.office_cache().invalidations;
    registry.put_office(&Office { licence_until: "2020-03-31".into(), ..registered(C) }).wait().unwrap();
    wait_for_cache(&node, true, Some(dropped));
    assert_eq!(node.office(C).wait().unwrap().unwrap().licence_until, "2020-03-31");
}

/// Without its listening connection the cache is not used: that connection killed, the node reads every lookup
/// from the database until it listens again, and then starts empty — an office removed meanwhile (its
/// notification lost) is not served (planted: a cache kept on while its connection is down serves it).
#[test]
fn a_cache_that_cannot_hear_the_registry_is_not_used() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("office_cache_lost").unwrap();
    let node = PgStore::open(&url).unwrap().with_office_cache();
    let registry = PgStore::open(&url).unwrap();
    wait_for_cache(&node, true, None);
    registry.put_office(&registered(C)).wait().unwrap();
    assert!(node.office(C).wait().unwrap().is_some());
    let terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN careplan_offices'";
    cluster.execute(&url, terminate).unwrap();
    let dropped = node.office_cache().invalidations;
    let started = std::time::Instant::now();
    while node.office_cache().live {
        assert!(started.elapsed() < common::CEILING, "the lost connection is never noticed");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(registry.remove_office(C, audit(C, "office_removed", None)).wait().unwrap());
    assert_eq!(node.office_cache().invalidations, dropped, "nobody heard the removal");
    assert!(node.office(C).wait().unwrap().is_none(), "served from a cache that hears nothing");
    // Listening again (a second later), the cache starts empty: what changed meanwhile was never heard.
    let started = std::time::Instant::now();
    while !node.office_cache().live {
        assert!(started.elapsed() < common::CEILING, "the node never listens again");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(node.office(C).wait().unwrap().is_none());
    registry.put_office(&registered(C)).wait().unwrap();
    assert!(node.office(C).wait().unwrap().is_some());
}
