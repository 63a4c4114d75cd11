//! File rules (FIL): relations between the records of one file.

pub mod fil001_mixed_csv_versions;
pub mod fil002_multiple_service_months;
pub mod fil003_duplicate_plan_line;
pub mod fil004_duplicate_record_key;
pub mod fil005_missing_grand_total;
pub mod fil006_missing_kind_subtotal;
pub mod fil007_detail_amount_mismatch;
pub mod fil008_kind_summary_mismatch;
pub mod fil009_grand_total_mismatch;
pub mod fil010_cost_mismatch;
pub mod fil011_discount_mismatch;
pub mod fil012_version_not_yet_applicable;
pub mod fil013_limit_split_mismatch;
pub mod fil014_type_limit_split_mismatch;

use std::collections::BTreeMap;

use crate::billing::{row_kind, service_kind_of, RowKind};
use crate::document::Document;
use crate::rules::Rule;

pub static RULES: &[&Rule] = &[
    &fil001_mixed_csv_versions::RULE,
    &fil002_multiple_service_months::RULE,
    &fil003_duplicate_plan_line::RULE,
    &fil004_duplicate_record_key::RULE,
    &fil005_missing_grand_total::RULE,
    &fil006_missing_kind_subtotal::RULE,
    &fil007_detail_amount_mismatch::RULE,
    &fil008_kind_summary_mismatch::RULE,
    &fil009_grand_total_mismatch::RULE,
    &fil010_cost_mismatch::RULE,
    &fil011_discount_mismatch::RULE,
    &fil012_version_not_yet_applicable::RULE,
    &fil013_limit_split_mismatch::RULE,
    &fil014_type_limit_split_mismatch::RULE,
];

/// The key of a user's 別表: 保険者番号, 被保険者番号, 対象年月.
pub(crate) type UserKey<'a> = (&'a str, &'a str, &'a str);

/// (サービス事業所コード, サービス種類コード): the rows the form totals together.
pub(crate) type Group<'a> = (&'a str, &'a str);

/// The rows of one user's 第7表, grouped as the form groups them.
#[derive(Default)]
pub(crate) struct Annex<'a> {
    /// detail rows per (office, service kind)
    pub details: BTreeMap<Group<'a>, Vec<usize>>,
    /// AAAA subtotal row per (office, service kind)
    pub subtotals: BTreeMap<Group<'a>, usize>,
    pub grand_total: Option<usize>,
    /// 区分支給対象外 種類別小計 (EEEE) row per (office, service kind)
    pub outside_limit: BTreeMap<Group<'a>, usize>,
}

impl Annex<'_> {
    /// The row that carries a kind's limit, cost and claim (its AAAA subtotal, or its only detail row), with
    /// the kind's detail rows.
    pub fn summaries(&self) -> impl Iterator<Item = (usize, &[usize])> + '_ {
        self.details.iter().filter_map(|(group, rows)| match self.subtotals.get(group) {
            Some(&row) => Some((row, rows.as_slice())),
            None if rows.len() == 1 => Some((rows[0], rows.as_slice())),
            None => None,
        })
    }

    /// The summary rows alone (see [`Annex::summaries`]).
    pub fn summary_rows(&self) -> Vec<usize> {
        self.summaries().map(|(row, _)| row).collect()
    }
}

pub(crate) type Annexes<'a> = BTreeMap<UserKey<'a>, Annex<'a>>;

/// The detail rows (one service code of one office) of a UPSIKYU document, in file order.
pub(crate) fn detail_rows<'a>(doc: &'a Document) -> impl Iterator<Item = usize> + 'a {
    let code = doc.column("service_code");
    doc.rows().filter(move |&row| row_kind(doc.at(row, code)) == RowKind::Detail)
}

/// Every user's 別表 in a UPSIKYU document.
pub(crate) fn annexes(doc: &Document) -> Annexes<'_> {
    let [insurer, insured, month, code, office] =
        ["insurer_number", "insured_number", "target_month", "service_code", "service_office_code"]
            .map(|id| doc.column(id));
    let mut users: Annexes<'_> = BTreeMap::new();
    for row in doc.rows() {
        let key = (doc.at(row, insurer), doc.at(row, insured), doc.at(row, month));
        let annex = users.entry(key).or_default();
        let code = doc.at(row, code);
        let group = (doc.at(row, office), service_kind_of(code));
        match row_kind(code) {
            RowKind::Detail => annex.details.entry(group).or_default().push(row),
            RowKind::KindSubtotal => {
                annex.subtotals.insert(group, row);
            }
            RowKind::GrandTotal => annex.grand_total = Some(row),
            RowKind::OutsideLimitSubtotal => {
                annex.outside_limit.insert(group, row);
            }
            RowKind::Over30Subtotal => {}
        }
    }
    users
}
