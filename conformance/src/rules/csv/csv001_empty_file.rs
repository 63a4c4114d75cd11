use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "CSV001",
    name: "empty-file",
    severity: Error,
    level: Syntax,
    title: { ja: "空のファイル", en: "Empty file" },
    message: {
        ja: "ファイルにレコードがありません（{what}）。",
        en: "The file has no records ({what}).",
    },
    what: {
        ja: "ファイルが 0 バイト、または空行だけでレコードが1件もないことを検査します（利用者基本情報の別表1・別表2は CSV010 の警告）。",
        en: "Checks for files of 0 bytes or with only blank lines (for 利用者基本情報 別表1 and 別表2, CSV010's warning).",
    },
    why: {
        ja: "標準仕様のファイルは必ずデータレコードを含みます（見出し行や終端レコードはありません）。空のファイルは出力処理の失敗を示しています。",
        en: "Every standard-spec file holds data records (there are no header or trailer records); an empty file means the export failed.",
    },
    fix: {
        ja: "対象の利用者がいない場合はファイルを作成しないでください。出力処理が途中で止まっていないか確認してください。",
        en: "Do not create a file when there is nothing to send, and check that the export did not stop half-way.",
    },
    example: "UP1KYO_…_20250401090000.CSV  (0 bytes)",
    cites: [
        "S1 §2.4 送信単位 (a unit is made of files of records; an empty file carries none)",
        "S2 every table: 1レコード＝1行, No.1 CSVバージョン 必須",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    // A 別表 of a user with no entries is CSV010's (a warning): no sentence says it must hold a row.
    if ctx.name_kind.is_some_and(|kind| kind.rows_may_be_none.is_some()) {
        return;
    }
    if let Some((ja, en)) = emptiness(ctx) {
        findings.push(Finding::new(&RULE.meta).arg2("what", ja, en));
    }
}

/// How a file holds no records, if it holds none: (ja, en).
pub(crate) fn emptiness(ctx: &ReadCtx<'_>) -> Option<(&'static str, &'static str)> {
    match (ctx.decoded, ctx.records) {
        (None, _) => Some(("0 バイト", "0 bytes")),
        (Some(_), 0) => Some(("空行のみ", "blank lines only")),
        _ => None,
    }
}
