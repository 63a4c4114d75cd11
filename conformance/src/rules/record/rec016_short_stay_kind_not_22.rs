use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC016",
    name: "short-stay-kind-not-22",
    severity: Error,
    level: Record,
    title: { ja: "種類別限度額の短期入所療養介護が 22 以外", en: "Short-stay medical care in a type-limit slot under another code than 22" },
    message: {
        ja: "{item}「{value}」: 短期入所療養介護の場合は「22:短期入所療養介護（介護老人保健施設）」を設定します。",
        en: "{item} '{value}': 短期入所療養介護 is written as 22 (短期入所療養介護（介護老人保健施設）) in these slots.",
    },
    what: {
        ja: "利用者補足情報の１〜９サービス種類コード（No.20, 24, …, 52）に、短期入所療養介護の 23（介護療養型医療施設等）・2A（介護医療院）がないかを検査します。介護予防短期入所療養介護（25, 26, 2B）については文が何も言わないので指摘しません。",
        en: "Checks that no type-limit サービス種類コード of 利用者補足情報 (No.20, 24, …, 52) is 23 (短期入所療養介護, 介護療養型医療施設等) or 2A (介護医療院). The prevention short stays (25, 26, 2B) are not reported: the text says nothing of them.",
    },
    why: {
        ja: "仕様は「短期入所療養介護の場合は22:短期入所療養介護（介護老人保健施設）を設定する」と定めています。種類別限度額は短期入所療養介護をまとめて 22 で管理するので、23 や 2A の枠は受信側の限度額管理に合いません。",
        en: "The spec says 「短期入所療養介護の場合は22:短期入所療養介護（介護老人保健施設）を設定する」: the type limit manages all short-stay medical care under 22, so a 23 or 2A slot does not match the receiver's management.",
    },
    fix: {
        ja: "短期入所療養介護の種類別限度額は、施設の種類にかかわらずサービス種類コード 22 で出力してください。",
        en: "Write the type limit of any 短期入所療養介護 under service kind 22, whatever the facility.",
    },
    example: "利用者補足情報 No.20 １サービス種類コード = 23",
    cites: [
        "HOSOKU-20-b",
    ],
    check: Check::Record {
        kinds: &["UPHOSOKU"],
        reads: &["type_limit_1_service_kind", "type_limit_2_service_kind", "type_limit_3_service_kind", "type_limit_4_service_kind", "type_limit_5_service_kind", "type_limit_6_service_kind", "type_limit_7_service_kind", "type_limit_8_service_kind", "type_limit_9_service_kind"],
        check,
    },
}

/// The nine slots' サービス種類コード.
const SLOT_KINDS: [&str; 9] = [
    "type_limit_1_service_kind",
    "type_limit_2_service_kind",
    "type_limit_3_service_kind",
    "type_limit_4_service_kind",
    "type_limit_5_service_kind",
    "type_limit_6_service_kind",
    "type_limit_7_service_kind",
    "type_limit_8_service_kind",
    "type_limit_9_service_kind",
];

/// 短期入所療養介護 under another code than 22: 23 （介護療養型医療施設等）, 2A （介護医療院）.
const OTHER_SHORT_STAY: [&str; 2] = ["23", "2A"];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    for id in SLOT_KINDS {
        if OTHER_SHORT_STAY.contains(&ctx.get(id)) {
            out.push(ctx.finding(&RULE, id));
        }
    }
}
