//! `cargo xtask loadtest`: a test PKI and the load population in a temporary folder, the relay on loopback with
//! an empty store, goose against it, everything stopped afterwards; goose's HTML report and the end-to-end
//! summary land in `target/loadtest/`.

use std::process::Command;

use anyhow::{bail, Context, Result};
use loadtest::population::Population;
use loadtest::profile::Profile;

use crate::relay_process::{free_port, wait_ready, RelayGuard};
use refserver::pgcluster::{ClusterTls, PgCluster};
use refserver::sandbox::{Sandbox, SandboxOffice};
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
    run_with(options, false)
}

/// [`run`], with `pg_tls`: the PostgreSQL cluster takes TLS only and the relays connect with verify-full.
pub fn run_with(options: &Options, pg_tls: bool) -> Result<()> {
    if options.nodes == 0 || (options.nodes > 1 && options.store != StoreKind::Postgres) {
        bail!("--nodes {} needs --store postgres (one relay node owns an embedded store)", options.nodes);
    }
    if pg_tls && options.store != StoreKind::Postgres {
        bail!("--pg-tls needs --store postgres");
    }
    let bin = crate::relay_process::build(options.release)?;
    let out = crate::target_dir().join("loadtest");
    std::fs::create_dir_all(&out)?;

    let dir = tempfile::tempdir()?;
    let population = Population::new(options.care_managers);
    eprintln!("xtask: test PKI and {} offices in {}", population.len(), dir.path().display());
    let offices: Vec<SandboxOffice<'_>> = population.offices().map(SandboxOffice::from).collect();
    let sandbox = Sandbox::create(dir.path(), &offices)?;
    // Kept until the relays are stopped: dropping it stops the cluster.
    let cluster = match options.store {
        StoreKind::Sqlite => None,
        StoreKind::Postgres => Some(postgres_for(&sandbox, pg_tls)?),
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
/// offices registered in a database of its own; the cluster and that database's URL. With `tls`, the cluster takes
/// TLS only, with the sandbox PKI's server certificate (127.0.0.1), and the URL verifies it against that CA.
fn postgres_for(sandbox: &Sandbox, tls: bool) -> Result<(PgCluster, String)> {
    crate::install_postgres("the load test on PostgreSQL")?;
    let dir = crate::target_dir().join("loadtest");
    let pki = transport::PkiPaths::new(&sandbox.pki);
    let cluster = if tls {
        let tls = ClusterTls {
            certificate: std::fs::read_to_string(pki.server_cert())?,
            key: std::fs::read_to_string(pki.server_key())?,
            client_ca: None,
        };
        PgCluster::start_tls(&dir, &tls)?
    } else {
        PgCluster::start(&dir)?
    };
    let mut url = cluster.database("relay")?;
    if tls {
        // A temporary folder's path: nothing in it to percent-encode.
        url = format!("{url}?sslmode=verify-full&sslrootcert={}", pki.ca_cert().display());
    }
    let registered = refserver::store::SqliteStore::open(&sandbox.data)?;
    let store = refserver::pgstore::PgStore::open(&url)?;
    for office in registered.offices(None).wait()? {
        store.put_office(&office).wait()?;
    }
    let over = if tls { "TLS, verify-full" } else { "plain" };
    eprintln!("xtask: PostgreSQL on 127.0.0.1:{} (database relay, {over})", cluster.port);
    Ok((cluster, url))
}
