//! The rule catalogue. Every rule has a stable code, a severity, and its own module whose metadata (in Japanese
//! and English) is both its documentation (rustdoc, `explain`, `docs/`) and the source of its messages.
//!
//! Levels, in the order data flows: encoding (ENC) and CSV syntax (CSV) while reading bytes; field (FLD) per
//! value; record (REC) across the items of one row; file name (NAM) and file (FIL) per file; set (SET) across the
//! files of one send unit.

pub mod csv;
pub mod ctx;
pub mod encoding;
pub mod field;
pub mod file;
pub mod name;
pub mod record;
pub mod set;

use crate::finding::Finding;
pub use crate::rule_meta::{Aspect, Level, RuleMeta};
use crate::spec::Item;
use ctx::{FieldCtx, FileCtx, LayoutCtx, ReadCtx, RecordCtx, SetCtx};

/// How the engine runs a rule, and what it looks at.
pub enum Check {
    /// Runs once on what reading the bytes found: the encoding, bytes that did not decode, the tokenizer's
    /// syntax issues, line endings.
    Read(fn(&ReadCtx<'_>, &mut Vec<Finding>)),
    /// Runs once on how the records are laid out: a header row, the kind they are read as, rows of another width.
    Layout(fn(&LayoutCtx<'_>, &mut Vec<Finding>)),
    /// Runs on each value, of any item, that has a character outside printable ASCII: the character rules.
    Characters(fn(&FieldCtx<'_>, &mut Vec<Finding>)),
    /// Runs on each value of the items `applies` selects.
    Field { aspect: Aspect, applies: fn(&Item) -> bool, check: fn(&FieldCtx<'_>, &mut Vec<Finding>) },
    /// Runs on each record of the kinds it names.
    Record {
        kinds: &'static [&'static str],
        reads: &'static [&'static str],
        check: fn(&RecordCtx<'_>, &mut Vec<Finding>),
    },
    /// Runs on the file name (and the items of any kind it compares with the name, `reads`).
    Name { reads: &'static [&'static str], check: fn(&FileCtx<'_>, &mut Vec<Finding>) },
    /// Runs once on a whole file of the kinds it names.
    File { kinds: &'static [&'static str], reads: &'static [&'static str], check: fn(&FileCtx<'_>, &mut Vec<Finding>) },
    /// Runs once on each send unit; reads the (kind, item) pairs listed, and the join keys of `units.toml` when
    /// `unit_keys`.
    Set { reads: &'static [(&'static str, &'static str)], unit_keys: bool, check: fn(&SetCtx<'_>, &mut Vec<Finding>) },
}

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// Declares a rule's metadata and writes the same texts into its rustdoc, so the documentation cannot drift.
macro_rules! rule {
    (
        code: $code:literal,
        name: $name:literal,
        severity: $severity:ident,
        level: $level:ident,
        title: { ja: $title_ja:literal, en: $title_en:literal $(,)? },
        message: { ja: $message_ja:literal, en: $message_en:literal $(,)? },
        what: { ja: $what_ja:literal, en: $what_en:literal $(,)? },
        why: { ja: $why_ja:literal, en: $why_en:literal $(,)? },
        fix: { ja: $fix_ja:literal, en: $fix_en:literal $(,)? },
        example: $example:literal,
        cites: [$($cite:literal),+ $(,)?],
        $(assumptions: [$($assumption:literal),* $(,)?],)?
        check: $check:expr $(,)?
    ) => {
        // The sections of `RuleMeta::doc_sections`, in its order (a macro cannot call it).
        #[doc = concat!(
            "**", $code, " `", $name, "`** — ", $title_en, " / ", $title_ja, "\n\n",
            "## What it checks\n\n", $what_en, "\n\n",
            "## Why it matters\n\n", $why_en, "\n\n",
            "## How to fix\n\n", $fix_en, "\n\n",
            "## Example\n\n```text\n", $example, "\n```\n\n",
            "## Source / 出典\n\n", $("- ", $cite, "\n",)+ "\n",
            "## 検査内容\n\n", $what_ja, "\n\n",
            "## なぜ重要か\n\n", $why_ja, "\n\n",
            "## 直し方\n\n", $fix_ja, "\n"
        )]
        pub static RULE: $crate::rules::Rule = $crate::rules::Rule {
            meta: $crate::rules::RuleMeta {
                code: $code,
                name: $name,
                severity: $crate::finding::Severity::$severity,
                level: $crate::rules::Level::$level,
                title: $crate::i18n::Text { ja: $title_ja, en: $title_en },
                message: $crate::i18n::Text { ja: $message_ja, en: $message_en },
                what: $crate::i18n::Text { ja: $what_ja, en: $what_en },
                why: $crate::i18n::Text { ja: $why_ja, en: $why_en },
                fix: $crate::i18n::Text { ja: $fix_ja, en: $fix_en },
                example: $example,
                assumptions: &[$($($assumption),*)?],
                cites: &[$($cite),+],
            },
            check: $check,
        };
    };
}
pub(crate) use rule;

/// Every rule, in catalogue order.
pub fn all() -> &'static [&'static Rule] {
    static ALL: std::sync::LazyLock<Vec<&'static Rule>> = std::sync::LazyLock::new(|| {
        let mut rules: Vec<&'static Rule> = Vec::new();
        rules.extend_from_slice(encoding::RULES);
        rules.extend_from_slice(csv::RULES);
        rules.extend_from_slice(field::RULES);
        rules.extend_from_slice(record::RULES);
        rules.extend_from_slice(name::RULES);
        rules.extend_from_slice(file::RULES);
        rules.extend_from_slice(set::RULES);
        rules
    });
    &ALL
}

pub fn find(code: &str) -> Option<&'static Rule> {
    all().iter().copied().find(|rule| rule.meta.code.eq_ignore_ascii_case(code) || rule.meta.name == code)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in all() {
            let meta = &rule.meta;
            assert!(codes.insert(meta.code), "duplicate code {}", meta.code);
            assert!(names.insert(meta.name), "duplicate name {}", meta.name);
            let prefix = &meta.code[..3];
            let expected = match meta.level {
                Level::Encoding => "ENC",
                Level::Syntax => "CSV",
                Level::Field => "FLD",
                Level::Record => "REC",
                Level::Name => "NAM",
                Level::File => "FIL",
                Level::Set => "SET",
            };
            assert_eq!(prefix, expected, "{} is at level {:?}", meta.code, meta.level);
            for text in [meta.title, meta.message, meta.what, meta.why, meta.fix] {
                assert!(!text.ja.is_empty() && !text.en.is_empty(), "{} has an empty text", meta.code);
                // Words outside placeholders must be Japanese in the Japanese text.
                let words: String =
                    text.ja.split('{').map(|part| part.split_once('}').map_or(part, |(_, rest)| rest)).collect();
                let untranslated = words.chars().any(|c| c.is_ascii_alphabetic()) && words.is_ascii();
                assert!(!untranslated, "{}: Japanese text looks English: {}", meta.code, text.ja);
            }
            for id in meta.assumptions {
                assert!(crate::spec::assumptions::find(id).is_some(), "{} cites unknown assumption {id}", meta.code);
            }
            assert!(!meta.cites.is_empty(), "{} cites no passage of the spec", meta.code);
            for cite in meta.cites {
                assert!(
                    crate::spec::cite_is_known(cite),
                    "{}: citation names no sentence or source: {cite}",
                    meta.code
                );
            }
        }
    }

    #[test]
    fn message_placeholders_match_between_languages() {
        let placeholders = |text: &str| {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            found.sort();
            found
        };
        for rule in all() {
            assert_eq!(
                placeholders(rule.meta.message.ja),
                placeholders(rule.meta.message.en),
                "{}: placeholders differ",
                rule.meta.code
            );
        }
    }
}
