//! The export check: what a vendor's software exported, validated, with a scorecard per file kind. With a product
//! profile (`profiles.toml`), a kind the profile requires and the export lacks fails; other kinds the software did
//! not export are listed as skipped.

use std::collections::BTreeMap;

use crate::report::{CaseResult, Outcome, SuiteReport};
use conformance::finding::Severity;
use conformance::i18n::Lang;
use conformance::spec::{spec, Profile};
use conformance::validate::Report;

/// One case per CSV kind (plus the send units), from a validation report; `profile` says which kinds the product
/// must have exported.
pub fn scorecard(report: &Report, target: &str, profile: Option<&Profile>, lang: Lang) -> SuiteReport {
    let mut results = Vec::new();
    for kind in spec().kinds.iter().filter(|k| k.is_csv()) {
        let files: Vec<_> = report.files.iter().filter(|f| f.kind_code() == Some(kind.code.as_str())).collect();
        let title = format!("{} {}", kind.code, kind.title.get(lang));
        let required = profile.filter(|p| p.requires.contains(&kind.code));
        if files.is_empty() {
            let (outcome, reason) = match (required, lang) {
                (Some(p), Lang::Ja) => (
                    Outcome::Fail,
                    format!("{}はこの種別を出力する必要がありますが、出力されていません（{}）。", p.name.ja, p.source),
                ),
                (Some(p), Lang::En) => {
                    (Outcome::Fail, format!("a {} must export this kind; none was exported ({})", p.name.en, p.source))
                }
                (None, Lang::Ja) => (Outcome::Skip, "この種別のファイルは出力されていません。".to_string()),
                (None, Lang::En) => (Outcome::Skip, "no file of this kind was exported".to_string()),
            };
            results.push(case(&kind.code, title, outcome, vec![reason], required.is_some(), lang));
            continue;
        }
        let records: usize = files.iter().map(|f| f.records()).sum();
        let errors: usize = files.iter().map(|f| f.count(Severity::Error)).sum();
        let warnings: usize = files.iter().map(|f| f.count(Severity::Warning)).sum();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for finding in files.iter().flat_map(|f| &f.findings) {
            *by_rule.entry(finding.rule.code).or_default() += 1;
        }
        let mut evidence = vec![match lang {
            Lang::Ja => format!("{} ファイル、{records} レコード、エラー {errors} 件、警告 {warnings} 件", files.len()),
            Lang::En => {
                format!("{} file(s), {records} record(s), {errors} error(s), {warnings} warning(s)", files.len())
            }
        }];
        evidence.extend(by_rule.iter().map(|(code, count)| format!("{code} × {count}")));
        let outcome = if errors == 0 { Outcome::Pass } else { Outcome::Fail };
        results.push(case(&kind.code, title, outcome, evidence, required.is_some(), lang));
    }
    let set_errors = report.set_findings.iter().filter(|f| f.severity() == Severity::Error).count();
    let evidence = report.set_findings.iter().map(|f| format!("{} {}", f.rule.code, f.message(lang))).collect();
    let title = match lang {
        Lang::Ja => "送信単位（ファイルの組み合わせ）".to_string(),
        Lang::En => "send units (files together)".to_string(),
    };
    let outcome = if set_errors == 0 { Outcome::Pass } else { Outcome::Fail };
    results.push(case("SET", title, outcome, evidence, false, lang));
    SuiteReport::new("export-check", target.to_string(), lang, results)
}

fn case(id: &str, title: String, outcome: Outcome, evidence: Vec<String>, required: bool, lang: Lang) -> CaseResult {
    let requirement = match (required, lang) {
        (true, Lang::Ja) => "この種別のファイルを出力し、エラーがないこと。",
        (true, Lang::En) => "files of this kind are exported and have no error finding",
        (false, Lang::Ja) => "出力したこの種別のファイルにエラーがないこと。",
        (false, Lang::En) => "the exported files of this kind have no error finding",
    };
    CaseResult {
        id: conformance::spec::spec().kind(id).map_or("SET", |k| k.code.as_str()),
        title,
        requirement: requirement.into(),
        outcome,
        evidence,
        millis: 0,
    }
}
