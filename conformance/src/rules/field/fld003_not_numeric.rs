use crate::calendar::is_digits;
use crate::finding::Finding;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};
use crate::validate::context::FieldCtx;

rule! {
    code: "FLD003",
    name: "not-numeric",
    severity: Error,
    level: Field,
    title: { ja: "数字項目に数字以外の文字", en: "Non-digit in a numeric item" },
    message: {
        ja: "{item}「{value}」は半角数字だけで入力してください。{hint}",
        en: "{item} '{value}' must be ASCII digits only.{hint}",
    },
    what: {
        ja: "単位数・回数・日数などの数字項目が半角数字（0〜9）だけでできているかを検査します。符号・カンマ・小数点・全角数字は使えません。",
        en: "Checks that numeric items (units, counts, days) consist of ASCII digits only: no sign, separators, decimal point or full-width digits.",
    },
    why: {
        ja: "受信側は数値として取り込み、給付管理や限度額の計算に使います。数字以外が混じると取り込みエラーや計算誤りになります。",
        en: "Receivers import these as numbers for benefit management and limit calculations; anything else fails the import or the arithmetic.",
    },
    fix: {
        ja: "半角数字で出力してください（例: 「1,234」→「1234」、「１２」→「12」）。",
        en: "Write ASCII digits (e.g. '1,234' → '1234', '１２' → '12').",
    },
    example: "第6表 No.8 単位数 = \"1,234\"",
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Num
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(value) = checkable(ctx) {
        if !is_digits(value) {
            out.push(shape_finding(&RULE, ctx));
        }
    }
}
