//! The report every suite gives: its cases with outcome and evidence, the provenance, and the text form.

use std::fmt::Write;

use serde::Serialize;

use crate::provenance::Provenance;
use conformance::i18n::{Lang, Text};
use conformance::report::markup_escape as escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Outcome::Pass, Lang::Ja) => "合格",
            (Outcome::Pass, Lang::En) => "pass",
            (Outcome::Fail, Lang::Ja) => "不合格",
            (Outcome::Fail, Lang::En) => "FAIL",
            (Outcome::Skip, Lang::Ja) => "省略",
            (Outcome::Skip, Lang::En) => "skip",
        }
    }
}

/// A case of a suite: stable id, title and the requirement it checks, in both languages.
#[derive(Debug)]
pub struct CaseInfo {
    pub id: &'static str,
    pub title: Text,
    pub requirement: Text,
}

/// What happened when a case ran.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: &'static str,
    pub title: String,
    pub requirement: String,
    pub outcome: Outcome,
    /// requests made, statuses seen, and for a failure the mismatch
    pub evidence: Vec<String>,
    pub millis: u64,
}

#[derive(Debug, Serialize)]
pub struct SuiteReport {
    pub suite: &'static str,
    pub target: String,
    pub lang: &'static str,
    pub results: Vec<CaseResult>,
    pub summary: Summary,
    /// what was checked, with which tool and spec, when and for which product (set by the CLI)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl SuiteReport {
    pub fn new(suite: &'static str, target: String, lang: Lang, results: Vec<CaseResult>) -> SuiteReport {
        let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
        let summary =
            Summary { passed: count(Outcome::Pass), failed: count(Outcome::Fail), skipped: count(Outcome::Skip) };
        SuiteReport { suite, target, lang: lang.code(), results, summary, provenance: None }
    }

    pub fn with_provenance(self, provenance: Provenance) -> SuiteReport {
        SuiteReport { provenance: Some(provenance), ..self }
    }

    /// Passed: no case failed and at least one passed (a suite that checked nothing certifies nothing).
    pub fn passed(&self) -> bool {
        self.summary.failed == 0 && self.summary.passed > 0
    }

    /// The verdict in both languages.
    pub fn verdict(&self) -> &'static str {
        if self.passed() {
            "合格 PASSED"
        } else {
            "不合格 FAILED"
        }
    }

    pub fn human(&self, lang: Lang) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.suite, self.target);
        for result in &self.results {
            let mark = match result.outcome {
                Outcome::Pass => "✓",
                Outcome::Fail => "✗",
                Outcome::Skip => "-",
            };
            let _ = writeln!(out, "  {mark} {} {:<6} {}", result.id, result.outcome.label(lang), result.title);
            if result.outcome != Outcome::Pass {
                for line in &result.evidence {
                    let _ = writeln!(out, "        {line}");
                }
            }
        }
        let _ = match lang {
            Lang::Ja => writeln!(
                out,
                "\n合格 {} 件、不合格 {} 件、省略 {} 件",
                self.summary.passed, self.summary.failed, self.summary.skipped
            ),
            Lang::En => writeln!(
                out,
                "\n{} passed, {} failed, {} skipped",
                self.summary.passed, self.summary.failed, self.summary.skipped
            ),
        };
        let _ = writeln!(out, "判定 verdict: {}", self.verdict());
        for (label, value) in self.provenance.iter().flat_map(Provenance::entries) {
            let _ = writeln!(out, "{label}: {value}");
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
    }

    pub fn junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            escape(self.suite),
            self.results.len(),
            self.summary.failed,
            self.summary.skipped
        );
        if let Some(provenance) = &self.provenance {
            out.push_str("  <properties>\n");
            let mut property = |name: &str, value: &str| {
                let _ = writeln!(out, "    <property name=\"{}\" value=\"{}\"/>", escape(name), escape(value));
            };
            property("tool", &provenance.tool);
            property("git_commit", &provenance.git_commit);
            property("spec_edition", &provenance.spec_edition);
            property("csv_version", &provenance.csv_version);
            property("generated_at", &provenance.generated_at);
            property("product", provenance.product.as_deref().unwrap_or(""));
            property("profile", provenance.profile.as_deref().unwrap_or(""));
            for input in &provenance.inputs {
                property(&format!("sha256:{}", input.path), &input.sha256);
            }
            out.push_str("  </properties>\n");
        }
        for result in &self.results {
            let name = format!("{} {}", result.id, result.title);
            let _ = write!(
                out,
                "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
                escape(self.suite),
                escape(&name),
                result.millis as f64 / 1000.0
            );
            match result.outcome {
                Outcome::Pass => {}
                Outcome::Skip => out.push_str("<skipped/>"),
                Outcome::Fail => {
                    let _ = write!(
                        out,
                        "<failure message=\"{}\">{}</failure>",
                        escape(&result.requirement),
                        escape(&result.evidence.join("\n"))
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("</testsuite>\n");
        out
    }
}
