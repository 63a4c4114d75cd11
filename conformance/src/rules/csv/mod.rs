//! CSV syntax rules (CSV): the record structure of the file.

pub mod csv001_empty_file;
pub mod csv002_unterminated_quote;
pub mod csv003_stray_quote;
pub mod csv004_column_count;
pub mod csv005_blank_line;
pub mod csv006_header_row;
pub mod csv007_unquoted_free_text;
pub mod csv008_unknown_layout;
pub mod csv009_kind_not_certain;
pub mod csv010_empty_annex;
pub mod csv011_superseded_edition_for_month;
pub mod csv012_earlier_edition_not_checked;

use crate::codec::SyntaxIssue;
use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::Rule;

pub static RULES: &[&Rule] = &[
    &csv001_empty_file::RULE,
    &csv002_unterminated_quote::RULE,
    &csv003_stray_quote::RULE,
    &csv004_column_count::RULE,
    &csv005_blank_line::RULE,
    &csv006_header_row::RULE,
    &csv007_unquoted_free_text::RULE,
    &csv008_unknown_layout::RULE,
    &csv009_kind_not_certain::RULE,
    &csv010_empty_annex::RULE,
    &csv011_superseded_edition_for_month::RULE,
    &csv012_earlier_edition_not_checked::RULE,
];

/// The findings of a quoting rule: one per syntax issue `at` picks out, at its (line, column).
pub(crate) fn quote_findings(
    rule: &'static Rule,
    ctx: &ReadCtx<'_>,
    findings: &mut Vec<Finding>,
    at: fn(&SyntaxIssue) -> Option<(u32, u32)>,
) {
    for (line, column) in ctx.syntax_issues.iter().filter_map(at) {
        findings.push(Finding::new(&rule.meta).line(line).column(column).arg("column", column.to_string()));
    }
}
