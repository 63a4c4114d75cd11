//! `client-check`: a client's behaviour judged from a relay recording.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use conformance::i18n::Lang;
use suites as suite;
use suites::provenance::{InputDigest, Provenance};

use crate::args::SuiteOutput;
use crate::output::finish_suite;

pub fn run(recording: &Path, min_poll_interval: f64, output: &SuiteOutput, lang: Lang) -> Result<ExitCode> {
    let text = std::fs::read_to_string(recording).with_context(|| format!("cannot read {}", recording.display()))?;
    let records = suite::client::read(&text).map_err(|e| anyhow::anyhow!("{}: {e}", recording.display()))?;
    let min_poll_ms = (min_poll_interval * 1000.0).max(0.0) as u64;
    let inputs = vec![InputDigest::of(&recording.display().to_string(), text.as_bytes())];
    let report = suite::client::check(&records, min_poll_ms, &recording.display().to_string(), lang)
        .with_provenance(Provenance::now(output.product.clone(), None, inputs));
    finish_suite(&report, output, lang)
}
