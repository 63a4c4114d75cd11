use crate::calendar::{days_in_month, parse_date, parse_month};
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, specials, width_hint};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD006",
    name: "invalid-date",
    severity: Error,
    level: Field,
    title: { ja: "正しくない年月日", en: "Invalid date" },
    message: {
        ja: "{item}「{value}」は YYYYMMDD 形式の正しい日付ではありません{specials}。{hint}",
        en: "{item} '{value}' is not a valid YYYYMMDD date{specials}.{hint}",
    },
    what: {
        ja: "年月日の項目が半角数字8桁の YYYYMMDD で、暦の上で存在する日付（2025年2月30日などでない）かを検査します。",
        en: "Checks that date items are eight ASCII digits YYYYMMDD naming a real calendar day (not, say, 2025-02-30).",
    },
    why: {
        ja: "作成日・認定有効期間・サービス利用日は計画の特定や給付管理に使われます。存在しない日付は取り込めません。",
        en: "Plan dates, certification periods and service dates identify plans and drive benefit management; an impossible date cannot be imported.",
    },
    fix: {
        ja: "西暦8桁（例 20250401）で出力してください。区切り文字（/ や -）や和暦は使えません。",
        en: "Write the Gregorian date as 8 digits (e.g. 20250401), without separators or Japanese era years.",
    },
    example: "第1表 No.14 居宅サービス計画作成（変更）日 = \"20250230\"",
    cites: [
        "S2 every table: 書式「YYYYMMDD」",
    ],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Date
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if parse_date(value).is_some() {
        return;
    }
    let (specials_ja, specials_en) = specials(ctx.item);
    let (mut hint_ja, mut hint_en) = width_hint(value);
    if let Some((year, month)) = value.get(..6).and_then(parse_month) {
        if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
            let days = days_in_month(year, month);
            hint_ja = format!("{year}年{month}月は{days}日までです。");
            hint_en = format!(" {year}-{month:02} has {days} days.");
        }
    }
    out.push(ctx.finding(&RULE).arg2("specials", specials_ja, specials_en).arg2("hint", hint_ja, hint_en));
}
