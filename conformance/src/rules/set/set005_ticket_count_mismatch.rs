use crate::billing::{detail_rows, number};
use crate::fasthash::FxHashMap;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx};
use crate::rules::{rule, Check};

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
        ja: "提供票の送信単位で、第7表の明細の回数／日数が、第6表の同じ利用者・事業所・サービスコードのサービス回数の合計と一致するかを検査します。月単位で算定するサービスコード（第7表で回数1、第6表では利用日ごとに記載）は不一致としません。",
        en: "Checks in a ticket unit that each 第7表 detail's 回数／日数 equals the total 第6表 サービス回数 for the same user, office and service code. A monthly code (count 1 on 第7表, listed on each service day in 第6表) is not a mismatch.",
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
    cites: [
        "S1 §2.3 (第6表 を基本とし第7表を従属情報とする)",
        "S2 第6表 No.14 サービス回数, 第7表 No.16 回数／日数",
        "S2 第6表 No.11 「月単位での算定になる加算については、取込側で1回分の取込として制御すること」",
    ],
    assumptions: ["A-7-CALC"],
    check: Check::Set { reads: &[("UPPLAN", "service_count"), ("UPPLAN", "service_office_code"), ("UPPLAN", "service_code"), ("UPSIKYU", "count_or_days"), ("UPSIKYU", "service_office_code"), ("UPSIKYU", "service_code")], unit_keys: false, check },
}

/// 保険者番号, 被保険者番号, 対象年月, サービス事業者コード, サービスコード: a user's service line at one office.
const LINE: [&str; 5] = ["insurer_number", "insured_number", "target_month", "service_office_code", "service_code"];

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(plan), Some(annex)) = (ctx.file_of_kind("UPPLAN"), ctx.file_of_kind("UPSIKYU")) else {
        return;
    };
    let (Some(plan_doc), Some(annex_doc)) = (&plan.document, &annex.document) else {
        return;
    };
    let plan_columns = LINE.map(|id| plan_doc.column(id));
    let annex_columns = LINE.map(|id| annex_doc.column(id));
    let (plan_count, annex_count) = (plan_doc.column("service_count"), annex_doc.column("count_or_days"));
    let mut counts: FxHashMap<[&str; 5], i64> = FxHashMap::default();
    for row in plan_doc.rows() {
        *counts.entry(plan_columns.map(|c| plan_doc.at(row, c))).or_default() +=
            number(plan_doc.at(row, plan_count)).unwrap_or(0);
    }
    for row in detail_rows(annex_doc) {
        let Some(count) = number(annex_doc.at(row, annex_count)) else {
            continue;
        };
        let line = annex_columns.map(|c| annex_doc.at(row, c));
        let expected = counts.get(&line).copied().unwrap_or(0);
        // A 月単位 code (a monthly 加算, 福祉用具貸与) is one count on 第7表 however many days 第6表 lists it on:
        // 「月単位での算定になる加算については、取込側で1回分の取込として制御すること」 (S2 第6表 No.11).
        let monthly = count == 1 && expected >= 1;
        if count != expected && !monthly {
            out.push(
                finding_at(annex_doc, row, &RULE, "count_or_days")
                    .file(annex.path)
                    .arg("office", line[3])
                    .arg("code", line[4])
                    .arg("expected", expected.to_string()),
            );
        }
    }
}
