//! The embedded [`Store`]: SQLite (bundled, WAL journal, `synchronous = FULL`), so a transaction that returns has
//! been fsync'd and a message answered with `201` survives `kill -9`. Message files are stored exactly as
//! received, each in a file of its own beside the database ([`files`]), written and synced before the metadata
//! naming it commits. The schema is versioned (`PRAGMA user_version`, [`MIGRATIONS`]); a database a newer relay
//! migrated is refused.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::{params, Connection};

pub mod files;

use self::files::{Files, Purged, Space, Staged, Swept};
use super::recent::Recent;
use super::{
    audit_from, file_from, idempotency, message_from, migrations_to_run, office_from, replay_entry, sql, Idempotent,
    Pending, Result, Row, Store, StoreError, Transition,
};
use crate::model::{AuditEntry, Cursor, Inserted, Mailbox, MessageMeta, NewMessage, Office, Page, Status};

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full,
            _ => StoreError::database(error),
        }
    }
}

/// The error every write of a batch gets when the batch's commit fails.
fn commit_failed(error: &rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full,
        _ => StoreError::Commit { source: error.to_string().into() },
    }
}

super::row_reads_with!(rusqlite::Row<'_>, get);

/// A shared statement ([`sql`], `$n` parameters) as SQLite numbers its parameters (`?n`, the same positions).
fn sqlite(statement: &str) -> String {
    statement.replace('$', "?")
}

/// Every row a statement answers, read with `read`.
fn all<T>(
    connection: &Connection,
    statement: &str,
    parameters: impl rusqlite::Params,
    read: impl Fn(&dyn Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut statement = connection.prepare_cached(&sqlite(statement))?;
    let mut rows = statement.query(parameters)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        found.push(read(row)?);
    }
    Ok(found)
}

/// The row a statement on a unique key answers, if any, read with `read`.
fn first<T>(
    connection: &Connection,
    statement: &str,
    parameters: impl rusqlite::Params,
    read: impl Fn(&dyn Row) -> Result<T>,
) -> Result<Option<T>> {
    Ok(all(connection, statement, parameters, read)?.into_iter().next())
}

fn execute(connection: &Connection, statement: &str, parameters: impl rusqlite::Params) -> Result<usize> {
    Ok(connection.prepare_cached(&sqlite(statement))?.execute(parameters)?)
}

/// SQLite store with group commit. Every write runs on one writer thread: it takes all writes that are waiting,
/// runs each inside its own savepoint of one transaction and commits them together, so one fsync makes a whole
/// batch durable. Callers are answered only after that commit. Reads run on a small pool of separate connections,
/// which WAL lets proceed while the writer commits.
pub struct SqliteStore {
    /// the files' bytes, beside the database
    files: Arc<Files>,
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

/// The schema, one step per version (the database's `PRAGMA user_version`); a step is never edited once
/// released, only followed by another.
pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE IF NOT EXISTS offices (
    number TEXT PRIMARY KEY, name TEXT NOT NULL, kinds TEXT NOT NULL, licence_until TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, recipient TEXT NOT NULL,
    serial TEXT NOT NULL, unit TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL, downloaded_at TEXT,
    acknowledged_at TEXT, idempotency_key TEXT);
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
",
    // Messages stored before have no digest: a retry of one under its key is taken as a replay, as before.
    "ALTER TABLE messages ADD COLUMN request_digest TEXT;",
    // Messages stored before show no 利用者 in the lists; their files still say it.
    "ALTER TABLE messages ADD COLUMN user_name TEXT; ALTER TABLE messages ADD COLUMN insured_number TEXT;
     ALTER TABLE messages ADD COLUMN target_month TEXT;",
    // FILES_ON_DISK: the bytes live in files beside the database (`files::Files::move_out` wrote them out just
    // before this step, in its transaction); the table keeps names, sizes and digests. secure_delete zeroes the
    // pages that held the bytes.
    "CREATE TABLE files_on_disk (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE, position INTEGER NOT NULL,
        name TEXT NOT NULL, kind TEXT, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        PRIMARY KEY (message_id, name));
     INSERT INTO files_on_disk (message_id, position, name, kind, size, sha256)
        SELECT message_id, position, name, kind, size, sha256 FROM files;
     DROP TABLE files;
     ALTER TABLE files_on_disk RENAME TO files;",
];

/// The step of [`MIGRATIONS`] that moves file bytes out of the database.
const FILES_ON_DISK: usize = 3;

/// A file's row as the embedded store writes it: no bytes (they are in [`files`]).
const INSERT_FILE: &str = "INSERT INTO files (message_id, position, name, kind, size, sha256)
     VALUES ($1, $2, $3, $4, $5, $6)";
/// Where a file's bytes are: its position (its name on disk) and the size they must have.
const FILE_PLACE: &str = "SELECT position, size FROM files WHERE message_id = $1 AND name = $2";
/// The files a purge before `$1` removes.
const PURGED_FILES: &str = "SELECT files.message_id, files.position, files.size FROM files
     JOIN messages ON messages.id = files.message_id WHERE messages.created_at < $1";

/// How the writer connection is set up (outside any transaction: the journal mode cannot change inside one).
const PRAGMAS: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
-- Purged and replaced rows are overwritten, not left readable in free pages.
PRAGMA secure_delete = ON;
";

/// Brings the schema up to [`MIGRATIONS`] in one transaction, or refuses a database a newer relay migrated.
fn migrate(connection: &Connection, files: &Files) -> Result<()> {
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let migrated = (|| {
        let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let found = if found == 0 {
            // New, or made before the schema carried a version: the first step (all `IF NOT EXISTS`) makes what
            // is missing, and the columns show which later steps it already has.
            connection.execute_batch(MIGRATIONS[0])?;
            unversioned(connection)?
        } else {
            found
        };
        for step in migrations_to_run(found, MIGRATIONS.len())? {
            if step == FILES_ON_DISK {
                let moved = files.move_out(connection)?;
                if moved > 0 {
                    tracing::info!(moved, "file bytes moved out of the database into files beside it");
                }
            }
            connection.execute_batch(MIGRATIONS[step])?;
        }
        connection.execute_batch(&format!("PRAGMA user_version = {}", MIGRATIONS.len()))?;
        Ok(())
    })();
    match migrated {
        Ok(()) => Ok(connection.execute_batch("COMMIT")?),
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

/// The version of a store made before the schema carried one, after the first step: which of the later steps
/// its columns already show.
fn unversioned(connection: &Connection) -> Result<i64> {
    let has = |column: &str| -> Result<bool> {
        Ok(connection.prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = ?1")?.exists([column])?)
    };
    Ok(match (has("request_digest")?, has("user_name")?) {
        (_, true) => 3,
        (true, false) => 2,
        (false, false) => 1,
    })
}

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
        let files = Arc::new(Files::open(dir, Space::new(max_bytes))?);
        let writer = connect()?;
        writer.execute_batch(PRAGMAS)?;
        migrate(&writer, &files)?;
        files.count(&writer)?;
        let page_size: u64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0))?;
        limit_database(&writer, files.space(), page_size)?;
        let readers = (0..READERS).map(|_| connect().map(Mutex::new)).collect::<Result<_>>()?;
        // The writer only appends to the WAL; copying it into the database (and that file's fsync) happens on a
        // thread of its own, so commits do not wait behind checkpoints. A commit is durable once the WAL is synced.
        writer.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))?;
        let (committed, ticks) = mpsc::sync_channel::<()>(1);
        let checkpoints = connect()?;
        let checkpointer = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || checkpoint_after_commits(&checkpoints, &ticks))
            .map_err(StoreError::Threads)?;
        let (writes, queue) = mpsc::channel();
        let space = Arc::clone(files.space());
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || commit_batches(writer, queue, committed, &space, page_size))
            .map_err(StoreError::Threads)?;
        Ok(SqliteStore {
            files,
            writes: Some(writes),
            writer: Some(writer),
            checkpointer: Some(checkpointer),
            readers,
            next_reader: AtomicUsize::new(0),
            recent: None,
        })
    }

    /// Removes the files no row names (sends a kill cut short before their commit) and reports rows whose file is
    /// missing or of another size (logged, and returned). Only for the one process that serves from this store,
    /// before it serves: another process's send between its files and its commit would look the same.
    pub fn sweep(&self) -> Result<Swept> {
        let swept = self.read_now(|c| self.files.sweep(c))?;
        if swept.orphans > 0 {
            tracing::info!(orphans = swept.orphans, "removed files of sends that never committed");
        }
        for (what, rows) in [("missing", &swept.missing), ("of another size than stored", &swept.damaged)] {
            if !rows.is_empty() {
                let first: Vec<&String> = rows.iter().take(20).collect();
                tracing::error!(count = rows.len(), ?first, "stored files {what}: their downloads fail");
            }
        }
        Ok(swept)
    }

    /// Keeps about `bytes` of the latest messages in memory for reads. Only for the one process that writes
    /// this database (the relay): another writer's changes would not reach the copy.
    pub fn with_recent(mut self, bytes: usize) -> SqliteStore {
        self.recent = Some(Arc::new(Recent::new(bytes)));
        self
    }

    /// Runs a read on the calling thread, on a reader connection (a local file answers in microseconds: no
    /// thread hop); the answer is ready when this returns.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Pending<T> {
        Pending::ready(self.read_now(f))
    }

    /// [`SqliteStore::read`]'s answer itself.
    fn read_now<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // Take the first idle reader; when all are busy, wait for the one this call was dealt.
        for offset in 0..self.readers.len() {
            if let Ok(connection) = self.readers[(start + offset) % self.readers.len()].try_lock() {
                return f(&connection);
            }
        }
        match self.readers[start % self.readers.len()].lock() {
            Ok(connection) => f(&connection),
            Err(_) => Err(StoreError::Poisoned),
        }
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
        self.write_finishing(f, move |result| {
            if let (Ok(value), Some(recent)) = (result, &recent) {
                then(recent, value);
            }
        })
    }

    /// Like [`SqliteStore::write`]; `finish` sees how the write ended (committed or not) before its caller does.
    fn write_finishing<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
        finish: impl FnOnce(&Result<T>) + Send + 'static,
    ) -> Pending<T> {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: WriteJob = Box::new(move |connection| {
            let outcome = in_savepoint(connection, f);
            Box::new(move |committed| {
                let result = match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(error)) => Err(commit_failed(error)),
                    (Err(error), _) => Err(error),
                };
                finish(&result);
                let _ = reply.send(result);
            })
        });
        match self.writes.as_ref().map(|writes| writes.send(job)) {
            Some(Ok(())) => Pending::waiting(answer),
            _ => Pending::ready(Err(StoreError::Closed)),
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

/// Under a size limit, lets the database grow only into what the files leave of it, and notes its size for the
/// next send's reservation ([`Space`]).
fn limit_database(connection: &Connection, space: &Space, page_size: u64) -> rusqlite::Result<()> {
    if let Some(pages) = space.database_pages(page_size) {
        connection.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        let used: u64 = connection.query_row("PRAGMA page_count", [], |row| row.get(0))?;
        space.set_database(used * page_size);
    }
    Ok(())
}

fn commit_batches(
    connection: Connection,
    queue: mpsc::Receiver<WriteJob>,
    checkpoint_due: mpsc::SyncSender<()>,
    space: &Space,
    page_size: u64,
) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_BATCH - 1));
        let mut waiting: Vec<Completion> = Vec::with_capacity(jobs.len());
        if let Err(error) = limit_database(&connection, space, page_size) {
            tracing::warn!(%error, "cannot bring the database's size limit up to date");
        }
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

fn with_files(connection: &Connection, mut message: MessageMeta) -> Result<MessageMeta> {
    message.files = all(connection, sql::FILES_OF, [&message.id], file_from)?;
    Ok(message)
}

fn messages_with_files(connection: &Connection, rows: Vec<MessageMeta>) -> Result<Vec<MessageMeta>> {
    rows.into_iter().map(|message| with_files(connection, message)).collect()
}

fn insert_audit(connection: &Connection, entry: &AuditEntry) -> Result<()> {
    execute(
        connection,
        sql::INSERT_AUDIT,
        params![entry.at, entry.office, entry.action, entry.message_id, entry.detail],
    )
    .map(drop)
}

fn load_message(connection: &Connection, id: &str) -> Result<Option<MessageMeta>> {
    first(connection, sql::MESSAGE, [id], message_from)?.map(|m| with_files(connection, m)).transpose()
}

/// Moves a message on with its audit entry (`then` brings the copy of recent messages along).
fn change_status(
    connection: &Connection,
    transition: Transition,
    id: &str,
    at: &str,
    audit: &AuditEntry,
) -> Result<()> {
    execute(connection, &transition.sql(), params![id, at])?;
    insert_audit(connection, audit)
}

impl Store for SqliteStore {
    fn put_office(&self, office: &Office) -> Pending<()> {
        let office = office.clone();
        self.write(move |c| {
            let kinds = office.kinds.join(",");
            execute(c, sql::PUT_OFFICE, params![office.number, office.name, kinds, office.licence_until]).map(drop)
        })
    }

    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool> {
        let number = number.to_string();
        self.write(move |c| {
            let removed = execute(c, sql::REMOVE_OFFICE, [&number])? > 0;
            if removed {
                insert_audit(c, &audit)?;
            }
            Ok(removed)
        })
    }

    fn office(&self, number: &str) -> Pending<Option<Office>> {
        self.read(|c| first(c, sql::OFFICE, [number], office_from))
    }

    fn offices(&self, query: Option<&str>, limit: Option<usize>) -> Pending<Vec<Office>> {
        // LIMIT -1: every row.
        const OFFICES: &str = "SELECT number, name, kinds, licence_until FROM offices
             WHERE $1 = '' OR number LIKE $1 || '%' OR instr(name, $1) > 0 ORDER BY number LIMIT $2";
        let limit = limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        self.read(|c| all(c, OFFICES, params![query.unwrap_or(""), limit], office_from))
    }

    /// The files are written and synced here, on the caller's thread (the relay's request's blocking task), before
    /// the metadata is queued: the writer commits names, sizes and digests only, and sends' files are written side
    /// by side instead of one after another on the writer thread.
    fn insert_message(&self, mut message: NewMessage, audit: AuditEntry) -> Pending<Inserted> {
        let staged = match self.files.stage(&message.id, &message.files) {
            Ok(staged) => staged,
            Err(error) => return Pending::ready(Err(error)),
        };
        // The bytes are on disk: the writer needs none of them, the copy of recent messages takes them.
        let files: Vec<(String, Vec<u8>)> =
            message.files.iter_mut().map(|f| (f.name.clone(), std::mem::take(&mut f.bytes))).collect();
        let sizes: Vec<i64> = files.iter().map(|(_, bytes)| bytes.len() as i64).collect();
        let recent = self.recent.clone();
        // Before the caller hears of it: a new message's files stay, any other outcome's are removed.
        let finish = move |result: &Result<Inserted>| {
            if let Ok(Inserted::New(stored)) = result {
                Staged::keep(staged);
                if let Some(recent) = &recent {
                    recent.put(stored.clone(), files);
                }
            }
        };
        self.write_finishing(
            move |c| {
                if let Some(key) = &message.idempotency_key {
                    let earlier = first(c, sql::EARLIER_SEND, params![message.from, key], |row| {
                        Ok((row.text(0)?, row.maybe_text(1)?))
                    })?;
                    match idempotency(earlier, &message.request_digest) {
                        Idempotent::Conflict(id) => return Ok(Inserted::KeyConflict(id)),
                        Idempotent::Replay(id) => {
                            if let Some(stored) = load_message(c, &id)? {
                                insert_audit(c, &replay_entry(audit, &id, key))?;
                                return Ok(Inserted::Replayed(stored));
                            }
                        }
                        Idempotent::Store => {}
                    }
                }
                let subject = &message.subject;
                execute(
                    c,
                    sql::INSERT_MESSAGE,
                    params![
                        message.id,
                        message.from,
                        message.to,
                        message.serial,
                        message.unit,
                        message.created_at,
                        message.idempotency_key,
                        message.request_digest,
                        subject.user_name,
                        subject.insured_number,
                        subject.target_month
                    ],
                )?;
                for ((position, file), size) in (0i64..).zip(&message.files).zip(sizes) {
                    execute(c, INSERT_FILE, params![message.id, position, file.name, file.kind, size, file.sha256])?;
                }
                insert_audit(c, &audit)?;
                let stored = load_message(c, &message.id)?;
                stored.map(Inserted::New).ok_or(StoreError::Vanished { id: message.id })
            },
            finish,
        )
    }

    fn message(&self, id: &str) -> Pending<Option<MessageMeta>> {
        if let Some(message) = self.recent.as_ref().and_then(|recent| recent.message(id)) {
            return Pending::ready(Ok(Some(message)));
        }
        self.read(|c| load_message(c, id))
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
            let statement = sql::list(mailbox, status.is_some(), cursor);
            let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
            let mut parameters: Vec<&dyn rusqlite::ToSql> = vec![&office, &fetch];
            let status = status.map(Status::as_str);
            if let Some(status) = &status {
                parameters.push(status);
            }
            let (from, _, _) = cursor.sequence_range();
            if let Some(from) = &from {
                parameters.push(from);
            }
            let rows = all(c, &statement, parameters.as_slice(), message_from)?;
            let more = rows.len() > limit;
            let messages = messages_with_files(c, rows.into_iter().take(limit).collect())?;
            let next = if more { messages.last().map(|m| m.seq) } else { None };
            Ok(Page { messages, next })
        })
    }

    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>> {
        self.read(|c| messages_with_files(c, all(c, sql::EXCHANGED, params![office, start, end], message_from)?))
    }

    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>> {
        if let Some(bytes) = self.recent.as_ref().and_then(|recent| recent.file(id, name)) {
            return Pending::ready(Ok(Some(bytes)));
        }
        let place = self.read_now(|c| first(c, FILE_PLACE, [id, name], |row| Ok((row.integer(0)?, row.integer(1)?))));
        Pending::ready(match place {
            Ok(Some((position, size))) => self.files.read(id, position, size).map(Some),
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        })
    }

    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()> {
        let (id, at) = (id.to_string(), at.to_string());
        let (changed, when) = (id.clone(), at.clone());
        self.write_then(
            move |c| change_status(c, Transition::Download, &id, &at, &audit),
            move |recent, _| recent.downloaded(&changed, &when),
        )
    }

    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>> {
        let (id, at) = (id.to_string(), at.to_string());
        self.write_then(
            move |c| {
                change_status(c, Transition::Acknowledge, &id, &at, &audit)?;
                load_message(c, &id)
            },
            |recent, message: &Option<MessageMeta>| message.iter().for_each(|m| recent.update(m)),
        )
    }

    fn audit(&self, entry: &AuditEntry) -> Pending<()> {
        let entry = entry.clone();
        self.write(move |c| insert_audit(c, &entry))
    }

    /// Left out once the database and the files fill more than three quarters of the limit (`--max-store-mb`):
    /// the last quarter is kept for offices, so noise from outside can never make a send fail for lack of space.
    fn audit_unauthenticated(&self, entry: &AuditEntry) -> Pending<()> {
        let entry = entry.clone();
        let space = Arc::clone(self.files.space());
        self.write(move |c| {
            let Some(limit) = space.limit() else { return insert_audit(c, &entry) };
            let database: u64 = c.query_row(
                "SELECT ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()))
                        * (SELECT page_size FROM pragma_page_size())",
                [],
                |row| row.get(0),
            )?;
            if database + space.files() > limit - limit / 4 {
                tracing::warn!(detail = ?entry.detail, "store three quarters full: a refused handshake is only logged");
                return Ok(());
            }
            insert_audit(c, &entry)
        })
    }

    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>> {
        self.read(|c| all(c, sql::AUDIT_LOG, params![office, since], audit_from))
    }

    /// The rows go in one commit; their files are overwritten and removed after it (a kill in between leaves
    /// files no row names, which the next start-up removes), on a thread of their own: a large purge takes a while.
    fn purge_before(&self, cutoff: &str) -> Pending<usize> {
        let cutoff = cutoff.to_string();
        let purged = self.write_then(
            move |c| {
                let files: Vec<Purged> =
                    all(c, PURGED_FILES, [&cutoff], |row| Ok((row.text(0)?, row.integer(1)?, row.integer(2)?)))?;
                Ok((execute(c, sql::PURGE, [&cutoff])?, files))
            },
            |recent, _| recent.clear(),
        );
        let files = Arc::clone(&self.files);
        Pending::chained(async move {
            let (count, removed) = purged.await?;
            let (done, finished) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("store-purge".into())
                .spawn(move || {
                    files.remove(&removed);
                    let _ = done.send(());
                })
                .map_err(StoreError::Threads)?;
            finished.await.map_err(|_| StoreError::Panicked { during: "removing purged files" })?;
            Ok(count)
        })
    }

    fn compact(&self) -> Pending<()> {
        self.read(|c| Ok(c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?))
    }

    fn status_counts(&self) -> Pending<Vec<(String, i64)>> {
        self.read(|c| all(c, sql::STATUS_COUNTS, [], |row| Ok((row.text(0)?, row.integer(1)?))))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A database a newer relay migrated is refused, not written with an old idea of its tables.
    #[test]
    fn a_store_with_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let connection = Connection::open(dir.path().join("relay.sqlite3")).unwrap();
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64, "a new store is at the latest version");
        connection.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(connection);
        let refused = SqliteStore::open(dir.path()).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(refused.contains("version 99, newer than this relay knows (4)"), "{refused}");
    }
}
