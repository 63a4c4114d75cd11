use crate::billing::{insurance_claim, number, total_cost};
use crate::finding::Finding;
use crate::rules::field::fld016_invalid_decimal::parse_hundredths;

use crate::rules::{rule, Check};
use crate::validate::context::{finding_at, FileCtx};

rule! {
    code: "FIL010",
    name: "cost-mismatch",
    severity: Warning,
    level: File,
    title: { ja: "第7表の費用総額・請求額・利用者負担の計算違い", en: "第7表 cost, claim or share does not add up" },
    message: {
        ja: "{item}「{value}」が計算値 {expected}（{formula}）と一致しません。",
        en: "{item} '{value}' differs from the computed {expected} ({formula}).",
    },
    what: {
        ja: "第7表の種類ごとの集計行で、費用総額＝基準内単位数×単位数単価（円未満切捨て）、保険請求額＝費用総額×給付率÷100（切捨て）、利用者負担（保険対象分）＝費用総額−保険請求額 を検査します。",
        en: "Checks on each kind summary row: cost = within-limit units × unit price (truncated), claim = cost × benefit rate / 100 (truncated), user share = cost − claim.",
    },
    why: {
        ja: "利用者に示す負担額が受信側の計算と食い違うと、説明と請求が一致しなくなります。",
        en: "If the share shown to the user differs from the receiver's computation, explanation and billing disagree.",
    },
    fix: {
        ja: "単価・給付率を確認し、端数処理（切捨て）に合わせて計算し直してください。",
        en: "Check unit price and rate and recompute with truncation.",
    },
    example: "基準内単位数 3168, 単価 11.40, 費用総額 36116 (expected 36115)",
    assumptions: ["A-7-CALC"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["unit_price", "benefit_rate", "total_cost_insured", "insurance_claim_amount", "copay_insured"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for row in annex.summary_rows() {
            let get = |id: &str| number(doc.get(row, id));
            let (Some(within), Some(price), Some(cost)) = (
                get("category_limit_within_units"),
                parse_hundredths(doc.get(row, "unit_price")),
                get("total_cost_insured"),
            ) else {
                continue;
            };
            let mut expect = |id: &str, expected: u64, formula: (&str, &str)| {
                if get(id).is_some_and(|value| value != expected) {
                    out.push(
                        finding_at(doc, row, &RULE, id)
                            .arg("expected", expected.to_string())
                            .arg2("formula", formula.0, formula.1),
                    );
                }
            };
            expect(
                "total_cost_insured",
                total_cost(within, price),
                ("基準内単位数×単位数単価、円未満切捨て", "within-limit units × unit price, truncated"),
            );
            if let Some(rate) = get("benefit_rate") {
                let claim = insurance_claim(cost, rate);
                expect(
                    "insurance_claim_amount",
                    claim,
                    ("費用総額×給付率÷100、切捨て", "cost × benefit rate / 100, truncated"),
                );
                if let Some(actual_claim) = get("insurance_claim_amount") {
                    expect("copay_insured", cost.saturating_sub(actual_claim), ("費用総額−保険請求額", "cost − claim"));
                }
            }
        }
    }
}
