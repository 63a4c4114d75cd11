use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::{rule, Check};

rule! {
    code: "SET004",
    name: "unit-party-mismatch",
    severity: Warning,
    level: Set,
    title: { ja: "同じファイル連番が別の送信元・送信先にも使われている", en: "A ファイル連番 is shared with other parties" },
    message: {
        ja: "ファイル連番 {serial} は、送信元・送信先が異なるファイル（{others}）にも使われています。送信元・送信先ごとに別の送信単位として検査しました。一つの送信単位のつもりなら、送信元・送信先がそろっていません。",
        en: "ファイル連番 {serial} is also used by files with other parties ({others}); each pair of parties was checked as a send unit of its own. If they were meant as one send unit, their parties differ.",
    },
    what: {
        ja: "同じファイル連番を持ちながら送信元（事業所番号・種類）または送信先（事業所番号・種類）が異なるファイルがあるとき、別々の送信単位として読んだことを知らせます。",
        en: "When files share a ファイル連番 but differ in sender or recipient (office number and kind), says that they were read as separate send units.",
    },
    why: {
        ja: "送信単位のファイルは同じファイル連番を持ちます（S1 2.4、3.4）。連番は出力日時なので、一度に複数の事業所あてに出力すれば別の送付が同じ連番になります。これは正しいファイルです。一方、一つの送付のつもりで送信先を取り違えたファイルも同じ形になり、その場合は欠けた種別（SET001）として現れます。どちらかはファイルからは決められないため警告です。",
        en: "A send unit's files carry one ファイル連番 (S1 2.4, 3.4). The serial is the time of export, so exporting to several offices at once gives separate sends one serial: correct files. A unit meant as one whose files name different recipients looks the same, and then shows as a missing kind (SET001). The files cannot tell which, so this is a warning.",
    },
    fix: {
        ja: "別々の送付なら対応は不要です。一つの送付のつもりなら、すべてのファイルの送信元・送信先をそろえてください。",
        en: "Nothing to do for separate sends. For one send, give every file the same sender and recipient.",
    },
    example: "UP1KYO_0300000100_43_0300000005_11_T.CSV and UP2KYO_0300000100_43_0300000006_15_T.CSV",
    cites: [
        "S1 §2.4, §3.4「各ファイルで同じファイル連番をつける」: a unit's files share a serial; nothing makes a serial unique to one unit (S1-2.4-a, S1-3.4-a doubt)",
    ],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(first) = ctx.files.first() else {
        return;
    };
    if !ctx.serial_shared_with.is_empty() {
        out.push(
            Finding::new(&RULE.meta)
                .file(first.path)
                .arg("serial", ctx.serial)
                .arg("others", ctx.serial_shared_with.join(", ")),
        );
    }
}
