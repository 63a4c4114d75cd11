//! What the relay keeps, as plain values: offices, messages with their files and status, pages of a mailbox, audit
//! entries. Below the store that keeps them and the in-memory cache of recent messages.

use serde::Serialize;

/// A registered office: 事業所番号, its service kinds and its yearly licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Office {
    pub number: String,
    pub name: String,
    pub kinds: Vec<String>,
    /// last day (YYYY-MM-DD) the licence allows sending
    pub licence_until: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Sent,
    Downloaded,
    Acknowledged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Downloaded => "downloaded",
            Status::Acknowledged => "acknowledged",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "sent" => Some(Status::Sent),
            "downloaded" => Some(Status::Downloaded),
            "acknowledged" => Some(Status::Acknowledged),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileMeta {
    pub name: String,
    pub kind: Option<String>,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageMeta {
    pub id: String,
    #[serde(skip)]
    pub seq: i64,
    pub from: String,
    pub to: String,
    pub serial: String,
    pub unit: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub downloaded_at: Option<String>,
    pub acknowledged_at: Option<String>,
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

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub messages: Vec<MessageMeta>,
    /// pass as `before` to get the next (older) page
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
