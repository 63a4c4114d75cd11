//! `export-check`: a vendor's export validated and scored per file kind, against a product profile when given.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use conformance::i18n::Lang;
use conformance::spec::spec;
use conformance::validate::Options;
use suites as suite;
use suites::provenance::Provenance;

use crate::args::SuiteOutput;
use crate::inputs::{validate_paths, Digests};
use crate::output::finish_suite;

pub fn run(paths: &[PathBuf], profile: Option<String>, output: &SuiteOutput, lang: Lang) -> Result<ExitCode> {
    let mut target = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
    if let Some(name) = &profile {
        target.push_str(&format!(" (profile {name})"));
    }
    let profile_name = profile;
    let profile = match &profile_name {
        Some(name) => Some(spec().profiles.get(name).with_context(|| {
            let known: Vec<&str> = spec().profiles.keys().map(String::as_str).collect();
            format!("製品の種類 {name} はありません unknown profile {name}; 種類 profiles: {}", known.join(", "))
        })?),
        None => None,
    };
    let (report, inputs) = validate_paths(paths, &Options::default(), output.progress, false, Digests::Take)?;
    let provenance = Provenance::now(output.product.clone(), profile_name, inputs);
    let scorecard = suite::export::scorecard(&report, &target, profile, lang).with_provenance(provenance);
    finish_suite(&scorecard, output, lang)
}
