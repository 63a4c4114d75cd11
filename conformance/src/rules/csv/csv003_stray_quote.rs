use crate::codec::SyntaxIssue;
use crate::finding::Finding;
use crate::rules::csv::quote_findings;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV003",
    name: "stray-quote",
    severity: Error,
    level: Syntax,
    title: { ja: "項目の途中のダブルクォート", en: "Stray quote" },
    message: {
        ja: "{column} 番目の項目に、囲みでないダブルクォートがあるか、閉じた \" の後に文字があります。",
        en: "Field {column} has a quote that does not enclose it, or text after its closing quote.",
    },
    what: {
        ja: "\" で囲まれていない項目の中の \"、または閉じる \" の直後にカンマ・改行以外の文字がある項目を検査します。",
        en: "Checks for a \" inside an unquoted field, and for characters other than a comma or line break right after a closing quote.",
    },
    why: {
        ja: "受信側の CSV 読み込みによって解釈が分かれ、項目の区切りがずれることがあります。",
        en: "CSV readers disagree on such fields, so items can shift on the receiving side.",
    },
    fix: {
        ja: "\" を含む値は項目全体を \" で囲み、中の \" を \"\" にしてください。",
        en: "Enclose any value containing \" in quotes and double the inner quotes.",
    },
    example: r#"…,訪問"介護",…  or  …,"訪問"介護,…"#,
    cites: [
        "S1-4.2-a",
        "S2-form-a",
        "S2-foot-b",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    quote_findings(&RULE, ctx, findings, |issue| match *issue {
        SyntaxIssue::StrayQuote { line, column } => Some((line, column)),
        _ => None,
    });
}
