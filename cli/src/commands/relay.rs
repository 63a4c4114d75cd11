//! `relay`: the relay-protocol suite against a relay, with the offices' certificates read from the files given.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use conformance::i18n::Lang;
use suites as suite;
use suites::provenance::Provenance;

use crate::args::SuiteOutput;
use crate::output::{finish_suite, progress_bar};

pub fn run(
    url: String,
    ca: &Path,
    offices: &[String],
    negative_dir: Option<&Path>,
    max_body: Option<usize>,
    output: &SuiteOutput,
    lang: Lang,
) -> Result<ExitCode> {
    let target = relay_target(url, ca, offices, negative_dir, max_body)?;
    let bar = progress_bar(suite::relay::CASES.len(), output.progress || std::io::stderr().is_terminal());
    let report = suite::relay::run(&target, lang, &|id| {
        bar.set_message(id.to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let report = report.with_provenance(Provenance::now(output.product.clone(), None, Vec::new()));
    let code = finish_suite(&report, output, lang)?;
    // A relay case skipped for want of --negative-dir or --max-body was not checked: not a pass.
    if report.summary.skipped > 0 && code == ExitCode::SUCCESS {
        eprintln!(
            "{} 件の検査を省略しました（--negative-dir と --max-body を指定してください） / {} cases skipped \
             (give --negative-dir and --max-body)",
            report.summary.skipped, report.summary.skipped
        );
        return Ok(ExitCode::from(1));
    }
    Ok(code)
}

fn relay_target(
    url: String,
    ca: &Path,
    offices: &[String],
    negative_dir: Option<&Path>,
    max_body: Option<usize>,
) -> Result<suite::relay::RelayTarget> {
    let read = |path: &Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let mut identities = Vec::new();
    for spec in offices {
        let Some((number, files)) = spec.split_once('=') else { bail!("--office {spec}: expected NUMBER=CERT,KEY") };
        let Some((cert, key)) = files.split_once(',') else { bail!("--office {spec}: expected NUMBER=CERT,KEY") };
        identities.push(suite::relay::OfficeIdentity {
            number: number.to_string(),
            identity_pem: [read(Path::new(cert))?, read(Path::new(key))?].concat(),
        });
    }
    let mut negative = Vec::new();
    if let Some(dir) = negative_dir {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "key"))
            .collect();
        names.sort();
        for key in names {
            let cert = key.with_extension("pem");
            let name = key.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            negative.push((name, [read(&cert)?, read(&key)?].concat()));
        }
    }
    Ok(suite::relay::RelayTarget { url, ca_pem: read(ca)?, offices: identities, negative, max_body })
}
