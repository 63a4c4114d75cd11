//! The harness of the client tests: a relay in this process on 127.0.0.1 over a sandbox (a test PKI and the
//! offices registered), and clients run in this process, each in a folder of its own.

#![allow(dead_code)] // each test file uses its part of the harness
#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use client::config::Config;
use client::faults::Faults;
use client::run::RunOptions;
use refserver::sandbox::{Sandbox, SandboxOffice};
use refserver::server::{self, RunningServer, ServerConfig};

/// The longest any awaited state may take here: only a hang reaches it (a loaded 2-core machine included).
pub const CEILING: Duration = Duration::from_secs(90);

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Every file of a fixture folder, by name.
pub fn folder_files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| (path.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&path).unwrap()))
        .collect()
}

/// A relay over a sandbox with `offices` (number → service kinds) registered.
pub struct Net {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    pub server: Option<RunningServer>,
    pub base: String,
}

impl Net {
    pub async fn start(offices: &BTreeMap<String, Vec<String>>, record: Option<PathBuf>) -> Net {
        Net::start_with(offices, record, refserver::faults::Faults::default()).await
    }

    /// [`Net::start`] with `faults` planted in the relay.
    pub async fn start_with(
        offices: &BTreeMap<String, Vec<String>>,
        record: Option<PathBuf>,
        faults: refserver::faults::Faults,
    ) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let registered: Vec<SandboxOffice<'_>> = offices
            .iter()
            .map(|(number, kinds)| SandboxOffice {
                number,
                kinds: kinds.iter().map(String::as_str).collect(),
                name: "事業所",
                licence_until: "2099-12-31",
            })
            .collect();
        let sandbox = Sandbox::create(dir.path(), &registered).unwrap();
        let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
        config.record = record;
        config.api.faults = faults;
        let server = server::start(config).await.unwrap();
        let base = format!("https://127.0.0.1:{}", server.local_addr.port());
        Net { dir, sandbox, server: Some(server), base }
    }

    /// The offices of the files' names (senders and recipients), each with the service kinds it appears with.
    pub fn offices_of<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, Vec<String>> {
        let mut offices: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            let parsed = conformance::filename::parse(name).unwrap();
            for party in [parsed.sender, parsed.recipient] {
                let kinds = offices.entry(party.office).or_default();
                if !kinds.contains(&party.kind) {
                    kinds.push(party.kind);
                }
            }
        }
        offices
    }

    /// A client configuration for `office` in a folder of its own under the sandbox.
    pub fn config(&self, office: &str) -> Config {
        let paths = self.sandbox.paths();
        let folder = self.dir.path().join(format!("client-{office}"));
        let config = Config::beside(
            &folder,
            self.base.clone(),
            paths.ca_cert(),
            paths.office_cert(office),
            paths.office_key(office),
        );
        config.create_folders().unwrap();
        config
    }

    /// Sets the last day `office`'s licence allows sending, in the running relay's registry.
    pub fn set_licence(&self, office: &str, until: &str) {
        use refserver::store::{SqliteStore, Store};
        let store = SqliteStore::open(&self.sandbox.data).unwrap();
        let mut entry = store.office(office).wait().unwrap().expect("registered");
        entry.licence_until = until.to_string();
        store.put_office(&entry).wait().unwrap();
    }

    /// A client of the relay's API for `office` (what a test looks at the relay with).
    pub fn api(&self, office: &str) -> reqwest::Client {
        self.sandbox.client(office).unwrap()
    }

    /// The messages of `office`'s inbox (or outbox), all statuses.
    pub async fn mailbox(&self, office: &str, mailbox: &str) -> Vec<protocol::Message> {
        let url = format!("{}/v1/{mailbox}?limit=200", self.base);
        let page: protocol::Page = self.api(office).get(url).send().await.unwrap().json().await.unwrap();
        page.messages
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

/// Quick rounds for tests: the loops look again within a tenth of a second.
pub fn quick(faults: &str, ack_on_receive: bool) -> RunOptions {
    RunOptions {
        ack_on_receive,
        poll_interval: Duration::from_millis(100),
        settle: Duration::from_millis(100),
        idle_look: Duration::from_secs(1),
        page: None,
        faults: Faults::parse(faults),
    }
}

/// A client running in this process until stopped.
pub struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), client::ClientError>>,
}

impl Running {
    pub fn start(config: &Config, options: RunOptions) -> Running {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = config.clone();
        let task = tokio::spawn(async move {
            client::run::run(&config, &options, async {
                let _ = stopped.await;
            })
            .await
        });
        Running { stop: Some(stop), task }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(CEILING, &mut self.task).await.expect("stops").expect("did not panic");
        result.expect("the client ran without a fatal error");
    }
}

/// Waits until `done` holds, failing past [`CEILING`] with `what`.
pub async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done().await {
        assert!(started.elapsed() < CEILING, "not within {CEILING:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The names of the files in a folder.
pub fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Plays a crash between a send and its bookkeeping: the relay has the message, but the client's state is the copy
/// `before` taken earlier and the unit's files are back in the outbox.
pub fn forget_the_send(config: &Config, before: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", config.state.display()));
    }
    std::fs::copy(before, &config.state).unwrap();
    let unit = config.sent.join(names(&config.sent).remove(0));
    for name in names(&unit) {
        std::fs::rename(unit.join(&name), config.outbox.join(&name)).unwrap();
    }
    std::fs::remove_dir(&unit).unwrap();
}

/// A copy of the client's fresh state, for [`forget_the_send`].
pub fn state_before(config: &Config) -> PathBuf {
    client::state::State::open(&config.state).unwrap();
    let before = config.state.with_extension("before");
    std::fs::copy(&config.state, &before).unwrap();
    before
}
