//! The registry as this node last read it, so that the office check every request makes costs no round trip.
//! It is trusted only while a connection of its own listens for the registry's changes: a trigger on `offices`
//! (migration 3) announces every insert, update, delete and truncate on [`CHANNEL`] in the changing transaction,
//! whoever writes it (another node, the `office` commands, plain SQL), and each announcement drops its entry here.
//! When that connection is lost (or stops answering its ping) the cache is emptied and bypassed — every lookup reads
//! the database — until it listens again; what changed meanwhile is not known, so it starts empty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::connect::Target;
use crate::model::Office;

/// The channel the registry's trigger announces a changed office number on (empty: the table was truncated).
pub(super) const CHANNEL: &str = "careplan_offices";

/// How often the listening connection is asked to answer, and how long it may take: a connection that died
/// silently (no reset reaches us) turns the cache off within twice this.
const PING: Duration = Duration::from_secs(2);

/// The longest a node's cache can serve an entry after the change that replaced it committed: a notification
/// committed before a ping is sent is read before that ping's answer (PostgreSQL delivers it before
/// ReadyForQuery, and the driver handles messages in order), pings go out every [`PING`] and one unanswered for
/// [`PING`] turns the cache off — plus a second for scheduling.
pub const REGISTRY_HEARD_WITHIN: Duration = Duration::from_secs(2 * PING.as_secs() + 1);

#[derive(Default)]
pub(super) struct OfficeCache {
    state: Mutex<State>,
    /// entries dropped on a notification, for tests that wait for one ([`super::PgStore::office_cache`])
    invalidations: AtomicU64,
}

#[derive(Default)]
struct State {
    /// whether notifications are being received: off, nothing is kept or served
    live: bool,
    /// bumped by every change of what may be kept: a read begun before one is not kept after it
    epoch: u64,
    /// the listening connection that may turn the cache on (a newer one, or its loss, outdates the older)
    session: u64,
    offices: HashMap<String, Office>,
}

/// What a test can see of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheState {
    /// the cache is in use (its listening connection is up)
    pub live: bool,
    /// entries dropped on a notification so far
    pub invalidations: u64,
}

impl OfficeCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn get(&self, number: &str) -> Option<Office> {
        let state = self.state();
        state.live.then(|| state.offices.get(number).cloned()).flatten()
    }

    /// The epoch a read of the database begins in; `None` while the cache is off (the answer is not kept).
    pub(super) fn epoch(&self) -> Option<u64> {
        let state = self.state();
        state.live.then_some(state.epoch)
    }

    /// Keeps what a read begun in `epoch` found, unless something changed since it began.
    pub(super) fn keep(&self, epoch: u64, office: &Office) {
        let mut state = self.state();
        if state.live && state.epoch == epoch {
            state.offices.insert(office.number.clone(), office.clone());
        }
    }

    /// Drops `number` (every office for an empty one), and any read of it under way.
    pub(super) fn forget(&self, number: &str) {
        let mut state = self.state();
        state.epoch += 1;
        if number.is_empty() {
            state.offices.clear();
        } else {
            state.offices.remove(number);
        }
    }

    fn noted(&self, number: &str) {
        self.forget(number);
        self.invalidations.fetch_add(1, Ordering::Relaxed);
    }

    fn begin_session(&self) -> u64 {
        let mut state = self.state();
        state.session += 1;
        state.session
    }

    /// Turns the cache on, empty, once `session`'s LISTEN is in place — unless that connection was lost already.
    fn go_live(&self, session: u64) -> bool {
        let mut state = self.state();
        if state.session != session {
            return false;
        }
        state.epoch += 1;
        state.offices.clear();
        state.live = true;
        true
    }

    /// Turns the cache off and empties it: what changes from now on is not heard.
    fn go_dark(&self) {
        let mut state = self.state();
        state.session += 1;
        state.epoch += 1;
        state.offices.clear();
        state.live = false;
    }

    pub(super) fn seen(&self) -> CacheState {
        CacheState { live: self.state().live, invalidations: self.invalidations.load(Ordering::Relaxed) }
    }
}

/// Keeps `cache` in step with the registry for as long as the store's runtime runs: listens, drops what each
/// notification names, pings; on any failure turns the cache off, waits a second and connects again.
pub(super) async fn keep_fresh(target: Arc<Target>, cache: Arc<OfficeCache>) {
    loop {
        let session = cache.begin_session();
        match target.connect().await {
            Ok((client, mut connection)) => {
                // Notifications are handled where they are read, so an entry is gone before anything after it.
                let heard = Arc::clone(&cache);
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |context| connection.poll_message(context));
                    while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(note)) => heard.noted(note.payload()),
                            Ok(_) => {}
                            Err(error) => {
                                tracing::warn!(%error, "registry listener connection failed");
                                break;
                            }
                        }
                    }
                    heard.go_dark();
                });
                match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    Ok(()) if cache.go_live(session) => loop {
                        tokio::time::sleep(PING).await;
                        match tokio::time::timeout(PING, client.batch_execute("")).await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) => {
                                tracing::warn!(%error, "registry listener lost");
                                break;
                            }
                            Err(_) => {
                                tracing::warn!("registry listener does not answer");
                                break;
                            }
                        }
                    },
                    Ok(()) => {}
                    Err(error) => tracing::warn!(%error, "cannot listen for registry changes"),
                }
                cache.go_dark();
                driver.abort();
            }
            Err(error) => tracing::warn!(%error, "registry listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
