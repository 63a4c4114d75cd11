use crate::finding::Finding;

use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL006",
    name: "missing-kind-subtotal",
    severity: Error,
    level: File,
    title: { ja: "第7表の種類別小計行がない", en: "第7表 kind subtotal missing" },
    message: {
        ja: "事業所「{office}」のサービス種類「{kind}」に明細が {count} 行ありますが、小計行（{kind}AAAA）がありません。",
        en: "Office '{office}' has {count} detail rows of service kind '{kind}' but no subtotal row ({kind}AAAA).",
    },
    what: {
        ja: "第7表で、同じ事業所・同じ区分支給対象のサービス種類の明細が2行以上あるとき、種類別小計行（種類コード＋AAAA）があることを検査します。区分支給限度の対象外の種類（居宅療養管理指導など）には AAAA 行はなく、その小計（EEEE）は任意出力です。",
        en: "Checks that when one office has two or more detail rows of a service kind inside the 区分支給限度, the kind subtotal (kind + AAAA) is present. A kind outside the limit (居宅療養管理指導 etc.) has no AAAA row; its subtotal (EEEE) is optional.",
    },
    why: {
        ja: "標準仕様は、明細が複数ある種類の小計行を必須としています。限度額の管理や費用総額は小計行に記載されます。",
        en: "The spec requires the subtotal for kinds with several rows; limit management and costs are carried on it.",
    },
    fix: {
        ja: "種類ごとに小計行を出力してください（単位数 0、割引後率・割引後単位数は空欄）。",
        en: "Write a subtotal row per kind (単位数 0, discount items empty).",
    },
    example: "two 11xxxx detail rows for one office and no 11AAAA row",
    cites: [
        "T7-09-c",
    ],
    assumptions: ["A-LIMIT-KINDS"],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["service_code", "service_office_code"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for ((office, kind), rows) in annex.missing_subtotals() {
            out.push(
                finding_at(doc, rows[0], &RULE, "service_code")
                    .arg("office", *office)
                    .arg("kind", *kind)
                    .arg("count", rows.len().to_string()),
            );
        }
    }
}
