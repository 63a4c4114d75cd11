//! `verify-report`: the inputs a suite report certified, compared with the files in hand.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use suites::provenance::{verify, InputCheck, Provenance};

pub fn run(report: &Path, base: &Path) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(report).with_context(|| format!("読めません cannot read {}", report.display()))?;
    #[derive(serde::Deserialize)]
    struct Saved {
        provenance: Option<Provenance>,
    }
    let saved: Saved = serde_json::from_str(&text)
        .with_context(|| format!("{} は JSON の報告書ではありません is not a JSON suite report", report.display()))?;
    let Some(provenance) = saved.provenance else {
        bail!(
            "{} に入力ファイルの一覧がありません has no input manifest (made before reports carried one?)",
            report.display()
        );
    };
    let mut changed = 0;
    for (path, check) in verify(&provenance, base) {
        match check {
            InputCheck::Same => println!("  ✓ {path}"),
            InputCheck::Changed { sha256 } => {
                changed += 1;
                println!("  ✗ {path}: 内容が違います changed (SHA-256 {sha256})");
            }
            InputCheck::Missing => {
                changed += 1;
                println!("  ✗ {path}: ありません missing");
            }
        }
    }
    let total = provenance.inputs.len();
    if changed == 0 {
        println!("照合 verified: {total} 件すべて報告書と同じです all {total} inputs are the ones the report certified ({}, {})", provenance.tool, provenance.generated_at);
        Ok(ExitCode::SUCCESS)
    } else {
        println!("照合 NOT verified: {changed} / {total} 件が報告書と違います inputs differ from the report");
        Ok(ExitCode::from(1))
    }
}
