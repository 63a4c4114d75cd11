//! Which rules look at each item of each kind, and which cases trigger each rule: the evidence that every item of
//! the specification is actually checked. Derived from the rules' own declarations (`applies`, `reads`), never
//! from a list kept by hand.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::rules::{self, Aspect, Check};
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

#[derive(Debug, Serialize)]
pub struct Coverage {
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
        .filter(|rule| rule.meta.cites.is_empty() || !rule.meta.cites.iter().all(|c| crate::spec::cites_a_source(c)))
        .map(|rule| rule.meta.code)
        .collect();
    Coverage {
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
