//! The sentence inventory (spec/sentences) held against the rule catalogue: a sentence names only rules that exist,
//! a rule that refuses a file rests on a sentence of the spec or on its item model, and `coverage` reports the
//! sentences by disposition with counts that add up.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeSet;

use conformance::coverage::{basis, compute, sentences_of, Basis};
use conformance::rule_meta::Severity;
use conformance::rules;
use conformance::spec::spec;
use conformance::synth::fixtures::SEED;
use conformance::synth::invalid::cases;

#[test]
fn every_rule_a_sentence_names_exists() {
    let unknown: Vec<(&str, &str)> = spec()
        .sentences
        .iter()
        .flat_map(|file| &file.sentences)
        .flat_map(|sentence| sentence.rules.iter().map(move |code| (sentence.id.as_str(), code.as_str())))
        .filter(|(_, code)| rules::find(code).is_none())
        .collect();
    assert!(unknown.is_empty(), "sentences naming rules that do not exist: {unknown:?}");
}

/// A rule exists because a sentence of the spec says so: an error needs a sentence or an item of the layout
/// behind it; a rule resting on neither (a practice, a reading) may only warn.
#[test]
fn every_error_rests_on_a_sentence_or_the_item_model() {
    let unfounded: Vec<&str> = rules::all()
        .iter()
        .filter(|rule| rule.meta.severity == Severity::Error && basis(rule) == Basis::None)
        .map(|rule| rule.meta.code)
        .collect();
    assert!(unfounded.is_empty(), "errors resting on no sentence and no item of the spec: {unfounded:?}");
}

/// The check above can fail: a rule the inventory names nowhere and whose cites name no S2 item is seen as
/// resting on nothing (ENC009: the line ending is not stated, CRLF is a reading, A-CRLF — a warning).
#[test]
fn a_rule_resting_on_no_sentence_is_seen() {
    let rule = rules::find("ENC009").expect("ENC009 exists");
    assert!(sentences_of("ENC009").is_empty());
    assert_eq!(basis(rule), Basis::None);
    assert_eq!(rule.meta.severity, Severity::Warning);
    let named = rules::find("FIL006").expect("FIL006 exists");
    assert!(matches!(basis(named), Basis::Sentences(ids) if ids.contains(&"T7-09-c")));
}

#[test]
fn coverage_reports_sentences_by_disposition() {
    let matrix = compute(&cases(SEED).expect("cases generate"));
    let parts = [
        matrix.sentences_enforced,
        matrix.sentences_assumption,
        matrix.sentences_not_checkable,
        matrix.sentences_unenforced,
    ];
    assert_eq!(parts.iter().sum::<usize>(), matrix.sentences_total);
    assert!(matrix.sentences_total > 400, "the inventory lost sentences: {}", matrix.sentences_total);
    assert_eq!(matrix.sentences_not_checkable_list.len(), matrix.sentences_not_checkable);
    assert_eq!(matrix.sentences_unenforced_list.len(), matrix.sentences_unenforced);
    let per_part: usize = matrix.sentence_parts.iter().map(|part| part.counts.total).sum();
    assert_eq!(per_part, matrix.sentences_total, "every sentence stands in one part");
    let json = serde_json::to_value(&matrix).expect("serialises");
    for field in ["sentences_total", "sentences_enforced", "sentences_assumption", "sentences_not_checkable"] {
        assert!(json[field].is_u64(), "coverage JSON lacks {field}");
    }
    // Every kind is governed by at least the sentences every table repeats.
    for kind in spec().kinds.iter().filter(|kind| kind.is_csv()) {
        assert!(matrix.sentences_by_kind.get(kind.code.as_str()).is_some_and(|c| c.total > 0), "{}", kind.code);
    }
}

/// A rule's `cites` and the inventory say the same thing: the sentences a rule cites by id are exactly those that
/// name it in their `rules`. (Citations in words are context the rule reads without enforcing: the item model, a
/// sentence that bounds its severity.)
#[test]
fn rules_cite_exactly_the_sentences_that_name_them() {
    let disagreements: Vec<String> =
        rules::all().iter().filter_map(|rule| disagreement(rule.meta.code, rule.meta.cites)).collect();
    assert!(disagreements.is_empty(), "rules and sentences disagree:\n{}", disagreements.join("\n"));
}

/// The agreement check for one rule's code and cites; `None` when its cited ids are the sentences naming it.
fn disagreement(code: &str, cites: &[&str]) -> Option<String> {
    let cited: BTreeSet<&str> = cites.iter().copied().filter(|cite| spec().sentence(cite).is_some()).collect();
    let naming: BTreeSet<&str> = sentences_of(code).iter().map(|s| s.id.as_str()).collect();
    let not_cited: Vec<&&str> = naming.difference(&cited).collect();
    let not_naming: Vec<&&str> = cited.difference(&naming).collect();
    (!not_cited.is_empty() || !not_naming.is_empty()).then(|| {
        format!("{code}: named by {not_cited:?} but does not cite them; cites {not_naming:?}, which do not name it")
    })
}

/// The agreement check can fail: cites that drop a sentence naming the rule, or add one that does not.
#[test]
fn a_disagreement_is_seen() {
    let cites = rules::find("FIL006").expect("FIL006 exists").meta.cites;
    assert!(disagreement("FIL006", cites).is_none());
    let dropped: Vec<&str> = cites.iter().copied().filter(|cite| *cite != "T7-09-c").collect();
    assert!(disagreement("FIL006", &dropped).is_some_and(|why| why.contains("T7-09-c")));
    let added: Vec<&str> = cites.iter().copied().chain(["S1-4.3-a"]).collect();
    assert!(disagreement("FIL006", &added).is_some_and(|why| why.contains("S1-4.3-a")));
}
