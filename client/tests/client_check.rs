//! The client-check suite (`careplan-conformance client-check`) over the traffic of the reference client, recorded
//! by the relay (`serve --record`): a send, a resend after a crash between send and bookkeeping, a receipt and its
//! acknowledgement once the care software took the file. The reference client passes; one built with a planted
//! fault fails the case written for it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::time::Duration;

use common::*;
use conformance::i18n::Lang;
use suites::{Outcome, SuiteReport};

/// The least time between two inbox requests of one client here, and what the suite is told to hold them to.
const POLL: Duration = Duration::from_millis(300);

async fn recorded_session(faults: &str) -> SuiteReport {
    let withdrawals = folder_files(&fixtures().join("valid/withdrawals"));
    let (name, bytes) = withdrawals.into_iter().find(|(name, _)| name.starts_with("DLT1KYO_")).unwrap();
    let parsed = conformance::filename::parse(&name).unwrap();
    let offices = Net::offices_of([name.as_str()]);
    let recording = tempfile::tempdir().unwrap();
    let record = recording.path().join("recording.jsonl");
    let net = Net::start(&offices, Some(record.clone())).await;
    let (sender, recipient) = (net.config(&parsed.sender.office), net.config(&parsed.recipient.office));
    let options = |faults: &str| client::run::RunOptions { poll_interval: POLL, ..quick(faults, false) };
    let before = state_before(&sender);
    let receiving = Running::start(&recipient, options(faults));
    std::fs::write(sender.outbox.join(&name), &bytes).unwrap();
    for crashed in [false, true] {
        let sending = Running::start(&sender, options(faults));
        until("the unit sent", async || names(&sender.outbox).is_empty() && !names(&sender.sent).is_empty()).await;
        sending.stop().await;
        // The next process polls no sooner than this one would have.
        tokio::time::sleep(POLL).await;
        if !crashed {
            forget_the_send(&sender, &before);
        }
    }
    // The care software takes what arrives; the client then acknowledges. Watched through the sender's outbox:
    // the recipient's inbox requests are the client's own, which the suite judges.
    until("acknowledged", async || {
        for taken in names(&recipient.inbox) {
            let _ = std::fs::remove_file(recipient.inbox.join(taken));
        }
        let sent = net.mailbox(&parsed.sender.office, "outbox").await;
        !sent.is_empty() && sent.iter().all(|m| m.status == protocol::Status::Acknowledged)
    })
    .await;
    receiving.stop().await;
    net.stop().await;
    let records = suites::client::read(&std::fs::read_to_string(&record).unwrap()).unwrap();
    suites::client::check(&records, POLL.as_millis() as u64, "careplan-client", Lang::En)
}

fn outcome(report: &SuiteReport, case: &str) -> Outcome {
    report.results.iter().find(|r| r.id == case).map(|r| r.outcome).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_client_passes_the_client_check() {
    let report = recorded_session("").await;
    assert!(report.passed(), "{:#?}", report.results);
    for case in ["C01", "C02", "C03", "C05"] {
        assert_eq!(outcome(&report, case), Outcome::Pass, "{case}: {:#?}", report.results);
    }
}

/// Planted: a new Idempotency-Key per attempt — the resend after the crash carries another key (C03); a client
/// that sends every unit twice under two keys fails the same case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_changes_its_key_or_sends_twice_fails_the_client_check() {
    for fault in ["fresh_key", "send_twice"] {
        let report = recorded_session(fault).await;
        assert_eq!(outcome(&report, "C03"), Outcome::Fail, "{fault}: {:#?}", report.results);
    }
}
