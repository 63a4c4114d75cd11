//! Deliberate faults, to prove that the relay-protocol suite fails a relay that misbehaves. They can only be
//! switched on with the `faults` feature (this crate's tests): without it the relay's configuration has no
//! field for them and every check below is false. The faults of what the store keeps or answers live in
//! [`FaultyStore`], a wrapper around the store; the others where the check they break is.

#[cfg(feature = "faults")]
use std::sync::Arc;

#[cfg(feature = "faults")]
use crate::model::{AuditEntry, Cursor, Inserted, Mailbox, MessageMeta, NewMessage, Office, Page, Status};
#[cfg(feature = "faults")]
use crate::store::{Pending, Store};

/// Which faults are switched on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// store sends that have error findings
    pub accept_invalid: bool,
    /// show any message to any office
    pub leak_messages: bool,
    /// answer acks without recording them
    pub lose_acks: bool,
    /// flip a byte of every downloaded file
    pub alter_bytes: bool,
    /// let expired client certificates in
    pub accept_expired: bool,
    /// complete the TLS handshake without a client certificate and serve such a client as no office
    pub allow_anonymous: bool,
    /// let requests that another site made a browser send act (no cross-site check)
    pub allow_cross_site: bool,
    /// answer a reused Idempotency-Key with the first message, whatever the new send holds
    pub replay_conflicts: bool,
    /// the office directory lists nobody
    pub hide_offices: bool,
    /// inboxes list nothing (messages stay reachable by id)
    pub hide_inbox: bool,
    /// downloads leave the status at sent
    pub forget_downloads: bool,
    /// ignore Idempotency-Key (every retry stores a new message)
    pub ignore_idempotency: bool,
    /// accept file names that carry another office as sender
    pub allow_impersonation: bool,
    /// list pages oldest first and without a `next` cursor
    pub break_pagination: bool,
    /// answer `order=asc` newest first
    pub ignore_order: bool,
    /// errors as plain text instead of `{"error", "message"}`
    pub plain_errors: bool,
    /// refuse every send with 503
    pub refuse_sends: bool,
    /// store a send of several files without its last file (and still answer 201)
    pub drop_last_file: bool,
    /// store every send twice: the recipient finds a second message nobody sent
    pub duplicate_sends: bool,
    /// answer every download 404, as if the listed file were gone (purged between listing and download): for
    /// proving a client gives such a message up instead of asking for it forever
    pub lose_files: bool,
    /// take file names with invisible characters (word joiner, soft hyphen, bidi controls …) as long as they name
    /// no path
    pub accept_invisible_names: bool,
}

/// The store with the store-shaped faults planted: what it keeps or answers is wrong, whatever endpoint asks.
/// The other faults stay where the check they break is (the guard, the handler).
#[cfg(feature = "faults")]
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    faults: Faults,
}

/// `store` as the relay uses it under `faults`: wrapped when a store-shaped fault is on.
#[cfg(feature = "faults")]
pub fn wrap(store: Arc<dyn Store>, faults: Faults) -> Arc<dyn Store> {
    let shaped = faults.drop_last_file
        || faults.duplicate_sends
        || faults.lose_acks
        || faults.forget_downloads
        || faults.alter_bytes
        || faults.hide_inbox;
    if shaped {
        Arc::new(FaultyStore { inner: store, faults })
    } else {
        store
    }
}

/// A message's id for its planted duplicate: another id of the same shape.
#[cfg(feature = "faults")]
fn duplicate_id(id: &str) -> String {
    use sha2::Digest as _;
    format!("m_{}", conformance::hex::encode(&sha2::Sha256::digest(id.as_bytes())[..10]))
}

#[cfg(feature = "faults")]
impl Store for FaultyStore {
    fn put_office(&self, office: &Office) -> Pending<()> {
        self.inner.put_office(office)
    }
    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool> {
        self.inner.remove_office(number, audit)
    }
    fn office(&self, number: &str) -> Pending<Option<Office>> {
        self.inner.office(number)
    }
    fn round_trips(&self) -> Option<u64> {
        self.inner.round_trips()
    }
    fn offices(&self, query: Option<&str>, limit: Option<usize>) -> Pending<Vec<Office>> {
        self.inner.offices(query, limit)
    }
    /// `drop_last_file`: a send of several files is stored without its last; `duplicate_sends`: every new send is
    /// stored a second time under another id, as if sent again.
    fn insert_message(&self, mut message: NewMessage, audit: AuditEntry) -> Pending<Inserted> {
        if self.faults.drop_last_file && message.files.len() > 1 {
            message.files.pop();
        }
        let duplicate = self.faults.duplicate_sends.then(|| message.duplicate(duplicate_id(&message.id)));
        let inserted = self.inner.insert_message(message, audit.clone());
        let Some(duplicate) = duplicate else { return inserted };
        let inner = Arc::clone(&self.inner);
        Pending::chained(async move {
            let inserted = inserted.await?;
            if let Inserted::New(_) = inserted {
                inner.insert_message(duplicate, AuditEntry { message_id: None, detail: None, ..audit }).await?;
            }
            Ok(inserted)
        })
    }
    fn message(&self, id: &str) -> Pending<Option<MessageMeta>> {
        self.inner.message(id)
    }
    /// `hide_inbox`: inboxes list nothing (messages stay reachable by id).
    fn list(
        &self,
        office: &str,
        mailbox: Mailbox,
        status: Option<Status>,
        cursor: Cursor,
        limit: usize,
    ) -> Pending<Page> {
        let page = self.inner.list(office, mailbox, status, cursor, limit);
        if !(self.faults.hide_inbox && mailbox == Mailbox::Inbox) {
            return page;
        }
        Pending::chained(async move { Ok(Page { messages: Vec::new(), ..page.await? }) })
    }
    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>> {
        self.inner.exchanged(office, start, end)
    }
    /// `alter_bytes`: the first byte of every file read back is flipped.
    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>> {
        let file = self.inner.file(id, name);
        if !self.faults.alter_bytes {
            return file;
        }
        Pending::chained(async move {
            Ok(file.await?.map(|mut bytes| {
                if let Some(first) = bytes.first_mut() {
                    *first ^= 0x01;
                }
                bytes
            }))
        })
    }
    /// `forget_downloads`: the download is audited, the status stays at sent.
    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()> {
        if self.faults.forget_downloads {
            return self.inner.audit(&audit);
        }
        self.inner.mark_downloaded(id, at, audit)
    }
    /// `lose_acks`: answered as acknowledged, nothing recorded.
    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>> {
        if !self.faults.lose_acks {
            return self.inner.acknowledge(id, at, audit);
        }
        let message = self.inner.message(id);
        Pending::chained(async move { Ok(message.await?.map(|m| MessageMeta { status: Status::Acknowledged, ..m })) })
    }
    fn audit(&self, entry: &AuditEntry) -> Pending<()> {
        self.inner.audit(entry)
    }
    fn audit_unauthenticated(&self, entry: &AuditEntry) -> Pending<()> {
        self.inner.audit_unauthenticated(entry)
    }
    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>> {
        self.inner.audit_log(office, since)
    }
    fn purge_before(&self, cutoff: &str) -> Pending<usize> {
        self.inner.purge_before(cutoff)
    }
    fn compact(&self) -> Pending<()> {
        self.inner.compact()
    }
    fn status_counts(&self) -> Pending<Vec<(String, i64)>> {
        self.inner.status_counts()
    }
    fn claim_purge(&self, interval: std::time::Duration) -> Pending<bool> {
        self.inner.claim_purge(interval)
    }
    fn watch_arrivals(&self, arrived: Arc<dyn Fn(&str) + Send + Sync>) {
        self.inner.watch_arrivals(arrived)
    }
}

#[cfg(feature = "faults")]
impl crate::model::NewMessage {
    /// The same send under another id and without its idempotency key, for the `duplicate_sends` fault.
    pub(crate) fn duplicate(&self, id: String) -> crate::model::NewMessage {
        crate::model::NewMessage {
            id,
            from: self.from.clone(),
            to: self.to.clone(),
            serial: self.serial.clone(),
            unit: self.unit.clone(),
            idempotency_key: None,
            request_digest: self.request_digest.clone(),
            created_at: self.created_at.clone(),
            subject: self.subject.clone(),
            files: self
                .files
                .iter()
                .map(|file| crate::model::NewFile {
                    name: file.name.clone(),
                    kind: file.kind.clone(),
                    sha256: file.sha256.clone(),
                    bytes: file.bytes.clone(),
                })
                .collect(),
        }
    }
}
