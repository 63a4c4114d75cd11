//! Snapshots of what people and machines read: each case's findings in Japanese and English, and whole reports
//! in every format.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::i18n::Lang;
use conformance::report;
use conformance::synth::corpus::valid_scenarios;
use std::sync::LazyLock;

use conformance::synth::invalid::{self, Case};
use conformance::validate::{validate_files, Options, Report};

const SEED: u64 = 20250401;

/// The case table, generated once for all tests of this binary.
static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| invalid::cases(SEED).expect("cases generate"));

fn cases() -> &'static [Case] {
    &CASES
}

fn validate(files: &[(String, Vec<u8>)]) -> Report {
    validate_files(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), &Options::default())
}

fn case_files(case: &Case) -> Vec<(String, Vec<u8>)> {
    case.files.iter().map(|f| (f.name.clone(), f.bytes.clone())).collect()
}

fn find_case(id: &str) -> Case {
    cases().iter().find(|c| c.id == id).cloned().unwrap_or_else(|| panic!("no case {id}"))
}

/// Every finding of every case as one line per language: the snapshot of each rule's message.
#[test]
fn findings_of_every_case() {
    for case in cases() {
        let report = validate(&case_files(case));
        let mut text = format!("{}\n", case.description);
        for finding in report.all_findings() {
            for lang in [Lang::Ja, Lang::En] {
                text.push_str(&format!(
                    "{} {} {}: {}\n",
                    finding.rule.code,
                    finding.severity().label(lang),
                    report::location(finding, lang),
                    finding.message(lang)
                ));
            }
        }
        insta::assert_snapshot!(format!("case__{}", case.id), text);
    }
}

#[test]
fn human_report_of_a_valid_exchange() {
    let scenario = valid_scenarios(SEED).expect("scenarios").into_iter().next().expect("a scenario");
    let files: Vec<(String, Vec<u8>)> =
        scenario.files.iter().map(|f| (f.name.clone(), f.bytes().expect("encodes"))).collect();
    let report = validate(&files);
    assert_eq!(report.errors() + report.warnings(), 0);
    insta::assert_snapshot!("human_valid_ja", report::human::render(&report, Lang::Ja));
    insta::assert_snapshot!("human_valid_en", report::human::render(&report, Lang::En));
}

#[test]
fn reports_of_an_invalid_exchange_in_every_format() {
    let mut files = case_files(&find_case("SET003-plan-date"));
    files.extend(case_files(&find_case("FLD008-hour-25")));
    files.extend(case_files(&find_case("REC008-tais-missing")));
    let report = validate(&files);
    insta::assert_snapshot!("human_invalid_ja", report::human::render(&report, Lang::Ja));
    insta::assert_snapshot!("human_invalid_en", report::human::render(&report, Lang::En));
    insta::assert_snapshot!("json_invalid_ja", report::json::render(&report, Lang::Ja));
    insta::assert_snapshot!("json_invalid_en", report::json::render(&report, Lang::En));
    insta::assert_snapshot!("junit_invalid_ja", report::junit::render(&report, Lang::Ja));
}

#[test]
fn json_schema_is_stable() {
    let report = validate(&case_files(&find_case("FLD006-february-30")));
    let json: serde_json::Value = serde_json::from_str(&report::json::render(&report, Lang::En)).expect("valid JSON");
    assert_eq!(json["lang"], "en");
    assert_eq!(json["summary"]["errors"], 1);
    let finding = json["files"]
        .as_array()
        .and_then(|files| files.iter().find_map(|f| f["findings"].as_array().and_then(|a| a.first()).cloned()))
        .expect("a finding");
    for key in ["rule", "severity", "line", "column", "field", "message"] {
        assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
    }
    assert_eq!(finding["rule"], "FLD006");
    assert_eq!(finding["field"], "certification_date");
    assert_eq!(finding["column"], 18);
}
