use crate::calendar::parse_time;
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC003",
    name: "start-after-end",
    severity: Warning,
    level: Record,
    title: { ja: "開始時刻が終了時刻より後", en: "Start time after end time" },
    message: {
        ja: "{item}「{value}」が開始時刻「{start}」より前です。日をまたぐサービスでなければ時刻を確認してください。",
        en: "{item} '{value}' is before the start time '{start}'. Unless the service runs past midnight, check the times.",
    },
    what: {
        ja: "第6表のサービス開始・終了時刻、第3表の開始・終了時間で、開始が終了より後になっていないかを検査します（9999 は対象外）。",
        en: "Checks that start times are not after end times (第6表 No.12/13, 第3表 No.8/9 and No.11/12); 9999 is ignored.",
    },
    why: {
        ja: "時刻の逆転は、入力誤りか、日をまたぐサービスの記録方法の違いです。受信側で提供時間が負になり、加算の判定を誤ります。",
        en: "A reversed pair is either a typo or an overnight service recorded differently; receivers compute a negative duration and misjudge time-based additions.",
    },
    fix: {
        ja: "時刻を確認してください。夜間のサービスの記録方法は受信先と取り決めてください。",
        en: "Check the times; agree with the receiver how overnight services are recorded.",
    },
    example: "第6表 No.12 サービス開始時刻 = 1500, No.13 サービス終了時刻 = 1400",
    cites: [
        "S2 第6表 No.12–13 サービス開始・終了時刻",
        "S2 第3表 No.8–9, 11–12 開始・終了時間",
    ],
    assumptions: ["A-OVERNIGHT"],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK", "UP3KYO"], reads: &["start_time", "end_time", "service_start_time", "service_end_time", "activity_start_time", "activity_end_time"], check },
}

const PAIRS: &[(&str, &str)] = &[
    ("start_time", "end_time"),
    ("service_start_time", "service_end_time"),
    ("activity_start_time", "activity_end_time"),
];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    for &(start_id, end_id) in PAIRS {
        if !ctx.has(start_id) {
            continue;
        }
        let (start, end) = (ctx.get(start_id), ctx.get(end_id));
        if let (Some(s), Some(e)) = (parse_time(start, true), parse_time(end, true)) {
            if s > e {
                out.push(ctx.finding(&RULE, end_id).arg("start", start));
            }
        }
    }
}
