use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC017",
    name: "time-display-mismatch",
    severity: Warning,
    level: Record,
    title: { ja: "開始時刻と終了時刻の一方だけが 9999", en: "Only one of start and end time is 9999" },
    message: {
        ja: "{item}「{value}」: {other} は「{other_value}」です。時間表示のないサービスは開始・終了とも 9999 に、時間のあるサービスは両方に時刻を設定します。",
        en: "{item} '{value}' while {other} is '{other_value}': a service without a time display has 9999 in both, one with a time has both times.",
    },
    what: {
        ja: "第6表（予定・実績）で、サービス開始時刻とサービス終了時刻の一方だけが 9999（時間表示のないサービス）になっていないかを検査します。終了時刻の注記は「※サービス開始時刻と同様」で、対になる規定を明示していないため警告です。",
        en: "Checks in 第6表 (planned and actual) that not just one of サービス開始時刻 and サービス終了時刻 is 9999 (a service without a time display). The end time's note only says 「※サービス開始時刻と同様」 and states no pairing outright, so this is a warning.",
    },
    why: {
        ja: "同じサービスが時間表示ありとなしの両方を名乗ることになり、受信側は提供時間を読めません（REC003 は 9999 を比べません）。",
        en: "The row claims both a time display and none; the receiver cannot read the service's time (REC003 does not compare 9999).",
    },
    fix: {
        ja: "時間表示のないサービスは開始・終了の両方を 9999 に、それ以外は両方に HHMM の時刻を出力してください。",
        en: "Write 9999 in both for a service without a time display, and HHMM times in both otherwise.",
    },
    example: "第6表 No.12 サービス開始時刻 = 9999, No.13 サービス終了時刻 = 1200",
    cites: [
        "T6-13-a",
    ],
    assumptions: ["A-END-TIME-PAIR"],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK"], reads: &["start_time", "end_time"], check },
}

/// サービス開始時刻・終了時刻 of a service without a time display.
const NO_TIME: &str = "9999";

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let (start, end) = (ctx.get("start_time"), ctx.get("end_time"));
    if start.is_empty() || end.is_empty() || (start == NO_TIME) == (end == NO_TIME) {
        return;
    }
    let (at, other) = if end == NO_TIME { ("end_time", "start_time") } else { ("start_time", "end_time") };
    let other_item = ctx.doc.kind.index_of(other).map(|column| &ctx.doc.kind.items[column]);
    out.push(
        ctx.finding(&RULE, at)
            .arg("other", other_item.map_or(other.to_string(), |item| format!("No.{} {}", item.no, item.name)))
            .arg("other_value", ctx.get(other)),
    );
}
