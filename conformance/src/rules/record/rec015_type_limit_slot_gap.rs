use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC015",
    name: "type-limit-slot-gap",
    severity: Error,
    level: Record,
    title: { ja: "種類別限度額の枠が１枠から順番に設定されていない", en: "Type-limit slots not filled from slot 1 in order" },
    message: {
        ja: "{slot}枠目が設定されていますが、その前の{empty}枠目が空欄です。サービス種類別限度額管理は１枠から順番に設定します。",
        en: "Slot {slot} is filled while slot {empty} before it is empty; the type-limit slots are filled from slot 1 in order.",
    },
    what: {
        ja: "利用者補足情報の No.20〜55（１〜９ サービス種類コード・支給限度基準額・合計単位数・限度超単位数）で、空欄の枠より後の枠に値がないかを検査します。枠は4項目のどれかに値があれば設定済みと見ます。",
        en: "Checks in 利用者補足情報 No.20–55 (slots 1–9 of サービス種類コード, 支給限度基準額, 合計単位数, 限度超単位数) that no slot after an empty one holds a value. A slot counts as filled when any of its four items holds a value.",
    },
    why: {
        ja: "仕様は「サービス種類別限度額管理が必要な場合は１枠から順番に設定する」と定めています。枠が飛ぶと、受信側は最初の空欄で読み終えて後の枠を取り込まない場合があります。",
        en: "The spec says 「サービス種類別限度額管理が必要な場合は１枠から順番に設定する」; a receiver may stop at the first empty slot and miss the later ones.",
    },
    fix: {
        ja: "種類別限度額を管理するサービス種類を１枠目から詰めて出力してください。",
        en: "Write the kinds under a type limit from slot 1 on, without empty slots between them.",
    },
    example: "利用者補足情報 No.20–23（１枠）空欄, No.24 ２サービス種類コード = 17",
    cites: [
        "HOSOKU-20-a",
    ],
    check: Check::Record {
        kinds: &["UPHOSOKU"],
        reads: &["type_limit_1_service_kind", "type_limit_1_limit_units", "type_limit_1_total_units", "type_limit_1_over_units", "type_limit_2_service_kind", "type_limit_2_limit_units", "type_limit_2_total_units", "type_limit_2_over_units", "type_limit_3_service_kind", "type_limit_3_limit_units", "type_limit_3_total_units", "type_limit_3_over_units", "type_limit_4_service_kind", "type_limit_4_limit_units", "type_limit_4_total_units", "type_limit_4_over_units", "type_limit_5_service_kind", "type_limit_5_limit_units", "type_limit_5_total_units", "type_limit_5_over_units", "type_limit_6_service_kind", "type_limit_6_limit_units", "type_limit_6_total_units", "type_limit_6_over_units", "type_limit_7_service_kind", "type_limit_7_limit_units", "type_limit_7_total_units", "type_limit_7_over_units", "type_limit_8_service_kind", "type_limit_8_limit_units", "type_limit_8_total_units", "type_limit_8_over_units", "type_limit_9_service_kind", "type_limit_9_limit_units", "type_limit_9_total_units", "type_limit_9_over_units"],
        check,
    },
}

/// The nine slots, each its サービス種類コード, 支給限度基準額, 合計単位数 and 限度超単位数.
const SLOTS: [[&str; 4]; 9] = [
    ["type_limit_1_service_kind", "type_limit_1_limit_units", "type_limit_1_total_units", "type_limit_1_over_units"],
    ["type_limit_2_service_kind", "type_limit_2_limit_units", "type_limit_2_total_units", "type_limit_2_over_units"],
    ["type_limit_3_service_kind", "type_limit_3_limit_units", "type_limit_3_total_units", "type_limit_3_over_units"],
    ["type_limit_4_service_kind", "type_limit_4_limit_units", "type_limit_4_total_units", "type_limit_4_over_units"],
    ["type_limit_5_service_kind", "type_limit_5_limit_units", "type_limit_5_total_units", "type_limit_5_over_units"],
    ["type_limit_6_service_kind", "type_limit_6_limit_units", "type_limit_6_total_units", "type_limit_6_over_units"],
    ["type_limit_7_service_kind", "type_limit_7_limit_units", "type_limit_7_total_units", "type_limit_7_over_units"],
    ["type_limit_8_service_kind", "type_limit_8_limit_units", "type_limit_8_total_units", "type_limit_8_over_units"],
    ["type_limit_9_service_kind", "type_limit_9_limit_units", "type_limit_9_total_units", "type_limit_9_over_units"],
];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let filled = |slot: &[&str; 4]| slot.iter().any(|id| !ctx.get(id).trim().is_empty());
    let Some(empty) = SLOTS.iter().position(|slot| !filled(slot)) else {
        return;
    };
    if let Some(later) = SLOTS.iter().skip(empty + 1).position(filled) {
        let slot = empty + 1 + later;
        let id = SLOTS[slot].iter().find(|id| !ctx.get(id).trim().is_empty()).unwrap_or(&SLOTS[slot][0]);
        out.push(ctx.finding(&RULE, id).arg("slot", (slot + 1).to_string()).arg("empty", (empty + 1).to_string()));
    }
}
