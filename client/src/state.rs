//! The client's memory (SQLite, `synchronous = FULL`: a row that was written survives `kill -9` and power loss).
//! It holds what a restart must not redo: the files already sent or refused (by name and SHA-256, so a unit
//! half-moved to `sent/` is finished, never re-sent as a smaller unit), and each received file's progress —
//! staged (written under a temporary name), written (renamed into the inbox), and each message's acknowledgement.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::ClientError;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS outgoing (
    key TEXT PRIMARY KEY, unit TEXT NOT NULL, recipient TEXT NOT NULL, outcome TEXT NOT NULL,
    message_id TEXT, errors INTEGER NOT NULL DEFAULT 0, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outgoing_files (
    name TEXT NOT NULL, sha256 TEXT NOT NULL, key TEXT NOT NULL REFERENCES outgoing(key),
    PRIMARY KEY (name, sha256));
CREATE TABLE IF NOT EXISTS incoming (
    message_id TEXT PRIMARY KEY, sender TEXT NOT NULL, serial TEXT NOT NULL, written_at TEXT, acked_at TEXT);
CREATE TABLE IF NOT EXISTS outgoing_waits (unit TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incoming_missing (
    message_id TEXT NOT NULL, name TEXT NOT NULL, misses INTEGER NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (message_id, name));
CREATE TABLE IF NOT EXISTS incoming_files (
    message_id TEXT NOT NULL REFERENCES incoming(message_id), name TEXT NOT NULL, sha256 TEXT NOT NULL,
    state TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (message_id, name));
";

/// How a unit left the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Refused => "refused",
        }
    }
}

/// A unit leaving the outbox: its key, folder name, recipient, how, the message the relay stored, the errors found.
#[derive(Debug, Clone, Copy)]
pub struct Departure<'a> {
    pub key: &'a str,
    pub unit: &'a str,
    pub recipient: &'a str,
    pub outcome: Outcome,
    pub message_id: Option<&'a str>,
    pub errors: usize,
}

/// A unit that left the outbox, as `status` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub unit: String,
    pub recipient: String,
    pub outcome: String,
    pub message_id: Option<String>,
    pub errors: i64,
    pub at: String,
}

/// A received message, as `status` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub message_id: String,
    pub sender: String,
    pub serial: String,
    pub files: Vec<String>,
    pub written_at: Option<String>,
    pub acked_at: Option<String>,
}

/// A received message's file the relay answered 404 for, as `status` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub message_id: String,
    pub sender: String,
    pub serial: String,
    pub name: String,
    /// how many times the relay answered 404
    pub misses: u32,
}

/// Where one received file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// written and synced under its temporary name in the work folder; not yet renamed into the inbox
    Staged,
    /// renamed into the inbox (and the inbox folder synced)
    Written,
}

pub struct State {
    db: Mutex<Connection>,
}

impl State {
    pub fn open(path: &Path) -> Result<State, ClientError> {
        let db = Connection::open(path)?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.execute_batch(SCHEMA)?;
        Ok(State { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction: SQLite rolls it back.
        self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Which unit (by key) a file already left in, if it did, and how.
    pub fn departed_file(&self, name: &str, sha256: &str) -> Result<Option<(String, Outcome)>, ClientError> {
        let row: Option<(String, String)> = self
            .db()
            .query_row(
                "SELECT o.unit, o.outcome FROM outgoing_files f JOIN outgoing o ON o.key = f.key
                 WHERE f.name = ?1 AND f.sha256 = ?2",
                params![name, sha256],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(unit, outcome)| (unit, if outcome == "sent" { Outcome::Sent } else { Outcome::Refused })))
    }

    /// Records, in one transaction, that a unit left the outbox: before its files are moved, so a crash during the
    /// move is finished by the next start.
    pub fn record_departure(&self, departure: &Departure<'_>, files: &[(String, String)]) -> Result<(), ClientError> {
        let Departure { key, unit, recipient, outcome, message_id, errors } = *departure;
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO outgoing (key, unit, recipient, outcome, message_id, errors, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![key, unit, recipient, outcome.as_str(), message_id, errors as i64, now()],
        )?;
        for (name, sha256) in files {
            tx.execute(
                "INSERT OR REPLACE INTO outgoing_files (name, sha256, key) VALUES (?1, ?2, ?3)",
                params![name, sha256, key],
            )?;
        }
        tx.execute("DELETE FROM outgoing_waits WHERE unit = ?1", [unit])?;
        tx.commit()?;
        Ok(())
    }

    /// Why a unit of the outbox was not sent at its last try (until it leaves).
    pub fn set_waiting(&self, unit: &str, reason: &str) -> Result<(), ClientError> {
        self.db().execute(
            "INSERT OR REPLACE INTO outgoing_waits (unit, reason, at) VALUES (?1, ?2, ?3)",
            params![unit, reason, now()],
        )?;
        Ok(())
    }

    /// Each waiting unit's reason, by unit.
    pub fn waiting(&self) -> Result<std::collections::BTreeMap<String, String>, ClientError> {
        let db = self.db();
        let mut statement = db.prepare("SELECT unit, reason FROM outgoing_waits")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn departed(&self, limit: usize) -> Result<Vec<Departed>, ClientError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT unit, recipient, outcome, message_id, errors, at FROM outgoing ORDER BY at DESC LIMIT ?1",
        )?;
        let rows = statement.query_map([limit as i64], |row| {
            Ok(Departed {
                unit: row.get(0)?,
                recipient: row.get(1)?,
                outcome: row.get(2)?,
                message_id: row.get(3)?,
                errors: row.get(4)?,
                at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Notes a message being received (idempotent).
    pub fn begin_message(&self, message_id: &str, sender: &str, serial: &str) -> Result<(), ClientError> {
        self.db().execute(
            "INSERT OR IGNORE INTO incoming (message_id, sender, serial) VALUES (?1, ?2, ?3)",
            params![message_id, sender, serial],
        )?;
        Ok(())
    }

    pub fn file_state(&self, message_id: &str, name: &str) -> Result<Option<FileState>, ClientError> {
        let state: Option<String> = self
            .db()
            .query_row(
                "SELECT state FROM incoming_files WHERE message_id = ?1 AND name = ?2",
                params![message_id, name],
                |row| row.get(0),
            )
            .optional()?;
        Ok(state.map(|s| if s == "written" { FileState::Written } else { FileState::Staged }))
    }

    pub fn set_file_state(
        &self,
        message_id: &str,
        name: &str,
        sha256: &str,
        state: FileState,
    ) -> Result<(), ClientError> {
        let state = match state {
            FileState::Staged => "staged",
            FileState::Written => "written",
        };
        self.db().execute(
            "INSERT OR REPLACE INTO incoming_files (message_id, name, sha256, state, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![message_id, name, sha256, state, now()],
        )?;
        Ok(())
    }

    pub fn mark_written(&self, message_id: &str) -> Result<(), ClientError> {
        self.stamp(message_id, "written_at")
    }

    pub fn mark_acked(&self, message_id: &str) -> Result<(), ClientError> {
        self.stamp(message_id, "acked_at")
    }

    /// Sets a message's time `column` once; a second call (after a crash) keeps the first time.
    fn stamp(&self, message_id: &str, column: &'static str) -> Result<(), ClientError> {
        self.db().execute(
            &format!("UPDATE incoming SET {column} = ?2 WHERE message_id = ?1 AND {column} IS NULL"),
            params![message_id, now()],
        )?;
        Ok(())
    }

    /// Whether every file of the message is in the inbox (the message is then not received again).
    pub fn is_written(&self, message_id: &str) -> Result<bool, ClientError> {
        let written: Option<Option<String>> = self
            .db()
            .query_row("SELECT written_at FROM incoming WHERE message_id = ?1", [message_id], |row| row.get(0))
            .optional()?;
        Ok(matches!(written, Some(Some(_))))
    }

    /// Counts one more answer that a listed file of a message is not at the relay (404); the count so far.
    pub fn note_missing(&self, message_id: &str, name: &str) -> Result<u32, ClientError> {
        let db = self.db();
        db.execute(
            "INSERT INTO incoming_missing (message_id, name, misses, at) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (message_id, name) DO UPDATE SET misses = misses + 1, at = ?3",
            params![message_id, name, now()],
        )?;
        Ok(db.query_row(
            "SELECT misses FROM incoming_missing WHERE message_id = ?1 AND name = ?2",
            params![message_id, name],
            |row| row.get(0),
        )?)
    }

    /// Whether a file of the message was found missing at least `misses` times.
    pub fn given_up(&self, message_id: &str, misses: u32) -> Result<bool, ClientError> {
        Ok(self.db().query_row(
            "SELECT EXISTS (SELECT 1 FROM incoming_missing WHERE message_id = ?1 AND misses >= ?2)",
            params![message_id, misses],
            |row| row.get(0),
        )?)
    }

    /// The files found missing at least `misses` times.
    pub fn missing(&self, misses: u32) -> Result<Vec<Missing>, ClientError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT m.message_id, i.sender, i.serial, m.name, m.misses FROM incoming_missing m
             JOIN incoming i ON i.message_id = m.message_id WHERE m.misses >= ?1 ORDER BY m.at DESC",
        )?;
        let rows = statement.query_map([misses], |row| {
            Ok(Missing {
                message_id: row.get(0)?,
                sender: row.get(1)?,
                serial: row.get(2)?,
                name: row.get(3)?,
                misses: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Received messages, newest first; `unacknowledged` keeps those written and not yet acknowledged.
    pub fn arrived(&self, unacknowledged: bool, limit: usize) -> Result<Vec<Arrived>, ClientError> {
        let db = self.db();
        let filter = if unacknowledged { "WHERE written_at IS NOT NULL AND acked_at IS NULL" } else { "" };
        let mut statement = db.prepare(&format!(
            "SELECT message_id, sender, serial, written_at, acked_at FROM incoming {filter}
             ORDER BY rowid DESC LIMIT ?1"
        ))?;
        let mut arrived: Vec<Arrived> = statement
            .query_map([limit as i64], |row| {
                Ok(Arrived {
                    message_id: row.get(0)?,
                    sender: row.get(1)?,
                    serial: row.get(2)?,
                    files: Vec::new(),
                    written_at: row.get(3)?,
                    acked_at: row.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut names = db.prepare("SELECT name FROM incoming_files WHERE message_id = ?1 ORDER BY name")?;
        for message in &mut arrived {
            message.files = names.query_map([&message.message_id], |row| row.get(0))?.collect::<Result<_, _>>()?;
        }
        Ok(arrived)
    }
}

/// Now, as seconds since the Unix epoch with milliseconds.
fn now() -> String {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:03}", elapsed.as_secs(), elapsed.subsec_millis())
}
