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

/// Text for XML and HTML: the five special characters as entities, other control characters as numeric references.
pub fn markup_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
    out
}
