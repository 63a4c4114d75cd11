//! `roundtrip`: our corpus compared item by item with a vendor's re-export of it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use conformance::i18n::Lang;
use conformance::validate::Options;
use suites as suite;
use suites::provenance::Provenance;

use crate::args::SuiteOutput;
use crate::inputs::{validate_paths, Digests};
use crate::output::finish_suite;

pub fn run(original: &PathBuf, reexported: &PathBuf, output: &SuiteOutput, lang: Lang) -> Result<ExitCode> {
    // The round trip compares every value: keep them.
    let keep = Options { keep_documents: true, ..Options::default() };
    let (before, mut inputs) =
        validate_paths(std::slice::from_ref(original), &keep, output.progress, false, Digests::Take)?;
    let (after, reexported_inputs) =
        validate_paths(std::slice::from_ref(reexported), &keep, output.progress, false, Digests::Take)?;
    inputs.extend(reexported_inputs);
    let target = format!("{} → {}", original.display(), reexported.display());
    let provenance = Provenance::now(output.product.clone(), None, inputs);
    let report = suite::roundtrip::compare(&before, &after, &target, lang).with_provenance(provenance);
    finish_suite(&report, output, lang)
}
