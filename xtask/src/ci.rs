//! `cargo xtask ci`: every check CI runs, in order, on the disk budget it has.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::{browser, cargo, docs, fixtures, fuzz, loadtest, opted_out, reliability, SKIP_BROWSER, SKIP_POSTGRES};

/// Seconds each fuzz target runs in CI (`cargo xtask fuzz` and `reliability` run 60).
const FUZZ_SECONDS: u64 = 20;

/// What a clean-clone run leaves under target/ (6.4 GB measured on 2026-12-05: test binaries, the incremental caches
/// of the workspace's crates, the fuzz build), with room to spare. A full disk shows up as a linker "Bus error" or "No space left on device" deep
/// in the build, so the shortfall is said up front.
const DISK_NEEDED_MB: u64 = 8 * 1024;

pub fn run() -> Result<()> {
    // CARGO_INCREMENTAL is left as `cargo xtask` was built with: the workspace's crates built incrementally for xtask
    // are then reused by the test build, where switching it off here rebuilt every one of them (about 1.2 GB of
    // incremental caches is the price).
    warn_if_disk_short();
    let mut steps = Steps::default();
    let outcome = run_steps(&mut steps);
    // Where the minutes went, on success and on failure alike (the 15-minute budget is judged step by step).
    eprintln!("\nxtask ci: time per step");
    for (name, took) in &steps.0 {
        eprintln!("  {:>9}  {name}", crate::minutes_and_seconds(*took));
    }
    outcome
}

fn run_steps(steps: &mut Steps) -> Result<()> {
    steps.run("cargo fmt --check", || cargo(&["fmt", "--all", "--", "--check"]))?;
    steps.run("feature sets agree (xtask / workspace tests)", feature_sets_agree)?;
    steps.run("cargo clippy", || cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    steps.run("fixtures and docs current", || {
        fixtures::check()?;
        docs::check()
    })?;
    // The store suite runs on PostgreSQL too: a throw-away cluster under target/, from Debian's server package.
    // Only an explicit opt-out lets the tests that need it skip, and then each is named on the closing line.
    let skip_postgres = opted_out(SKIP_POSTGRES);
    if skip_postgres {
        eprintln!(
            "xtask: {SKIP_POSTGRES} set: PostgreSQL is not installed for this run; its tests skip if it is missing"
        );
    } else {
        steps.run("PostgreSQL installed", || crate::install_postgres("the PostgreSQL store tests"))?;
        // Set before any child starts; xtask is still single-threaded here. A test that would skip fails instead.
        std::env::set_var("CAREPLAN_REQUIRE_POSTGRES", "1");
    }
    // Tests that skip say so by name in this file (refserver/tests/common: `skipped`).
    let ledger = crate::target_dir().join("skipped-tests.txt");
    let _ = std::fs::remove_file(&ledger);
    std::env::set_var("CAREPLAN_SKIP_LEDGER", &ledger);
    steps.run("cargo test --workspace (build and run)", || cargo(&["test", "--workspace"]))?;
    let skipped = std::fs::read_to_string(&ledger).unwrap_or_default();
    let skipped: Vec<&str> = skipped.lines().filter(|line| !line.trim().is_empty()).collect();
    if !skipped.is_empty() && !skip_postgres {
        bail!("tests skipped without an opt-out (a skip is not a pass):\n{}", skipped.join("\n"));
    }
    for line in skipped {
        crate::skipped(line.to_string());
    }
    // `cargo test` reports an #[ignore]d test as "ignored" and passes: here it is a skip no opt-out allows.
    let ignored = steps.run("no test #[ignore]d", ignored_tests)?;
    if !ignored.is_empty() {
        bail!("tests marked #[ignore] (a skip is not a pass; run them or remove the mark):\n{}", ignored.join("\n"));
    }
    if opted_out(SKIP_BROWSER) {
        crate::skipped(format!("browser test xtask/src/browser/exchange.rs ({SKIP_BROWSER})"));
    } else {
        steps.run("browser test", || browser::run(false))?;
    }
    steps.run("crash rows (10 kills)", || reliability::crash_only(10))?;
    steps.run("fuzz (build and 20 s per target)", || fuzz::run(FUZZ_SECONDS, fuzz::Build::Checked).map(drop))?;
    // Correctness under load, not figures: the test build, and a failure on any lost or altered message.
    steps.run("load test", || {
        loadtest::run(&loadtest::Options {
            scenario: ::loadtest::profile::Profile::MonthStart,
            run_time: loadtest::CI_RUN_TIME.into(),
            care_managers: 8,
            release: false,
            store: loadtest::StoreKind::Sqlite,
            nodes: 1,
            drive: loadtest::Drive::Http,
            capacity: false,
            registry: None,
        })
    })
}

/// The steps run so far and how long each took.
#[derive(Default)]
struct Steps(Vec<(&'static str, Duration)>);

impl Steps {
    fn run<T>(&mut self, name: &'static str, step: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let outcome = step();
        self.0.push((name, started.elapsed()));
        outcome
    }
}

/// Fails when xtask's own build and the workspace's test build would compile a shared crate with different
/// features. Each difference makes `cargo test --workspace` rebuild that crate and everything above it after
/// `cargo xtask` built it once (measured on a fresh clone: xtask 5 m 27 s, then the tests' build 2 m 48 s on 2 cores);
/// the pins in xtask/Cargo.toml ask for what the tests' dev-dependencies turn on.
fn feature_sets_agree() -> Result<()> {
    let tree = |args: &[&str]| -> Result<String> {
        let output = crate::cargo_command()
            .args(["tree", "--quiet", "--prefix", "none", "--format", "{p} {f}"])
            .args(args)
            .output()?;
        if !output.status.success() {
            bail!("cargo tree {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let xtask = tree(&["--package", "xtask", "--edges", "normal,build"])?;
    let tests = tree(&["--workspace"])?;
    let differ = features_built_twice(&xtask, &tests);
    if !differ.is_empty() {
        bail!(
            "xtask's build and the workspace's tests ask for different features of {} (the tests would rebuild it \
             and everything above it): pin the tests' features in xtask/Cargo.toml ({})",
            differ.join(", "),
            "cargo tree --workspace -e features -i <crate> shows who asks"
        );
    }
    Ok(())
}

/// The packages `xtask` builds with features other than the workspace's test build gives them (`cargo tree`
/// lines `name version features`).
fn features_built_twice(xtask: &str, tests: &str) -> Vec<String> {
    let lines = |tree: &str| -> BTreeSet<String> {
        tree.lines().map(|line| line.trim_end_matches(" (*)").trim().to_string()).filter(|l| !l.is_empty()).collect()
    };
    let tests = lines(tests);
    let mut differ: Vec<String> =
        lines(xtask).difference(&tests).map(|line| line.split(' ').take(2).collect::<Vec<_>>().join(" ")).collect();
    differ.dedup();
    differ
}

/// The workspace's tests marked `#[ignore]`, by name (`cargo test -- --list --ignored`, on the build just made).
fn ignored_tests() -> Result<Vec<String>> {
    let output = crate::cargo_command()
        .args(["test", "--workspace", "--quiet", "--", "--list", "--ignored"])
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
    use super::{available_mb, features_built_twice, listed_tests};

    /// Planted: serde_core without its `default` feature in xtask's tree is named; the same lines are not.
    #[test]
    fn finds_a_crate_xtask_builds_with_other_features() {
        let tests = "serde_core v1.0.229 alloc,default,result,std\nclient v0.1.0 (/w/client) faults\n";
        assert!(features_built_twice(tests, tests).is_empty());
        let xtask = "serde_core v1.0.229 alloc,result,std\nclient v0.1.0 (/w/client) faults (*)\n";
        assert_eq!(features_built_twice(xtask, tests), vec!["serde_core v1.0.229".to_string()]);
    }

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
