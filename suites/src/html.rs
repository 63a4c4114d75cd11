//! A single self-contained HTML page for a suite report: summary, every case with its requirement and evidence,
//! and an appendix with the documentation of every rule the evidence mentions (linked from each mention), so the
//! page reads the same offline.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::report::{Outcome, SuiteReport};
use conformance::i18n::Lang;
use conformance::report::markup_escape as escape;
use conformance::rule_meta::{DocSection, DocText};
use conformance::rules;

/// Rule codes (three capitals and three digits) in a text.
fn rule_codes(text: &str) -> Vec<&'static str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .filter(|&i| {
            bytes[i..i + 3].iter().all(u8::is_ascii_uppercase)
                && bytes[i + 3..i + 6].iter().all(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        })
        .filter_map(|i| rules::find(&text[i..i + 6]).map(|rule| rule.meta.code))
        .collect()
}

/// Escaped text with each rule code linked to its entry in the appendix.
fn linked(text: &str) -> String {
    let mut out = escape(text);
    let mut codes = rule_codes(text);
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        out = out.replace(code, &format!("<a href=\"#rule-{code}\">{code}</a>"));
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,'Hiragino Sans','Yu Gothic UI','Meiryo',sans-serif;margin:2rem;\
color:#1f2328;max-width:72rem}h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:\
1px solid #d0d7de;padding:.4rem .5rem;text-align:left;vertical-align:top}.pass{color:#1a7f37}.fail{color:#cf222e;\
font-weight:bold}.skip{color:#6e7781}.summary span{margin-right:1.5rem}pre{white-space:pre-wrap;margin:.3rem 0;\
font-size:.85rem}details summary{cursor:pointer}.rule{border-top:1px solid #d0d7de;padding-top:.5rem}\
.verdict{font-size:1.3rem;font-weight:bold;padding:.6rem 1rem;border:2px solid}.verdict.pass{border-color:#1a7f37}\
.verdict.fail{border-color:#cf222e}.provenance td{font-size:.85rem}\
@page{size:A4;margin:15mm}@media print{body{margin:0;max-width:none}details{display:block}details>*{display:block}}";

impl SuiteReport {
    pub fn html(&self, lang: Lang) -> String {
        let t = |ja: &'static str, en: &'static str| if lang == Lang::Ja { ja } else { en };
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{STYLE}</style></head><body>\n",
            lang.code(),
            escape(self.suite),
            escape(&self.target)
        );
        let _ = writeln!(
            out,
            "<h1>{} <code>{}</code></h1><p>{}</p>",
            t("適合性試験", "Conformance suite"),
            escape(self.suite),
            escape(&self.target)
        );
        let verdict_class = if self.passed() { "pass" } else { "fail" };
        let _ = writeln!(out, "<p class=\"verdict {verdict_class}\">{} {}</p>", t("判定", "Verdict"), self.verdict());
        // Red only for what failed: "不合格 0" is no alarm.
        let failed_class = if self.summary.failed > 0 { "fail" } else { "" };
        let _ = writeln!(
            out,
            "<p class=\"summary\"><span class=\"pass\">{} {}</span><span class=\"{failed_class}\">{} {}</span><span class=\"skip\">{} {}</span></p>",
            t("合格", "passed"),
            self.summary.passed,
            t("不合格", "failed"),
            self.summary.failed,
            t("省略", "skipped"),
            self.summary.skipped
        );
        if let Some(provenance) = &self.provenance {
            out.push_str("<table class=\"provenance\">");
            for (label, value) in provenance.entries() {
                let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(label), escape(&value));
            }
            let _ = write!(out, "<tr><th>SHA-256</th><td><details><summary>{}</summary>", provenance.inputs.len());
            for input in &provenance.inputs {
                let _ = write!(out, "<pre>{}  {}</pre>", escape(&input.sha256), escape(&input.path));
            }
            out.push_str("</details></td></tr></table>\n");
        }
        let _ = writeln!(
            out,
            "<table><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("結果", "outcome"),
            t("試験", "case"),
            t("根拠", "evidence")
        );
        let mut mentioned = BTreeSet::new();
        for result in &self.results {
            let (class, label) = match result.outcome {
                Outcome::Pass => ("pass", t("合格", "pass")),
                Outcome::Fail => ("fail", t("不合格", "FAIL")),
                Outcome::Skip => ("skip", t("省略", "skip")),
            };
            let evidence: String = result.evidence.iter().map(|line| format!("<pre>{}</pre>", linked(line))).collect();
            for line in &result.evidence {
                mentioned.extend(rule_codes(line));
            }
            let open = if result.outcome == Outcome::Fail { " open" } else { "" };
            let _ = writeln!(
                out,
                "<tr id=\"case-{id}\"><td>{id}</td><td class=\"{class}\">{label}</td><td>{title}<br><small>{requirement}</small></td>\
<td><details{open}><summary>{count}</summary>{evidence}</details></td></tr>",
                id = escape(result.id),
                title = escape(&result.title),
                requirement = escape(&result.requirement),
                count = result.evidence.len(),
            );
        }
        out.push_str("</table>\n");
        if !mentioned.is_empty() {
            let _ = writeln!(out, "<h2>{}</h2>", t("規則の説明", "Rules mentioned"));
            for code in mentioned {
                let Some(rule) = rules::find(code) else { continue };
                let meta = &rule.meta;
                let _ = write!(
                    out,
                    "<div class=\"rule\" id=\"rule-{code}\"><h3>{code} <code>{}</code> — {}</h3>",
                    meta.name,
                    escape(meta.title.get(lang)),
                );
                for DocSection { heading, text } in meta.doc_sections() {
                    let _ = match text {
                        DocText::Prose(text) => {
                            write!(out, "<p><b>{}</b> {}</p>", heading.get(lang), escape(text.get(lang)))
                        }
                        DocText::Example(example) => write!(out, "<pre>{}</pre>", escape(example)),
                    };
                }
                out.push_str("</div>\n");
            }
        }
        out.push_str("</body></html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CaseResult;

    #[test]
    fn rule_codes_in_evidence_link_to_the_appendix() {
        let report = SuiteReport::new(
            "export-check",
            "<vendor>".into(),
            Lang::Ja,
            vec![CaseResult {
                id: "UP1KYO",
                title: "第1表".into(),
                requirement: "no errors".into(),
                outcome: Outcome::Fail,
                evidence: vec!["FLD010 × 1".into(), "ABC123 is not a rule".into()],
                millis: 0,
            }],
        );
        let html = report.html(Lang::Ja);
        assert!(html.contains("<a href=\"#rule-FLD010\">FLD010</a>"));
        assert!(html.contains("id=\"rule-FLD010\""));
        assert!(!html.contains("rule-ABC123"));
        assert!(html.contains("&lt;vendor&gt;"), "text is escaped");
        assert!(!html.contains("http"), "self-contained: no external resource");
    }
}
