//! Record rules (REC): relations between the items of one record.

pub mod rec001_period_reversed;
pub mod rec002_first_plan_after_plan;
pub mod rec003_start_after_end;
pub mod rec004_weekly_row_shape;
pub mod rec005_hierarchy_number_missing;
pub mod rec006_service_date_outside_month;
pub mod rec007_other_reason_mismatch;
pub mod rec008_equipment_code_missing;
pub mod rec009_total_row_shape;
pub mod rec010_supplement_key_pair;
pub mod rec011_service_kind_not_covered;
pub mod rec012_day_flags_beyond_month;
pub mod rec013_managed_units_outside_limit;
pub mod rec014_detail_code_outside_rental;
pub mod rec015_type_limit_slot_gap;
pub mod rec016_short_stay_kind_not_22;
pub mod rec017_time_display_mismatch;
pub mod rec018_reason_text_missing;
pub mod rec019_equipment_code_both;

use crate::rules::Rule;

pub static RULES: &[&Rule] = &[
    &rec001_period_reversed::RULE,
    &rec002_first_plan_after_plan::RULE,
    &rec003_start_after_end::RULE,
    &rec004_weekly_row_shape::RULE,
    &rec005_hierarchy_number_missing::RULE,
    &rec006_service_date_outside_month::RULE,
    &rec007_other_reason_mismatch::RULE,
    &rec008_equipment_code_missing::RULE,
    &rec009_total_row_shape::RULE,
    &rec010_supplement_key_pair::RULE,
    &rec011_service_kind_not_covered::RULE,
    &rec012_day_flags_beyond_month::RULE,
    &rec013_managed_units_outside_limit::RULE,
    &rec014_detail_code_outside_rental::RULE,
    &rec015_type_limit_slot_gap::RULE,
    &rec016_short_stay_kind_not_22::RULE,
    &rec017_time_display_mismatch::RULE,
    &rec018_reason_text_missing::RULE,
    &rec019_equipment_code_both::RULE,
];
