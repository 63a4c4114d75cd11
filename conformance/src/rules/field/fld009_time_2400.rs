use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD009",
    name: "time-2400",
    severity: Warning,
    level: Field,
    title: { ja: "時刻 2400", en: "Time 2400" },
    message: {
        ja: "{item}「{value}」: 24:00 は 0000〜2359 の範囲外です。受信側によっては取り込めません。",
        en: "{item} '{value}': 24:00 is outside 0000–2359; some receivers reject it.",
    },
    what: {
        ja: "時刻の項目が 2400 であることを検査します。",
        en: "Checks for time items holding 2400.",
    },
    why: {
        ja: "第3表の様式は 24:00 まであるため 2400 を出力するソフトがありますが、時刻として 2400 を受け付けない受信側があります。",
        en: "The 第3表 grid runs to 24:00, so some software writes 2400, but not every receiver accepts it as a time.",
    },
    fix: {
        ja: "可能であれば 2359 または翌日の 0000 として出力してください。",
        en: "Where possible write 2359, or 0000 of the next day.",
    },
    example: "第3表 No.12 終了時間 = \"2400\"",
    cites: [
        "S2 第3表 データ配置例 and form grid (rows 0:00 … 24:00)",
    ],
    assumptions: ["A-TIME-2400"],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Time
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.value == "2400" {
        out.push(ctx.finding(&RULE));
    }
}
