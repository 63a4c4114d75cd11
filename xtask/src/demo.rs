//! `cargo xtask demo`: what the toolkit does, on a fresh clone, with nothing to set up.
//!
//! The validator over the fixture corpus, then the reference relay on loopback carrying every valid send unit end
//! to end, two office clients carrying the plan unit from one's outbox to the other's inbox (their folders under
//! `target/demo/clients/`, their local pages on loopback), and the relay-protocol suite with its reports.

use std::path::Path;

use anyhow::{bail, Context, Result};
use conformance::i18n::Lang;
use conformance::report;
use conformance::validate::{validate_files, Options, Report};

use crate::{fixtures, root};

/// Invalid cases shown in the demo: one per level of the catalogue.
const SAMPLE_CASES: &[&str] = &[
    "ENC006-ibm-extension",
    "FLD008-hour-25",
    "REC006-next-month",
    "NAM007-swapped-kinds",
    "FIL010-unit-price",
    "SET003-plan-date",
];

fn validate_dir(dir: &Path) -> Result<Report> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|path| {
            let shown = path.strip_prefix(root()).unwrap_or(path).display().to_string();
            std::fs::read(path).map(|bytes| (shown, bytes)).with_context(|| format!("cannot read {}", path.display()))
        })
        .collect::<Result<_>>()?;
    Ok(validate_files(contents.iter().map(|(p, b)| (p.as_str(), b.as_slice())), &Options::default()))
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

pub fn run(lang: Lang, stay: bool) -> Result<()> {
    fixtures::check()?;
    let base = root().join("fixtures");
    let heading = |ja: &str, en: &str| println!("\n=== {} ===\n", if lang == Lang::Ja { ja } else { en });

    heading("正しい送信単位（fixtures/valid）", "Valid exchanges (fixtures/valid)");
    let valid = validate_dir(&base.join("valid"))?;
    print!("{}", report::human::render(&valid, lang));
    if valid.errors() + valid.warnings() > 0 {
        bail!("the valid corpus has findings");
    }

    for case in SAMPLE_CASES {
        heading(&format!("誤りのある例: {case}"), &format!("Invalid example: {case}"));
        let invalid = validate_dir(&base.join("invalid").join(case))?;
        print!("{}", report::human::render(&invalid, lang));
        if invalid.errors() + invalid.warnings() == 0 {
            bail!("invalid case {case} gave no finding");
        }
    }
    heading("参照用中継サーバーでの送受信", "Exchange through the reference relay");
    crate::relay_demo::run(&base, lang, stay)?;

    heading("次に試すこと", "Try next");
    println!("  cargo run -p careplan-conformance -- validate --lang ja fixtures/invalid/FLD006-february-30");
    println!("  cargo run -p careplan-conformance -- validate --format json fixtures/valid");
    println!("  cargo run -p careplan-conformance -- explain FLD006 --lang ja");
    println!("  cargo run -p careplan-conformance -- rules");
    Ok(())
}
