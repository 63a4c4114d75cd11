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
pub mod fil015_repeated_plan_content;
pub mod fil016_detail_code_numbering;
pub mod fil017_detail_code_unused;
pub mod fil018_annex_numbering;
pub mod fil019_plan_goal_text_differs;

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
    &fil015_repeated_plan_content::RULE,
    &fil016_detail_code_numbering::RULE,
    &fil017_detail_code_unused::RULE,
    &fil018_annex_numbering::RULE,
    &fil019_plan_goal_text_differs::RULE,
];
