//! `careplan-loadtest`: goose load test of ケアプランデータ連携 plan exchange against a relay.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use gumdrop::Options;
use loadtest::payloads::Payloads;
use loadtest::population::Population;
use loadtest::profile::Profile;
use loadtest::relay_watch::RelayWatch;
use loadtest::roles::{attack, World};
use loadtest::summary::{RunFacts, Summary};
use loadtest::tracker::Outstanding;
use refserver::pki::PkiPaths;
use sha2::{Digest, Sha256};

/// ケアプランデータ連携 負荷試験 — load test of plan exchange through a relay
///
/// Simulated offices, each with its own client certificate, exchange monthly ticket units (第6表・第7表・
/// 利用者補足情報) and actuals (実績) through the relay: send → the recipient downloads every file, checks its
/// SHA-256 against the sender's → acknowledges. Reports exchanges per second and send-to-acknowledgement
/// latency next to goose's per-request metrics; fails (exit 1) when any message is lost or altered or a
/// request fails. The offices must be registered at the relay as `cargo xtask loadtest` does (same
/// `--care-managers`); `cargo xtask loadtest` sets everything up and is the usual way to run this.
#[derive(Parser, Debug)]
#[command(name = "careplan-loadtest", version)]
struct Cli {
    /// The relay, e.g. https://127.0.0.1:8443 (goose's --host)
    #[arg(long)]
    host: String,
    /// Test PKI folder holding ca.pem and offices/<number>.pem|.key (`careplan-refserver pki init` layout)
    #[arg(long)]
    pki: PathBuf,
    /// Load profile
    #[arg(long, value_enum, default_value_t = Profile::MonthStart)]
    scenario: Profile,
    /// 居宅介護支援事業所 simulated; twice as many 訪問介護 providers (default 32, for a ramp 96)
    #[arg(long)]
    care_managers: Option<usize>,
    /// Goose users (default: one per office, 3 × --care-managers); more users than offices share offices
    #[arg(long)]
    users: Option<usize>,
    /// Users started per second (default: all at once; while ramping, spread over 80 % of the run)
    #[arg(long)]
    hatch_rate: Option<f64>,
    /// How long goose runs, e.g. 30s, 2m (a ramp rises over this long, then holds its peak a quarter as long)
    #[arg(long, default_value = "30s")]
    run_time: String,
    /// Goose's HTML report
    #[arg(long)]
    report_file: Option<PathBuf>,
    /// Where to write the end-to-end summary (JSON)
    #[arg(long)]
    summary_file: Option<PathBuf>,
    /// Persons (利用者) per send unit
    #[arg(long, default_value_t = 1)]
    users_per_unit: usize,
    /// Distinct pre-generated units per (care manager, provider) pair, reused in turn
    #[arg(long, default_value_t = 8)]
    units_per_pair: usize,
    /// Process id of the relay, to watch its memory and open files (/proc)
    #[arg(long)]
    relay_pid: Option<u32>,
    /// p99 send-to-ack latency (ms) that marks the knee of a ramp
    #[arg(long, default_value_t = 250.0)]
    knee_ms: f64,
    /// Further goose options, after `--` (see goose's own --help)
    #[arg(last = true)]
    goose: Vec<String>,
}

/// `30s`, `2m`, `1h30m`, or plain seconds, as goose reads `--run-time`.
fn run_time(text: &str) -> Result<Duration> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let value: u64 = number.parse().with_context(|| format!("bad --run-time {text:?}"))?;
                total += value
                    * match c {
                        'h' => 3600,
                        'm' => 60,
                        _ => 1,
                    };
                number.clear();
            }
            _ => bail!("bad --run-time {text:?}: use e.g. 30s, 2m, 1h30m"),
        }
    }
    if !number.is_empty() {
        total += number.parse::<u64>().with_context(|| format!("bad --run-time {text:?}"))?;
    }
    Ok(Duration::from_secs(total))
}

/// After goose stops: every message that got a `201` but no acknowledgement yet is fetched by its recipient.
/// It must still be there with the sender's bytes; it is then acknowledged (counted as drained). Returns
/// (drained, lost, altered).
async fn drain(world: &World, host: &str, outstanding: Vec<Outstanding>) -> (usize, u64, u64) {
    let (mut drained, mut lost, mut altered) = (0, 0, 0);
    for message in outstanding {
        match drain_one(world, host, &message).await {
            Ok(true) => drained += 1,
            Ok(false) => altered += 1,
            Err(error) => {
                eprintln!("消失 lost: message {} to {}: {error:#}", message.id, message.to);
                lost += 1;
            }
        }
    }
    (drained, lost, altered)
}

async fn drain_one(world: &World, host: &str, message: &Outstanding) -> Result<bool> {
    let client = world.client(&message.to)?;
    let status = client.get(format!("{host}/v1/messages/{}", message.id)).send().await?.status();
    if !status.is_success() {
        bail!("the relay answers {status} for a message it accepted");
    }
    for (name, digest) in &message.files {
        let bytes = client
            .get(format!("{host}/v1/messages/{}/files/{name}", message.id))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        if <[u8; 32]>::from(Sha256::digest(&bytes)) != *digest {
            eprintln!("改変 altered: {name} of message {}", message.id);
            return Ok(false);
        }
    }
    client.post(format!("{host}/v1/messages/{}/ack", message.id)).send().await?.error_for_status()?;
    Ok(true)
}

async fn run(cli: Cli) -> Result<bool> {
    let run_time_value = run_time(&cli.run_time)?;
    let population = Population::new(cli.care_managers.unwrap_or_else(|| cli.scenario.default_care_managers()));
    let users = cli.users.unwrap_or(population.len());
    let hatch_rate = cli.hatch_rate.unwrap_or_else(|| cli.scenario.default_hatch_rate(users, run_time_value));
    eprintln!(
        "準備 preparing: {} care managers, {} providers, {} units per pair ({} persons each)…",
        population.care_managers.len(),
        population.providers.len(),
        cli.units_per_pair,
        cli.users_per_unit
    );
    let payloads = Payloads::generate(&population, cli.units_per_pair.max(1), cli.users_per_unit.max(1))?;
    let mean_ticket_bytes = payloads.mean_ticket_bytes();
    let world = Arc::new(
        World::new(population, payloads, cli.scenario, &PkiPaths::new(&cli.pki))
            .with_context(|| format!("loading office certificates from {}", cli.pki.display()))?,
    );
    let host = cli.host.trim_end_matches('/').to_string();
    let probe = world.client(&world.population.care_managers[0].number)?;
    probe
        .get(format!("{host}/healthz"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("the relay at {host} does not answer /healthz over mutual TLS"))?;

    let mut goose_args: Vec<String> = vec![
        "--host".into(),
        host.clone(),
        "--users".into(),
        users.to_string(),
        "--hatch-rate".into(),
        format!("{hatch_rate:.3}"),
        "--run-time".into(),
        format!("{}s", cli.scenario.goose_run_time(run_time_value).as_secs()),
    ];
    if let Some(report) = &cli.report_file {
        goose_args.extend(["--report-file".into(), report.display().to_string()]);
    }
    goose_args.extend(cli.goose.iter().cloned());
    let configuration = goose::config::GooseConfiguration::parse_args_default(&goose_args)
        .map_err(|error| anyhow::anyhow!("goose options {goose_args:?}: {error}"))?;

    let watch = cli.relay_pid.and_then(RelayWatch::start);
    let started = world.tracker.elapsed();
    let metrics = attack(&world, configuration)?.execute().await.context("goose")?;
    let failed_requests: u64 = metrics.requests.values().map(|request| request.fail_count as u64).sum();
    let ended = world.tracker.elapsed();
    let outstanding = world.tracker.outstanding();
    eprintln!("確認 checking the {} messages still unacknowledged…", outstanding.len());
    let (drained, lost, altered_in_drain) = tokio::time::timeout(
        Duration::from_secs(120),
        drain(&world, &host, outstanding.clone()),
    )
    .await
    .unwrap_or((0, outstanding.len() as u64, 0));
    let relay = watch.map(RelayWatch::finish);
    let completed = world.tracker.completed();
    let users_started = world.tracker.users();
    // Measured once every user runs (goose, too, resets its metrics then); a ramp is measured from its start.
    let measured_from = match cli.scenario {
        Profile::Ramp => users_started.first(),
        _ => users_started.last(),
    }
    .map_or(started, |u| u.0);
    let summary = Summary::new(RunFacts {
        scenario: cli.scenario.name(),
        completed: &completed,
        users: &users_started,
        measured: (measured_from, ended),
        errors: world.tracker.failures(),
        failed_requests,
        corrupted: world.tracker.altered() + altered_in_drain,
        lost,
        drained,
        mean_ticket_bytes,
        knee_threshold_ms: (cli.scenario == Profile::Ramp).then_some(cli.knee_ms),
        relay,
    });
    println!("\n{}", summary.human());
    if let Some(path) = &cli.summary_file {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("summary: {}", path.display());
    }
    Ok(summary.clean())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("careplan-loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_read_like_goose() {
        assert_eq!(run_time("30s").unwrap_or_default(), Duration::from_secs(30));
        assert_eq!(run_time("1h30m").unwrap_or_default(), Duration::from_secs(5400));
        assert_eq!(run_time("45").unwrap_or_default(), Duration::from_secs(45));
        assert!(run_time("soon").is_err());
    }
}
