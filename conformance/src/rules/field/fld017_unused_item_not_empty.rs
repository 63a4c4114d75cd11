use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::Item;

rule! {
    code: "FLD017",
    name: "unused-item-not-empty",
    severity: Warning,
    level: Field,
    title: { ja: "使用しない項目に値がある", en: "Unused item has a value" },
    message: {
        ja: "{item} は「※使用しない」項目ですが「{value}」が入っています。",
        en: "{item} is marked ※使用しない (unused) but holds '{value}'.",
    },
    what: {
        ja: "標準仕様で「※使用しない」とされている項目（識別子）が空欄かを検査します。",
        en: "Checks that items the spec marks ※使用しない (the 識別子) are empty.",
    },
    why: {
        ja: "受信側はこの項目を読みません。値が入っている場合、出力レイアウトがずれているか、別の版のレイアウトで出力している可能性があります。",
        en: "Receivers ignore it; a value there often means the layout is shifted or from another edition.",
    },
    fix: {
        ja: "空欄で出力してください。",
        en: "Leave it empty.",
    },
    example: "第1表 No.28 識別子 = \"1\"",
    cites: [
        "HOSOKU-62-a",
        "T1-28-a",
        "T2-22-a",
        "T6-25-a",
        "T7-37-a",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.unused
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if !ctx.value.is_empty() {
        out.push(ctx.finding(&RULE));
    }
}
