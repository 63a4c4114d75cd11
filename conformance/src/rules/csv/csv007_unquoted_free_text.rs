use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::ItemType;

rule! {
    code: "CSV007",
    name: "unquoted-free-text",
    severity: Error,
    level: Syntax,
    title: { ja: "フリーテキストがダブルクォートで囲まれていない", en: "Free text not quoted" },
    message: {
        ja: "{item} はフリーテキスト項目ですが、ダブルクォートで囲まれていません（「{value}」）。",
        en: "{item} is a free-text item but is not enclosed in quotes ('{value}').",
    },
    what: {
        ja: "書式が「フリーテキスト」の項目が、値が空でなければ \" で囲まれているかを検査します。空の値（,,）は囲まれていなくても指摘しません（前提 A-FREE-TEXT-EMPTY）。",
        en: "Checks that items whose 書式 is フリーテキスト are enclosed in double quotes when not empty. An empty value (,,) is not reported when unquoted (assumption A-FREE-TEXT-EMPTY).",
    },
    why: {
        ja: "標準仕様はフリーテキストを半角ダブルクォートで囲むと定めています。囲まれていないと、文中のカンマや改行で項目がずれます。",
        en: "The spec requires free text to be enclosed in half-width double quotes; otherwise a comma or line break in the text shifts the items.",
    },
    fix: {
        ja: "フリーテキスト項目は、値が空でなければ必ず \" で囲んで出力してください。",
        en: "Always enclose non-empty free-text values in quotes.",
    },
    example: "…,自宅で安心して暮らしたい,…  ← 長期目標 without quotes",
    cites: [
        "S2-foot-a",
    ],
    assumptions: ["A-QUOTING", "A-FREE-TEXT-EMPTY"],
    check: Check::Field { aspect: Aspect::Representation, applies: |item| item.ty == ItemType::Text, check },
}

fn check(ctx: &FieldCtx<'_>, findings: &mut Vec<Finding>) {
    if !ctx.quoted && !ctx.value.is_empty() {
        findings.push(ctx.finding(&RULE));
    }
}
