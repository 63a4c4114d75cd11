use crate::calendar::{parse_date, parse_month};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC006",
    name: "service-date-outside-month",
    severity: Error,
    level: Record,
    title: { ja: "サービス利用日が対象年月の外", en: "Service date outside the service month" },
    message: {
        ja: "{item}「{value}」は対象年月「{month}」の日付ではありません。",
        en: "{item} '{value}' is not a day of the service month '{month}'.",
    },
    what: {
        ja: "第6表のサービス利用日が、同じレコードの対象年月の月の日付かを検査します。",
        en: "Checks that each 第6表 サービス利用日 falls in the record's 対象年月.",
    },
    why: {
        ja: "1つの提供票は1か月分です。他の月の日付は受信側で別の月の実績と混ざります。",
        en: "A ticket covers exactly one month; another month's date mixes into the wrong month's records.",
    },
    fix: {
        ja: "月をまたぐ予定・実績は月ごとに分けて出力してください。",
        en: "Split services that cross months into each month's file.",
    },
    example: "第6表 No.5 対象年月 = 202504, No.10 サービス利用日 = 20250501",
    cites: [
        "S2-unit-b",
        "S2 第6表 No.10 サービス利用日 YYYYMMDD, No.5 対象年月",
    ],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK"], reads: &["service_date", "target_month"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let month = ctx.get("target_month");
    if let (Some((y, m, _)), Some(target)) = (parse_date(ctx.get("service_date")), parse_month(month)) {
        if (y, m) != target {
            out.push(ctx.finding(&RULE, "service_date").arg("month", month));
        }
    }
}
