//! Where the relay keeps everything, resolved once (from `serve`'s and the tools' flags and environment), and
//! the one function that opens a store there: `serve`, every subcommand and the tools that drive a relay call it.

use std::path::PathBuf;
use std::sync::Arc;

use super::{OpenError, PgStore, SqliteStore, Store};

/// Memory for the latest messages, served to their recipients without a trip to SQLite.
const RECENT_BYTES: usize = 64 << 20;

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded store (SQLite) in a folder of its own; sends that would grow it beyond `max_bytes` get 507.
    Embedded { dir: PathBuf, max_bytes: Option<u64> },
    /// A PostgreSQL database, `postgres://user@host:port/database`, with its TLS options as libpq reads them
    /// (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`).
    Postgres { url: String },
}

/// Who opens the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    /// The relay: the one process serving from it, which sweeps the embedded store's files folder when it opens it
    /// and keeps a copy of recent messages in memory.
    Relay,
    /// A command-line tool or a test: changes it makes reach a relay on the same store.
    Tool,
}

impl StoreLocation {
    /// The embedded store in `dir`, without a size limit.
    pub fn embedded(dir: impl Into<PathBuf>) -> StoreLocation {
        StoreLocation::Embedded { dir: dir.into(), max_bytes: None }
    }

    /// How long after a registry change commits until no relay on this store can still act on what it replaced:
    /// nothing on the embedded store (every request reads the registry); on PostgreSQL, until every node's cache
    /// has heard the change or turned itself off ([`super::postgres::REGISTRY_HEARD_WITHIN`]).
    pub fn registry_settles(&self) -> std::time::Duration {
        match self {
            StoreLocation::Embedded { .. } => std::time::Duration::ZERO,
            StoreLocation::Postgres { .. } => super::postgres::REGISTRY_HEARD_WITHIN,
        }
    }

    /// Opens the store here, creating it or bringing its schema up to date; refuses a newer schema. Connecting to
    /// PostgreSQL waits on the network: async callers run this on the blocking pool.
    pub fn open(&self, opener: Opener) -> Result<Arc<dyn Store>, OpenError> {
        Ok(match self {
            StoreLocation::Embedded { dir, max_bytes } => {
                let store = SqliteStore::open_limited(dir, *max_bytes)?;
                match opener {
                    Opener::Relay => {
                        // Before serving: files of sends a kill cut short go, rows without their file are reported.
                        store.sweep()?;
                        Arc::new(store.with_recent(RECENT_BYTES))
                    }
                    Opener::Tool => Arc::new(store),
                }
            }
            // No copy of recent messages: another node's change would not reach it. The registry is another matter:
            // each of its changes is announced to every node, so a relay keeps its offices in memory.
            StoreLocation::Postgres { url } => match opener {
                Opener::Relay => Arc::new(PgStore::open(url)?.with_office_cache()),
                Opener::Tool => Arc::new(PgStore::open(url)?),
            },
        })
    }
}

/// A folder is the embedded store in it, without a size limit.
impl From<PathBuf> for StoreLocation {
    fn from(dir: PathBuf) -> StoreLocation {
        StoreLocation::embedded(dir)
    }
}
