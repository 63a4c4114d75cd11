//! The terminal report: grouped by file, one line per finding with where it is, the rule and what to change.

use std::fmt::Write;

use crate::finding::{Finding, Severity};
use crate::i18n::Lang;
use crate::report::location;
use crate::validate::{FileReport, Report};

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "✗",
        Severity::Warning => "!",
    }
}

fn finding_line(out: &mut String, finding: &Finding, lang: Lang) {
    let _ = writeln!(
        out,
        "  {} {} {} [{} {}] {}",
        mark(finding.severity()),
        finding.severity().label(lang),
        location(finding, lang),
        finding.rule.code,
        finding.rule.name,
        super::printable(&finding.message(lang))
    );
}

fn file_header(out: &mut String, file: &FileReport, lang: Lang) {
    let kind = file.kind().map_or_else(
        || match lang {
            Lang::Ja => "種別不明".to_string(),
            Lang::En => "unknown kind".to_string(),
        },
        |kind| format!("{} {}", kind.code, kind.title.get(lang)),
    );
    let encoding = file.encoding.map_or("-", |e| e.name());
    let status = match (file.count(Severity::Error), file.count(Severity::Warning), lang) {
        (0, 0, Lang::Ja) => "問題なし".to_string(),
        (0, 0, Lang::En) => "ok".to_string(),
        (e, w, Lang::Ja) => format!("エラー {e} 件、警告 {w} 件"),
        (e, w, Lang::En) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
    };
    let records = match lang {
        Lang::Ja => format!("{} レコード", file.records()),
        Lang::En => format!("{} record{}", file.records(), plural(file.records())),
    };
    let _ = writeln!(out, "{}  ({kind}, {encoding}, {records}) — {status}", super::printable(&file.path));
}

pub fn render(report: &Report, lang: Lang) -> String {
    let mut out = String::new();
    for file in &report.files {
        file_header(&mut out, file, lang);
        for finding in &file.findings {
            finding_line(&mut out, finding, lang);
        }
        for (code, count) in &file.suppressed {
            let _ = match lang {
                Lang::Ja => writeln!(out, "  … {code} はほかに {count} 件（表示を省略）"),
                Lang::En => writeln!(out, "  … {count} more {code} findings not shown"),
            };
        }
    }
    if !report.set_findings.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::Ja => "送信単位（ファイルの組み合わせ）",
                Lang::En => "send units (files together)",
            }
        );
        for finding in &report.set_findings {
            let file = super::printable(finding.file.as_deref().map(crate::filename::base_name).unwrap_or(""));
            let mut line = String::new();
            finding_line(&mut line, finding, lang);
            let _ = write!(out, "{}", line.replacen("  ", &format!("  {file}: "), 1));
        }
    }
    let _ = match lang {
        Lang::Ja => writeln!(
            out,
            "\n結果: {} ファイル、エラー {} 件、警告 {} 件",
            report.files.len(),
            report.errors(),
            report.warnings()
        ),
        Lang::En => writeln!(
            out,
            "\nResult: {}, {}, {}",
            counted(report.files.len(), "file"),
            counted(report.errors(), "error"),
            counted(report.warnings(), "warning")
        ),
    };
    out
}

/// `1 file`, `2 files`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
