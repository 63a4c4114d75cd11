use crate::calendar::parse_date;
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC002",
    name: "first-plan-after-plan",
    severity: Error,
    level: Record,
    title: { ja: "初回作成日が作成（変更）日より後", en: "First plan date after the plan date" },
    message: {
        ja: "{item}「{value}」が計画作成（変更）日「{plan}」より後です。",
        en: "{item} '{value}' is after the plan's creation/change date '{plan}'.",
    },
    what: {
        ja: "初回居宅サービス計画作成日（介護予防: 初回作成日）が、居宅サービス計画作成（変更）日（計画作成(変更)日）以前であることを検査します。",
        en: "Checks that the first plan date is on or before the plan's creation/change date (第1表 No.15 ≤ No.14; UPYOBO No.20 ≤ No.4).",
    },
    why: {
        ja: "初回の計画が今回の計画より後に作られることはありません。日付の取り違えは、計画書区分（初回・継続）の判断を誤らせます。",
        en: "The first plan cannot be made after the current one; a swapped date misleads the 初回/継続 classification.",
    },
    fix: {
        ja: "二つの日付が入れ替わっていないか確認してください。",
        en: "Check whether the two dates were swapped.",
    },
    example: "第1表 No.14 = 20250401, No.15 初回居宅サービス計画作成日 = 20250501",
    cites: [
        "S2 第1表 No.14 居宅サービス計画作成（変更）日, No.15 初回居宅サービス計画作成日",
        "S2 介護予防サービス・支援計画書 No.4, No.20",
    ],
    check: Check::Record { kinds: &["UP1KYO", "UPYOBO"], reads: &["first_care_plan_date", "care_plan_date", "first_plan_date", "plan_date"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let (first_id, plan_id) = if ctx.doc.kind.code == "UPYOBO" {
        ("first_plan_date", "plan_date")
    } else {
        ("first_care_plan_date", "care_plan_date")
    };
    let (first, plan) = (ctx.get(first_id), ctx.get(plan_id));
    if let (Some(f), Some(p)) = (parse_date(first), parse_date(plan)) {
        if f > p {
            out.push(ctx.finding(&RULE, first_id).arg("plan", plan));
        }
    }
}
