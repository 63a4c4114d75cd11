//! The fixture corpus: generated from the spec model by `conformance::synth::fixtures`, deterministic, committed
//! under `fixtures/` (except README.md, which is written by hand).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use conformance::synth::corpus;
use conformance::synth::fixtures::{self, SEED};

use crate::root;

/// Generated entries of `fixtures/`: the manifest and the two corpus folders.
const GENERATED: &[&str] = &["manifest.json", "valid", "invalid"];

/// Writes the corpus, removing generated files that are no longer generated.
pub fn write() -> Result<()> {
    let base = root().join("fixtures");
    let files = fixtures::corpus()?;
    for entry in GENERATED {
        let path = base.join(entry);
        if path.is_dir() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot clear {}", path.display()))?;
        }
    }
    for (path, bytes) in &files {
        let full = base.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, bytes).with_context(|| format!("cannot write {}", full.display()))?;
    }
    eprintln!(
        "wrote {} fixture files under {}",
        files.len(),
        base.display()
    );
    Ok(())
}

/// Fails when the committed corpus is not exactly a fresh generation.
pub fn check() -> Result<()> {
    let base = root().join("fixtures");
    let files = fixtures::corpus()?;
    let mut problems = Vec::new();
    for (path, bytes) in &files {
        match std::fs::read(base.join(path)) {
            Ok(found) if found == *bytes => {}
            Ok(_) => problems.push(format!("differs: {}", path.display())),
            Err(_) => problems.push(format!("missing: {}", path.display())),
        }
    }
    for entry in GENERATED.iter().filter(|e| base.join(e).is_dir()) {
        for found in list(&base.join(entry))? {
            let relative = found.strip_prefix(&base).unwrap_or(&found).to_path_buf();
            if !files.contains_key(&relative) {
                problems.push(format!("not generated: {}", relative.display()));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "fixtures/ is out of date (run `cargo xtask fixtures`):\n  {}",
            problems.join("\n  ")
        );
    }
    eprintln!(
        "fixtures/ matches a fresh generation ({} files)",
        files.len()
    );
    Ok(())
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

/// Users per send unit in a scale set: about one care manager's caseload.
const USERS_PER_UNIT: usize = 35;

/// N users' monthly ticket units, for benchmarks and the load test (not committed).
pub fn write_scale(users: usize, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut bytes_written = 0usize;
    for file in corpus::scale(users, USERS_PER_UNIT, SEED)? {
        let bytes = file.bytes()?;
        bytes_written += bytes.len();
        std::fs::write(out.join(&file.name), bytes)?;
    }
    eprintln!(
        "wrote {users} users' ticket units ({bytes_written} bytes) to {}",
        out.display()
    );
    Ok(())
}
