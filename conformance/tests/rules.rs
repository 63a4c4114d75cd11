//! Every rule is triggered by at least one case, and every case reports exactly the findings it expects
//! (rule, file, line, column): nothing missing, nothing extra.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::rules;
use std::sync::LazyLock;

use conformance::synth::invalid::{self, Case, Expected};
use conformance::validate::{validate_files, Options};

const SEED: u64 = 20250401;

/// The case table, generated once for all tests of this binary.
static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| invalid::cases(SEED).expect("cases generate"));

fn cases() -> &'static [Case] {
    &CASES
}

fn actual(case: &Case) -> Vec<Expected> {
    let report = validate_files(case.files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())), &Options::default());
    let mut found: Vec<Expected> = Vec::new();
    for file in &report.files {
        for finding in &file.findings {
            found.push(Expected {
                rule: finding.rule.code,
                file: file.path.clone(),
                line: finding.line,
                column: finding.column,
            });
        }
    }
    for finding in &report.set_findings {
        found.push(Expected {
            rule: finding.rule.code,
            file: finding.file.clone().unwrap_or_default(),
            line: finding.line,
            column: finding.column,
        });
    }
    found.sort();
    found
}

#[test]
fn every_case_reports_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut expected = case.expected.clone();
        expected.sort();
        let found = actual(case);
        if found != expected {
            failures.push(format!("{}:\n  expected {expected:?}\n  found    {found:?}", case.id));
        }
    }
    assert!(failures.is_empty(), "{} cases differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_rule_is_triggered_by_a_case() {
    let cases = cases();
    let missing: Vec<&str> = rules::all()
        .iter()
        .map(|rule| rule.meta.code)
        .filter(|code| !cases.iter().any(|case| case.expected.iter().any(|e| e.rule == *code)))
        .collect();
    assert!(missing.is_empty(), "rules without a triggering case: {missing:?}");
}

#[test]
fn each_case_is_named_after_the_rule_it_triggers() {
    for case in cases() {
        let near_miss = case.id.contains("near-miss");
        assert_eq!(near_miss, case.expected.is_empty(), "{}: near misses and only they expect nothing", case.id);
        if !near_miss {
            assert!(case.expected.iter().any(|e| e.rule == case.rule), "{} does not trigger {}", case.id, case.rule);
        }
        assert!(rules::find(case.rule).is_some(), "{} names unknown rule {}", case.id, case.rule);
    }
}
