//! `cargo xtask …`: the project's automation, in Rust so it runs wherever cargo does.

mod browser;
mod capacity;
mod ci;
mod client_crash;
mod client_demo;
mod country;
mod demo;
mod docs;
mod fixtures;
mod fuzz;
mod generated;
mod loadtest;
mod relay_demo;
mod relay_process;
mod reliability;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "careplan-interop automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Everything CI runs: formatting, clippy (warnings are errors), generated fixtures and docs up to date, all
    /// tests, the web page's browser test, a 10-kill crash test, 20 s of each fuzz target and a 20-second load test that fails on any lost or
    /// altered message.
    Ci,
    /// The main job on embedded defaults: check the fixture corpus is current, validate the valid exchanges
    /// (expecting no finding) and a sample of invalid ones (expecting their findings), and print the reports.
    Demo {
        /// Language of the report (default: from LANG/LC_ALL)
        #[arg(long, value_enum)]
        lang: Option<conformance::i18n::Lang>,
        /// After the two clients' exchange, keep the relay and both clients (and their local pages) running until
        /// Ctrl+C, to look at them in a browser; the relay-protocol suite runs after that
        #[arg(long)]
        stay: bool,
    },
    /// Crash test (SIGKILL under load), hostile clients, durability and property tests, as one table.
    Reliability {
        /// How many times to kill the relay (the run also stops after 4 minutes); with --client, the clients (at least 20)
        #[arg(long, default_value_t = 50)]
        kills: usize,
        /// Only measure the relay's peak memory under 8 concurrent 60 MB uploads, with this upload budget (MiB)
        #[arg(long, value_name = "BUDGET_MB")]
        memory: Option<usize>,
        /// Only the crash test of two relay nodes on one PostgreSQL (node A killed --kills times while B serves)
        #[arg(long)]
        two_nodes: bool,
        /// Only the crash test of one relay on its embedded store (killed --kills times) and the faults planted in
        /// that store
        #[arg(long)]
        embedded: bool,
        /// Only the client's crash test (both careplan-client processes killed --kills times, at least 20, while
        /// the relay serves) and its planted faults
        #[arg(long)]
        client: bool,
    },
    /// Load test: a fresh PKI and offices, the relay on loopback with an empty store, goose against it;
    /// writes target/loadtest/report.html (goose) and target/loadtest/summary.json (end-to-end exchanges).
    Loadtest {
        /// Load profile
        #[arg(long, value_enum, default_value_t = ::loadtest::profile::Profile::MonthStart)]
        scenario: ::loadtest::profile::Profile,
        /// How long goose runs, e.g. 30s, 2m (a ramp rises over this long, then holds its peak a quarter as long)
        #[arg(long, default_value = "30s")]
        run_time: String,
        /// 居宅介護支援事業所 simulated (twice as many providers; one goose user per office; default 32, for a
        /// ramp 96)
        #[arg(long)]
        care_managers: Option<usize>,
        /// Use the unoptimised test build (quicker to build; for correctness, not for figures)
        #[arg(long)]
        debug_build: bool,
        /// Where the relay keeps everything: its embedded store, or a throw-away PostgreSQL cluster (installed with
        /// apt-get when missing, started under target/, stopped at the end)
        #[arg(long, value_enum, default_value_t = loadtest::StoreKind::Sqlite)]
        store: loadtest::StoreKind,
        /// Relay nodes on that store (more than one needs --store postgres); offices are spread over them
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// With --store postgres: the cluster takes TLS only, and the relays connect with sslmode=verify-full
        #[arg(long)]
        pg_tls: bool,
        /// What plays the offices: goose users over raw HTTP, one reference client per office through its folders,
        /// or both one after the other (figures side by side; target/loadtest/clients-summary.json)
        #[arg(long, value_enum, default_value_t = loadtest::Drive::Http)]
        drive: loadtest::Drive,
        /// Also split the cost of one exchange over the relay's components (relay CPU, of which TLS and
        /// validation; PostgreSQL's CPU; bytes on the wire and at rest): printed, and `capacity` in the summary.
        /// The load then passes through a counting TCP front on loopback
        #[arg(long)]
        capacity: bool,
        /// Offices registered at the relay, each with a certificate (cached under target/loadtest/registry-N/),
        /// of which only --care-managers' population takes part
        #[arg(long)]
        registry: Option<usize>,
    },
    /// The cost of one exchange per component under the month-start load, against a registry of only the active
    /// offices and against one of --registry offices, in one session; then the country's table from the large
    /// registry's costs (target/loadtest/capacity.json)
    Capacity {
        /// Where the relay keeps everything
        #[arg(long, value_enum, default_value_t = loadtest::StoreKind::Sqlite)]
        store: loadtest::StoreKind,
        /// Each run's length
        #[arg(long, default_value = "30s")]
        run_time: String,
        /// 居宅介護支援事業所 taking part (twice as many providers)
        #[arg(long, default_value_t = country::ACTIVE_CARE_MANAGERS)]
        care_managers: usize,
        /// Offices registered in the large run
        #[arg(long, default_value_t = 20_000)]
        registry: usize,
        /// Use the unoptimised test build (for checking the command, not for figures)
        #[arg(long)]
        debug_build: bool,
    },
    /// The web page end to end in headless Chromium against a relay on loopback: drop files, see a finding, send,
    /// open the inbox as the recipient, preview, acknowledge, see the status on the sender's side. Installs
    /// Debian's chromium, libnss3-tools and openssl when missing (needs root); drives Chromium from Rust over the
    /// DevTools protocol.
    /// Screenshots: target/e2e/.
    Browser {
        /// Also copy the README's screenshots (send page, 第2表 preview) to docs/screenshots/
        #[arg(long)]
        update_screenshots: bool,
    },
    /// Run every cargo fuzz target (fuzz/) for a bounded time, seeded from the fixtures, replaying
    /// fuzz/regressions/ first; fails on any crash.
    Fuzz {
        /// Seconds per target
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Write the reference under docs/ (rules, file kinds, code tables, assumptions) from the code.
    Docs {
        /// Fail if docs/ differs from a fresh rendering instead of writing it
        #[arg(long)]
        check: bool,
    },
    /// Write the fixture corpus (fixtures/valid/…), or with --scale N a large generated set elsewhere.
    Fixtures {
        /// Write N users' monthly ticket units into --out instead of the committed corpus
        #[arg(long)]
        scale: Option<usize>,
        /// Where --scale writes (default: target/fixtures-scale)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fail if the committed corpus differs from a fresh generation instead of writing it
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    let (name, reports) = command.summary();
    let started = std::time::Instant::now();
    let outcome = run(command);
    let time = minutes_and_seconds(started.elapsed());
    // One line at the end, whatever came before it: the verdict, the time, where to look.
    match outcome {
        Ok(()) => {
            // A skip is not a pass: what an opt-out skipped is named on the verdict's line.
            let skipped = SKIPPED.lock().map(|s| s.clone()).unwrap_or_default();
            let verdict = if skipped.is_empty() {
                "合格 passed".to_string()
            } else {
                format!("合格 passed, {} SKIPPED by opt-out ({})", skipped.len(), skipped.join("; "))
            };
            eprintln!(
                "\nxtask {name}: {verdict} in {time}{}",
                reports.map(|r| format!(" — reports: {r}")).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("xtask: {error:#}");
            eprintln!("\nxtask {name}: 不合格 FAILED after {time} — the reason is just above");
            ExitCode::FAILURE
        }
    }
}

impl Task {
    /// The task's name for the closing line, and where its reports land (if it writes any).
    fn summary(&self) -> (&'static str, Option<&'static str>) {
        match self {
            Task::Ci => ("ci", Some("target/e2e/ (screenshots), target/loadtest/, target/fuzz-logs/")),
            Task::Demo { .. } => ("demo", Some("target/demo/relay.html")),
            Task::Reliability { .. } => ("reliability", None),
            Task::Loadtest { .. } => ("loadtest", Some("target/loadtest/summary.json, target/loadtest/report.html")),
            Task::Capacity { .. } => ("capacity", Some("target/loadtest/capacity.json")),
            Task::Browser { .. } => ("browser", Some("target/e2e/")),
            Task::Fuzz { .. } => ("fuzz", Some("target/fuzz-logs/")),
            Task::Docs { .. } => ("docs", None),
            Task::Fixtures { .. } => ("fixtures", None),
        }
    }
}

/// A duration as a person reads it: `8.4 s` under a minute, `12 m 34 s` above.
pub fn minutes_and_seconds(took: std::time::Duration) -> String {
    let seconds = took.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{} m {:02} s", took.as_secs() / 60, took.as_secs() % 60)
    }
}

/// The opt-out that lets the tests needing PostgreSQL skip where it is not installed (each then named as skipped);
/// without it CI installs PostgreSQL and a test that would skip fails.
pub const SKIP_POSTGRES: &str = "CAREPLAN_SKIP_POSTGRES";
/// The opt-out that skips the browser test (then named as skipped); without it CI installs Chromium and runs it.
pub const SKIP_BROWSER: &str = "CAREPLAN_SKIP_BROWSER";

/// Whether the run opted out with `variable` (set, non-empty, not `0`).
pub fn opted_out(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|value| !value.is_empty() && value != "0")
}

/// What this run skipped under an explicit opt-out (`opted_out`), by name: named again on the closing line.
static SKIPPED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Records a skipped test or step by name (and why), for the closing line.
pub fn skipped(what: String) {
    eprintln!("xtask: SKIPPED {what}");
    if let Ok(mut skipped) = SKIPPED.lock() {
        skipped.push(what);
    }
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` (relative to the workspace root) or `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// Installs Debian packages with apt-get (as root), updating the package lists once when the first try fails (a
/// fresh machine's may be stale or empty), and drops the downloaded .deb files after (CI's disk is tight).
pub fn install_debian_packages(packages: &[&str], needed_by: &str) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    eprintln!("installing {} (Debian packages) for {needed_by}", packages.join(", "));
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run_command(&mut command).with_context(|| {
            format!("apt-get failed: {needed_by} installs Debian packages and needs root (or run the same apt-get yourself)")
        })
    };
    let install = [&["install", "-y", "--no-install-recommends"][..], packages].concat();
    if apt(&install).is_err() {
        apt(&["update"])?;
        apt(&install)?;
    }
    apt(&["clean"])
}

/// Makes PostgreSQL's server programs available for the tests' throw-away clusters: installs Debian's
/// `postgresql` when they are missing, and stops the default cluster the package may have started (the tests
/// start their own on free ports under target/; nothing is left running).
pub fn install_postgres(needed_by: &str) -> Result<()> {
    if refserver::store::pgcluster::PgCluster::installed() {
        return Ok(());
    }
    install_debian_packages(&["postgresql"], needed_by)?;
    let clusters = Command::new("pg_lsclusters").arg("--no-header").output();
    for line in clusters.iter().flat_map(|output| {
        String::from_utf8_lossy(&output.stdout).into_owned().lines().map(String::from).collect::<Vec<_>>()
    }) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [version, name, _, "online", ..] = fields.as_slice() {
            eprintln!("stopping the PostgreSQL cluster {version}/{name} the package started");
            run_command(Command::new("pg_ctlcluster").args([version, name, "stop"]))?;
        }
    }
    Ok(())
}

/// Runs a command to its end; its output is shown only when it fails.
pub fn run_command(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A cargo command in the workspace root, in the environment the shell gave `cargo xtask`. `cargo run` sets
/// `CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR` and the like for xtask; a build script that reads one of them (ring's
/// does, through `rerun-if-env-changed`) would see them changed and make the child rebuild it and everything above
/// it, although nothing changed (seen in a fresh CI run: ring, rustls, reqwest and the relay compiled twice).
pub fn cargo_command() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command.env_remove(name);
        }
    }
    command.current_dir(root());
    command
}

/// The variables `cargo run` sets for the program it runs, beyond `CARGO` (see cargo's "Environment variables
/// Cargo sets for crates").
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

pub fn cargo(args: &[&str]) -> Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = cargo_command().args(args).status().with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn run(task: Task) -> Result<()> {
    match task {
        Task::Ci => ci::run(),
        Task::Demo { lang, stay } => demo::run(lang.unwrap_or_else(conformance::i18n::Lang::from_env), stay),
        Task::Fixtures { scale: Some(users), out, .. } => {
            let out = out.unwrap_or_else(|| root().join("target/fixtures-scale"));
            fixtures::write_scale(users, &out)
        }
        Task::Fixtures { check: true, .. } => fixtures::check(),
        Task::Reliability { memory: Some(budget_mb), .. } => reliability::memory_only(budget_mb),
        Task::Reliability { kills, two_nodes: true, .. } => reliability::two_nodes_only(kills),
        Task::Reliability { kills, embedded: true, .. } => reliability::embedded_only(kills),
        Task::Reliability { kills, client: true, .. } => reliability::client_only(kills),
        Task::Reliability { kills, memory: None, .. } => reliability::run(kills),
        Task::Browser { update_screenshots } => browser::run(update_screenshots),
        Task::Fuzz { seconds } => fuzz::run(seconds, fuzz::Build::Optimised).map(|_| ()),
        Task::Loadtest {
            scenario,
            run_time,
            care_managers,
            debug_build,
            store,
            nodes,
            pg_tls,
            drive,
            capacity,
            registry,
        } => {
            let care_managers = care_managers.unwrap_or_else(|| scenario.default_care_managers());
            let release = !debug_build;
            let options = loadtest::Options {
                scenario,
                run_time,
                care_managers,
                release,
                store,
                nodes,
                drive,
                capacity,
                registry,
            };
            loadtest::run_with(&options, pg_tls)
        }
        Task::Capacity { store, run_time, care_managers, registry, debug_build } => {
            country::run(store, &run_time, care_managers, registry, !debug_build)
        }
        Task::Docs { check: true } => docs::check(),
        Task::Docs { check: false } => docs::write(),
        Task::Fixtures { .. } => fixtures::write(),
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test` sets CARGO_PKG_NAME and CARGO_MANIFEST_DIR for this test as `cargo run` does for xtask: a
    /// cargo started from here must not inherit them, while where to build (CARGO_TARGET_DIR) and CARGO_HOME stay.
    #[test]
    fn a_child_cargo_does_not_inherit_what_cargo_set_for_xtask() {
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some(), "cargo test sets it");
        let command = super::cargo_command();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_PKG_NAME", "CARGO_MANIFEST_DIR", "CARGO_PKG_VERSION"] {
            assert!(removed.iter().any(|r| r == name), "{name} is passed on: {removed:?}");
        }
        assert!(!super::set_by_cargo_run("CARGO_TARGET_DIR") && !super::set_by_cargo_run("CARGO_HOME"));
    }
}
