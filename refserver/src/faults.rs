//! Deliberate faults, to prove that the relay-protocol suite fails a relay that misbehaves. They can only be
//! switched on with the `faults` feature (this crate's tests): without it the relay's configuration has no
//! field for them and every check below is false.

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
    /// take file names with invisible characters (word joiner, soft hyphen, bidi controls …) as long as they name
    /// no path
    pub accept_invisible_names: bool,
}

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
