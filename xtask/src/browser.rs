//! `cargo xtask browser`: the web page end to end in headless Chromium against a real relay on 127.0.0.1.
//!
//! What it sets up, so that the browser presents each office's client certificate exactly as an office PC would:
//! Debian's `chromium`, `libnss3-tools`, `openssl` and a Japanese font (installed with apt-get when missing); a Chromium policy
//! (`AutoSelectCertificateForUrls` for `https://127.0.0.1:*`, the only URL it applies to) so the certificate is
//! chosen without a dialog; per office a home folder whose NSS database (`~/.pki/nssdb`, where Chromium on Linux
//! keeps certificates) holds the office's PKCS#12 identity and trusts the test CA; `playwright-core` from npm
//! (pinned by `refserver/e2e/package-lock.json`; it drives the system Chromium, never downloads one). The test
//! itself is `refserver/e2e/exchange.test.mjs`; its screenshots land in `target/e2e/`. The policy is removed when
//! the test ends, pass or fail: left behind, it would let any page on 127.0.0.1 get a certificate without asking.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use refserver::sandbox::{Sandbox, SandboxOffice, CARE_MANAGER, HOME_HELP};

use crate::relay_process::{free_port, wait_ready, RelayGuard};

const CHROMIUM: &str = "/usr/bin/chromium";
/// A third office, neither sender nor recipient of the test's messages.
const DAY_SERVICE: &str = "1370003183";
const POLICY_FILE: &str = "/etc/chromium/policies/managed/careplan-interop-e2e.json";
const POLICY: &str =
    "{\"AutoSelectCertificateForUrls\": [\"{\\\"pattern\\\":\\\"https://127.0.0.1:*\\\",\\\"filter\\\":{}}\"]}\n";
/// The whole browser test, set-up excluded, ends within this (the test's own steps time out sooner).
const TEST_DEADLINE: Duration = Duration::from_secs(240);

/// Runs the browser test; with `update_screenshots`, copies the README's screenshots into docs/screenshots/.
pub fn run(update_screenshots: bool) -> Result<()> {
    install_browser()?;
    let _policy = CertificatePolicy::install()?;
    let e2e = crate::root().join("refserver/e2e");
    crate::run_command(
        Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&e2e),
    )?;
    let bin = crate::relay_process::build(false)?;

    let dir = tempfile::tempdir()?;
    let office = |number, kind, name| SandboxOffice { number, kinds: vec![kind], name, licence_until: "2099-12-31" };
    let sandbox = Sandbox::create(
        dir.path(),
        &[
            office(CARE_MANAGER, "43", "さくら居宅介護支援事業所"),
            office(HOME_HELP, "11", "ヘルパーステーションひまわり"),
            office(DAY_SERVICE, "15", "デイサービスあおば"),
        ],
    )?;
    let care_manager_home = browser_home(&sandbox, dir.path(), CARE_MANAGER)?;
    let home_help_home = browser_home(&sandbox, dir.path(), HOME_HELP)?;
    let day_service_home = browser_home(&sandbox, dir.path(), DAY_SERVICE)?;

    let port = free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let _relay = RelayGuard(sandbox.spawn_relay(&bin.join("careplan-refserver"), port)?);
    let probe = sandbox.client(CARE_MANAGER)?;
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(wait_ready(&probe, &base))?;

    let artifacts = crate::target_dir().join("e2e");
    // Screenshots of an earlier run (a failed step's above all) would read as this run's.
    if artifacts.exists() {
        std::fs::remove_dir_all(&artifacts)?;
    }
    std::fs::create_dir_all(&artifacts)?;
    eprintln!("browser test against {base}; screenshots in {}", artifacts.display());
    // The spec reporter for the terminal, TAP into a file: a step that skipped (or is a todo) is not a pass.
    let tap = artifacts.join("exchange.tap");
    let mut test = Command::new("node");
    test.args(["--test", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=tap"])
        .arg(format!("--test-reporter-destination={}", tap.display()))
        .arg("exchange.test.mjs")
        .current_dir(&e2e)
        .env("RELAY_URL", &base)
        .env("CHROMIUM", CHROMIUM)
        .env("SENDER_HOME", &care_manager_home)
        .env("RECIPIENT_HOME", &home_help_home)
        .env("OUTSIDER_HOME", &day_service_home)
        .env("FIXTURES", crate::root().join("fixtures"))
        .env("ARTIFACTS", &artifacts)
        .env("REFSERVER", bin.join("careplan-refserver"))
        .env("PKI", &sandbox.pki);
    run_with_deadline(&mut test, TEST_DEADLINE)?;
    let steps = steps_that_passed(&std::fs::read_to_string(&tap).with_context(|| format!("read {}", tap.display()))?)?;
    eprintln!("browser test: {steps} steps passed, none skipped");

    if update_screenshots {
        let docs = crate::root().join("docs/screenshots");
        std::fs::create_dir_all(&docs)?;
        for name in [
            "send-page.png",
            "05-inbox.png",
            "preview-table2.png",
            "preview-table6.png",
            "preview-table7.png",
            "evidence-print.png",
        ] {
            std::fs::copy(artifacts.join(name), docs.join(name)).with_context(|| format!("copy {name}"))?;
            eprintln!("updated docs/screenshots/{name}");
        }
    }
    Ok(())
}

/// The Chromium policy that picks the client certificate for https://127.0.0.1:* without a dialog, for as long as
/// this value lives.
struct CertificatePolicy;

impl CertificatePolicy {
    fn install() -> Result<CertificatePolicy> {
        let policy = Path::new(POLICY_FILE);
        if let Some(parent) = policy.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("create {} (needs root)", parent.display()))?;
        }
        std::fs::write(policy, POLICY).with_context(|| format!("write {POLICY_FILE} (needs root)"))?;
        eprintln!("wrote {POLICY_FILE} for this test: Chromium picks the client certificate for https://127.0.0.1:*");
        Ok(CertificatePolicy)
    }
}

impl Drop for CertificatePolicy {
    fn drop(&mut self) {
        match std::fs::remove_file(POLICY_FILE) {
            Ok(()) => eprintln!("removed {POLICY_FILE}"),
            Err(error) => eprintln!("could not remove {POLICY_FILE}: {error} — remove it by hand"),
        }
    }
}

/// Installs what the test needs from Debian's packages, when they are missing.
fn install_browser() -> Result<()> {
    let needed = [
        ("chromium", CHROMIUM),
        ("libnss3-tools", "/usr/bin/pk12util"),
        ("openssl", "/usr/bin/openssl"),
        // A Japanese font, or every screenshot shows boxes instead of text.
        ("fonts-ipafont-gothic", "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf"),
        // Machines of this project's kind come with Node.js 20 and npm; Debian's are the fallback.
        ("nodejs", "/usr/bin/node"),
        ("npm", "/usr/bin/npm"),
    ];
    let missing: Vec<&str> =
        needed.into_iter().filter(|(_, program)| !Path::new(program).exists()).map(|(package, _)| package).collect();
    crate::install_debian_packages(&missing, "the browser test")?;
    Ok(())
}

/// A home folder for one office's browser: its NSS database holds the office's identity and trusts the test CA.
fn browser_home(sandbox: &Sandbox, dir: &Path, office: &str) -> Result<PathBuf> {
    let home = dir.join(format!("home-{office}"));
    let nssdb = home.join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb)?;
    let db = format!("sql:{}", nssdb.display());
    let paths = sandbox.paths();
    let p12 = dir.join(format!("{office}.p12"));
    crate::run_command(Command::new("certutil").args(["-N", "--empty-password", "-d", &db]))?;
    // What an office does with the certificate it was given: bundle certificate and key as PKCS#12, import it.
    crate::run_command(
        Command::new("openssl")
            .args(["pkcs12", "-export", "-passout", "pass:", "-name", office])
            .arg("-in")
            .arg(paths.office_cert(office))
            .arg("-inkey")
            .arg(paths.office_key(office))
            .arg("-out")
            .arg(&p12),
    )?;
    crate::run_command(Command::new("pk12util").args(["-d", &db, "-W", ""]).arg("-i").arg(&p12))?;
    crate::run_command(
        Command::new("certutil")
            .args(["-A", "-d", &db, "-n", "careplan-interop test CA", "-t", "C,,"])
            .arg("-i")
            .arg(paths.ca_cert()),
    )?;
    Ok(home)
}

/// How many tests a `node --test` TAP report says passed; an error when one was skipped or marked todo (named), when
/// any failed or was cancelled, or when none ran.
fn steps_that_passed(tap: &str) -> Result<usize> {
    let count = |what: &str| -> usize {
        tap.lines()
            .filter(|line| !line.starts_with(' '))
            .find_map(|line| line.strip_prefix(&format!("# {what} "))?.trim().parse().ok())
            .unwrap_or(0)
    };
    let not_run: Vec<&str> = tap
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("ok ") && (line.contains(" # SKIP") || line.contains(" # TODO")))
        .collect();
    if count("skipped") + count("todo") > 0 || !not_run.is_empty() {
        bail!("the browser test skipped steps (a skip is not a pass): {}", not_run.join("; "));
    }
    if count("fail") + count("cancelled") > 0 {
        bail!("the browser test has failed or cancelled steps");
    }
    match count("pass") {
        0 => bail!("the browser test ran no step"),
        passed => Ok(passed),
    }
}

/// Runs a command with inherited output; kills it at the deadline.
fn run_with_deadline(command: &mut Command, deadline: Duration) -> Result<()> {
    let mut child = command.spawn().with_context(|| format!("cannot run {command:?} (is Node.js installed?)"))?;
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("the browser test failed ({status}); screenshots are in target/e2e/");
            }
            return Ok(());
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the browser test did not end within {} s", deadline.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::steps_that_passed;

    const TAIL: &str = "# tests 2\n# suites 0\n# pass 2\n# fail 0\n# cancelled 0\n# skipped 0\n# todo 0\n";

    /// Planted: a step skipped (`test(name, { skip: true }, …)` or `t.skip()`) makes `node --test` exit 0; the run fails.
    #[test]
    fn a_skipped_browser_step_is_not_a_pass() {
        let passed = format!("TAP version 13\nok 1 - the page opens\nok 2 - sending shows the id\n1..2\n{TAIL}");
        assert_eq!(steps_that_passed(&passed).unwrap(), 2);
        let skipped = "TAP version 13\nok 1 - the page opens\nok 2 - sending shows the id # SKIP\n1..2\n\
                       # tests 2\n# pass 1\n# fail 0\n# cancelled 0\n# skipped 1\n# todo 0\n";
        let error = steps_that_passed(skipped).unwrap_err().to_string();
        assert!(error.contains("ok 2 - sending shows the id # SKIP"), "{error}");
        let none = "TAP version 13\n1..0\n# tests 0\n# pass 0\n# fail 0\n# skipped 0\n# todo 0\n";
        assert!(steps_that_passed(none).is_err());
    }
}
