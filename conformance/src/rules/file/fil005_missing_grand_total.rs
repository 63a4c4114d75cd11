use crate::finding::Finding;

use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL005",
    name: "missing-grand-total",
    severity: Error,
    level: File,
    title: { ja: "第7表の全合計行がない", en: "第7表 without a 全合計 row" },
    message: {
        ja: "被保険者番号「{value}」の第7表に全合計行（サービスコード 999999）がありません。",
        en: "The 第7表 of insured number '{value}' has no 全合計 row (service code 999999).",
    },
    what: {
        ja: "第7表の利用者ごとに、全合計行（サービスコード 999999、サービス事業所コード 9999999999）が1行あることを検査します。",
        en: "Checks that each user's 第7表 has a 全合計 row (service code 999999, office 9999999999).",
    },
    why: {
        ja: "標準仕様は全合計行を必須としています。受信側は全合計行で区分支給限度基準額の超過と利用者負担を確認します。",
        en: "The spec makes the 全合計 row required; receivers read the over-limit units and the user's share from it.",
    },
    fix: {
        ja: "利用者ごとに全合計行を出力してください。",
        en: "Write a 全合計 row for every user.",
    },
    example: "UPSIKYU rows for 0000012345 with detail and AAAA rows only",
    cites: [
        "T7-09-f",
    ],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["insured_number", "service_code"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values().filter(|annex| annex.grand_total.is_none()) {
        if let Some(&row) = annex.details.values().flatten().next() {
            out.push(finding_at(doc, row, &RULE, "insured_number"));
        }
    }
}
