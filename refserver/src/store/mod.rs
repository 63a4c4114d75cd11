//! Durable storage behind one contract, [`Store`], on two backends: the embedded default ([`SqliteStore`], in
//! `sqlite`) and PostgreSQL for several relay nodes on one database ([`PgStore`], in `postgres`). Whatever the two
//! must do alike is written here once, above them, and they call it: the idempotency decision of a send
//! ([`idempotency`]), the status machine ([`Transition`]), the exchange record's window and the other statements
//! both run ([`sql`]), how a row becomes a record ([`Row`]), and the rule that a schema newer than this binary is
//! refused ([`migrations_to_run`]). A backend only runs the statements and keeps its transactions.
//!
//! `recent` is the relay's in-memory copy of the latest messages (the SQLite backend's read cache); `pgcluster`
//! (feature `sandbox`) starts a throw-away PostgreSQL for the tests and tools.

use std::sync::Arc;

use crate::model::Subject;
use crate::model::{AuditEntry, Cursor, FileMeta, Inserted, Mailbox, MessageMeta, NewMessage, Office, Page, Status};

mod location;
#[cfg(feature = "sandbox")]
pub mod pgcluster;
pub mod postgres;
pub mod recent;
pub mod sqlite;

pub use location::{Opener, StoreLocation};
pub use postgres::{OpenError, PgStore, SslMode};
pub use sqlite::SqliteStore;

/// A driver's own error, kept as the [`std::error::Error::source`] of a [`StoreError`].
pub type DriverError = Box<dyn std::error::Error + Send + Sync>;

/// Why the store did not do what it was asked; one variant per condition, the same on both backends.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reached its size limit (`--max-store-mb`) or the disk is full; nothing of the change is
    /// stored. The relay answers `507`.
    #[error("the store is full")]
    Full,
    /// A statement failed, or the connection it ran on.
    #[error("database: {source}")]
    Database {
        #[source]
        source: DriverError,
    },
    /// The commit of the transaction that carried the change failed: nothing of it is stored.
    #[error("the commit failed: {source}")]
    Commit {
        #[source]
        source: DriverError,
    },
    /// The store is closed or its writer has stopped; the change was not taken.
    #[error("the store is closed")]
    Closed,
    /// A lock of the store was poisoned by a panic in another request.
    #[error("the store's lock was poisoned by a panic in another request")]
    Poisoned,
    /// A thread or runtime of the store could not be started.
    #[error("cannot start the store's threads: {0}")]
    Threads(#[source] std::io::Error),
    /// Work of the store ended in a panic (`during` says which).
    #[error("the store panicked while {during}")]
    Panicked { during: &'static str },
    /// The store's folder or file cannot be made or opened.
    #[error("{}: {source}", path.display())]
    Io { path: std::path::PathBuf, source: std::io::Error },
    /// The database was migrated by a newer relay; this one refuses to read or write it with an older idea of
    /// its tables.
    #[error("the database's schema is version {found}, newer than this relay knows ({known}): run a newer relay")]
    NewerSchema { found: i64, known: i64 },
    /// A message stored by a transaction was not found again in that transaction.
    #[error("message {id} vanished in the transaction that stored it")]
    Vanished { id: String },
    /// A message's id could name something other than one file in the embedded store's files folder; nothing
    /// is stored (the relay's ids are `m_` and hex).
    #[error("message id {id:?} cannot name a file on disk")]
    Unnameable { id: String },
    /// A stored file on disk is not of the size its row records (torn or altered since it was stored).
    #[error("{}: {found} bytes on disk, {recorded} stored", path.display())]
    Damaged { path: std::path::PathBuf, recorded: i64, found: u64 },
    /// A [`Pending`] was polled again after it had answered.
    #[error("a change's answer was asked for after it was taken")]
    AnsweredTwice,
}

impl StoreError {
    pub(crate) fn database(source: impl Into<DriverError>) -> StoreError {
        StoreError::Database { source: source.into() }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the relay keeps. Reads and changes alike answer through a [`Pending`] (await it in async code,
/// `wait()` elsewhere); a change's resolves once the change is durable. Implementations store a change together
/// with its audit entry (both or neither), so the audit log never misses nor invents an access.
pub trait Store: Send + Sync {
    fn put_office(&self, office: &Office) -> Pending<()>;
    /// Takes an office out of the registry (its messages stay until retention), with the audit entry; `false`
    /// when it was not registered.
    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool>;
    fn office(&self, number: &str) -> Pending<Option<Office>>;
    /// Offices whose number starts with or whose name contains `query` (all when `None`), in number order, at most
    /// `limit` of them (every one when `None`: the tools that list or copy the registry).
    fn offices(&self, query: Option<&str>, limit: Option<usize>) -> Pending<Vec<Office>>;
    /// Stores a message with its audit entry. Under an idempotency key the (sender, key) used before, it stores
    /// nothing: the same request digest is a replay (audited as `replay`), another is a conflict ([`idempotency`]).
    /// May block on the disk before it returns (the embedded store writes and syncs the files here, so that the
    /// commit carries only their names, sizes and digests): async code calls it from a blocking task.
    fn insert_message(&self, message: NewMessage, audit: AuditEntry) -> Pending<Inserted>;
    fn message(&self, id: &str) -> Pending<Option<MessageMeta>>;
    fn list(
        &self,
        office: &str,
        mailbox: Mailbox,
        status: Option<Status>,
        cursor: Cursor,
        limit: usize,
    ) -> Pending<Page>;
    /// Every message `office` sent or received that was created in `[start, end)` (times as the store writes
    /// them, compared as text), in the order they were committed ([`sql::EXCHANGED`]).
    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>>;
    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>>;
    /// Records a download ([`Transition::Download`]: sent → downloaded, later states stay), and the audit entry.
    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()>;
    /// [`Transition::Acknowledge`], with the audit entry; returns the message afterwards.
    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>>;
    fn audit(&self, entry: &AuditEntry) -> Pending<()>;
    /// Stores an entry about someone the relay does not know (a refused handshake) only while the store keeps
    /// room for what offices send (else it is only logged). A store without a size limit always stores it.
    fn audit_unauthenticated(&self, entry: &AuditEntry) -> Pending<()> {
        self.audit(entry)
    }
    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>>;
    /// Deletes messages created before `cutoff` (their bytes overwritten, not left in free space, files removed);
    /// returns how many.
    fn purge_before(&self, cutoff: &str) -> Pending<usize>;
    /// Moves what the write-ahead log holds into the database and empties the log, so that no earlier copy of
    /// purged rows stays on disk there (run after a purge).
    fn compact(&self) -> Pending<()>;
    fn status_counts(&self) -> Pending<Vec<(String, i64)>>;
    /// Whether this process is the one to run the retention purge now: `false` when another process (another relay
    /// node on the same database) ran it less than `interval` ago. A store only one process writes always says yes.
    fn claim_purge(&self, interval: std::time::Duration) -> Pending<bool> {
        let _ = interval;
        Pending::ready(Ok(true))
    }
    /// Calls `arrived` with the recipient of every message another process (another relay node on the same
    /// database) stores from when this returns (it waits a few seconds at most for its listener). A store only one
    /// process writes has nothing to report: the relay wakes its own waiters when it stores a message.
    fn watch_arrivals(&self, arrived: Arc<dyn Fn(&str) + Send + Sync>) {
        let _ = arrived;
    }
    /// How many times the store has waited for its database's answer (statements sent together count once), for
    /// `/metrics`; `None` where there is no database connection to wait on (the embedded store).
    fn round_trips(&self) -> Option<u64> {
        None
    }
}

/// Registers in the store at `to` every office the store at `from` has (a sandbox's offices, made in its
/// embedded store, on a PostgreSQL database); returns how many.
pub fn copy_offices(from: &StoreLocation, to: &StoreLocation) -> std::result::Result<usize, OpenError> {
    let (from, to) = (from.open(Opener::Tool)?, to.open(Opener::Tool)?);
    let offices = from.offices(None, None).wait()?;
    for office in &offices {
        to.put_office(office).wait()?;
    }
    Ok(offices.len())
}

/// What a send under an idempotency key becomes, given what its sender stored under that key before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent {
    /// the key is new (or the message it named is gone): store the send
    Store,
    /// the same request again: answer with that message (`id`), store nothing
    Replay(String),
    /// the key was used for another request (that message's `id`): store nothing
    Conflict(String),
}

/// The idempotency decision: `earlier` is the (id, request digest) stored under the sender's key, if any. A message
/// stored before digests were kept (`None`) is taken as the same request.
pub fn idempotency(earlier: Option<(String, Option<String>)>, request_digest: &str) -> Idempotent {
    match earlier {
        None => Idempotent::Store,
        Some((id, Some(digest))) if digest != request_digest => Idempotent::Conflict(id),
        Some((id, _)) => Idempotent::Replay(id),
    }
}

/// The audit entry a replay is recorded with, in place of the send's.
pub fn replay_entry(send: AuditEntry, id: &str, key: &str) -> AuditEntry {
    AuditEntry {
        action: "replay".into(),
        message_id: Some(id.to_string()),
        detail: Some(format!("Idempotency-Key {key}")),
        ..send
    }
}

/// The status machine: a message moves one way, sent → downloaded → acknowledged; an acknowledgement may come
/// without a download, and a later state is never moved back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Download,
    Acknowledge,
}

impl Transition {
    const STATUSES: [Status; 3] = [Status::Sent, Status::Downloaded, Status::Acknowledged];

    /// The state a message is moved to.
    pub fn to(self) -> Status {
        match self {
            Transition::Download => Status::Downloaded,
            Transition::Acknowledge => Status::Acknowledged,
        }
    }

    /// Whether a message in `status` moves; one that does not keeps its state and its times.
    pub fn moves(self, status: Status) -> bool {
        match self {
            Transition::Download => status == Status::Sent,
            Transition::Acknowledge => status != Status::Acknowledged,
        }
    }

    /// The column that records when.
    fn time_column(self) -> &'static str {
        match self {
            Transition::Download => "downloaded_at",
            Transition::Acknowledge => "acknowledged_at",
        }
    }

    /// The statement both backends run (`$1` the message's id, `$2` the time), derived from [`Transition::moves`].
    pub(crate) fn sql(self) -> String {
        let from: Vec<String> = Transition::STATUSES
            .into_iter()
            .filter(|status| self.moves(*status))
            .map(|status| format!("'{}'", status.as_str()))
            .collect();
        format!(
            "UPDATE messages SET status = '{}', {} = $2 WHERE id = $1 AND status IN ({})",
            self.to().as_str(),
            self.time_column(),
            from.join(", ")
        )
    }
}

/// Which migrations a database at schema version `found` still needs, of `known` (the binary's): the steps
/// `found..known`; a newer database is refused.
pub fn migrations_to_run(found: i64, known: usize) -> Result<std::ops::Range<usize>> {
    let known_version = i64::try_from(known).unwrap_or(i64::MAX);
    if found > known_version {
        return Err(StoreError::NewerSchema { found, known: known_version });
    }
    Ok(usize::try_from(found.max(0)).unwrap_or(0)..known)
}

/// The statements both backends run, written with PostgreSQL's `$n` parameters (the SQLite backend reads them
/// as `?n`, the same positions).
pub(crate) mod sql {
    /// The columns a message row is read with, in the order [`super::message_from`] reads them.
    macro_rules! message_select {
        () => {
            "SELECT seq, id, sender, recipient, serial, unit, status, created_at, downloaded_at, acknowledged_at, \
             user_name, insured_number, target_month FROM messages"
        };
    }

    pub const PUT_OFFICE: &str = "INSERT INTO offices (number, name, kinds, licence_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (number) DO UPDATE SET name = $2, kinds = $3, licence_until = $4";
    pub const REMOVE_OFFICE: &str = "DELETE FROM offices WHERE number = $1";
    pub const OFFICE: &str = "SELECT number, name, kinds, licence_until FROM offices WHERE number = $1";
    pub const EARLIER_SEND: &str = "SELECT id, request_digest FROM messages WHERE sender = $1 AND idempotency_key = $2";
    pub const INSERT_MESSAGE: &str = "INSERT INTO messages (id, sender, recipient, serial, unit, status, created_at,
            idempotency_key, request_digest, user_name, insured_number, target_month)
         VALUES ($1, $2, $3, $4, $5, 'sent', $6, $7, $8, $9, $10, $11)";
    pub const INSERT_AUDIT: &str =
        "INSERT INTO audit (at, office, action, message_id, detail) VALUES ($1, $2, $3, $4, $5)";
    pub const MESSAGE: &str = concat!(message_select!(), " WHERE id = $1");
    pub const FILES_OF: &str = "SELECT name, kind, size, sha256 FROM files WHERE message_id = $1 ORDER BY position";
    /// PostgreSQL only: it keeps the bytes in the database, the embedded store beside it (`sqlite::files`).
    pub const FILE_BYTES: &str = "SELECT bytes FROM files WHERE message_id = $1 AND name = $2";
    /// The exchange record's window: what `$1` sent or received, created in `[$2, $3)`, in commit order.
    pub const EXCHANGED: &str = concat!(
        message_select!(),
        " WHERE (sender = $1 OR recipient = $1) AND created_at >= $2 AND created_at < $3 ORDER BY seq"
    );
    pub const AUDIT_LOG: &str = "SELECT at, office, action, message_id, detail FROM audit
         WHERE (CAST($1 AS TEXT) IS NULL OR office = $1) AND (CAST($2 AS TEXT) IS NULL OR at >= $2) ORDER BY id";
    pub const PURGE: &str = "DELETE FROM messages WHERE created_at < $1";
    pub const STATUS_COUNTS: &str = "SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status";

    /// A page of a mailbox: `$1` the office, `$2` how many rows to fetch, then the status (when filtered) and the
    /// cursor's sequence number (when given), numbered on. Conditions only for the filters given, so the planner
    /// walks the (office, status, seq) index.
    pub fn list(mailbox: crate::model::Mailbox, by_status: bool, cursor: crate::model::Cursor) -> String {
        let (from, comparison, order) = cursor.sequence_range();
        let mut conditions = String::new();
        let mut next = 3;
        if by_status {
            conditions.push_str(&format!(" AND status = ${next}"));
            next += 1;
        }
        if from.is_some() {
            conditions.push_str(&format!(" AND seq {comparison} ${next}"));
        }
        format!(
            concat!(message_select!(), " WHERE {side} = $1{conditions} ORDER BY seq {order} LIMIT $2"),
            side = mailbox.office_column(),
            conditions = conditions,
            order = order
        )
    }
}

/// A row as a backend hands it out; the records are read from it here, once for both.
pub(crate) trait Row {
    fn text(&self, index: usize) -> Result<String>;
    fn maybe_text(&self, index: usize) -> Result<Option<String>>;
    fn integer(&self, index: usize) -> Result<i64>;
    fn bytes(&self, index: usize) -> Result<Vec<u8>>;
}

/// [`Row`] for a driver's row type whose `$get` reads a column as any type (its error converting into a
/// [`StoreError`]).
macro_rules! row_reads_with {
    ($row:ty, $get:ident) => {
        impl $crate::store::Row for $row {
            fn text(&self, index: usize) -> $crate::store::Result<String> {
                Ok(self.$get(index)?)
            }
            fn maybe_text(&self, index: usize) -> $crate::store::Result<Option<String>> {
                Ok(self.$get(index)?)
            }
            fn integer(&self, index: usize) -> $crate::store::Result<i64> {
                Ok(self.$get(index)?)
            }
            fn bytes(&self, index: usize) -> $crate::store::Result<Vec<u8>> {
                Ok(self.$get(index)?)
            }
        }
    };
}
use row_reads_with;

pub(crate) fn office_from(row: &dyn Row) -> Result<Office> {
    Ok(Office {
        number: row.text(0)?,
        name: row.text(1)?,
        kinds: row.text(2)?.split(',').filter(|k| !k.is_empty()).map(String::from).collect(),
        licence_until: row.text(3)?,
    })
}

/// A message row read with [`sql::MESSAGE`]'s columns; its files are read apart ([`file_from`]).
pub(crate) fn message_from(row: &dyn Row) -> Result<MessageMeta> {
    Ok(MessageMeta {
        seq: row.integer(0)?,
        id: row.text(1)?,
        from: row.text(2)?,
        to: row.text(3)?,
        serial: row.text(4)?,
        unit: row.maybe_text(5)?,
        status: Status::parse(&row.text(6)?).unwrap_or(Status::Sent),
        created_at: row.text(7)?,
        downloaded_at: row.maybe_text(8)?,
        acknowledged_at: row.maybe_text(9)?,
        subject: Subject {
            user_name: row.maybe_text(10)?,
            insured_number: row.maybe_text(11)?,
            target_month: row.maybe_text(12)?,
        },
        files: Vec::new(),
    })
}

pub(crate) fn file_from(row: &dyn Row) -> Result<FileMeta> {
    Ok(FileMeta { name: row.text(0)?, kind: row.maybe_text(1)?, size: row.integer(2)?, sha256: row.text(3)? })
}

pub(crate) fn audit_from(row: &dyn Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        at: row.text(0)?,
        office: row.maybe_text(1)?,
        action: row.text(2)?,
        message_id: row.maybe_text(3)?,
        detail: row.maybe_text(4)?,
    })
}

/// A change on its way to disk (or a read on its way back): resolves to its result once the batch that carries it
/// is committed.
#[must_use = "a change is only known to be durable once its Pending resolves"]
pub struct Pending<T>(PendingState<T>);

// Nothing in a Pending is pinned in place: the oneshot receiver is Unpin and a ready result is only moved out.
impl<T> Unpin for Pending<T> {}

enum PendingState<T> {
    Ready(Option<Result<T>>),
    Waiting(tokio::sync::oneshot::Receiver<Result<T>>),
    Chained(std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send>>),
}

impl<T> Pending<T> {
    pub fn ready(result: Result<T>) -> Pending<T> {
        Pending(PendingState::Ready(Some(result)))
    }

    /// An answer that arrives on `receiver` (a dropped sender reads as a closed store).
    pub(crate) fn waiting(receiver: tokio::sync::oneshot::Receiver<Result<T>>) -> Pending<T> {
        Pending(PendingState::Waiting(receiver))
    }

    /// An answer made from other answers (a store wrapped around another awaits the inner one's).
    pub fn chained(answer: impl std::future::Future<Output = Result<T>> + Send + 'static) -> Pending<T> {
        Pending(PendingState::Chained(Box::pin(answer)))
    }

    /// Blocks this thread until the change is durable: for command-line tools and tests, not async code.
    pub fn wait(mut self) -> Result<T> {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut context = std::task::Context::from_waker(&waker);
        loop {
            if let std::task::Poll::Ready(result) =
                std::future::Future::poll(std::pin::Pin::new(&mut self), &mut context)
            {
                return result;
            }
            std::thread::park();
        }
    }
}

impl<T> std::future::Future for Pending<T> {
    type Output = Result<T>;

    fn poll(mut self: std::pin::Pin<&mut Self>, context: &mut std::task::Context<'_>) -> std::task::Poll<Result<T>> {
        match &mut self.0 {
            PendingState::Ready(result) => {
                std::task::Poll::Ready(result.take().unwrap_or(Err(StoreError::AnsweredTwice)))
            }
            PendingState::Waiting(answer) => {
                std::pin::Pin::new(answer).poll(context).map(|answer| answer.unwrap_or(Err(StoreError::Closed)))
            }
            PendingState::Chained(answer) => answer.as_mut().poll(context),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_used_before_replays_the_same_request_and_refuses_another() {
        let earlier = |digest: Option<&str>| Some(("m_1".to_string(), digest.map(String::from)));
        assert_eq!(idempotency(None, "d"), Idempotent::Store);
        assert_eq!(idempotency(earlier(Some("d")), "d"), Idempotent::Replay("m_1".into()));
        assert_eq!(idempotency(earlier(Some("other")), "d"), Idempotent::Conflict("m_1".into()));
        assert_eq!(idempotency(earlier(None), "d"), Idempotent::Replay("m_1".into()), "stored before digests");
    }

    #[test]
    fn the_status_machine_moves_one_way() {
        use Status::*;
        let moves = |t: Transition| [Sent, Downloaded, Acknowledged].map(|s| t.moves(s));
        assert_eq!(moves(Transition::Download), [true, false, false]);
        assert_eq!(moves(Transition::Acknowledge), [true, true, false]);
        assert!(Transition::Download.sql().ends_with("status IN ('sent')"), "{}", Transition::Download.sql());
        assert!(Transition::Acknowledge.sql().ends_with("status IN ('sent', 'downloaded')"));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        assert_eq!(migrations_to_run(0, 3).unwrap(), 0..3);
        assert_eq!(migrations_to_run(2, 3).unwrap(), 2..3);
        let refused = migrations_to_run(4, 3).unwrap_err().to_string();
        assert!(refused.contains("version 4, newer than this relay knows (3)"), "{refused}");
    }
}
