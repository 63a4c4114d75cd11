//! `cargo xtask loadtest`: a test PKI and the load population in a temporary folder, the relay on loopback with
//! an empty store, goose against it, everything stopped afterwards; goose's HTML report and the end-to-end
//! summary land in `target/loadtest/`.

use std::process::Command;

use anyhow::{bail, Context, Result};
use loadtest::population::Population;
use loadtest::profile::Profile;

use crate::relay_process::{free_port, wait_ready, RelayGuard};
use refserver::pgcluster::PgCluster;
use refserver::store::Store;

/// The short run CI makes: long enough for every office to exchange many times, short enough for the budget.
pub const CI_RUN_TIME: &str = "20s";

pub struct Options {
    pub scenario: Profile,
    pub run_time: String,
    pub care_managers: usize,
    /// optimised build (what the figures are measured with); CI's short run uses the test build it already has
    pub release: bool,
    pub store: StoreKind,
    /// relay processes on the store (several only on PostgreSQL)
    pub nodes: usize,
}

/// What the relay under load keeps its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// the embedded SQLite store (the default relay)
    Sqlite,
    /// a throw-away PostgreSQL cluster under target/
    Postgres,
}

pub fn run(options: &Options) -> Result<()> {
    if options.nodes == 0 || (options.nodes > 1 && options.store != StoreKind::Postgres) {
        bail!("--nodes {} needs --store postgres (one relay node owns an embedded store)", options.nodes);
    }
    let bin = crate::relay_process::build(options.release)?;
    let out = crate::target_dir().join("loadtest");
    std::fs::create_dir_all(&out)?;

    let dir = tempfile::tempdir()?;
    let population = Population::new(options.care_managers);
    eprintln!("xtask: test PKI and {} offices in {}", population.len(), dir.path().display());
    let sandbox = population.create_sandbox(dir.path())?;
    // Kept until the relays are stopped: dropping it stops the cluster.
    let cluster = match options.store {
        StoreKind::Sqlite => None,
        StoreKind::Postgres => Some(postgres_for(&sandbox)?),
    };
    let mut relays = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..options.nodes {
        let port = free_port()?;
        let mut command = sandbox.relay_command(&bin.join("careplan-refserver"), port);
        if let Some((_, url)) = &cluster {
            command.env("CAREPLAN_STORE", url);
        }
        relays.push(RelayGuard(command.spawn()?));
        bases.push(format!("https://127.0.0.1:{port}"));
    }
    let probe = sandbox.client(&population.care_managers[0].number)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    for base in &bases {
        runtime.block_on(wait_ready(&probe, base))?;
    }

    let (report, summary) = (out.join("report.html"), out.join("summary.json"));
    let mut loadtest = Command::new(bin.join("careplan-loadtest"));
    loadtest
        .args(["--host", &bases[0], "--scenario", options.scenario.name(), "--run-time", &options.run_time])
        .args(["--care-managers", &options.care_managers.to_string()]);
    for base in &bases[1..] {
        loadtest.args(["--node", base]);
    }
    for relay in &relays {
        loadtest.args(["--relay-pid", &relay.0.id().to_string()]);
    }
    let status = loadtest
        .arg("--pki")
        .arg(&sandbox.pki)
        .arg("--report-file")
        .arg(&report)
        .arg("--summary-file")
        .arg(&summary)
        .status()
        .context("cannot start careplan-loadtest")?;
    drop(relays);
    drop(cluster);
    eprintln!("xtask: goose report {}\nxtask: summary {}", report.display(), summary.display());
    if !status.success() {
        bail!("the load test failed ({status}): see the summary above");
    }
    Ok(())
}

/// A throw-away PostgreSQL cluster under target/ (Debian's package installed when missing) with the sandbox's
/// offices registered in a database of its own; the cluster and that database's URL.
fn postgres_for(sandbox: &refserver::sandbox::Sandbox) -> Result<(PgCluster, String)> {
    crate::install_postgres("the load test on PostgreSQL")?;
    let cluster = PgCluster::start(&crate::target_dir().join("loadtest"))?;
    let url = cluster.database("relay")?;
    let registered = refserver::store::SqliteStore::open(&sandbox.data)?;
    let store = refserver::pgstore::PgStore::open(&url)?;
    for office in registered.offices(None).wait()? {
        store.put_office(&office).wait()?;
    }
    eprintln!("xtask: PostgreSQL on 127.0.0.1:{} (database relay)", cluster.port);
    Ok((cluster, url))
}
