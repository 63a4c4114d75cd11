//! `explain`: one rule's documentation, as the `rule!` macro wrote it.

use std::process::ExitCode;

use anyhow::{bail, Result};
use conformance::i18n::Lang;
use conformance::rule_meta::{DocSection, DocText};
use conformance::rules;
use conformance::spec::assumptions;

use crate::output::emit;

pub fn run(code: &str, lang: Lang) -> Result<ExitCode> {
    let Some(rule) = rules::find(code) else {
        bail!("規則 {code} はありません no rule {code}; 一覧 list: `careplan-conformance rules`");
    };
    emit(&explain(&rule.meta, lang))?;
    Ok(ExitCode::SUCCESS)
}

fn explain(meta: &rules::RuleMeta, lang: Lang) -> String {
    let heading = |ja: &'static str, en: &'static str| if lang == Lang::Ja { ja } else { en };
    let mut out = format!(
        "{} {} — {}\n{}: {}   {}: {}\n\n",
        meta.code,
        meta.name,
        meta.title.get(lang),
        heading("重大度", "Severity"),
        meta.severity.label(lang),
        heading("レベル", "Level"),
        meta.level.label(lang),
    );
    for DocSection { heading, text } in meta.doc_sections() {
        out.push_str(&match text {
            DocText::Prose(text) => format!("## {}\n{}\n\n", heading.get(lang), text.get(lang)),
            DocText::Example(example) => format!("## {}\n{example}\n", heading.get(lang)),
        });
    }
    out.push_str(&format!("\n## {}\n", heading("出典（標準仕様）", "Source (the specification)")));
    for cite in meta.cites {
        out.push_str(&format!("- {cite}\n"));
    }
    if !meta.assumptions.is_empty() {
        out.push_str(&format!("\n## {}\n", heading("前提とした解釈", "Documented assumptions")));
        for id in meta.assumptions {
            if let Some(assumption) = assumptions::find(id) {
                out.push_str(&format!("- {id}: {}\n", assumption.text.get(lang)));
            }
        }
    }
    out
}
