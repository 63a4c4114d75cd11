use crate::calendar::is_digits;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD013",
    name: "invalid-insured-number",
    severity: Error,
    level: Field,
    title: { ja: "被保険者番号の形式の誤り", en: "Invalid insured number" },
    message: {
        ja: "{item}「{value}」は被保険者番号の形式（半角数字10桁、生保単独は H＋数字9桁）ではありません。{hint}",
        en: "{item} '{value}' is not an insured number (10 ASCII digits, or H + 9 digits for 生保単独).{hint}",
    },
    what: {
        ja: "被保険者番号が半角数字10桁、または生活保護単独の場合の「H」＋数字9桁かを検査します。",
        en: "Checks that 被保険者番号 is ten ASCII digits, or 'H' followed by nine digits for public-assistance-only users.",
    },
    why: {
        ja: "被保険者番号は利用者を特定する最も重要なキーです。形式が違うと受信側で別の利用者として登録されるおそれがあります。",
        en: "It is the key that identifies the user; a malformed number may be registered as a different person.",
    },
    fix: {
        ja: "10桁で出力してください。生保単独の場合は半角大文字の H に続けて9桁です。",
        en: "Write 10 characters; for 生保単独, an upper-case ASCII H followed by nine digits.",
    },
    example: "No.3 被保険者番号 = \"h12345678\"",
    cites: [
        "S2-03-a",
    ],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Insured
}

pub(crate) fn is_insured_number(value: &str) -> bool {
    value.len() == 10 && (is_digits(value) || (value.starts_with('H') && is_digits(&value[1..])))
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if !is_insured_number(value) {
        out.push(shape_finding(&RULE, ctx));
    }
}
