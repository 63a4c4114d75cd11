use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL001",
    name: "mixed-csv-versions",
    severity: Error,
    level: File,
    title: { ja: "1ファイルに複数の CSVバージョン", en: "Several CSVバージョン values in one file" },
    message: {
        ja: "{item}「{value}」が1行目の「{first}」と異なります。1ファイルの CSVバージョンはすべて同じにします。",
        en: "{item} '{value}' differs from '{first}' on the first record; one file has one CSVバージョン.",
    },
    what: {
        ja: "ファイル内のすべてのレコードの CSVバージョンが同じかを検査します。",
        en: "Checks that every record of a file has the same CSVバージョン.",
    },
    why: {
        ja: "標準仕様は1ファイルにバージョンを混在させないと定めています。受信側はファイル単位でレイアウトを決めます。",
        en: "The spec forbids mixing versions in one file; receivers choose the layout per file.",
    },
    fix: {
        ja: "すべてのレコードを同じ版（202407）で出力してください。",
        en: "Write every record in the same edition (202407).",
    },
    example: "line 1: 202407,…  line 2: 202208,…",
    cites: [
        "S2-01-c",
    ],
    check: Check::File { kinds: &[], reads: &["csv_version"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let mut rows = doc.rows();
    let Some(first_row) = rows.next() else { return };
    let column = doc.column("csv_version");
    let first = doc.at(first_row, column);
    if let Some(row) = rows.find(|&row| doc.at(row, column) != first) {
        out.push(finding_at(doc, row, &RULE, "csv_version").arg("first", first));
    }
}
