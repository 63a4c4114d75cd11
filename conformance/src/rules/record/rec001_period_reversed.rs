use crate::calendar::parse_date;
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC001",
    name: "period-reversed",
    severity: Error,
    level: Record,
    title: { ja: "期間の開始日が終了日より後", en: "Period starts after it ends" },
    message: {
        ja: "{item}「{value}」が開始日「{start}」より前です。",
        en: "{item} '{value}' is before the start date '{start}'.",
    },
    what: {
        ja: "認定有効期間（開始日・終了日）と限度額適用期間（開始・終了年月日）で、開始日が終了日以前であることを検査します。",
        en: "Checks that the certification period and the limit period start on or before the day they end.",
    },
    why: {
        ja: "逆転した期間では、受信側が計画の有効性や区分支給限度基準額の適用月を判断できません。",
        en: "With a reversed period the receiver cannot tell whether the plan is valid or which months the limit applies to.",
    },
    fix: {
        ja: "開始日と終了日が入れ替わっていないか確認してください。",
        en: "Check whether start and end were swapped.",
    },
    example: "第1表 No.19 認定有効期間開始日 = 20260331, No.20 認定有効期間終了日 = 20250401",
    cites: [
        "S2 第1表 No.19–20 認定有効期間開始日・終了日, 利用者補足情報 No.14–15 限度額適用開始・終了年月日, 利用者基本情報 No.24–25, 支援計画書 No.10–11",
    ],
    check: Check::Record { kinds: &["UP1KYO", "UPHOSOKU", "UPKIHON", "UPYOBO"], reads: &["certification_valid_from", "certification_valid_to", "limit_period_start", "limit_period_end"], check },
}

const PERIODS: &[(&str, &str)] =
    &[("certification_valid_from", "certification_valid_to"), ("limit_period_start", "limit_period_end")];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    for &(from, to) in PERIODS {
        if !ctx.has(from) {
            continue;
        }
        let (start, end) = (ctx.get(from), ctx.get(to));
        if let (Some(s), Some(e)) = (parse_date(start), parse_date(end)) {
            if s > e {
                out.push(ctx.finding(&RULE, to).arg("start", start));
            }
        }
    }
}
