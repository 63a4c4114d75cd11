//! The client's crash row of `cargo xtask reliability`: a relay process that stays up, two `careplan-client`
//! processes (the care manager sending, the home-help provider receiving), a stream of send units written into the
//! sender's outbox and a stand-in for the care software that takes what lands in the recipient's inbox. Each round
//! kills both clients with SIGKILL at independent random moments and starts them again; after each kill, every
//! message the relay holds as acknowledged must have its file in the inbox folder or taken. At the end the stream
//! stops, the clients run until the outbox is empty and everything arrived, and the counts are: units lost (never
//! taken), duplicated (a second message of one unit, or a file delivered twice) and acknowledged before written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};

use crate::relay_process::{client_office, free_port, wait_ready, ClientOffice, RelayGuard};

/// What the checks found over a whole run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClientCounts {
    pub units: usize,
    pub kills: usize,
    /// units written into the outbox that never reached the care software (refused ones included)
    pub lost: usize,
    /// second messages of one unit at the relay, plus files the care software was handed twice
    pub duplicated: usize,
    /// messages the relay holds as acknowledged whose file was in neither the inbox folder nor taken
    pub acked_unwritten: usize,
}

/// A planted fault of the client and the counter that must catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientFault {
    SendTwice,
    AckBeforeWrite,
    LoseReceived,
}

impl ClientFault {
    pub const ALL: [ClientFault; 3] = [ClientFault::SendTwice, ClientFault::AckBeforeWrite, ClientFault::LoseReceived];

    fn name(self) -> &'static str {
        match self {
            ClientFault::SendTwice => "send_twice",
            ClientFault::AckBeforeWrite => "ack_before_write",
            ClientFault::LoseReceived => "lose_received",
        }
    }

    /// The counter this fault must move: caught only through its own.
    pub fn counter(self, counts: &ClientCounts) -> usize {
        match self {
            ClientFault::SendTwice => counts.duplicated,
            ClientFault::AckBeforeWrite => counts.acked_unwritten,
            ClientFault::LoseReceived => counts.lost,
        }
    }
}

/// The programs the test runs: the relay, the client, and the client with the planted faults compiled in (chosen by
/// `CAREPLAN_CLIENT_FAULT`), built once and copied aside so the workspace's own builds do not overwrite it.
pub struct Programs {
    relay: PathBuf,
    client: PathBuf,
    planted: PathBuf,
}

pub fn build() -> Result<Programs> {
    let folder = crate::relay_process::build(false)?;
    // The test build's feature set plus the faults (which client's dev-dependency on itself already switches on, so
    // this finds the programs built): no rebuild either way.
    crate::cargo(&["build", "--quiet", "--workspace", "--bins", "--tests", "--features", "client/faults"])?;
    let planted = folder.join("careplan-client-faults");
    std::fs::copy(folder.join("careplan-client"), &planted)?;
    crate::relay_process::build(false)?; // the plain one back in its place
    Ok(Programs { relay: folder.join("careplan-refserver"), client: folder.join("careplan-client"), planted })
}

/// A unit of one small 削除 file under ファイル連番 `n` seconds into 2025-04-30.
fn unit_file(template: &[u8], n: usize) -> (String, Vec<u8>) {
    let serial = format!("20250430{:02}{:02}{:02}", n / 3600 % 24, n / 60 % 60, n % 60);
    (format!("DLT1KYO_{CARE_MANAGER}_43_{HOME_HELP}_11_{serial}.CSV"), template.to_vec())
}

fn spawn(binary: &Path, office: &ClientOffice, fault: Option<ClientFault>) -> Result<RelayGuard> {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(office.path.with_extension("log"))?;
    let mut command = std::process::Command::new(binary);
    command
        .arg("--config")
        .arg(&office.path)
        .args(["run", "--poll-interval", "0.1", "--settle-ms", "100"])
        .env(client::faults::VARIABLE, fault.map_or("", ClientFault::name))
        .stdout(std::process::Stdio::null())
        .stderr(log);
    Ok(RelayGuard(command.spawn()?))
}

/// Every message of the recipient's inbox at the relay: id → (serial, status, file names).
async fn inbox(client: &reqwest::Client, base: &str) -> Result<BTreeMap<String, (String, String, Vec<String>)>> {
    let messages = crate::relay_process::inbox_messages(client, base).await?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let names = m.files.iter().map(|f| f.name.clone()).collect();
            (m.id, (m.serial, m.status.as_str().to_string(), names))
        })
        .collect())
}

/// The care software: takes every file from the inbox folder into `taken/`, counting each name it was handed.
fn take(inbox: &Path, taken: &Path, handed: &Mutex<BTreeMap<String, usize>>) {
    let Ok(entries) = std::fs::read_dir(inbox) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if std::fs::rename(entry.path(), taken.join(&name)).is_ok() {
            if let Ok(mut handed) = handed.lock() {
                *handed.entry(name).or_default() += 1;
            }
        }
    }
}

/// Runs the client crash test: `kills` rounds, with `fault` planted in both clients.
pub async fn client_crash_test(
    programs: &Programs,
    kills: usize,
    budget: Duration,
    fault: Option<ClientFault>,
) -> Result<ClientCounts> {
    let (binary, relay_binary) = (if fault.is_some() { &programs.planted } else { &programs.client }, &programs.relay);
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let port = free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let _relay = RelayGuard(sandbox.spawn_relay(relay_binary, port)?);
    let receiver = sandbox.client(HOME_HELP)?;
    wait_ready(&receiver, &base).await?;
    let (sender_office, recipient_office) = (
        client_office(dir.path(), &sandbox, CARE_MANAGER, &base)?,
        client_office(dir.path(), &sandbox, HOME_HELP, &base)?,
    );
    let taken = dir.path().join("taken");
    std::fs::create_dir_all(&taken)?;
    let template = std::fs::read(
        crate::root()
            .join(format!("fixtures/valid/withdrawals/DLT1KYO_{CARE_MANAGER}_43_{HOME_HELP}_11_20250430120000.CSV")),
    )
    .context("the 削除 fixture")?;

    // The stream: a burst of units every 300 ms, so the sender is mostly busy when it is killed.
    let written = Arc::new(AtomicUsize::new(0));
    let streaming = Arc::new(AtomicBool::new(true));
    let writer = {
        let (outbox, written, streaming, template) =
            (sender_office.config.outbox.clone(), written.clone(), streaming.clone(), template.clone());
        tokio::spawn(async move {
            while streaming.load(Ordering::SeqCst) {
                for _ in 0..5 {
                    let (name, bytes) = unit_file(&template, written.load(Ordering::SeqCst));
                    if std::fs::write(outbox.join(name), bytes).is_ok() {
                        written.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let handed = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let taking = Arc::new(AtomicBool::new(true));
    let taker = {
        let (inbox, taken, handed, taking) =
            (recipient_office.config.inbox.clone(), taken.clone(), handed.clone(), taking.clone());
        tokio::spawn(async move {
            while taking.load(Ordering::SeqCst) {
                take(&inbox, &taken, &handed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let mut next = crate::relay_process::xorshift(0x5851_F42D);
    let mut acked_unwritten: BTreeSet<String> = BTreeSet::new();
    let started = Instant::now();
    let mut counts = ClientCounts::default();
    let present = |name: &str| recipient_office.config.inbox.join(name).exists() || taken.join(name).exists();
    for _ in 0..kills {
        if started.elapsed() > budget {
            break;
        }
        let mut sender = spawn(binary, &sender_office, fault)?;
        let mut recipient = spawn(binary, &recipient_office, fault)?;
        // Each client is killed at its own random moment of the round.
        let (first, second) = (Duration::from_millis(300 + next() % 900), Duration::from_millis(next() % 600));
        let sender_first = next() & 1 == 0;
        tokio::time::sleep(first).await;
        let (a, b) = if sender_first { (&mut sender, &mut recipient) } else { (&mut recipient, &mut sender) };
        a.0.kill()?;
        a.0.wait()?;
        tokio::time::sleep(second).await;
        b.0.kill()?;
        b.0.wait()?;
        counts.kills += 1;
        // Nothing acknowledged before written: every acknowledged message's file is in the inbox or taken.
        for (id, (_, status, names)) in inbox(&receiver, &base).await? {
            if status == "acknowledged" && !names.iter().all(|name| present(name)) {
                acked_unwritten.insert(id);
            }
        }
    }

    // The drain: the stream stops, the clients run until everything written arrived (or the ceiling).
    streaming.store(false, Ordering::SeqCst);
    let _ = writer.await;
    let units = written.load(Ordering::SeqCst);
    let (_sender, _recipient) = (spawn(binary, &sender_office, fault)?, spawn(binary, &recipient_office, fault)?);
    let drained = Instant::now();
    let arrived = |handed: &Mutex<BTreeMap<String, usize>>| handed.lock().map(|h| h.len()).unwrap_or(0);
    while arrived(&handed) < units && drained.elapsed() < Duration::from_secs(60) {
        let refused = std::fs::read_dir(&sender_office.config.refused).map(|d| d.count()).unwrap_or(0);
        if fault.is_some() && (arrived(&handed) + refused >= units || drained.elapsed() > Duration::from_secs(20)) {
            break; // a planted fault may never get there: its counters are what matter
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The last acknowledgements (the recipient acknowledges what was taken within its next round).
    tokio::time::sleep(Duration::from_secs(2)).await;
    taking.store(false, Ordering::SeqCst);
    let _ = taker.await;
    let listed = inbox(&receiver, &base).await?;
    for (id, (_, status, names)) in &listed {
        if status == "acknowledged" && !names.iter().all(|name| present(name)) {
            acked_unwritten.insert(id.clone());
        }
    }
    let handed = handed.lock().map(|h| h.clone()).unwrap_or_default();
    let serials: BTreeSet<&String> = listed.values().map(|(serial, _, _)| serial).collect();
    counts.units = units;
    counts.lost = (0..units).filter(|n| !handed.contains_key(&unit_file(&template, *n).0)).count();
    counts.duplicated =
        (listed.len() - serials.len()) + handed.values().map(|times| times.saturating_sub(1)).sum::<usize>();
    counts.acked_unwritten = acked_unwritten.len();
    Ok(counts)
}
