use crate::billing::{number, GRAND_TOTAL_SUMS};
use crate::finding::Finding;

use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL009",
    name: "grand-total-mismatch",
    severity: Warning,
    level: File,
    title: { ja: "第7表の全合計の計算違い", en: "第7表 grand total does not add up" },
    message: {
        ja: "{item}「{value}」が種類ごとの集計行の合計 {expected} と一致しません。",
        en: "{item} '{value}' is not the sum of the kind summary rows, {expected}.",
    },
    what: {
        ja: "第7表の全合計行の給付管理単位数、区分支給限度基準を超える単位数・基準内単位数、費用総額、保険請求額、利用者負担が、種類ごとの集計行（区分支給対象の小計、明細が1行の種類はその行）と区分支給対象外の種類別小計（EEEE）の合計と一致するかを検査します。区分支給対象外の行は限度額管理の行とは別に集計し、全合計でだけ合わせます。",
        en: "Checks that the 全合計 row's managed units, over/within-limit units, cost, claim and user shares equal the sums over the kind summary rows (AAAA subtotal, or a kind's single detail row) plus the 区分支給対象外 subtotals (EEEE), which are summed apart from the limit-managed rows and join them only in the grand total.",
    },
    why: {
        ja: "全合計は利用者に示す月の負担額と、限度額超過の判断に使われます。",
        en: "The grand total is the month's share shown to the user and the basis of the over-limit decision.",
    },
    fix: {
        ja: "種類ごとの集計行から全合計を計算し直してください。",
        en: "Recompute the grand total from the kind summaries.",
    },
    example: "999999 費用総額 60000, summaries 36115 + 22800 = 58915",
    cites: [
        "S2 第7表 No.9 書式 (AAAA / EEEE 種類別小計 and 全合計 999999)",
        "S2 第7表 No.18–29",
    ],
    assumptions: ["A-7-CALC", "A-LIMIT-KINDS"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["total_cost_insured", "insurance_claim_amount", "copay_insured", "copay_full"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        let Some(total) = annex.grand_total else {
            continue;
        };
        // 区分支給対象外 種類別小計 (EEEE) rows are summed apart from the limit-managed rows and join them only
        // in the 全合計 (S2 第7表 No.9 書式).
        let summaries: Vec<usize> = annex.summary_rows().into_iter().chain(annex.outside_rows()).collect();
        for id in GRAND_TOTAL_SUMS {
            let Some(value) = number(doc.get(total, id)) else {
                continue;
            };
            let expected: i64 = summaries.iter().filter_map(|&row| number(doc.get(row, id))).sum();
            if value != expected {
                out.push(finding_at(doc, total, &RULE, id).arg("expected", expected.to_string()));
            }
        }
    }
}
