//! JUnit XML for CI: one test suite per file (plus one for the send units), one test case per rule that applies,
//! failed when it has error findings. Warnings are reported as `system-out` so CI stays green on them.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::finding::{Finding, Severity};
use crate::i18n::Lang;
use crate::report::{location, markup_escape as escape};
use crate::validate::Report;

fn suite(out: &mut String, name: &str, findings: &[&Finding], lang: Lang) {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_rule.entry(finding.rule.code).or_default().push(finding);
    }
    let failures = by_rule.values().filter(|fs| fs.iter().any(|f| f.severity() == Severity::Error)).count();
    let cases = by_rule.len().max(1);
    let _ =
        writeln!(out, "  <testsuite name=\"{}\" tests=\"{cases}\" failures=\"{failures}\" errors=\"0\">", escape(name));
    if by_rule.is_empty() {
        let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"valid\"/>", escape(name));
    }
    for (code, findings) in by_rule {
        let title = findings[0].rule.title.get(lang);
        let _ = writeln!(out, "    <testcase classname=\"{}\" name=\"{code} {}\">", escape(name), escape(title));
        let details: String =
            findings.iter().map(|f| format!("{}: {}\n", location(f, lang), f.message(lang))).collect();
        if findings.iter().any(|f| f.severity() == Severity::Error) {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{code}\">{}</failure>",
                escape(&findings[0].message(lang)),
                escape(&details)
            );
        } else {
            let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&details));
        }
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
}

pub fn render(report: &Report, lang: Lang) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"careplan-conformance validate\" failures=\"{}\">", report.errors());
    for file in &report.files {
        let findings: Vec<&Finding> = file.findings.iter().collect();
        suite(&mut out, &file.path, &findings, lang);
    }
    if !report.set_findings.is_empty() {
        let findings: Vec<&Finding> = report.set_findings.iter().collect();
        let name = match lang {
            Lang::Ja => "送信単位",
            Lang::En => "send units",
        };
        suite(&mut out, name, &findings, lang);
    }
    out.push_str("</testsuites>\n");
    out
}
