//! `anonymise`: copies of files without the 利用者's personal data, written only when they show the originals'
//! findings.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::args::Reading;
use crate::inputs::collect;
use crate::output::{emit, progress_bar};

/// Reads the files, anonymises them under one key, checks the copies show the originals' findings, and only then
/// writes them (with the report) into `out`, never over a file that is there.
pub fn run(paths: &[PathBuf], out: &Path, key: Option<&str>, reading: &Reading) -> Result<ExitCode> {
    let (options, progress) = (&reading.options()?, reading.progress);
    if paths.iter().any(|path| path.as_os_str() == "-") {
        bail!("標準入力は使えません: ファイルかフォルダを指定してください / standard input cannot be anonymised: give files or folders");
    }
    let files = collect(paths)?;
    if files.is_empty() {
        bail!("伏せるファイルがありません / no .CSV or .JPG file to anonymise in the paths given");
    }
    // The names the copies get: a file's name, or its path below the folder given.
    let mut named: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in paths {
        let below = if path.is_dir() { Some(path.as_path()) } else { None };
        for file in collect(std::slice::from_ref(path))? {
            let relative = match below {
                Some(dir) => file.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_else(|_| file.clone()),
                None => PathBuf::from(file.file_name().unwrap_or_default()),
            };
            if named.iter().any(|(_, taken)| *taken == relative) {
                bail!(
                    "{} が二度あります / two inputs would both be written as {}",
                    relative.display(),
                    relative.display()
                );
            }
            named.push((file, relative));
        }
    }
    let secret: Vec<u8> = match key {
        Some(key) => key.as_bytes().to_vec(),
        None => {
            let mut random = [0u8; 32];
            getrandom::getrandom(&mut random).map_err(|error| {
                anyhow::anyhow!("乱数を得られません / no random key available ({error}); give --key")
            })?;
            random.to_vec()
        }
    };
    let key_given = key.is_some();
    let key = conformance::anonymise::Key::new(&secret);
    let bar = progress_bar(named.len(), progress || (named.len() > 20 && std::io::stderr().is_terminal()));
    let mut originals = Vec::new();
    for (file, relative) in &named {
        let bytes = std::fs::read(file).with_context(|| format!("読めません cannot read {}", file.display()))?;
        originals.push((relative.to_string_lossy().to_string(), bytes));
    }
    let mut anonymiser = conformance::anonymise::Anonymiser::new(&key, options);
    let mut copies = Vec::new();
    for (path, bytes) in &originals {
        bar.set_message(path.clone());
        copies.push(anonymiser.file(path, bytes));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let originals = originals.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice()));
    let findings = match conformance::anonymise::check_copies(originals, &copies, options) {
        Ok(findings) => findings,
        Err(difference) => {
            eprintln!(
                "伏せたファイルの検証結果が元と異なるため、何も書き出しませんでした（不具合として報告してください）。\n\
                 The anonymised files do not show the originals' findings, so nothing was written (please report this): {difference}"
            );
            return Ok(ExitCode::from(1));
        }
    };
    let report = conformance::anonymise::report_text(&copies, key_given);
    let outputs: Vec<(PathBuf, &[u8])> = copies
        .iter()
        .map(|copy| (out.join(&copy.path), copy.bytes.as_slice()))
        .chain([(out.join("anonymised-report.txt"), report.as_bytes())])
        .collect();
    if let Some((existing, _)) = outputs.iter().find(|(path, _)| path.exists()) {
        bail!(
            "{} はすでにあります。空のフォルダを指定してください / {} already exists: give an empty or new folder",
            existing.display(),
            existing.display()
        );
    }
    for (path, bytes) in &outputs {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("作れません cannot create {}", parent.display()))?;
        }
        std::fs::write(path, bytes).with_context(|| format!("書けません cannot write {}", path.display()))?;
    }
    emit(&format!(
        "{report}\n{} 件のファイルを {} に書き出しました。検証結果（規則・行・列・項目）は元のファイルと同じです（{} 件）。\n\
         Wrote {} files to {}; their findings (rule, line, column, item) are the originals' ({} findings).\n",
        copies.len(),
        out.display(),
        findings,
        copies.len(),
        out.display(),
        findings
    ))?;
    Ok(ExitCode::SUCCESS)
}
