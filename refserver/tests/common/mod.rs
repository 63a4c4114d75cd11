//! The harness of the relay tests over real mutual TLS: a sandbox with four offices and a relay on 127.0.0.1 with a
//! port from the OS, and HTTPS clients that present each office's certificate.

#![allow(dead_code)] // each test file uses its part of the harness
#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use refserver::pki::PkiPaths;
use refserver::sandbox::{Sandbox, SandboxOffice, CARE_MANAGER, HOME_HELP};
use refserver::server::{self, RunningServer, ServerConfig};
use reqwest::StatusCode;
use serde_json::Value;
use suites::relay::send_form;

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
        refserver::sandbox::https_client(&ca, &identity).unwrap()
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

/// A throw-away PostgreSQL cluster under `target/tmp`, or `None` (said on stderr) where PostgreSQL is not installed
/// and the run does not require it (`cargo xtask ci` sets `CAREPLAN_REQUIRE_POSTGRES` and installs it).
pub fn postgres() -> Option<refserver::pgcluster::PgCluster> {
    use refserver::pgcluster::PgCluster;
    if !PgCluster::installed() && std::env::var_os("CAREPLAN_REQUIRE_POSTGRES").is_none() {
        eprintln!("SKIPPED: PostgreSQL is not installed here (`cargo xtask ci` installs it and requires this test)");
        return None;
    }
    Some(PgCluster::start(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("a throw-away PostgreSQL cluster starts"))
}
