use crate::calendar::is_digits;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD011",
    name: "invalid-office-number",
    severity: Error,
    level: Field,
    title: { ja: "事業所番号の形式の誤り", en: "Invalid office number" },
    message: {
        ja: "{item}「{value}」は半角数字10桁の事業所番号ではありません。{hint}",
        en: "{item} '{value}' is not a 10-digit office number.{hint}",
    },
    what: {
        ja: "事業所番号（介護支援事業者コード、サービス事業者コードなど）が半角数字ちょうど10桁かを検査します。",
        en: "Checks that office numbers (介護支援事業者コード, サービス事業者コード, …) are exactly ten ASCII digits.",
    },
    why: {
        ja: "事業所番号は送信元・送信先やサービス提供事業所を特定するキーです。先頭の 0 が落ちると別の事業所になってしまいます。",
        en: "Office numbers identify senders, recipients and providers; a dropped leading zero names another office.",
    },
    fix: {
        ja: "先頭の 0 を含めて10桁で出力してください（数値型で保存すると 0 が落ちます）。",
        en: "Write all ten digits including leading zeros (storing them as numbers drops the zeros).",
    },
    example: "第6表 No.20 サービス事業者コード = \"131000001\" (9 digits)",
    cites: [
        "T6D-05-a",
        "S2 every table: 事業所番号 項目長 10 (ファイル名規約「事業所番号(10 桁)」)",
    ],
    assumptions: ["A-7-34-36"],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Office
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if !(value.len() == 10 && is_digits(value)) {
        out.push(shape_finding(&RULE, ctx));
    }
}
