use crate::calendar::is_digits;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD012",
    name: "invalid-insurer-number",
    severity: Error,
    level: Field,
    title: { ja: "保険者番号の形式の誤り", en: "Invalid insurer number" },
    message: {
        ja: "{item}「{value}」は半角数字6桁の保険者番号ではありません。{hint}",
        en: "{item} '{value}' is not a 6-digit insurer number.{hint}",
    },
    what: {
        ja: "保険者番号が半角数字ちょうど6桁かを検査します。",
        en: "Checks that 保険者番号 is exactly six ASCII digits.",
    },
    why: {
        ja: "保険者番号は被保険者番号・作成日とともに、計画書・提供票・補足情報を結び付けるキーです。",
        en: "Together with 被保険者番号 and the plan date or month, it is the key joining plan, ticket and supplement records.",
    },
    fix: {
        ja: "先頭の 0 を含めて6桁で出力してください（例 011007）。",
        en: "Write all six digits including leading zeros (e.g. 011007).",
    },
    example: "No.2 保険者番号 = \"11007\"",
    cites: [
        "S2 every table: No.2 保険者番号 項目長 6 「要介護者が属する自治体のコード」",
    ],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Insurer
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if !(value.len() == 6 && is_digits(value)) {
        out.push(shape_finding(&RULE, ctx));
    }
}
