use crate::billing::{insurance_claim, number, total_cost};
use crate::finding::Finding;
use crate::rules::field::fld016_invalid_decimal::parse_hundredths;

use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL010",
    name: "cost-mismatch",
    severity: Error,
    level: File,
    title: { ja: "第7表の費用総額・請求額・利用者負担の計算違い", en: "第7表 cost, claim or share does not add up" },
    message: {
        ja: "{item}「{value}」が計算値 {expected}（{formula}）と一致しません。",
        en: "{item} '{value}' differs from the computed {expected} ({formula}).",
    },
    what: {
        ja: "第7表の種類ごとの集計行で、費用総額＝基準内単位数×単位数単価（円未満切捨て）、保険請求額＝費用総額×給付率÷100（切捨て）、利用者負担（保険対象分）＝費用総額−保険請求額、利用者負担（全額負担分）＝区分支給限度基準を超える単位数×単位数単価（円未満切捨て）を検査します。減算による負の単位数も符号どおりに計算します。定額利用者負担単価金額のある種類は保険請求額を給付率から求めず、利用者負担＝費用総額−保険請求額だけを検査します。",
        en: "Checks on each kind summary row: cost = within-limit units × unit price (rounded down), claim = cost × benefit rate / 100 (rounded down), user share = cost − claim, full-pay share = over-limit units × unit price (rounded down). Negative 減算 units count with their sign. For a kind with a 定額利用者負担単価金額 the claim is not derived from the benefit rate; only user share = cost − claim is checked.",
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
    cites: [
        "S2 第7表 No.22 区分支給限度基準内単位数, No.23 単位数単価, No.24 費用総額, No.25 給付率, No.26 保険／事業費請求額, No.27 定額利用者負担単価金額, No.28–29 利用者負担",
    ],
    assumptions: ["A-7-CALC", "A-7-FIXED-COPAY", "A-7-TYPE-LIMIT"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["category_limit_within_units", "category_limit_over_units", "unit_price", "benefit_rate", "total_cost_insured", "insurance_claim_amount", "copay_insured", "copay_full", "fixed_copay_unit_amount", "type_limit_over_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for (row, details) in annex.summaries() {
            let get = |id: &str| number(doc.get(row, id));
            let fixed_copay =
                std::iter::once(&row).chain(details).any(|&r| !doc.get(r, "fixed_copay_unit_amount").is_empty());
            let (Some(within), Some(price), Some(cost)) = (
                get("category_limit_within_units"),
                parse_hundredths(doc.get(row, "unit_price")).and_then(|price| i64::try_from(price).ok()),
                get("total_cost_insured"),
            ) else {
                continue;
            };
            let mut expect = |id: &str, expected: i64, formula: (&str, &str)| {
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
            // Units over a 種類支給限度 are paid in full too; the 記載要領 is outside both sources, so either
            // reading passes (A-7-TYPE-LIMIT).
            let type_over = get("type_limit_over_units").unwrap_or(0);
            if let Some(over) = get("category_limit_over_units")
                .filter(|over| get("copay_full") != Some(total_cost(over + type_over, price)))
            {
                expect(
                    "copay_full",
                    total_cost(over, price),
                    ("基準を超える単位数×単位数単価、円未満切捨て", "over-limit units × unit price, truncated"),
                );
            }
            if let Some(rate) = get("benefit_rate") {
                // A 定額 share makes the claim cost − share, not cost × rate (A-7-FIXED-COPAY).
                if !fixed_copay {
                    expect(
                        "insurance_claim_amount",
                        insurance_claim(cost, rate),
                        ("費用総額×給付率÷100、切捨て", "cost × benefit rate / 100, truncated"),
                    );
                }
                if let Some(actual_claim) = get("insurance_claim_amount") {
                    expect("copay_insured", cost - actual_claim, ("費用総額−保険請求額", "cost − claim"));
                }
            }
        }
    }
}
