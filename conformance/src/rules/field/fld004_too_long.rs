use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD004",
    name: "too-long",
    severity: Error,
    level: Field,
    title: { ja: "項目長の超過", en: "Value longer than the item length" },
    message: {
        ja: "{item}「{value}」は {length} 文字です。項目長は {max} 文字までです。",
        en: "{item} '{value}' is {length} characters long; the item length is at most {max}.",
    },
    what: {
        ja: "項目長（最大長）が定められた項目の値が、その文字数以内かを検査します。文字数で数えます。",
        en: "Checks that values of items with a maximum length (項目長) are no longer than it, counted in characters.",
    },
    why: {
        ja: "受信側のデータベースの桁数を超えると、取り込みエラーになるか値が切り捨てられます。",
        en: "Longer values overflow the receiver's database column: the import fails or the value is cut.",
    },
    fix: {
        ja: "項目長以内で出力してください。桁あふれする値は入力内容を確認してください。",
        en: "Write values within the item length; check the input where a value overflows.",
    },
    example: "第7表 No.16 回数／日数 = \"1234\" (length 3)",
    cites: [
        "S1-hist-3.2-a",
        "S1-hist-4.0-e",
        "S2-ver-k",
        "T7-note-a",
        "S2 every table: 項目長 column",
    ],
    assumptions: ["A-LENGTH", "A-LEN-7-30"],
    check: Check::Field { aspect: Aspect::Length, applies, check },
}

fn applies(item: &Item) -> bool {
    item.max_len().is_some() && item.len_certain
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(max) = ctx.item.max_len() else {
        return;
    };
    // The sign of a negative 整数 is not one of its digits (S2 第6表 No.8: 項目長 6, 「整数」).
    let digits =
        if ctx.item.ty == ItemType::Int { ctx.value.strip_prefix('-').unwrap_or(ctx.value) } else { ctx.value };
    let length = digits.chars().count();
    if length > max {
        out.push(ctx.finding(&RULE).arg("length", length.to_string()).arg("max", max.to_string()));
    }
}
