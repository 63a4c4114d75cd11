//! What a command prints: standard output that tolerates a closed pipe, progress bars on stderr, and a suite's report
//! in the format asked for (and every format into `--out-dir`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use conformance::i18n::Lang;
use suites as suite;

use crate::args::{SuiteFormat, SuiteOutput};

/// Writes to standard output; a reader that went away (`| head`) ends the output quietly instead of failing.
pub fn emit(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A progress bar on stderr of `len` steps, or a hidden one.
pub fn progress_bar(len: usize, show: bool) -> indicatif::ProgressBar {
    let bar = if show { indicatif::ProgressBar::new(len as u64) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Prints a suite report in `format`, writes all formats into `out_dir` when given; exit 1 unless it passed (no
/// case failed and one passed).
pub fn finish_suite(report: &suite::SuiteReport, output: &SuiteOutput, lang: Lang) -> Result<ExitCode> {
    if let Some(dir) = output.out_dir.as_deref() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = report.suite;
        for (file, text) in [
            (format!("{name}.json"), report.json()),
            (format!("{name}.junit.xml"), report.junit()),
            (format!("{name}.txt"), report.human(lang)),
            (format!("{name}.html"), report.html(lang)),
        ] {
            std::fs::write(dir.join(&file), text).with_context(|| format!("cannot write {file}"))?;
        }
    }
    emit(&match output.format {
        SuiteFormat::Human => report.human(lang),
        SuiteFormat::Json => report.json(),
        SuiteFormat::Junit => report.junit(),
        SuiteFormat::Html => report.html(lang),
    })?;
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
