use crate::billing::number;
use crate::finding::Finding;

use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "FIL008",
    name: "kind-summary-mismatch",
    severity: Warning,
    level: File,
    title: { ja: "第7表の種類別集計の計算違い", en: "第7表 kind summary does not add up" },
    message: {
        ja: "{item}「{value}」: {problem}",
        en: "{item} '{value}': {problem}",
    },
    what: {
        ja: "第7表の種類ごとの区分支給対象小計（AAAA）で、給付管理単位数が区分支給対象の明細のサービス単位金額の合計と一致するかを検査します。処遇改善加算など区分支給限度額の管理対象外の明細は給付管理単位数が空欄（No.18）で、小計に入りません。どの明細も空欄のときは、同じ種類の区分支給対象外小計（EEEE）の額を除きます。どのコードが対象外かはサービスコード表（標準仕様の外）で決まるため、警告です。大規模型通所系・小多機・看多機の種類は給付管理単位数を請求とは別の率で数えうるため、明細の給付管理単位数の合計と一致してもよいとします。",
        en: "Checks each kind's 区分支給対象 subtotal (AAAA): 給付管理単位数 = sum of the amounts of the details within the limit. A detail outside the limit (処遇改善加算 and other 限度額管理対象外 codes) leaves 給付管理単位数 empty (No.18) and stays out of the subtotal; when every detail leaves it empty, the kind's 区分支給対象外 subtotal (EEEE) amount is taken out. Which codes are outside is set by the service-code table, outside the spec: a warning. For kinds whose managed units may be counted at another rate (大規模型通所系, 小多機・看多機), equalling the sum of the details' 給付管理単位数 is right too.",
    },
    why: {
        ja: "種類ごとの集計は区分支給限度基準額の管理の単位です。合計が合わないと受信側の給付管理票と食い違います。",
        en: "Per-kind totals are the unit of limit management; totals that do not add up contradict the receiver's benefit management.",
    },
    fix: {
        ja: "明細の合計から小計を計算し直して出力してください。",
        en: "Recompute the summary from the detail rows.",
    },
    example: "11AAAA 給付管理単位数 5000, details 3168 + 1650 = 4818",
    cites: [
        "S2 第7表 No.18 給付管理単位数 書式「区分支給限度外のサービスの場合はNull（空） 固定」",
        "S2 第7表 No.9 書式 (AAAA 区分支給対象種類別小計)",
    ],
    assumptions: ["A-7-CALC", "A-7-OUTSIDE-LIMIT", "A-7-OTHER-RATE"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["service_code", "service_office_code", "service_units_amount", "benefit_managed_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for (group, details) in &annex.details {
            let Some(&summary) = annex.subtotals.get(group) else {
                continue;
            };
            let Some(managed) = number(doc.get(summary, "benefit_managed_units")) else {
                continue;
            };
            let amount = |row: usize| number(doc.get(row, "service_units_amount")).unwrap_or(0);
            let managed_or_empty = |row: usize| !doc.get(row, "benefit_managed_units").is_empty();
            // A detail outside the limit leaves 給付管理単位数 empty (S2 No.18); when every detail leaves it empty
            // (allowed where no 大規模型通所系 etc. is involved), the kind's EEEE subtotal says how much is outside.
            let sum: i64 = if details.iter().any(|&row| managed_or_empty(row)) {
                details.iter().filter(|&&row| managed_or_empty(row)).map(|&row| amount(row)).sum()
            } else {
                let outside = annex.outside_limit.get(group).map_or(0, |&row| amount(row));
                details.iter().map(|&row| amount(row)).sum::<i64>() - outside
            };
            // A kind whose managed units may be counted at another rate than billed adds up its details' managed
            // units instead of their amounts (A-7-OTHER-RATE).
            let managed_sum =
                || -> i64 { details.iter().filter_map(|&row| number(doc.get(row, "benefit_managed_units"))).sum() };
            if managed != sum && !(spec().managed_at_other_rate(group.1) && managed == managed_sum()) {
                out.push(finding_at(doc, summary, &RULE, "benefit_managed_units").arg2(
                    "problem",
                    format!("区分支給対象の明細のサービス単位金額の合計 {sum} と一致しません。"),
                    format!("the amounts of the details within the limit add up to {sum}."),
                ));
            }
        }
    }
}
