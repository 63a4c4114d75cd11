//! Field rules (FLD): each value against its item's type, length, code table and format.

pub mod fld001_required_missing;
pub mod fld002_likely_required_missing;
pub mod fld003_not_numeric;
pub mod fld004_too_long;
pub mod fld005_wrong_length;
pub mod fld006_invalid_date;
pub mod fld007_invalid_month;
pub mod fld008_invalid_time;
pub mod fld009_time_2400;
pub mod fld010_unknown_code;
pub mod fld011_invalid_office_number;
pub mod fld012_invalid_insurer_number;
pub mod fld013_invalid_insured_number;
pub mod fld014_invalid_postal_code;
pub mod fld015_invalid_phone;
pub mod fld016_invalid_decimal;
pub mod fld017_unused_item_not_empty;
pub mod fld018_uncertain_length_exceeded;
pub mod fld019_invalid_format;
pub mod fld020_unknown_csv_version;
pub mod fld021_deprecated_csv_version;
pub mod fld022_superseded_csv_version;
pub mod fld023_equipment_code_printed_hyphen;
pub mod fld024_out_of_range;
pub mod fld025_day_flags_all_zero;
pub mod fld026_unknown_subtotal_code;

use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::Rule;
use crate::spec::Item;

pub static RULES: &[&Rule] = &[
    &fld001_required_missing::RULE,
    &fld002_likely_required_missing::RULE,
    &fld003_not_numeric::RULE,
    &fld004_too_long::RULE,
    &fld005_wrong_length::RULE,
    &fld006_invalid_date::RULE,
    &fld007_invalid_month::RULE,
    &fld008_invalid_time::RULE,
    &fld009_time_2400::RULE,
    &fld010_unknown_code::RULE,
    &fld011_invalid_office_number::RULE,
    &fld012_invalid_insurer_number::RULE,
    &fld013_invalid_insured_number::RULE,
    &fld014_invalid_postal_code::RULE,
    &fld015_invalid_phone::RULE,
    &fld016_invalid_decimal::RULE,
    &fld017_unused_item_not_empty::RULE,
    &fld018_uncertain_length_exceeded::RULE,
    &fld019_invalid_format::RULE,
    &fld020_unknown_csv_version::RULE,
    &fld021_deprecated_csv_version::RULE,
    &fld022_superseded_csv_version::RULE,
    &fld023_equipment_code_printed_hyphen::RULE,
    &fld024_out_of_range::RULE,
    &fld025_day_flags_all_zero::RULE,
    &fld026_unknown_subtotal_code::RULE,
];

/// The value is one of the item's special values (`000000`, `9999`, …).
pub(crate) fn is_allowed_special(item: &Item, value: &str) -> bool {
    item.allow.iter().any(|special| special == value)
}

/// A value to check against the item's shape: non-empty and not a special value.
pub(crate) fn checkable<'a>(ctx: &FieldCtx<'a>) -> Option<&'a str> {
    (!ctx.value.is_empty() && !is_allowed_special(ctx.item, ctx.value)).then_some(ctx.value)
}

/// The special values, for messages: "（または 000000）" / " (or 000000)".
pub(crate) fn specials(item: &Item) -> (String, String) {
    if item.allow.is_empty() {
        (String::new(), String::new())
    } else {
        let list = item.allow.join(", ");
        (format!("（または {list}）"), format!(" (or {list})"))
    }
}

/// A hint when a value uses full-width digits or letters where ASCII is required.
pub(crate) fn width_hint(value: &str) -> (String, String) {
    if value.chars().any(|c| ('０'..='９').contains(&c) || ('Ａ'..='Ｚ').contains(&c) || c == '－' || c == '＿') {
        let ascii: String = value
            .chars()
            .map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '－' => '-',
                _ => c,
            })
            .collect();
        (
            format!("全角文字が含まれています。半角の「{ascii}」にしてください。"),
            format!(" It contains full-width characters: write '{ascii}'."),
        )
    } else {
        (String::new(), String::new())
    }
}

/// A finding of `rule` at the value, with the width hint filled in.
pub(crate) fn shape_finding(rule: &'static Rule, ctx: &FieldCtx<'_>) -> Finding {
    let (ja, en) = width_hint(ctx.value);
    ctx.finding(rule).arg2("hint", ja, en)
}
