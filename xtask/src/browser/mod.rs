//! `cargo xtask browser`: the web page end to end in headless Chromium against a real relay on 127.0.0.1.
//!
//! What it sets up, so that the browser presents each office's client certificate exactly as an office PC would:
//! Debian's `chromium`, `libnss3-tools`, `openssl` and a Japanese font (installed with apt-get when missing); a Chromium policy
//! (`AutoSelectCertificateForUrls` for `https://127.0.0.1:*`, the only URL it applies to) so the certificate is
//! chosen without a dialog; per office a home folder under `target/e2e-homes/` whose NSS database (`~/.pki/nssdb`,
//! where Chromium on Linux keeps certificates) holds the office's PKCS#12 identity and trusts the test CA. The test
//! itself (`exchange`) drives one Chromium per office over the DevTools protocol (`office`, with chromiumoxide);
//! its screenshots land in `target/e2e/`. The policy is removed when the test ends, pass or fail: left behind, it
//! would let any page on 127.0.0.1 get a certificate without asking.

mod exchange;
mod office;

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
    // Each office's browser profile and NSS database, under target/ (an earlier run's are dropped first).
    let homes = crate::target_dir().join("e2e-homes");
    if homes.exists() {
        std::fs::remove_dir_all(&homes)?;
    }
    let care_manager_home = browser_home(&sandbox, &homes, CARE_MANAGER)?;
    let home_help_home = browser_home(&sandbox, &homes, HOME_HELP)?;
    let day_service_home = browser_home(&sandbox, &homes, DAY_SERVICE)?;

    let port = free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let _relay = RelayGuard(sandbox.spawn_relay(&bin.join("careplan-refserver"), port)?);
    let artifacts = crate::target_dir().join("e2e");
    // Screenshots of an earlier run (a failed step's above all) would read as this run's.
    if artifacts.exists() {
        std::fs::remove_dir_all(&artifacts)?;
    }
    std::fs::create_dir_all(&artifacts)?;

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let steps = runtime.block_on(async {
        wait_ready(&sandbox.client(CARE_MANAGER)?, &base).await?;
        eprintln!("browser test against {base}; screenshots in {}", artifacts.display());
        let chromium = Path::new(CHROMIUM);
        let story = exchange::Story {
            relay: base.clone(),
            fixtures: crate::root().join("fixtures"),
            artifacts: artifacts.clone(),
            refserver: bin.join("careplan-refserver"),
            pki: sandbox.pki.clone(),
            sender: office::OfficeBrowser::launch(chromium, &care_manager_home).await?,
            recipient: office::OfficeBrowser::launch(chromium, &home_help_home).await?,
            outsider: office::OfficeBrowser::launch(chromium, &day_service_home).await?,
        };
        let outcome = tokio::time::timeout(TEST_DEADLINE, exchange::run(&story)).await;
        for browser in [story.sender, story.recipient, story.outsider] {
            browser.close().await;
        }
        match outcome {
            Ok(steps) => steps,
            Err(_) => bail!("the browser test did not end within {} s", TEST_DEADLINE.as_secs()),
        }
    });
    let steps = steps.context("the browser test failed; screenshots are in target/e2e/")?;
    eprintln!("browser test: {steps} steps passed");

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
    ];
    let missing: Vec<&str> =
        needed.into_iter().filter(|(_, program)| !Path::new(program).exists()).map(|(package, _)| package).collect();
    crate::install_debian_packages(&missing, "the browser test")?;
    Ok(())
}

/// A home folder for one office's browser: its NSS database holds the office's identity and trusts the test CA.
fn browser_home(sandbox: &Sandbox, dir: &Path, office: &str) -> Result<PathBuf> {
    let home = dir.join(office);
    let nssdb = home.join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb)?;
    let db = format!("sql:{}", nssdb.display());
    let paths = sandbox.paths();
    let p12 = home.join(format!("{office}.p12"));
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
