//! `cargo xtask ci`: every check CI runs, in order, on the disk budget it has.

use std::process::Command;

use anyhow::{bail, Result};

use crate::{browser, cargo, docs, fixtures, fuzz, loadtest, reliability};

/// Seconds each fuzz target runs in CI (`cargo xtask fuzz` and `reliability` run 60).
const FUZZ_SECONDS: u64 = 20;

/// What a clean-clone run leaves under target/ (2.9 GB measured: test binaries, the instrumented fuzz build
/// 1.2 GB), with room to spare. A full disk shows up as a linker "Bus error" or "No space left on device" deep
/// in the build, so the shortfall is said up front.
const DISK_NEEDED_MB: u64 = 4 * 1024;

pub fn run() -> Result<()> {
    // CI builds once from a clean clone: incremental caches would only be written (1.2 GB of disk), never read.
    // Set before any child starts; xtask is still single-threaded here.
    std::env::set_var("CARGO_INCREMENTAL", "0");
    warn_if_disk_short();
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    fixtures::check()?;
    docs::check()?;
    // The store suite runs on PostgreSQL too: a throw-away cluster under target/, from Debian's server package.
    // Only an explicit opt-out lets the tests that need it skip, and then each is named on the closing line.
    let skip_postgres = opted_out(SKIP_POSTGRES);
    if skip_postgres {
        eprintln!(
            "xtask: {SKIP_POSTGRES} set: PostgreSQL is not installed for this run; its tests skip if it is missing"
        );
    } else {
        crate::install_postgres("the PostgreSQL store tests")?;
        // Set before any child starts; xtask is still single-threaded here. A test that would skip fails instead.
        std::env::set_var("CAREPLAN_REQUIRE_POSTGRES", "1");
    }
    // Tests that skip say so by name in this file (refserver/tests/common: `skipped`).
    let ledger = crate::target_dir().join("skipped-tests.txt");
    let _ = std::fs::remove_file(&ledger);
    std::env::set_var("CAREPLAN_SKIP_LEDGER", &ledger);
    cargo(&["test", "--workspace"])?;
    let skipped = std::fs::read_to_string(&ledger).unwrap_or_default();
    let skipped: Vec<&str> = skipped.lines().filter(|line| !line.trim().is_empty()).collect();
    if !skipped.is_empty() && !skip_postgres {
        bail!("tests skipped without an opt-out (a skip is not a pass):\n{}", skipped.join("\n"));
    }
    for line in skipped {
        crate::skipped(line.to_string());
    }
    // `cargo test` reports an #[ignore]d test as "ignored" and passes: here it is a skip no opt-out allows.
    let ignored = ignored_tests()?;
    if !ignored.is_empty() {
        bail!("tests marked #[ignore] (a skip is not a pass; run them or remove the mark):\n{}", ignored.join("\n"));
    }
    if opted_out(SKIP_BROWSER) {
        crate::skipped(format!("browser test xtask/src/browser/exchange.rs ({SKIP_BROWSER})"));
    } else {
        browser::run(false)?;
    }
    reliability::crash_only(10)?;
    fuzz::run(FUZZ_SECONDS)?;
    // Correctness under load, not figures: the test build, and a failure on any lost or altered message.
    loadtest::run(&loadtest::Options {
        scenario: ::loadtest::profile::Profile::MonthStart,
        run_time: loadtest::CI_RUN_TIME.into(),
        care_managers: 8,
        release: false,
        store: loadtest::StoreKind::Sqlite,
        nodes: 1,
        drive: loadtest::Drive::Http,
    })
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

/// The workspace's tests marked `#[ignore]`, by name (`cargo test -- --list --ignored`, on the build just made).
fn ignored_tests() -> Result<Vec<String>> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--workspace", "--quiet", "--", "--list", "--ignored"])
        .current_dir(crate::root())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("cargo test -- --list --ignored failed ({})", output.status);
    }
    Ok(listed_tests(&String::from_utf8_lossy(&output.stdout)))
}

/// The test names of a `--list` output (`name: test`).
fn listed_tests(list: &str) -> Vec<String> {
    list.lines().filter_map(|line| line.strip_suffix(": test")).map(String::from).collect()
}

/// Says how much disk is free under target/, as a warning when it is less than a run needs.
fn warn_if_disk_short() {
    let target = crate::target_dir();
    let probe = if target.exists() { target } else { crate::root() };
    let free_mb = Command::new("df")
        .args(["-Pm"])
        .arg(&probe)
        .output()
        .ok()
        .and_then(|out| available_mb(&String::from_utf8_lossy(&out.stdout)));
    match free_mb {
        Some(free) if free < DISK_NEEDED_MB => eprintln!(
            "xtask: warning: only {free} MB free under {}; a CI run needs about {DISK_NEEDED_MB} MB \
             (expect \"No space left on device\" or a linker Bus error)",
            probe.display()
        ),
        Some(free) => eprintln!("xtask: {free} MB free under {}", probe.display()),
        None => eprintln!("xtask: could not read free disk space (df); a CI run needs about {DISK_NEEDED_MB} MB"),
    }
}

/// The "Available" column of `df -Pm` output for its one file system.
fn available_mb(df: &str) -> Option<u64> {
    df.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{available_mb, listed_tests};

    /// Planted: one test marked #[ignore] among the listed ones is found by name.
    #[test]
    fn finds_the_ignored_tests_by_name() {
        let list = "store::slow_one: test\n\n1 test, 0 benchmarks\n0 tests, 0 benchmarks\n";
        assert_eq!(listed_tests(list), vec!["store::slow_one".to_string()]);
        assert!(listed_tests("0 tests, 0 benchmarks\n").is_empty());
    }

    #[test]
    fn reads_the_available_column_of_posix_df() {
        let df = "Filesystem     1048576-blocks  Used Available Capacity Mounted on\n\
                  /dev/vda               257999 12001     81234      13% /\n";
        assert_eq!(available_mb(df), Some(81234));
        assert_eq!(available_mb("Filesystem\n"), None);
    }
}
