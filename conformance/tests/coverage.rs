//! Coverage cannot silently drop: every item of every kind is checked by a rule other than the column count, and
//! every rule is triggered by at least one fixture.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use conformance::coverage::{compute, Concern};
use conformance::synth::fixtures::SEED;
use conformance::synth::invalid::cases;

#[test]
fn every_item_is_checked_and_every_rule_has_a_fixture() {
    let matrix = compute(&cases(SEED).expect("cases generate"));
    assert_eq!(matrix.items_checked, matrix.items_total, "unchecked items: {:?}", matrix.items_unchecked);
    assert_eq!(
        matrix.rules_with_fixture, matrix.rules_total,
        "rules without fixture: {:?}",
        matrix.rules_without_fixture
    );
    assert!(matrix.items_total > 350, "the model lost items: {}", matrix.items_total);
    assert_eq!(
        matrix.rules_cited, matrix.rules_total,
        "rules citing no passage of the spec: {:?}",
        matrix.rules_uncited
    );
    assert!(matrix.items.iter().all(|item| item.checks.iter().all(|(code, _)| *code != "CSV004")));
}

#[test]
fn keys_are_checked_across_the_send_unit_and_totals_are_recomputed() {
    let matrix = compute(&cases(SEED).expect("cases generate"));
    let checks = |kind: &str, no: u16| {
        matrix.items.iter().find(|i| i.kind == kind && i.no == no).map(|i| i.checks.clone()).expect("item exists")
    };
    // 第2表 No.5 居宅サービス計画作成（変更）日 joins 第1表: a send-unit check applies.
    assert!(checks("UP2KYO", 5).iter().any(|(code, concern)| *code == "SET003" && *concern == Concern::SendUnit));
    // 第7表 No.24 費用総額 is recomputed.
    assert!(checks("UPSIKYU", 24).iter().any(|(code, _)| *code == "FIL010"));
    // Free text is checked for quoting and characters.
    assert!(checks("UP1KYO", 24)
        .iter()
        .any(|(code, concern)| *code == "CSV007" && *concern == Concern::Representation));
}
