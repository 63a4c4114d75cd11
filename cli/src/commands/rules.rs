//! `rules`: the rule catalogue, one line per rule or as JSON.

use std::process::ExitCode;

use anyhow::Result;
use conformance::i18n::Lang;
use conformance::rules;

use crate::args::ListFormat;
use crate::output::emit;

pub fn run(format: ListFormat, lang: Lang) -> Result<ExitCode> {
    emit(&list_rules(format, lang)?)?;
    Ok(ExitCode::SUCCESS)
}

fn list_rules(format: ListFormat, lang: Lang) -> Result<String> {
    Ok(match format {
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = rules::all()
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.meta.code,
                        "name": rule.meta.name,
                        "severity": rule.meta.severity,
                        "level": rule.meta.level,
                        "title": rule.meta.title.get(lang),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rules)? + "\n"
        }
        ListFormat::Human => {
            let mut out = String::new();
            for rule in rules::all() {
                let meta = &rule.meta;
                out.push_str(&format!(
                    "{}  {:<8} {:<30} {}\n",
                    meta.code,
                    meta.severity.label(lang),
                    meta.name,
                    meta.title.get(lang)
                ));
            }
            out
        }
    })
}
