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

/// Characters that change how a terminal or log viewer shows the text around them: controls (C0, DEL, C1), bidi
/// overrides and isolates (U+202E makes `evil\u{202E}VSC.exe` read as `evilexe.CSV`), line and paragraph separators,
/// zero-width characters and the BOM.
fn deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Text from outside (a file name, a path) as it may be printed or logged: every [`deceptive`] character written
/// as `\u{…}`, so what a person reads is what the text is.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(deceptive) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if deceptive(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn deceptive_characters_are_written_out_and_plain_text_is_borrowed() {
        assert_eq!(printable("evil\u{202E}VSC.exe"), "evil\\u{202E}VSC.exe");
        assert_eq!(printable("a\u{2028}b\tc\u{200B}\u{FEFF}"), "a\\u{2028}b\\u{0009}c\\u{200B}\\u{FEFF}");
        let plain = "UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV ケアプラン";
        assert!(matches!(printable(plain), std::borrow::Cow::Borrowed(text) if text == plain));
    }
}
