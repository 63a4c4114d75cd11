//! A finding: one rule violated at one place. Findings stay language-neutral until a report renders them.

use crate::i18n::Lang;
use crate::rule_meta::RuleMeta;
pub use crate::rule_meta::Severity;
use crate::spec::{Item, Kind};

/// The item a finding is about.
#[derive(Debug, Clone, Copy)]
pub struct ItemRef {
    pub kind: &'static Kind,
    pub item: &'static Item,
}

impl ItemRef {
    /// As the spec writes it: 「第6表 No.12 サービス開始時刻」 / "Table 6 No.12 start time (サービス開始時刻)".
    pub fn label(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => format!("{} No.{} {}", self.kind.table.ja, self.item.no, self.item.name),
            Lang::En => {
                format!("{} No.{} {} ({})", self.kind.table.en, self.item.no, self.item.english_name(), self.item.name)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// for findings about a set of files: the file they point into
    pub file: Option<String>,
    /// 1-based physical line
    pub line: Option<u32>,
    /// 1-based field position (= item No.)
    pub column: Option<u32>,
    pub item: Option<ItemRef>,
    /// the offending value, shown as the file has it
    pub value: Option<String>,
    /// named parts of the message; a value is either language-neutral or given in both languages
    pub args: Vec<(&'static str, Arg)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Plain(String),
    Localized { ja: String, en: String },
}

impl Arg {
    fn get(&self, lang: Lang) -> &str {
        match (self, lang) {
            (Arg::Plain(text), _) => text,
            (Arg::Localized { ja, .. }, Lang::Ja) => ja,
            (Arg::Localized { en, .. }, Lang::En) => en,
        }
    }
}

impl Finding {
    pub fn new(rule: &'static RuleMeta) -> Finding {
        Finding { rule, file: None, line: None, column: None, item: None, value: None, args: Vec::new() }
    }

    pub fn line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }

    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Points the finding at an item: sets the column to the item's No.
    pub fn item(mut self, kind: &'static Kind, item: &'static Item) -> Self {
        self.column = Some(u32::from(item.no));
        self.item = Some(ItemRef { kind, item });
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Plain(value.into())));
        self
    }

    pub fn arg2(mut self, name: &'static str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        self.args.push((name, Arg::Localized { ja: ja.into(), en: en.into() }));
        self
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }

    /// The language-neutral item identifier for machine-readable reports.
    pub fn field_id(&self) -> Option<&'static str> {
        self.item.map(|r| r.item.id.as_str())
    }

    /// The message in `lang`: the rule's template with `{item}`, `{value}` and the named arguments filled in.
    pub fn message(&self, lang: Lang) -> String {
        let mut text = self.rule.message.get(lang).to_string();
        if let Some(item) = &self.item {
            text = text.replace("{item}", &item.label(lang));
        }
        if let Some(value) = &self.value {
            text = text.replace("{value}", &printable(value));
        }
        for (name, value) in &self.args {
            text = text.replace(&format!("{{{name}}}"), value.get(lang));
        }
        text
    }
}

/// A value as it can be shown on one line: control characters and line breaks made visible, long values cut.
pub fn printable(value: &str) -> String {
    const LIMIT: usize = 60;
    let mut out = String::new();
    for (count, c) in value.chars().enumerate() {
        if count == LIMIT {
            out.push('…');
            break;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
