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
        ja: "第7表で、同じ事業所・同じサービス種類の明細が2行以上あるとき、区分支給対象の種類別小計行（種類コード＋AAAA）があることを検査します。",
        en: "Checks that when one office has two or more detail rows of a service kind, the 区分支給対象 kind subtotal (kind + AAAA) is present.",
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
        "S2 第7表 No.9 書式「区分支給対象種類別小計：CD（サービス種別）+’AAAA’ （サービスコードが複数行の場合は必須）」",
    ],
    check: Check::File { kinds: &["UPSIKYU"], reads: &["service_code", "service_office_code"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for annex in ctx.annexes().values() {
        for ((office, kind), rows) in &annex.details {
            if rows.len() > 1 && !annex.subtotals.contains_key(&(*office, *kind)) {
                out.push(
                    finding_at(doc, rows[0], &RULE, "service_code")
                        .arg("office", *office)
                        .arg("kind", *kind)
                        .arg("count", rows.len().to_string()),
                );
            }
        }
    }
}
