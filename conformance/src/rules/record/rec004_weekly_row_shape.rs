use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC004",
    name: "weekly-row-shape",
    severity: Warning,
    level: Record,
    title: { ja: "第3表のレコードの項目のそろい方", en: "Weekly plan row shape" },
    message: {
        ja: "第3表のこのレコードは{problem}",
        en: "This 第3表 row {problem}",
    },
    what: {
        ja: "第3表の各レコードが、週間サービス（No.6〜9）、主な日常生活上の活動（No.10〜12）、週単位以外のサービス（No.13）のどれか一つだけを、必要な項目をそろえて持っているかを検査します。",
        en: "Checks that each 第3表 row carries exactly one of: a weekly service (No.6–9), a daily activity (No.10–12) or a non-weekly service (No.13), with that group's items filled.",
    },
    why: {
        ja: "受信側はレコードを週間表のマス・活動欄・週単位以外の欄に振り分けます。曜日や時間が欠けると表に置けません。",
        en: "Receivers place each row in the weekly grid, the activity column or the non-weekly box; without weekday or times a row cannot be placed.",
    },
    fix: {
        ja: "週間サービスには曜日・開始時間・終了時間を、活動には開始・終了時間（時点なら同じ時刻）を出力し、1レコードに1種類だけを入れてください。",
        en: "Give weekly services a weekday, start and end; give activities start and end (the same time for a point in time); one kind per row.",
    },
    example: "…,\"訪問介護\",,1200,1300,,,,  ← 曜日 (No.7) missing",
    cites: [
        "S2 居宅サービス計画３表 の構成 and データ配置例 (a row is a weekly entry, a daily activity, or a non-weekly service)",
    ],
    check: Check::Record { kinds: &["UP3KYO"], reads: &["care_service_content", "weekday", "service_start_time", "service_end_time", "daily_activity", "activity_start_time", "activity_end_time", "non_weekly_service"], check },
}

const GROUPS: &[&[&str]] = &[
    &["care_service_content", "weekday", "service_start_time", "service_end_time"],
    &["daily_activity", "activity_start_time", "activity_end_time"],
    &["non_weekly_service"],
];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let used: Vec<&[&str]> =
        GROUPS.iter().copied().filter(|group| group.iter().any(|id| !ctx.get(id).is_empty())).collect();
    let finding = |ja: String, en: String, at: &str| ctx.finding(&RULE, at).arg2("problem", ja, en);
    match used.as_slice() {
        [] => out.push(finding(
            "週間サービス・活動・週単位以外のサービスのどれも持っていません。".into(),
            "has no weekly service, activity or non-weekly service.".into(),
            "care_service_content",
        )),
        [group] => {
            if let Some(missing) = group.iter().find(|id| ctx.get(id).is_empty()) {
                let name = ctx.doc.kind.index_of(missing).map(|i| &ctx.doc.kind.items[i]);
                let (ja, en) = name.map_or_else(Default::default, |item| {
                    (
                        format!("No.{} {} が空欄です。", item.no, item.name),
                        format!("lacks No.{} {}.", item.no, item.english_name()),
                    )
                });
                out.push(finding(ja, en, missing));
            }
        }
        [_, second, ..] => out.push(finding(
            "複数の種類（週間サービス・活動・週単位以外）を1レコードに持っています。".into(),
            "mixes several kinds (weekly service, activity, non-weekly service).".into(),
            second[0],
        )),
    }
}
