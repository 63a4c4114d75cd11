//! The reference under `docs/`, rendered by `conformance::docs` from the same source as the code.

use anyhow::Result;

use crate::generated::Tree;
use crate::root;

fn tree() -> Result<Tree<'static>> {
    let files = conformance::docs::render()?.into_iter().map(|(path, text)| (path, text.into_bytes())).collect();
    Ok(Tree {
        base: root().join("docs"),
        owned: &["README.md", "assumptions.md", "codes.md", "sentences.md", "rules", "kinds"],
        files,
    })
}

pub fn write() -> Result<()> {
    tree()?.write()
}

pub fn check() -> Result<()> {
    tree()?.check("cargo xtask docs")
}
