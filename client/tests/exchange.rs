//! Clients and a relay on loopback: the valid corpus goes folder to folder byte for byte; a refused unit stays
//! home with its report; a restart after a crash between send and bookkeeping sends nothing twice. Each planted
//! fault of the client (`faults` feature) is shown failing the check written for it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::collections::BTreeMap;

use common::*;

/// Every file of the valid corpus, by name (names are unique across its folders).
fn corpus() -> BTreeMap<String, Vec<u8>> {
    let valid = fixtures().join("valid");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&valid).unwrap() {
        files.extend(folder_files(&entry.unwrap().path()));
    }
    files
}

/// Puts `files` into each sender's outbox (a client per office of their names, each acknowledging what it writes)
/// and waits until every file is in its recipient's inbox folder or the ceiling passes; returns what arrived, by
/// name, and each client's configuration.
async fn exchange(files: &BTreeMap<String, Vec<u8>>, faults: &str, wait_for_all: bool) -> BTreeMap<String, Vec<u8>> {
    let offices = Net::offices_of(files.keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let configs: BTreeMap<String, client::config::Config> =
        offices.keys().map(|office| (office.clone(), net.config(office))).collect();
    let clients: Vec<Running> = configs.values().map(|config| Running::start(config, quick(faults, true))).collect();
    for (name, bytes) in files {
        let sender = conformance::filename::parse(name).unwrap().sender.office;
        std::fs::write(configs[&sender].outbox.join(name), bytes).unwrap();
    }
    let arrived = || {
        let mut arrived = BTreeMap::new();
        for name in files.keys() {
            let recipient = conformance::filename::parse(name).unwrap().recipient.office;
            if let Ok(bytes) = std::fs::read(configs[&recipient].inbox.join(name)) {
                arrived.insert(name.clone(), bytes);
            }
        }
        arrived
    };
    if wait_for_all {
        until("every file in its recipient's inbox", async || arrived().len() == files.len()).await;
    } else {
        // Until every message is acknowledged at the relay: then the client is done with it, written or not.
        until("every message acknowledged", async || {
            let mut acknowledged = 0;
            for office in offices.keys() {
                acknowledged += net
                    .mailbox(office, "inbox")
                    .await
                    .iter()
                    .filter(|m| m.status == protocol::Status::Acknowledged)
                    .count();
            }
            let units: std::collections::BTreeSet<(String, String)> = files
                .keys()
                .map(|name| {
                    let parsed = conformance::filename::parse(name).unwrap();
                    (parsed.serial, parsed.recipient.office)
                })
                .collect();
            acknowledged == units.len()
        })
        .await;
    }
    let result = arrived();
    for config in configs.values() {
        assert!(names(&config.outbox).is_empty(), "the outbox is empty: {:?}", names(&config.outbox));
        assert!(names(&config.refused).is_empty(), "nothing refused: {:?}", names(&config.refused));
    }
    for running in clients {
        running.stop().await;
    }
    net.stop().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_valid_corpus_goes_folder_to_folder_byte_for_byte() {
    let files = corpus();
    assert!(files.len() >= 40, "the corpus is there: {} files", files.len());
    let arrived = exchange(&files, "", true).await;
    assert_eq!(arrived.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>());
    for (name, bytes) in &files {
        assert!(arrived[name] == *bytes, "{name} arrived changed");
    }
}

/// Planted: a client that records a received file as written without putting it in the inbox folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_loses_a_received_file_is_caught() {
    let files = folder_files(&fixtures().join("valid/withdrawals"));
    let arrived = exchange(&files, "lose_received", false).await;
    assert!(arrived.is_empty(), "the faulted client put files in the inbox: {:?}", arrived.keys());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_that_does_not_conform_is_refused_with_its_report_and_nothing_reaches_the_relay() {
    let files = folder_files(&fixtures().join("invalid/FLD008-hour-25"));
    let offices = Net::offices_of(files.keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let sender = conformance::filename::parse(files.keys().next().unwrap()).unwrap().sender.office;
    let config = net.config(&sender);
    let running = Running::start(&config, quick("", true));
    for (name, bytes) in &files {
        std::fs::write(config.outbox.join(name), bytes).unwrap();
    }
    until("the unit moved to refused/", async || names(&config.outbox).is_empty()).await;
    let units = names(&config.refused);
    assert_eq!(units.len(), 1, "one refused unit: {units:?}");
    let folder = config.refused.join(&units[0]);
    let mut expected: Vec<String> = files.keys().cloned().chain(["report.txt".to_string()]).collect();
    expected.sort();
    assert_eq!(names(&folder), expected, "its files and its report");
    let report = std::fs::read_to_string(folder.join("report.txt")).unwrap();
    assert!(report.contains("FLD008"), "{report}");
    assert!(report.contains("エラー") && report.contains("error"), "Japanese and English: {report}");
    assert!(net.mailbox(&sender, "outbox").await.is_empty(), "nothing reached the relay");
    let overview = client::status::overview(&config, 10).unwrap();
    assert_eq!(overview.refused.len(), 1, "{}", overview.render());
    running.stop().await;
    net.stop().await;
}

/// Sends one unit, then plays a crash between the send and its bookkeeping (the state as before the send, the
/// files back in the outbox) and runs the client again: returns how many messages the recipient got.
async fn resend_after_crash(faults: &str) -> usize {
    let files = folder_files(&fixtures().join("valid/withdrawals"));
    let first = files.keys().next().unwrap().clone();
    let one: BTreeMap<String, Vec<u8>> = files.into_iter().filter(|(name, _)| *name == first).collect();
    let offices = Net::offices_of(one.keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let parsed = conformance::filename::parse(&first).unwrap();
    let config = net.config(&parsed.sender.office);
    let before = state_before(&config);
    for (name, bytes) in &one {
        std::fs::write(config.outbox.join(name), bytes).unwrap();
    }
    for _ in 0..2 {
        let running = Running::start(&config, quick(faults, true));
        until("the unit sent", async || names(&config.outbox).is_empty() && !names(&config.sent).is_empty()).await;
        running.stop().await;
        forget_the_send(&config, &before);
    }
    let received = net.mailbox(&parsed.recipient.office, "inbox").await.len();
    net.stop().await;
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_crash_between_send_and_bookkeeping_sends_nothing_twice() {
    assert_eq!(resend_after_crash("").await, 1, "the relay recognised the resend by its key");
}

/// Planted: a new Idempotency-Key per attempt turns the same resend into a second message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_changes_its_key_is_caught() {
    assert_eq!(resend_after_crash("fresh_key").await, 2);
}

/// Sends one unit to a recipient whose inbox folder still holds an untaken file of the same name (the care software
/// has not imported the last one): the client cannot write it, so it must not acknowledge. Returns the message's
/// status at the relay once the recipient's client has had several rounds.
async fn status_while_unwritable(faults: &str) -> protocol::Status {
    let files = folder_files(&fixtures().join("valid/withdrawals"));
    let first = files.keys().next().unwrap().clone();
    let parsed = conformance::filename::parse(&first).unwrap();
    let offices = Net::offices_of([first.as_str()]);
    let net = Net::start(&offices, None).await;
    let (sender, recipient) = (net.config(&parsed.sender.office), net.config(&parsed.recipient.office));
    std::fs::write(recipient.inbox.join(&first), b"the previous one, not yet imported").unwrap();
    let clients = [Running::start(&sender, quick("", true)), Running::start(&recipient, quick(faults, true))];
    std::fs::write(sender.outbox.join(&first), &files[&first]).unwrap();
    until("the unit sent", async || !net.mailbox(&parsed.recipient.office, "inbox").await.is_empty()).await;
    // Several inbox rounds of the recipient's client (100 ms apart).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let status = net.mailbox(&parsed.recipient.office, "inbox").await[0].status;
    assert_eq!(
        std::fs::read(recipient.inbox.join(&first)).unwrap(),
        b"the previous one, not yet imported",
        "the untaken file was not overwritten"
    );
    for running in clients {
        running.stop().await;
    }
    net.stop().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_acknowledged_that_could_not_be_written() {
    assert_eq!(status_while_unwritable("").await, protocol::Status::Sent);
}

/// Planted: a client that acknowledges before writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_acknowledges_before_writing_is_caught() {
    assert_eq!(status_while_unwritable("ack_before_write").await, protocol::Status::Acknowledged);
}

/// The local page lists a refused unit, answers only on loopback, and refuses a request for another host name (a
/// page of another site that resolves its own name to 127.0.0.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_page_lists_the_folders_on_loopback_only() {
    let files = folder_files(&fixtures().join("invalid/FLD008-hour-25"));
    let offices = Net::offices_of(files.keys().map(String::as_str));
    let net = Net::start(&offices, None).await;
    let sender = conformance::filename::parse(files.keys().next().unwrap()).unwrap().sender.office;
    let config = net.config(&sender);
    assert!(client::page::bind("0.0.0.0:0".parse().unwrap()).await.is_err(), "not on every interface");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let page = format!("http://127.0.0.1:{port}/");
    let options = client::run::RunOptions { page: Some(([127, 0, 0, 1], port).into()), ..quick("", true) };
    let running = Running::start(&config, options);
    for (name, bytes) in &files {
        std::fs::write(config.outbox.join(name), bytes).unwrap();
    }
    until("the unit moved to refused/", async || names(&config.outbox).is_empty()).await;
    let unit = names(&config.refused).remove(0);
    let browser = reqwest::Client::new();
    let mut body = String::new();
    until("the page answers", async || {
        body = match browser.get(&page).send().await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        !body.is_empty()
    })
    .await;
    assert!(body.contains("送信不可 / refused（1）") && body.contains(&unit), "{body}");
    let rebound = browser.get(&page).header("host", "evil.example").send().await.unwrap();
    assert_eq!(rebound.status(), 403);
    running.stop().await;
    net.stop().await;
}
