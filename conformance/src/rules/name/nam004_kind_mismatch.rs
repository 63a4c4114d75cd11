use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};

rule! {
    code: "NAM004",
    name: "kind-mismatch",
    severity: Error,
    level: Name,
    title: { ja: "ファイル名の種別と内容のレイアウトの不一致", en: "File name kind differs from the content" },
    message: {
        ja: "ファイル名は {named}（{named_items} 項目）ですが、内容は {found}（{found_items} 項目）のレイアウトです。",
        en: "The file name says {named} ({named_items} items) but the content has the layout of {found} ({found_items} items).",
    },
    what: {
        ja: "ファイル名の接頭辞が示す種別と、レコードの項目数から分かる種別が一致するかを検査します。",
        en: "Checks that the kind in the file-name prefix matches the kind the records' item count shows.",
    },
    why: {
        ja: "接頭辞と中身が違うと、受信側は別のレイアウトで読み込み、すべての項目がずれます。",
        en: "The receiver reads the records with the wrong layout and every item lands in the wrong place.",
    },
    fix: {
        ja: "ファイル名の接頭辞と出力するレイアウトを合わせてください。",
        en: "Make the prefix and the written layout agree.",
    },
    example: "UP1KYO_… containing 22-item (第2表) records",
    cites: [
        "S2-name-a",
        "S2-name-b",
        "T6D-note-a",
        "T6D-note-b",
        "S2 every table: ファイル名規約 (the prefix names the layout of the records)",
    ],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(found), Some(named)) = (ctx.content_kind, ctx.parsed_name().and_then(|n| n.kind())) else {
        return;
    };
    out.push(
        Finding::new(&RULE.meta)
            .line(1)
            .arg("named", named.code.clone())
            .arg("named_items", named.items.len().to_string())
            .arg("found", found.code.clone())
            .arg("found_items", found.items.len().to_string()),
    );
}
