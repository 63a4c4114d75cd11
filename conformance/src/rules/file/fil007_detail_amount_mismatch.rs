use crate::billing::{detail_amount, detail_rows, number};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL007",
    name: "detail-amount-mismatch",
    severity: Error,
    level: File,
    title: { ja: "第7表明細のサービス単位金額の計算違い", en: "第7表 detail amount does not add up" },
    message: {
        ja: "{item}「{value}」が（割引後）単位数 × 回数 = {expected} と一致しません。",
        en: "{item} '{value}' is not (discounted) units × count = {expected}.",
    },
    what: {
        ja: "第7表の明細行で、サービス単位金額が「割引後単位数（なければ単位数）× 回数／日数」かを検査します。",
        en: "Checks on 第7表 detail rows that サービス単位金額 = discounted units (else units) × 回数／日数.",
    },
    why: {
        ja: "サービス単位金額は給付管理単位数と限度額の計算の元になります。計算が違うと受信側の別表と一致しません。",
        en: "The amount feeds the managed units and the limit calculation; a wrong product makes the receiver's annex disagree.",
    },
    fix: {
        ja: "単位数・割引後単位数・回数を確認し、積を出力してください。",
        en: "Check units, discounted units and count, and write their product.",
    },
    example: "単位数 396, 回数 8, サービス単位金額 3200 (expected 3168)",
    cites: [
        "S2 第7表 No.17 サービス単位金額, No.13 単位数, No.15 割引後単位数, No.16 回数／日数 (the form's サービス単位/金額 column = 単位数 × 回数)",
    ],
    assumptions: ["A-7-CALC"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["units", "discounted_units", "count_or_days", "service_units_amount"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let [units, count, amount, discounted] =
        ["units", "count_or_days", "service_units_amount", "discounted_units"].map(|id| doc.column(id));
    for row in detail_rows(doc) {
        let (Some(units), Some(count), Some(amount)) =
            (number(doc.at(row, units)), number(doc.at(row, count)), number(doc.at(row, amount)))
        else {
            continue;
        };
        let expected = detail_amount(units, number(doc.at(row, discounted)), count);
        if amount != expected {
            out.push(finding_at(doc, row, &RULE, "service_units_amount").arg("expected", expected.to_string()));
        }
    }
}
