use crate::billing::{detail_rows, number};
use crate::fasthash::FxHashMap;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx};
use crate::rules::{rule, Check};

rule! {
    code: "SET010",
    name: "plan-units-not-discounted",
    severity: Error,
    level: Set,
    title: { ja: "第6表の単位数が割引前の単位数", en: "第6表 units are the undiscounted ones" },
    message: {
        ja: "第6表 No.8 単位数「{value}」は、第7表の同じ事業所 {office}・サービスコード {code} の割引前の単位数です。第7表の割引後単位数は {discounted} で、第6表には割引後単位数を記載します（{count} 行）。",
        en: "第6表 No.8 units '{value}' are the undiscounted units of office {office}, service code {code} in 第7表, whose 割引後単位数 is {discounted}; 第6表 carries the discounted units ({count} row(s)).",
    },
    what: {
        ja: "同じ送信単位の第6表（予定）と第7表で、第7表の明細に割引後単位数（No.15）があり単位数（No.13）と違うとき、同じ利用者・対象年月・事業所・サービスコードの第6表の行の単位数（No.8）が割引前の単位数（第7表 No.13）になっていないかを検査します。第7表に同じ事業所・サービスコードの明細が単位数の違う複数行あるとき、第6表の単位数が割引前とも割引後とも違うとき（0 や減算）は判定しません。",
        en: "Checks, for 第6表 (planned) and 第7表 of one send unit, that where a 第7表 detail carries a 割引後単位数 (No.15) other than its 単位数 (No.13), the 第6表 rows of the same user, month, office and service code do not carry the undiscounted units (第7表 No.13) in No.8. Offices and codes with several 第7表 details of different units, and 第6表 values that are neither the undiscounted nor the discounted units (0, reductions), are not judged.",
    },
    why: {
        ja: "仕様は第6表 No.8 単位数に「※割引後単位数を記載」と定めています。割引前の単位数のままだと、受信側の取り込む予定の単位数が第7表の給付管理と食い違い、利用者負担や限度額の計算を誤ります。",
        en: "The spec says of 第6表 No.8 単位数 「※割引後単位数を記載」. With the undiscounted units the imported ticket disagrees with the 第7表 benefit management, and copayments and limits are computed wrongly.",
    },
    fix: {
        ja: "割引のある事業所・サービスコードの第6表の行には、第7表の割引後単位数を出力してください。",
        en: "Write the 第7表 割引後単位数 on the 第6表 rows of a discounted office and service code.",
    },
    example: "第7表 111211: 単位数 396, 割引後率 95, 割引後単位数 376; 第6表 rows of 111211 with 単位数 396",
    cites: [
        "T6-08-d",
    ],
    check: Check::Set {
        reads: &[
            ("UPPLAN", "units"),
            ("UPPLAN", "service_office_code"),
            ("UPPLAN", "service_code"),
            ("UPSIKYU", "units"),
            ("UPSIKYU", "discounted_units"),
            ("UPSIKYU", "service_office_code"),
            ("UPSIKYU", "service_code"),
        ],
        unit_keys: false,
        check,
    },
}

/// A 第7表 detail line and the 第6表 rows of it: the user, month, office and service code.
const LINE: [&str; 5] = ["insurer_number", "insured_number", "target_month", "service_office_code", "service_code"];

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(plan), Some(annex)) = (ctx.file_of_kind("UPPLAN"), ctx.file_of_kind("UPSIKYU")) else {
        return;
    };
    let (Some(plan_doc), Some(annex_doc)) = (&plan.document, &annex.document) else {
        return;
    };
    let (plan_columns, annex_columns) = (LINE.map(|id| plan_doc.column(id)), LINE.map(|id| annex_doc.column(id)));
    let (units, discounted) = (annex_doc.column("units"), annex_doc.column("discounted_units"));
    // (undiscounted, discounted) per line; None where the line's details disagree (not judged).
    let mut lines: FxHashMap<[&str; 5], Option<(i64, i64)>> = FxHashMap::default();
    for row in detail_rows(annex_doc) {
        let (Some(before), Some(after)) = (number(annex_doc.at(row, units)), number(annex_doc.at(row, discounted)))
        else {
            continue;
        };
        let entry = lines.entry(annex_columns.map(|c| annex_doc.at(row, c))).or_insert(Some((before, after)));
        if *entry != Some((before, after)) {
            *entry = None;
        }
    }
    let plan_units = plan_doc.column("units");
    let mut undiscounted: FxHashMap<[&str; 5], Vec<usize>> = FxHashMap::default();
    for row in plan_doc.rows() {
        let line = plan_columns.map(|c| plan_doc.at(row, c));
        let Some(Some((before, after))) = lines.get(&line) else { continue };
        if before != after && number(plan_doc.at(row, plan_units)) == Some(*before) {
            undiscounted.entry(line).or_default().push(row);
        }
    }
    let mut found: Vec<([&str; 5], Vec<usize>)> = undiscounted.into_iter().collect();
    found.sort_unstable_by_key(|(_, rows)| rows[0]);
    for (line, rows) in found {
        let after = lines.get(&line).copied().flatten().map_or(0, |(_, after)| after);
        out.push(
            finding_at(plan_doc, rows[0], &RULE, "units")
                .file(plan.path)
                .arg("office", line[3])
                .arg("code", line[4])
                .arg("discounted", after.to_string())
                .arg("count", rows.len().to_string()),
        );
    }
}
