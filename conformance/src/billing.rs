//! The arithmetic of 第7表 サービス利用票別表 (assumption A-7-CALC), shared by the rules that recompute it and by
//! the generator that writes valid tickets.

use std::collections::BTreeMap;

use crate::document::Document;
use crate::spec::spec;

/// サービスコード of the 全合計 row (spec/annex.toml).
pub fn grand_total_code() -> &'static str {
    &spec().annex_rows.grand_total_code
}

/// サービス事業所コード of the 全合計 row (spec/annex.toml).
pub fn grand_total_office() -> &'static str {
    &spec().annex_rows.grand_total_office
}

/// Items of a kind's summary row that the 全合計 row adds up, in this order (assumption A-7-CALC).
pub const GRAND_TOTAL_SUMS: [&str; 7] = [
    "benefit_managed_units",
    "category_limit_over_units",
    "category_limit_within_units",
    "total_cost_insured",
    "insurance_claim_amount",
    "copay_insured",
    "copay_full",
];

/// What a 第7表 row is, from its サービスコード.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// one service code of one office
    Detail,
    /// kind + `AAAA`: 区分支給対象 種類別小計
    KindSubtotal,
    /// kind + `EEEE`: 区分支給対象外 種類別小計
    OutsideLimitSubtotal,
    /// kind + `ZZZZ`: 30日超過分 種類別小計
    Over30Subtotal,
    /// `999999`: 全合計
    GrandTotal,
}

pub fn row_kind(service_code: &str) -> RowKind {
    let rows = &spec().annex_rows;
    if service_code == rows.grand_total_code {
        return RowKind::GrandTotal;
    }
    match service_code.get(2..) {
        Some(suffix) if suffix == rows.kind_subtotal_suffix => RowKind::KindSubtotal,
        Some(suffix) if suffix == rows.outside_limit_subtotal_suffix => RowKind::OutsideLimitSubtotal,
        Some(suffix) if suffix == rows.over_30_days_subtotal_suffix => RowKind::Over30Subtotal,
        _ => RowKind::Detail,
    }
}

/// The サービス種類コード part of a service code.
pub fn service_kind_of(service_code: &str) -> &str {
    service_code.get(..2).unwrap_or(service_code)
}

/// A 数字 or 整数 item: `None` when empty or not a (signed) integer. Amounts are signed: a 減算 service code
/// carries negative units (S2 第6表 No.8, 第7表 No.13 「整数」「月初日のみに減算の単位数を設定」).
pub fn number(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        value.parse().ok()
    }
}

/// サービス単位／金額 of a detail row: (割引後単位数, else 単位数) × 回数.
pub fn detail_amount(units: i64, discounted_units: Option<i64>, count: i64) -> i64 {
    discounted_units.unwrap_or(units) * count
}

/// 割引後単位数: 単位数 × 割引後率 %, rounded half away from zero (assumption A-7-DISCOUNT).
pub fn discounted_units(units: i64, rate_percent: i64) -> i64 {
    let hundredfold = units * rate_percent;
    let rounded = (hundredfold.abs() + 50) / 100;
    if hundredfold < 0 {
        -rounded
    } else {
        rounded
    }
}

/// 円未満切捨て: the yen part of an amount given in hundredths of a yen, rounded down.
fn yen_floor(hundredths: i64) -> i64 {
    hundredths.div_euclid(100)
}

/// 費用総額: 単位数 × 単位数単価 (in hundredths of a yen), yen below one truncated.
pub fn total_cost(units: i64, unit_price_hundredths: i64) -> i64 {
    yen_floor(units * unit_price_hundredths)
}

/// 保険請求額: 費用総額 × 給付率 / 100, truncated.
pub fn insurance_claim(total_cost: i64, benefit_rate: i64) -> i64 {
    yen_floor(total_cost * benefit_rate)
}

/// 区分支給限度基準を超える単位数 of a user: what the managed units exceed the limit by.
pub fn over_limit(managed_units: i64, limit: i64) -> i64 {
    (managed_units - limit).max(0)
}

/// The key of a user's 別表: 保険者番号, 被保険者番号, 対象年月.
pub type UserKey<'a> = (&'a str, &'a str, &'a str);

/// (サービス事業所コード, サービス種類コード): the rows the form totals together.
pub type Group<'a> = (&'a str, &'a str);

/// The rows of one user's 第7表, grouped as the form groups them.
#[derive(Default)]
pub struct Annex<'a> {
    /// detail rows per (office, service kind)
    pub details: BTreeMap<Group<'a>, Vec<usize>>,
    /// AAAA subtotal row per (office, service kind)
    pub subtotals: BTreeMap<Group<'a>, usize>,
    pub grand_total: Option<usize>,
    /// 区分支給対象外 種類別小計 (EEEE) row per (office, service kind)
    pub outside_limit: BTreeMap<Group<'a>, usize>,
}

/// Whether a group's service kind stands outside the 区分支給限度 (spec/codes.toml `category_limit`).
fn outside_limit_kind(group: &Group<'_>) -> bool {
    spec().outside_category_limit(group.1)
}

impl Annex<'_> {
    /// The row that carries a kind's limit, cost and claim (its AAAA subtotal, or its only detail row), with
    /// the kind's detail rows. A kind outside the 区分支給限度 has no such row: its amounts are in
    /// [`Annex::outside_rows`].
    pub fn summaries(&self) -> impl Iterator<Item = (usize, &[usize])> + '_ {
        self.details.iter().filter_map(|(group, rows)| match self.subtotals.get(group) {
            Some(&row) => Some((row, rows.as_slice())),
            None if rows.len() == 1 && !outside_limit_kind(group) => Some((rows[0], rows.as_slice())),
            None => None,
        })
    }

    /// The summary rows alone (see [`Annex::summaries`]).
    pub fn summary_rows(&self) -> Vec<usize> {
        self.summaries().map(|(row, _)| row).collect()
    }

    /// The rows that carry what is outside the 区分支給限度 and joins the limit-managed rows only in the 全合計
    /// (S2 第7表 No.9): every EEEE subtotal, and the detail rows of a kind outside the limit that wrote none
    /// (the EEEE row is 任意出力).
    pub fn outside_rows(&self) -> Vec<usize> {
        let without_subtotal = self
            .details
            .iter()
            .filter(|(group, _)| outside_limit_kind(group) && !self.outside_limit.contains_key(*group))
            .flat_map(|(_, rows)| rows.iter().copied());
        self.outside_limit.values().copied().chain(without_subtotal).collect()
    }

    /// The (office, kind) groups whose several detail rows need an AAAA subtotal: kinds inside the 区分支給限度
    /// (S2 第7表 No.9 「区分支給対象種類別小計…（サービスコードが複数行の場合は必須）」).
    pub fn missing_subtotals(&self) -> impl Iterator<Item = (&Group<'_>, &[usize])> + '_ {
        self.details.iter().filter_map(|(group, rows)| {
            (rows.len() > 1 && !self.subtotals.contains_key(group) && !outside_limit_kind(group))
                .then_some((group, rows.as_slice()))
        })
    }
}

pub type Annexes<'a> = BTreeMap<UserKey<'a>, Annex<'a>>;

/// The detail rows (one service code of one office) of a UPSIKYU document, in file order.
pub fn detail_rows<'a>(doc: &'a Document) -> impl Iterator<Item = usize> + 'a {
    let code = doc.column("service_code");
    doc.rows().filter(move |&row| row_kind(doc.at(row, code)) == RowKind::Detail)
}

/// The items [`annexes`] groups rows by: a user's key, the row's service code and office.
pub const ANNEX_ITEMS: [&str; 5] =
    ["insurer_number", "insured_number", "target_month", "service_code", "service_office_code"];

/// Every user's 別表 in a UPSIKYU document.
pub fn annexes(doc: &Document) -> Annexes<'_> {
    let [insurer, insured, month, code, office] = ANNEX_ITEMS.map(|id| doc.column(id));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_kinds() {
        assert_eq!(row_kind("111111"), RowKind::Detail);
        assert_eq!(row_kind("11AAAA"), RowKind::KindSubtotal);
        assert_eq!(row_kind("15EEEE"), RowKind::OutsideLimitSubtotal);
        assert_eq!(row_kind("21ZZZZ"), RowKind::Over30Subtotal);
        assert_eq!(row_kind("999999"), RowKind::GrandTotal);
    }

    #[test]
    fn amounts_truncate_as_the_form_does() {
        assert_eq!(detail_amount(396, None, 8), 3168);
        assert_eq!(detail_amount(396, Some(376), 8), 3008);
        // 3168 units at 11.40 yen = 36115.2 yen → 36115
        assert_eq!(total_cost(3168, 1140), 36115);
        // 90 % of 36115 = 32503.5 → 32503
        assert_eq!(insurance_claim(36115, 90), 32503);
        assert_eq!(over_limit(20000, 19705), 295);
        assert_eq!(over_limit(100, 19705), 0);
    }

    /// A 減算 row (S2 第6表 No.8: 「月初日のみに減算の単位数を設定」) counts with its sign everywhere.
    #[test]
    fn negative_units_stay_negative() {
        assert_eq!(number("-30"), Some(-30));
        assert_eq!(number("-"), None);
        assert_eq!(number("3-0"), None);
        assert_eq!(detail_amount(-30, None, 20), -600);
        // 600 units of reduction at 11.40 yen: −6840 yen exactly; −601 units: −6851.4 → −6852 (rounded down).
        assert_eq!(total_cost(-600, 1140), -6840);
        assert_eq!(total_cost(-601, 1140), -6852);
    }

    #[test]
    fn discounts_round_half_away_from_zero() {
        assert_eq!(discounted_units(396, 95), 376); // 376.2
        assert_eq!(discounted_units(395, 90), 356); // 355.5
        assert_eq!(discounted_units(-30, 90), -27);
    }
}
