//! End-to-end bookkeeping: an exchange starts when the sender begins its upload and ends when the recipient's
//! acknowledgement is answered. The tracker holds the SHA-256 the sender computed for every file, so the
//! recipient's download is checked against the sender, not against what the relay claims.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::payloads::Payload;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// 第6表・第7表・利用者補足情報, care manager → provider
    Ticket,
    /// 実績 (UPJSK), provider → care manager
    Actuals,
}

#[derive(Debug)]
struct InFlight {
    direction: Direction,
    to: String,
    begun: Instant,
    digests: HashMap<String, [u8; 32]>,
}

#[derive(Debug, Clone, Copy)]
pub struct Completed {
    /// when the acknowledgement was answered, from the tracker's start
    pub at: Duration,
    pub latency: Duration,
    pub direction: Direction,
}

/// What a download was found to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact,
    /// the bytes differ from what the sender sent
    Altered,
    /// the message has no such file
    UnknownFile,
    /// the send that created it has not reported its `201` yet (or it is not this run's): look again later
    NotYetKnown,
}

/// A sent message that has not been acknowledged.
#[derive(Debug, Clone)]
pub struct Outstanding {
    pub id: String,
    pub to: String,
    pub files: Vec<(String, [u8; 32])>,
}

pub struct Tracker {
    started: Instant,
    in_flight: Mutex<HashMap<String, InFlight>>,
    /// every id a sender recorded a `201` for, and every id whose acknowledgement the relay answered
    sent: Mutex<HashSet<String>>,
    acknowledged: Mutex<HashSet<String>>,
    completed: Mutex<Vec<Completed>>,
    /// (when, users running) each time a user starts
    users: Mutex<Vec<(Duration, usize)>>,
    altered: AtomicU64,
    failed: AtomicU64,
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker::new()
    }
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker {
            started: Instant::now(),
            in_flight: Mutex::default(),
            sent: Mutex::default(),
            acknowledged: Mutex::default(),
            completed: Mutex::default(),
            users: Mutex::default(),
            altered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// A send begun at `begun` was answered `201` with `id`.
    pub fn sent(&self, id: &str, to: &str, direction: Direction, begun: Instant, payload: &Payload) {
        let names = payload.files.iter().map(|(name, _)| name.clone());
        let digests = names.zip(payload.digests.iter().copied()).collect();
        let entry = InFlight { direction, to: to.to_string(), begun, digests };
        lock(&self.in_flight).insert(id.to_string(), entry);
        lock(&self.sent).insert(id.to_string());
    }

    /// Checks a downloaded file against the sender's SHA-256; an altered file is counted.
    pub fn verify(&self, id: &str, name: &str, bytes: &[u8]) -> Verdict {
        let expected = match lock(&self.in_flight).get(id) {
            None => return Verdict::NotYetKnown,
            Some(entry) => entry.digests.get(name).copied(),
        };
        match expected {
            None => Verdict::UnknownFile,
            Some(digest) if <[u8; 32]>::from(Sha256::digest(bytes)) == digest => Verdict::Intact,
            Some(_) => {
                self.altered.fetch_add(1, Ordering::Relaxed);
                Verdict::Altered
            }
        }
    }

    /// The recipient's acknowledgement of `id` was answered: the exchange is complete. Returns its latency
    /// the first time, `None` for an id that is not in flight.
    pub fn acknowledged(&self, id: &str) -> Option<Duration> {
        let entry = lock(&self.in_flight).remove(id)?;
        lock(&self.acknowledged).insert(id.to_string());
        let latency = entry.begun.elapsed();
        lock(&self.completed).push(Completed { at: self.elapsed(), latency, direction: entry.direction });
        Some(latency)
    }

    /// The names of the files the sender sent as `id`, once its `201` is recorded: what the recipient must get,
    /// whatever the relay lists.
    pub fn files_of(&self, id: &str) -> Option<Vec<String>> {
        let in_flight = lock(&self.in_flight);
        let mut names: Vec<String> = in_flight.get(id)?.digests.keys().cloned().collect();
        names.sort();
        Some(names)
    }

    /// The drain after the run acknowledged `id`: done, but not an exchange of the run.
    pub fn drained(&self, id: &str) {
        lock(&self.in_flight).remove(id);
        lock(&self.acknowledged).insert(id.to_string());
    }

    /// Whether a sender of this run recorded a `201` for `id`.
    pub fn was_sent(&self, id: &str) -> bool {
        lock(&self.sent).contains(id)
    }

    /// Whether the relay answered an acknowledgement of `id`.
    pub fn was_acknowledged(&self, id: &str) -> bool {
        lock(&self.acknowledged).contains(id)
    }

    pub fn in_flight(&self, id: &str) -> bool {
        lock(&self.in_flight).contains_key(id)
    }

    /// A request failed or a response made no sense.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn user_started(&self) {
        let mut users = lock(&self.users);
        let running = users.len() + 1;
        users.push((self.elapsed(), running));
    }

    pub fn outstanding(&self) -> Vec<Outstanding> {
        lock(&self.in_flight)
            .iter()
            .map(|(id, entry)| Outstanding {
                id: id.clone(),
                to: entry.to.clone(),
                files: entry.digests.iter().map(|(name, digest)| (name.clone(), *digest)).collect(),
            })
            .collect()
    }

    pub fn completed(&self) -> Vec<Completed> {
        lock(&self.completed).clone()
    }

    pub fn users(&self) -> Vec<(Duration, usize)> {
        lock(&self.users).clone()
    }

    pub fn altered(&self) -> u64 {
        self.altered.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// The tracker's maps hold plain data that stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_file() -> Payload {
        Payload::new(vec![("A.CSV".to_string(), b"abc".to_vec())])
    }

    #[test]
    fn an_exchange_completes_once_with_its_latency() {
        let tracker = Tracker::new();
        tracker.sent("m1", "1370002058", Direction::Ticket, Instant::now(), &one_file());
        assert_eq!(tracker.verify("m1", "A.CSV", b"abc"), Verdict::Intact);
        assert!(tracker.acknowledged("m1").is_some());
        assert!(tracker.acknowledged("m1").is_none(), "a second ack is not a second exchange");
        assert_eq!(tracker.completed().len(), 1);
        assert!(tracker.outstanding().is_empty());
        assert!(tracker.was_sent("m1") && tracker.was_acknowledged("m1"));
        assert!(!tracker.was_sent("m2") && !tracker.was_acknowledged("m2"));
    }

    #[test]
    fn altered_bytes_and_unknown_messages_are_told_apart() {
        let tracker = Tracker::new();
        tracker.sent("m1", "1370002058", Direction::Actuals, Instant::now(), &one_file());
        assert_eq!(tracker.verify("m1", "A.CSV", b"abd"), Verdict::Altered);
        assert_eq!(tracker.verify("m1", "B.CSV", b"abc"), Verdict::UnknownFile);
        assert_eq!(tracker.verify("m2", "A.CSV", b"abc"), Verdict::NotYetKnown);
        assert_eq!(tracker.altered(), 1);
        assert_eq!(tracker.files_of("m1"), Some(vec!["A.CSV".to_string()]));
        assert_eq!(tracker.files_of("m2"), None);
        let outstanding = tracker.outstanding();
        assert_eq!((outstanding.len(), outstanding[0].to.as_str()), (1, "1370002058"));
        tracker.drained("m1");
        assert!(tracker.outstanding().is_empty() && tracker.completed().is_empty() && tracker.was_acknowledged("m1"));
    }
}
