//! What the validator checks, sentence by sentence and item by item. The headline is the sentence inventory
//! (spec/sentences: every normative sentence of both sources with its disposition — enforced by rules, a stated
//! reading, not checkable, or not yet enforced); then which rules look at each item of each kind, and which cases
//! trigger each rule, derived from the rules' own declarations (`applies`, `reads`), never from a list kept by
//! hand.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::rules::{self, Aspect, Check};
use crate::spec::sentences::{Disposition, Sentence, SentenceFile, Source};
use crate::spec::{spec, Item, ItemType, Kind};
use crate::synth::invalid::Case;

/// What a rule is concerned with when it looks at an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Concern {
    Required,
    Type,
    Length,
    Codes,
    Format,
    /// compared with other items of the record or file
    CrossField,
    /// compared with the file name
    FileName,
    /// compared across the files of a send unit
    SendUnit,
    /// free text: quoting and the characters MS932 allows
    Representation,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemChecks {
    pub kind: &'static str,
    pub no: u16,
    pub name: &'static str,
    pub id: &'static str,
    pub checks: Vec<(&'static str, Concern)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UncheckedItem {
    pub kind: &'static str,
    pub no: u16,
    pub name: &'static str,
}

/// How many sentences there are of each disposition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SentenceCounts {
    pub total: usize,
    /// checked by a rule
    pub enforced: usize,
    /// a reading the project states, with no rule of its own
    pub assumption: usize,
    pub not_checkable: usize,
    /// a file can break it and no rule checks it yet
    pub unenforced: usize,
}

impl SentenceCounts {
    fn add(&mut self, sentence: &Sentence) {
        self.total += 1;
        match sentence.disposition() {
            Ok(Disposition::Enforced { .. }) => self.enforced += 1,
            Ok(Disposition::Assumption(_)) => self.assumption += 1,
            Ok(Disposition::NotCheckable(_)) => self.not_checkable += 1,
            // the loader refuses a sentence without one disposition, so only a gap is left
            Ok(Disposition::Unenforced(_)) | Err(_) => self.unenforced += 1,
        }
    }
}

/// The sentences of one part of a source: an S2 table (or the sentences every table repeats) or an S1 section.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceGroup {
    pub source: Source,
    /// the S2 table's heading, or the S1 section (`§2.4`, `更新履歴`)
    pub part: String,
    pub counts: SentenceCounts,
}

/// A sentence that no rule enforces, with the reason (not checkable) or what a violating file looks like (gap).
#[derive(Debug, Clone, Serialize)]
pub struct SentenceNote {
    pub id: &'static str,
    pub source: Source,
    pub at: &'static str,
    pub text: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Coverage {
    pub sentences_total: usize,
    pub sentences_enforced: usize,
    pub sentences_assumption: usize,
    pub sentences_not_checkable: usize,
    pub sentences_unenforced: usize,
    /// per S2 table and per S1 section
    pub sentence_parts: Vec<SentenceGroup>,
    /// per kind: the sentences that govern it (its table's, and those every table repeats)
    pub sentences_by_kind: BTreeMap<&'static str, SentenceCounts>,
    pub sentences_not_checkable_list: Vec<SentenceNote>,
    pub sentences_unenforced_list: Vec<SentenceNote>,
    /// rule code → what it rests on (the sentences that name it, or the item model)
    pub rule_basis: BTreeMap<&'static str, Basis>,
    pub items_total: usize,
    pub items_checked: usize,
    pub items_unchecked: Vec<UncheckedItem>,
    pub rules_total: usize,
    pub rules_with_fixture: usize,
    pub rules_without_fixture: Vec<&'static str>,
    /// rules whose documentation cites a passage of the spec (S1/S2)
    pub rules_cited: usize,
    pub rules_uncited: Vec<&'static str>,
    pub items: Vec<ItemChecks>,
    /// rule code → the invalid cases (fixture folders) that trigger it
    pub rules: BTreeMap<&'static str, Vec<String>>,
}

impl From<Aspect> for Concern {
    fn from(aspect: Aspect) -> Concern {
        match aspect {
            Aspect::Required => Concern::Required,
            Aspect::Type => Concern::Type,
            Aspect::Length => Concern::Length,
            Aspect::Codes => Concern::Codes,
            Aspect::Format => Concern::Format,
            Aspect::Representation => Concern::Representation,
        }
    }
}

/// Whether `id` of `kind` takes part in a join key of a send unit.
fn is_unit_key(kind: &Kind, id: &str) -> bool {
    spec().units.iter().flat_map(|unit| &unit.links).any(|link| {
        (link.child == kind.code && link.child_key.iter().any(|k| k == id))
            || (link.parent == kind.code && link.parent_key.iter().any(|k| k == id))
    })
}

/// The rules that look at one item's value, and what for.
pub fn checks_of(kind: &Kind, item: &Item) -> Vec<(&'static str, Concern)> {
    let mut found = Vec::new();
    for rule in rules::all() {
        let code = rule.meta.code;
        let aspect = match &rule.check {
            // Characters and quoting are what can be checked of free text; of a typed item, its type and format
            // rules say more.
            Check::Field { aspect: Aspect::Representation, applies, .. } => {
                (applies(item) && item.ty == ItemType::Text).then_some(Concern::Representation)
            }
            Check::Field { aspect, applies, .. } => applies(item).then(|| Concern::from(*aspect)),
            Check::Record { kinds, reads, .. } | Check::File { kinds, reads, .. } => {
                let kind_matches = kinds.is_empty() || kinds.contains(&kind.code.as_str());
                (kind_matches && reads.contains(&item.id.as_str())).then_some(Concern::CrossField)
            }
            Check::Name { reads, .. } => {
                (kind.month_in_name && reads.contains(&item.id.as_str())).then_some(Concern::FileName)
            }
            Check::Set { reads, unit_keys, .. } => {
                let listed = reads.iter().any(|(k, id)| *k == kind.code && *id == item.id);
                (listed || (*unit_keys && is_unit_key(kind, &item.id))).then_some(Concern::SendUnit)
            }
            Check::Characters(_) => (item.ty == ItemType::Text).then_some(Concern::Representation),
            Check::Read(_) | Check::Layout(_) => None,
        };
        if let Some(aspect) = aspect {
            found.push((code, aspect));
        }
    }
    found
}

/// The part of its source a sentence stands in.
fn part_of(file: &SentenceFile, sentence: &Sentence) -> String {
    match file.source {
        Source::S1 => sentence.s1_section().to_string(),
        Source::S2 => file.section.clone(),
    }
}

/// The sentence inventory counted by disposition: overall, per part of each source and per kind.
fn sentence_coverage() -> (SentenceCounts, Vec<SentenceGroup>, BTreeMap<&'static str, SentenceCounts>) {
    let mut all = SentenceCounts::default();
    let mut parts: Vec<SentenceGroup> = Vec::new();
    let mut by_kind: BTreeMap<&'static str, SentenceCounts> = BTreeMap::new();
    for file in &spec().sentences {
        for sentence in &file.sentences {
            all.add(sentence);
            let part = part_of(file, sentence);
            match parts.iter_mut().find(|group| group.source == file.source && group.part == part) {
                Some(group) => group.counts.add(sentence),
                None => {
                    let mut counts = SentenceCounts::default();
                    counts.add(sentence);
                    parts.push(SentenceGroup { source: file.source, part, counts });
                }
            }
            for kind in &file.kinds {
                by_kind.entry(kind.as_str()).or_default().add(sentence);
            }
        }
    }
    (all, parts, by_kind)
}

/// The sentences of one disposition that no rule enforces, with their reasons.
fn sentence_notes(pick: fn(Disposition<'static>) -> Option<&'static str>) -> Vec<SentenceNote> {
    spec()
        .sentences
        .iter()
        .flat_map(|file| file.sentences.iter().map(move |sentence| (file, sentence)))
        .filter_map(|(file, sentence)| {
            let reason = sentence.disposition().ok().and_then(pick)?;
            Some(SentenceNote { id: &sentence.id, source: file.source, at: &sentence.at, text: &sentence.text, reason })
        })
        .collect()
}

/// What a rule rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// the inventory's sentences that name it
    Sentences(Vec<&'static str>),
    /// the item model (kinds/*.toml: 項目長, 必須, 書式 and code cells, item definitions) that its checks read: a
    /// field, character or layout rule, or one whose cites name S2 items
    ItemModel,
    /// neither: it may only warn
    None,
}

/// The sentences of the inventory that name `code` among their rules.
pub fn sentences_of(code: &str) -> Vec<&'static Sentence> {
    spec()
        .sentences
        .iter()
        .flat_map(|file| &file.sentences)
        .filter(|sentence| sentence.rules.iter().any(|rule| rule == code))
        .collect()
}

/// What `rule` rests on: the sentences that name it, else the item model, else nothing.
pub fn basis(rule: &rules::Rule) -> Basis {
    let sentences: Vec<&'static str> = sentences_of(rule.meta.code).iter().map(|s| s.id.as_str()).collect();
    let reads_items = matches!(rule.check, Check::Field { .. } | Check::Characters(_) | Check::Layout(_))
        || rule.meta.cites.iter().any(|cite| cite.starts_with("S2") && cite.contains("No."));
    if !sentences.is_empty() {
        Basis::Sentences(sentences)
    } else if reads_items {
        Basis::ItemModel
    } else {
        Basis::None
    }
}

/// The matrix over every CSV kind of the model, with the rule → case map from `cases`.
pub fn compute(cases: &[Case]) -> Coverage {
    let mut items = Vec::new();
    for kind in spec().kinds.iter().filter(|k| k.is_csv()) {
        for item in &kind.items {
            items.push(ItemChecks {
                kind: &kind.code,
                no: item.no,
                name: &item.name,
                id: &item.id,
                checks: checks_of(kind, item),
            });
        }
    }
    let items_unchecked: Vec<UncheckedItem> = items
        .iter()
        .filter(|item| item.checks.is_empty())
        .map(|item| UncheckedItem { kind: item.kind, no: item.no, name: item.name })
        .collect();
    let mut by_rule: BTreeMap<&'static str, Vec<String>> =
        rules::all().iter().map(|rule| (rule.meta.code, Vec::new())).collect();
    for case in cases {
        let mut codes: Vec<&'static str> = case.expected.iter().map(|e| e.rule).collect();
        codes.dedup();
        for code in codes {
            if let Some(list) = by_rule.get_mut(code) {
                if !list.contains(&case.id) {
                    list.push(case.id.clone());
                }
            }
        }
    }
    let rules_without_fixture: Vec<&'static str> =
        by_rule.iter().filter(|(_, cases)| cases.is_empty()).map(|(code, _)| *code).collect();
    let rules_uncited: Vec<&'static str> = rules::all()
        .iter()
        .filter(|rule| rule.meta.cites.is_empty() || !rule.meta.cites.iter().all(|c| crate::spec::cite_is_known(c)))
        .map(|rule| rule.meta.code)
        .collect();
    let (sentences, sentence_parts, sentences_by_kind) = sentence_coverage();
    Coverage {
        sentences_total: sentences.total,
        sentences_enforced: sentences.enforced,
        sentences_assumption: sentences.assumption,
        sentences_not_checkable: sentences.not_checkable,
        sentences_unenforced: sentences.unenforced,
        sentence_parts,
        sentences_by_kind,
        sentences_not_checkable_list: sentence_notes(|d| match d {
            Disposition::NotCheckable(reason) => Some(reason),
            _ => None,
        }),
        sentences_unenforced_list: sentence_notes(|d| match d {
            Disposition::Unenforced(gap) => Some(gap),
            _ => None,
        }),
        rule_basis: rules::all().iter().map(|rule| (rule.meta.code, basis(rule))).collect(),
        rules_cited: by_rule.len() - rules_uncited.len(),
        rules_uncited,
        items_total: items.len(),
        items_checked: items.len() - items_unchecked.len(),
        items_unchecked,
        rules_total: by_rule.len(),
        rules_with_fixture: by_rule.len() - rules_without_fixture.len(),
        rules_without_fixture,
        items,
        rules: by_rule,
    }
}
