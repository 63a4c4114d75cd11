use crate::billing::number;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL014",
    name: "type-limit-split-mismatch",
    severity: Error,
    level: File,
    title: { ja: "種類支給限度基準の超過分と基準内の和が給付管理単位数にならない", en: "Over-type-limit plus within-type-limit units are not the managed units" },
    message: {
        ja: "{item}「{value}」: 種類支給限度基準を超える単位数 {over} ＋ 基準内単位数 {within} が給付管理単位数 {managed} になりません。",
        en: "{item} '{value}': over-type-limit {over} + within-type-limit {within} is not the managed {managed}.",
    },
    what: {
        ja: "第7表の種類ごとの集計行（区分支給対象の小計、明細が1行の種類はその行）で、種類支給限度基準内単位数が記載されているとき、種類支給限度基準を超える単位数（空欄は0）＋種類支給限度基準内単位数＝給付管理単位数であることを検査します。",
        en: "Checks on each kind's summary row (the AAAA subtotal, or a kind's single detail row) that carries 種類支給限度基準内単位数 that over-type-limit units (empty = 0) + within-type-limit units = 給付管理単位数.",
    },
    why: {
        ja: "市町村が種類支給限度基準額を定めた種類では、給付管理単位数が種類の限度の内と外に分けられ、超えた分は全額利用者負担になります。和が合わないと、負担額か請求額のどちらかが誤っています。",
        en: "Where the municipality sets a 種類支給限度, a kind's managed units are split at it and what is over is paid in full by the user; a split that does not add up makes the share or the claim wrong.",
    },
    fix: {
        ja: "給付管理単位数を種類支給限度基準額（利用者補足情報の種類支給限度の枠）で分け、超える単位数と基準内単位数を計算し直してください。",
        en: "Split the managed units at the 種類支給限度 (the user supplement's type-limit slot) and recompute both parts.",
    },
    example: "15AAAA 給付管理単位数 9000, 種類支給限度基準を超える単位数 1000, 基準内単位数 7000",
    cites: [
        "S2 第7表 No.18 給付管理単位数, No.19 種類支給限度基準を超える単位数, No.20 種類支給限度基準内単位数",
    ],
    assumptions: ["A-7-TYPE-LIMIT"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["benefit_managed_units", "type_limit_over_units", "type_limit_within_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for summary in annex.summary_rows() {
            let get = |id: &str| number(doc.get(summary, id));
            let (Some(managed), Some(within)) = (get("benefit_managed_units"), get("type_limit_within_units")) else {
                continue;
            };
            let over = get("type_limit_over_units").unwrap_or(0);
            if over + within != managed {
                out.push(
                    finding_at(doc, summary, &RULE, "type_limit_within_units")
                        .arg("over", over.to_string())
                        .arg("within", within.to_string())
                        .arg("managed", managed.to_string()),
                );
            }
        }
    }
}
