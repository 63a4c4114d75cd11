//! Trees of generated files (`fixtures/`, `docs/`): write them, or check that what is committed is exactly a fresh
//! generation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// A generated tree: the files below `base`, and the top-level entries the generator owns (anything else there,
/// such as a hand-written README, is left alone).
pub struct Tree<'a> {
    pub base: PathBuf,
    pub owned: &'a [&'a str],
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Tree<'_> {
    /// Writes every file, after removing the owned entries so that nothing stale stays behind.
    pub fn write(&self) -> Result<()> {
        for entry in self.owned {
            let path = self.base.join(entry);
            if path.is_dir() {
                std::fs::remove_dir_all(&path).with_context(|| format!("cannot clear {}", path.display()))?;
            }
        }
        for (path, bytes) in &self.files {
            let full = self.base.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&full, bytes).with_context(|| format!("cannot write {}", full.display()))?;
        }
        eprintln!("wrote {} files under {}", self.files.len(), self.base.display());
        Ok(())
    }

    /// Fails, naming each file, when the committed tree differs from this generation.
    pub fn check(&self, command: &str) -> Result<()> {
        let mut problems = Vec::new();
        for (path, bytes) in &self.files {
            match std::fs::read(self.base.join(path)) {
                Ok(found) if found == *bytes => {}
                Ok(_) => problems.push(format!("differs: {}", path.display())),
                Err(_) => problems.push(format!("missing: {}", path.display())),
            }
        }
        for entry in self.owned.iter().filter(|e| self.base.join(e).is_dir()) {
            for found in list(&self.base.join(entry))? {
                let relative = found.strip_prefix(&self.base).unwrap_or(&found).to_path_buf();
                if !self.files.contains_key(&relative) {
                    problems.push(format!("not generated: {}", relative.display()));
                }
            }
        }
        if !problems.is_empty() {
            bail!("{} is out of date (run `{command}`):\n  {}", self.base.display(), problems.join("\n  "));
        }
        eprintln!("{} matches a fresh generation ({} files)", self.base.display(), self.files.len());
        Ok(())
    }
}

fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(list(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}
