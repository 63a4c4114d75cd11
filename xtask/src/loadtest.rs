//! `cargo xtask loadtest`: a test PKI and the load population in a temporary folder, the relay on loopback with
//! an empty store, goose against it (or one reference client per office, `--drive clients`; `--drive both` runs the
//! two one after the other, each on a fresh relay, and prints their figures side by side), everything stopped
//! afterwards; goose's HTML report and the end-to-end summaries land in `target/loadtest/`.

use std::process::Command;

use anyhow::{bail, Context, Result};
use loadtest::population::Population;
use loadtest::profile::Profile;

use crate::relay_process::{free_port, wait_ready, RelayGuard};
use refserver::sandbox::{Sandbox, SandboxOffice};
use refserver::store::pgcluster::{ClusterTls, PgCluster};
use refserver::store::StoreLocation;

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
    pub drive: Drive,
    /// split each run's cost per exchange over the relay's components (xtask/src/capacity.rs)
    pub capacity: bool,
    /// offices registered, with certificates, beyond those that take part (`None`: only those)
    pub registry: Option<usize>,
}

/// What plays the offices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Drive {
    /// goose users over raw HTTP, one per office
    Http,
    /// one reference client (careplan-client's library) per office, sending and receiving through its folders
    Clients,
    /// raw HTTP, then the clients, each on a fresh relay of the same population and run time
    Both,
}

impl Drive {
    /// The careplan-loadtest drives this runs, in order.
    fn runs(self) -> &'static [&'static str] {
        match self {
            Drive::Http => &["http"],
            Drive::Clients => &["clients"],
            Drive::Both => &["http", "clients"],
        }
    }
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
    if options.nodes > 1 && options.drive != Drive::Http {
        bail!("--drive clients talks to one relay node: leave --nodes at 1");
    }
    let bin = crate::relay_process::build(options.release)?;
    let out = crate::target_dir().join("loadtest");
    std::fs::create_dir_all(&out)?;
    let mut summaries = Vec::new();
    for drive in options.drive.runs() {
        let summary = out.join(if *drive == "http" { "summary.json".into() } else { format!("{drive}-summary.json") });
        let status = run_once(options, pg_tls, &bin, drive, &summary)?;
        summaries.push((*drive, summary, status));
    }
    if summaries.len() > 1 {
        eprintln!("\nxtask: 同じ母集団・同じ時間 same population, same run time, same machine:");
        for (drive, summary, _) in &summaries {
            eprintln!("xtask:   {drive:8} {}", figures(summary));
        }
    }
    for (drive, _, status) in &summaries {
        if !status.success() {
            bail!("the load test ({drive}) failed ({status}): see the summary above");
        }
    }
    Ok(())
}

/// One load run (`drive`) on a fresh relay; careplan-loadtest's exit status.
pub(crate) fn run_once(
    options: &Options,
    pg_tls: bool,
    bin: &std::path::Path,
    drive: &str,
    summary: &std::path::Path,
) -> Result<std::process::ExitStatus> {
    let out = crate::target_dir().join("loadtest");
    let dir = tempfile::tempdir()?;
    let population = Population::new(options.care_managers);
    let (sandbox, registry) = match options.registry {
        Some(registry) => crate::capacity::registry_sandbox(registry, &population, dir.path())?,
        None => {
            eprintln!("xtask: test PKI and {} offices in {}", population.len(), dir.path().display());
            let offices: Vec<SandboxOffice<'_>> = population.offices().map(SandboxOffice::from).collect();
            (Sandbox::create(dir.path(), &offices)?, population.clone())
        }
    };
    let registered = registry.len();
    if registered > population.len() {
        eprintln!("xtask: {registered} offices registered, {} of them active", population.len());
    }
    // Kept until the relays are stopped: dropping it stops the cluster.
    let cluster = match options.store {
        StoreKind::Sqlite => None,
        StoreKind::Postgres => Some(postgres_for(&sandbox, &registry, pg_tls)?),
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

    // With --capacity the load goes through a counting front per node (its own runtime, alive until the end).
    let fronts = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let wire = std::sync::Arc::new(crate::capacity::Wire::default());
    let mut targets = Vec::new();
    for base in &bases {
        targets.push(if options.capacity {
            let node: std::net::SocketAddr = base.trim_start_matches("https://").parse()?;
            format!("https://127.0.0.1:{}", crate::capacity::start_front(&fronts, node, wire.clone())?)
        } else {
            base.clone()
        });
    }
    let side = options.capacity.then(|| crate::capacity::side_measurements(&sandbox, &population)).transpose()?;
    let mut store_dirs = vec![sandbox.data.clone()];
    let postmaster = match &cluster {
        Some(_) => {
            let (pid, data) = crate::capacity::postmaster(&out).context("cannot find the PostgreSQL postmaster")?;
            store_dirs.push(data.join("base"));
            Some(pid)
        }
        None => None,
    };
    let watch = crate::capacity::Watch {
        relay_pids: relays.iter().map(|relay| relay.0.id()).collect(),
        postmaster,
        store_dirs,
        wire,
    };

    let report = out.join("report.html");
    let mut loadtest = Command::new(bin.join("careplan-loadtest"));
    loadtest
        .args(["--host", &targets[0], "--scenario", options.scenario.name(), "--run-time", &options.run_time])
        .args(["--care-managers", &options.care_managers.to_string(), "--drive", drive]);
    for target in &targets[1..] {
        loadtest.args(["--node", target]);
    }
    for relay in &relays {
        loadtest.args(["--relay-pid", &relay.0.id().to_string()]);
    }
    loadtest.arg("--pki").arg(&sandbox.pki).arg("--summary-file").arg(summary);
    if drive == "http" {
        loadtest.arg("--report-file").arg(&report);
    }
    if options.capacity {
        loadtest.arg("--measure-validation");
    }
    let before = watch.before()?;
    let status = loadtest.status().context("cannot start careplan-loadtest")?;
    if let (Some(side), true) = (&side, status.success()) {
        crate::capacity::finish(summary, &watch, &before, side, registered, population.len())?;
    }
    drop(relays);
    drop(cluster);
    fronts.shutdown_background();
    if drive == "http" {
        eprintln!("xtask: goose report {}", report.display());
    }
    eprintln!("xtask: summary {}", summary.display());
    Ok(status)
}

/// A summary's rate and latencies in one line.
fn figures(summary: &std::path::Path) -> String {
    let read = || -> Option<String> {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary).ok()?).ok()?;
        let latency = &json["latency_ms"];
        Some(format!(
            "{} exchanges in {} s → {} /s; latency ms p50 {} p99 {}; {}",
            json["exchanges"],
            json["measured_s"],
            json["exchanges_per_s"],
            latency["p50"],
            latency["p99"],
            if json["problems"].as_array().is_some_and(Vec::is_empty) { "passed" } else { "FAILED" }
        ))
    };
    read().unwrap_or_else(|| format!("no summary at {}", summary.display()))
}

/// A throw-away PostgreSQL cluster under target/ (Debian's package installed when missing) with
/// `registry`'s offices registered in a database of its own; the cluster and that database's URL. With `tls`, the cluster takes
/// TLS only, with the sandbox PKI's server certificate (127.0.0.1), and the URL verifies it against that CA.
fn postgres_for(sandbox: &Sandbox, registry: &Population, tls: bool) -> Result<(PgCluster, String)> {
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
    // Registered from the list, not copied from the embedded store: its office listing stops at 200 (a page for
    // people), which left a registry larger than that half registered (403 for the rest).
    let store = StoreLocation::Postgres { url: url.clone() }.open(refserver::store::Opener::Tool)?;
    let pending: Vec<_> = registry
        .offices()
        .map(|office| {
            store.put_office(&refserver::model::Office {
                number: office.number.clone(),
                name: office.name.clone(),
                kinds: vec![office.kind.to_string()],
                licence_until: "2099-12-31".into(),
            })
        })
        .collect();
    for registered in pending {
        registered.wait()?;
    }
    let over = if tls { "TLS, verify-full" } else { "plain" };
    eprintln!("xtask: PostgreSQL on 127.0.0.1:{} (database relay, {over})", cluster.port);
    Ok((cluster, url))
}
