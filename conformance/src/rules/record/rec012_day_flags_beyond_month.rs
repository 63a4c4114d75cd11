use crate::calendar::{days_in_month, parse_month};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC012",
    name: "day-flags-beyond-month",
    severity: Warning,
    level: Record,
    title: { ja: "日割対象日が月の日数を超える", en: "日割対象日 flags a day the month does not have" },
    message: {
        ja: "{item} の {day} 文字目が「1」ですが、対象年月「{month}」は {days} 日までです。",
        en: "{item} has '1' at position {day}, but the month '{month}' has {days} days.",
    },
    what: {
        ja: "第6表の日割対象日で、対象年月にない日（例: 4月の31日目）に「1」が立っていないかを検査します。",
        en: "Checks that 第6表 日割対象日 does not flag a day the 対象年月 does not have (e.g. day 31 of April).",
    },
    why: {
        ja: "存在しない日の日割は計算できず、受信側の日割計算が狂います。",
        en: "A day that does not exist cannot be prorated and throws off the receiver's daily-rate calculation.",
    },
    fix: {
        ja: "月の日数を超える位置は「0」にしてください。",
        en: "Set positions beyond the month's length to '0'.",
    },
    example: "対象年月 202504, 日割対象日 = 0000000000000000000000000000001",
    cites: [
        "T6-11-a",
        "T6-11-b",
    ],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK"], reads: &["daily_rate_days", "target_month"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let flags = ctx.get("daily_rate_days");
    let month = ctx.get("target_month");
    let Some((year, m)) = parse_month(month) else {
        return;
    };
    let days = days_in_month(year, m) as usize;
    if let Some(position) = flags.bytes().enumerate().skip(days).find(|(_, b)| *b == b'1').map(|(i, _)| i + 1) {
        out.push(
            ctx.finding(&RULE, "daily_rate_days")
                .arg("day", position.to_string())
                .arg("month", month)
                .arg("days", days.to_string()),
        );
    }
}
