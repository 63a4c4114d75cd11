//! The fixture corpus: generated from the spec model, deterministic, committed under `fixtures/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use conformance::synth::corpus;

use crate::root;

/// The seed of the committed corpus. Changing it changes every generated person.
const SEED: u64 = 20250401;

/// Every committed fixture file: path below `fixtures/` → bytes.
pub fn generate() -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for scenario in corpus::valid_scenarios(SEED)? {
        for file in &scenario.files {
            let path = PathBuf::from("valid").join(scenario.id).join(&file.name);
            files.insert(
                path,
                file.bytes()
                    .with_context(|| format!("encoding {}", file.name))?,
            );
        }
    }
    Ok(files)
}

/// Writes the corpus, removing generated files that are no longer generated.
pub fn write() -> Result<()> {
    let base = root().join("fixtures");
    let files = generate()?;
    for dir in ["valid", "invalid"] {
        let path = base.join(dir);
        if path.exists() {
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
    let mut problems = Vec::new();
    let files = generate()?;
    for (path, bytes) in &files {
        match std::fs::read(base.join(path)) {
            Ok(found) if found == *bytes => {}
            Ok(_) => problems.push(format!("differs: {}", path.display())),
            Err(_) => problems.push(format!("missing: {}", path.display())),
        }
    }
    for dir in ["valid", "invalid"] {
        for found in list(&base.join(dir))? {
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
    Ok(())
}

fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
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

/// N users' monthly ticket units, for benchmarks and the load test (not committed).
pub fn write_scale(users: usize, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut bytes_written = 0usize;
    for file in corpus::scale(users, SEED)? {
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
