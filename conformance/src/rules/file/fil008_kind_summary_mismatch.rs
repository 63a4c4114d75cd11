use crate::billing::number;
use crate::finding::Finding;

use crate::rules::{rule, Check};
use crate::validate::context::{finding_at, FileCtx};

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
        ja: "第7表の種類ごとの集計行（小計行、明細が1行ならその行）で、給付管理単位数が明細のサービス単位金額の合計と一致し、区分支給限度基準を超える単位数＋基準内単位数＝給付管理単位数であることを検査します。",
        en: "Checks each kind's summary row (the AAAA subtotal, or the single detail row): 給付管理単位数 = sum of the details' amounts, and over-limit + within-limit units = 給付管理単位数.",
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
    assumptions: ["A-7-CALC"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["benefit_managed_units", "category_limit_over_units", "category_limit_within_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for (group, details) in &annex.details {
            let Some(&summary) = annex.subtotals.get(group).or(if details.len() == 1 { details.first() } else { None })
            else {
                continue;
            };
            let Some(managed) = number(doc.get(summary, "benefit_managed_units")) else {
                continue;
            };
            if annex.subtotals.contains_key(group) {
                let sum: u64 = details.iter().filter_map(|&row| number(doc.get(row, "service_units_amount"))).sum();
                if managed != sum {
                    out.push(finding_at(doc, summary, &RULE, "benefit_managed_units").arg2(
                        "problem",
                        format!("明細のサービス単位金額の合計 {sum} と一致しません。"),
                        format!("the details' amounts add up to {sum}."),
                    ));
                }
            }
            let over = number(doc.get(summary, "category_limit_over_units")).unwrap_or(0);
            if let Some(within) = number(doc.get(summary, "category_limit_within_units")) {
                if over + within != managed {
                    out.push(finding_at(doc, summary, &RULE, "category_limit_within_units").arg2(
                        "problem",
                        format!("基準を超える単位数 {over} ＋ 基準内単位数 {within} が給付管理単位数 {managed} になりません。"),
                        format!("over-limit {over} + within-limit {within} is not the managed {managed}."),
                    ));
                }
            }
        }
    }
}
