//! Durable storage behind a narrow [`Store`] trait. The embedded default is SQLite (bundled, WAL journal,
//! `synchronous = FULL`): a transaction that returns has been fsync'd, so a message answered with `201` survives
//! `kill -9`. Message files are stored exactly as received. `crate::pgstore` keeps the same on PostgreSQL.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use crate::recent::Recent;
use rusqlite::{params, Connection, OptionalExtension};

pub use crate::model::{
    AuditEntry, Cursor, FileMeta, Inserted, Mailbox, MessageMeta, NewFile, NewMessage, Office, Page, Status, Subject,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store is full")]
    Full,
    #[error("database: {0}")]
    Sqlite(rusqlite::Error),
    #[error("the store's lock was poisoned by a panic in another request")]
    Poisoned,
    #[error("the store's writer: {0}")]
    Writer(String),
    #[error("{}: {source}", path.display())]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the database's schema is version {found}, newer than this relay knows ({known}): run a newer relay")]
    NewerSchema { found: i32, known: i32 },
}

impl StoreError {
    /// The error every write of a batch gets when the batch's commit fails.
    fn from_commit(error: &rusqlite::Error) -> StoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full,
            _ => StoreError::Writer(format!("commit failed: {error}")),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full,
            _ => StoreError::Sqlite(error),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the relay keeps. Reads return at once; every change returns a [`Pending`] that resolves once the
/// change is durable (await it in async code, `wait()` elsewhere). Implementations store a change
/// together with its audit entry (both or neither), so the audit log never misses nor invents an access.
pub trait Store: Send + Sync {
    fn put_office(&self, office: &Office) -> Pending<()>;
    /// Takes an office out of the registry (its messages stay until retention), with the audit entry; `false`
    /// when it was not registered.
    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool>;
    fn office(&self, number: &str) -> Pending<Option<Office>>;
    /// Offices whose number starts with or whose name contains `query` (all when `None`).
    fn offices(&self, query: Option<&str>) -> Pending<Vec<Office>>;
    /// Stores a message with its audit entry. Under an idempotency key the (sender, key) used before, it stores
    /// nothing: the same request digest is a replay (audited as `replay`), another is a conflict.
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
    /// them, compared as text), in the order they were committed.
    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>>;
    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>>;
    /// Records a download: sent → downloaded (later states stay), and the audit entry.
    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()>;
    /// → acknowledged, with the audit entry; returns the message afterwards.
    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>>;
    fn audit(&self, entry: &AuditEntry) -> Pending<()>;
    /// Stores an entry about someone the relay does not know (a refused handshake) only while the store keeps
    /// room for what offices send (else it is only logged). A store without a size limit always stores it.
    fn audit_unauthenticated(&self, entry: &AuditEntry) -> Pending<()> {
        self.audit(entry)
    }
    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>>;
    /// Deletes messages created before `cutoff` (their bytes overwritten, not left in free space); returns how many.
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
    /// database) stores from now on. A store only one process writes has nothing to report: the relay wakes its
    /// own waiters when it stores a message.
    fn watch_arrivals(&self, arrived: Arc<dyn Fn(&str) + Send + Sync>) {
        let _ = arrived;
    }
}

/// SQLite store with group commit. Every write runs on one writer thread: it takes all writes that are waiting,
/// runs each inside its own savepoint of one transaction and commits them together, so one fsync makes a whole
/// batch durable. Callers are answered only after that commit. Reads run on a small pool of separate connections,
/// which WAL lets proceed while the writer commits.
pub struct SqliteStore {
    writes: Option<mpsc::Sender<WriteJob>>,
    writer: Option<std::thread::JoinHandle<()>>,
    checkpointer: Option<std::thread::JoinHandle<()>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// the relay's in-memory copy of recent messages (see [`SqliteStore::with_recent`])
    recent: Option<Arc<Recent>>,
}

/// A write waiting for the writer thread: it runs inside the batch's transaction and returns what to tell its
/// caller once the commit's outcome is known.
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;
/// Tells one caller how its write ended; `Err` carries the failed commit.
type Completion = Box<dyn FnOnce(std::result::Result<(), &rusqlite::Error>) + Send>;

/// Upper bound of writes per commit, so one batch's latency stays bounded under any load.
const MAX_BATCH: usize = 512;
const READERS: usize = 4;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
-- Purged and replaced rows are overwritten, not left readable in free pages.
PRAGMA secure_delete = ON;
CREATE TABLE IF NOT EXISTS offices (
    number TEXT PRIMARY KEY, name TEXT NOT NULL, kinds TEXT NOT NULL, licence_until TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, recipient TEXT NOT NULL,
    serial TEXT NOT NULL, unit TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL, downloaded_at TEXT,
    acknowledged_at TEXT, idempotency_key TEXT, request_digest TEXT, user_name TEXT, insured_number TEXT,
    target_month TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS messages_idempotency ON messages(sender, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_inbox ON messages(recipient, seq);
CREATE INDEX IF NOT EXISTS messages_outbox ON messages(sender, seq);
-- What an office polls for (its unread inbox): found directly, however many messages it has received.
CREATE INDEX IF NOT EXISTS messages_inbox_status ON messages(recipient, status, seq);
CREATE INDEX IF NOT EXISTS messages_outbox_status ON messages(sender, status, seq);
CREATE TABLE IF NOT EXISTS files (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE, position INTEGER NOT NULL,
    name TEXT NOT NULL, kind TEXT, size INTEGER NOT NULL, sha256 TEXT NOT NULL, bytes BLOB NOT NULL,
    PRIMARY KEY (message_id, name));
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, office TEXT, action TEXT NOT NULL, message_id TEXT,
    detail TEXT);
CREATE INDEX IF NOT EXISTS audit_office ON audit(office, at);
";

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir/relay.sqlite3`.
    pub fn open(dir: &Path) -> Result<SqliteStore> {
        SqliteStore::open_limited(dir, None)
    }

    /// Opens the store, refusing to grow the database beyond `max_bytes` (writes past it fail as [`StoreError::Full`]).
    pub fn open_limited(dir: &Path, max_bytes: Option<u64>) -> Result<SqliteStore> {
        let path = dir.join("relay.sqlite3");
        crate::private::create_dir(dir)
            .and_then(|()| crate::private::create_file(&path))
            .map_err(|source| StoreError::Io { path: path.clone(), source })?;
        let connect = || -> Result<Connection> {
            let connection = Connection::open(&path)?;
            connection.busy_timeout(std::time::Duration::from_secs(10))?;
            Ok(connection)
        };
        let writer = connect()?;
        writer.execute_batch(SCHEMA)?;
        migrate(&writer)?;
        if let Some(max_bytes) = max_bytes {
            let page_size: u64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            let pages = (max_bytes / page_size.max(1)).max(1);
            writer.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        }
        let readers = (0..READERS).map(|_| connect().map(Mutex::new)).collect::<Result<_>>()?;
        // The writer only appends to the WAL; copying it into the database (and that file's fsync) happens on a
        // thread of its own, so commits do not wait behind checkpoints. A commit is durable once the WAL is synced.
        writer.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))?;
        let (committed, ticks) = mpsc::sync_channel::<()>(1);
        let checkpoints = connect()?;
        let checkpointer = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || checkpoint_after_commits(&checkpoints, &ticks))
            .map_err(|error| StoreError::Writer(error.to_string()))?;
        let (writes, queue) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || commit_batches(writer, queue, committed))
            .map_err(|error| StoreError::Writer(error.to_string()))?;
        Ok(SqliteStore {
            writes: Some(writes),
            writer: Some(writer),
            checkpointer: Some(checkpointer),
            readers,
            next_reader: AtomicUsize::new(0),
            recent: None,
        })
    }

    /// Keeps about `bytes` of the latest messages in memory for reads. Only for the one process that writes
    /// this database (the relay): another writer's changes would not reach the copy.
    pub fn with_recent(mut self, bytes: usize) -> SqliteStore {
        self.recent = Some(Arc::new(Recent::new(bytes)));
        self
    }

    /// Runs a read at once on a reader connection (a local file answers in microseconds: no thread hop); the
    /// answer is ready when this returns.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Pending<T> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // Take the first idle reader; when all are busy, wait for the one this call was dealt.
        for offset in 0..self.readers.len() {
            if let Ok(connection) = self.readers[(start + offset) % self.readers.len()].try_lock() {
                return Pending::ready(f(&connection));
            }
        }
        Pending::ready(match self.readers[start % self.readers.len()].lock() {
            Ok(connection) => f(&connection),
            Err(_) => Err(StoreError::Poisoned),
        })
    }

    /// Queues `f` for the next batch; the returned [`Pending`] resolves once that batch is durable.
    fn write<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Pending<T> {
        self.write_then(f, |_, _| {})
    }

    /// Like [`SqliteStore::write`]; once committed, and before its caller hears of it, `then` brings the
    /// in-memory copy of recent messages (if kept) up to date with the result.
    fn write_then<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
        then: impl FnOnce(&Recent, &T) + Send + 'static,
    ) -> Pending<T> {
        let recent = self.recent.clone();
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: WriteJob = Box::new(move |connection| {
            let outcome = in_savepoint(connection, f);
            Box::new(move |committed| {
                let result = match (outcome, committed) {
                    (Ok(value), Ok(())) => {
                        if let Some(recent) = &recent {
                            then(recent, &value);
                        }
                        Ok(value)
                    }
                    (Ok(_), Err(error)) => Err(StoreError::from_commit(error)),
                    (Err(error), _) => Err(error),
                };
                let _ = reply.send(result);
            })
        });
        match self.writes.as_ref().map(|writes| writes.send(job)) {
            Some(Ok(())) => Pending(PendingState::Waiting(answer)),
            _ => Pending::ready(Err(StoreError::Writer("the writer thread has stopped".into()))),
        }
    }
}

/// Brings a store written by an earlier version up to [`SCHEMA`]: columns added since.
fn migrate(connection: &Connection) -> Result<()> {
    let has_column = |name: &str| -> Result<bool> {
        Ok(connection.prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = ?1")?.exists([name])?)
    };
    if !has_column("request_digest")? {
        // Messages stored before have no digest: a retry of one under its key is taken as a replay, as before.
        connection.execute_batch("ALTER TABLE messages ADD COLUMN request_digest TEXT")?;
    }
    if !has_column("user_name")? {
        // Messages stored before show no 利用者 in the lists; their files still say it.
        connection.execute_batch(
            "ALTER TABLE messages ADD COLUMN user_name TEXT; ALTER TABLE messages ADD COLUMN insured_number TEXT;
             ALTER TABLE messages ADD COLUMN target_month TEXT;",
        )?;
    }
    Ok(())
}

/// A change on its way to disk: resolves to its result once the batch that carries it is committed.
#[must_use = "a change is only known to be durable once its Pending resolves"]
pub struct Pending<T>(PendingState<T>);

// Nothing in a Pending is pinned in place: the oneshot receiver is Unpin and a ready result is only moved out.
impl<T> Unpin for Pending<T> {}

enum PendingState<T> {
    Ready(Option<Result<T>>),
    Waiting(tokio::sync::oneshot::Receiver<Result<T>>),
}

impl<T> Pending<T> {
    pub fn ready(result: Result<T>) -> Pending<T> {
        Pending(PendingState::Ready(Some(result)))
    }

    /// An answer that arrives on `receiver` (a dropped sender reads as a stopped store).
    pub(crate) fn waiting(receiver: tokio::sync::oneshot::Receiver<Result<T>>) -> Pending<T> {
        Pending(PendingState::Waiting(receiver))
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
            PendingState::Ready(result) => std::task::Poll::Ready(
                result.take().unwrap_or_else(|| Err(StoreError::Writer("polled after completion".into()))),
            ),
            PendingState::Waiting(answer) => std::pin::Pin::new(answer).poll(context).map(|answer| {
                answer.unwrap_or_else(|_| Err(StoreError::Writer("the writer thread has stopped".into())))
            }),
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and exit; waiting for it closes the database.
        self.writes.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        // The writer's end closed the checkpointer's channel: it runs its last checkpoint and stops.
        if let Some(checkpointer) = self.checkpointer.take() {
            let _ = checkpointer.join();
        }
    }
}

/// Copies committed WAL frames into the database after commits (several commits while one checkpoint runs make
/// one more), without waiting for readers; ends when the writer does.
fn checkpoint_after_commits(connection: &Connection, ticks: &mpsc::Receiver<()>) {
    while ticks.recv().is_ok() {
        if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "WAL checkpoint failed; the next commit retries it");
        }
    }
}

/// Runs one write so that its failure undoes only its own changes, not the rest of the batch.
fn in_savepoint<T>(connection: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    // Every write opens and releases one: parsed once per connection, not once per write.
    connection.prepare_cached("SAVEPOINT write")?.execute([])?;
    match f(connection) {
        Ok(value) => {
            connection.prepare_cached("RELEASE write")?.execute([])?;
            Ok(value)
        }
        Err(error) => {
            // SQLite may already have rolled the whole transaction back (disk full, I/O error); then there is no
            // savepoint left to undo and the batch loop sees the transaction gone.
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK TO write; RELEASE write");
            }
            Err(error)
        }
    }
}

fn commit_batches(connection: Connection, queue: mpsc::Receiver<WriteJob>, checkpoint_due: mpsc::SyncSender<()>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_BATCH - 1));
        let mut waiting: Vec<Completion> = Vec::with_capacity(jobs.len());
        let mut begun = connection.execute_batch("BEGIN IMMEDIATE");
        for job in jobs {
            if let Err(error) = &begun {
                job(&connection)(Err(error));
                continue;
            }
            waiting.push(job(&connection));
            if connection.is_autocommit() {
                // SQLite rolled the transaction back under this write: none of the batch so far is stored.
                let error = rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("the batch's transaction was rolled back".into()),
                );
                waiting.drain(..).for_each(|done| done(Err(&error)));
                begun = connection.execute_batch("BEGIN IMMEDIATE");
            }
        }
        if begun.is_ok() {
            let committed = connection.execute_batch("COMMIT");
            if committed.is_err() && !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            waiting.into_iter().for_each(|done| done(committed.as_ref().map(|_| ())));
            // Full means a checkpoint is already due: it will take this commit's frames too.
            let _ = checkpoint_due.try_send(());
        }
    }
}

fn office_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<Office> {
    let kinds: String = row.get(2)?;
    Ok(Office {
        number: row.get(0)?,
        name: row.get(1)?,
        kinds: kinds.split(',').filter(|k| !k.is_empty()).map(String::from).collect(),
        licence_until: row.get(3)?,
    })
}

/// The columns every message row is read with (`message_from` here, and the PostgreSQL store's).
pub(crate) const MESSAGE_COLUMNS: &str =
    "seq, id, sender, recipient, serial, unit, status, created_at, downloaded_at, acknowledged_at, user_name, \
     insured_number, target_month";

fn message_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageMeta> {
    let status: String = row.get(6)?;
    Ok(MessageMeta {
        seq: row.get(0)?,
        id: row.get(1)?,
        from: row.get(2)?,
        to: row.get(3)?,
        serial: row.get(4)?,
        unit: row.get(5)?,
        status: Status::parse(&status).unwrap_or(Status::Sent),
        created_at: row.get(7)?,
        downloaded_at: row.get(8)?,
        acknowledged_at: row.get(9)?,
        subject: Subject { user_name: row.get(10)?, insured_number: row.get(11)?, target_month: row.get(12)? },
        files: Vec::new(),
    })
}

fn with_files(connection: &Connection, mut message: MessageMeta) -> rusqlite::Result<MessageMeta> {
    let mut statement = connection
        .prepare_cached("SELECT name, kind, size, sha256 FROM files WHERE message_id = ?1 ORDER BY position")?;
    message.files = statement
        .query_map([&message.id], |row| {
            Ok(FileMeta { name: row.get(0)?, kind: row.get(1)?, size: row.get(2)?, sha256: row.get(3)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(message)
}

fn insert_audit(connection: &Connection, entry: &AuditEntry) -> Result<()> {
    connection
        .prepare_cached("INSERT INTO audit (at, office, action, message_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![entry.at, entry.office, entry.action, entry.message_id, entry.detail])?;
    Ok(())
}

fn load_message(connection: &Connection, id: &str) -> rusqlite::Result<Option<MessageMeta>> {
    let message = connection
        .prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"))?
        .query_row([id], message_from)
        .optional()?;
    message.map(|m| with_files(connection, m)).transpose()
}

impl Store for SqliteStore {
    fn put_office(&self, office: &Office) -> Pending<()> {
        let office = office.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO offices (number, name, kinds, licence_until) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(number) DO UPDATE SET name = ?2, kinds = ?3, licence_until = ?4",
                params![office.number, office.name, office.kinds.join(","), office.licence_until],
            )?;
            Ok(())
        })
    }

    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool> {
        let number = number.to_string();
        self.write(move |c| {
            let removed = c.execute("DELETE FROM offices WHERE number = ?1", [&number])? > 0;
            if removed {
                insert_audit(c, &audit)?;
            }
            Ok(removed)
        })
    }

    fn office(&self, number: &str) -> Pending<Option<Office>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT number, name, kinds, licence_until FROM offices WHERE number = ?1")?
                .query_row([number], office_from)
                .optional()?)
        })
    }

    fn offices(&self, query: Option<&str>) -> Pending<Vec<Office>> {
        self.read(|c| {
            let pattern = query.unwrap_or("");
            let mut statement = c.prepare_cached(
                "SELECT number, name, kinds, licence_until FROM offices
                 WHERE ?1 = '' OR number LIKE ?1 || '%' OR instr(name, ?1) > 0 ORDER BY number LIMIT 200",
            )?;
            let offices = statement.query_map([pattern], office_from)?.collect::<rusqlite::Result<_>>()?;
            Ok(offices)
        })
    }

    fn insert_message(&self, message: NewMessage, audit: AuditEntry) -> Pending<Inserted> {
        let files: Vec<(String, Vec<u8>)> = match self.recent {
            Some(_) => message.files.iter().map(|f| (f.name.clone(), f.bytes.clone())).collect(),
            None => Vec::new(),
        };
        let remember = move |recent: &Recent, inserted: &Inserted| {
            if let Inserted::New(stored) = inserted {
                recent.put(stored.clone(), files);
            }
        };
        self.write_then(move |transaction| {
            if let Some(key) = &message.idempotency_key {
                let existing: Option<(String, Option<String>)> = transaction
                    .prepare_cached(
                        "SELECT id, request_digest FROM messages WHERE sender = ?1 AND idempotency_key = ?2",
                    )?
                    .query_row(params![message.from, key], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                if let Some((id, digest)) = existing {
                    if digest.is_some_and(|digest| digest != message.request_digest) {
                        return Ok(Inserted::KeyConflict(id));
                    }
                    if let Some(stored) = load_message(transaction, &id)? {
                        let replay = AuditEntry {
                            action: "replay".into(),
                            message_id: Some(id),
                            detail: Some(format!("Idempotency-Key {key}")),
                            ..audit
                        };
                        insert_audit(transaction, &replay)?;
                        return Ok(Inserted::Replayed(stored));
                    }
                }
            }
            transaction.prepare_cached(
                "INSERT INTO messages (id, sender, recipient, serial, unit, status, created_at, idempotency_key, request_digest,
                    user_name, insured_number, target_month)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7, ?8, ?9, ?10, ?11)",
            )?.execute(params![message.id, message.from, message.to, message.serial, message.unit, message.created_at, message.idempotency_key, message.request_digest,
                    message.subject.user_name, message.subject.insured_number, message.subject.target_month])?;
            for (position, file) in message.files.iter().enumerate() {
                transaction.prepare_cached(
                    "INSERT INTO files (message_id, position, name, kind, size, sha256, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?.execute(params![message.id, position as i64, file.name, file.kind, file.bytes.len() as i64, file.sha256, file.bytes],
                )?;
            }
            insert_audit(transaction, &audit)?;
            let stored = load_message(transaction, &message.id)?;
            stored.map(Inserted::New).ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
        }, remember)
    }

    fn message(&self, id: &str) -> Pending<Option<MessageMeta>> {
        if let Some(message) = self.recent.as_ref().and_then(|recent| recent.message(id)) {
            return Pending::ready(Ok(Some(message)));
        }
        self.read(|c| Ok(load_message(c, id)?))
    }

    fn list(
        &self,
        office: &str,
        mailbox: Mailbox,
        status: Option<Status>,
        cursor: Cursor,
        limit: usize,
    ) -> Pending<Page> {
        self.read(|c| {
            let side = mailbox.office_column();
            // Conditions only for the filters given, so the planner can walk the (office, status, seq) index.
            let status_condition = if status.is_some() { "AND status = ?2" } else { "AND ?2 IS NULL" };
            let (from, comparison, order) = cursor.sequence_range();
            let cursor_condition =
                if from.is_some() { format!("AND seq {comparison} ?3") } else { "AND ?3 IS NULL".to_string() };
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {side} = ?1 {status_condition} {cursor_condition}
                 ORDER BY seq {order} LIMIT ?4"
            );
            let mut statement = c.prepare_cached(&sql)?;
            let rows: Vec<MessageMeta> = statement
                .query_map(params![office, status.map(Status::as_str), from, (limit + 1) as i64], message_from)?
                .collect::<rusqlite::Result<_>>()?;
            let more = rows.len() > limit;
            let mut messages = Vec::with_capacity(limit);
            for message in rows.into_iter().take(limit) {
                messages.push(with_files(c, message)?);
            }
            let next = if more { messages.last().map(|m| m.seq) } else { None };
            Ok(Page { messages, next })
        })
    }

    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>> {
        self.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE (sender = ?1 OR recipient = ?1)
                 AND created_at >= ?2 AND created_at < ?3 ORDER BY seq"
            ))?;
            let rows: Vec<MessageMeta> =
                statement.query_map(params![office, start, end], message_from)?.collect::<rusqlite::Result<_>>()?;
            Ok(rows.into_iter().map(|message| with_files(c, message)).collect::<rusqlite::Result<_>>()?)
        })
    }

    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>> {
        if let Some(bytes) = self.recent.as_ref().and_then(|recent| recent.file(id, name)) {
            return Pending::ready(Ok(Some(bytes)));
        }
        self.read(|c| {
            Ok(c.prepare_cached("SELECT bytes FROM files WHERE message_id = ?1 AND name = ?2")?
                .query_row([id, name], |row| row.get(0))
                .optional()?)
        })
    }

    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()> {
        let (id, at) = (id.to_string(), at.to_string());
        let (changed, when) = (id.clone(), at.clone());
        self.write_then(
            move |c| {
                c.prepare_cached(
                    "UPDATE messages SET status = 'downloaded', downloaded_at = ?2 WHERE id = ?1 AND status = 'sent'",
                )?
                .execute(params![id, at])?;
                insert_audit(c, &audit)?;
                Ok(())
            },
            move |recent, _| recent.downloaded(&changed, &when),
        )
    }

    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>> {
        let (id, at) = (id.to_string(), at.to_string());
        self.write_then(
            move |c| {
                c.prepare_cached(
                    "UPDATE messages SET status = 'acknowledged', acknowledged_at = ?2
                     WHERE id = ?1 AND status != 'acknowledged'",
                )?
                .execute(params![id, at])?;
                insert_audit(c, &audit)?;
                Ok(load_message(c, &id)?)
            },
            |recent, message: &Option<MessageMeta>| message.iter().for_each(|m| recent.update(m)),
        )
    }

    fn audit(&self, entry: &AuditEntry) -> Pending<()> {
        let entry = entry.clone();
        self.write(move |c| insert_audit(c, &entry))
    }

    /// Left out once the database fills more than three quarters of its limit (`--max-store-mb`): the last
    /// quarter is kept for offices, so noise from outside can never make a send fail for lack of space.
    fn audit_unauthenticated(&self, entry: &AuditEntry) -> Pending<()> {
        let entry = entry.clone();
        self.write(move |c| {
            let (used, limit): (u64, u64) = c.query_row(
                "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()),
                        (SELECT max_page_count FROM pragma_max_page_count())",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if used > limit - limit / 4 {
                tracing::warn!(detail = ?entry.detail, "store three quarters full: a refused handshake is only logged");
                return Ok(());
            }
            insert_audit(c, &entry)
        })
    }

    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>> {
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT at, office, action, message_id, detail FROM audit
                 WHERE (?1 IS NULL OR office = ?1) AND (?2 IS NULL OR at >= ?2) ORDER BY id",
            )?;
            let entries = statement
                .query_map(params![office, since], |row| {
                    Ok(AuditEntry {
                        at: row.get(0)?,
                        office: row.get(1)?,
                        action: row.get(2)?,
                        message_id: row.get(3)?,
                        detail: row.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(entries)
        })
    }

    fn purge_before(&self, cutoff: &str) -> Pending<usize> {
        let cutoff = cutoff.to_string();
        self.write_then(
            move |c| Ok(c.execute("DELETE FROM messages WHERE created_at < ?1", [cutoff])?),
            |recent, _| recent.clear(),
        )
    }

    fn compact(&self) -> Pending<()> {
        self.read(|c| Ok(c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?))
    }

    fn status_counts(&self) -> Pending<Vec<(String, i64)>> {
        self.read(|c| {
            let mut statement =
                c.prepare_cached("SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status")?;
            let counts =
                statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            Ok(counts)
        })
    }
}
