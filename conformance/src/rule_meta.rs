//! What a rule is, apart from what it checks: code, severity, level and its texts in both languages. A leaf below
//! both the findings (which point at a rule) and the rules (which raise findings).

use serde::Serialize;

use crate::i18n::{Lang, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Error, Lang::Ja) => "エラー",
            (Severity::Error, Lang::En) => "error",
            (Severity::Warning, Lang::Ja) => "警告",
            (Severity::Warning, Lang::En) => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Encoding,
    Syntax,
    Field,
    Record,
    Name,
    File,
    Set,
}

impl Level {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Level::Encoding, Lang::Ja) => "文字コード",
            (Level::Encoding, Lang::En) => "encoding",
            (Level::Syntax, Lang::Ja) => "CSV構文",
            (Level::Syntax, Lang::En) => "CSV syntax",
            (Level::Field, Lang::Ja) => "項目",
            (Level::Field, Lang::En) => "field",
            (Level::Record, Lang::Ja) => "レコード",
            (Level::Record, Lang::En) => "record",
            (Level::Name, Lang::Ja) => "ファイル名",
            (Level::Name, Lang::En) => "file name",
            (Level::File, Lang::Ja) => "ファイル",
            (Level::File, Lang::En) => "file",
            (Level::Set, Lang::Ja) => "送信単位",
            (Level::Set, Lang::En) => "send unit",
        }
    }
}

/// What a rule is, in both languages. Built with [`rule!`], which also writes it into the rule's rustdoc.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub level: Level,
    pub title: Text,
    /// template: `{item}` = the item as the spec names it, `{value}` = the offending value, `{name}` = an argument
    pub message: Text,
    pub what: Text,
    pub why: Text,
    pub fix: Text,
    /// a short illustration: the bad input and what the finding says
    pub example: &'static str,
    /// ids of documented assumptions this rule embodies
    pub assumptions: &'static [&'static str],
    /// the passages of the specification the rule enforces: document (S1 = 本体 第4.1版, S2 = CSVファイルレイアウト
    /// 定義書), section or table, item No. — see `spec::SOURCES`
    pub cites: &'static [&'static str],
}

/// A section of a rule's documentation: prose in both languages, or the example (shown as written).
#[derive(Debug, Clone, Copy)]
pub enum DocText {
    Prose(Text),
    Example(&'static str),
}

/// A heading and its text, as every rendering of a rule's documentation shows it.
#[derive(Debug, Clone, Copy)]
pub struct DocSection {
    pub heading: Text,
    pub text: DocText,
}

impl RuleMeta {
    /// The rule's documentation, in the order and under the headings every rendering uses (`docs/rules/*.md`,
    /// `careplan-conformance explain`, the HTML report's appendix; the rustdoc `rule!` writes follows it too):
    /// what it checks, why it matters, how to fix, an example. Each rendering only formats these.
    pub fn doc_sections(&self) -> [DocSection; 4] {
        [
            DocSection { heading: Text { ja: "検査内容", en: "What it checks" }, text: DocText::Prose(self.what) },
            DocSection {
                heading: Text { ja: "なぜ重要か", en: "Why it matters" }, text: DocText::Prose(self.why)
            },
            DocSection { heading: Text { ja: "直し方", en: "How to fix" }, text: DocText::Prose(self.fix) },
            DocSection { heading: Text { ja: "例", en: "Example" }, text: DocText::Example(self.example) },
        ]
    }
}

impl PartialEq for RuleMeta {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

/// What a field rule checks about a value (for the coverage matrix and the item reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aspect {
    Required,
    Type,
    Length,
    Codes,
    Format,
    /// how the value is written: its characters and its quoting
    Representation,
}
