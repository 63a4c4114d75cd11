//! The relay's hot paths on their own, so a regression shows without a full load run (`careplan-loadtest`):
//! validating a monthly ticket unit, storing a message durably (alone, and 64 at once sharing one group commit),
//! and one whole exchange — send with validation, download of every file, acknowledgement — through a relay on
//! loopback over mutual TLS.
//!
//! `cargo bench -p refserver --bench exchange`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench that cannot set up must fail loudly

use std::sync::atomic::{AtomicU64, Ordering};

use conformance::synth::people::Office;
use conformance::validate::{validate_files, Options};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use refserver::model::{AuditEntry, NewFile, NewMessage};
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, ServerConfig};
use refserver::store::{SqliteStore, Store};
use suites::relay::send_form;

/// One person's monthly ticket unit (第6表, 第7表, 利用者補足情報) from the sandbox's care manager to its provider.
fn ticket_unit() -> Vec<(String, Vec<u8>)> {
    let office = |number: &str, kind: &'static str| Office {
        number: number.to_string(),
        kind,
        name: String::new(),
        postal: "190-0001".into(),
        address: String::new(),
    };
    let units =
        conformance::synth::corpus::scale_exchanges(1, 1, 7, |_| (office(CARE_MANAGER, "43"), office(HOME_HELP, "11")))
            .unwrap();
    units[0].ticket.iter().map(|f| (f.name.clone(), f.bytes().unwrap())).collect()
}

fn validation(c: &mut Criterion) {
    let unit = ticket_unit();
    let mut group = c.benchmark_group("relay");
    group.throughput(Throughput::Bytes(unit.iter().map(|(_, b)| b.len() as u64).sum()));
    group.bench_function("validate ticket unit", |b| {
        b.iter(|| {
            let report = validate_files(unit.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
            assert_eq!(report.errors(), 0);
        })
    });
    group.finish();
}

fn message(unit: &[(String, Vec<u8>)], serial: u64) -> (NewMessage, AuditEntry) {
    let id = format!("bench-{serial}");
    let audit = AuditEntry {
        at: "2025-05-01T00:00:00Z".into(),
        office: Some(CARE_MANAGER.into()),
        action: "send".into(),
        message_id: Some(id.clone()),
        detail: None,
    };
    let files = unit
        .iter()
        .map(|(name, bytes)| NewFile { name: name.clone(), kind: None, sha256: String::new(), bytes: bytes.clone() })
        .collect();
    let message = NewMessage {
        id,
        from: CARE_MANAGER.into(),
        to: HOME_HELP.into(),
        serial: "20250401000000".into(),
        unit: None,
        idempotency_key: None,
        request_digest: String::new(),
        created_at: "2025-05-01T00:00:00Z".into(),
        subject: Default::default(),
        files,
    };
    (message, audit)
}

fn storing(c: &mut Criterion) {
    let unit = ticket_unit();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let serial = AtomicU64::new(0);
    let mut group = c.benchmark_group("relay");
    group.bench_function("store message (one commit)", |b| {
        b.iter(|| {
            let (message, audit) = message(&unit, serial.fetch_add(1, Ordering::Relaxed));
            store.insert_message(message, audit).wait().unwrap();
        })
    });
    group.throughput(Throughput::Elements(64));
    group.bench_function("store 64 messages at once (group commit)", |b| {
        b.iter(|| {
            let pending: Vec<_> = (0..64)
                .map(|_| {
                    let (message, audit) = message(&unit, serial.fetch_add(1, Ordering::Relaxed));
                    store.insert_message(message, audit)
                })
                .collect();
            pending.into_iter().for_each(|p| {
                p.wait().unwrap();
            });
        })
    });
    group.finish();
}

async fn exchange(base: &str, sender: &reqwest::Client, receiver: &reqwest::Client, unit: &[(String, Vec<u8>)]) {
    let sent: serde_json::Value = sender
        .post(format!("{base}/v1/messages"))
        .multipart(send_form(HOME_HELP, unit))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap();
    for (name, bytes) in unit {
        let body = receiver.get(format!("{base}/v1/messages/{id}/files/{name}")).send().await.unwrap();
        assert_eq!(body.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    receiver.post(format!("{base}/v1/messages/{id}/ack")).send().await.unwrap().error_for_status().unwrap();
}

fn whole_exchange(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::care_manager_and_home_help(dir.path()).unwrap();
    let running = runtime
        .block_on(server::start(ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            sandbox.data.clone(),
            sandbox.pki.clone(),
        )))
        .unwrap();
    let base = format!("https://127.0.0.1:{}", running.local_addr.port());
    let (sender, receiver) = (sandbox.client(CARE_MANAGER).unwrap(), sandbox.client(HOME_HELP).unwrap());
    let unit = ticket_unit();
    let mut group = c.benchmark_group("relay");
    group.bench_function("send + download + ack over mutual TLS", |b| {
        b.iter(|| runtime.block_on(exchange(&base, &sender, &receiver, &unit)))
    });
    group.finish();
    runtime.block_on(running.shutdown());
}

criterion_group!(benches, validation, storing, whole_exchange);
criterion_main!(benches);
