use crate::finding::Finding;
use crate::rules::ctx::{KindChoice, LayoutCtx};
use crate::rules::{rule, Check};

rule! {
    code: "CSV004",
    name: "column-count",
    severity: Error,
    level: Syntax,
    title: { ja: "項目数の誤り", en: "Wrong number of items" },
    message: {
        ja: "このレコードの項目数は {found} 個です。{table}（{prefix}）は {expected} 項目です。",
        en: "This record has {found} items; {table} ({prefix}) has {expected}.",
    },
    what: {
        ja: "各レコードの項目数が、ファイル種別のレイアウトの項目数と一致するかを検査します。一致しないレコードの項目は検査しません。",
        en: "Checks that each record has as many items as the kind's layout. The items of a record that does not are not checked further.",
    },
    why: {
        ja: "項目数が違うと、以降の項目がすべて1つずれて取り込まれます。旧版（第3版以前）のレイアウトで出力している場合にもこの誤りになります。",
        en: "Every later item would be imported one place off; files written with an older (v3) layout also fail here.",
    },
    fix: {
        ja: "第4.1版（CSVバージョン 202407）のレイアウトどおりに全項目を出力してください。値のない項目も空欄として区切りのカンマを出力します。",
        en: "Write every item of the v4.1 layout (CSVバージョン 202407); an item without a value is still written as an empty field.",
    },
    example: "202407,131016,0000012345,20250401  ← 4 items in a UP1KYO file (28 expected)",
    cites: [
        "S1-hist-4.0-a",
        "S1-hist-4.0-g",
        "S1-2.3-g",
        "S1-3.3-j",
        "S1-4.2-a",
        "S2-form-a",
        "S2-del-a",
        "S2-ver-f",
        "S2-ver-h",
        "S2-ver-l",
        "T6-note-a",
        "T6D-note-a",
        "T6D-note-b",
        "S2 every table: the No. column fixes the number of items of a record",
    ],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, findings: &mut Vec<Finding>) {
    let KindChoice::Chosen(kind) = ctx.kind else { return };
    for &(line, found) in ctx.wrong_width {
        findings.push(
            Finding::new(&RULE.meta)
                .line(line)
                .arg("found", found.to_string())
                .arg("expected", kind.items.len().to_string())
                .arg("prefix", kind.code.clone())
                .arg2("table", kind.table.ja.clone(), kind.table.en.clone()),
        );
    }
}
