//! The machine-readable report. Stable schema: `rule`, `severity`, `line`, `column`, `field` are language-neutral;
//! `message` is in the chosen language, named by the top-level `lang`.

use serde::Serialize;

use crate::finding::Finding;
use crate::i18n::Lang;
use crate::validate::Report;

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub lang: &'static str,
    pub files: Vec<JsonFile<'a>>,
    pub set_findings: Vec<JsonFinding>,
    pub summary: JsonSummary,
}

#[derive(Serialize)]
pub struct JsonFile<'a> {
    pub path: &'a str,
    pub kind: Option<&'a str>,
    pub encoding: Option<&'static str>,
    pub records: usize,
    pub findings: Vec<JsonFinding>,
    /// findings left out past the per-rule limit, by rule code
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub suppressed: &'a std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
pub struct JsonFinding {
    pub rule: &'static str,
    pub severity: crate::finding::Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub message: String,
}

#[derive(Serialize)]
pub struct JsonSummary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

pub fn finding(finding: &Finding, lang: Lang) -> JsonFinding {
    JsonFinding {
        rule: finding.rule.code,
        severity: finding.severity(),
        file: finding.file.clone(),
        line: finding.line,
        column: finding.column,
        field: finding.field_id(),
        value: finding.value.clone(),
        message: finding.message(lang),
    }
}

pub fn build(report: &Report, lang: Lang) -> JsonReport<'_> {
    JsonReport {
        lang: lang.code(),
        files: report
            .files
            .iter()
            .map(|file| JsonFile {
                path: &file.path,
                kind: file.kind_code(),
                encoding: file.encoding.map(|e| e.name()),
                records: file.records(),
                findings: file.findings.iter().map(|f| finding(f, lang)).collect(),
                suppressed: &file.suppressed,
            })
            .collect(),
        set_findings: report.set_findings.iter().map(|f| finding(f, lang)).collect(),
        summary: JsonSummary { files: report.files.len(), errors: report.errors(), warnings: report.warnings() },
    }
}

pub fn render(report: &Report, lang: Lang) -> String {
    serde_json::to_string_pretty(&build(report, lang)).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
}
