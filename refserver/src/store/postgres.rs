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
//! Sends are committed one at a time across every node (a transaction-scoped advisory lock taken before a
//! message's sequence number is drawn), so sequence order is commit order: an inbox listed oldest first (`after=`)
//! never skips a message that commits late under a smaller number.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_postgres::{Client, GenericClient, Row, Statement};

mod connect;
use connect::Target;
pub use connect::{OpenError, SslMode};

use super::{
    audit_from, file_from, idempotency, message_from, migrations_to_run, office_from, replay_entry, sql, Idempotent,
    Pending, Result, Row as _, Store, StoreError, Transition,
};
use crate::model::{AuditEntry, Cursor, Inserted, Mailbox, MessageMeta, NewMessage, Office, Page, Status};

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
];

/// Advisory lock keys (any constants no other application on the database uses).
const MIGRATION_LOCK: i64 = 0x6361_7265_706c_0001;
const SEND_LOCK: i64 = 0x6361_7265_706c_0002;

/// The channel a send announces its recipient on (delivered to every listening node when the send commits).
const ARRIVALS: &str = "careplan_arrivals";

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
            Ok::<_, OpenError>(clients)
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
        let mut connections = clients.into_iter().map(|client| Connection {
            client,
            statements: Default::default(),
            trips: Arc::clone(&trips),
        });
        let writers = connections.by_ref().take(WRITERS).map(|c| Arc::new(Mutex::new(c))).collect();
        let readers = connections.map(Arc::new).collect();
        Ok(PgStore { runtime: Some(runtime), writers, readers, next: AtomicUsize::new(0), target, trips })
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
    async fn statement(&self, sql: &str) -> Result<Statement> {
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
        let statement = self.statement(sql).await?;
        self.trip();
        Ok(self.client.query(&statement, params).await?)
    }

    async fn query_opt(&self, sql: &str, params: &Params<'_>) -> Result<Option<Row>> {
        let statement = self.statement(sql).await?;
        self.trip();
        Ok(self.client.query_opt(&statement, params).await?)
    }

    async fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64> {
        let statement = self.statement(sql).await?;
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

async fn with_files<C: GenericClient + Sync>(db: &Db<'_, C>, mut message: MessageMeta) -> Result<MessageMeta> {
    let rows = db.query(sql::FILES_OF, &[&message.id]).await?;
    message.files = rows.iter().map(|row| file_from(row)).collect::<Result<_>>()?;
    Ok(message)
}

async fn messages_with_files<C: GenericClient + Sync>(db: &Db<'_, C>, rows: Vec<Row>) -> Result<Vec<MessageMeta>> {
    let mut messages = Vec::with_capacity(rows.len());
    for row in &rows {
        messages.push(with_files(db, message_from(row)?).await?);
    }
    Ok(messages)
}

async fn load_message<C: GenericClient + Sync>(db: &Db<'_, C>, id: &str) -> Result<Option<MessageMeta>> {
    match db.query_opt(sql::MESSAGE, &[&id]).await? {
        Some(row) => Ok(Some(with_files(db, message_from(&row)?).await?)),
        None => Ok(None),
    }
}

async fn insert_audit<C: GenericClient + Sync>(db: &Db<'_, C>, entry: &AuditEntry) -> Result<()> {
    let parameters: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
        [&entry.at, &entry.office, &entry.action, &entry.message_id, &entry.detail];
    db.execute(sql::INSERT_AUDIT, &parameters).await.map(drop)
}

/// Moves a message on with the audit entry, in one transaction; with `reread`, the message afterwards.
async fn change_status(
    connection: &mut Connection,
    (transition, id, at): (Transition, &str, &str),
    audit: &AuditEntry,
    reread: bool,
) -> Result<Option<MessageMeta>> {
    let Connection { client, statements, trips } = connection;
    let transaction = client.transaction().await?;
    let db = Db { client: &transaction, statements, trips };
    db.trip();
    db.execute(&transition.sql(), &[&id, &at]).await?;
    insert_audit(&db, audit).await?;
    let message = if reread { load_message(&db, id).await? } else { None };
    db.trip();
    transaction.commit().await?;
    Ok(message)
}

impl Store for PgStore {
    fn put_office(&self, office: &Office) -> Pending<()> {
        let office = office.clone();
        self.run(move |connection| async move {
            let db = connection.db();
            let kinds = office.kinds.join(",");
            db.execute(sql::PUT_OFFICE, &[&office.number, &office.name, &kinds, &office.licence_until]).await.map(drop)
        })
    }

    fn remove_office(&self, number: &str, audit: AuditEntry) -> Pending<bool> {
        let number = number.to_string();
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
            Ok(removed)
        })
    }

    fn office(&self, number: &str) -> Pending<Option<Office>> {
        let number = number.to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            db.query_opt(sql::OFFICE, &[&number]).await?.as_ref().map(|row| office_from(row)).transpose()
        })
    }

    fn offices(&self, query: Option<&str>) -> Pending<Vec<Office>> {
        let pattern = query.unwrap_or("").to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            let rows = db
                .query(
                    "SELECT number, name, kinds, licence_until FROM offices
                     WHERE $1 = '' OR number LIKE $1 || '%' OR strpos(name, $1) > 0 ORDER BY number LIMIT 200",
                    &[&pattern],
                )
                .await?;
            rows.iter().map(|row| office_from(row)).collect()
        })
    }

    fn insert_message(&self, message: NewMessage, audit: AuditEntry) -> Pending<Inserted> {
        self.run(move |mut connection| async move {
            let Connection { client, statements, trips } = &mut *connection;
            let transaction = client.transaction().await?;
            let db = Db { client: &transaction, statements, trips };
            db.trip();
            // One send commits at a time on every node: its sequence number is drawn after the lock, so numbers
            // are in commit order (and an Idempotency-Key is checked and taken without a race).
            db.execute("SELECT pg_advisory_xact_lock($1)", &[&SEND_LOCK]).await?;
            if let Some(key) = &message.idempotency_key {
                let earlier = match db.query_opt(sql::EARLIER_SEND, &[&message.from, key]).await? {
                    Some(row) => Some((row.text(0)?, row.maybe_text(1)?)),
                    None => None,
                };
                match idempotency(earlier, &message.request_digest) {
                    Idempotent::Conflict(id) => return Ok(Inserted::KeyConflict(id)),
                    Idempotent::Replay(id) => {
                        if let Some(stored) = load_message(&db, &id).await? {
                            insert_audit(&db, &replay_entry(audit, &id, key)).await?;
                            db.trip();
                            transaction.commit().await?;
                            return Ok(Inserted::Replayed(stored));
                        }
                    }
                    Idempotent::Store => {}
                }
            }
            db.execute(
                sql::INSERT_MESSAGE,
                &[
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
                ],
            )
            .await?;
            for (position, file) in message.files.iter().enumerate() {
                let (position, size) = (i32::try_from(position).unwrap_or(i32::MAX), file.bytes.len() as i64);
                db.execute(
                    sql::INSERT_FILE,
                    &[&message.id, &position, &file.name, &file.kind, &size, &file.sha256, &file.bytes],
                )
                .await?;
            }
            insert_audit(&db, &audit).await?;
            // Delivered to every node's listener when (and only if) this commits.
            db.execute("SELECT pg_notify($1, $2)", &[&ARRIVALS, &message.to]).await?;
            let stored = load_message(&db, &message.id).await?;
            db.trip();
            transaction.commit().await?;
            stored.map(Inserted::New).ok_or(StoreError::Vanished { id: message.id })
        })
    }

    fn message(&self, id: &str) -> Pending<Option<MessageMeta>> {
        let id = id.to_string();
        self.read(move |connection| async move {
            let db = connection.db();
            load_message(&db, &id).await
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
            let statement = sql::list(mailbox, status.is_some(), cursor);
            let (from, _, _) = cursor.sequence_range();
            let status = status.map(|status| status.as_str().to_string());
            let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&office, &fetch];
            if let Some(status) = &status {
                params.push(status);
            }
            if let Some(from) = &from {
                params.push(from);
            }
            let rows = db.query(&statement, &params).await?;
            let more = rows.len() > limit;
            let messages = messages_with_files(&db, rows.into_iter().take(limit).collect()).await?;
            let next = if more { messages.last().map(|m| m.seq) } else { None };
            Ok(Page { messages, next })
        })
    }

    fn exchanged(&self, office: &str, start: &str, end: &str) -> Pending<Vec<MessageMeta>> {
        let (office, start, end) = (office.to_string(), start.to_string(), end.to_string());
        self.read(move |connection| async move {
            let db = connection.db();
            let rows = db.query(sql::EXCHANGED, &[&office, &start, &end]).await?;
            messages_with_files(&db, rows).await
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
        self.run(move |mut connection| async move {
            change_status(&mut connection, (Transition::Download, &id, &at), &audit, false).await.map(drop)
        })
    }

    fn acknowledge(&self, id: &str, at: &str, audit: AuditEntry) -> Pending<Option<MessageMeta>> {
        let (id, at) = (id.to_string(), at.to_string());
        self.run(move |mut connection| async move {
            change_status(&mut connection, (Transition::Acknowledge, &id, &at), &audit, true).await
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
            runtime.spawn(listen(Arc::clone(&self.target), arrived));
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

/// Listens for sends committed by any node and reports each recipient; reconnects (after a pause) when the
/// connection drops. A notification lost meanwhile costs a waiting client latency, never a message: the inbox
/// long poll looks again on its own every few seconds.
async fn listen(target: Arc<Target>, arrived: Arc<dyn Fn(&str) + Send + Sync>) {
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
