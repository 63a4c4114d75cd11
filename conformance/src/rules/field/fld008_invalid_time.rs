use crate::calendar::parse_time;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::checkable;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD008",
    name: "invalid-time",
    severity: Error,
    level: Field,
    title: { ja: "正しくない時刻", en: "Invalid time" },
    message: {
        ja: "{item}「{value}」は HHMM 形式の時刻ではありません。00:00〜23:59 の範囲で入力してください{specials}。",
        en: "{item} '{value}' is not an HHMM time. Use 00:00–23:59{specials}.",
    },
    what: {
        ja: "時刻の項目が半角数字4桁の HHMM（時 00〜23、分 00〜59）かを検査します。「12:00」のようなコロン付きも誤りです。",
        en: "Checks that time items are four ASCII digits HHMM (hours 00–23, minutes 00–59); '12:00' with a colon is wrong too.",
    },
    why: {
        ja: "サービス開始・終了時刻は提供票の時間帯や加算の判定に使われます。",
        en: "Start and end times place services on the ticket and decide time-based additions.",
    },
    fix: {
        ja: "4桁の数字で出力してください（例 0930）。第6表で時刻を表示しないサービスは 9999 です。",
        en: "Write four digits (e.g. 0930). On 第6表 a service without a displayed time uses 9999.",
    },
    example: "第6表 No.12 サービス開始時刻 = \"2561\"",
    cites: [
        "T3-note-c",
        "T6-12-a",
        "T6-12-b",
    ],
    assumptions: ["A-TIME-2400"],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Time
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if parse_time(value, true).is_none() {
        let (ja, en) = if ctx.item.allow.iter().any(|v| v == "9999") {
            ("（時刻のないサービスは 9999）", " (9999 for a service without a time)")
        } else {
            ("", "")
        };
        out.push(ctx.finding(&RULE).arg2("specials", ja, en));
    }
}
