use crate::finding::Finding;
use crate::rules::ctx::LayoutCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV006",
    name: "header-row",
    severity: Error,
    level: Syntax,
    title: { ja: "見出し行", en: "Header row" },
    message: {
        ja: "1行目が見出し行のようです（「{value}」）。標準仕様のファイルに見出し行はありません。",
        en: "Line 1 looks like a header row ('{value}'); standard-spec files have none.",
    },
    what: {
        ja: "先頭レコードの1項目目が CSVバージョン（6桁の数字）ではなく、項目名のような文字列であることを検査します。",
        en: "Checks whether the first field of the first record is a label instead of a CSVバージョン (six digits).",
    },
    why: {
        ja: "標準仕様のファイルはすべての行がデータ行です。見出し行は受信側で1件目のデータとして読まれ、エラーになります。",
        en: "Every line of a standard-spec file is a data record; a header is read as the first record and rejected.",
    },
    fix: {
        ja: "見出し行を出力しないでください。",
        en: "Do not write a header row.",
    },
    example: "CSVバージョン,保険者番号,被保険者番号,…",
    cites: [
        "S2 データ配置例 (第2表, 第3表) and 別表の構成 examples: data rows only, no heading row",
        "S2 every table: No.1 CSVバージョン 必須 on every record",
    ],
    assumptions: ["A-NO-HEADER"],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, findings: &mut Vec<Finding>) {
    if let Some((line, value)) = ctx.header {
        findings.push(Finding::new(&RULE.meta).line(line).column(1).value(value));
    }
}
