use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::set::matching_unit;
use crate::rules::{rule, Check};

rule! {
    code: "SET001",
    name: "incomplete-send-unit",
    severity: Error,
    level: Set,
    title: { ja: "送信単位に必要なファイルが足りない", en: "Send unit is missing a file" },
    message: {
        ja: "ファイル連番 {serial} の送信単位（{unit}）に {missing} がありません。",
        en: "Send unit {serial} ({unit}) lacks {missing}.",
    },
    what: {
        ja: "同じファイル連番のファイルの組み合わせに、送信単位として必須の種別がそろっているかを検査します（例: 第1表・第2表・第3表・利用者補足情報、第6表・第7表・利用者補足情報）。",
        en: "Checks that the files sharing a ファイル連番 include every kind their send unit requires (e.g. tables 1, 2, 3 + supplement; tables 6, 7 + supplement).",
    },
    why: {
        ja: "標準仕様は、計画書は第1〜3表と補足情報を、提供票は第6・7表と補足情報を一緒に送ると定めています。欠けると受信側は計画や提供票を組み立てられません。",
        en: "The spec sends a plan as tables 1–3 plus supplement and a ticket as tables 6–7 plus supplement; with a part missing the receiver cannot assemble it.",
    },
    fix: {
        ja: "同じファイル連番で、足りない種別のファイルも出力してください。",
        en: "Also export the missing kinds under the same ファイル連番.",
    },
    example: "UP1KYO_…_20250401090000.CSV, UP2KYO_…_20250401090000.CSV (no UP3KYO, no UPHOSOKU)",
    cites: [
        "KIMG-62-b",
        "KSUB1-name-b",
        "KSUB2-name-b",
        "S1-2.2-a",
        "S1-2.2-b",
        "S1-2.2-c",
        "S1-2.2-e",
        "S1-2.2-f",
        "S1-2.2-h",
        "S1-2.2-i",
        "S1-2.2-m",
        "S1-2.4-a",
        "S1-2.4-b",
        "S1-3.2-a",
        "S1-3.2-b",
        "S1-3.2-d",
        "S1-3.2-h",
        "S1-3.2-i",
        "S1-3.2-m",
        "S1-3.3-b",
        "S1-3.3-d",
        "S1-3.4-a",
        "S1-3.4-b",
        "T2-note-b",
        "T3-note-b",
        "YSUB-name-b",
    ],
    assumptions: ["A-ANNEX-PRINCIPLE"],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(unit) = matching_unit(ctx) else {
        return;
    };
    let kinds = ctx.kinds();
    let missing: Vec<&str> = unit.required.iter().map(String::as_str).filter(|kind| !kinds.contains(kind)).collect();
    if !missing.is_empty() {
        out.push(
            Finding::new(&RULE.meta)
                .file(ctx.files[0].path)
                .arg("serial", ctx.serial)
                .arg2("unit", unit.name.ja.clone(), unit.name.en.clone())
                .arg("missing", missing.join(", ")),
        );
    }
}
