use crate::calendar::parse_month;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, specials, width_hint};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD007",
    name: "invalid-month",
    severity: Error,
    level: Field,
    title: { ja: "正しくない年月", en: "Invalid year-month" },
    message: {
        ja: "{item}「{value}」は YYYYMM 形式の正しい年月ではありません{specials}。{hint}",
        en: "{item} '{value}' is not a valid YYYYMM year-month{specials}.{hint}",
    },
    what: {
        ja: "対象年月・削除対象年月などの年月項目が半角数字6桁の YYYYMM で、月が 01〜12 かを検査します（CSVバージョンは別の規則で検査します）。",
        en: "Checks that year-month items such as 対象年月 are six ASCII digits YYYYMM with a month 01–12 (CSVバージョン has its own rules).",
    },
    why: {
        ja: "対象年月は提供票と別表・補足情報を結び付けるキーです。正しくないと受信側で月の帳票に割り当てられません。",
        en: "対象年月 is the key joining the ticket, its annex and the supplement; a bad value cannot be assigned to a month.",
    },
    fix: {
        ja: "西暦6桁（例 202504）で出力してください。",
        en: "Write the Gregorian year and month as 6 digits (e.g. 202504).",
    },
    example: "第6表 No.5 対象年月 = \"202513\"",
    cites: [
        "T6D-04-a",
        "T6D-04-b",
        "S2 every table: 書式「YYYYMM」",
    ],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Ym && item.id != "csv_version"
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if parse_month(value).is_none() {
        let (specials_ja, specials_en) = specials(ctx.item);
        let (hint_ja, hint_en) = width_hint(value);
        out.push(ctx.finding(&RULE).arg2("specials", specials_ja, specials_en).arg2("hint", hint_ja, hint_en));
    }
}
