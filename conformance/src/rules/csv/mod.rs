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

use crate::codec::SyntaxIssue;
use crate::finding::Finding;
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
];

/// The finding for a problem the tokenizer met.
pub fn syntax_finding(issue: &SyntaxIssue) -> Finding {
    match *issue {
        SyntaxIssue::UnterminatedQuote { line, column } => Finding::new(&csv002_unterminated_quote::RULE.meta)
            .line(line)
            .column(column)
            .arg("column", column.to_string()),
        SyntaxIssue::StrayQuote { line, column } => {
            Finding::new(&csv003_stray_quote::RULE.meta).line(line).column(column).arg("column", column.to_string())
        }
        SyntaxIssue::BlankLine { line } => Finding::new(&csv005_blank_line::RULE.meta).line(line),
    }
}
