use crate::fasthash::FxHashMap;

use crate::billing::{annexes, number, over_limit};
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx};
use crate::rules::{rule, Check};

rule! {
    code: "SET006",
    name: "limit-over-mismatch",
    severity: Error,
    level: Set,
    title: { ja: "区分支給限度基準を超える単位数の計算違い", en: "Over-limit units do not match the benefit limit" },
    message: {
        ja: "{item}「{value}」が、給付管理単位数の合計 {managed} − 区分支給限度基準額 {limit}（利用者補足情報 No.19）から求めた {expected} と一致しません。",
        en: "{item} '{value}' differs from managed units {managed} − benefit limit {limit} (supplement No.19) = {expected}.",
    },
    what: {
        ja: "提供票の送信単位で、第7表の全合計行の区分支給限度基準を超える単位数が、max(0, 全合計の給付管理単位数 − 利用者補足情報の区分支給限度基準額) と一致するかを検査します。限度額を超えているのにこの項目が空欄の場合も指摘します。種類支給限度基準を超える単位数が記載されていれば、それを先に除いた max(0, 給付管理単位数 − 種類支給限度基準を超える単位数 − 区分支給限度基準額) に一致しても正しいとします（順序は記載要領によるため、どちらの読みも受け入れます）。",
        en: "Checks in a ticket unit that the 全合計 row's over-limit units equal max(0, its managed units − the supplement's 区分支給限度基準額), also when the column is left empty although the total exceeds the limit. Where units over a 種類支給限度 are written, max(0, managed − those units − the limit) is right too (the order comes from the 記載要領, so either reading is accepted).",
    },
    why: {
        ja: "限度額を超えた分は全額が利用者負担になります。超過単位数が違うと、利用者への説明と請求が食い違います。",
        en: "Units over the limit are paid in full by the user; a wrong figure makes the explanation and the bill disagree.",
    },
    fix: {
        ja: "利用者補足情報の区分支給限度基準額と第7表の給付管理単位数の合計から、超過単位数を計算し直してください。",
        en: "Recompute the over-limit units from the supplement's limit and the managed units.",
    },
    example: "限度額 19705, 給付管理単位数 20000, 超える単位数 0 (expected 295)",
    cites: [
        "S2 利用者補足情報 No.19 区分支給限度基準額",
        "S2 第7表 No.18 給付管理単位数, No.21 区分支給限度基準を超える単位数",
    ],
    assumptions: ["A-7-CALC", "A-7-TYPE-LIMIT"],
    check: Check::Set { reads: &[("UPSIKYU", "benefit_managed_units"), ("UPSIKYU", "type_limit_over_units"), ("UPSIKYU", "category_limit_over_units"), ("UPHOSOKU", "benefit_limit_units")], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(annex), Some(supplement)) = (ctx.file_of_kind("UPSIKYU"), ctx.file_of_kind("UPHOSOKU")) else {
        return;
    };
    let (Some(annex_doc), Some(supplement_doc)) = (&annex.document, &supplement.document) else {
        return;
    };
    let limits: FxHashMap<(&str, &str, &str), i64> = supplement_doc
        .rows()
        .filter_map(|row| {
            let key = (
                supplement_doc.get(row, "insurer_number"),
                supplement_doc.get(row, "insured_number"),
                supplement_doc.get(row, "target_month"),
            );
            number(supplement_doc.get(row, "benefit_limit_units")).map(|limit| (key, limit))
        })
        .collect();
    for (key, user) in annexes(annex_doc) {
        let (Some(total), Some(&limit)) = (user.grand_total, limits.get(&key)) else {
            continue;
        };
        let Some(managed) = number(annex_doc.get(total, "benefit_managed_units")) else {
            continue;
        };
        let expected = over_limit(managed, limit);
        // Units over a 種類支給限度 may be taken out before the 区分 limit is applied (A-7-TYPE-LIMIT).
        // The 全合計 may carry their sum, or leave it to the kinds' summary rows.
        let type_over = number(annex_doc.get(total, "type_limit_over_units")).unwrap_or_else(|| {
            user.summary_rows().iter().filter_map(|&row| number(annex_doc.get(row, "type_limit_over_units"))).sum()
        });
        let after_type_limit =
            Some(type_over).filter(|&type_over| type_over > 0).map(|type_over| over_limit(managed - type_over, limit));
        // An empty column says "nothing over the limit": wrong when the total exceeds it.
        let over = annex_doc.get(total, "category_limit_over_units");
        let over_value = if over.is_empty() { Some(0) } else { number(over) };
        if over_value.is_some_and(|over| over != expected && Some(over) != after_type_limit) {
            out.push(
                finding_at(annex_doc, total, &RULE, "category_limit_over_units")
                    .file(annex.path)
                    .arg("managed", managed.to_string())
                    .arg("limit", limit.to_string())
                    .arg("expected", expected.to_string()),
            );
        }
    }
}
