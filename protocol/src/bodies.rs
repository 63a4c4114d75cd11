//! The JSON bodies the relay answers with.

use serde::{Deserialize, Serialize};

/// Where a message is: sent → downloaded (the recipient fetched a file) → acknowledged (受領確認).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        [Status::Sent, Status::Downloaded, Status::Acknowledged].into_iter().find(|status| status.as_str() == text)
    }
}

/// One file of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    /// the kind its content was read as (`UP1KYO`, …), when it was
    pub kind: Option<String>,
    pub size: i64,
    /// SHA-256 of the bytes as sent, lowercase hex
    pub sha256: String,
}

/// A message: one send unit from one office to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub to: String,
    /// the ファイル連番 of the unit
    pub serial: String,
    /// the kind of the unit's first file
    pub unit: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub downloaded_at: Option<String>,
    pub acknowledged_at: Option<String>,
    /// who the unit is about, read from its files at send time (利用者氏名, else 被保険者番号) and the month its
    /// service tickets are for (対象年月, `YYYYMM`), so a clerk knows whose unit it is without opening it. Only the
    /// two offices of the message are ever shown a message.
    #[serde(default)]
    pub subject: Subject,
    pub files: Vec<FileEntry>,
}

/// Whose unit a message carries, from the first record that has the item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// 利用者氏名 (利用者補足情報, 利用者基本情報 or 介護予防サービス・支援計画書)
    pub user_name: Option<String>,
    /// 被保険者番号
    pub insured_number: Option<String>,
    /// 対象年月 of a 第6表/第7表 unit; none for a plan (第1〜3表) unit
    pub target_month: Option<String>,
}

/// A page of a mailbox, newest first (or, with `order=asc`, oldest first); `next` is the cursor of the following
/// page (`before=` newest first, `after=` oldest first): opaque, and the calling office's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub messages: Vec<Message>,
    pub next: Option<i64>,
}

/// An office in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub number: String,
    pub name: String,
    /// the service kinds (サービス種類コード) it holds
    pub kinds: Vec<String>,
}

/// `GET /v1/offices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub offices: Vec<Office>,
}

/// `GET /v1/me`: the caller's directory entry and its licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub number: String,
    pub name: String,
    pub kinds: Vec<String>,
    /// last day (YYYY-MM-DD) the licence allows sending
    pub licence_until: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}

/// The validator's findings for a set of files: the dry run's answer (`POST /v1/validate`) and the `report` of a
/// send refused with `validation_failed`, in one shape. Messages come in both languages, each finding with what to
/// change (直し方) and the item as the spec names it, so a page or a client shows them without a rule table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    pub files: Vec<ReportFile>,
    /// findings about the send unit as a whole (a missing file, a key without its parent)
    pub set_findings: Vec<ReportFinding>,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFile {
    /// the file name as uploaded
    pub name: String,
    /// the kind code (`UP2KYO`), from the content or else the file name
    pub kind: Option<String>,
    /// 「第2表」
    pub table: Option<String>,
    /// 「居宅サービス計画書（2）」
    pub title: Option<String>,
    /// `Shift_JIS` or `UTF-8`, when it could be read
    pub encoding: Option<String>,
    pub records: usize,
    pub findings: Vec<ReportFinding>,
    /// findings left out past the per-rule limit
    pub suppressed: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFinding {
    /// the rule's stable code, e.g. `FLD006`
    pub rule: String,
    /// the rule's title, in Japanese
    pub title: String,
    /// `error` or `warning`
    pub severity: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// the item as the spec names it: 「第2表 No.9 長期目標」
    pub item: Option<String>,
    pub value: Option<String>,
    /// in Japanese
    pub message: String,
    pub message_en: String,
    /// what to change, from the rule's documentation (直し方)
    pub fix: String,
    pub fix_en: String,
}

impl ValidationReport {
    /// Every finding of every file, then the send unit's.
    pub fn findings(&self) -> impl Iterator<Item = &ReportFinding> {
        self.files.iter().flat_map(|file| &file.findings).chain(&self.set_findings)
    }
}

/// One request as a relay started with `careplan-refserver serve --record FILE` records it (a JSON line each): what
/// the client check (`careplan-conformance client-check`) judges a vendor's client by.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedRequest {
    /// milliseconds since the Unix epoch
    pub at_ms: u64,
    /// the office, from its certificate
    pub office: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub idempotency_key: Option<String>,
    /// for sends: SHA-256 over the uploaded files (names and bytes), to recognise a resend of the same content
    pub upload_digest: Option<String>,
}

/// `GET /v1/evidence`: 送受信記録, what one office sent and received in a period, for an inspector (運営指導). It
/// names files and their digests, never their contents: no 利用者 appears in it. Times are Japan time (+09:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    /// the relay that keeps the record and signs it: name and version
    pub relay: String,
    pub office: Office,
    /// first and last day (YYYY-MM-DD, Japan time) the record covers, both included
    pub from: String,
    pub to: String,
    pub generated_at: String,
    /// who signs the record (the subject of the relay's signing certificate) and how
    pub signer: String,
    /// SHA-256 of the signing certificate (DER, lower-case hex): `evidence verify` accepts the record only with
    /// that certificate
    pub signer_sha256: String,
    pub signature_algorithm: String,
    /// in the order they were sent
    pub messages: Vec<EvidenceMessage>,
    /// sends of this office the relay refused as not conforming (422), in order
    pub refusals: Vec<EvidenceRefusal>,
}

/// One message of an [`EvidenceRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceMessage {
    pub id: String,
    /// `sent` (by the office) or `received`
    pub direction: String,
    /// the other office: its number and its name in the directory (empty when it left the directory)
    pub counterpart: String,
    pub counterpart_name: String,
    pub serial: String,
    pub unit: Option<String>,
    pub sent_at: String,
    /// when the recipient first took a file of it
    pub downloaded_at: Option<String>,
    /// when the recipient acknowledged it (受領確認)
    pub acknowledged_at: Option<String>,
    pub files: Vec<FileEntry>,
}

/// A send of the office that the relay refused because its files do not conform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRefusal {
    pub at: String,
    /// the recipient the send named
    pub to: Option<String>,
    /// the error code (`validation_failed`, …)
    pub error: String,
    /// the codes of the rules the files broke (errors only)
    pub rules: Vec<String>,
    /// names and SHA-256 of the files sent
    pub files: Vec<EvidenceFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub name: String,
    pub sha256: String,
}
