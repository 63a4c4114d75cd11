//! `cargo xtask reliability`: evidence that the relay loses nothing and keeps hostile clients out, as one table.
//!
//! The crash test runs a real relay process under send and ack load and kills it with SIGKILL at random moments,
//! restarting it on the same store each time, and checks after every restart: every send answered 201 is there
//! with identical bytes, nothing acknowledged reverted, a retried key did not create a second message, and the
//! store opened. The other rows run the relay's hostile-client, durability and security tests, measure its peak
//! memory under a burst of large uploads, and run the codec property tests, the request-parsing property harness
//! over TLS, and 60 s of each `cargo fuzz` target (libFuzzer).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use conformance::suite::relay::send_form;
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use sha2::{Digest, Sha256};

use crate::root;

struct Row {
    test: String,
    tries: usize,
    passed: usize,
    lost: usize,
    seconds: f64,
}

/// What the client has been told: message id per idempotency key, and the ids it saw acknowledged.
#[derive(Default)]
struct Ledger {
    accepted: BTreeMap<String, String>,
    acked: BTreeSet<String>,
    /// keys sent whose answer never came (the relay died first)
    in_flight: BTreeSet<String>,
}

async fn send(client: &reqwest::Client, base: &str, key: &str, files: &[(String, Vec<u8>)]) -> Option<String> {
    let form = send_form(HOME_HELP, files);
    let response =
        client.post(format!("{base}/v1/messages")).header("Idempotency-Key", key).multipart(form).send().await.ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    body["id"].as_str().map(String::from)
}

/// Sends and acks until aborted, recording every answer in the ledger.
async fn load(
    base: String,
    sender: reqwest::Client,
    receiver: reqwest::Client,
    files: Vec<(String, Vec<u8>)>,
    ledger: Arc<Mutex<Ledger>>,
    round: usize,
) {
    for i in 0.. {
        let key = format!("r{round}-{i}");
        if let Ok(mut l) = ledger.lock() {
            l.in_flight.insert(key.clone());
        }
        let id = send(&sender, &base, &key, &files).await;
        let Some(id) = id else { continue };
        if let Ok(mut l) = ledger.lock() {
            l.in_flight.remove(&key);
            l.accepted.insert(key, id.clone());
        }
        if i % 3 == 0 {
            let ack = receiver.post(format!("{base}/v1/messages/{id}/ack")).send().await;
            if ack.is_ok_and(|r| r.status().is_success()) {
                if let Ok(mut l) = ledger.lock() {
                    l.acked.insert(id);
                }
            }
        }
    }
}

async fn crash_test(kills: usize, budget: Duration) -> Result<Row> {
    let binary = crate::relay_process::build(false)?.join("careplan-refserver");
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let folder = root().join("fixtures/valid/withdrawals");
    let name = std::fs::read_dir(&folder)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .find(|n| n.starts_with("DLT1KYO_"))
        .context("fixture missing")?;
    let files = vec![(name.clone(), std::fs::read(folder.join(&name))?)];
    let digest = refserver::api::hex(&Sha256::digest(&files[0].1));
    let (sender, receiver) = (sandbox.client(CARE_MANAGER)?, sandbox.client(HOME_HELP)?);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let started = Instant::now();
    let mut rng = 0x9E37_79B9_u64;
    let (mut done, mut passed, mut lost) = (0, 0, 0);
    while done < kills && started.elapsed() < budget {
        let port = crate::relay_process::free_port()?;
        let base = format!("https://127.0.0.1:{port}");
        let mut relay = sandbox.spawn_relay(&binary, port)?;
        crate::relay_process::wait_ready(&sender, &base).await?;
        // After a restart: every 201 is there with its bytes, acks stayed, retried keys give the stored message.
        let snapshot: Vec<(String, String)> =
            ledger.lock().map(|l| l.accepted.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        let acked: BTreeSet<String> = ledger.lock().map(|l| l.acked.clone()).unwrap_or_default();
        let mut round_lost = 0;
        for (_, id) in &snapshot {
            let meta: Option<serde_json::Value> = match receiver.get(format!("{base}/v1/messages/{id}")).send().await {
                Ok(response) if response.status().is_success() => response.json().await.ok(),
                _ => None,
            };
            let intact = meta.as_ref().is_some_and(|m| m["files"][0]["sha256"] == digest.as_str());
            let ack_kept = !acked.contains(id) || meta.as_ref().is_some_and(|m| m["status"] == "acknowledged");
            if !intact || !ack_kept {
                round_lost += 1;
            }
        }
        let retries: Vec<String> = ledger.lock().map(|l| l.in_flight.iter().cloned().collect()).unwrap_or_default();
        for key in retries {
            if let Some(id) = send(&sender, &base, &key, &files).await {
                if let Ok(mut l) = ledger.lock() {
                    l.in_flight.remove(&key);
                    l.accepted.insert(key, id);
                }
            }
        }
        let known: BTreeSet<String> = ledger.lock().map(|l| l.accepted.values().cloned().collect()).unwrap_or_default();
        let mut stored = 0;
        let mut before: Option<i64> = None;
        loop {
            let url = match before {
                Some(b) => format!("{base}/v1/inbox?limit=100&before={b}"),
                None => format!("{base}/v1/inbox?limit=100"),
            };
            let page: serde_json::Value = receiver.get(url).send().await?.json().await?;
            stored += page["messages"].as_array().map_or(0, Vec::len);
            match page["next"].as_i64() {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        // Every stored message is one the client knows (after retrying its in-flight keys): no duplicates.
        let duplicated = stored.saturating_sub(known.len());
        if round_lost == 0 && duplicated == 0 {
            passed += 1;
        }
        lost += round_lost + duplicated;
        // Load, then SIGKILL at a random moment.
        let task =
            tokio::spawn(load(base.clone(), sender.clone(), receiver.clone(), files.clone(), ledger.clone(), done));
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(50 + rng % 400)).await;
        relay.kill()?;
        relay.wait()?;
        task.abort();
        let _ = task.await;
        done += 1;
    }
    let acknowledged = ledger.lock().map(|l| l.acked.len()).unwrap_or(0);
    let accepted = ledger.lock().map(|l| l.accepted.len()).unwrap_or(0);
    Ok(Row {
        test: format!("crash: SIGKILL under load ({accepted} sends answered 201, {acknowledged} acknowledged)"),
        tries: done,
        passed,
        lost,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Peak memory of a relay process while `uploads` offices' sends of about `megabytes` MB each arrive at once,
/// with the relay's upload budget at `budget_mb`: a row naming the peak resident set (VmHWM), whose `lost` counts
/// sends not answered 201.
async fn upload_memory(budget_mb: usize, uploads: usize, megabytes: usize) -> Result<Row> {
    let binary = crate::relay_process::build(false)?.join("careplan-refserver");
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let office = |number: &str, kind: &'static str| conformance::synth::people::Office {
        number: number.to_string(),
        kind,
        name: String::new(),
        postal: String::new(),
        address: String::new(),
    };
    let unit = |users: usize| -> Result<Vec<(String, Vec<u8>)>> {
        let files = conformance::synth::corpus::scale_addressed(users, users, 15, |_| {
            (office(CARE_MANAGER, "43"), office(HOME_HELP, "11"))
        })?;
        files.into_iter().map(|file| Ok((file.name.clone(), file.bytes()?))).collect()
    };
    let size = |files: &[(String, Vec<u8>)]| files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
    let users = megabytes * 1_000_000 * 1000 / size(&unit(1000)?).max(1);
    let files = Arc::new(unit(users)?);
    let port = crate::relay_process::free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let mut command = sandbox.relay_command(&binary, port);
    command.env("CAREPLAN_UPLOAD_BUDGET_MB", budget_mb.to_string());
    let relay = crate::relay_process::RelayGuard(command.spawn()?);
    let pid = relay.0.id();
    let paths = sandbox.paths();
    let client =
        refserver::sandbox::https_client_builder(&std::fs::read(paths.ca_cert())?, &paths.identity_pem(CARE_MANAGER)?)?
            .timeout(Duration::from_secs(600))
            .build()?;
    crate::relay_process::wait_ready(&client, &base).await?;
    let started = Instant::now();
    let sends: Vec<_> = (0..uploads)
        .map(|i| {
            let (client, base, files) = (client.clone(), base.clone(), files.clone());
            tokio::spawn(async move { send(&client, &base, &format!("large-{i}"), &files).await.is_some() })
        })
        .collect();
    let mut accepted = 0;
    for send in sends {
        accepted += usize::from(send.await.unwrap_or(false));
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/<pid>/status")?;
    drop(relay);
    let peak_mib = peak_kib / 1024;
    Ok(Row {
        test: format!(
            "memory: {uploads} concurrent uploads of {:.0} MB, upload budget {budget_mb} MiB — relay peak RSS {peak_mib} MiB",
            size(&files) as f64 / 1e6
        ),
        tries: uploads,
        passed: accepted,
        lost: uploads - accepted,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Only the upload-memory measurement (`cargo xtask reliability --memory`).
pub fn memory_only(budget_mb: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let row = runtime.block_on(upload_memory(budget_mb, 8, 60))?;
    print_and_judge(&[row])
}

/// A cargo test target as one row: passed when the command succeeds.
fn test_row(test: &str, args: &[&str]) -> Row {
    let started = Instant::now();
    let ok = crate::cargo(args).is_ok();
    Row { test: test.to_string(), tries: 1, passed: usize::from(ok), lost: 0, seconds: started.elapsed().as_secs_f64() }
}

fn print_and_judge(rows: &[Row]) -> Result<()> {
    println!("\n| test | tries | passed | lost | time |\n|---|---|---|---|---|");
    for row in rows {
        println!("| {} | {} | {} | {} | {:.1} s |", row.test, row.tries, row.passed, row.lost, row.seconds);
    }
    if rows.iter().any(|r| r.passed != r.tries || r.lost > 0) {
        bail!("reliability checks failed");
    }
    Ok(())
}

/// Only the crash test, for CI (the other rows are part of `cargo test`).
pub fn crash_only(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let row = runtime.block_on(crash_test(kills, Duration::from_secs(60)))?;
    print_and_judge(&[row])
}

pub fn run(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rows = vec![runtime.block_on(crash_test(kills, Duration::from_secs(240)))?];
    rows.push(test_row(
        "hostile clients: slowloris, endless body, 10 000 parts, huge field, TLS 1.0/1.1/SSL 3 and weak-cipher hellos, renegotiation — another office served within 2 s during each",
        &["test", "--quiet", "-p", "refserver", "--test", "hostile"],
    ));
    rows.push(test_row(
        "durability: SIGKILL after 201, full store → 507 (sends and unauditable downloads), retention",
        &["test", "--quiet", "-p", "refserver", "--test", "durability"],
    ));
    rows.push(test_row(
        "certificates: expired, not yet valid, other CA, revoked, no clientAuth",
        &["test", "--quiet", "-p", "refserver", "--test", "relay", "every_negative"],
    ));
    let security = |test: &str, filters: &[&str]| {
        let args: Vec<&str> = ["test", "--quiet", "-p", "refserver", "--test", "security", "--"]
            .into_iter()
            .chain(filters.iter().copied())
            .collect();
        test_row(test, &args)
    };
    rows.push(test_row(
        "security: cross-site send, download and ack refused; a reused Idempotency-Key gets 409, an over-long one 400 (suite R22, R32, R33, each failing under its planted fault)",
        &["test", "--quiet", "-p", "refserver", "--test", "protocol_suite"],
    ));
    rows.push(security(
        "security: data and PKI folders 0700, files 0600; no start on a key others can read; a purge leaves no bytes behind",
        &["files_at_rest", "will_not_start"],
    ));
    rows.push(security(
        "security: refusals, probes, replays, sender downloads and refused certificates (with their subject) audited; names escaped",
        &["refusals_probes"],
    ));
    rows.push(security(
        "security: re-issue, revocation and office removal take effect without a restart; an unregistered office reaches only /healthz",
        &["a_reissued"],
    ));
    rows.push(security(
        "security: nosniff, no-store, HSTS; a .JPG part must be a JPEG; the recipient's kind is checked; an ack leaves downloaded_at alone",
        &["answers_are"],
    ));
    rows.push(runtime.block_on(upload_memory(128, 8, 60))?);
    rows.push(test_row(
        "codec + validator: arbitrary and mutated bytes never panic (proptest)",
        &["test", "--quiet", "-p", "conformance", "--test", "properties"],
    ));
    rows.push(test_row(
        "request parsing: hostile multipart, headers, garbage over TLS — never 5xx (proptest)",
        &["test", "--quiet", "-p", "refserver", "--test", "fuzz_requests"],
    ));
    match crate::fuzz::run(60) {
        Ok(targets) => rows.extend(targets.into_iter().map(|(target, seconds)| Row {
            test: format!("cargo fuzz {target}: 60 s, seeded from the fixtures, regressions replayed"),
            tries: 1,
            passed: 1,
            lost: 0,
            seconds,
        })),
        Err(error) => {
            eprintln!("{error:#}");
            rows.push(Row { test: "cargo fuzz".into(), tries: 1, passed: 0, lost: 0, seconds: 0.0 });
        }
    }
    print_and_judge(&rows)
}
