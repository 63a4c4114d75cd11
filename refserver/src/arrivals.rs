//! Wake-ups for offices waiting on their inbox (`GET /v1/inbox?wait=N`): a send notifies its recipient, so a
//! waiting client learns of a new message at once instead of polling for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Default)]
pub struct Arrivals {
    /// one entry per office that has waited at least once (bounded by the registered offices: only an
    /// authenticated office waits, and only on its own inbox)
    offices: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Arrivals {
    /// The signal an office waits on.
    pub fn signal(&self, office: &str) -> Arc<Notify> {
        let mut offices = self.offices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        offices.entry(office.to_string()).or_default().clone()
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
