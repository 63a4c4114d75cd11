use crate::codec::SyntaxIssue;
use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV005",
    name: "blank-line",
    severity: Warning,
    level: Syntax,
    title: { ja: "空行", en: "Blank line" },
    message: {
        ja: "空行があります。",
        en: "Blank line.",
    },
    what: {
        ja: "レコードとレコードの間、またはファイルの末尾にある空行を検査します（最後のレコードの改行は空行ではありません）。",
        en: "Checks for empty lines between records or at the end of the file (the line break after the last record is not one).",
    },
    why: {
        ja: "空行を空のレコードとして読み込み、エラーにする受信側があります。",
        en: "Some receivers read a blank line as an empty record and reject it.",
    },
    fix: {
        ja: "空行を出力しないでください。",
        en: "Do not write blank lines.",
    },
    example: "202407,…\\r\\n\\r\\n202407,…  ← an empty line between two records",
    cites: [
        "S1 §4.2 ファイル形式 CSV",
        "S2 every table: each line is a record whose No.1 CSVバージョン is 必須",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    for issue in ctx.syntax_issues {
        if let SyntaxIssue::BlankLine { line } = *issue {
            findings.push(Finding::new(&RULE.meta).line(line));
        }
    }
}
