//! The specification's own examples (`fixtures/spec-examples/`, transcribed by hand from the two sources) and the
//! files written by hand from its text (`fixtures/hand-written/`) give exactly the findings their manifests say the
//! specification implies — each with the passage that makes it so.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::{BTreeMap, BTreeSet};
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
    /// what the name is (the hand-written names say it; the spec's examples are what their source prints)
    #[serde(default)]
    verdict: String,
    /// as for a table: the inventory's sentences the name breaks (findings expected) or respects (none)
    #[serde(default)]
    sentences: Vec<String>,
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
    check_names(&manifest.name);
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
    for name in &manifest.name {
        assert!(!name.verdict.is_empty() && !name.sentences.is_empty(), "{}: verdict and sentences", name.name);
    }
    check_names(&manifest.name);
}

/// Every enforced sentence has a hand-written case breaking it (a finding of a rule that enforces the sentence is
/// expected) and a near miss respecting it (none is), issue #30 item 4: a folder (`[[table]]`) or, for what the file
/// name alone decides, a name (`[[name]]`). The cases name real sentences.
#[test]
fn every_enforced_sentence_has_a_breaking_and_a_respecting_hand_written_case() {
    let manifest = manifest_of("hand-written");
    let (unpaired, enforced) = unpaired_sentences(&manifest.cases());
    println!(
        "enforced sentences with a breaking and a respecting hand-written case: {} of {enforced}",
        enforced - unpaired.len()
    );
    assert!(
        unpaired.is_empty(),
        "{} of {enforced} enforced sentences lack a breaking or a respecting hand-written case (B = breaking \
         missing, R = respecting missing):\n{}",
        unpaired.len(),
        unpaired.join("\n")
    );
}

/// The count can fail: drop the cases that break one sentence, or the ones that respect it, and it is reported.
#[test]
fn an_unpaired_sentence_is_seen() {
    let manifest = manifest_of("hand-written");
    let cases = manifest.cases();
    let (before, _) = unpaired_sentences(&cases);
    let sentence = "S1-1.3-row-11";
    assert!(!before.iter().any(|entry| entry.starts_with(&format!("{sentence} "))), "{sentence} has both cases");
    let rules = &conformance::spec::spec().sentence(sentence).expect("in the inventory").1.rules;
    let breaks = |case: &Case<'_>| case.expect.iter().any(|rule| rules.iter().any(|r| r == rule));
    let names_it = |case: &Case<'_>| case.sentences.iter().any(|id| id == sentence);
    for dropped in [true, false] {
        let kept: Vec<Case<'_>> =
            cases.iter().filter(|case| !(names_it(case) && breaks(case) == dropped)).cloned().collect();
        let (after, _) = unpaired_sentences(&kept);
        let mark = if dropped { "B" } else { "R" };
        let new: Vec<&String> = after.iter().filter(|entry| !before.contains(entry)).collect();
        assert_eq!(new, [&format!("{sentence} ({mark})")], "dropping the cases that {mark} it");
    }
}

/// A hand-written case as the sentence count sees it: a folder or a name, the sentences it names, the rules of the
/// findings it expects.
#[derive(Clone)]
struct Case<'a> {
    label: &'a str,
    sentences: &'a [String],
    expect: Vec<&'a str>,
}

impl Manifest {
    fn cases(&self) -> Vec<Case<'_>> {
        let tables = self.table.iter().map(|table| Case {
            label: &table.folder,
            sentences: &table.sentences,
            expect: table.expect.iter().map(|(rule, ..)| rule.as_str()).collect(),
        });
        let names = self.name.iter().map(|name| Case {
            label: &name.name,
            sentences: &name.sentences,
            expect: name.expect.iter().map(String::as_str).collect(),
        });
        tables.chain(names).collect()
    }
}

/// The enforced sentences (non-empty `rules`) without a case that breaks them or without one that respects them,
/// each as `id (B)`, `id (R)` or `id (BR)` for what is missing; and how many sentences are enforced. A case breaks a
/// sentence it names when it expects a finding of one of the sentence's rules, and respects it otherwise.
fn unpaired_sentences(cases: &[Case<'_>]) -> (Vec<String>, usize) {
    let rules_of: BTreeMap<&str, &[String]> = conformance::spec::spec()
        .sentences
        .iter()
        .flat_map(|file| &file.sentences)
        .map(|sentence| (sentence.id.as_str(), sentence.rules.as_slice()))
        .collect();
    let (mut breaking, mut respecting) = (BTreeSet::new(), BTreeSet::new());
    for case in cases {
        for id in case.sentences {
            let rules = rules_of.get(id.as_str());
            assert!(rules.is_some(), "{} names {id}, which the inventory does not have", case.label);
            let enforcing = rules.copied().unwrap_or_default();
            if case.expect.iter().any(|rule| enforcing.iter().any(|r| r == rule)) {
                breaking.insert(id.as_str());
            } else {
                respecting.insert(id.as_str());
            }
        }
    }
    let enforced: Vec<&str> = rules_of.iter().filter(|(_, rules)| !rules.is_empty()).map(|(id, _)| *id).collect();
    let unpaired = enforced
        .iter()
        .filter_map(|id| {
            let missing = match (breaking.contains(id), respecting.contains(id)) {
                (true, true) => return None,
                (false, true) => "B",
                (true, false) => "R",
                (false, false) => "BR",
            };
            Some(format!("{id} ({missing})"))
        })
        .collect();
    (unpaired, enforced.len())
}

/// Each name gets exactly the file-name findings (level `Name`) its entry expects, judged as an empty file.
fn check_names(names: &[NameExample]) {
    let mut failures = Vec::new();
    for example in names {
        assert!(cites(&example.source), "{}: source must cite S1 or S2", example.name);
        let report = validate_file(&example.name, b"", &Options::default());
        let mut found: Vec<&str> =
            report.findings.iter().filter(|f| f.rule.level == Level::Name).map(|f| f.rule.code).collect();
        found.sort_unstable();
        found.dedup();
        let mut expected: Vec<&str> = example.expect.iter().map(String::as_str).collect();
        expected.sort_unstable();
        if found != expected {
            failures
                .push(format!("{} ({}): expected {:?}, found {found:?}", example.name, example.source, example.expect));
        }
        for rule in &example.expect {
            assert!(example.why.contains_key(rule), "{}: no reason given for {rule}", example.name);
        }
    }
    assert!(failures.is_empty(), "{} names judged otherwise:\n{}", failures.len(), failures.join("\n"));
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
