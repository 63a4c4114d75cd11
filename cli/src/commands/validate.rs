//! `validate`: files and their send units, reported for a terminal, as JSON or as JUnit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use conformance::i18n::Lang;
use conformance::report;

use crate::args::{Format, Reading};
use crate::inputs::{validate_paths, Digests};
use crate::output::emit;

pub fn run(paths: &[PathBuf], format: Format, reading: &Reading, allow_empty: bool, lang: Lang) -> Result<ExitCode> {
    let options = reading.options()?;
    let (report, _) = validate_paths(paths, &options, reading.progress, allow_empty, Digests::Skip)?;
    let text = match format {
        Format::Human => report::human::render(&report, lang),
        Format::Json => report::json::render(&report, lang) + "\n",
        Format::Junit => report::junit::render(&report, lang),
    };
    emit(&text)?;
    Ok(if report.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
