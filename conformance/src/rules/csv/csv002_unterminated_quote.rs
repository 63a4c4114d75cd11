use crate::codec::SyntaxIssue;
use crate::finding::Finding;
use crate::rules::csv::quote_findings;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV002",
    name: "unterminated-quote",
    severity: Error,
    level: Syntax,
    title: { ja: "閉じられていないダブルクォート", en: "Unterminated quote" },
    message: {
        ja: "{column} 番目の項目のダブルクォートがファイルの終わりまで閉じられていません。",
        en: "The quote opened in field {column} is never closed before the end of the file.",
    },
    what: {
        ja: "\" で始まった項目が、対応する \" で閉じられているかを検査します。",
        en: "Checks that a field opened with \" is closed by a matching \".",
    },
    why: {
        ja: "閉じられていないと、以降のすべてのレコードが1つの項目として読まれ、データが失われます。フリーテキスト中の \" を \"\" にしていないことが主な原因です。",
        en: "Everything after it is read as one field and the rest of the file is lost; the usual cause is a \" inside free text that was not doubled.",
    },
    fix: {
        ja: "フリーテキスト中の \" は \"\" と2つ重ねて出力し、項目全体を \" で囲んでください。",
        en: "Double every \" inside free text (\"\") and enclose the whole field in quotes.",
    },
    example: r#"…,"長期目標：自宅で"安心して,…  ← the inner quote ends the field too early"#,
    cites: [
        "S1-4.2-a",
        "S2-form-a",
        "S2-foot-b",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    quote_findings(&RULE, ctx, findings, |issue| match *issue {
        SyntaxIssue::UnterminatedQuote { line, column } => Some((line, column)),
        _ => None,
    });
}
