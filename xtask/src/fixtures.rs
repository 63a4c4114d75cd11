//! The fixture corpus: generated from the spec model by `conformance::synth::fixtures`, deterministic, committed
//! under `fixtures/` (except README.md, which is written by hand).

use std::path::Path;

use anyhow::{Context, Result};
use conformance::synth::corpus;
use conformance::synth::fixtures::{self, SEED};

use crate::generated::Tree;
use crate::root;

/// Users per send unit in a scale set: about one care manager's caseload.
const USERS_PER_UNIT: usize = 35;

fn tree() -> Result<Tree<'static>> {
    Ok(Tree {
        base: root().join("fixtures"),
        owned: &["manifest.json", "valid", "invalid"],
        files: fixtures::corpus()?,
    })
}

pub fn write() -> Result<()> {
    tree()?.write()
}

pub fn check() -> Result<()> {
    tree()?.check("cargo xtask fixtures")
}

/// N users' monthly ticket units, for benchmarks and the load test (not committed).
pub fn write_scale(users: usize, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut bytes_written = 0usize;
    for file in corpus::scale(users, USERS_PER_UNIT, SEED)? {
        let bytes = file.bytes()?;
        bytes_written += bytes.len();
        std::fs::write(out.join(&file.name), bytes)?;
    }
    eprintln!("wrote {users} users' ticket units ({bytes_written} bytes) to {}", out.display());
    Ok(())
}
