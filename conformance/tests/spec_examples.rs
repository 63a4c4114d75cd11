//! The specification's own examples (`fixtures/spec-examples/`, transcribed by hand from the two sources) and the
//! files written by hand from its text (`fixtures/hand-written/`) give exactly the findings their manifests say the
//! specification implies — each with the passage that makes it so.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use conformance::rules::Level;
use conformance::validate::{validate_file, validate_files, Options};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    name: Vec<NameExample>,
    table: Vec<TableExample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameExample {
    name: String,
    source: String,
    expect: Vec<String>,
    #[serde(default)]
    why: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableExample {
    folder: String,
    source: String,
    verdict: String,
    why: BTreeMap<String, String>,
    expect: Vec<(String, u32, u32)>,
    /// the inventory's sentences the folder breaks (findings expected) or respects at their boundary (none)
    #[serde(default)]
    sentences: Vec<String>,
}

fn fixtures_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(folder)
}

fn manifest_of(folder: &str) -> Manifest {
    let text = std::fs::read_to_string(fixtures_dir(folder).join("manifest.toml")).expect("manifest.toml");
    toml::from_str(&text).expect("manifest.toml parses")
}

fn manifest() -> Manifest {
    manifest_of("spec-examples")
}

fn cites(source: &str) -> bool {
    source.starts_with("S1 ") || source.starts_with("S2 ")
}

#[test]
fn every_example_file_name_gets_the_verdict_the_spec_implies() {
    let manifest = manifest();
    assert!(manifest.name.len() >= 26, "the sources print 26 example names; the manifest has {}", manifest.name.len());
    let mut failures = Vec::new();
    for example in &manifest.name {
        assert!(cites(&example.source), "{}: source must cite S1 or S2", example.name);
        let report = validate_file(&example.name, b"", &Options::default());
        let mut found: Vec<&str> =
            report.findings.iter().filter(|f| f.rule.level == Level::Name).map(|f| f.rule.code).collect();
        found.sort_unstable();
        found.dedup();
        if found != example.expect {
            failures
                .push(format!("{} ({}): expected {:?}, found {found:?}", example.name, example.source, example.expect));
        }
        for rule in &example.expect {
            assert!(example.why.contains_key(rule), "{}: no reason given for {rule}", example.name);
        }
    }
    assert!(failures.is_empty(), "{} example names judged otherwise:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_example_table_gets_exactly_the_findings_the_spec_implies() {
    let manifest = manifest();
    assert!(manifest.table.len() >= 4);
    check_tables("spec-examples", &manifest.table);
}

#[test]
fn every_hand_written_file_gets_exactly_the_findings_the_spec_implies() {
    let manifest = manifest_of("hand-written");
    assert!(manifest.table.len() >= 13, "a folder per defect of issue #21");
    // Correct files the validator used to refuse stay in the corpus.
    assert!(manifest.table.iter().filter(|t| t.expect.is_empty()).count() >= 4);
    check_tables("hand-written", &manifest.table);
}

/// The enforced sentences that have a hand-written file breaking them (a finding of a rule that enforces the
/// sentence is expected) and a near miss respecting them (none is), issue #30 item 4. The folders name real
/// sentences; the count may only grow: lower it and this fails.
#[test]
fn hand_written_files_name_the_sentences_they_test() {
    const ENFORCED_WITH_BOTH_AT_LEAST: usize = 234;
    let manifest = manifest_of("hand-written");
    let rules_of: BTreeMap<&str, &[String]> = conformance::spec::spec()
        .sentences
        .iter()
        .flat_map(|file| &file.sentences)
        .map(|sentence| (sentence.id.as_str(), sentence.rules.as_slice()))
        .collect();
    let (mut breaking, mut respecting) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for table in &manifest.table {
        for id in &table.sentences {
            let rules = rules_of.get(id.as_str());
            assert!(rules.is_some(), "{} names {id}, which the inventory does not have", table.folder);
            let enforcing = rules.copied().unwrap_or_default();
            if table.expect.iter().any(|(rule, ..)| enforcing.contains(rule)) {
                breaking.insert(id.as_str());
            } else {
                respecting.insert(id.as_str());
            }
        }
    }
    let both: Vec<&&str> = breaking.intersection(&respecting).filter(|id| !rules_of[**id].is_empty()).collect();
    let enforced = rules_of.values().filter(|rules| !rules.is_empty()).count();
    println!("enforced sentences with a breaking and a respecting hand-written file: {} of {enforced}", both.len());
    assert!(
        both.len() >= ENFORCED_WITH_BOTH_AT_LEAST,
        "only {} enforced sentences keep both files (at least {ENFORCED_WITH_BOTH_AT_LEAST}): {both:?}",
        both.len()
    );
}

fn check_tables(folder: &str, tables: &[TableExample]) {
    let mut failures = Vec::new();
    for example in tables {
        assert!(cites(&example.source) && !example.verdict.is_empty(), "{}: source and verdict", example.folder);
        let dir = fixtures_dir(folder).join(&example.folder);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("example folder")
            .map(|entry| {
                let path = entry.expect("entry").path();
                let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_string();
                (name, std::fs::read(&path).expect("readable"))
            })
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no files", example.folder);
        let report = validate_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
        let mut found: Vec<(String, u32, u32)> = report
            .files
            .iter()
            .flat_map(|file| &file.findings)
            .chain(&report.set_findings)
            .map(|f| (f.rule.code.to_string(), f.line.unwrap_or(0), f.column.unwrap_or(0)))
            .collect();
        found.sort();
        let mut expected = example.expect.clone();
        expected.sort();
        if found != expected {
            failures.push(format!("{}:\n  expected {expected:?}\n  found    {found:?}", example.folder));
        }
        for (rule, ..) in &example.expect {
            assert!(example.why.contains_key(rule), "{}: no reason given for {rule}", example.folder);
        }
    }
    assert!(failures.is_empty(), "{} examples judged otherwise:\n{}", failures.len(), failures.join("\n"));
}
