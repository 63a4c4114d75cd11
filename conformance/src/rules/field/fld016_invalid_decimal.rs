use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD016",
    name: "invalid-decimal",
    severity: Error,
    level: Field,
    title: { ja: "単位数単価の形式の誤り", en: "Invalid decimal (99.99)" },
    message: {
        ja: "{item}「{value}」は 99.99 形式（小数点以下2桁、例 11.40）ではありません。{hint}",
        en: "{item} '{value}' is not of the form 99.99 (two decimals, e.g. 11.40).{hint}",
    },
    what: {
        ja: "単位数単価が「整数部1〜3桁.小数部2桁」の半角数字かを検査します。",
        en: "Checks that 単位数単価 is 1–3 integer digits, a point and exactly two decimals.",
    },
    why: {
        ja: "単位数単価は費用総額の計算に使われます。小数点以下の桁が違うと金額が変わります。",
        en: "The unit price drives the cost calculation; a missing decimal changes amounts.",
    },
    fix: {
        ja: "小数点以下を2桁で出力してください（例: 10 → 10.00、11.4 → 11.40）。",
        en: "Write two decimals (e.g. 10 → 10.00, 11.4 → 11.40).",
    },
    example: "第7表 No.23 単位数単価 = \"11.4\"",
    cites: [
        "S2 第7表 No.23 単位数単価 書式「99.99 形式で入力」",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Dec
}

/// `99.99` form: 1–3 integer digits, a point, two decimals.
pub(crate) fn parse_hundredths(value: &str) -> Option<u64> {
    let (whole, fraction) = value.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) && whole.len() <= 3 && fraction.len() == 2 && digits(fraction)) {
        return None;
    }
    Some(whole.parse::<u64>().ok()? * 100 + fraction.parse::<u64>().ok()?)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if parse_hundredths(value).is_none() {
        out.push(shape_finding(&RULE, ctx));
    }
}
