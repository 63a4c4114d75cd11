use crate::billing::{detail_rows, discounted_units, number};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL011",
    name: "discount-mismatch",
    severity: Warning,
    level: File,
    title: { ja: "第7表の割引後単位数の計算違い", en: "第7表 discounted units do not follow from the rate" },
    message: {
        ja: "{item}「{value}」が 単位数 {units} × 割引後率 {rate}% ＝ {expected}（四捨五入）と一致しません。",
        en: "{item} '{value}' is not units {units} × rate {rate}% = {expected} (rounded half up).",
    },
    what: {
        ja: "第7表の明細行で割引後率と割引後単位数がともにあるとき、割引後単位数＝単位数×割引後率÷100（1単位未満四捨五入）かを検査します。端数処理は標準仕様に書かれていないため警告です（前提 A-7-DISCOUNT）。",
        en: "Checks on 第7表 detail rows with both a rate and discounted units that discounted units = units × rate / 100, rounded half up. The spec does not state the rounding, so this is a warning (assumption A-7-DISCOUNT).",
    },
    why: {
        ja: "割引後単位数はサービス単位金額と限度額の計算の元です。率と合わない値は、割引の設定か計算の誤りを示します。",
        en: "Discounted units feed the amount and the limit; a value that does not follow from the rate points to a wrong discount or a wrong calculation.",
    },
    fix: {
        ja: "事業所の割引率（割引後率）を確認し、単位数×割引後率を四捨五入して出力してください。",
        en: "Check the office's discount rate and write units × rate, rounded.",
    },
    example: "単位数 396, 割引後率 95, 割引後単位数 370 (expected 376)",
    cites: [
        "S2 第7表 No.14 割引後率, No.15 割引後単位数",
        "S2 第6表 No.8 「※割引後単位数を記載」",
    ],
    assumptions: ["A-7-DISCOUNT"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["units", "discount_rate", "discounted_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let [units, rate, discounted] = ["units", "discount_rate", "discounted_units"].map(|id| doc.column(id));
    for row in detail_rows(doc) {
        let (Some(units), Some(rate), Some(discounted)) =
            (number(doc.at(row, units)), number(doc.at(row, rate)), number(doc.at(row, discounted)))
        else {
            continue;
        };
        let expected = discounted_units(units, rate);
        if discounted != expected {
            out.push(
                finding_at(doc, row, &RULE, "discounted_units")
                    .arg("units", units.to_string())
                    .arg("rate", rate.to_string())
                    .arg("expected", expected.to_string()),
            );
        }
    }
}
