//! `cargo xtask loadtest`: a test PKI and the load population in a temporary folder, the relay on loopback with
//! an empty store, goose against it, everything stopped afterwards; goose's HTML report and the end-to-end
//! summary land in `target/loadtest/`.

use std::process::Command;

use anyhow::{bail, Context, Result};
use loadtest::population::Population;
use loadtest::profile::Profile;

use crate::relay_process::{free_port, wait_ready, RelayGuard};

/// The short run CI makes: long enough for every office to exchange many times, short enough for the budget.
pub const CI_RUN_TIME: &str = "20s";

pub struct Options {
    pub scenario: Profile,
    pub run_time: String,
    pub care_managers: usize,
    /// optimised build (what the figures are measured with); CI's short run uses the test build it already has
    pub release: bool,
}

pub fn run(options: &Options) -> Result<()> {
    let bin = crate::relay_process::build(options.release)?;
    let out = crate::target_dir().join("loadtest");
    std::fs::create_dir_all(&out)?;

    let dir = tempfile::tempdir()?;
    let population = Population::new(options.care_managers);
    eprintln!("xtask: test PKI and {} offices in {}", population.len(), dir.path().display());
    let sandbox = population.create_sandbox(dir.path())?;
    let port = free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let relay = RelayGuard(sandbox.spawn_relay(&bin.join("careplan-refserver"), port)?);
    let probe = sandbox.client(&population.care_managers[0].number)?;
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(wait_ready(&probe, &base))?;

    let (report, summary) = (out.join("report.html"), out.join("summary.json"));
    let status = Command::new(bin.join("careplan-loadtest"))
        .args(["--host", &base, "--scenario", options.scenario.name(), "--run-time", &options.run_time])
        .args(["--care-managers", &options.care_managers.to_string()])
        .args(["--relay-pid", &relay.0.id().to_string()])
        .arg("--pki")
        .arg(&sandbox.pki)
        .arg("--report-file")
        .arg(&report)
        .arg("--summary-file")
        .arg(&summary)
        .status()
        .context("cannot start careplan-loadtest")?;
    drop(relay);
    eprintln!("xtask: goose report {}\nxtask: summary {}", report.display(), summary.display());
    if !status.success() {
        bail!("the load test failed ({status}): see the summary above");
    }
    Ok(())
}
