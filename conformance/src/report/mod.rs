//! Reports of a validation run: for people ([`human`]) and for machines ([`json`], [`junit`]).

pub mod human;
pub mod json;
pub mod junit;

use crate::finding::Finding;
use crate::i18n::Lang;

/// Where a finding points, as one short string: `line 12, No.5` / `12 行目 No.5`.
pub fn location(finding: &Finding, lang: Lang) -> String {
    match (finding.line, finding.column, lang) {
        (Some(line), Some(column), Lang::Ja) => format!("{line} 行目 No.{column}"),
        (Some(line), Some(column), Lang::En) => format!("line {line}, No.{column}"),
        (Some(line), None, Lang::Ja) => format!("{line} 行目"),
        (Some(line), None, Lang::En) => format!("line {line}"),
        (None, _, Lang::Ja) => "ファイル全体".to_string(),
        (None, _, Lang::En) => "whole file".to_string(),
    }
}
