//! A relay started as its own process on loopback, for runs that measure or kill it from outside.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// Builds the workspace's programs (the relay, the client, the load test) and returns the folder they are in. One
/// build command for every run, so the crash test and the load test share their artefacts instead of rebuilding
/// dependencies with other features. A debug build takes the test targets too: their dev-dependencies switch
/// features on (refserver's and client's `faults`, off unless a run asks), and building with the same feature set
/// as `cargo test --workspace` finds everything that step built instead of rebuilding the dependency graph twice
/// (about 1.5 minutes each way on 2 cores).
pub fn build(release: bool) -> Result<PathBuf> {
    let mut args = vec!["build", "--quiet", "--workspace", "--bins"];
    args.push(if release { "--release" } else { "--tests" });
    crate::cargo(&args)?;
    Ok(crate::target_dir().join(if release { "release" } else { "debug" }))
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits (up to 20 s) until the relay at `base` answers `/healthz`.
pub async fn wait_ready(client: &reqwest::Client, base: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("the relay did not come back within 20 s (store did not open?)")
}

/// Kills the relay process when dropped, so no run, failed or not, leaves one behind.
pub struct RelayGuard(pub std::process::Child);

impl Drop for RelayGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every message of an office's inbox, by paging through `GET /v1/inbox` (newest first).
pub(crate) async fn inbox_messages(receiver: &reqwest::Client, base: &str) -> Result<Vec<protocol::Message>> {
    let mut listed = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let url = match before {
            Some(b) => format!("{base}/v1/inbox?limit=100&before={b}"),
            None => format!("{base}/v1/inbox?limit=100"),
        };
        let page: protocol::Page = receiver.get(url).send().await?.error_for_status()?.json().await?;
        listed.extend(page.messages);
        match page.next {
            Some(next) => before = Some(next),
            None => return Ok(listed),
        }
    }
}

/// A repeatable pseudo-random sequence (xorshift64) for kill moments and samples.
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// An office's `careplan-client` set up in `<dir>/client-<number>/`: its configuration (written there as
/// `careplan-client.toml`, at `path`) and folders, with the sandbox's certificate of the office, for the relay at
/// `base`.
pub struct ClientOffice {
    pub config: client::config::Config,
    pub path: PathBuf,
}

pub fn client_office(
    dir: &std::path::Path,
    sandbox: &refserver::sandbox::Sandbox,
    number: &str,
    base: &str,
) -> Result<ClientOffice> {
    let folder = dir.join(format!("client-{number}"));
    std::fs::create_dir_all(&folder)?;
    let paths = sandbox.paths();
    let config = client::config::Config::beside(
        &folder,
        base.to_string(),
        paths.ca_cert(),
        paths.office_cert(number),
        paths.office_key(number),
    );
    config.create_folders()?;
    let path = folder.join(client::config::FILE_NAME);
    config.save(&path)?;
    Ok(ClientOffice { config, path })
}
