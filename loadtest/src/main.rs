//! `careplan-loadtest`: goose load test of ケアプランデータ連携 plan exchange against a relay.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use loadtest::profile::Profile;
use loadtest::run::{parse_run_time, RunOptions};

/// ケアプランデータ連携 負荷試験 — load test of plan exchange through a relay
///
/// Simulated offices, each with its own client certificate, exchange monthly ticket units (第6表・第7表・
/// 利用者補足情報) and actuals (実績) through the relay: send → the recipient downloads every file, checks its
/// SHA-256 against the sender's → acknowledges. Reports exchanges per second and send-to-acknowledgement
/// latency next to goose's per-request metrics. Fails (exit 1) when a message is lost, altered or invented by the
/// relay, an acknowledged one is offered again, a request fails, an office completed no exchange, or too many
/// exchanges finished only after the run. The offices must be registered at the relay as `cargo xtask loadtest` does (same
/// `--care-managers`); `cargo xtask loadtest` sets everything up and is the usual way to run this.
#[derive(Parser, Debug)]
#[command(name = "careplan-loadtest", version)]
struct Cli {
    /// The relay, e.g. https://127.0.0.1:8443 (goose's --host)
    #[arg(long)]
    host: String,
    /// Another node of the same relay (same database), e.g. https://127.0.0.1:8444; repeat for more. Offices are
    /// spread over --host and these, so most exchanges cross nodes
    #[arg(long = "node")]
    nodes: Vec<String>,
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
    /// Process id of the relay, to watch its CPU, memory and open files (/proc); repeat, one per node
    #[arg(long = "relay-pid")]
    relay_pids: Vec<u32>,
    /// p99 send-to-ack latency (ms) that marks the knee of a ramp
    #[arg(long, default_value_t = 250.0)]
    knee_ms: f64,
    /// Before the load, measure the CPU of validating the run's units as the relay does (`validation_ms` in the
    /// summary; `cargo xtask loadtest --capacity` splits the relay's CPU with it)
    #[arg(long)]
    measure_validation: bool,
    /// What plays the offices: goose users over raw HTTP, or one reference client (careplan-client's library) per
    /// office in this process, each with its own folders, sending and receiving through them (month-start pacing;
    /// --scenario, --users, --hatch-rate and goose's options do not apply)
    #[arg(long, value_enum, default_value_t = Drive::Http)]
    drive: Drive,
    /// With --drive clients: where the clients' folders go (default: a temporary folder, removed afterwards)
    #[arg(long)]
    clients_dir: Option<PathBuf>,
    /// Further goose options, after `--` (see goose's own --help)
    #[arg(last = true)]
    goose: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Drive {
    Http,
    Clients,
}

fn options(cli: Cli) -> Result<RunOptions> {
    Ok(RunOptions {
        host: cli.host,
        nodes: cli.nodes,
        pki: cli.pki,
        scenario: cli.scenario,
        care_managers: cli.care_managers,
        users: cli.users,
        hatch_rate: cli.hatch_rate,
        run_time: parse_run_time(&cli.run_time).map_err(anyhow::Error::msg)?,
        report_file: cli.report_file,
        users_per_unit: cli.users_per_unit,
        units_per_pair: cli.units_per_pair,
        relay_pids: cli.relay_pids,
        knee_ms: cli.knee_ms,
        measure_validation: cli.measure_validation,
        goose: cli.goose,
    })
}

/// The clients drive: one reference client per office, folders under `--clients-dir` or a temporary folder.
async fn run_clients(cli: &Cli) -> Result<loadtest::summary::Summary> {
    if cli.scenario != Profile::MonthStart {
        anyhow::bail!("--drive clients plays the month-start pacing only, not --scenario {}", cli.scenario.name());
    }
    let temporary = tempfile::tempdir()?;
    let options = loadtest::clients::ClientsOptions {
        host: cli.host.clone(),
        pki: cli.pki.clone(),
        care_managers: cli.care_managers.unwrap_or_else(|| cli.scenario.default_care_managers()),
        run_time: parse_run_time(&cli.run_time).map_err(anyhow::Error::msg)?,
        users_per_unit: cli.users_per_unit,
        units_per_pair: cli.units_per_pair,
        relay_pids: cli.relay_pids.clone(),
        dir: cli.clients_dir.clone().unwrap_or_else(|| temporary.path().to_path_buf()),
        faults: client::faults::Faults::default(),
        drain: loadtest::clients::DRAIN,
    };
    Ok(loadtest::clients::run_clients(&options).await?)
}

async fn run(cli: Cli) -> Result<bool> {
    let summary_file = cli.summary_file.clone();
    let summary = match cli.drive {
        Drive::Http => loadtest::run::run(&options(cli)?).await?,
        Drive::Clients => run_clients(&cli).await?,
    };
    println!("\n{}", summary.human());
    if let Some(path) = &summary_file {
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
