//! When the relay cannot take a unit or give a file, the client waits and says why instead of hammering it, refusing
//! a good unit, or asking forever: an unreachable relay is asked less and less often, a lapsed licence keeps the
//! unit in the outbox (sent once renewed, never moved to refused/), and a file the relay answers 404 for is given up
//! after a few tries and listed as not received.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// The first 削除 unit of the corpus (one file, care manager → home help): its name, bytes, parsed name and offices.
fn one_unit() -> (String, Vec<u8>, conformance::filename::FileName, BTreeMap<String, Vec<String>>) {
    let (name, bytes) = folder_files(&fixtures().join("valid/withdrawals")).into_iter().next().unwrap();
    let parsed = conformance::filename::parse(&name).unwrap();
    let offices = Net::offices_of([name.as_str()]);
    (name, bytes, parsed, offices)
}

/// A listener on 127.0.0.1 that takes every connection and closes it at once (a relay that is down behind a
/// balancer), counting them.
async fn dead_relay() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, connections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_relay_is_asked_less_and_less_often() {
    let (name, bytes, parsed, offices) = one_unit();
    let net = Net::start(&offices, None).await;
    let sender = parsed.sender.office;
    let (url, connections) = dead_relay().await;
    let config = client::config::Config { relay: url, ..net.config(&sender) };
    std::fs::write(config.outbox.join(&name), &bytes).unwrap();
    // Both loops at a tenth of a second: without backing off, some 80 connections in these 4 seconds.
    let running = Running::start(&config, quick("", true));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let made = connections.load(Ordering::SeqCst);
    eprintln!("{made} connections in 4 s to a relay that is down");
    let overview = client::status::overview(&config, 10).unwrap();
    running.stop().await;
    assert!((2..=20).contains(&made), "{made} connections in 4 s to a relay that is down");
    assert_eq!(overview.waiting.len(), 1, "{}", overview.render());
    assert!(overview.render().contains("cannot reach the relay"), "the clerk sees why: {}", overview.render());
    assert!(names(&config.refused).is_empty(), "nothing refused");
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_licence_keeps_the_unit_waiting_and_it_is_sent_once_renewed() {
    let (name, bytes, parsed, offices) = one_unit();
    let net = Net::start(&offices, None).await;
    net.set_licence(&parsed.sender.office, "2001-03-31");
    let config = net.config(&parsed.sender.office);
    let running = Running::start(&config, quick("", true));
    std::fs::write(config.outbox.join(&name), &bytes).unwrap();
    let mut shown = String::new();
    until("the lapsed licence shown as the reason", async || {
        shown = client::status::overview(&config, 10).unwrap().render();
        shown.contains("licence has lapsed")
    })
    .await;
    assert!(shown.contains("利用期限が切れています"), "Japanese first: {shown}");
    assert!(names(&config.refused).is_empty(), "a good unit is not refused for the office's licence");
    assert_eq!(names(&config.outbox), vec![name.clone()]);
    net.set_licence(&parsed.sender.office, "2099-12-31");
    until("the unit sent once the licence is renewed", async || names(&config.outbox).is_empty()).await;
    assert_eq!(names(&config.refused), Vec::<String>::new());
    assert_eq!(net.mailbox(&parsed.recipient.office, "inbox").await.len(), 1);
    let overview = client::status::overview(&config, 10).unwrap();
    assert!(overview.reasons.is_empty() && overview.sent.len() == 1, "{}", overview.render());
    running.stop().await;
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_relay_has_lost_is_given_up_after_a_few_tries() {
    let (name, bytes, parsed, offices) = one_unit();
    let recording = tempfile::tempdir().unwrap();
    let record = recording.path().join("recording.jsonl");
    let faults = refserver::faults::Faults { lose_files: true, ..Default::default() };
    let net = Net::start_with(&offices, Some(record.clone()), faults).await;
    let (sender, recipient) = (net.config(&parsed.sender.office), net.config(&parsed.recipient.office));
    let clients = [Running::start(&sender, quick("", true)), Running::start(&recipient, quick("", true))];
    std::fs::write(sender.outbox.join(&name), &bytes).unwrap();
    let given_up = async || client::status::overview(&recipient, 10).unwrap().missing.len() == 1;
    until("the message given up", given_up).await;
    // Many more inbox rounds (a tenth of a second apart): no further download.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let downloads = || {
        std::fs::read_to_string(&record)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<protocol::RecordedRequest>(line).unwrap())
            .filter(|r| r.method == "GET" && r.path.contains("/files/"))
            .count()
    };
    let overview = client::status::overview(&recipient, 10).unwrap();
    assert_eq!(downloads(), client::incoming::MISSES_BEFORE_GIVING_UP as usize, "asked a few times, then no more");
    assert!(overview.render().contains("the relay has no such file"), "{}", overview.render());
    assert!(names(&recipient.inbox).is_empty());
    let message = &net.mailbox(&parsed.recipient.office, "inbox").await[0];
    assert_eq!(message.status, protocol::Status::Sent, "nothing acknowledged that was not received");
    for running in clients {
        running.stop().await;
    }
    net.stop().await;
}
