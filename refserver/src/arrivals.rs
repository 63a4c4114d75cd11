//! Wake-ups for offices waiting on their inbox (`GET /v1/inbox?wait=N`): a send notifies its recipient, so a
//! waiting client learns of a new message at once instead of polling for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Default)]
pub struct Arrivals {
    /// one entry per office that has waited at least once (bounded by the registered offices: only an
    /// authenticated office waits, and only on its own inbox)
    offices: Mutex<HashMap<String, Arc<Notify>>>,
    /// how many long polls of each office wait now (same bound)
    waiting: Mutex<HashMap<String, Arc<AtomicUsize>>>,
}

/// One of an office's places among its waiting long polls, given back when dropped.
pub struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Arrivals {
    /// The signal an office waits on.
    pub fn signal(&self, office: &str) -> Arc<Notify> {
        let mut offices = self.offices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        offices.entry(office.to_string()).or_default().clone()
    }

    /// A place for one more long poll of `office`, unless `most` of them wait already: one office cannot hold an
    /// unbounded number of connections open and parked.
    pub fn take_place(&self, office: &str, most: usize) -> Option<Place> {
        let counter = {
            let mut waiting = self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            waiting.entry(office.to_string()).or_default().clone()
        };
        let taken = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < most).then_some(n + 1));
        taken.is_ok().then(|| Place(counter))
    }

    /// A message for `office` was stored: wake everyone waiting on its inbox.
    pub fn arrived(&self, office: &str) {
        let offices = self.offices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(signal) = offices.get(office) {
            signal.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_registered_before_the_arrival_is_woken() {
        let arrivals = Arrivals::default();
        let signal = arrivals.signal("1370002058");
        let waiter = signal.notified();
        tokio::pin!(waiter);
        waiter.as_mut().enable();
        arrivals.arrived("1370001002"); // someone else's mail does not wake it
        arrivals.arrived("1370002058");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.expect("woken by the arrival");
    }
}
