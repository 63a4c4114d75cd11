//! A rule's `reads` (which items it looks at: the coverage matrix and the item reference are built from it) is kept
//! by hand beside the code that reads them. This test reads each rule's source and fails when the code names an item
//! of the rule's kinds that `reads` does not list, or `reads` lists an item the code never names (directly or through
//! a constant of `billing`, the arithmetic the 第7表 rules share, or in the spec data's `record_key` or
//! `service_month` of its kinds when the code reads that), or an id that is no item of those kinds.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot read the tree must fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use conformance::rules::{self, Check, Rule};
use conformance::spec::{spec, Kind};

/// The string literals of a piece of Rust source, except the names of a finding's message arguments
/// (`.arg("issue", …)` names a placeholder, not the item 課題).
fn literals(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(start) = rest.find('"') {
        let argument_name = rest[..start].trim_end().ends_with(".arg(") || rest[..start].trim_end().ends_with(".arg2(");
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        if !argument_name {
            found.insert(after[..end].to_string());
        }
        rest = &after[end + 1..];
    }
    found
}

/// The code of a rule's source file that can read an item: everything but its `rule!` block (texts, and the
/// `check:` entry that declares `reads` — judging that line would let every listed id find itself) and its tests.
fn check_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let start = code.find("rule! {").expect("a rule file declares its rule with rule!");
    let declared = code[start..].find("check:").map(|at| start + at).expect("rule! has a check: entry");
    let end = code[declared..].find("\n}").map(|at| declared + at + 2).expect("the rule! block closes");
    assert!(!code[end..].contains("check:"), "one check: entry, inside rule!");
    format!("{}{}", &code[..start], &code[end..])
}

/// The source file of a rule.
fn rule_text(code: &str) -> String {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let prefix = format!("{}_", code.to_ascii_lowercase());
    let file: PathBuf = std::fs::read_dir(&rules_dir)
        .unwrap()
        .map(|level| level.unwrap().path())
        .filter(|level| level.is_dir())
        .flat_map(|level| std::fs::read_dir(level).unwrap().map(|f| f.unwrap().path()))
        .find(|file| file.file_name().unwrap().to_string_lossy().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no source file for {code}"));
    std::fs::read_to_string(file).unwrap()
}

/// A rule's check code (see [`check_code`]), and the source of `billing` when it uses it (directly, or through
/// `FileCtx::annexes`), and the check code of another rule whose helper it uses (`crate::rules::file::fil016_…`).
fn rule_source(text: &str) -> (String, String) {
    let check = check_code(text);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // `billing` holds the 第7表 arithmetic and the grouping `FileCtx::annexes` hands the 第7表 rules.
    let mut shared = if check.contains("crate::billing") || check.contains(".annexes()") {
        std::fs::read_to_string(src.join("billing.rs")).unwrap()
    } else {
        String::new()
    };
    for used in check.split("crate::rules::").skip(1) {
        let path: String = used.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
        let mut parts = path.split("::");
        let (Some(level), Some(module)) = (parts.next(), parts.next()) else { continue };
        let file = src.join("rules").join(level).join(format!("{module}.rs"));
        if module.len() > 6 && file.is_file() {
            let (other, other_shared) = rule_source(&std::fs::read_to_string(file).unwrap());
            shared.push_str(&other);
            shared.push_str(&other_shared);
        }
    }
    (check, shared)
}

fn items_of(kinds: &[&Kind]) -> BTreeSet<&'static str> {
    let all: Vec<&'static Kind> = spec().kinds.iter().collect();
    let chosen: Vec<&'static Kind> = if kinds.is_empty() {
        all
    } else {
        all.into_iter().filter(|k| kinds.iter().any(|c| c.code == k.code)).collect()
    };
    chosen.iter().flat_map(|k| k.items.iter().map(|i| i.id.as_str())).collect()
}

/// What is wrong with a rule's `reads`, given the items of its kinds, its own code and the shared code it uses.
/// `listed_per_kind`: a set rule lists (kind, item) pairs over several kinds, so only the listed ids are judged.
fn judge(
    code: &str,
    items: &BTreeSet<&str>,
    reads: &[&str],
    own: &str,
    shared: &str,
    listed_per_kind: bool,
) -> Vec<String> {
    let own = literals(own);
    let shared = literals(shared);
    let mut problems = Vec::new();
    for id in reads {
        if !items.contains(id) {
            problems.push(format!("{code}: reads lists {id:?}, which is no item of its kinds"));
        } else if !own.contains(*id) && !shared.contains(*id) {
            problems.push(format!("{code}: reads lists {id:?}, which its code never names"));
        }
    }
    if !listed_per_kind {
        for id in own.iter().filter(|id| items.contains(id.as_str()) && !reads.contains(&id.as_str())) {
            problems.push(format!("{code}: its code reads {id:?}, which reads does not list"));
        }
    }
    problems
}

/// What is wrong with `rule`'s `reads`, judged against `text` as its source file; `None` for a rule without `reads`.
fn problems_of(rule: &Rule, text: &str) -> Option<Vec<String>> {
    let (kinds, reads): (Vec<&Kind>, Vec<&str>) = match &rule.check {
        Check::Record { kinds, reads, .. } | Check::File { kinds, reads, .. } => {
            (kinds.iter().map(|code| spec().kind(code).expect("rule names a kind")).collect(), reads.to_vec())
        }
        Check::Name { reads, .. } => (Vec::new(), reads.to_vec()),
        Check::Set { reads, .. } => (
            reads.iter().map(|(kind, _)| spec().kind(kind).expect("rule names a kind")).collect(),
            reads.iter().map(|(_, id)| *id).collect(),
        ),
        _ => return None,
    };
    let (own, mut shared) = rule_source(text);
    // A rule that reads the items the spec data names for its kinds (the record key) names them there.
    if own.contains("record_key") {
        for id in kinds.iter().flat_map(|kind| &kind.record_key) {
            shared.push_str(&format!(" \"{id}\""));
        }
    }
    if own.contains("service_month") {
        for id in kinds.iter().filter_map(|kind| kind.service_month.as_ref()) {
            shared.push_str(&format!(" \"{id}\""));
        }
    }
    let is_set = matches!(rule.check, Check::Set { .. });
    Some(judge(rule.meta.code, &items_of(&kinds), &reads, &own, &shared, is_set))
}

#[test]
fn every_rule_lists_exactly_the_items_its_code_reads() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for rule in rules::all() {
        if let Some(found) = problems_of(rule, &rule_text(rule.meta.code)) {
            checked += 1;
            problems.extend(found);
        }
    }
    assert!(checked > 20, "too few rules with `reads` to mean anything: {checked}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The real path over a real rule's source, planted: FIL001 as it is passes; the same file whose check no longer
/// names the item its `reads` lists is caught, although the `rule!` block still names it there (the declaration is
/// not the code — judging it would let every listed id find itself, as it did until #32); a check that names an
/// item `reads` does not list is caught too.
#[test]
fn a_stale_reads_in_a_real_rule_file_is_found() {
    let rule = rules::all().iter().find(|rule| rule.meta.code == "FIL001").expect("FIL001");
    let text = rule_text("FIL001");
    assert_eq!(problems_of(rule, &text), Some(Vec::new()));
    let body = text.find("\nfn check").expect("FIL001's check function");
    assert!(text[..body].contains("reads: &[\"csv_version\"]"), "the plant needs FIL001 to list csv_version");
    let planted = format!("{}{}", &text[..body], text[body..].replace("\"csv_version\"", "\"insured_number\""));
    assert_eq!(
        problems_of(rule, &planted),
        Some(vec![
            "FIL001: reads lists \"csv_version\", which its code never names".to_string(),
            "FIL001: its code reads \"insured_number\", which reads does not list".to_string(),
        ])
    );
}

/// The FIL010 omission #19 found, a typo and a stale entry are each caught.
#[test]
fn a_wrong_reads_is_found() {
    let items = items_of(&[spec().kind("UPSIKYU").unwrap()]);
    let own = r#"check }, fn check() { let within = get("category_limit_within_units"); get("unit_price"); }"#;
    assert_eq!(
        judge("FIL010", &items, &["unit_price"], own, "", false),
        vec!["FIL010: its code reads \"category_limit_within_units\", which reads does not list".to_string()]
    );
    assert_eq!(
        judge(
            "FIL010",
            &items,
            &["unit_price", "category_limit_within_units", "unit_prise", "copay_full"],
            own,
            "",
            false
        ),
        vec![
            "FIL010: reads lists \"unit_prise\", which is no item of its kinds".to_string(),
            "FIL010: reads lists \"copay_full\", which its code never names".to_string(),
        ]
    );
}
