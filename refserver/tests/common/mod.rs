//! The harness of the relay tests over real mutual TLS: a sandbox with four offices and a relay on 127.0.0.1 with a
//! port from the OS, and HTTPS clients that present each office's certificate.

#![allow(dead_code)] // each test file uses its part of the harness
#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use refserver::sandbox::{Sandbox, SandboxOffice, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, RunningServer, ServerConfig};
use reqwest::StatusCode;
use serde_json::Value;
use suites::relay::send_form;
use transport::PkiPaths;

pub const DAY_SERVICE: &str = "1370003183";
pub const LAPSED: &str = "1370009990";

pub struct Relay {
    pub dir: tempfile::TempDir,
    pub server: Option<RunningServer>,
    pub addr: SocketAddr,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The files of one send unit of the corpus: `folder` below fixtures/, names ending in `serial`.
pub fn unit(folder: &str, serial: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixtures().join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(serial)))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

pub fn plan_unit() -> Vec<(String, Vec<u8>)> {
    unit("valid/kaigo2-new-plan", "_20250425090000.")
}

pub fn config(dir: &Path) -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.join("data"), dir.join("pki"))
}

impl Relay {
    pub async fn start() -> Relay {
        Relay::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Relay {
        let dir = tempfile::tempdir().expect("temp dir");
        let office =
            |number, kind, name, licence_until| SandboxOffice { number, kinds: vec![kind], name, licence_until };
        Sandbox::create(
            dir.path(),
            &[
                office(CARE_MANAGER, "43", "ケアプランセンターさくら", "2099-12-31"),
                office(HOME_HELP, "11", "ヘルパーステーションひまわり", "2099-12-31"),
                office(DAY_SERVICE, "15", "デイサービスあおば", "2099-12-31"),
                office(LAPSED, "43", "ケアプランセンター休止中", "2020-03-31"),
            ],
        )
        .expect("sandbox");
        let mut config = config(dir.path());
        adjust(&mut config);
        let server = server::start(config).await.expect("server starts");
        let addr = server.local_addr;
        Relay { dir, server: Some(server), addr }
    }

    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let server = server::start(config(self.dir.path())).await.expect("server restarts");
        self.addr = server.local_addr;
        self.server = Some(server);
    }

    pub fn client_with(&self, cert: &Path, key: &Path) -> reqwest::Client {
        let ca = std::fs::read(PkiPaths::new(self.dir.path().join("pki")).ca_cert()).unwrap();
        let identity = [std::fs::read(cert).unwrap(), std::fs::read(key).unwrap()].concat();
        transport::https_client(&ca, &identity).unwrap()
    }

    pub fn client(&self, office: &str) -> reqwest::Client {
        let paths = PkiPaths::new(self.dir.path().join("pki"));
        self.client_with(&paths.office_cert(office), &paths.office_key(office))
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    pub async fn send(
        &self,
        from: &str,
        to: &str,
        files: &[(String, Vec<u8>)],
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let form = send_form(to, files);
        let mut request = self.client(from).post(self.url("/v1/messages")).multipart(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("send completes");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, office: &str, path: &str) -> (StatusCode, Value) {
        let response = self.client(office).get(self.url(path)).send().await.expect("request completes");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

/// Moves a sandbox relay's configuration onto the PostgreSQL database at `url`, registering there the offices the
/// sandbox registered in its embedded store.
pub fn on_postgresql(config: &mut ServerConfig, url: &str) {
    let postgres = refserver::store::StoreLocation::Postgres { url: url.to_string() };
    refserver::store::copy_offices(&config.store, &postgres).unwrap();
    config.store = postgres;
}

/// A throw-away PostgreSQL cluster under `target/tmp`. Where PostgreSQL is not installed, the test fails — a test
/// that returns early reads as a pass — unless the run opts out with `CAREPLAN_SKIP_POSTGRES=1`: then this is
/// `None`, and the calling test is reported as skipped by name (on the terminal even when the test passes, and in
/// the ledger `cargo xtask ci` names in its last line). `CAREPLAN_REQUIRE_POSTGRES` (what CI sets) refuses the
/// opt-out.
pub fn postgres() -> Option<refserver::store::pgcluster::PgCluster> {
    use refserver::store::pgcluster::PgCluster;
    if !PgCluster::installed() {
        let opted_out = std::env::var_os("CAREPLAN_SKIP_POSTGRES").is_some_and(|v| !v.is_empty() && v != "0")
            && std::env::var_os("CAREPLAN_REQUIRE_POSTGRES").is_none();
        assert!(
            opted_out,
            "PostgreSQL is not installed here, and this test needs it: install it (`cargo xtask ci` does: apt-get \
             install postgresql), or opt out with CAREPLAN_SKIP_POSTGRES=1 to have it reported as skipped"
        );
        skipped("CAREPLAN_SKIP_POSTGRES: PostgreSQL is not installed");
        return None;
    }
    Some(PgCluster::start(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("a throw-away PostgreSQL cluster starts"))
}

/// The calling test's name as `cargo test` shows it, with its test file (libtest names a test's thread after it).
pub fn this_test() -> String {
    let thread = std::thread::current();
    format!("{}::{}", env!("CARGO_CRATE_NAME"), thread.name().unwrap_or("?"))
}

/// Reports the calling test as skipped, by name and why: on the terminal (written past libtest's capture, so a
/// passing test's skip is seen) and, when `CAREPLAN_SKIP_LEDGER` names a file, as a line of it (`cargo xtask ci`
/// names every line in its last line).
pub fn skipped(why: &str) {
    use std::io::Write;
    let line = format!("{}: {why}", this_test());
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {line}");
    if let Some(ledger) = std::env::var_os("CAREPLAN_SKIP_LEDGER") {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(ledger).expect("the skip ledger");
        writeln!(file, "{line}").expect("the skip ledger is written");
    }
}

/// The longest any awaited state may take here: only a hang reaches it (a loaded 2-core machine included).
pub const CEILING: std::time::Duration = std::time::Duration::from_secs(90);

/// Waits (up to [`CEILING`]) until the relay whose `/metrics` is at `metrics_url` counts `parked` inbox long polls
/// parked (`careplan_inbox_waiting`): each has looked at its inbox, found nothing, and waits for a wake-up.
pub async fn wait_until_parked(client: &reqwest::Client, metrics_url: &str, parked: usize) {
    let wanted = format!("\ncareplan_inbox_waiting {parked}\n");
    let started = std::time::Instant::now();
    loop {
        let metrics = client.get(metrics_url).send().await.unwrap().text().await.unwrap();
        if metrics.contains(&wanted) {
            return;
        }
        assert!(started.elapsed() < CEILING, "no {parked} parked long poll(s) within {CEILING:?}:\n{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The result of a spawned task, which must end within [`CEILING`] (a hang fails, a slow machine does not).
pub async fn within_ceiling<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(CEILING, task).await.expect("ended within the ceiling").expect("the task did not panic")
}

/// Removes `office` from the relay's registry as `careplan-refserver office remove` does (with its audit entry).
pub fn remove_office(data: &Path, office: &str) {
    use refserver::model::AuditEntry;
    use refserver::store::{SqliteStore, Store};
    let removal = AuditEntry {
        at: refserver::clock::now(),
        office: Some(office.into()),
        action: "office_removed".into(),
        message_id: None,
        detail: None,
    };
    let store = SqliteStore::open(data).unwrap();
    assert!(store.remove_office(office, removal).wait().unwrap(), "{office} was registered");
}

// PostgreSQL over TLS (#37): a test PKI, a TLS-only cluster serving its server certificate, URLs that verify it.

/// A test PKI of the project's own (a CA, a server certificate for localhost / 127.0.0.1 / ::1).
pub fn pki(dir: &Path, name: &str) -> PkiPaths {
    refserver::pki::init(&dir.join(name)).unwrap()
}

/// A TLS-only cluster serving `server`'s certificate. Where PostgreSQL is not installed, `common::postgres`
/// decides: the test fails, or is reported skipped under the documented opt-out.
pub fn tls_cluster(server: &PkiPaths, client_ca: Option<String>) -> Option<refserver::store::pgcluster::PgCluster> {
    if !refserver::store::pgcluster::PgCluster::installed() {
        assert!(postgres().is_none(), "PostgreSQL is not installed, yet a cluster started");
        return None;
    }
    let tls = refserver::store::pgcluster::ClusterTls {
        certificate: std::fs::read_to_string(server.server_cert()).unwrap(),
        key: std::fs::read_to_string(server.server_key()).unwrap(),
        client_ca,
    };
    Some(
        refserver::store::pgcluster::PgCluster::start_tls(Path::new(env!("CARGO_TARGET_TMPDIR")), &tls)
            .expect("a TLS cluster starts"),
    )
}

/// A file path as a URL parameter.
pub fn param(path: &Path) -> String {
    percent_encoding::utf8_percent_encode(&path.display().to_string(), percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `url` with TLS parameters (and a connect timeout, which goes to tokio-postgres untouched).
pub fn with(url: &str, parameters: &str) -> String {
    format!("{url}?connect_timeout=10&{parameters}")
}

pub fn verify_full(url: &str, ca: &PkiPaths) -> String {
    with(url, &format!("sslmode=verify-full&sslrootcert={}", param(&ca.ca_cert())))
}
