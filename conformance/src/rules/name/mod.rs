//! File-name rules (NAM): the v4.1 naming pattern and its agreement with the content.

pub mod nam001_invalid_file_name;
pub mod nam002_lowercase_extension;
pub mod nam003_month_mismatch;
pub mod nam004_kind_mismatch;
pub mod nam005_legacy_file_name;
pub mod nam006_same_sender_recipient;
pub mod nam007_party_kind;
pub mod nam008_sender_kind_mismatch;
pub mod nam009_sender_office_mismatch;
pub mod nam010_office_item_mismatch;
pub mod nam011_family_image_name;
pub mod nam012_recipient_outside_sender_table;

use crate::rules::Rule;

pub static RULES: &[&Rule] = &[
    &nam001_invalid_file_name::RULE,
    &nam002_lowercase_extension::RULE,
    &nam003_month_mismatch::RULE,
    &nam004_kind_mismatch::RULE,
    &nam005_legacy_file_name::RULE,
    &nam006_same_sender_recipient::RULE,
    &nam007_party_kind::RULE,
    &nam008_sender_kind_mismatch::RULE,
    &nam009_sender_office_mismatch::RULE,
    &nam010_office_item_mismatch::RULE,
    &nam011_family_image_name::RULE,
    &nam012_recipient_outside_sender_table::RULE,
];
