//! The vendor-side suites: the export check scores each kind; the round trip finds meaningful differences and
//! tolerates reformatting.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::i18n::Lang;
use conformance::spec::spec;
use conformance::synth::corpus::valid_scenarios;
use conformance::synth::fixtures::SEED;
use conformance::synth::GeneratedFile;
use conformance::validate::{validate_files, Options, Report};
use suites::{export, roundtrip, Outcome};

fn validate(files: &[GeneratedFile]) -> Report {
    let bytes: Vec<(String, Vec<u8>)> = files.iter().map(|f| (f.name.clone(), f.bytes().unwrap())).collect();
    // The round trip compares every value: keep them.
    validate_files(
        bytes.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
        &Options { keep_documents: true, ..Options::default() },
    )
}

fn corpus() -> Vec<GeneratedFile> {
    valid_scenarios(SEED).unwrap().into_iter().flat_map(|s| s.files).collect()
}

fn set(files: &mut [GeneratedFile], kind: &str, row: usize, id: &str, value: &str) {
    let file = files.iter_mut().find(|f| f.kind.code == kind).unwrap();
    let column = file.kind.index_of(id).unwrap();
    file.records[row][column] = value.to_string();
}

#[test]
fn the_valid_corpus_passes_the_export_check_and_skips_nothing() {
    let report = export::scorecard(&validate(&corpus()), "corpus", None, Lang::En);
    let not_passed: Vec<_> = report.results.iter().filter(|r| r.outcome != Outcome::Pass).map(|r| r.id).collect();
    assert!(not_passed.is_empty(), "{not_passed:?}");
}

#[test]
fn the_export_check_fails_a_kind_with_errors_and_lists_missing_kinds() {
    let mut files: Vec<GeneratedFile> = corpus().into_iter().filter(|f| f.kind.code != "UP3KYO").collect();
    set(&mut files, "UP1KYO", 0, "care_level", "2");
    let report = export::scorecard(&validate(&files), "vendor", None, Lang::En);
    let outcome = |id: &str| report.results.iter().find(|r| r.id == id).map(|r| r.outcome);
    assert_eq!(outcome("UP1KYO"), Some(Outcome::Fail));
    assert_eq!(outcome("UP3KYO"), Some(Outcome::Skip));
    // A care-manager product must export 第3表: missing, it fails; a kind no care-manager exports stays skipped.
    let care_manager = spec().profiles.get("care-manager");
    let report = export::scorecard(&validate(&files), "vendor", care_manager, Lang::En);
    let outcome = |id: &str| report.results.iter().find(|r| r.id == id).map(|r| r.outcome);
    assert_eq!(outcome("UP3KYO"), Some(Outcome::Fail));
    let required = &care_manager.unwrap().requires;
    assert!(report.results.iter().filter(|r| r.outcome == Outcome::Skip).all(|r| !required.iter().any(|k| k == r.id)));
    let missing = report.results.iter().find(|r| r.id == "UP3KYO").unwrap();
    assert!(missing.evidence[0].contains("must export this kind"), "{:?}", missing.evidence);
    assert_eq!(outcome("SET"), Some(Outcome::Fail), "plans without 第3表 are incomplete send units");
    assert!(report.results.iter().find(|r| r.id == "UP1KYO").unwrap().evidence.iter().any(|e| e.starts_with("FLD010")));
}

#[test]
fn the_round_trip_tolerates_reformatting_and_reports_meaningful_changes() {
    let mut original = corpus();
    set(&mut original, "UPHOSOKU", 0, "user_name_kana", "タナカ　ハル");
    // Reformatting only (the kana in half width): different bytes, nothing meaningful changed.
    let mut reformatted = original.clone();
    set(&mut reformatted, "UPHOSOKU", 0, "user_name_kana", "ﾀﾅｶ ﾊﾙ");
    let bytes = |files: &[GeneratedFile]| files.iter().map(|f| f.bytes().unwrap()).collect::<Vec<_>>();
    assert_ne!(bytes(&original), bytes(&reformatted));
    let report = roundtrip::compare(&validate(&original), &validate(&reformatted), "reformatted", Lang::En);
    assert_eq!(report.summary.failed, 0, "{:#?}", report.results);

    let mut changed = original.clone();
    set(&mut changed, "UPHOSOKU", 0, "user_name_kana", "ﾀﾅｶ ﾊﾙ");
    set(&mut changed, "UP2KYO", 0, "issue", "一人での入浴");
    set(&mut changed, "UPPLAN", 0, "units", "388");
    let report = roundtrip::compare(&validate(&original), &validate(&changed), "vendor", Lang::En);
    let failed: Vec<&str> = report.results.iter().filter(|r| r.outcome == Outcome::Fail).map(|r| r.id).collect();
    assert_eq!(failed, vec!["UP2KYO", "UPPLAN"], "the kana written in half width is only reformatting");
    let evidence = |id: &str| report.results.iter().find(|r| r.id == id).unwrap().evidence.join("\n");
    assert!(evidence("UP2KYO").contains("[truncated]"), "{}", evidence("UP2KYO"));
    assert!(evidence("UPPLAN").contains("[changed]"), "{}", evidence("UPPLAN"));
}

/// A report whose records were let go (the validator's default) cannot be compared: the round trip fails the kinds
/// it could not compare instead of passing on nothing.
#[test]
fn the_round_trip_fails_when_the_records_were_not_kept() {
    let files = corpus();
    let bytes: Vec<(String, Vec<u8>)> = files.iter().map(|f| (f.name.clone(), f.bytes().unwrap())).collect();
    let dropped = validate_files(bytes.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
    let report = roundtrip::compare(&dropped, &dropped, "corpus", Lang::En);
    assert!(!report.passed(), "{}", report.human(Lang::En));
    let kept = validate(&files);
    assert!(roundtrip::compare(&kept, &kept, "corpus", Lang::En).passed());
}
