//! The files a command reads: folders expanded into their .CSV/.JPG files, and their validation as send units, each
//! input hashed as it is read when a suite report must certify it.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use conformance::validate::{validate_readers, Options, Report};
use suites::provenance::{HashingReader, InputDigest};

use crate::output::progress_bar;

/// Expands folders into their .CSV/.JPG files (sorted), keeps explicit files as given.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" || path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)
                .with_context(|| format!("フォルダを読めません cannot read folder {}", path.display()))?;
            found.sort();
            files.extend(found);
        } else {
            bail!("{}: ファイルもフォルダもありません no such file or folder", path.display());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("jpg"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether to take the SHA-256 of every input, for a suite report's provenance (`validate` has none to fill).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Digests {
    Take,
    Skip,
}

/// Validates the files and their send units on all cores, each file opened when its unit's turn comes and read a
/// piece at a time (the progress bar counts files validated); with `Digests::Take`, the SHA-256 of each input as it
/// is read. A file that cannot be read stops the run with no report (exit 2): a partial report would look like a
/// clean one.
pub fn validate_paths(
    paths: &[PathBuf],
    options: &Options,
    progress: bool,
    allow_empty: bool,
    digests: Digests,
) -> Result<(Report, Vec<InputDigest>)> {
    let files = collect(paths)?;
    if files.is_empty() && !allow_empty {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "検査するファイルがありません（{} に .CSV / .JPG ファイルがありません）。出力したファイルのあるフォルダを指定してください。\n\
             no file to check: {} holds no .CSV or .JPG file — give the files or folders your software exported \
             (--allow-empty accepts none, for pipelines)",
            shown.join(" "),
            shown.join(" ")
        );
    }
    let bar = progress_bar(files.len(), progress || (files.len() > 20 && std::io::stderr().is_terminal()));
    let file_done = |path: &str| {
        bar.set_message(path.to_string());
        bar.inc(1);
    };
    let shown: Vec<String> = files.iter().map(|path| path.to_string_lossy().to_string()).collect();
    // The suites certify what they read: each input is hashed as it is read.
    let taken: Vec<Arc<Mutex<Option<InputDigest>>>> = files.iter().map(|_| Arc::default()).collect();
    let open = |index: usize| -> std::io::Result<Box<dyn Read + Send>> {
        let reader: Box<dyn Read + Send> = if shown[index] == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(&files[index])?)
        };
        Ok(match digests {
            Digests::Take => Box::new(HashingReader::new(reader, &shown[index], Arc::clone(&taken[index]))),
            Digests::Skip => reader,
        })
    };
    let sizes: Vec<u64> = files.iter().map(|path| std::fs::metadata(path).map_or(0, |m| m.len())).collect();
    let report = validate_readers(&shown, &sizes, open, options, file_done).map_err(|(index, error)| {
        anyhow::Error::new(error).context(format!("読めません cannot read {}", shown[index]))
    })?;
    let digests = taken.iter().filter_map(|slot| slot.lock().ok().and_then(|digest| digest.clone())).collect();
    bar.finish_and_clear();
    Ok((report, digests))
}
