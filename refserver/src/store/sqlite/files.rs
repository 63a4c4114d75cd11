//! The embedded store's file bytes, one file on disk per stored file in `files/` beside the database. Each is
//! written and synced (the file, then the folder) before the metadata that names it commits, so SQLite's
//! write-ahead log carries names, sizes and digests only and the bytes are written once, not once into the log and
//! again into the database. A file's name on disk is its message's id and its position in the send (`m_…0.1`),
//! never the name its sender gave it. Files are created owner-only, as everything the relay writes.
//!
//! What can be left behind by a kill is put right when the relay opens the store ([`Files::sweep`]): a file no row
//! names (its send never committed) is removed, and a row whose file is missing or of another size is reported.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;

use crate::model::NewFile;
use crate::store::{Result, StoreError};

/// The folder beside the database that holds the files.
pub const FOLDER: &str = "files";

/// The name a stored file has on disk: its message's id and its position in the send. `None` for an id that could
/// name anything but one file in the folder (the relay's ids are `m_` and hex).
pub fn disk_name(id: &str, position: i64) -> Option<String> {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    plain.then(|| format!("{id}.{position}"))
}

/// The message id and position a name on disk stands for (the inverse of [`disk_name`]).
fn from_disk_name(name: &str) -> Option<(&str, i64)> {
    let (id, position) = name.rsplit_once('.')?;
    let position = i64::from(position.parse::<u32>().ok()?);
    (disk_name(id, position)? == name).then_some((id, position))
}

/// Bytes a file of `size` takes on disk: whole 4 KiB blocks, as a file system spends them.
fn on_disk(size: u64) -> u64 {
    size.div_ceil(4096) * 4096
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    match source.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => StoreError::Full,
        _ => StoreError::Io { path: path.to_path_buf(), source },
    }
}

/// The disk space the store may take (`--max-store-mb`: database and files together), what the files take, and
/// what the database took at the last commit.
pub(super) struct Space {
    limit: Option<u64>,
    files: AtomicU64,
    database: AtomicU64,
}

impl Space {
    pub(super) fn new(limit: Option<u64>) -> Arc<Space> {
        Arc::new(Space { limit, files: AtomicU64::new(0), database: AtomicU64::new(0) })
    }

    pub(super) fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// What the files take, those of sends still committing included.
    pub(super) fn files(&self) -> u64 {
        self.files.load(Ordering::SeqCst)
    }

    /// The database's size after a commit (its pages, free ones included: the file does not shrink).
    pub(super) fn set_database(&self, bytes: u64) {
        self.database.store(bytes, Ordering::SeqCst);
    }

    /// Counts `bytes` of files in, or refuses them when database and files would pass the limit.
    fn reserve(&self, bytes: u64) -> Result<()> {
        let database = self.database.load(Ordering::SeqCst);
        self.files
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |files| match self.limit {
                Some(limit) if database.saturating_add(files).saturating_add(bytes) > limit => None,
                _ => Some(files.saturating_add(bytes)),
            })
            .map(drop)
            .map_err(|_| StoreError::Full)
    }

    fn release(&self, bytes: u64) {
        let _ = self.files.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |files| Some(files.saturating_sub(bytes)));
    }

    /// How many pages the database may have so that it and the files stay within the limit; `None` without one.
    pub(super) fn database_pages(&self, page_size: u64) -> Option<u64> {
        self.limit.map(|limit| (limit.saturating_sub(self.files()) / page_size.max(1)).max(1))
    }
}

/// The folder of files and the space they take.
pub(super) struct Files {
    dir: PathBuf,
    /// the folder itself, kept open: every send syncs it
    folder: File,
    space: Arc<Space>,
}

/// Files written for a message whose metadata has not committed: removed when dropped (a replay, a conflict, a
/// failed commit, a store closing), unless [`Staged::keep`] is called once the metadata has committed.
pub(super) struct Staged {
    paths: Vec<PathBuf>,
    reserved: u64,
    space: Arc<Space>,
}

impl Staged {
    /// The metadata naming these files committed: they stay.
    pub(super) fn keep(mut self) {
        self.paths.clear();
        self.reserved = 0;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for path in &self.paths {
            if let Err(error) = std::fs::remove_file(path) {
                if error.kind() != std::io::ErrorKind::NotFound {
                    // Left for the next start-up's sweep.
                    tracing::warn!(path = %path.display(), %error, "cannot remove a file of a send not stored");
                }
            }
        }
        self.space.release(self.reserved);
    }
}

/// What the start-up sweep found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// files no row names, removed
    pub orphans: usize,
    /// rows whose file is not there (`id.position name`)
    pub missing: Vec<String>,
    /// rows whose file on disk has another size than the row records (a torn or altered file)
    pub damaged: Vec<String>,
}

/// A file a purge removed: its message, position and size.
pub(super) type Purged = (String, i64, i64);

impl Files {
    /// The folder in the store's folder `dir`, created owner-only when missing.
    pub(super) fn open(dir: &Path, space: Arc<Space>) -> Result<Files> {
        let dir = dir.join(FOLDER);
        crate::private::create_dir(&dir).map_err(|source| io_error(&dir, source))?;
        let folder = File::open(&dir).map_err(|source| io_error(&dir, source))?;
        Ok(Files { dir, folder, space })
    }

    /// Makes the folder's entries (files created, removed) durable.
    fn sync_folder(&self) -> Result<()> {
        self.folder.sync_all().map_err(|source| io_error(&self.dir, source))
    }

    pub(super) fn space(&self) -> &Arc<Space> {
        &self.space
    }

    fn path(&self, id: &str, position: i64) -> Result<PathBuf> {
        disk_name(id, position).map(|name| self.dir.join(name)).ok_or_else(|| StoreError::Unnameable { id: id.into() })
    }

    /// Writes a message's files, each synced, then the folder; refused as [`StoreError::Full`] past the limit.
    /// Blocks on the disk: the caller's thread, never the writer's, so sends' writes run side by side.
    pub(super) fn stage(&self, id: &str, files: &[NewFile]) -> Result<Staged> {
        let reserved = files.iter().map(|file| on_disk(file.bytes.len() as u64)).sum();
        self.space.reserve(reserved)?;
        let mut staged = Staged { paths: Vec::with_capacity(files.len()), reserved, space: Arc::clone(&self.space) };
        for (position, file) in (0..).zip(files) {
            let path = self.path(id, position)?;
            staged.paths.push(path.clone());
            write_synced(&path, &file.bytes).map_err(|source| io_error(&path, source))?;
        }
        self.sync_folder()?;
        Ok(staged)
    }

    /// A stored file's bytes; an error when it is missing or not of the size recorded (torn, altered).
    pub(super) fn read(&self, id: &str, position: i64, size: i64) -> Result<Vec<u8>> {
        let path = self.path(id, position)?;
        let bytes = std::fs::read(&path).map_err(|source| io_error(&path, source))?;
        if i64::try_from(bytes.len()).ok() != Some(size) {
            return Err(StoreError::Damaged { path, recorded: size, found: bytes.len() as u64 });
        }
        Ok(bytes)
    }

    /// Overwrites and removes purged files: their bytes are not left readable in free space, as SQLite's
    /// `secure_delete` does for the rows. A file that cannot be removed is logged and left to the next sweep.
    pub(super) fn remove(&self, purged: &[Purged]) {
        for (id, position, size) in purged {
            let removed = self.path(id, *position).and_then(|path| {
                shred(&path).map_err(|source| io_error(&path, source))?;
                Ok(())
            });
            match removed {
                Ok(()) => self.space.release(on_disk(u64::try_from(*size).unwrap_or(0))),
                Err(error) => tracing::warn!(%error, "cannot remove a purged file; the next start-up removes it"),
            }
        }
        if !purged.is_empty() {
            if let Err(error) = self.sync_folder() {
                tracing::warn!(%error, "cannot sync the files folder after a purge");
            }
        }
    }

    /// Counts the files the rows name into the space the store takes.
    pub(super) fn count(&self, connection: &Connection) -> Result<()> {
        let bytes: i64 =
            connection
                .query_row("SELECT COALESCE(SUM((size + 4095) / 4096 * 4096), 0) FROM files", [], |row| row.get(0))?;
        self.space.files.store(u64::try_from(bytes).unwrap_or(0), Ordering::SeqCst);
        Ok(())
    }

    /// Writes out the bytes a store from before this layout kept in its `files` table (the migration that drops
    /// them from the table runs next, in the same transaction). Rerun in full if that transaction never commits.
    pub(super) fn move_out(&self, connection: &Connection) -> Result<usize> {
        let mut statement = connection.prepare("SELECT message_id, position, bytes FROM files")?;
        let mut rows = statement.query([])?;
        let mut moved = 0;
        while let Some(row) = rows.next()? {
            let (id, position): (String, i64) = (row.get(0)?, row.get(1)?);
            let path = self.path(&id, position)?;
            let bytes = row.get_ref(2)?.as_blob().map_err(StoreError::database)?;
            write_synced(&path, bytes).map_err(|source| io_error(&path, source))?;
            moved += 1;
        }
        self.sync_folder()?;
        Ok(moved)
    }

    /// Removes every file no row names (a send killed before its commit) and reports rows whose file is missing or
    /// of another size. Only for the one process serving from the store, before it serves: another process's send
    /// between its file and its commit would look like an orphan.
    pub(super) fn sweep(&self, connection: &Connection) -> Result<Swept> {
        let mut swept = Swept::default();
        let mut statement = connection.prepare("SELECT message_id, position, size, name FROM files")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let (id, position, size, name): (String, i64, i64, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let path = self.path(&id, position)?;
            let shown = format!("{id}.{position} {}", crate::checks::shown(&name));
            match std::fs::metadata(&path) {
                Ok(metadata) if i64::try_from(metadata.len()).ok() == Some(size) => {}
                Ok(_) => swept.damaged.push(shown),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => swept.missing.push(shown),
                Err(error) => return Err(io_error(&path, error)),
            }
        }
        drop(rows);
        let mut named = connection.prepare("SELECT 1 FROM files WHERE message_id = ?1 AND position = ?2")?;
        for entry in std::fs::read_dir(&self.dir).map_err(|source| io_error(&self.dir, source))? {
            let entry = entry.map_err(|source| io_error(&self.dir, source))?;
            let name = entry.file_name();
            let kept = match name.to_str().and_then(from_disk_name) {
                Some((id, position)) => named.exists(rusqlite::params![id, position])?,
                None => false,
            };
            if kept {
                continue;
            }
            let path = entry.path();
            if entry.file_type().map_err(|source| io_error(&path, source))?.is_dir() {
                tracing::warn!(path = %path.display(), "a folder in the store's files folder is left alone");
                continue;
            }
            std::fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
            swept.orphans += 1;
        }
        if swept.orphans > 0 {
            self.sync_folder()?;
        }
        Ok(swept)
    }
}

/// Writes `bytes` to a new owner-only file at `path` (replacing one left by an earlier attempt) and syncs them.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    // Data and size: the folder's sync that follows makes the name durable.
    file.sync_data()
}

/// Overwrites the file at `path` with zeros, syncs it and removes it; a file already gone is fine.
fn shred(path: &Path) -> std::io::Result<()> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let zeros = [0u8; 64 * 1024];
    let mut left = file.metadata()?.len();
    while left > 0 {
        let chunk = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..chunk])?;
        left -= chunk as u64;
    }
    file.sync_data()?;
    std::fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_disk_come_from_the_id_and_position_only() {
        assert_eq!(disk_name("m_0a1b2c", 2).as_deref(), Some("m_0a1b2c.2"));
        assert_eq!(from_disk_name("m_0a1b2c.2"), Some(("m_0a1b2c", 2)));
        for unsafe_id in ["", "../x", "a/b", "a.b", "m_\u{202E}", &"x".repeat(65)] {
            assert_eq!(disk_name(unsafe_id, 0), None, "{unsafe_id:?}");
        }
        for stray in ["m_1", "m_1.x", "m_1.-1", ".0", "a.b.0", "m_1.01"] {
            assert_eq!(from_disk_name(stray), None, "{stray:?}");
        }
    }

    #[test]
    fn space_counts_whole_blocks_and_refuses_past_the_limit() {
        let space = Space::new(Some(3 * 4096));
        space.set_database(4096);
        assert!(space.reserve(on_disk(1)).is_ok());
        assert!(space.reserve(on_disk(4097)).is_err(), "4096 database + 4096 + 8192 > 12288");
        assert!(space.reserve(on_disk(4096)).is_ok());
        assert_eq!(space.files(), 8192);
        space.release(4096);
        assert_eq!(space.database_pages(4096), Some(2));
    }
}
