//! What the relay keeps, as plain values: offices, messages with their files and status, pages of a mailbox, audit
//! entries. Below the store that keeps them and the in-memory cache of recent messages.

use serde::Serialize;

/// A registered office: 事業所番号, its service kinds and its yearly licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub number: String,
    pub name: String,
    pub kinds: Vec<String>,
    /// last day (YYYY-MM-DD) the licence allows sending
    pub licence_until: String,
}

pub use protocol::{Status, Subject};

#[derive(Debug, Clone)]
pub struct FileMeta {
    pub name: String,
    pub kind: Option<String>,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct MessageMeta {
    pub id: String,
    pub seq: i64,
    pub from: String,
    pub to: String,
    pub serial: String,
    pub unit: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub downloaded_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub subject: Subject,
    pub files: Vec<FileMeta>,
}

pub struct NewFile {
    pub name: String,
    pub kind: Option<String>,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

pub struct NewMessage {
    pub id: String,
    pub from: String,
    pub to: String,
    pub serial: String,
    pub unit: Option<String>,
    pub idempotency_key: Option<String>,
    /// SHA-256 of what the send asked for (recipient, every file's name and bytes): a retry under the same
    /// idempotency key must ask for the same
    pub request_digest: String,
    pub created_at: String,
    pub subject: Subject,
    pub files: Vec<NewFile>,
}

/// What became of a [`NewMessage`].
#[derive(Debug, Clone)]
pub enum Inserted {
    /// stored now
    New(MessageMeta),
    /// the same send was stored earlier under this idempotency key: that message, unchanged
    Replayed(MessageMeta),
    /// the key was used earlier for another recipient or other files (that message's id): nothing stored
    KeyConflict(String),
}

/// Which side of a message an office looks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailbox {
    Inbox,
    Outbox,
}

/// Which way a mailbox is listed, and where the page starts: newest first from before a `seq`, or oldest first
/// (the order the messages were committed, which is the order a recipient imports them in: S1 §2.5) from after one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    NewestFirst { before: Option<i64> },
    OldestFirst { after: Option<i64> },
}

impl Mailbox {
    /// The messages column holding the office whose mailbox this is.
    pub fn office_column(self) -> &'static str {
        match self {
            Mailbox::Inbox => "recipient",
            Mailbox::Outbox => "sender",
        }
    }
}

impl Cursor {
    /// Where a page starts (a sequence number, if any), how the sequence compares to it and the order:
    /// `(before, "<", "DESC")` newest first, `(after, ">", "ASC")` oldest first.
    pub fn sequence_range(self) -> (Option<i64>, &'static str, &'static str) {
        match self {
            Cursor::NewestFirst { before } => (before, "<", "DESC"),
            Cursor::OldestFirst { after } => (after, ">", "ASC"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<MessageMeta>,
    /// pass as `before` (newest first) or `after` (oldest first) to get the next page
    pub next: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub office: Option<String>,
    pub action: String,
    pub message_id: Option<String>,
    pub detail: Option<String>,
}

/// What the API answers for a message: the stored record without the store's own sequence number.
impl From<MessageMeta> for protocol::Message {
    fn from(message: MessageMeta) -> protocol::Message {
        protocol::Message {
            id: message.id,
            from: message.from,
            to: message.to,
            serial: message.serial,
            unit: message.unit,
            status: message.status,
            created_at: message.created_at,
            downloaded_at: message.downloaded_at,
            acknowledged_at: message.acknowledged_at,
            subject: message.subject,
            files: message
                .files
                .into_iter()
                .map(|file| protocol::FileEntry {
                    name: file.name,
                    kind: file.kind,
                    size: file.size,
                    sha256: file.sha256,
                })
                .collect(),
        }
    }
}

impl From<Page> for protocol::Page {
    fn from(page: Page) -> protocol::Page {
        protocol::Page { messages: page.messages.into_iter().map(protocol::Message::from).collect(), next: page.next }
    }
}

impl From<&Office> for protocol::Office {
    fn from(office: &Office) -> protocol::Office {
        protocol::Office { number: office.number.clone(), name: office.name.clone(), kinds: office.kinds.clone() }
    }
}
