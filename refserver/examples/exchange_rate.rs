//! Measures complete exchanges per second through a relay on loopback: the care manager sends a monthly ticket
//! unit, the provider downloads every file (checking its SHA-256) and acknowledges it.
//!
//! `cargo run --release -p refserver --example exchange_rate -- [EXCHANGES] [CONCURRENCY]`
//! (defaults 400 and 8). A quick figure for development; `careplan-loadtest` is the real load test.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use conformance::suite::relay::send_form;
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, ServerConfig};
use sha2::{Digest, Sha256};

async fn exchange(
    base: &str,
    sender: &reqwest::Client,
    receiver: &reqwest::Client,
    files: &[(String, Vec<u8>)],
) -> Result<()> {
    let form = send_form(HOME_HELP, files);
    let sent: serde_json::Value =
        sender.post(format!("{base}/v1/messages")).multipart(form).send().await?.error_for_status()?.json().await?;
    let id = sent["id"].as_str().context("no id")?;
    for (name, bytes) in files {
        let body = receiver
            .get(format!("{base}/v1/messages/{id}/files/{name}"))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        if Sha256::digest(&body) != Sha256::digest(bytes) {
            bail!("{name} came back altered");
        }
    }
    receiver.post(format!("{base}/v1/messages/{id}/ack")).send().await?.error_for_status()?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let exchanges: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(400);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(8);
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let running =
        server::start(ServerConfig::new("127.0.0.1:0".parse()?, sandbox.data.clone(), sandbox.pki.clone())).await?;
    let base = format!("https://127.0.0.1:{}", running.local_addr.port());

    // One user per unit, addressed from the sandbox's care manager to its provider.
    let office = |number: &str, kind: &'static str| conformance::synth::people::Office {
        number: number.to_string(),
        kind,
        name: String::new(),
        postal: "190-0001".into(),
        address: String::new(),
    };
    let units: Vec<Vec<(String, Vec<u8>)>> = conformance::synth::corpus::scale_addressed(exchanges, 1, 11, |_| {
        (office(CARE_MANAGER, "43"), office(HOME_HELP, "11"))
    })?
    .chunks(3)
    .map(|unit| unit.iter().map(|f| Ok((f.name.clone(), f.bytes()?))).collect::<Result<Vec<_>>>())
    .collect::<Result<_>>()?;
    let bytes: usize = units.iter().flatten().map(|(_, b)| b.len()).sum();
    let (sender, receiver) = (sandbox.client(CARE_MANAGER)?, sandbox.client(HOME_HELP)?);
    let units = Arc::new(units);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (units, next, base, sender, receiver) =
            (units.clone(), next.clone(), base.clone(), sender.clone(), receiver.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(unit) = units.get(index) else { break };
                let begun = Instant::now();
                exchange(&base, &sender, &receiver, unit).await?;
                latencies.push(begun.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{} exchanges ({:.1} KB each) in {:.2} s at concurrency {concurrency}: {:.0} exchanges/s; send→ack p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        bytes as f64 / 1024.0 / latencies.len() as f64,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.5),
        percentile(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    running.shutdown().await;
    Ok(())
}
