//! Files at rest are private to the relay's user: the store holds plan CSVs with 氏名, 被保険者番号 and 住所 in clear,
//! and the PKI folder holds private keys. Everything the relay writes is created owner-only (folders 0700, files
//! 0600), and the relay refuses to start on a data or PKI folder that others can read. Disk encryption is the
//! operator's part (README).

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const FOLDER_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) owner-only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(FOLDER_MODE).create(dir)
}

/// Writes `contents` to `path` owner-only, creating its folder owner-only; an existing file is narrowed to 0600.
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(FILE_MODE).open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates `path` empty and owner-only when it does not exist: SQLite then gives its `-wal` and `-shm` files the
/// same mode.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    match OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotPrivate {
    #[error(
        "{} can be read by other users of this machine (mode {mode:o}); the relay keeps personal data and keys \
         there and will not start. Make it private: chmod -R go-rwx {}",
        path.display(),
        root.display()
    )]
    Open { path: PathBuf, mode: u32, root: PathBuf },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Checks that `root` and everything under it is owner-only (no group or other permission bits).
pub fn check(root: &Path) -> Result<(), NotPrivate> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let io = |source| NotPrivate::Io { path: path.clone(), source };
        let metadata = std::fs::symlink_metadata(&path).map_err(io)?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(NotPrivate::Open { path, mode, root: root.to_path_buf() });
        }
        if metadata.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(io)? {
                pending.push(entry.map_err(io)?.path());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_and_folders_are_owner_only_and_checked() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().join("pki");
        let key = root.join("offices").join("1370001002.key");
        write(&key, b"secret").unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!((mode(&root), mode(&root.join("offices")), mode(&key)), (0o700, 0o700, 0o600));
        assert!(check(&root).is_ok());
        // Planted: a key readable by others is refused, naming the file.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap_or_else(|e| panic!("{e}"));
        let refused = check(&root).map_err(|e| e.to_string());
        assert!(refused.as_ref().is_err_and(|e| e.contains("1370001002.key") && e.contains("644")), "{refused:?}");
        // Rewriting narrows it again.
        write(&key, b"secret").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&key), 0o600);
    }
}
