use crate::billing::{number, service_kind_of};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "FIL013",
    name: "limit-split-mismatch",
    severity: Error,
    level: File,
    title: { ja: "区分支給限度基準の超過分と基準内の和が給付管理単位数にならない", en: "Over-limit plus within-limit units are not the managed units" },
    message: {
        ja: "{item}「{value}」: 基準を超える単位数 {over} ＋ 基準内単位数 {within} が給付管理単位数 {managed} になりません。",
        en: "{item} '{value}': over-limit {over} + within-limit {within} is not the managed {managed}.",
    },
    what: {
        ja: "第7表の種類ごとの集計行（区分支給対象の小計、明細が1行の種類はその行）で、区分支給限度基準を超える単位数（空欄は0）＋区分支給限度基準内単位数＝給付管理単位数であることを検査します。種類支給限度基準内単位数が記載された行では、種類支給限度基準内単位数に一致しても正しいとします。大規模型通所系・小多機・看多機の種類（給付管理単位数を請求とは別の率で数えうるもの）では、超過のない行では和がサービス単位金額（請求単位数）に一致してもよく、超過のある行は分け方が記載要領によるため指摘しません。",
        en: "Checks on each kind's summary row (the AAAA subtotal, or a kind's single detail row) that over-limit units (empty = 0) + within-limit units = 給付管理単位数. On a row with 種類支給限度基準内単位数, equalling that instead is also right. For the kinds whose managed units may be counted at another rate (大規模型通所系, 小多機・看多機), a row with nothing over the limit may equal its サービス単位金額 (the billed units) instead, and a row over the limit is not judged, its split following the 記載要領.",
    },
    why: {
        ja: "給付管理単位数は限度額の内と外に分けられ、基準内が保険給付、超過分が全額利用者負担になります。和が合わないと、どちらかの額が誤っています。",
        en: "The managed units are split at the limit: within it the insurance pays, over it the user pays in full. A split that does not add up makes one of the amounts wrong.",
    },
    fix: {
        ja: "給付管理単位数を限度額で分け、超える単位数と基準内単位数を計算し直してください。",
        en: "Split the managed units at the limit and recompute both parts.",
    },
    example: "11AAAA 給付管理単位数 4818, 基準を超える単位数 0, 基準内単位数 4800",
    cites: [
        "S2 第7表 No.18 給付管理単位数, No.20 種類支給限度基準内単位数, No.21 区分支給限度基準を超える単位数, No.22 区分支給限度基準内単位数",
    ],
    assumptions: ["A-7-TYPE-LIMIT", "A-7-OTHER-RATE"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["service_code", "service_units_amount", "benefit_managed_units", "type_limit_within_units", "category_limit_over_units", "category_limit_within_units"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for summary in annex.summary_rows() {
            let get = |id: &str| number(doc.get(summary, id));
            let (Some(managed), Some(within)) = (get("benefit_managed_units"), get("category_limit_within_units"))
            else {
                continue;
            };
            let over = get("category_limit_over_units").unwrap_or(0);
            // The 区分 limit may split what is within a 種類支給限度 (A-7-TYPE-LIMIT).
            let type_within = get("type_limit_within_units");
            // Units counted at another rate than billed: within the limit, the split is of the billed units; over
            // it, the split follows the 記載要領, outside both sources (A-7-OTHER-RATE).
            let other_rate_split = || {
                spec().managed_at_other_rate(service_kind_of(doc.get(summary, "service_code")))
                    && (over > 0 || get("service_units_amount") == Some(over + within))
            };
            if over + within != managed && Some(over + within) != type_within && !other_rate_split() {
                out.push(
                    finding_at(doc, summary, &RULE, "category_limit_within_units")
                        .arg("over", over.to_string())
                        .arg("within", within.to_string())
                        .arg("managed", managed.to_string()),
                );
            }
        }
    }
}
