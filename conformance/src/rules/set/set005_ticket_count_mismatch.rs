use std::collections::HashMap;

use crate::billing::{number, row_kind, RowKind};
use crate::finding::Finding;
use crate::rules::{rule, Check};
use crate::validate::context::{finding_at, SetCtx};

rule! {
    code: "SET005",
    name: "ticket-count-mismatch",
    severity: Warning,
    level: Set,
    title: { ja: "第7表の回数と第6表の回数の不一致", en: "第7表 count differs from 第6表" },
    message: {
        ja: "{item}「{value}」が、第6表の同じ事業所・サービスコード（{office} / {code}）のサービス回数の合計 {expected} と一致しません。",
        en: "{item} '{value}' differs from the sum of 第6表 サービス回数 for the same office and service code ({office} / {code}), {expected}.",
    },
    what: {
        ja: "提供票の送信単位で、第7表の明細の回数／日数が、第6表の同じ利用者・事業所・サービスコードのサービス回数の合計と一致するかを検査します。",
        en: "Checks in a ticket unit that each 第7表 detail's 回数／日数 equals the total 第6表 サービス回数 for the same user, office and service code.",
    },
    why: {
        ja: "第7表は第6表の集計です。一致しないと、サービス事業所は予定と別表のどちらを信じてよいか分かりません。",
        en: "第7表 summarises 第6表; when they disagree the provider cannot tell which to trust.",
    },
    fix: {
        ja: "第6表の予定から第7表を集計し直して出力してください。",
        en: "Recompute 第7表 from the 第6表 plan.",
    },
    example: "第6表: 8 rows of 111111 for one office; 第7表 回数 = 9",
    assumptions: ["A-7-CALC"],
    check: Check::Set { check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(plan), Some(annex)) = (ctx.file_of_kind("UPPLAN"), ctx.file_of_kind("UPSIKYU"))
    else {
        return;
    };
    let (Some(plan_doc), Some(annex_doc)) = (&plan.document, &annex.document) else {
        return;
    };
    let key = |doc: &crate::document::Document, row: usize, office: &str| {
        [
            "insurer_number",
            "insured_number",
            "target_month",
            office,
            "service_code",
        ]
        .map(|id| doc.get(row, id).to_string())
    };
    let mut counts: HashMap<[String; 5], u64> = HashMap::new();
    for row in plan_doc.rows() {
        *counts
            .entry(key(plan_doc, row, "service_office_code"))
            .or_default() += number(plan_doc.get(row, "service_count")).unwrap_or(0);
    }
    for row in annex_doc.rows() {
        if row_kind(annex_doc.get(row, "service_code")) != RowKind::Detail {
            continue;
        }
        let Some(count) = number(annex_doc.get(row, "count_or_days")) else {
            continue;
        };
        let k = key(annex_doc, row, "service_office_code");
        let expected = counts.get(&k).copied().unwrap_or(0);
        if count != expected {
            out.push(
                finding_at(annex_doc, row, &RULE, "count_or_days")
                    .file(annex.path.clone())
                    .arg("office", k[3].clone())
                    .arg("code", k[4].clone())
                    .arg("expected", expected.to_string()),
            );
        }
    }
}
