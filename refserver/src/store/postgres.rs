//! The [`Store`] on PostgreSQL (`serve --store postgres://…`), for operators who run several relay nodes on one
//! database: the same semantics as the embedded SQLite store, PostgreSQL's durability (WAL, fsync on commit) and
//! its replication.
//!
//! `tokio-postgres` (no pool crate): a few connections, each a `Client` that pipelines reads and takes one
//! transaction at a time, driven on a small runtime of the store's own — so the relay's handlers await its answers
//! ([`Pending`]) and command-line tools `wait()` for them alike. The schema is versioned ([`MIGRATIONS`]); opening
//! applies what is missing under an advisory lock (two nodes starting together migrate once) and refuses a database
//! whose schema is newer than this binary.
//!
//! A send holds its sender's and its recipient's send locks (transaction-scoped advisory locks, taken before the
//! message's sequence number is drawn) until it commits, so among the messages of any one office sequence order is
//! commit order: an inbox listed oldest first (`after=`), an outbox or an exchange record never skips a message that
//! commits late under a smaller number. Every view the relay pages is one office's, so sends between other offices
//! commit side by side (one lock for every send had bound a node to one commit, fsync included, at a time).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Row, Statement};

mod connect;
mod offices;
use connect::Target;
pub use connect::{OpenError, SslMode};
use offices::OfficeCache;
pub use offices::{CacheState, REGISTRY_HEARD_WITHIN};

use super::{
    audit_from, idempotency, message_from, migrations_to_run, office_from, replay_entry, sql, Idempotent, Pending,
    Result, Row as _, Store, StoreError, Transition,
};
use crate::model::{AuditEntry, Cursor, FileMeta, Inserted, Mailbox, MessageMeta, NewMessage, Office, Page, Status};

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> StoreError {
        StoreError::database(error)
    }
}

super::row_reads_with!(Row, try_get);

/// The schema, one step per version; a step is never edited once released, only followed by another.
pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE offices (
    number TEXT PRIMARY KEY, name TEXT NOT NULL, kinds TEXT NOT NULL, licence_until TEXT NOT NULL);
CREATE TABLE messages (
    seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, recipient TEXT NOT NULL,
    serial TEXT NOT NULL, unit TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL, downloaded_at TEXT,
    acknowledged_at TEXT, idempotency_key TEXT, request_digest TEXT, user_name TEXT, insured_number TEXT,
    target_month TEXT);
CREATE UNIQUE INDEX messages_idempotency ON messages(sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_inbox ON messages(recipient, seq);
CREATE INDEX messages_outbox ON messages(sender, seq);
CREATE INDEX messages_inbox_status ON messages(recipient, status, seq);
CREATE INDEX messages_outbox_status ON messages(sender, status, seq);
CREATE INDEX messages_created ON messages(created_at);
CREATE TABLE files (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE, position INTEGER NOT NULL,
    name TEXT NOT NULL, kind TEXT, size BIGINT NOT NULL, sha256 TEXT NOT NULL, bytes BYTEA NOT NULL,
    PRIMARY KEY (message_id, name));
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, office TEXT, action TEXT NOT NULL, message_id TEXT, detail TEXT);
CREATE INDEX audit_office ON audit(office, at);
",
    "
CREATE TABLE maintenance (task TEXT PRIMARY KEY, last_run TIMESTAMPTZ NOT NULL);
",
    // Every change of the registry, whoever makes it, is announced in its own transaction (`offices::CHANNEL`).
    "
CREATE FUNCTION careplan_office_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('careplan_offices', '');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('careplan_offices', OLD.number);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('careplan_offices', NEW.number);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER offices_changed AFTER INSERT OR UPDATE OR DELETE ON offices
    FOR EACH ROW EXECUTE FUNCTION careplan_office_changed();
CREATE TRIGGER offices_truncated AFTER TRUNCATE ON offices
    FOR EACH STATEMENT EXECUTE FUNCTION careplan_office_changed();
",
    // Sends lock their two offices instead of one lock for all (`send_locks`). No table changes: the new version
    // keeps a relay of the one-lock kind from opening the database; one already running is kept in step by
    // [`ONE_LOCK`].
    "
COMMENT ON TABLE messages IS 'careplan-interop: a send holds send_locks(sender, recipient) until it commits';
",
];

/// Advisory lock keys (any constants no other application on the database uses).
const MIGRATION_LOCK: i64 = 0x6361_7265_706c_0001;
/// The send locks' namespace: the first of `pg_advisory_xact_lock(int, int)`'s two keys (an office's key the second).
const SEND_LOCKS: i32 = 0x6370_0002;

/// The channel a send announces its recipient on (delivered to every listening node when the send commits).
const ARRIVALS: &str = "careplan_arrivals";

const LOCK_SENDS: &str = "SELECT pg_advisory_xact_lock($1, $2)";
/// The lock every send of a relay before schema version 4 took alone, exclusively. Sends now take it shared, first:
/// they do not wait for each other on it, but a send of an older node still running beside this one waits for
/// them and they for it, so the two kinds never number sends out of commit order (an older node refuses the
/// database only when it opens).
pub const ONE_LOCK: i64 = 0x6361_7265_706c_0002;
const LOCK_SHARED: &str = "SELECT pg_advisory_xact_lock_shared($1)";
/// A send as one statement, which is its own transaction when sent alone: [`ONE_LOCK`] shared, the lower and then
/// the higher of the sender's and the recipient's send locks (each reads the row of the one before, so the order is
/// the data's, not the planner's), then the message — its sequence number drawn after the locks, since the insert
/// reads the last lock's row — its files from arrays, its audit entry and the arrival notice (delivered to every
/// node's listener when, and only if, this commits); answers with the row as stored, so a send needs no reread.
/// `$1`–`$11` the message, `$12`–`$17` the files' positions, names, kinds, sizes, digests and bytes, `$18`–`$22`
/// the audit entry, `$23` [`SEND_LOCKS`], `$24` ≤ `$25` the keys ([`send_locks`]), `$26` [`ARRIVALS`], `$27`
/// [`ONE_LOCK`].
const SEND: &str = concat!(
    "WITH shared AS (SELECT pg_advisory_xact_lock_shared($27::int8)),
     lower AS (SELECT pg_advisory_xact_lock($23::int4, $24::int4) FROM shared),
     locked AS (SELECT pg_advisory_xact_lock($23::int4, $25::int4) FROM lower),
     m AS (INSERT INTO messages (id, sender, recipient, serial, unit, status, created_at,
              idempotency_key, request_digest, user_name, insured_number, target_month)
           SELECT $1::text, $2::text, $3::text, $4::text, $5::text, 'sent', $6::text, $7::text, $8::text, $9::text,
              $10::text, $11::text FROM locked
           RETURNING ",
    "seq, id, sender, recipient, serial, unit, status, created_at, downloaded_at, acknowledged_at, \
     user_name, insured_number, target_month),
     filed AS (INSERT INTO files (message_id, position, name, kind, size, sha256, bytes)
           SELECT m.id, f.* FROM m, unnest($12::int4[], $13::text[], $14::text[], $15::int8[], $16::text[], $17::bytea[]) f),
     audited AS (INSERT INTO audit (at, office, action, message_id, detail)
           VALUES ($18::text, $19::text, $20::text, $21::text, $22::text))
     SELECT m.*, pg_notify($26::text, m.recipient) FROM m"
);

/// Message rows (`inner`, with [`sql::MESSAGE`]'s columns) each with its files' columns as arrays, in one statement
/// instead of one more per message; `order` is the order of `inner`'s rows.
fn with_files(inner: &str, order: &str) -> String {
    format!(
        "SELECT m.*, f.names, f.kinds, f.sizes, f.sha256s FROM ({inner}) m LEFT JOIN LATERAL (
             SELECT array_agg(name ORDER BY position) AS names, array_agg(kind ORDER BY position) AS kinds,
                 array_agg(size ORDER BY position) AS sizes, array_agg(sha256 ORDER BY position) AS sha256s
             FROM files WHERE message_id = m.id) f ON true ORDER BY m.seq {order}"
    )
}

/// One message by id with its files ([`with_files`] of [`sql::MESSAGE`]), built once: statements are found by their text.
static MESSAGE_WITH_FILES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| with_files(sql::MESSAGE, "ASC"));
/// [`transition_with_audit`] of each transition, built once.
static TRANSITIONS_WITH_AUDIT: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [Transition::Download, Transition::Acknowledge].map(transition_with_audit));

/// Every statement the store runs, prepared on each connection when it opens: no request pays for a parse.
fn statements() -> Vec<String> {
    let mut all: Vec<String> = [
        sql::PUT_OFFICE,
        sql::OFFICE,
        sql::EARLIER_SEND,
        SEND,
        sql::INSERT_AUDIT,
        sql::FILE_BYTES,
        sql::AUDIT_LOG,
        sql::STATUS_COUNTS,
        LOCK_SENDS,
        LOCK_SHARED,
    ]
    .iter()
    .map(|sql| sql.to_string())
    .collect();
    all.push(MESSAGE_WITH_FILES.clone());
    all.push(with_files(sql::EXCHANGED, "ASC"));
    all.extend(TRANSITIONS_WITH_AUDIT.iter().cloned());
    for mailbox in [Mailbox::Inbox, Mailbox::Outbox] {
        for by_status in [false, true] {
            for cursor in [
                Cursor::NewestFirst { before: None },
                Cursor::NewestFirst { before: Some(0) },
                Cursor::OldestFirst { after: None },
                Cursor::OldestFirst { after: Some(0) },
            ] {
                all.push(list_sql(mailbox, by_status, cursor));
            }
        }
    }
    all
}

fn list_sql(mailbox: Mailbox, by_status: bool, cursor: Cursor) -> String {
    with_files(&sql::list(mailbox, by_status, cursor), cursor.sequence_range().2)
}

/// Connections that take one change (a transaction) at a time, and connections that reads share: a read needs
/// no connection of its own, tokio-postgres pipelines the queries of many callers on one.
const WRITERS: usize = 4;
const READERS: usize = 2;

pub struct PgStore {
    runtime: Option<tokio::runtime::Runtime>,
    writers: Arc<[Arc<Mutex<Connection>>]>,
    readers: Arc<[Arc<Connection>]>,
    next: AtomicUsize,
    target: Arc<Target>,
    trips: Arc<AtomicU64>,
    /// off (every lookup reads the database) unless [`PgStore::with_office_cache`] keeps it in step
    offices: Arc<OfficeCache>,
}

impl PgStore {
    /// Connects (`postgres://user@host:port/database`, with `sslmode`, `sslrootcert`, `sslcert` and `sslkey` as
    /// libpq reads them: see [`connect`]), brings the schema up to date and checks it.
    pub fn open(url: &str) -> std::result::Result<PgStore, OpenError> {
        let target = Arc::new(Target::parse(url)?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pgstore")
            .enable_all()
            .build()
            .map_err(StoreError::Threads)?;
        let dialler = Arc::clone(&target);
        let connect = async move {
            let mut clients = Vec::with_capacity(WRITERS + READERS);
            for _ in 0..WRITERS + READERS {
                let (client, connection) = dialler.connect().await?;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::error!(%error, "PostgreSQL connection ended");
                    }
                });
                clients.push(client);
            }
            if let Some(first) = clients.first_mut() {
                migrate(first).await?;
            }
            let all = statements();
            let mut prepared = Vec::with_capacity(clients.len());
            for client in &clients {
                let sent =
                    all.iter().map(|sql| async move { Ok::<_, StoreError>((sql.clone(), client.prepare(sql).await?)) });
                prepared.push(futures_util::future::try_join_all(sent).await?.into_iter().collect::<HashMap<_, _>>());
            }
            Ok::<_, OpenError>(clients.into_iter().zip(prepared).collect::<Vec<_>>())
        };
        // Inside another runtime (a relay starting, an async test) a thread of its own waits for the connections.
        let connected = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(|| runtime.block_on(connect)).join())
                .unwrap_or_else(|_| Err(StoreError::Panicked { during: "connecting to PostgreSQL" }.into()))
        } else {
            runtime.block_on(connect)
        };
        let clients = match connected {
            Ok(clients) => clients,
            Err(error) => {
                // Refused from async code too (an async test): dropping a runtime there would panic.
                runtime.shutdown_background();
                return Err(error);
            }
        };
        let trips = Arc::new(AtomicU64::new(0));
        let mut connections = clients.into_iter().map(|(client, statements)| Connection {
            client,
            statements: std::sync::Mutex::new(statements),
            trips: Arc::clone(&trips),
        });
        let writers = connections.by_ref().take(WRITERS).map(|c| Arc::new(Mutex::new(c))).collect();
        let readers = connections.map(Arc::new).collect();
        let offices = Arc::default();
        Ok(PgStore { runtime: Some(runtime), writers, readers, next: AtomicUsize::new(0), target, trips, offices })
    }

    /// The store as a relay node uses it: office lookups answered from memory while a connection of its own hears
    /// every change of the registry ([`offices`]); off, and read from the database, whenever that connection is down.
    pub fn with_office_cache(self) -> PgStore {
        if let Some(runtime) = &self.runtime {
            runtime.spawn(offices::keep_fresh(Arc::clone(&self.target), Arc::clone(&self.offices)));
        }
        self
    }

    /// Whether the office cache is in use, and how many of its entries notifications have dropped.
    pub fn office_cache(&self) -> CacheState {
        self.offices.seen()
    }

    /// Runs a change with a writer connection of its own on the store's runtime; its answer comes as a
    /// [`Pending`].
    fn run<T, F, Fut>(&self, job: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(OwnedMutexGuard<Connection>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send,
    {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let writers = Arc::clone(&self.writers);
        self.spawn(async move { job(acquire(writers, start).await).await })
    }

    /// Runs a read on a shared reader connection (its queries pipelined with other callers').
    fn read<T, F, Fut>(&self, job: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Connection>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let reader = Arc::clone(&self.readers[start % self.readers.len()]);
        self.spawn(job(reader))
    }

    fn spawn<T: Send + 'static>(&self, work: impl Future<Output = Result<T>> + Send + 'static) -> Pending<T> {
        let Some(runtime) = &self.runtime else {
            return Pending::ready(Err(StoreError::Closed));
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let _ = reply.send(work.await);
        });
        Pending::waiting(answer)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropped from async code too (a relay shutting down): never block there.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The first idle connection from `start` on, else the one `start` was dealt.
async fn acquire(clients: Arc<[Arc<Mutex<Connection>>]>, start: usize) -> OwnedMutexGuard<Connection> {
    let count = clients.len();
    for offset in 0..count {
        if let Ok(guard) = Arc::clone(&clients[(start + offset) % count]).try_lock_owned() {
            return guard;
        }
    }
    Arc::clone(&clients[start % count]).lock_owned().await
}

/// One connection and the statements prepared on it: a statement is parsed once per connection, so each later
/// call is one round trip instead of two.
struct Connection {
    client: Client,
    statements: std::sync::Mutex<HashMap<String, Statement>>,
    /// the store's count of round trips ([`Store::round_trips`])
    trips: Arc<AtomicU64>,
}

impl Connection {
    fn db(&self) -> Db<'_, Client> {
        Db { client: &self.client, statements: &self.statements, trips: &self.trips }
    }
}

/// A client (the connection, or a transaction on it) with its connection's prepared statements.
struct Db<'a, C> {
    client: &'a C,
    statements: &'a std::sync::Mutex<HashMap<String, Statement>>,
    trips: &'a AtomicU64,
}

type Params<'p> = [&'p (dyn tokio_postgres::types::ToSql + Sync)];

impl<C: GenericClient + Sync> Db<'_, C> {
    async fn prepared(&self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.lock().ok().and_then(|known| known.get(sql).cloned()) {
            return Ok(statement);
        }
        self.trip();
        let statement = self.client.prepare(sql).await?;
        if let Ok(mut known) = self.statements.lock() {
            known.insert(sql.to_string(), statement.clone());
        }
        Ok(statement)
    }

    fn trip(&self) {
        self.trips.fetch_add(1, Ordering::Relaxed);
    }

    async fn query(&self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>> {
        let statement = self.prepared(sql).await?;
        self.trip();
        Ok(self.client.query(&statement, params).await?)
    }

    async fn query_opt(&self, sql: &str, params: &Params<'_>) -> Result<Option<Row>> {
        let statement = self.prepared(sql).await?;
        self.trip();
        Ok(self.client.query_opt(&statement, params).await?)
    }

    async fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64> {
        let statement = self.prepared(sql).await?;
        self.trip();
        Ok(self.client.execute(&statement, params).await?)
    }
}

async fn migrate(client: &mut Client) -> Result<()> {
    let transaction = client.transaction().await?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    transaction.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").await?;
    let found: i32 =
        transaction.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[]).await?.try_get(0)?;
    for step in migrations_to_run(i64::from(found), MIGRATIONS.len())? {
        transaction.batch_execute(MIGRATIONS[step]).await?;
        let version = i32::try_from(step + 1).unwrap_or(i32::MAX);
        transaction.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version]).await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// A message row read with [`with_files`]: its columns, then its files' as arrays (none: `NULL`).
fn message_with_files(row: &Row) -> Result<MessageMeta> {
    let mut message = message_from(row)?;
    let names: Option<Vec<String>> = row.try_get(13)?;
    let kinds: Option<Vec<Option<String>>> = row.try_get(14)?;
    let sizes: Option<Vec<i64>> = row.try_get(15)?;
    let digests: Option<Vec<String>> = row.try_get(16)?;
    let columns = names.unwrap_or_default().into_iter().zip(kinds.unwrap_or_default()).zip(sizes.unwrap_or_default());
    message.files = columns
        .zip(digests.unwrap_or_default())
        .map(|(((name, kind), size), sha256)| FileMeta { name, kind, size, sha256 })
        .collect();
    Ok(message)
}

fn messages_with_files(rows: &[Row]) -> Result<Vec<MessageMeta>> {
    rows.iter().map(message_with_files).collect()
}

/// A statement's answer on its way; see [`pipeline`].
type Answer<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Vec<Row>>> + Send + 'a>>;

/// `statement` (prepared) with `params`, sent when first polled.
fn sent<'a>(client: &'a Client, statement: Statement, params: Vec<&'a (dyn ToSql + Sync)>) -> Answer<'a> {
    Box::pin(async move { Ok(client.query(&statement, &params).await?) })
}

fn simple<'a>(client: &'a Client, sql: &'static str) -> Answer<'a> {
    Box::pin(async move {
        client.batch_execute(sql).await?;
        Ok(Vec::new())
    })
}

/// Polls `statements` in order until every one has answered (sent in that order: see [`in_transaction`]).
async fn in_order(mut statements: Vec<Answer<'_>>) -> Vec<Result<Vec<Row>>> {
    let mut answers: Vec<Option<Result<Vec<Row>>>> = statements.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut waiting = false;
        for (statement, answer) in statements.iter_mut().zip(answers.iter_mut()) {
            if answer.is_none() {
                match statement.as_mut().poll(context) {
                    std::task::Poll::Ready(result) => *answer = Some(result),
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    answers.into_iter().map(|answer| answer.unwrap_or(Err(StoreError::AnsweredTwice))).collect()
}

/// Runs `statements` in one transaction and one round trip: BEGIN, the statements and COMMIT are sent one after
/// another without waiting (tokio-postgres sends a prepared statement's query when its future is first polled, so
/// they are polled in order here) and every answer is awaited. A statement that fails aborts the transaction and
/// the COMMIT rolls it back; one that failed before it was sent turns the COMMIT into a ROLLBACK. The answers
/// come in order, without BEGIN's and COMMIT's. With `begin` false the transaction was begun before
/// ([`earlier_send`]).
async fn in_transaction<'a>(
    client: &'a Client,
    trips: &AtomicU64,
    begin: bool,
    statements: Vec<Answer<'a>>,
) -> Result<Vec<Vec<Row>>> {
    use std::task::Poll;
    trips.fetch_add(1, Ordering::Relaxed);
    let begin = begin.then(|| simple(client, "BEGIN"));
    let begun = usize::from(begin.is_some());
    let mut pending: Vec<Option<Answer<'a>>> = begin.into_iter().chain(statements).map(Some).collect();
    let mut answers: Vec<Option<Result<Vec<Row>>>> = pending.iter().map(|_| None).collect();
    let mut close: Option<Answer<'a>> = None;
    let mut closed: Option<Result<Vec<Row>>> = None;
    std::future::poll_fn(|context| {
        for (future, answer) in pending.iter_mut().zip(answers.iter_mut()) {
            if let Some(running) = future {
                if let Poll::Ready(result) = running.as_mut().poll(context) {
                    *answer = Some(result);
                    *future = None;
                }
            }
        }
        if close.is_none() && closed.is_none() {
            let failed = answers.iter().any(|answer| matches!(answer, Some(Err(_))));
            close = Some(simple(client, if failed { "ROLLBACK" } else { "COMMIT" }));
        }
        if let Some(running) = &mut close {
            if let Poll::Ready(result) = running.as_mut().poll(context) {
                closed = Some(result);
                close = None;
            }
        }
        if closed.is_some() && pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    let mut rows = Vec::with_capacity(answers.len());
    for answer in answers {
        rows.push(answer.unwrap_or(Err(StoreError::AnsweredTwice))?);
    }
    match closed {
        Some(Ok(_)) => {}
        Some(Err(StoreError::Database { source })) => return Err(StoreError::Commit { source }),
        Some(Err(other)) => return Err(other),
        None => return Err(StoreError::AnsweredTwice),
    }
    Ok(rows.split_off(begun))
}

async fn insert_audit<C: GenericClient + Sync>(db: &Db<'_, C>, entry: &AuditEntry) -> Result<()> {
    db.execute(sql::INSERT_AUDIT, &audit_params(entry)).await.map(drop)
}

fn audit_params(entry: &AuditEntry) -> Vec<&(dyn ToSql + Sync)> {
    vec![&entry.at, &entry.office, &entry.action, &entry.message_id, &entry.detail]
}

/// A status change and its audit entry as one statement: [`Transition::sql`] in a data-modifying `WITH` (run to
/// completion whether read or not), the audit entry inserted by the statement itself (`$3`…`$7`). One statement is
/// its own transaction, committed at its Sync: no BEGIN and COMMIT to send and execute around it.
fn transition_with_audit(transition: Transition) -> String {
    let audit = (1..=5)
        .rev()
        .fold(sql::INSERT_AUDIT.to_string(), |text, n| text.replace(&format!("${n}"), &format!("${}", n + 2)));
    format!("WITH moved AS ({} RETURNING 1) {audit}", transition.sql())
}

/// Moves a message on with the audit entry, committed together, in one round trip; with `reread`, the message
/// afterwards (read by a second statement sent in the same round trip, after the first has committed).
async fn change_status(
    connection: &Connection,
    (transition, id, at): (Transition, &str, &str),
    audit: &AuditEntry,
    reread: bool,
) -> Result<Option<MessageMeta>> {
    let db = connection.db();
    let [download, acknowledge] = &*TRANSITIONS_WITH_AUDIT;
    let moving = match transition {
        Transition::Download => download,
        Transition::Acknowledge => acknowledge,
    };
    let moving = db.prepared(moving).await?;
    let mut parameters: Vec<&(dyn ToSql + Sync)> = vec![&id, &at];
    parameters.extend(audit_params(audit));
    let mut statements = vec![sent(db.client, moving, parameters)];
    if reread {
        statements.push(sent(db.client, db.prepared(&MESSAGE_WITH_FILES).await?, vec![&id]));
    }
    db.trip();
    let mut answers = in_order(statements).await.into_iter();
    answers.next().unwrap_or(Err(StoreError::AnsweredTwice))?;
    match answers.next().transpose()?.as_ref().and_then(|rows| rows.first()) {
        Some(row) => Ok(Some(message_with_files(row)?)),
        None => Ok(None),
    }
}

/// The send locks' second keys of a message's sender and recipient, the lower first: every send takes its locks in
/// one global order, so two sends never wait for each other in a circle (sorting the keys, not the office numbers,
/// keeps that true when two numbers share a key). One key twice when they share it: a session takes an advisory
/// lock it holds again at once. FNV-1a: the same on every node and version.
fn send_locks(message: &NewMessage) -> [i32; 2] {
    let key = |office: &str| {
        let hash =
            office.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193));
        i32::from_ne_bytes(hash.to_ne_bytes())
    };
    let (from, to) = (key(&message.from), key(&message.to));
    [from.min(to), from.max(to)]
}

/// Under an Idempotency-Key, in the transaction just begun: takes the send locks and looks for an earlier send
/// under the key. A conflict or a replay is the answer (the transaction ended); `None`: store the send, the
/// transaction still open.
async fn earlier_send(
    db: &Db<'_, Client>,
    (shared, lock, earlier): (Statement, Statement, Statement),
    message: &NewMessage,
    key: &String,
    audit: &AuditEntry,
) -> Result<Option<Inserted>> {
    db.trip();
    let keys = send_locks(message);
    let mut statements = vec![simple(db.client, "BEGIN"), sent(db.client, shared, vec![&ONE_LOCK])];
    statements.extend(keys.iter().map(|key| sent(db.client, lock.clone(), vec![&SEND_LOCKS, key])));
    statements.push(sent(db.client, earlier, vec![&message.from, key]));
    let mut answers = in_order(statements).await;
    let found = answers.pop().unwrap_or(Err(StoreError::AnsweredTwice));
    for answer in answers {
        answer?; // BEGIN and the locks
    }
    let found = found?;
    let earlier = match found.first() {
        Some(row) => Some((row.text(0)?, row.maybe_text(1)?)),
        None => None,
    };
    match idempotency(earlier, &message.request_digest) {
        Idempotent::Conflict(id) => {
            db.trip();
            db.client.batch_execute("ROLLBACK").await?;
            Ok(Some(Inserted::KeyConflict(id)))
        }
        Idempotent::Replay(id) => {
            let Some(row) = db.query_opt(&MESSAGE_WITH_FILES, &[&id]).await? else {
                return Ok(None); // the message it named is gone: store the send
            };
            let stored = message_with_files(&row)?;
            let replay = replay_entry(audit.clone(), &id, key);
            let auditing = db.prepared(sql::INSERT_AUDIT).await?;
            in_transaction(db.client, db.trips, false, vec![sent(db.client, auditing, audit_params(&replay))]).await?;
            Ok(Some(Inserted::Replayed(stored)))
        }
        Idempotent::Store => Ok(None),
    }
}

impl Store for PgStore {
    fn put_office(&self, office: &Office) -> Pending<()> {
        let office = office.clone();
        let cache = Arc::clone(&self.offices);
        self.run(move |connection| async move {
            let db = connection.db();
            let kinds = office.kinds.join(",");
            db.execute(sql::PUT_OFFICE, &[&office.number, &office.name, &kinds, &office.licence_until]).await?;
            // The trigger tells every node; this one forgets before it answers.
            cache.forget(&office.number);
            Ok(())
        })
    }

    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool> {
        let number = number.to_string();
        let cache = Arc::clone(&self.offices);
        self.run(move |mut connection| async move {
            let Connection { client, statements, trips } = &mut *connection;
            let transaction = client.transaction().await?;
            let db = Db { client: &transaction, statements, trips };
            db.trip();
            let removed = db.execute(sql::REMOVE_OFFICE, &[&number]).await? > 0;
            if removed {
                insert_audit(&db, &audit).await?;
            }
            db.trip();
            transaction.commit().await?;
            cache.forget(&number);
            Ok(removed)
        })
    }

    fn office(&self, number: &str) -> Pending<Option<Office>> {
        if let Some(office) = self.offices.get(number) {
            return Pending::ready(Ok(Some(office)));
        }
        // Only offices found are kept (an unknown number costs a read, and memory stays the registry's size).
        let epoch = self.offices.epoch();
        let cache = Arc::clone(&self.offices);
        let number = number.to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            let office =
                db.query_opt(sql::OFFICE, &[&number]).await?.as_ref().map(|row| office_from(row)).transpose()?;
            if let (Some(epoch), Some(office)) = (epoch, &office) {
                cache.keep(epoch, office);
            }
            Ok(office)
        })
    }

    fn offices(&self, query: Option<&str>, limit: Option<usize>) -> Pending<Vec<Office>> {
        let pattern = query.unwrap_or("").to_string();
        // LIMIT NULL: every row.
        let limit = limit.map(|limit| i64::try_from(limit).unwrap_or(i64::MAX));
        self.read(move |connection| async move {
            let db = connection.db();
            let rows = db
                .query(
                    "SELECT number, name, kinds, licence_until FROM offices
                     WHERE $1 = '' OR number LIKE $1 || '%' OR strpos(name, $1) > 0 ORDER BY number LIMIT $2",
                    &[&pattern, &limit],
                )
                .await?;
            rows.iter().map(|row| office_from(row)).collect()
        })
    }

    fn insert_message(&self, message: NewMessage, audit: AuditEntry) -> Pending<Inserted> {
        self.run(move |connection| async move {
            let db = connection.db();
            // The sender's and the recipient's sends commit one at a time on every node: the sequence number is
            // drawn after their locks, so each office's numbers are in commit order (and an Idempotency-Key, the
            // sender's, is checked and taken without a race). The send is prepared before a transaction begins:
            // nothing fallible stands between the look under a key and the statement that ends it either way.
            let sending = db.prepared(SEND).await?;
            let mut begun = false;
            if let Some(key) = &message.idempotency_key {
                let locks = (db.prepared(LOCK_SHARED).await?, db.prepared(LOCK_SENDS).await?);
                let earlier = db.prepared(sql::EARLIER_SEND).await?;
                // The transaction begun there stays open past the look: every way out below ends it.
                begun = true;
                match earlier_send(&db, (locks.0, locks.1, earlier), &message, key, &audit).await {
                    Ok(Some(answer)) => return Ok(answer),
                    Ok(None) => {}
                    Err(error) => {
                        db.trip();
                        if let Err(rollback) = db.client.batch_execute("ROLLBACK").await {
                            tracing::warn!(error = %rollback, "rollback after a failed send");
                        }
                        return Err(error);
                    }
                }
            }
            let sizes: Vec<i64> =
                message.files.iter().map(|file| i64::try_from(file.bytes.len()).unwrap_or(i64::MAX)).collect();
            let positions: Vec<i32> =
                (0..message.files.len()).map(|at| i32::try_from(at).unwrap_or(i32::MAX)).collect();
            let names: Vec<&str> = message.files.iter().map(|file| file.name.as_str()).collect();
            let kinds: Vec<Option<&str>> = message.files.iter().map(|file| file.kind.as_deref()).collect();
            let digests: Vec<&str> = message.files.iter().map(|file| file.sha256.as_str()).collect();
            let bytes: Vec<&[u8]> = message.files.iter().map(|file| file.bytes.as_slice()).collect();
            let [lower, upper] = send_locks(&message);
            let mut parameters: Vec<&(dyn ToSql + Sync)> = vec![
                &message.id,
                &message.from,
                &message.to,
                &message.serial,
                &message.unit,
                &message.created_at,
                &message.idempotency_key,
                &message.request_digest,
                &message.subject.user_name,
                &message.subject.insured_number,
                &message.subject.target_month,
                &positions,
                &names,
                &kinds,
                &sizes,
                &digests,
                &bytes,
            ];
            parameters.extend(audit_params(&audit));
            parameters.extend([&SEND_LOCKS as &(dyn ToSql + Sync), &lower, &upper, &ARRIVALS, &ONE_LOCK]);
            let statements = vec![sent(db.client, sending, parameters)];
            let answers = if begun {
                in_transaction(db.client, db.trips, false, statements).await?
            } else {
                db.trip();
                in_order(statements).await.into_iter().collect::<Result<Vec<_>>>()?
            };
            let row = answers.first().and_then(|rows| rows.first());
            let Some(mut stored) = row.map(|row| message_from(row)).transpose()? else {
                return Err(StoreError::Vanished { id: message.id });
            };
            stored.files = message
                .files
                .iter()
                .zip(sizes)
                .map(|(file, size)| FileMeta {
                    name: file.name.clone(),
                    kind: file.kind.clone(),
                    size,
                    sha256: file.sha256.clone(),
                })
                .collect();
            Ok(Inserted::New(stored))
        })
    }

    fn message(&self, id: &str) -> Pending<Option<MessageMeta>> {
        let id = id.to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            db.query_opt(&MESSAGE_WITH_FILES, &[&id]).await?.as_ref().map(message_with_files).transpose()
        })
    }

    fn list(
        &self,
        office: &str,
        mailbox: Mailbox,
        status: Option<Status>,
        cursor: Cursor,
        limit: usize,
    ) -> Pending<Page> {
        let office = office.to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            let statement = list_sql(mailbox, status.is_some(), cursor);
            let (from, _, _) = cursor.sequence_range();
            let status = status.map(|status| status.as_str().to_string());
            let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&office, &fetch];
            if let Some(status) = &status {
                params.push(status);
            }
            if let Some(from) = &from {
                params.push(from);
            }
            let rows = db.query(&statement, &params).await?;
            let more = rows.len() > limit;
            let messages = messages_with_files(&rows[..rows.len().min(limit)])?;
            let next = if more { messages.last().map(|m| m.seq) } else { None };
            Ok(Page { messages, next })
        })
    }

    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>> {
        let (office, start, end) = (office.to_string(), start.to_string(), end.to_string());
        self.read(move |connection| async move {
            let db = connection.db();
            messages_with_files(&db.query(&with_files(sql::EXCHANGED, "ASC"), &[&office, &start, &end]).await?)
        })
    }

    fn file(&self, id: &str, name: &str) -> Pending<Option<Vec<u8>>> {
        let (id, name) = (id.to_string(), name.to_string());
        self.read(move |connection| async move {
            let db = connection.db();
            let row = db.query_opt(sql::FILE_BYTES, &[&id, &name]).await?;
            row.map(|row| row.bytes(0)).transpose()
        })
    }

    fn mark_downloaded(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<()> {
        let (id, at) = (id.to_string(), at.to_string());
        self.run(move |connection| async move {
            change_status(&connection, (Transition::Download, &id, &at), &audit, false).await.map(drop)
        })
    }

    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>> {
        let (id, at) = (id.to_string(), at.to_string());
        self.run(move |connection| async move {
            change_status(&connection, (Transition::Acknowledge, &id, &at), &audit, true).await
        })
    }

    fn audit(&self, entry: &AuditEntry) -> Pending<()> {
        let entry = entry.clone();
        self.run(move |connection| async move {
            let db = connection.db();
            insert_audit(&db, &entry).await
        })
    }

    fn audit_log(&self, office: Option<&str>, since: Option<&str>) -> Pending<Vec<AuditEntry>> {
        let (office, since) = (office.map(String::from), since.map(String::from));
        self.read(move |connection| async move {
            let db = connection.db();
            db.query(sql::AUDIT_LOG, &[&office, &since]).await?.iter().map(|row| audit_from(row)).collect()
        })
    }

    fn purge_before(&self, cutoff: &str) -> Pending<usize> {
        let cutoff = cutoff.to_string();
        // Which node purges is settled before (`claim_purge`): one per interval across the nodes.
        self.run(move |connection| async move {
            let purged = connection.db().execute(sql::PURGE, &[&cutoff]).await?;
            Ok(usize::try_from(purged).unwrap_or(usize::MAX))
        })
    }

    fn compact(&self) -> Pending<()> {
        // PostgreSQL reclaims deleted rows itself (autovacuum); it does not overwrite them (see the README).
        Pending::ready(Ok(()))
    }

    fn claim_purge(&self, interval: std::time::Duration) -> Pending<bool> {
        let seconds = interval.as_secs_f64();
        self.run(move |connection| async move {
            // One statement: the first node past the interval takes it; the row says when.
            let claimed = connection
                .db()
                .query_opt(
                    "INSERT INTO maintenance (task, last_run) VALUES ('purge', now())
                     ON CONFLICT (task) DO UPDATE SET last_run = now()
                     WHERE maintenance.last_run < now() - make_interval(secs => $1)
                     RETURNING task",
                    &[&seconds],
                )
                .await?;
            Ok(claimed.is_some())
        })
    }

    fn watch_arrivals(&self, arrived: Arc<dyn Fn(&str) + Send + Sync>) {
        if let Some(runtime) = &self.runtime {
            let (listening, heard) = std::sync::mpsc::sync_channel(1);
            runtime.spawn(listen(Arc::clone(&self.target), arrived, listening));
            // Back only once the node hears: a node serving before its LISTEN left a long poll parked on it deaf
            // to a send another node committed in that moment, until the poll's own next look. The listener runs
            // on the store's runtime; the relay calls this from a blocking thread.
            if heard.recv_timeout(LISTEN_WITHIN).is_err() {
                tracing::warn!(
                    within = ?LISTEN_WITHIN,
                    "not yet listening for other nodes' sends: waiting inboxes find them at their next look"
                );
            }
        }
    }

    fn round_trips(&self) -> Option<u64> {
        Some(self.trips.load(Ordering::Relaxed))
    }

    fn status_counts(&self) -> Pending<Vec<(String, i64)>> {
        self.read(move |connection| async move {
            let db = connection.db();
            let rows = db.query(sql::STATUS_COUNTS, &[]).await?;
            rows.iter().map(|row| Ok((row.text(0)?, row.integer(1)?))).collect()
        })
    }
}

/// How long a starting node waits for its arrivals listener before it serves anyway.
const LISTEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Listens for sends committed by any node and reports each recipient; reconnects (after a pause) when the
/// connection drops; says on `listening` when its first LISTEN is in place. A notification lost meanwhile costs a
/// waiting client latency, never a message: the inbox long poll looks again on its own every few seconds.
async fn listen(
    target: Arc<Target>,
    arrived: Arc<dyn Fn(&str) + Send + Sync>,
    listening: std::sync::mpsc::SyncSender<()>,
) {
    loop {
        match target.connect().await {
            Ok((client, mut connection)) => {
                let (sender, mut notifications) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |context| connection.poll_message(context));
                    while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(note)) => {
                                if sender.send(note.payload().to_string()).is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(error) => {
                                tracing::warn!(%error, "arrivals listener connection failed");
                                return;
                            }
                        }
                    }
                });
                if let Err(error) = client.batch_execute(&format!("LISTEN {ARRIVALS}")).await {
                    tracing::warn!(%error, "cannot listen for arrivals");
                } else {
                    let _ = listening.try_send(()); // full or gone after the first time: nobody waits any more
                    while let Some(recipient) = notifications.recv().await {
                        arrived(&recipient);
                    }
                }
                driver.abort();
            }
            Err(error) => tracing::warn!(%error, "arrivals listener cannot connect"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
