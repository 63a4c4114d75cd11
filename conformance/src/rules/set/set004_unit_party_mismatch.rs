use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::{rule, Check};

rule! {
    code: "SET004",
    name: "unit-party-mismatch",
    severity: Error,
    level: Set,
    title: { ja: "送信単位の中で送信元・送信先が異なる", en: "Parties differ within a send unit" },
    message: {
        ja: "ファイル連番 {serial} の中で、このファイルの送信元・送信先（{parties}）が他のファイル（{first}）と異なります。",
        en: "Within send unit {serial}, this file's parties ({parties}) differ from the other files' ({first}).",
    },
    what: {
        ja: "同じファイル連番のファイルが、すべて同じ送信元（事業所番号・種類）と送信先（事業所番号・種類）を持つかを検査します。",
        en: "Checks that the files sharing a ファイル連番 have the same sender and recipient (office number and kind).",
    },
    why: {
        ja: "送信単位は一つの事業所から一つの事業所への送付です。連番が偶然重なった別の送付と混ざると、受信側で誤った事業所のデータとして処理されます。",
        en: "A send unit goes from one office to one office; files of another send that happen to share the serial would be processed as this office's data.",
    },
    fix: {
        ja: "送信先ごとに別のファイル連番を付けてください。",
        en: "Give each recipient its own ファイル連番.",
    },
    example: "UP1KYO_0300000100_43_0300000005_11_T.CSV and UP2KYO_0300000100_43_0300000006_15_T.CSV",
    cites: [
        "KIMG-62-b",
        "KSUB1-name-b",
        "KSUB2-name-b",
        "S1-2.4-a",
        "S1-2.4-d",
        "S1-3.4-a",
        "YSUB-name-b",
    ],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let mut names = ctx.files.iter().filter_map(|file| file.parsed_name().map(|name| (file, name)));
    let Some((_, first)) = names.next() else {
        return;
    };
    let describe = |name: &crate::filename::FileName| {
        format!("{}_{} → {}_{}", name.sender.office, name.sender.kind, name.recipient.office, name.recipient.kind)
    };
    for (file, name) in names {
        if (&name.sender, &name.recipient) != (&first.sender, &first.recipient) {
            out.push(
                Finding::new(&RULE.meta)
                    .file(file.path)
                    .arg("serial", ctx.serial)
                    .arg("parties", describe(name))
                    .arg("first", describe(first)),
            );
        }
    }
}
