//! A relay started as its own process on loopback, for runs that measure or kill it from outside.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

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
