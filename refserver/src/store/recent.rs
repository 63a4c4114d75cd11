//! Messages sent lately, kept in memory by the relay's store: recipients fetch a message soon after it was sent,
//! and serving those reads from memory spares SQLite re-reading pages that every commit evicts from its
//! readers' caches. Only the process that writes the database may keep one (it sees every change).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::Transition;
use crate::model::MessageMeta;

pub struct Recent {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    messages: HashMap<String, Entry>,
    /// insertion order, for evicting the oldest first
    order: VecDeque<String>,
    bytes: usize,
    limit: usize,
}

struct Entry {
    meta: MessageMeta,
    files: Vec<(String, Vec<u8>)>,
}

/// Bookkeeping bytes counted per message besides its files.
const ENTRY_OVERHEAD: usize = 512;

fn size(files: &[(String, Vec<u8>)]) -> usize {
    ENTRY_OVERHEAD + files.iter().map(|(name, bytes)| name.len() + bytes.len()).sum::<usize>()
}

impl Recent {
    /// Keeps at most about `limit` bytes of messages.
    pub fn new(limit: usize) -> Recent {
        Recent { inner: Mutex::new(Inner { limit, ..Inner::default() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every change below leaves the maps consistent before anything that could panic.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A message just committed.
    pub fn put(&self, meta: MessageMeta, files: Vec<(String, Vec<u8>)>) {
        let mut inner = self.lock();
        let added = size(&files);
        if added > inner.limit {
            return;
        }
        inner.bytes += added;
        inner.order.push_back(meta.id.clone());
        if let Some(replaced) = inner.messages.insert(meta.id.clone(), Entry { meta, files }) {
            inner.bytes -= size(&replaced.files);
        }
        while inner.bytes > inner.limit {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some(evicted) = inner.messages.remove(&oldest) {
                inner.bytes -= size(&evicted.files);
            }
        }
    }

    pub fn message(&self, id: &str) -> Option<MessageMeta> {
        self.lock().messages.get(id).map(|entry| entry.meta.clone())
    }

    pub fn file(&self, id: &str, name: &str) -> Option<Vec<u8>> {
        let inner = self.lock();
        let entry = inner.messages.get(id)?;
        entry.files.iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes.clone())
    }

    /// Mirrors the store's [`Transition::Download`].
    pub fn downloaded(&self, id: &str, at: &str) {
        if let Some(entry) = self.lock().messages.get_mut(id) {
            if Transition::Download.moves(entry.meta.status) {
                entry.meta.status = Transition::Download.to();
                entry.meta.downloaded_at = Some(at.to_string());
            }
        }
    }

    /// A message's metadata after a committed change.
    pub fn update(&self, meta: &MessageMeta) {
        if let Some(entry) = self.lock().messages.get_mut(&meta.id) {
            entry.meta = meta.clone();
        }
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.messages.clear();
        inner.order.clear();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn meta(id: &str) -> MessageMeta {
        MessageMeta {
            id: id.into(),
            seq: 1,
            from: "1370001002".into(),
            to: "1370002058".into(),
            serial: "20250425090000".into(),
            unit: None,
            status: Status::Sent,
            created_at: "2025-04-25T09:00:00Z".into(),
            downloaded_at: None,
            acknowledged_at: None,
            subject: Default::default(),
            files: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_newest_messages_within_the_limit() {
        let recent = Recent::new(3 * (ENTRY_OVERHEAD + 1000));
        for id in ["a", "b", "c", "d"] {
            recent.put(meta(id), vec![("F.CSV".into(), vec![0; 1000 - 5])]);
        }
        assert!(recent.message("a").is_none(), "the oldest is evicted");
        assert_eq!(recent.file("d", "F.CSV").map(|b| b.len()), Some(995));
        assert!(recent.file("d", "G.CSV").is_none());
    }

    #[test]
    fn follows_status_changes_and_forgets_everything_on_clear() {
        let recent = Recent::new(1 << 20);
        recent.put(meta("a"), Vec::new());
        recent.downloaded("a", "2025-05-01T00:00:00Z");
        assert_eq!(recent.message("a").map(|m| m.status), Some(Status::Downloaded));
        let mut acked = meta("a");
        acked.status = Status::Acknowledged;
        recent.update(&acked);
        recent.downloaded("a", "2025-05-02T00:00:00Z");
        assert_eq!(recent.message("a").map(|m| m.status), Some(Status::Acknowledged), "later states stay");
        recent.clear();
        assert!(recent.message("a").is_none());
    }
}
