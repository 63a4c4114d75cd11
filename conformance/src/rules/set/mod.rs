//! Set rules (SET): the files of one send unit (same ファイル連番) together.

pub mod set001_incomplete_send_unit;
pub mod set002_invalid_kind_combination;
pub mod set003_orphan_record;
pub mod set004_unit_party_mismatch;
pub mod set005_ticket_count_mismatch;
pub mod set006_limit_over_mismatch;
pub mod set007_unit_month_mismatch;
pub mod set008_duplicate_kind_in_unit;
pub mod set009_family_image_unmatched;
pub mod set010_plan_units_not_discounted;
pub mod set011_user_unrelated_to_recipient;

use crate::rules::ctx::SetCtx;
use crate::rules::Rule;
use crate::spec::{spec, SupplementMonth, Unit};

pub static RULES: &[&Rule] = &[
    &set001_incomplete_send_unit::RULE,
    &set002_invalid_kind_combination::RULE,
    &set003_orphan_record::RULE,
    &set004_unit_party_mismatch::RULE,
    &set005_ticket_count_mismatch::RULE,
    &set006_limit_over_mismatch::RULE,
    &set007_unit_month_mismatch::RULE,
    &set008_duplicate_kind_in_unit::RULE,
    &set009_family_image_unmatched::RULE,
    &set010_plan_units_not_discounted::RULE,
    &set011_user_unrelated_to_recipient::RULE,
];

/// The send unit these files most plausibly form: among the units that allow every kind present, the one whose
/// 利用者補足情報 month convention matches, then the one missing the fewest required kinds.
pub(crate) fn matching_unit(ctx: &SetCtx<'_>) -> Option<&'static Unit> {
    let kinds = ctx.kinds();
    let supplement_zero = ctx
        .files
        .iter()
        .filter_map(|file| file.parsed_name())
        .find(|name| name.kind == spec().unit_months.supplement)
        .map(|name| name.month.as_deref() == Some(spec().unit_months.plan.as_str()));
    spec().units.iter().filter(|unit| kinds.iter().all(|kind| unit.allows(kind))).min_by_key(|unit| {
        let month_mismatch = match (unit.supplement_month, supplement_zero) {
            (Some(SupplementMonth::Zero), Some(false)) | (Some(SupplementMonth::Service), Some(true)) => 1,
            _ => 0,
        };
        let missing = unit.required.iter().filter(|kind| !kinds.contains(&kind.as_str())).count();
        (month_mismatch, missing)
    })
}
