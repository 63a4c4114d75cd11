//! `careplan-client run`: the outbox loop and the inbox loop, side by side until told to stop.

use std::time::Duration;

use notify::Watcher;
use protocol::Status;

use crate::config::Config;
use crate::error::ClientError;
use crate::faults::Faults;
use crate::incoming::{Incoming, Received};
use crate::outgoing::{Handled, Outgoing, Settling};
use crate::relay::{Relay, LONG_POLL_SECONDS};
use crate::state::State;

/// How `run` behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// acknowledge a message as soon as its files are written, instead of when the care software takes them
    pub ack_on_receive: bool,
    /// the least time between the relay's answer to one inbox request and the next request
    pub poll_interval: Duration,
    /// the time between two looks at the outbox while a unit is being written
    pub settle: Duration,
    /// how often the outbox is looked at when no change was signalled (a change on a network drive may not be)
    pub idle_look: Duration,
    /// where the local page listens (a loopback address), if anywhere
    pub page: Option<std::net::SocketAddr>,
    pub faults: Faults,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            ack_on_receive: false,
            poll_interval: Duration::from_secs(10),
            settle: Duration::from_secs(1),
            idle_look: Duration::from_secs(5),
            page: None,
            faults: Faults::default(),
        }
    }
}

/// Runs until `stop` resolves (or a loop fails in a way retrying cannot mend: the state database).
pub async fn run(
    config: &Config,
    options: &RunOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), ClientError> {
    config.create_folders()?;
    let state = State::open(&config.state)?;
    let relay = Relay::new(config)?;
    let options = RunOptions { faults: options.faults.effective(), ..options.clone() };
    tracing::info!(relay = %config.relay, outbox = %config.outbox.display(), inbox = %config.inbox.display(),
        "起動しました / started");
    let page = match options.page {
        Some(addr) => Some(crate::page::bind(addr).await?),
        None => None,
    };
    let page = async {
        match page {
            Some(listener) => crate::page::serve(listener, config).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = page => Ok(()),
        result = outbox_loop(config, &state, &relay, &options) => result,
        result = inbox_loop(config, &state, &relay, &options) => result,
        () = stop => {
            tracing::info!("停止しました / stopped");
            Ok(())
        }
    }
}

/// The longest wait between two tries while the relay cannot be reached or keeps failing.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// Waits that grow while the relay cannot be reached or keeps failing: the loop's own interval, then twice as long
/// each time, up to [`BACKOFF_CAP`]; one success starts again from the interval. A relay that is down is not asked
/// ten times a second by every office, and comes back to a trickle, not a stampede.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    next: Duration,
}

impl Backoff {
    /// Starting from `interval` (at least 100 ms, so a zero interval still grows).
    pub fn new(interval: Duration) -> Backoff {
        let base = interval.max(Duration::from_millis(100)).min(BACKOFF_CAP);
        Backoff { base, next: base }
    }

    /// The wait after a failure; the next one is twice as long.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(BACKOFF_CAP);
        wait
    }

    pub fn succeeded(&mut self) {
        self.next = self.base;
    }
}

/// Errors a loop waits out and retries (the relay away, a file busy); the state database failing stops the client.
fn fatal(error: ClientError) -> Result<(), ClientError> {
    match error {
        ClientError::State(_) => Err(error),
        other => {
            tracing::warn!("{other}");
            Ok(())
        }
    }
}

async fn outbox_loop(config: &Config, state: &State, relay: &Relay, options: &RunOptions) -> Result<(), ClientError> {
    let outgoing = Outgoing { config, state, relay, faults: options.faults };
    let changed = std::sync::Arc::new(tokio::sync::Notify::new());
    let signal = changed.clone();
    let mut watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| signal.notify_one()).ok();
    if let Some(watcher) = watcher.as_mut() {
        if let Err(error) = watcher.watch(&config.outbox, notify::RecursiveMode::NonRecursive) {
            tracing::warn!("送信フォルダーを監視できないため定期的に確認します / cannot watch the outbox, looking periodically: {error}");
        }
    }
    let mut settling = Settling::default();
    let mut backoff = Backoff::new(options.settle);
    loop {
        let mut relay_failed = false;
        let units = match crate::outgoing::units(&config.outbox) {
            Ok(units) => units,
            Err(error) => {
                fatal(error)?;
                Vec::new()
            }
        };
        let (ready, pending) = settling.look(units);
        for unit in &ready {
            match outgoing.handle(unit).await {
                Ok(Handled::Sent { message_id, replayed }) => tracing::info!(
                    unit = %unit.name, message = %message_id, replayed,
                    "送信しました / sent"
                ),
                Ok(Handled::Refused { errors }) => tracing::warn!(
                    unit = %unit.name, errors,
                    "標準仕様に適合しないため送信せず refused/ に移しました / does not conform: not sent, moved to refused/"
                ),
                Ok(Handled::Finished) => {
                    tracing::info!(unit = %unit.name, "前回の移動を完了しました / finished an interrupted move")
                }
                Ok(Handled::Later) => {}
                Ok(Handled::Waiting { .. }) => relay_failed = true,
                Err(error) => fatal(error)?,
            }
        }
        // Units still being written are looked at again after the settle time; otherwise the next change wakes us.
        // While the relay fails, the outbox waits longer each round.
        if relay_failed {
            tokio::time::sleep(backoff.failed()).await;
            continue;
        }
        backoff.succeeded();
        if pending || !ready.is_empty() {
            tokio::time::sleep(options.settle).await;
        } else {
            let _ = tokio::time::timeout(options.idle_look, changed.notified()).await;
            tokio::time::sleep(options.settle).await;
        }
    }
}

async fn inbox_loop(config: &Config, state: &State, relay: &Relay, options: &RunOptions) -> Result<(), ClientError> {
    let incoming = Incoming { config, state, relay, faults: options.faults, ack_on_receive: options.ack_on_receive };
    // Downloaded but not yet written (a crash between the two): the relay lists them as downloaded.
    let mut look_at_downloaded = true;
    let mut backoff = Backoff::new(options.poll_interval);
    loop {
        let mut relay_failed = false;
        if let Err(error) = incoming.acknowledge_taken().await {
            relay_failed = true;
            fatal(error)?;
        }
        // One inbox request per round, so rounds stay `poll_interval` apart: the downloaded-but-unwritten ones
        // when there may be some, else a long poll for new messages (a taken file is acknowledged within its wait).
        let listed = if look_at_downloaded {
            incoming.listed(Status::Downloaded).await
        } else {
            let wait = if options.ack_on_receive {
                LONG_POLL_SECONDS
            } else {
                LONG_POLL_SECONDS.min(options.idle_look.as_secs().max(1))
            };
            relay.inbox(Status::Sent, None, wait).await.map(|page| page.messages)
        };
        let messages = match listed {
            Ok(messages) => {
                look_at_downloaded = false;
                messages
            }
            Err(error) => {
                relay_failed = true;
                fatal(error)?;
                Vec::new()
            }
        };
        for message in &messages {
            match incoming.receive(message).await {
                Ok(Received::Written | Received::Missing) => {}
                Ok(Received::Blocked) => look_at_downloaded = true,
                Err(error) => {
                    look_at_downloaded = true;
                    relay_failed = true;
                    fatal(error)?;
                }
            }
        }
        let wait = if relay_failed {
            backoff.failed()
        } else {
            backoff.succeeded();
            options.poll_interval
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_cap_and_a_success_starts_again() {
        let mut backoff = Backoff::new(Duration::from_secs(10));
        let waits: Vec<u64> = (0..5).map(|_| backoff.failed().as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), Duration::from_secs(10));
        let mut zero = Backoff::new(Duration::ZERO);
        assert_eq!((zero.failed(), zero.failed()), (Duration::from_millis(100), Duration::from_millis(200)));
    }
}
